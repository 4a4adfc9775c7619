// Lion and LAMB against their papers' formulas, and the paper's AdamW decay, computed by hand
// here (torch 1.13 has neither Lion nor LAMB): every step, every element.
#include <gtest/gtest.h>

#include <cmath>

#include "descent/descent.hpp"

namespace {

const std::vector<std::vector<double>> grads{{0.5, -2.0, 0.0, 1e-3}, {-0.25, -1.0, 3.0, 0.0}, {0.1, 0.2, -0.3, 0.4}};

TEST(Lion, FollowsChenEtAlProgram1) {
  const double lr = 0.01, b1 = 0.9, b2 = 0.99, wd = 0.1;
  std::vector<double> w{1.0, -0.5, 0.25, 2.0}, g(4), m(4, 0.0), want = w;
  descent::Lion opt({descent::Param("w", std::span(w), std::span(g))}, [&] {
    auto o = descent::LionOptions::preset(descent::Convention::pytorch);
    o.lr = lr;
    o.weight_decay = wd;
    return o;
  }());
  for (const auto& gt : grads) {
    g = gt;
    opt.step();
    for (std::size_t i = 0; i < 4; ++i) {
      const double c = b1 * m[i] + (1 - b1) * gt[i];
      const double sign = c > 0 ? 1.0 : (c < 0 ? -1.0 : 0.0);
      want[i] = want[i] - lr * (sign + wd * want[i]);
      m[i] = b2 * m[i] + (1 - b2) * gt[i];
      EXPECT_NEAR(w[i], want[i], 1e-15) << i;
      EXPECT_DOUBLE_EQ(opt.state(0, "m").as<double>()[i], m[i]) << i;
    }
  }
}

// Two tensors: the trust ratio is per tensor, so each moves by its own norm ratio.
TEST(Lamb, FollowsYouEtAlAlgorithm2PerTensor) {
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-6, lambda = 0.01;
  std::vector<double> a{1.0, -0.5}, b{0.25, 2.0}, ga(2), gb(2);
  descent::Lamb opt(
      {descent::Param("a", std::span(a), std::span(ga)), descent::Param("b", std::span(b), std::span(gb))}, [&] {
        auto o = descent::LambOptions::preset(descent::Convention::pytorch);
        o.lr = lr;
        return o;
      }());
  std::vector<std::vector<double>> w{a, b}, m(2, std::vector<double>(2)), v = m;
  int t = 0;
  for (const auto& gt : grads) {
    ++t;
    ga = {gt[0], gt[1]};
    gb = {gt[2], gt[3]};
    opt.step();
    for (int k = 0; k < 2; ++k) {
      double r[2], wn = 0, rn = 0;
      for (int i = 0; i < 2; ++i) {
        const double g = gt[2 * k + i];
        m[k][i] = b1 * m[k][i] + (1 - b1) * g;
        v[k][i] = b2 * v[k][i] + (1 - b2) * g * g;
        const double mhat = m[k][i] / (1 - std::pow(b1, t)), vhat = v[k][i] / (1 - std::pow(b2, t));
        r[i] = mhat / (std::sqrt(vhat) + eps) + lambda * w[k][i];
        wn += w[k][i] * w[k][i];
        rn += r[i] * r[i];
      }
      const double trust = std::sqrt(wn) / std::sqrt(rn);
      for (int i = 0; i < 2; ++i) w[k][i] -= lr * trust * r[i];
    }
    for (int i = 0; i < 2; ++i) {
      EXPECT_NEAR(a[i], w[0][i], 1e-14) << "step " << t << " a" << i;
      EXPECT_NEAR(b[i], w[1][i], 1e-14) << "step " << t << " b" << i;
    }
  }
}

TEST(Lamb, TrustRatioIsOneForZeroWeights) {
  std::vector<double> w{0.0, 0.0}, g{1.0, -1.0};
  auto o = descent::LambOptions::preset(descent::Convention::keras);
  o.lr = 0.1;
  descent::Lamb opt({descent::Param("w", std::span(w), std::span(g))}, o);
  opt.step();
  // ||w|| = 0: ratio 1, so the first step is Adam's: m̂/(sqrt(V̂) + ε) = ±1/(1 + 1e-7).
  EXPECT_NEAR(w[0], -0.1 / (1 + 1e-7), 1e-16);
  EXPECT_NEAR(w[1], 0.1 / (1 + 1e-7), 1e-16);
}

// Loshchilov & Hutter: w ← w − η_t·(α·Adam step + λ·w); the schedule multiplier η_t = lr/lr_0
// scales the decay, not lr itself.
TEST(AdamW, ScheduleScaledDecayFollowsTheMultiplierOnly) {
  std::vector<double> w{2.0}, g{0.0};
  auto opt =
      descent::make_optimizer("adamw", {descent::Param("w", std::span(w), std::span(g))}, descent::Convention::pytorch,
                              {{"lr", "0.001"}, {"weight_decay", "0.1"}, {"schedule_scaled_decay", "true"}});
  opt->step();  // η = 1: w·(1 − 0.1); g = 0 so Adam's own step is 0
  EXPECT_DOUBLE_EQ(w[0], 2.0 * (1 - 0.1));
  opt->set_lr(0.0005);  // a schedule halves the rate: η = 0.5
  opt->step();
  EXPECT_DOUBLE_EQ(w[0], 2.0 * (1 - 0.1) * (1 - 0.05));
  std::vector<double> w2{2.0}, g2{0.0};  // PyTorch's form: w·(1 − lr·λ)
  auto torch_form = descent::make_optimizer("adamw", {descent::Param("w", std::span(w2), std::span(g2))},
                                            descent::Convention::pytorch, {{"lr", "0.001"}, {"weight_decay", "0.1"}});
  torch_form->step();
  EXPECT_DOUBLE_EQ(w2[0], 2.0 * (1 - 0.001 * 0.1));
}

// NAdam's product of μ_i as Keras and the paper keep it (extra_mu off), one element by hand.
TEST(NAdam, TwoStepsByHandWithTheCorrectProduct) {
  const double lr = 0.002, b1 = 0.9, b2 = 0.999, eps = 1e-8, psi = 0.004;
  std::vector<double> w{1.0}, g{0.0};
  auto opt = descent::make_optimizer("nadam", {descent::Param("w", std::span(w), std::span(g))});
  double m = 0, v = 0, prod = 1, want = 1.0;
  auto mu = [&](double t) { return b1 * (1 - 0.5 * std::pow(0.96, t * psi)); };
  for (int t = 1; t <= 2; ++t) {
    const double gt = t == 1 ? 0.5 : -1.5;
    g[0] = gt;
    opt->step();
    prod *= mu(t);
    m = b1 * m + (1 - b1) * gt;
    v = b2 * v + (1 - b2) * gt * gt;
    const double d = std::sqrt(v / (1 - std::pow(b2, t))) + eps;
    want -= lr * (1 - mu(t)) / (1 - prod) * gt / d + lr * mu(t + 1) / (1 - prod * mu(t + 1)) * m / d;
    EXPECT_NEAR(w[0], want, 1e-15) << t;
  }
}

}  // namespace

