// The conventions as presets of explicit options (docs/optimizers.md has them side by side).
// seed: the tutorial, no ε anywhere, lr 0.1. pytorch: torch.optim 1.13's defaults.
// keras: Keras 3's defaults.
#include "descent/optimizers.hpp"

namespace descent {

void SgdOptions::check(std::string_view rule) const {
  if (nesterov && (momentum <= 0 || dampening != 0))
    throw OptionError(std::string(rule) + ": option nesterov requires momentum > 0 and dampening = 0 (momentum = " +
                      std::to_string(momentum) + ", dampening = " + std::to_string(dampening) + ")");
}

SgdOptions SgdOptions::preset(Convention c) {
  SgdOptions o;
  if (c == Convention::seed) o.lr = 0.1;
  if (c == Convention::keras) {
    o.lr = 0.01;
    o.decoupled_weight_decay = true;  // Keras 3 decays every optimizer's weights: w −= w·λ·lr
  }
  return o;
}

SgdOptions SgdOptions::momentum_preset(Convention c) {
  SgdOptions o = preset(c);
  o.momentum = 0.9;
  if (c == Convention::seed) {  // m_t = β·m_{t−1} + (1−β)·g_t, m_0 = 0
    o.ema = true;
    o.buffer_starts_at_grad = false;
  }
  if (c == Convention::keras) {  // v = μ·v − lr·g, w += v
    o.buffer_starts_at_grad = false;
    o.lr_in_buffer = true;
  }
  return o;
}

AdagradOptions AdagradOptions::preset(Convention c) {
  AdagradOptions o;
  if (c == Convention::seed) {
    o.lr = 0.1;
    o.eps = 0;
  }
  if (c == Convention::keras) {
    o.decoupled_weight_decay = true;
    o.lr = 1e-3;
    o.eps = 1e-7;
    o.eps_inside_sqrt = true;
    o.initial_accumulator_value = 0.1;
  }
  return o;
}

RmsPropOptions RmsPropOptions::preset(Convention c) {
  RmsPropOptions o;
  if (c == Convention::seed) {
    o.lr = 0.1;
    o.beta = 0.9;
    o.eps = 0;
  }
  if (c == Convention::keras) {
    o.decoupled_weight_decay = true;
    o.lr = 1e-3;
    o.beta = 0.9;
    o.eps = 1e-7;
    o.eps_inside_sqrt = true;
    o.lr_in_buffer = true;
  }
  return o;
}

AdamOptions AdamOptions::preset(Convention c) {
  AdamOptions o;
  if (c == Convention::seed) {
    o.lr = 0.1;
    o.eps = 0;
  }
  if (c == Convention::keras) {
    o.decoupled_weight_decay = true;
    o.eps = 1e-7;
    o.eps_hat = true;
  }
  return o;
}

}  // namespace descent
