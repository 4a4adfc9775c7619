#pragma once
// RAdam: Adam whose adaptive rate is switched on only once the variance of V̂_t is tractable,
// and then rectified (Liu et al. 2020, Algorithm 2).
//   m_t = β1·m_{t−1} + (1−β1)·g_t,   V_t = β2·V_{t−1} + (1−β2)·g_t²
//   ρ_∞ = 2/(1−β2) − 1,   ρ_t = ρ_∞ − 2t·β2^t/(1 − β2^t)
//   ρ_t > 5:  r_t = sqrt((ρ_t−4)(ρ_t−2)ρ_∞ / ((ρ_∞−4)(ρ_∞−2)ρ_t))
//             w_{t+1} = w_t − lr·r_t·m̂_t / (sqrt(V_t)/sqrt(1−β2^t) + ε)
//   else:     w_{t+1} = w_t − lr·m̂_t                                  (plain momentum SGD)
// ρ_t, r_t and the branch depend on t only, so prepare() settles them once per step.
// torch.optim (1.13) puts ε outside sqrt(V_t) before the bias correction:
// sqrt(1−β2^t)/(sqrt(V_t) + ε); descent writes that the same way.
#include <array>
#include <cmath>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct RAdamOptions : Common, Moments {
  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    Moments::fields(f);
  }

  static RAdamOptions preset(Convention c) { return preset_of<RAdamOptions>("radam", c); }
};

namespace rules {

struct RAdam {
  static constexpr std::string_view name = "radam";
  enum Slot { m, v };
  static constexpr std::array<std::string_view, 2> slot_names{"m", "v"};
  static constexpr Slots nonnegative = slots_of({v});  // for 8-bit state: the unsigned code map
  using Options = RAdamOptions;

  static constexpr std::array<Slots, 1> variants{slots_of({m, v})};
  static Slots slots(const Options&) { return slots_of({m, v}); }

  template <class T>
  struct Step {
    T beta1, one_minus_beta1;
    T beta2, one_minus_beta2;
    T lr_hat;  // lr / (1 − β1^t)
    T rect;    // r_t·sqrt(1 − β2^t): the rectification and V's bias correction
    T eps;
    bool rectified;  // ρ_t > 5
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t t, double lr) {
    const double b2t = std::pow(o.beta2, double(t));
    const double bc1 = 1.0 - std::pow(o.beta1, double(t));
    const double bc2 = 1.0 - b2t;
    const double rho_inf = 2.0 / (1.0 - o.beta2) - 1.0;
    const double rho_t = rho_inf - 2.0 * double(t) * b2t / bc2;
    const bool rectified = rho_t > 5.0;
    const double r =
        rectified ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 0.0;
    return {T(o.beta1),  T(1.0 - o.beta1),      T(o.beta2), T(1.0 - o.beta2),
            T(lr / bc1), T(r * std::sqrt(bc2)), T(o.eps),   rectified};
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& m, T& v) {
    m = k.beta1 * m + k.one_minus_beta1 * g;               // m_t = β1·m_{t−1} + (1−β1)·g_t
    v = k.beta2 * v + k.one_minus_beta2 * g * g;           // V_t = β2·V_{t−1} + (1−β2)·g_t²
    T adaptive = k.rect * ratio(m, std::sqrt(v) + k.eps);  // r_t·m_t/sqrt(V̂_t), when ρ_t > 5
    w -= k.lr_hat * (k.rectified ? adaptive : m);          // w_{t+1} = w_t − lr·m̂_t·(...)
  }
};

}  // namespace rules
}  // namespace descent
