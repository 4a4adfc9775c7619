#pragma once
// Adadelta: the step's size comes from a moving average of past steps' squares, so the units of
// the step match the weights' and no learning rate is needed (Zeiler 2012, Algorithm 1).
//   V_t = ρ·V_{t−1} + (1−ρ)·g_t²
//   Δ_t = sqrt(U_{t−1} + ε) / sqrt(V_t + ε) · g_t
//   U_t = ρ·U_{t−1} + (1−ρ)·Δ_t²
//   w_{t+1} = w_t − lr·Δ_t                                     (the paper: lr = 1)
// ε is essential here, not a guard: with U_0 = 0 it is the first step's only size.
// PyTorch: ρ = 0.9, ε = 1e-6, lr = 1; Keras: ρ = 0.95, ε = 1e-7, lr = 1e-3.
#include <array>
#include <cmath>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct AdadeltaOptions : Common {
  AdadeltaOptions() { lr = 1.0; }
  double rho = 0.9;
  double eps = 1e-6;

  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    f("rho", rho, unit_interval_open_right(), "ρ: decay of both running averages (V_t and U_t)");
    f("eps", eps, greater_than(0), "ε: inside both roots");
  }

  static AdadeltaOptions preset(Convention c) { return preset_of<AdadeltaOptions>("adadelta", c); }
};

namespace rules {

struct Adadelta {
  static constexpr std::string_view name = "adadelta";
  enum Slot { v, u };
  static constexpr std::array<std::string_view, 2> slot_names{"v", "u"};  // u: Zeiler's E[Δx²]
  static constexpr Slots nonnegative = slots_of({v, u});                  // for 8-bit state: the unsigned code map
  using Options = AdadeltaOptions;

  static constexpr std::array<Slots, 1> variants{slots_of({v, u})};
  static Slots slots(const Options&) { return slots_of({v, u}); }

  template <class T>
  struct Step {
    T rho, one_minus_rho;
    T eps;
    T lr;
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t, double lr) {
    return {T(o.rho), T(1.0 - o.rho), T(o.eps), T(lr)};
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& v, T& u) {
    v = k.rho * v + k.one_minus_rho * g * g;                    // V_t = ρ·V_{t−1} + (1−ρ)·g_t²
    T delta = std::sqrt(u + k.eps) / std::sqrt(v + k.eps) * g;  // Δ_t = RMS[Δ]_{t−1} / RMS[g]_t · g_t
    u = k.rho * u + k.one_minus_rho * delta * delta;            // U_t = ρ·U_{t−1} + (1−ρ)·Δ_t²
    w -= k.lr * delta;                                          // w_{t+1} = w_t − lr·Δ_t
  }
};

}  // namespace rules
}  // namespace descent
