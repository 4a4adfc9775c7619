#pragma once
// Adamax: Adam with the infinity norm in place of the second moment (Kingma & Ba 2015, §7.1).
//   m_t = β1·m_{t−1} + (1−β1)·g_t
//   u_t = max(β2·u_{t−1}, |g_t|)
//   w_{t+1} = w_t − lr/(1 − β1^t)·m_t / u_t                                       (the paper, no ε)
// u_t needs no bias correction: a maximum is not pulled toward its zero start. PyTorch puts ε
// inside the maximum, u_t = max(β2·u_{t−1}, |g_t| + ε) (1e-8); Keras adds it to the divisor,
// m_t / (u_t + ε) (1e-7).
#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct AdamaxOptions : Common, Moments {
  AdamaxOptions() { lr = 2e-3; }
  bool eps_inside_max = true;  // max(β2·u, |g| + ε) (PyTorch) instead of m / (u + ε) (Keras)

  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    Moments::fields(f);
    f("eps_inside_max", eps_inside_max, boolean, "u_t = max(β2·u_{t−1}, |g_t| + ε) (PyTorch), not m/(u_t + ε) (Keras)");
  }

  std::string_view moot(std::string_view option) const {
    if (option == "eps_inside_max" && eps == 0) return "eps";
    return Common::moot(option);
  }

  static AdamaxOptions preset(Convention c) { return preset_of<AdamaxOptions>("adamax", c); }
};

namespace rules {

struct Adamax {
  static constexpr std::string_view name = "adamax";
  enum Slot { m, u };
  static constexpr std::array<std::string_view, 2> slot_names{"m", "u"};
  static constexpr Slots nonnegative = slots_of({u});  // for 8-bit state: the unsigned code map
  using Options = AdamaxOptions;

  static constexpr std::array<Slots, 1> variants{slots_of({m, u})};
  static Slots slots(const Options&) { return slots_of({m, u}); }

  template <class T>
  struct Step {
    T beta1, one_minus_beta1;
    T beta2;
    T lr_hat;           // lr / (1 − β1^t)
    T eps_in, eps_out;  // ε inside the maximum or in the divisor; the other is 0
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t t, double lr) {
    const double bc1 = 1.0 - std::pow(o.beta1, double(t));
    return {T(o.beta1),
            T(1.0 - o.beta1),
            T(o.beta2),
            T(lr / bc1),
            T(o.eps_inside_max ? o.eps : 0.0),
            T(o.eps_inside_max ? 0.0 : o.eps)};
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& m, T& u) {
    m = k.beta1 * m + k.one_minus_beta1 * g;            // m_t = β1·m_{t−1} + (1−β1)·g_t
    u = std::max(k.beta2 * u, std::abs(g) + k.eps_in);  // u_t = max(β2·u_{t−1}, |g_t|)
    w -= k.lr_hat * ratio(m, u + k.eps_out);            // w_{t+1} = w_t − lr/(1−β1^t)·m_t/u_t
  }
};

}  // namespace rules
}  // namespace descent