namespace {

// Keras 3's forms, by hand from keras/src/optimizers/{sgd,adamax}.py's update_step.
TEST(KerasForms, NesterovKeepsLrInsideTheBuffer) {
  const double lr = 0.01, mu = 0.9;
  std::vector<double> w{1.0}, g{0.0};
  auto opt = descent::make_optimizer("nesterov", {descent::Param("w", std::span(w), std::span(g))},
                                     descent::Convention::keras);
  double v = 0, want = 1.0;  // Keras: v = μ·v − lr·g; w += μ·v − lr·g
  for (double gt : {0.5, -1.0, 2.0}) {
    g[0] = gt;
    opt->step();
    v = mu * v - lr * gt;
    want += mu * v - lr * gt;
    EXPECT_NEAR(w[0], want, 1e-16);
  }
}

TEST(KerasForms, AdamaxPutsEpsInTheDivisor) {
  const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-7;
  std::vector<double> w{1.0}, g{0.0};
  auto opt =
      descent::make_optimizer("adamax", {descent::Param("w", std::span(w), std::span(g))}, descent::Convention::keras);
  double m = 0, u = 0, want = 1.0;
  int t = 0;
  for (double gt : {0.5, -1.0, 0.0, 2.0}) {
    g[0] = gt;
    opt->step();
    ++t;
    m = b1 * m + (1 - b1) * gt;
    u = std::max(b2 * u, std::abs(gt));
    want -= lr / (1 - std::pow(b1, t)) * m / (u + eps);
    EXPECT_NEAR(w[0], want, 1e-16) << t;
  }
}

}  // namespace

namespace {

// prepare() stops multiplying μ_i once Π < 2^−60; from there 1 − Π is exactly 1 in double, so
// the step's scalars equal those of the full product.
TEST(NAdam, BoundedProductIsExact) {
  descent::NAdamOptions o;
  o.beta1 = 0.99;  // μ near β1: the product falls slowly, many factors before the stop
  for (std::int64_t t : {1, 10, 100, 1000, 5000}) {
    double product = 1;
    for (std::int64_t i = 1; i <= t; ++i) product *= descent::rules::NAdam::mu(o, double(i));
    const double mu_t = descent::rules::NAdam::mu(o, double(t)), mu_next = descent::rules::NAdam::mu(o, double(t + 1));
    const auto k = descent::rules::NAdam::prepare<double>(o, t, 0.5);
    EXPECT_EQ(k.lr_g, 0.5 * (1.0 - mu_t) / (1.0 - product)) << t;
    EXPECT_EQ(k.lr_m, 0.5 * mu_next / (1.0 - product * mu_next)) << t;
  }
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
