#pragma once
// LAMB: Adam's step, rescaled per tensor by a trust ratio ||w|| / ||r|| so every layer moves by
// the same fraction of its weights (You et al. 2020, Algorithm 2, φ = identity).
//   m_t = β1·m_{t−1} + (1−β1)·g_t,   V_t = β2·V_{t−1} + (1−β2)·g_t²
//   r_t = m̂_t / (sqrt(V̂_t) + ε) + λ·w_t                          (λ: trust_decay, the paper's)
//   w_{t+1} = w_t − lr·(||w_t|| / ||r_t||)·r_t                    (ratio 1 if either norm is 0)
// The norms are over each whole tensor: the driver's per-tensor sums (detail/driver.hpp,
// NeedsSums) give Σw² and Σr² before the elementwise update. Keras 3 has no λ inside r: its decay
// is the decoupled one applied before (Common's decoupled_weight_decay), so ||w|| is the decayed
// weight's norm; its ε is 1e-7 (the paper's 1e-6).
#include <array>
#include <cmath>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct LambOptions : Common, Moments {
  LambOptions() { eps = 1e-6; }
  double trust_decay = 0.01;  // λ inside r_t, under the trust ratio (the paper's weight decay)

  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    Moments::fields(f);
    f("trust_decay", trust_decay, at_least(0), "λ inside r_t, under the trust ratio (the paper's weight decay)");
  }

  static LambOptions preset(Convention c) { return preset_of<LambOptions>("lamb", c); }
};

namespace rules {

struct Lamb {
  static constexpr std::string_view name = "lamb";
  enum Slot { m, v };
  static constexpr std::array<std::string_view, 2> slot_names{"m", "v"};
  static constexpr Slots nonnegative = slots_of({v});  // for 8-bit state: the unsigned code map
  using Options = LambOptions;

  static constexpr std::array<Slots, 1> variants{slots_of({m, v})};
  static Slots slots(const Options&) { return slots_of({m, v}); }

  template <class T>
  struct Step {
    T beta1, one_minus_beta1;
    T beta2, one_minus_beta2;
    T inv_bc1, inv_bc2;  // 1/(1 − β1^t), 1/(1 − β2^t)
    T eps, lambda;
    T lr;  // lr·||w||/||r||, once finish() has the tensor's norms
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t t, double lr) {
    return {T(o.beta1),
            T(1.0 - o.beta1),
            T(o.beta2),
            T(1.0 - o.beta2),
            T(1.0 / (1.0 - std::pow(o.beta1, double(t)))),
            T(1.0 / (1.0 - std::pow(o.beta2, double(t)))),
            T(o.eps),
            T(o.trust_decay),
            T(lr)};
  }

  // r_t for one element, from the new moments.
  template <class T>
  static T r(const Step<T>& k, T w, T m, T v) {
    return ratio(m * k.inv_bc1, std::sqrt(v * k.inv_bc2) + k.eps) + k.lambda * w;  // m̂/(sqrt(V̂) + ε) + λ·w
  }

  // The per-tensor sums: Σ w², Σ r² (the moments as the update will compute them, not stored).
  static constexpr std::size_t sums = 2;
  template <class T>
  static std::array<T, 2> terms(const Step<T>& k, Slots, T w, T g, T m, T v) {
    m = k.beta1 * m + k.one_minus_beta1 * g;
    v = k.beta2 * v + k.one_minus_beta2 * g * g;
    const T rt = r(k, w, m, v);
    return {w * w, rt * rt};
  }
  template <class T>
  static void finish(Step<T>& k, const std::array<double, 2>& s) {
    const double w_norm = std::sqrt(s[0]), r_norm = std::sqrt(s[1]);
    const double trust = w_norm > 0 && r_norm > 0 ? w_norm / r_norm : 1.0;  // ||w|| / ||r||
    k.lr = T(double(k.lr) * trust);
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& m, T& v) {
    m = k.beta1 * m + k.one_minus_beta1 * g;      // m_t = β1·m_{t−1} + (1−β1)·g_t
    v = k.beta2 * v + k.one_minus_beta2 * g * g;  // V_t = β2·V_{t−1} + (1−β2)·g_t²
    w -= k.lr * r(k, w, m, v);                    // w_{t+1} = w_t − lr·(||w||/||r||)·r_t
  }
};

}  // namespace rules
}  // namespace descent
