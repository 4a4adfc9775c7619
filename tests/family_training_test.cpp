// Clipping (against torch 1.13's clip_grad_norm_, tests/golden/family/clip.txt), gradient
// accumulation, weight averaging and no-decay groups, checked by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "descent/descent.hpp"
#include "descent/detail/threads.hpp"
#include "family_golden.hpp"

namespace {

std::unique_ptr<descent::Optimizer> plain_sgd(std::vector<descent::Param> params, double lr = 1.0) {
  return descent::make_optimizer("sgd", std::move(params), descent::Convention::pytorch, {{"lr", std::to_string(lr)}});
}

// SGD with lr = 1 from w = 0 leaves w = −(the gradient it used): the folded clip made visible.
TEST(Clip, GlobalNormMatchesTorchClipGradNorm) {
  const auto lines = family::read_golden("clip.txt");
  int cases = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].key != "clip") continue;
    const double max_norm = std::stod(lines[i].words[0]);
    std::vector<std::vector<double>> g, w;
    for (int k = 0; k < 3; ++k) g.push_back(lines[i + 1 + k].numbers());
    const double torch_norm = lines[i + 4].numbers()[0];
    std::vector<descent::Param> params;
    for (int k = 0; k < 3; ++k) {
      w.emplace_back(g[k].size(), 0.0);
      params.emplace_back("p" + std::to_string(k), std::span(w[k]), std::span(g[k]));
    }
    auto opt = plain_sgd(params);
    EXPECT_NEAR(descent::clip_grad_norm(*opt, max_norm), torch_norm, 1e-14 * torch_norm);
    opt->step();
    for (int k = 0; k < 3; ++k) {
      const auto clipped = lines[i + 5 + k].numbers();
      for (std::size_t j = 0; j < clipped.size(); ++j)
        EXPECT_NEAR(-w[k][j], clipped[j], 1e-15 * std::max(1.0, std::abs(clipped[j]))) << "max_norm " << max_norm;
    }
    ++cases;
  }
  EXPECT_EQ(cases, 3);
}

TEST(Clip, NormIsTheSameForAnyThreadCount) {
  std::mt19937_64 rng(5);
  std::vector<float> w(300001), g(300001);
  for (auto& x : g) x = float(double(rng() >> 11) * 0x1.0p-53 - 0.5);
  long double exact = 0;
  for (float x : g) exact += (long double)x * x;
  std::vector<double> norms;
  for (int threads : {1, 2, 3, 4}) {  // 300,001 values are 19 chunks of detail::sum_chunk
    auto opt = plain_sgd({descent::Param("w", std::span(w), std::span(g))});
    opt->set_threads(threads);
    norms.push_back(descent::global_grad_norm(*opt));
    EXPECT_EQ(descent::detail::last_pass_threads(), threads);
  }
  EXPECT_EQ(norms[0], norms[1]);
  EXPECT_EQ(norms[0], norms[2]);
  EXPECT_EQ(norms[0], norms[3]);
  EXPECT_NEAR(norms[0], std::sqrt(double(exact)), 1e-12 * norms[0]);
}

TEST(Clip, PerTensorNormClipsEachByItsOwnNorm) {
  std::vector<double> a{3.0, 4.0}, ga{3.0, 4.0}, b{0.3, 0.4}, gb{0.3, 0.4};
  std::vector<double> wa{0, 0}, wb{0, 0};
  auto opt =
      plain_sgd({descent::Param("a", std::span(wa), std::span(ga)), descent::Param("b", std::span(wb), std::span(gb))});
  const auto norms = descent::clip_grad_norm_per_tensor(*opt, 1.0);
  EXPECT_DOUBLE_EQ(norms[0], 5.0);
  EXPECT_DOUBLE_EQ(norms[1], 0.5);
  opt->step();
  EXPECT_DOUBLE_EQ(wa[0], -3.0 * (1.0 / (5.0 + 1e-6)));  // clipped to norm ~1
  EXPECT_DOUBLE_EQ(wb[1], -0.4);                         // under the limit: untouched
}

TEST(Clip, ByValueClampsInPlace) {
  std::vector<float> w{0, 0, 0}, g{-2.0f, 0.5f, 7.0f};
  descent::clip_grad_value({descent::Param("w", std::span(w), std::span(g))}, 1.0);
  EXPECT_EQ(g, (std::vector<float>{-1.0f, 0.5f, 1.0f}));
  EXPECT_THROW(descent::clip_grad_value({descent::Param("w", std::span(w), std::span(g))}, -1), descent::OptionError);
}

// Bad values are named with the number as written in shortest form, not as "-1.000000".
TEST(Clip, BadValuesPrintTheNumberInShortestForm) {
  std::vector<float> w{0}, g{1};
  const std::vector<descent::Param> params{descent::Param("w", std::span(w), std::span(g))};
  const auto message = [](auto&& f) {
    try {
      f();
    } catch (const descent::OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { descent::clip_grad_value(params, -1.5); }),
            "clip: clip_value = -1.5 is out of range [0, inf)");
  auto opt = plain_sgd(params);
  EXPECT_EQ(message([&] { descent::clip_grad_norm(*opt, -0.25); }), "clip: max_norm = -0.25 is out of range (0, inf)");
  EXPECT_EQ(message([&] { descent::WeightAverage::ema(params, 1.125); }), "ema: decay = 1.125 is out of range [0, 1]");
}

