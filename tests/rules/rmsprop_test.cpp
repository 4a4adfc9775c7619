// RMSProp, plain, centered and with momentum (include/descent/rules/rmsprop.hpp): the seed
// convention against the tutorial and the keras convention against Keras 3's rmsprop.py, both
// by hand; the pytorch convention against torch.optim's goldens (tests/golden/rmsprop.json).
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

// RMSProp: V_t = β·V_{t−1} + (1−β)·g_t², w_{t+1} = w_t − lr·g_t / sqrt(V_t), V_0 = 0.
TEST(RmsProp, Seed) {
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

// Where V_t = 0 the step is 0 (docs/optimizers.md), as for Adagrad and Adam.
TEST(RmsProp, SeedZeroOverZeroIsAZeroStep) {
  auto r = run_scalar("rmsprop", Convention::seed, {}, 1.0, {0.0, 0.0, 0.5});
  EXPECT_EQ(r.w[0], 1.0);
  EXPECT_EQ(r.w[1], 1.0);
  expect_close(r.w[2], 1.0 - lr * 0.5 / std::sqrt((1 - beta) * 0.25));
}

TEST(RmsProp, SeedZeroOverZeroInVectorKernels) {
  descent::testing::zero_gradients_in_vectors<float>("rmsprop");
  descent::testing::zero_gradients_in_vectors<double>("rmsprop");
}

// rmsprop.py:  velocity = rho * velocity + (1 - rho) * g²;
//              w -= lr * g / sqrt(velocity + epsilon)                         (ε inside the root)
TEST(RmsProp, Keras) {
  for (const auto& gs : {grads, small}) {
    auto r = run_scalar("rmsprop", Convention::keras, {}, 1.0, gs);
    double v = 0, w = 1.0;
    for (std::size_t t = 0; t < gs.size(); ++t) {
      v = 0.9 * v + (1 - 0.9) * gs[t] * gs[t];
      w = w - 1e-3 * gs[t] / std::sqrt(v + 1e-7);
      expect_close(r.w[t], w, "step " + std::to_string(t + 1));
    }
  }
}

// rmsprop.py, centered:  average_grad = rho * average_grad + (1 - rho) * g;
//                        w -= lr * g / sqrt(velocity - average_grad² + epsilon)
TEST(RmsProp, KerasCentered) {
  for (const auto& gs : {grads, small}) {
    auto r = run_scalar("rmsprop", Convention::keras, {{"centered", "true"}}, 1.0, gs);
    double v = 0, mean = 0, w = 1.0;
    for (std::size_t t = 0; t < gs.size(); ++t) {
      v = 0.9 * v + 0.1 * gs[t] * gs[t];
      mean = 0.9 * mean + 0.1 * gs[t];
      w = w - 1e-3 * gs[t] / std::sqrt(v - mean * mean + 1e-7);
      expect_close(r.w[t], w, "step " + std::to_string(t + 1));
    }
    expect_close(r.slot("g_mean"), mean, "average_grad");
  }
}

// rmsprop.py, momentum:  increment = lr * g / sqrt(velocity + epsilon);
//                        momentum = momentum_coef * momentum + increment;  w -= momentum
// (the learning rate inside the buffer: a later lr change leaves past increments alone).
TEST(RmsProp, KerasMomentum) {
  const double mu = 0.8;
  auto r = run_scalar("rmsprop", Convention::keras, {{"momentum", "0.8"}}, 1.0, {grads[0], grads[1]});
  double v = 0, buf = 0, w = 1.0;
  auto step = [&](double g, double lr) {
    v = 0.9 * v + 0.1 * g * g;
    buf = mu * buf + lr * g / std::sqrt(v + 1e-7);
    w = w - buf;
  };
  step(grads[0], 1e-3);
  expect_close(r.w[0], w, "step 1");
  step(grads[1], 1e-3);
  expect_close(r.w[1], w, "step 2");
  r.opt->set_lr(0.01);
  r.memory[1] = grads[2];
  r.opt->step();
  step(grads[2], 0.01);
  expect_close(r.memory[0], w, "step 3 after set_lr(0.01)");
  expect_close(r.slot("buffer"), buf, "the momentum buffer");
}

// rmsprop.py, centered and momentum together.
TEST(RmsProp, KerasCenteredMomentum) {
  auto r = run_scalar("rmsprop", Convention::keras, {{"centered", "true"}, {"momentum", "0.5"}}, 1.0, grads);
  double v = 0, mean = 0, buf = 0, w = 1.0;
  for (std::size_t t = 0; t < grads.size(); ++t) {
    v = 0.9 * v + 0.1 * grads[t] * grads[t];
    mean = 0.9 * mean + 0.1 * grads[t];
    buf = 0.5 * buf + 1e-3 * grads[t] / std::sqrt(v - mean * mean + 1e-7);
    w = w - buf;
    expect_close(r.w[t], w, "step " + std::to_string(t + 1));
  }
}

// base_optimizer.py, _apply_weight_decay, before every optimizer's update_step:
//   variable = variable - variable * weight_decay * learning_rate
// Decoupled: the gradient the update sees is the loss's alone (no λ·w added, unlike L2).
TEST(RmsProp, KerasWeightDecayIsDecoupled) {
  const double lr = 0.01, wd = 0.1;
  {
    auto r = run_scalar("rmsprop", Convention::keras, {{"lr", "0.01"}, {"weight_decay", "0.1"}}, 1.0, grads);
    double v = 0, w = 1.0;
    for (std::size_t t = 0; t < grads.size(); ++t) {
      w = w - w * wd * lr;
      v = 0.9 * v + 0.1 * grads[t] * grads[t];
      w = w - lr * grads[t] / std::sqrt(v + 1e-7);
      expect_close(r.w[t], w, "rmsprop step " + std::to_string(t + 1));
    }
  }
}

TEST(RmsProp, TorchGoldenDouble) { descent::testing::torch_golden::expect_torch_golden<double>("rmsprop.json"); }
TEST(RmsProp, TorchGoldenFloat) { descent::testing::torch_golden::expect_torch_golden<float>("rmsprop.json"); }

}  // namespace
