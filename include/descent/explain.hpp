#pragma once
// explain: one optimizer on one scalar parameter, step by step, in the tutorial's notation —
// g_t, m_t, V_t, the step η_t and w_{t+1}. What `descent explain` prints, what the Python
// package returns as arrays and what the browser shows under the cursor: one computation.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "descent/registry.hpp"
#include "descent/state.hpp"

namespace descent {

// One state slot after a step, under low-bit state (docs/lowbit.md): how it is stored, and what
// float32 state would hold instead.
struct ExplainStored {
  double f32 = 0;          // the slot in the same run over float32 state: what rounding changed
  std::uint32_t code = 0;  // bf16: the value's 16 bits; q8: its 8-bit code
  double scale = 0;        // q8: the block's scale, its largest magnitude (here the value's own); bf16: 0
};

struct ExplainRow {
  std::int64_t t = 0;
  double g = 0;
  std::optional<double> m, v;  // the first and second moments, where the optimizer keeps them
  double eta = 0;              // the step taken: w_t − w_{t+1}
  double w = 0;                // w_{t+1}
  std::vector<double> extra;   // the other state slots it keeps (ExplainTable::extra_names)
  // Low-bit state only (ExplainTable::state.dtype bf16 or q8): one per ExplainTable::stored_names,
  // and w_{t+1} of the run over float32 state.
  std::vector<ExplainStored> stored;
  double w_f32 = 0;
};

struct ExplainTable {
  std::string optimizer;
  Convention convention = Convention::seed;
  std::vector<Optimizer::OptionValue> options;  // every option as the steps used it
  std::vector<std::string> extra_names;         // slots beyond m and v: Adamax's u, AMSGrad's v_max, ...
  double w0 = 0;
  std::vector<ExplainRow> rows;
  // The first step whose w or state is not finite (1-based), or 0: the run diverged there.
  std::int64_t diverged_at = 0;
  // How the state is stored. f32: the parameter and its state are float64, as the formulas are
  // written. bf16, q8: the parameter is float32 (low-bit state applies to float32 parameters)
  // and min_size is 0, so that the one value gets the low-bit state a large tensor would.
  StateOptions state;
  std::vector<std::string> stored_names;  // low-bit state: the slots kept, m and v first, then extra_names
};

// Runs the reference path over one parameter that starts at w0 and sees `grads`, its state
// stored as `state` says (min_size ignored: see ExplainTable::state). Throws OptionError for an
// unknown optimizer, option or value, a state rounding that does not apply, low-bit state for an
// optimizer that keeps none, or a non-finite w0 or gradient (naming its 1-based position; with
// low-bit state, one beyond float32's range). A step that overflows is recorded (diverged_at),
// not thrown: the rows up to it still explain what happened.
ExplainTable explain(std::string_view optimizer, Convention convention, const Overrides& overrides,
                     std::span<const double> grads, double w0 = 1.0, const StateOptions& state = {});

}  // namespace descent
