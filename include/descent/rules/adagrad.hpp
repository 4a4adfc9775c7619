#pragma once
// Adagrad: a per-parameter learning rate from the running sum of squared gradients.
//   V_t = V_{t−1} + g_t²,  w_{t+1} = w_t − lr·g_t / sqrt(V_t)                 (the tutorial, V_0 = 0)
// PyTorch: ε outside the root, sqrt(V_t) + ε (1e-10), and lr_t = lr / (1 + (t−1)·lr_decay);
// Keras: ε inside, sqrt(V_t + ε) (1e-7), and V_0 = 0.1.
#include <array>
#include <string_view>

#include "descent/options.hpp"
#include "descent/rules/rule.hpp"

namespace descent {

struct AdagradOptions : Common {
  AdagradOptions() { lr = 1e-2; }
  double eps = 1e-10;
  bool eps_inside_sqrt = false;          // sqrt(V + ε) (Keras) instead of sqrt(V) + ε (PyTorch)
  double initial_accumulator_value = 0;  // V_0
  double lr_decay = 0;                   // lr_t = lr / (1 + (t−1)·lr_decay)

  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    f("eps", eps, at_least(0), "ε: keeps the divisor off zero");
    f("eps_inside_sqrt", eps_inside_sqrt, boolean, "ε inside the root, sqrt(V_t + ε) (Keras), not sqrt(V_t) + ε");
    f("initial_accumulator_value", initial_accumulator_value, at_least(0), "V_0: the sum of squares starts here");
    f("lr_decay", lr_decay, at_least(0), "lr_t = lr / (1 + (t−1)·lr_decay)");
  }

  std::string_view moot(std::string_view option) const {
    if (option == "eps_inside_sqrt" && eps == 0) return "eps";
    return Common::moot(option);
  }

  static AdagradOptions preset(Convention c) { return preset_of<AdagradOptions>("adagrad", c); }
};

namespace rules {

struct Adagrad {
  static constexpr std::string_view name = "adagrad";
  enum Slot { v };
  static constexpr std::array<std::string_view, 1> slot_names{"v"};
  static constexpr Slots nonnegative = slots_of({v});  // for 8-bit state: the unsigned code map
  using Options = AdagradOptions;

  static constexpr std::array<Slots, 1> variants{slots_of({v})};
  static Slots slots(const Options&) { return slots_of({v}); }
  static double initial(const Options& o, int /*slot*/) { return o.initial_accumulator_value; }

  template <class T>
  struct Step {
    T lr;
    T eps_in;   // ε inside the root, or 0
    T eps_out;  // ε outside the root, or 0
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t t, double lr) {
    return {T(lr / (1.0 + double(t - 1) * o.lr_decay)), T(o.eps_inside_sqrt ? o.eps : 0.0),
            T(o.eps_inside_sqrt ? 0.0 : o.eps)};
  }

  template <Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& v) {
    v += g * g;                                                 // V_t = Σ g_τ²
    w -= k.lr * ratio(g, std::sqrt(v + k.eps_in) + k.eps_out);  // w −= lr·g_t / sqrt(V_t)
  }
};

}  // namespace rules
}  // namespace descent
