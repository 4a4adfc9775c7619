#pragma once
// Adam: SGDM's first moment, RMSProp's second moment, both bias-corrected.
//   m_t = β1·m_{t−1} + (1−β1)·g_t,      m̂_t = m_t / (1 − β1^t)
//   V_t = β2·V_{t−1} + (1−β2)·g_t²,     V̂_t = V_t / (1 − β2^t)
//   w_{t+1} = w_t − lr·m̂_t / sqrt(V̂_t)                                    (the tutorial, no ε)
// PyTorch adds ε outside sqrt(V̂_t) (Algorithm 1, 1e-8); Keras uses the paper's "ε-hat" form,
// lr·sqrt(1−β2^t)/(1−β1^t)·m_t / (sqrt(V_t) + ε̂) (1e-7), which is Algorithm 1 with
// ε = ε̂ / sqrt(1−β2^t). AMSGrad divides by the largest V_t seen so far.
#include <algorithm>
#include <array>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct AdamOptions : Common, Moments {
  bool eps_hat = false;  // ε added to sqrt(V_t) before the bias correction (Keras)
  bool amsgrad = false;

  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    Moments::fields(f);
    f("eps_hat", eps_hat, boolean, "the paper's ε-hat: ε added to sqrt(V_t) before the bias correction (Keras)");
    f("amsgrad", amsgrad, boolean, "divide by the largest V_t so far (AMSGrad)");
  }

  std::string_view moot(std::string_view option) const {
    if (option == "eps_hat" && eps == 0) return "eps";
    return Common::moot(option);
  }

  static AdamOptions preset(Convention c) { return preset_of<AdamOptions>("adam", c); }
  static AdamOptions adamw_preset(Convention c) { return preset_of<AdamOptions>("adamw", c); }
  static AdamOptions amsgrad_preset(Convention c) { return preset_of<AdamOptions>("amsgrad", c); }
};

namespace rules {

struct Adam {
  static constexpr std::string_view name = "adam";
  enum Slot { m, v, v_max };
  static constexpr std::array<std::string_view, 3> slot_names{"m", "v", "v_max"};
  static constexpr std::array<std::string_view, 3> slot_kept_when{"always", "always", "amsgrad"};
  static constexpr Slots nonnegative = slots_of({v, v_max});  // for 8-bit state: the unsigned code map
  using Options = AdamOptions;

  static constexpr std::array<Slots, 2> variants{slots_of({m, v}), slots_of({m, v, v_max})};
  static Slots slots(const Options& o) { return o.amsgrad ? slots_of({m, v, v_max}) : slots_of({m, v}); }

  template <class T>
  struct Step {
    T beta1, one_minus_beta1;
    T beta2, one_minus_beta2;
    T lr_hat;        // lr / (1 − β1^t): the bias correction of m folded into the rate
    T inv_sqrt_bc2;  // 1 / sqrt(1 − β2^t): the bias correction of V, under the root
    T eps;
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t t, double lr) {
    const double bc1 = 1.0 - std::pow(o.beta1, double(t));
    const double bc2 = 1.0 - std::pow(o.beta2, double(t));
    const double eps = o.eps_hat ? o.eps / std::sqrt(bc2) : o.eps;
    return {T(o.beta1), T(1.0 - o.beta1), T(o.beta2), T(1.0 - o.beta2), T(lr / bc1), T(1.0 / std::sqrt(bc2)), T(eps)};
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& m, T& v, T& v_max) {
    m = k.beta1 * m + k.one_minus_beta1 * g;      // m_t = β1·m_{t−1} + (1−β1)·g_t
    v = k.beta2 * v + k.one_minus_beta2 * g * g;  // V_t = β2·V_{t−1} + (1−β2)·g_t²
    T v_used = v;
    if constexpr (has(S, Slot::v_max)) v_used = v_max = std::max(v_max, v);
    // w_{t+1} = w_t − lr·m̂_t / (sqrt(V̂_t) + ε)
    w -= k.lr_hat * ratio(m, std::sqrt(v_used) * k.inv_sqrt_bc2 + k.eps);
  }
};

}  // namespace rules
}  // namespace descent
