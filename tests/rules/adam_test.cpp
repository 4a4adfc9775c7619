// Adam, AdamW and AMSGrad (include/descent/rules/adam.hpp): the seed convention against the
// tutorial and the keras convention against Keras 3's adam.py, both by hand; the paper's AdamW
// decay by hand; the pytorch convention against torch.optim's goldens (tests/golden/adam.json,
// adamw.json, the family's adamw, adamw_amsgrad and amsgrad cases).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "descent/descent.hpp"
#include "family_cases.hpp"
#include "hand.hpp"
#include "torch_golden.hpp"

namespace {

using descent::Convention;
using descent::testing::expect_close;
using descent::testing::run_scalar;
using descent::testing::keras::grads;
using descent::testing::keras::small;
using descent::testing::seed::beta;
using descent::testing::seed::beta1;
using descent::testing::seed::beta2;
using descent::testing::seed::lr;

// Adam: m_t = β1·m_{t−1} + (1−β1)·g_t, V_t = β2·V_{t−1} + (1−β2)·g_t²,
// m̂_t = m_t/(1−β1^t), V̂_t = V_t/(1−β2^t), w_{t+1} = w_t − lr·m̂_t/sqrt(V̂_t). With both bias
// corrections step 1 moves by exactly lr·sign(g).
TEST(Adam, Seed) {
  auto r = run_scalar("adam", Convention::seed, {}, 1.0, {0.5, -0.2, 0.1});
  double m = 0, v = 0, w = 1.0;
  const double g[3] = {0.5, -0.2, 0.1};
  for (int t = 1; t <= 3; ++t) {
    m = beta1 * m + (1 - beta1) * g[t - 1];
    v = beta2 * v + (1 - beta2) * g[t - 1] * g[t - 1];
    const double m_hat = m / (1 - std::pow(beta1, t));
    const double v_hat = v / (1 - std::pow(beta2, t));
    w = w - lr * m_hat / std::sqrt(v_hat);
    expect_close(r.w[t - 1], w, "w after step " + std::to_string(t));
  }
  expect_close(r.w[0], 0.9, "step 1 is lr·sign(g)");
  expect_close(r.slot("m"), m, "m_3");
  expect_close(r.slot("v"), v, "V_3");
}

// Where V_t = 0 the step is 0 (docs/optimizers.md), as for Adagrad and RMSProp.
TEST(Adam, SeedZeroOverZeroIsAZeroStep) {
  auto r = run_scalar("adam", Convention::seed, {}, 1.0, {0.0, 0.0, 0.5});
  EXPECT_EQ(r.w[0], 1.0);
  EXPECT_EQ(r.w[1], 1.0);
  // t = 3: m_3 = (1−β1)·0.5, V_3 = (1−β2)·0.25, each bias-corrected with t = 3.
  const double m_hat = (1 - beta1) * 0.5 / (1 - std::pow(beta1, 3));
  const double v_hat = (1 - beta2) * 0.25 / (1 - std::pow(beta2, 3));
  expect_close(r.w[2], 1.0 - lr * m_hat / std::sqrt(v_hat));
}

TEST(Adam, SeedZeroOverZeroInVectorKernels) {
  descent::testing::zero_gradients_in_vectors<float>("adam");
  descent::testing::zero_gradients_in_vectors<double>("adam");
}

// adam.py (ε-hat form):  alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t);
//   m += (g - m) * (1 - beta_1);  v += (g² - v) * (1 - beta_2);
//   amsgrad: v_hat = max(v_hat, v), v = v_hat;
//   w -= m * alpha / (sqrt(v) + epsilon)
double keras_adam(const std::vector<double>& gs, bool amsgrad, std::vector<double>* trajectory) {
  const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-7;
  double m = 0, v = 0, v_hat = 0, w = 1.0;
  for (std::size_t i = 0; i < gs.size(); ++i) {
    const double t = double(i + 1);
    const double alpha = lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
    m += (gs[i] - m) * (1 - b1);
    v += (gs[i] * gs[i] - v) * (1 - b2);
    double used = v;
    if (amsgrad) used = v_hat = std::max(v_hat, v);
    w -= m * alpha / (std::sqrt(used) + eps);
    trajectory->push_back(w);
  }
  return w;
}

TEST(Adam, Keras) {
  for (const auto& gs : {grads, small}) {
    auto r = run_scalar("adam", Convention::keras, {}, 1.0, gs);
    std::vector<double> want;
    keras_adam(gs, false, &want);
    for (std::size_t t = 0; t < gs.size(); ++t) expect_close(r.w[t], want[t], "step " + std::to_string(t + 1));
  }
}

// Gradients that shrink, so V_t falls below its maximum and AMSGrad takes another path.
TEST(Adam, KerasAmsgrad) {
  const std::vector<double> shrinking{0.5, 0.01, -0.01, 0.02};
  auto r = run_scalar("adam", Convention::keras, {{"amsgrad", "true"}}, 1.0, shrinking);
  std::vector<double> want, plain;
  keras_adam(shrinking, true, &want);
  keras_adam(shrinking, false, &plain);
  // The two differ by ~6e-7 here, far beyond expect_close's 1e-14.
  ASSERT_GT(std::abs(want.back() - plain.back()), 1e-9) << "the gradients must tell AMSGrad from Adam";
  for (std::size_t t = 0; t < shrinking.size(); ++t) expect_close(r.w[t], want[t], "step " + std::to_string(t + 1));
}

// Loshchilov & Hutter: w ← w − η_t·(α·Adam step + λ·w); the schedule multiplier η_t = lr/lr_0
// scales the decay, not lr itself.
TEST(Adam, AdamWScheduleScaledDecayFollowsTheMultiplierOnly) {
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

TEST(Adam, TorchGoldenDouble) { descent::testing::torch_golden::expect_torch_golden<double>("adam.json"); }
TEST(Adam, TorchGoldenFloat) { descent::testing::torch_golden::expect_torch_golden<float>("adam.json"); }

TEST(Adam, TorchGoldenAdamWDouble) { descent::testing::torch_golden::expect_torch_golden<double>("adamw.json"); }
TEST(Adam, TorchGoldenAdamWFloat) { descent::testing::torch_golden::expect_torch_golden<float>("adamw.json"); }

TEST(Adam, TorchFamilyAdamW) { descent::testing::family_cases::expect_family_golden("adamw"); }

TEST(Adam, TorchFamilyAdamWAmsgrad) { descent::testing::family_cases::expect_family_golden("adamw_amsgrad"); }

TEST(Adam, TorchFamilyAmsgrad) { descent::testing::family_cases::expect_family_golden("amsgrad"); }

}  // namespace
