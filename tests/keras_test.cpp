// The keras convention against Keras 3's update formulas, computed by hand here. The formulas are
// those of keras-team/keras, keras/src/optimizers/{sgd,adagrad,rmsprop,adam}.py (update_step),
// read for this test; each test quotes the one it checks. Defaults from the same files:
// SGD lr 0.01; Adagrad lr 1e-3, initial_accumulator_value 0.1, epsilon 1e-7; RMSprop lr 1e-3,
// rho 0.9, epsilon 1e-7; Adam lr 1e-3, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "descent/descent.hpp"
#include "scalar_run.hpp"

namespace {

using descent::Convention;
using descent::testing::expect_close;
using descent::testing::run_scalar;

const std::vector<double> grads{0.5, -0.2, 0.1};
// Small gradients, where V is of the size of ε, so the place of ε shows.
const std::vector<double> small{1e-4, -2e-4, 3e-4};

// sgd.py, momentum 0:  w = w - learning_rate * g
TEST(Keras, Sgd) {
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
TEST(Keras, SgdMomentum) {
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
TEST(Keras, SgdNesterov) {
  const double mu = 0.9, lr = 0.01;
  auto r = run_scalar("sgdm", Convention::keras, {{"nesterov", "true"}}, 1.0, grads);
  double v = 0, w = 1.0;
  for (std::size_t t = 0; t < grads.size(); ++t) {
    v = mu * v - lr * grads[t];
    w = w + mu * v - lr * grads[t];
    expect_close(r.w[t], w, "step " + std::to_string(t + 1));
  }
}

// adagrad.py:  accumulator += g²;  w -= lr * g / sqrt(accumulator + epsilon)   (accumulator_0 = 0.1)
TEST(Keras, Adagrad) {
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

// rmsprop.py:  velocity = rho * velocity + (1 - rho) * g²;
//              w -= lr * g / sqrt(velocity + epsilon)                         (ε inside the root)
TEST(Keras, RmsProp) {
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
TEST(Keras, RmsPropCentered) {
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
TEST(Keras, RmsPropMomentum) {
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
TEST(Keras, RmsPropCenteredMomentum) {
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

TEST(Keras, Adam) {
  for (const auto& gs : {grads, small}) {
    auto r = run_scalar("adam", Convention::keras, {}, 1.0, gs);
    std::vector<double> want;
    keras_adam(gs, false, &want);
    for (std::size_t t = 0; t < gs.size(); ++t) expect_close(r.w[t], want[t], "step " + std::to_string(t + 1));
  }
}

// Gradients that shrink, so V_t falls below its maximum and AMSGrad takes another path.
TEST(Keras, AdamAmsgrad) {
  const std::vector<double> shrinking{0.5, 0.01, -0.01, 0.02};
  auto r = run_scalar("adam", Convention::keras, {{"amsgrad", "true"}}, 1.0, shrinking);
  std::vector<double> want, plain;
  keras_adam(shrinking, true, &want);
  keras_adam(shrinking, false, &plain);
  // The two differ by ~6e-7 here, far beyond expect_close's 1e-14.
  ASSERT_GT(std::abs(want.back() - plain.back()), 1e-9) << "the gradients must tell AMSGrad from Adam";
  for (std::size_t t = 0; t < shrinking.size(); ++t) expect_close(r.w[t], want[t], "step " + std::to_string(t + 1));
}

// base_optimizer.py, _apply_weight_decay, before every optimizer's update_step:
//   variable = variable - variable * weight_decay * learning_rate
// Decoupled: the gradient the update sees is the loss's alone (no λ·w added, unlike L2).
TEST(Keras, WeightDecayIsDecoupled) {
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

}  // namespace
