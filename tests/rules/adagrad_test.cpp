// Adagrad (include/descent/rules/adagrad.hpp): the seed convention against the tutorial and the
// keras convention against Keras 3's adagrad.py, both by hand; the pytorch convention against
// torch.optim's goldens (tests/golden/adagrad.json).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "descent/descent.hpp"
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

// Adagrad: V_t = Σ g_τ², w_{t+1} = w_t − lr·g_t / sqrt(V_t). Step 1 moves by exactly lr·sign(g).
TEST(Adagrad, Seed) {
  auto r = run_scalar("adagrad", Convention::seed, {}, 1.0, {0.5, -0.2, 0.1});
  const double v1 = 0.25;
  const double w1 = 1.0 - lr * 0.5 / std::sqrt(v1);
  const double v2 = v1 + 0.04;
  const double w2 = w1 - lr * -0.2 / std::sqrt(v2);
  const double v3 = v2 + 0.01;
  const double w3 = w2 - lr * 0.1 / std::sqrt(v3);
  expect_close(r.w[0], 0.9, "w after step 1");
  expect_close(r.w[0], w1);
  expect_close(r.w[1], w2, "w after step 2");
  expect_close(r.w[2], w3, "w after step 3");
  expect_close(r.slot("v"), v3, "V_3");
}

// Where V_t = 0 (every gradient so far exactly 0) the tutorial's m_t/sqrt(V_t) is 0/0; descent
// takes a zero step there (docs/optimizers.md), never NaN, and the next nonzero gradient steps
// as if the zeros had not been there (V and m stayed 0).
TEST(Adagrad, SeedZeroOverZeroIsAZeroStep) {
  auto r = run_scalar("adagrad", Convention::seed, {}, 1.0, {0.0, 0.0, 0.5});
  EXPECT_EQ(r.w[0], 1.0);
  EXPECT_EQ(r.w[1], 1.0);
  expect_close(r.w[2], 1.0 - lr * 0.5 / std::sqrt(0.25));
}

TEST(Adagrad, SeedZeroOverZeroInVectorKernels) {
  descent::testing::zero_gradients_in_vectors<float>("adagrad");
  descent::testing::zero_gradients_in_vectors<double>("adagrad");
}

// adagrad.py:  accumulator += g²;  w -= lr * g / sqrt(accumulator + epsilon)   (accumulator_0 = 0.1)
TEST(Adagrad, Keras) {
  for (const auto& gs : {grads, small}) {
    auto r = run_scalar("adagrad", Convention::keras, {}, 1.0, gs);
    double acc = 0.1, w = 1.0;
    for (std::size_t t = 0; t < gs.size(); ++t) {
      acc = acc + gs[t] * gs[t];
      w = w - 1e-3 * gs[t] / std::sqrt(acc + 1e-7);
      expect_close(r.w[t], w, "step " + std::to_string(t + 1));
    }
    expect_close(r.slot("v"), acc, "the accumulator");
  }
}

TEST(Adagrad, TorchGoldenDouble) { descent::testing::torch_golden::expect_torch_golden<double>("adagrad.json"); }
TEST(Adagrad, TorchGoldenFloat) { descent::testing::torch_golden::expect_torch_golden<float>("adagrad.json"); }

}  // namespace
