#pragma once
// RMSProp: Adagrad with an exponential moving average in place of the sum.
//   V_t = β·V_{t−1} + (1−β)·g_t²,  w_{t+1} = w_t − lr·g_t / sqrt(V_t)          (the tutorial, V_0 = 0)
// PyTorch (α = 0.99): ε outside the root; `centered` divides by the root of the variance
// V_t − ḡ_t² (ḡ: the moving mean of g); `momentum` keeps b_t = μ·b_{t−1} + g_t/sqrt(...) and
// steps w −= lr·b_t. Keras (ρ = 0.9): ε inside the root, and the momentum buffer holds lr·g/sqrt(...).
#include <array>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct RmsPropOptions : Common {
  RmsPropOptions() { lr = 1e-2; }
  double beta = 0.99;  // β (PyTorch's alpha, Keras's rho)
  double eps = 1e-8;
  bool eps_inside_sqrt = false;  // sqrt(V + ε) (Keras) instead of sqrt(V) + ε (PyTorch)
  bool centered = false;
  double momentum = 0;
  bool lr_in_buffer = false;  // the momentum buffer holds lr·g/sqrt(V) (Keras)

  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    f("beta", beta, unit_interval_open_right(), "β: decay of the second moment V_t (PyTorch's alpha, Keras's rho)");
    f("eps", eps, at_least(0), "ε: keeps the divisor off zero");
    f("eps_inside_sqrt", eps_inside_sqrt, boolean, "ε inside the root, sqrt(V_t + ε) (Keras), not sqrt(V_t) + ε");
    f("centered", centered, boolean, "divide by the variance V_t − ḡ_t², not V_t");
    f("momentum", momentum, unit_interval_open_right(), "μ: a momentum buffer over the normalized steps");
    f("lr_in_buffer", lr_in_buffer, boolean,
      "the momentum buffer holds lr·g/sqrt(V) (Keras); needs momentum > 0 to matter");
  }

  std::string_view moot(std::string_view option) const {
    if (option == "lr_in_buffer" && momentum <= 0) return "momentum";
    if (option == "eps_inside_sqrt" && eps == 0) return "eps";
    return Common::moot(option);
  }

  static RmsPropOptions preset(Convention c) { return preset_of<RmsPropOptions>("rmsprop", c); }
};

namespace rules {

struct RmsProp {
  static constexpr std::string_view name = "rmsprop";
  enum Slot { v, g_mean, buffer };
  static constexpr std::array<std::string_view, 3> slot_names{"v", "g_mean", "buffer"};
  static constexpr std::array<std::string_view, 3> slot_kept_when{"always", "centered", "momentum > 0"};
  static constexpr Slots nonnegative = slots_of({v});  // for 8-bit state: the unsigned code map
  using Options = RmsPropOptions;

  static constexpr std::array<Slots, 4> variants{slots_of({v}), slots_of({v, g_mean}), slots_of({v, buffer}),
                                                 slots_of({v, g_mean, buffer})};
  static Slots slots(const Options& o) {
    return slots_of({v}) | (o.centered ? slots_of({g_mean}) : 0) | (o.momentum > 0 ? slots_of({buffer}) : 0);
  }

  template <class T>
  struct Step {
    T beta, one_minus_beta;
    T eps_in, eps_out;  // ε inside or outside the root; the other is 0
    T lr;               // outside the momentum buffer (1 when the buffer holds lr)
    T momentum;
    T inside;  // lr when the buffer holds lr·g/sqrt(V), else 1
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t, double lr) {
    const bool in = o.lr_in_buffer && o.momentum > 0;
    return {T(o.beta),
            T(1.0 - o.beta),
            T(o.eps_inside_sqrt ? o.eps : 0.0),
            T(o.eps_inside_sqrt ? 0.0 : o.eps),
            T(in ? 1.0 : lr),
            T(o.momentum),
            T(in ? lr : 1.0)};
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& v, T& g_mean, T& buffer) {
    v = k.beta * v + k.one_minus_beta * g * g;  // V_t = β·V_{t−1} + (1−β)·g_t²
    T var = v;
    if constexpr (has(S, Slot::g_mean)) {  // centered: V_t − ḡ_t²
      g_mean = k.beta * g_mean + k.one_minus_beta * g;
      var = v - g_mean * g_mean;
    }
    T step = ratio(g, std::sqrt(var + k.eps_in) + k.eps_out);  // g_t / sqrt(V_t)
    if constexpr (has(S, Slot::buffer)) {
      buffer = k.momentum * buffer + k.inside * step;
      step = buffer;
    }
    w -= k.lr * step;  // w_{t+1} = w_t − lr·g_t / sqrt(V_t)
  }
};

}  // namespace rules
}  // namespace descent
