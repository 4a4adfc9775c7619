// The conventions for the rules beyond the tutorial (docs/optimizers.md). The tutorial stops at
// Adam, so for these rules "seed" is the PyTorch preset (torch.optim 1.13's defaults) unless
// noted; "keras" is Keras 3's. Lion and LAMB are not in torch 1.13: their PyTorch preset is
// their paper's defaults.
#include "descent/optimizers.hpp"

namespace descent {

AdamaxOptions AdamaxOptions::preset(Convention c) {
  AdamaxOptions o;
  if (c == Convention::seed) o.eps = 0;  // the paper's Algorithm 2 has no ε
  if (c == Convention::keras) {
    o.lr = 1e-3;
    o.eps = 1e-7;
    o.eps_inside_max = false;
  }
  return o;
}

NAdamOptions NAdamOptions::preset(Convention c) {
  NAdamOptions o;
  if (c == Convention::keras) {
    o.lr = 1e-3;
    o.eps = 1e-7;
  }
  return o;
}

RAdamOptions RAdamOptions::preset(Convention) { return {}; }  // Keras 3 has no RAdam

AdadeltaOptions AdadeltaOptions::preset(Convention c) {
  AdadeltaOptions o;
  if (c == Convention::seed) o.rho = 0.95;  // the paper's ρ and ε
  if (c == Convention::keras) {
    o.lr = 1e-3;
    o.rho = 0.95;
    o.eps = 1e-7;
  }
  return o;
}

LionOptions LionOptions::preset(Convention c) {
  LionOptions o;
  if (c == Convention::keras) o.lr = 1e-3;
  return o;
}

// LAMB: the paper's λ = 0.01 inside the trust ratio; Keras: no λ there, its decay (none by
// default) decoupled, ε = 1e-7.
LambOptions LambOptions::preset(Convention c) {
  LambOptions o;
  o.trust_decay = 0.01;
  if (c == Convention::keras) {
    o.trust_decay = 0;
    o.eps = 1e-7;
    o.decoupled_weight_decay = true;
  }
  return o;
}

// SGD with Nesterov momentum: PyTorch's form (the buffer starts at g_1, w −= lr·(g + μ·m)) for
// seed and pytorch, Keras's (the buffer holds lr·g, w −= lr·g + μ·m) for keras.
SgdOptions SgdOptions::nesterov_preset(Convention c) {
  SgdOptions o = preset(c);
  o.momentum = 0.9;
  o.nesterov = true;
  if (c == Convention::keras) {
    o.buffer_starts_at_grad = false;
    o.lr_in_buffer = true;
  }
  return o;
}

// AdamW: Adam with decoupled weight decay, w ← (1 − lr·λ)·w before the update.
AdamOptions AdamOptions::adamw_preset(Convention c) {
  AdamOptions o = preset(c);
  o.decoupled_weight_decay = true;
  o.weight_decay = c == Convention::keras ? 0.004 : 1e-2;
  return o;
}

AdamOptions AdamOptions::amsgrad_preset(Convention c) {
  AdamOptions o = preset(c);
  o.amsgrad = true;
  return o;
}

}  // namespace descent
