#pragma once
// Lion: the sign of an interpolation between momentum and gradient (Chen et al. 2023, Program 1).
//   c_t = β1·m_{t−1} + (1−β1)·g_t
//   w_{t+1} = w_t − lr·(sign(c_t) + λ·w_t)
//   m_t = β2·m_{t−1} + (1−β2)·g_t
// Every coordinate moves by exactly lr (plus decay), so Lion wants a 3-10x smaller lr than
// AdamW and a correspondingly larger λ. The decay is the decoupled one (Common's
// decoupled_weight_decay, on in every preset): w·(1 − lr·λ) − lr·sign(c_t) is the paper's step.
// sign(0) = 0, as in the paper's code (jnp.sign).
#include <array>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct LionOptions : Common {
  LionOptions() {
    lr = 1e-4;
    decoupled_weight_decay = true;
  }
  double beta1 = 0.9;
  double beta2 = 0.99;

  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    f("beta1", beta1, unit_interval(), "β1: weight of m_{t−1} in the interpolation whose sign is the step");
    f("beta2", beta2, unit_interval_open_right(), "β2: decay of the momentum m_t");
  }

  static LionOptions preset(Convention c) { return preset_of<LionOptions>("lion", c); }
};

namespace rules {

struct Lion {
  static constexpr std::string_view name = "lion";
  enum Slot { m };
  static constexpr std::array<std::string_view, 1> slot_names{"m"};
  using Options = LionOptions;

  static constexpr std::array<Slots, 1> variants{slots_of({m})};
  static Slots slots(const Options&) { return slots_of({m}); }

  template <class T>
  struct Step {
    T beta1, one_minus_beta1;
    T beta2, one_minus_beta2;
    T lr;
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t, double lr) {
    return {T(o.beta1), T(1.0 - o.beta1), T(o.beta2), T(1.0 - o.beta2), T(lr)};
  }

  template <class T>
  static T sign(T x) {
    return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& m) {
    T c = k.beta1 * m + k.one_minus_beta1 * g;  // c_t = β1·m_{t−1} + (1−β1)·g_t
    w -= k.lr * sign(c);                        // w_{t+1} = w_t − lr·sign(c_t)  (decay: the driver)
    m = k.beta2 * m + k.one_minus_beta2 * g;    // m_t = β2·m_{t−1} + (1−β2)·g_t
  }
};

}  // namespace rules
}  // namespace descent
