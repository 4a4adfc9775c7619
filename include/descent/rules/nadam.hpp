#pragma once
// NAdam: Adam with Nesterov momentum (Dozat 2016), in the form torch.optim and Keras share.
//   μ_t = β1·(1 − ½·0.96^(t·ψ))                         (ψ: momentum_decay, 0.004)
//   m_t = β1·m_{t−1} + (1−β1)·g_t,   V_t = β2·V_{t−1} + (1−β2)·g_t²
//   d_t = sqrt(V_t / (1 − β2^t)) + ε
//   w_{t+1} = w_t − lr·(1−μ_t)/(1 − Π_{i≤t} μ_i)·g_t/d_t − lr·μ_{t+1}/(1 − Π_{i≤t+1} μ_i)·m_t/d_t
// The product Π μ_i is recomputed from t in prepare() (no per-group state to carry or save). It
// is exact in double: once it falls below 2^−60, 1 − Π rounds to 1 and the loop stops, so the
// cost is bounded (a few hundred factors for the default β1). torch 1.13 keeps Π in a float32
// tensor even for double parameters, so it differs from descent by about 1e-7 relative.
// torch 1.13's default (single-tensor) path also multiplies μ_t into Π_{i≤t+1} μ_i a second time,
// Π_t·μ_t·μ_{t+1}, where its foreach path, Keras, the paper and torch ≥ 2.0 have Π_t·μ_{t+1}:
// option extra_mu reproduces it (the goldens use it); no preset turns it on.
// descent divides the two shares' sum by d_t once (torch divides each): one division per element
// instead of two, a rounding-level difference.
#include <array>
#include <cmath>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct NAdamOptions : Common, Moments {
  NAdamOptions() { lr = 2e-3; }
  double momentum_decay = 4e-3;  // ψ
  bool extra_mu = false;         // Π_{t+1} = Π_t·μ_t·μ_{t+1}, as torch 1.13's single-tensor path

  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    Moments::fields(f);
    f("momentum_decay", momentum_decay, at_least(0), "ψ: μ_t = β1·(1 − 0.5·0.96^(t·ψ))");
    f("extra_mu", extra_mu, boolean, "multiply μ twice, as torch 1.13's single-tensor NAdam did");
  }

  static NAdamOptions preset(Convention c) { return preset_of<NAdamOptions>("nadam", c); }
};

namespace rules {

struct NAdam {
  static constexpr std::string_view name = "nadam";
  enum Slot { m, v };
  static constexpr std::array<std::string_view, 2> slot_names{"m", "v"};
  static constexpr Slots nonnegative = slots_of({v});  // for 8-bit state: the unsigned code map
  using Options = NAdamOptions;

  static constexpr std::array<Slots, 1> variants{slots_of({m, v})};
  static Slots slots(const Options&) { return slots_of({m, v}); }

  template <class T>
  struct Step {
    T beta1, one_minus_beta1;
    T beta2, one_minus_beta2;
    T lr_g;     // lr·(1−μ_t)/(1 − Π_{i≤t} μ_i): the weight of the current gradient
    T lr_m;     // lr·μ_{t+1}/(1 − Π_{i≤t+1} μ_i): the weight of the momentum
    T inv_bc2;  // 1 / (1 − β2^t)
    T eps;
  };

  static double mu(const Options& o, double t) { return o.beta1 * (1.0 - 0.5 * std::pow(0.96, t * o.momentum_decay)); }

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t t, double lr) {
    double product = 1;  // Π_{i≤t} μ_i
    for (std::int64_t i = 1; i <= t && product >= 0x1p-60; ++i) product *= mu(o, double(i));
    const double mu_t = mu(o, double(t)), mu_next = mu(o, double(t + 1));
    const double product_next = o.extra_mu ? product * mu_t * mu_next : product * mu_next;
    return {T(o.beta1),
            T(1.0 - o.beta1),
            T(o.beta2),
            T(1.0 - o.beta2),
            T(lr * (1.0 - mu_t) / (1.0 - product)),
            T(lr * mu_next / (1.0 - product_next)),
            T(1.0 / (1.0 - std::pow(o.beta2, double(t)))),
            T(o.eps)};
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& m, T& v) {
    m = k.beta1 * m + k.one_minus_beta1 * g;      // m_t = β1·m_{t−1} + (1−β1)·g_t
    v = k.beta2 * v + k.one_minus_beta2 * g * g;  // V_t = β2·V_{t−1} + (1−β2)·g_t²
    T d = std::sqrt(v * k.inv_bc2) + k.eps;       // d_t = sqrt(V̂_t) + ε
    // w_{t+1} = w_t − (lr_g·g_t + lr_m·m_t)/d_t: the gradient's and the momentum's Nesterov shares
    w -= ratio(k.lr_g * g + k.lr_m * m, d);
  }
};

}  // namespace rules
}  // namespace descent
