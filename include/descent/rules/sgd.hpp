#pragma once
// SGD and SGD with momentum (SGDM).
//   SGD:   w_{t+1} = w_t − lr·g_t
//   SGDM:  m_t = β·m_{t−1} + (1−β)·g_t,  w_{t+1} = w_t − lr·m_t          (the tutorial, m_0 = 0)
// PyTorch keeps m_t = μ·m_{t−1} + (1−τ)·g_t with m_1 = g_1 (τ: dampening, 0 by default);
// Keras keeps the learning rate inside the buffer, m_t = μ·m_{t−1} + lr·g_t, w_{t+1} = w_t − m_t
// (Keras stores −m). Nesterov looks ahead: w_{t+1} = w_t − lr·(g_t + μ·m_t).
#include <array>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct SgdOptions : Common {
  double momentum = 0.0;   // β (μ)
  double dampening = 0.0;  // τ: the gradient enters the buffer scaled by 1 − τ
  bool ema = false;        // the gradient enters scaled by 1 − β: an average (the tutorial)
  bool nesterov = false;
  bool buffer_starts_at_grad = true;  // m_1 = g_1 (PyTorch) instead of m_0 = 0
  bool lr_in_buffer = false;          // m accumulates lr·g and w −= m (Keras)

  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    f("momentum", momentum, unit_interval_open_right());
    f("dampening", dampening, unit_interval());
    f("ema", ema);
    f("nesterov", nesterov);
    f("buffer_starts_at_grad", buffer_starts_at_grad);
    f("lr_in_buffer", lr_in_buffer);
  }
  void check(std::string_view rule) const;

  static SgdOptions preset(Convention c);           // plain SGD
  static SgdOptions momentum_preset(Convention c);  // SGDM
  static SgdOptions nesterov_preset(Convention c);  // SGD with Nesterov momentum
};

namespace rules {

struct Sgd {
  static constexpr std::string_view name = "sgd";
  enum Slot { m };
  static constexpr std::array<std::string_view, 1> slot_names{"m"};
  using Options = SgdOptions;

  static constexpr std::array<Slots, 2> variants{slots_of({}), slots_of({m})};
  static Slots slots(const Options& o) { return o.momentum > 0 ? slots_of({m}) : slots_of({}); }

  template <class T>
  struct Step {
    T lr;        // outside the buffer (1 when the buffer holds lr·g)
    T beta;      // weight of m_{t−1}: β, or 0 on a first step that starts the buffer at g_1
    T gain;      // weight of g_t entering the buffer: 1 − β or 1 − τ (times lr when the buffer holds lr·g)
    T momentum;  // β, for Nesterov's look-ahead
    T inside;    // lr when the buffer holds lr·g, else 1
    bool nesterov;
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t t, double lr) {
    const bool first = t == 1 && o.buffer_starts_at_grad;
    const double inside = o.lr_in_buffer ? lr : 1.0;
    return {T(o.lr_in_buffer ? 1.0 : lr),
            T(first ? 0.0 : o.momentum),
            T(first ? inside : inside * (1.0 - (o.ema ? o.momentum : o.dampening))),
            T(o.momentum),
            T(inside),
            o.nesterov};
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& m) {
    if constexpr (has(S, Slot::m)) {
      m = k.beta * m + k.gain * g;              // m_t = β·m_{t−1} + (1−β)·g_t
      T ahead = k.inside * g + k.momentum * m;  // Nesterov: g_t + β·m_t
      w -= k.lr * (k.nesterov ? ahead : m);     // w_{t+1} = w_t − lr·m_t
    } else {
      w -= k.lr * g;  // w_{t+1} = w_t − lr·g_t
    }
  }
};

}  // namespace rules
}  // namespace descent
