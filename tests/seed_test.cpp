// The seed convention against the tutorial (shared/reference/optimizers-tutorial.en.md), with
// every expected number computed by hand here, in plain arithmetic. The seed presets: lr 0.1,
// β 0.9, β1 0.9, β2 0.999, no ε anywhere.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "descent/descent.hpp"
#include "scalar_run.hpp"

namespace {

using descent::Convention;
using descent::testing::expect_close;
using descent::testing::run_scalar;

const double lr = 0.1, beta = 0.9, beta1 = 0.9, beta2 = 0.999;

// SGD: w_{t+1} = w_t − lr·g_t.
TEST(Seed, Sgd) {
  auto r = run_scalar("sgd", Convention::seed, {}, 1.0, {0.5, -0.2, 0.1});
  const double w1 = 1.0 - lr * 0.5;
  const double w2 = w1 - lr * -0.2;
  const double w3 = w2 - lr * 0.1;
  expect_close(r.w[0], w1);
  expect_close(r.w[1], w2);
  expect_close(r.w[2], w3);
  EXPECT_EQ(r.opt->t(), 3);
}

// SGDM: m_t = β·m_{t−1} + (1−β)·g_t with m_0 = 0 (not PyTorch's m_1 = g_1), w_{t+1} = w_t − lr·m_t.
TEST(Seed, Sgdm) {
  auto r = run_scalar("sgdm", Convention::seed, {}, 1.0, {0.5, -0.2, 0.1});
  const double m1 = (1 - beta) * 0.5;  // 0.05, a tenth of the gradient
  const double w1 = 1.0 - lr * m1;
  const double m2 = beta * m1 + (1 - beta) * -0.2;
  const double w2 = w1 - lr * m2;
  const double m3 = beta * m2 + (1 - beta) * 0.1;
  const double w3 = w2 - lr * m3;
  expect_close(r.w[0], 0.995, "w after step 1: 1 − 0.1·(0.1·0.5)");
  expect_close(r.w[0], w1);
  expect_close(r.w[1], w2, "w after step 2");
  expect_close(r.w[2], w3, "w after step 3");
  expect_close(r.slot("m"), m3, "m_3");
}

// Adagrad: V_t = Σ g_τ², w_{t+1} = w_t − lr·g_t / sqrt(V_t). Step 1 moves by exactly lr·sign(g).
TEST(Seed, Adagrad) {
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

// RMSProp: V_t = β·V_{t−1} + (1−β)·g_t², w_{t+1} = w_t − lr·g_t / sqrt(V_t), V_0 = 0.
TEST(Seed, RmsProp) {
  auto r = run_scalar("rmsprop", Convention::seed, {}, 1.0, {0.5, -0.2, 0.1});
  const double v1 = (1 - beta) * 0.25;
  const double w1 = 1.0 - lr * 0.5 / std::sqrt(v1);  // 1 − 0.1/sqrt(0.1) ≈ 0.6838
  const double v2 = beta * v1 + (1 - beta) * 0.04;
  const double w2 = w1 - lr * -0.2 / std::sqrt(v2);
  const double v3 = beta * v2 + (1 - beta) * 0.01;
  const double w3 = w2 - lr * 0.1 / std::sqrt(v3);
  expect_close(r.w[0], 1.0 - 0.1 / std::sqrt(0.1), "w after step 1");
  expect_close(r.w[0], w1);
  expect_close(r.w[1], w2, "w after step 2");
  expect_close(r.w[2], w3, "w after step 3");
  expect_close(r.slot("v"), v3, "V_3");
}

// Adam: m_t = β1·m_{t−1} + (1−β1)·g_t, V_t = β2·V_{t−1} + (1−β2)·g_t²,
// m̂_t = m_t/(1−β1^t), V̂_t = V_t/(1−β2^t), w_{t+1} = w_t − lr·m̂_t/sqrt(V̂_t). With both bias
// corrections step 1 moves by exactly lr·sign(g).
TEST(Seed, Adam) {
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

// Where V_t = 0 (every gradient so far exactly 0) the tutorial's m_t/sqrt(V_t) is 0/0; descent
// takes a zero step there (docs/optimizers.md), never NaN, and the next nonzero gradient steps
// as if the zeros had not been there (V and m stayed 0).
TEST(Seed, ZeroOverZeroIsAZeroStepAdagrad) {
  auto r = run_scalar("adagrad", Convention::seed, {}, 1.0, {0.0, 0.0, 0.5});
  EXPECT_EQ(r.w[0], 1.0);
  EXPECT_EQ(r.w[1], 1.0);
  expect_close(r.w[2], 1.0 - lr * 0.5 / std::sqrt(0.25));
}

TEST(Seed, ZeroOverZeroIsAZeroStepRmsProp) {
  auto r = run_scalar("rmsprop", Convention::seed, {}, 1.0, {0.0, 0.0, 0.5});
  EXPECT_EQ(r.w[0], 1.0);
  EXPECT_EQ(r.w[1], 1.0);
  expect_close(r.w[2], 1.0 - lr * 0.5 / std::sqrt((1 - beta) * 0.25));
}

TEST(Seed, ZeroOverZeroIsAZeroStepAdam) {
  auto r = run_scalar("adam", Convention::seed, {}, 1.0, {0.0, 0.0, 0.5});
  EXPECT_EQ(r.w[0], 1.0);
  EXPECT_EQ(r.w[1], 1.0);
  // t = 3: m_3 = (1−β1)·0.5, V_3 = (1−β2)·0.25, each bias-corrected with t = 3.
  const double m_hat = (1 - beta1) * 0.5 / (1 - std::pow(beta1, 3));
  const double v_hat = (1 - beta2) * 0.25 / (1 - std::pow(beta2, 3));
  expect_close(r.w[2], 1.0 - lr * m_hat / std::sqrt(v_hat));
}

// The same in the vectorized kernels: a long vector where every other gradient is 0 (in float
// and double), so zero and nonzero denominators share one SIMD register.
template <class T>
void zero_gradients_in_vectors(const char* optimizer) {
  const std::size_t n = 1003;
  std::vector<T> w(n, T(1)), g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = i % 2 ? T(0) : T(0.25);
  auto opt = descent::make_optimizer(optimizer, {descent::Param("w", w, g)}, Convention::seed);
  opt->step();
  opt->step();
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_FALSE(std::isnan(w[i])) << optimizer << " w[" << i << "]";
    if (i % 2)
      ASSERT_EQ(w[i], T(1)) << optimizer << " w[" << i << "] has a zero gradient";
    else
      ASSERT_LT(w[i], T(1)) << optimizer << " w[" << i << "]";
  }
}

TEST(Seed, ZeroOverZeroInVectorKernels) {
  for (const char* o : {"adagrad", "rmsprop", "adam"}) {
    zero_gradients_in_vectors<float>(o);
    zero_gradients_in_vectors<double>(o);
  }
}

}  // namespace