// The folded scale is the same multiplication as scaling the gradient memory first: same bits.
TEST(GradScale, FoldedScaleEqualsScaledGradients) {
  for (const char* name : {"adam", "sgdm", "lamb", "adamw"}) {
    std::vector<double> w1{1.0, -2.0, 0.5}, g1{0.3, -0.7, 0.11}, w2 = w1, g2 = g1;
    auto a = descent::make_optimizer(name, {descent::Param("w", std::span(w1), std::span(g1))},
                                     descent::Convention::pytorch, {{"weight_decay", "0.1"}});
    auto b = descent::make_optimizer(name, {descent::Param("w", std::span(w2), std::span(g2))},
                                     descent::Convention::pytorch, {{"weight_decay", "0.1"}});
    for (int t = 0; t < 3; ++t) {
      a->set_grad_scale(0.3);
      a->step();
      for (auto& x : g2) x *= 0.3;
      b->step();
      for (auto& x : g2) x /= 0.3;
      g2 = g1;
    }
    EXPECT_EQ(w1, w2) << name;
  }
}

TEST(Accumulation, MeanOfMicroBatchesWithoutACopy) {
  // Dyadic numbers: the sum and the 1/4 are exact, so the mean is exactly the full batch's.
  const std::vector<std::vector<double>> micro{{0.5, -1.0}, {0.25, 2.0}, {-0.75, 1.0}, {1.0, 0.5}};
  std::vector<double> w1{1.0, 1.0}, g1{0, 0}, w2 = w1, g2{0.25, 0.625};  // g2: the mean
  auto acc_opt = descent::make_optimizer("adam", {descent::Param("w", std::span(w1), std::span(g1))});
  auto full_opt = descent::make_optimizer("adam", {descent::Param("w", std::span(w2), std::span(g2))});
  descent::GradientAccumulation acc(*acc_opt, 4);
  for (std::size_t i = 0; i < micro.size(); ++i) {
    for (int j = 0; j < 2; ++j) g1[j] += micro[i][j];  // as autograd accumulates
    EXPECT_EQ(acc.add(), i == 3);
  }
  acc_opt->step();
  full_opt->step();
  EXPECT_EQ(w1, w2);
  EXPECT_EQ(acc.pending(), 0);
  EXPECT_THROW(descent::GradientAccumulation(*acc_opt, 0), descent::OptionError);
}

TEST(Average, EmaByHandAndSwap) {
  std::vector<double> w{1.0, 2.0}, g{0.5, -0.5};
  auto opt = plain_sgd({descent::Param("w", std::span(w), std::span(g))}, 0.1);
  auto ema = descent::WeightAverage::ema(opt->params(), 0.9);
  double a0 = 1.0, a1 = 2.0;
  for (int t = 0; t < 3; ++t) {
    opt->step();
    ema.update();
    a0 = 0.9 * a0 + (1 - 0.9) * w[0];
    a1 = 0.9 * a1 + (1 - 0.9) * w[1];
  }
  EXPECT_DOUBLE_EQ(ema.average<double>(0)[0], a0);
  const std::vector<double> live = w;
  ema.swap();
  EXPECT_DOUBLE_EQ(w[0], a0);
  EXPECT_DOUBLE_EQ(w[1], a1);
  EXPECT_THROW(ema.update(), descent::Error);
  ema.swap();
  EXPECT_EQ(w, live);
}

TEST(Average, PolyakIsTheRunningMean) {
  std::vector<float> w{0.0f}, g{-1.0f};
  auto opt = plain_sgd({descent::Param("w", std::span(w), std::span(g))}, 1.0);
  auto swa = descent::WeightAverage::polyak(opt->params());
  EXPECT_THROW(swa.swap(), descent::Error);
  for (int t = 0; t < 4; ++t) {
    opt->step();  // w = 1, 2, 3, 4
    swa.update();
  }
  EXPECT_EQ(swa.count(), 4);
  EXPECT_FLOAT_EQ(swa.average<float>(0)[0], 2.5f);
}

TEST(NoDecay, GlobPatterns) {
  EXPECT_TRUE(descent::glob_match("*bias", "layer1.bias"));
  EXPECT_TRUE(descent::glob_match("*norm*", "block.norm1.weight"));
  EXPECT_TRUE(descent::glob_match("fc?.w", "fc2.w"));
  EXPECT_FALSE(descent::glob_match("*bias", "bias.weight"));
  EXPECT_FALSE(descent::glob_match("fc?.w", "fc10.w"));
  EXPECT_TRUE(descent::glob_match("*", ""));
}

TEST(NoDecay, MatchingParametersDoNotDecay) {
  std::vector<double> w{2.0}, gw{0.0}, b{2.0}, gb{0.0};
  auto opt = descent::make_optimizer("adamw",
                                     {descent::Param("fc.weight", std::span(w), std::span(gw)),
                                      descent::Param("fc.bias", std::span(b), std::span(gb))},
                                     descent::Convention::pytorch, {{"lr", "0.1"}, {"weight_decay", "0.5"}}, {"*bias"});
  opt->step();
  EXPECT_EQ(opt->group_count(), 2u);
  EXPECT_DOUBLE_EQ(w[0], 2.0 * (1 - 0.1 * 0.5));
  EXPECT_EQ(b[0], 2.0);
}

TEST(NoDecayGroups, EveryParameterMatching) {
  std::vector<double> b{2.0}, gb{1.0};
  auto opt = descent::make_optimizer("adamw", {descent::Param("bias", std::span(b), std::span(gb))},
                                     descent::Convention::pytorch, {{"weight_decay", "0.5"}}, {"*"});
  opt->step();
  EXPECT_EQ(opt->group_count(), 2u);
  EXPECT_NEAR(b[0], 2.0 - 1e-3, 1e-9);  // Adam's first step is lr·sign(g); no decay
}

}  // namespace
