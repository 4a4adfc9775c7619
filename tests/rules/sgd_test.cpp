// SGD, SGD with momentum and Nesterov (include/descent/rules/sgd.hpp): the seed convention
// against the tutorial and the keras convention against Keras 3's sgd.py, both by hand; the
// pytorch convention against torch.optim's goldens (tests/golden/sgd.json, the family's
// nesterov case).
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

// SGD: w_{t+1} = w_t − lr·g_t.
TEST(Sgd, Seed) {
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
TEST(Sgd, SeedMomentum) {
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

// sgd.py, momentum 0:  w = w - learning_rate * g
TEST(Sgd, Keras) {
  auto r = run_scalar("sgd", Convention::keras, {}, 1.0, grads);
  double w = 1.0;
  for (std::size_t t = 0; t < grads.size(); ++t) {
    w = w - 0.01 * grads[t];
    expect_close(r.w[t], w);
  }
}

// sgd.py:  velocity = momentum * velocity - learning_rate * g;  w = w + velocity   (velocity_0 = 0)
// With a learning rate that changes between steps the velocity keeps the old rates, unlike
// PyTorch's buffer (lr outside), so this test changes lr after step 2.
TEST(Sgd, KerasMomentum) {
  const double mu = 0.9;
  auto r = run_scalar("sgdm", Convention::keras, {{"lr", "0.05"}}, 1.0, {grads[0], grads[1]});
  double v = 0, w = 1.0;
  for (std::size_t t = 0; t < 2; ++t) {
    v = mu * v - 0.05 * grads[t];
    w = w + v;
    expect_close(r.w[t], w, "step " + std::to_string(t + 1));
  }
  r.opt->set_lr(0.2);
  r.memory[1] = grads[2];
  r.opt->step();
  v = mu * v - 0.2 * grads[2];
  w = w + v;
  expect_close(r.memory[0], w, "step 3 after set_lr(0.2)");
  expect_close(r.slot("m"), -v, "descent keeps m = −velocity");
}

// sgd.py, nesterov:  velocity = momentum * velocity - learning_rate * g;
//                    w = w + momentum * velocity - learning_rate * g
TEST(Sgd, KerasNesterov) {
  const double mu = 0.9, lr = 0.01;
  auto r = run_scalar("sgdm", Convention::keras, {{"nesterov", "true"}}, 1.0, grads);
  double v = 0, w = 1.0;
  for (std::size_t t = 0; t < grads.size(); ++t) {
    v = mu * v - lr * grads[t];
    w = w + mu * v - lr * grads[t];
    expect_close(r.w[t], w, "step " + std::to_string(t + 1));
  }
}

// Keras 3's form, by hand from keras/src/optimizers/sgd.py's update_step.
TEST(Sgd, KerasNesterovKeepsLrInsideTheBuffer) {
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

// base_optimizer.py, _apply_weight_decay, before every optimizer's update_step:
//   variable = variable - variable * weight_decay * learning_rate
// Decoupled: the gradient the update sees is the loss's alone (no λ·w added, unlike L2).
TEST(Sgd, KerasWeightDecayIsDecoupled) {
  const double lr = 0.01, wd = 0.1, mu = 0.9;
  {
    auto r = run_scalar("sgdm", Convention::keras, {{"lr", "0.01"}, {"weight_decay", "0.1"}}, 1.0, grads);
    double v = 0, w = 1.0;
    for (std::size_t t = 0; t < grads.size(); ++t) {
      w = w - w * wd * lr;
      v = mu * v - lr * grads[t];
      w = w + v;
      expect_close(r.w[t], w, "sgdm step " + std::to_string(t + 1));
    }
  }
}

TEST(Sgd, TorchGoldenDouble) { descent::testing::torch_golden::expect_torch_golden<double>("sgd.json"); }
TEST(Sgd, TorchGoldenFloat) { descent::testing::torch_golden::expect_torch_golden<float>("sgd.json"); }

TEST(Sgd, TorchFamilyNesterov) { descent::testing::family_cases::expect_family_golden("nesterov"); }

}  // namespace
