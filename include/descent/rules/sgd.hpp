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
    f("momentum", momentum, unit_interval_open_right(), "β (μ): weight of m_{t−1}; 0 is plain SGD");
    f("dampening", dampening, unit_interval(), "τ: the gradient enters the buffer scaled by 1 − τ");
    f("ema", ema, boolean, "the gradient enters the buffer scaled by 1 − β: m_t is an average (the tutorial)");
    f("nesterov", nesterov, boolean, "Nesterov momentum: step by g_t + β·m_t");
    f("buffer_starts_at_grad", buffer_starts_at_grad, boolean, "m_1 = g_1 (PyTorch) instead of starting from m_0 = 0");
    f("lr_in_buffer", lr_in_buffer, boolean, "the buffer accumulates lr·g and w −= m (Keras)");
  }
  // Nesterov asks for a look-ahead along a momentum it does not have: a contradiction.
  void check(std::string_view rule) const {
    if (nesterov && momentum <= 0)
      throw OptionError(std::string(rule) +
                        ": option nesterov needs momentum > 0 (momentum = " + format_number(momentum) + ")");
    if (nesterov && dampening != 0)
      throw OptionError(std::string(rule) + ": options nesterov and dampening = " + format_number(dampening) +
                        " exclude each other (Nesterov needs dampening = 0)");
  }
  // Without momentum there is no buffer, so nothing that shapes it acts; ema sets the gradient's
  // weight to 1 − β, so dampening does not act beside it.
  std::string_view moot(std::string_view option) const {
    const bool shapes_buffer = option == "dampening" || option == "ema" || option == "buffer_starts_at_grad" ||
                               option == "lr_in_buffer" || option == "nesterov";
    if (shapes_buffer && momentum <= 0) return "momentum";
    if (option == "dampening" && ema) return "ema";
    return Common::moot(option);
  }

  static SgdOptions preset(Convention c) { return preset_of<SgdOptions>("sgd", c); }  // plain SGD
  static SgdOptions momentum_preset(Convention c) { return preset_of<SgdOptions>("sgdm", c); }
  static SgdOptions nesterov_preset(Convention c) { return preset_of<SgdOptions>("nesterov", c); }
};

namespace rules {

struct Sgd {
  static constexpr std::string_view name = "sgd";
  enum Slot { m };
  static constexpr std::array<std::string_view, 1> slot_names{"m"};
  static constexpr std::array<std::string_view, 1> slot_kept_when{"momentum > 0"};
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
    // Without momentum there is no buffer, whatever the convention says of it: Keras's SGD with
    // momentum 0 is plain SGD, w −= lr·g.
    const bool in = o.lr_in_buffer && o.momentum > 0;
    const bool first = t == 1 && o.buffer_starts_at_grad;
    const double inside = in ? lr : 1.0;
    return {T(in ? 1.0 : lr),
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
