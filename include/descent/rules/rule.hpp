#pragma once
// What every update rule shares. A rule is a struct with
//   name, slot_names, an Options type, a Step<T> of per-step scalars,
//   prepare<T>(options, t, lr) -> Step<T>        (once per group per step, in double),
//   slots(options) -> Slots                       (which state slots these options keep),
//   variants                                      (every Slots value slots() can return),
//   slot_kept_when                                (optional: the options that keep each slot,
//                                                  for people; "always" where it is absent),
//   update<S>(step, w, g, slot...)               (one element; the tutorial's formula),
// and optionally nonnegative (the slots that never go below 0, which 8-bit state stores with
// the unsigned code map; any other slot gets the signed one).
// The driver (detail/driver.hpp) owns everything else: groups, state, threads, SIMD.
#include <cmath>
#include <cstdint>
#include <initializer_list>

namespace descent::rules {

// Which of a rule's state slots a group keeps, as bits by slot index. Optional slots (AMSGrad's
// v_max, RMSProp's centered mean) exist only when their option is on: a slot costs memory
// traffic in every step.
using Slots = unsigned;

constexpr Slots slots_of(std::initializer_list<int> indices) {
  Slots s = 0;
  for (int i : indices) s |= 1u << i;
  return s;
}
constexpr bool has(Slots s, int slot) { return (s >> slot) & 1u; }

// m / d, where a zero denominator gives a zero step instead of 0/0 = NaN. The tutorial's
// formulas have no epsilon, so V_t = 0 (every gradient so far exactly 0) is reachable; descent
// defines the step there as 0 (docs/optimizers.md, "Where V_t = 0").
template <class T>
inline T ratio(T m, T d) {
  T q = m / d;
  return d == T(0) ? T(0) : q;
}

// The options every rule shares (Common), reduced to per-step scalars the driver applies to
// each element before the rule's update: g ← sign·g + l2·w, then w ← keep·w.
template <class T>
struct Prelude {
  T sign = 1;  // −1 with maximize
  T l2 = 0;    // λ for L2 weight decay
  T keep = 1;  // 1 − lr·λ for decoupled weight decay
};

}  // namespace descent::rules
