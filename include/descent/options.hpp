#pragma once
// Named, validated options. Each rule's options are a plain struct whose fields() lists every
// option with its name and allowed range; validation, the CLI and JSON output all walk that list,
// so an option is declared once.
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "descent/error.hpp"

namespace descent {

// A convention is a preset of explicit options, never separate code (docs/optimizers.md).
enum class Convention { seed, pytorch, keras };

Convention parse_convention(std::string_view s);  // throws OptionError on an unknown name
const char* to_string(Convention c);

struct Range {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false;
  bool hi_open = false;

  bool contains(double x) const;
  std::string to_string() const;  // "[0, 1)", "[0, inf)"
};

inline constexpr Range at_least(double lo) { return {lo, std::numeric_limits<double>::infinity(), false, true}; }
inline constexpr Range greater_than(double lo) { return {lo, std::numeric_limits<double>::infinity(), true, true}; }
inline constexpr Range unit_interval_open_right() { return {0.0, 1.0, false, true}; }  // [0, 1)
inline constexpr Range unit_interval() { return {0.0, 1.0, false, false}; }            // [0, 1]
// What a flag passes for its range in fields(): flags are false or true, stored as 0 or 1.
inline constexpr Range boolean = unit_interval();

// A number as people write it: the shortest text that reads back to the same double ("0.1",
// "-1", "1e-08", "inf"). Every message that shows a value uses it.
std::string format_number(double x);

// Each options struct lists its fields once, as f(name, field, range, doc): validation, parsing,
// checkpoints, the registry (include/descent/registry.hpp) and its JSON all walk that list.
//
// Options every rule has; they act on the gradient and the weights before the rule's own math
// (applied once, by the driver).
struct Common {
  double lr = 1e-3;
  double weight_decay = 0.0;            // λ
  bool decoupled_weight_decay = false;  // false: L2, g += λ·w (torch.optim); true: w *= 1 − lr·λ (AdamW, Keras)
  bool maximize = false;                // ascend: g = −g
  // Decoupled decay scaled by the schedule only: w *= 1 − η_t·λ with η_t = lr/lr_0 the schedule's
  // multiplier (Loshchilov & Hutter's AdamW), instead of w *= 1 − lr·λ (PyTorch, Keras). lr_0:
  // the group's lr when its options were last set; set_lr, the schedules' channel, leaves it.
  bool schedule_scaled_decay = false;

  void check(std::string_view) const {}
  // The option that makes `option` have no effect here ("" if it acts): an option set to other
  // than its preset's value where this is not empty would be silently ignored, and is refused,
  // naming both (registry.cpp). A preset's own moot options are fine: Keras's SGD keeps lr in
  // the buffer, and with momentum 0 has none.
  std::string_view moot(std::string_view option) const {
    if (option == "decoupled_weight_decay" && weight_decay == 0) return "weight_decay";
    if (option == "schedule_scaled_decay") {
      if (!decoupled_weight_decay) return "decoupled_weight_decay";
      if (weight_decay == 0) return "weight_decay";
    }
    return {};
  }

  template <class F>
  void fields(F&& f) {
    f("lr", lr, at_least(0), "the learning rate η");
    f("weight_decay", weight_decay, at_least(0), "λ: weight decay, L2 (g += λ·w) or decoupled (w *= 1 − lr·λ)");
    f("decoupled_weight_decay", decoupled_weight_decay, boolean,
      "decay the weights directly (AdamW, Keras) instead of adding λ·w to g");
    f("maximize", maximize, boolean, "ascend: step along +g");
    f("schedule_scaled_decay", schedule_scaled_decay, boolean,
      "decoupled decay scaled by the schedule only, w *= 1 − (lr/lr_0)·λ");
  }
};

// β1, β2 and ε of the Adam family (Adam, Adamax, NAdam, RAdam, LAMB), declared once: the
// first moment's decay, the second moment's, and the ε that keeps the divisor off zero.
struct Moments {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;

  template <class F>
  void fields(F&& f) {
    f("beta1", beta1, unit_interval_open_right(), "β1: decay of the first moment m_t");
    f("beta2", beta2, unit_interval_open_right(), "β2: decay of the second moment V_t");
    f("eps", eps, at_least(0), "ε: keeps the divisor off zero");
  }
};

// Checks every field of `o` against its range; throws OptionError naming rule, option, value
// and range. Then the rule's own check() beside its defaults: options that contradict each
// other (Nesterov without momentum). Options that only have no effect together are moot(),
// refused where a user sets them (make_optimizer).
template <class Options>
void validate(std::string_view rule, const Options& o);

[[noreturn]] void throw_out_of_range(std::string_view rule, std::string_view option, double value, const Range& range);

template <class Options>
void validate(std::string_view rule, const Options& o) {
  auto copy = o;
  copy.fields([&](std::string_view name, auto& value, const Range& range, std::string_view) {
    if constexpr (!std::is_same_v<std::decay_t<decltype(value)>, bool>) {
      if (!range.contains(value)) throw_out_of_range(rule, name, value, range);
    }
  });
  o.check(rule);
}

// Sets one option by name from text ("0.9", "true"); throws OptionError for an unknown name or a
// value that does not parse. Range checks stay with validate().
template <class Options>
void set_option(std::string_view rule, Options& o, std::string_view name, std::string_view text);

// `range` only names the allowed values in the error; validate() checks it.
void parse_option_value(std::string_view rule, std::string_view name, std::string_view text, double& out,
                        const Range& range = {});
void parse_option_value(std::string_view rule, std::string_view name, std::string_view text, bool& out);

template <class Options>
void set_option(std::string_view rule, Options& o, std::string_view name, std::string_view text) {
  bool found = false;
  std::string known;  // for the error: the names that would have worked
  o.fields([&](std::string_view field, auto& value, const Range& range, std::string_view) {
    known += (known.empty() ? "" : ", ") + std::string(field);
    if (field == name) {
      if constexpr (std::is_same_v<std::decay_t<decltype(value)>, bool>)
        parse_option_value(rule, name, text, value);
      else
        parse_option_value(rule, name, text, value, range);
      found = true;
    }
  });
  if (!found)
    throw OptionError(std::string(rule) + ": unknown option '" + std::string(name) + "' (expected one of " + known +
                      ")");
}

// A convention's preset of an optimizer, as data: the options it sets, by name, over the
// rule's defaults (Options{}). Defined by the registry's rows (src/core/registry.cpp); throws
// OptionError for an unknown optimizer.
const std::vector<std::pair<std::string_view, double>>& preset_values(std::string_view optimizer, Convention c);

// The options of `optimizer` (a registry name whose rule takes Options) under convention c.
template <class Options>
Options preset_of(std::string_view optimizer, Convention c) {
  Options o;
  for (const auto& preset : preset_values(optimizer, c)) {
    const std::string_view name = preset.first;  // not a structured binding: lambdas capture it (clang < 16)
    const double value = preset.second;
    o.fields([&](std::string_view field, auto& x, const Range&, std::string_view) {
      if (field == name) x = static_cast<std::decay_t<decltype(x)>>(value);
    });
  }
  return o;
}

}  // namespace descent
