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

namespace descent {

struct ExplainRow {
  std::int64_t t = 0;
  double g = 0;
  std::optional<double> m, v;  // the first and second moments, where the optimizer keeps them
  double eta = 0;              // the step taken: w_t − w_{t+1}
  double w = 0;                // w_{t+1}
  std::vector<double> extra;   // the other state slots it keeps (ExplainTable::extra_names)
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
};

// Runs the reference path in double over one parameter that starts at w0 and sees `grads`.
// Throws OptionError for an unknown optimizer, option or value, or a non-finite w0 or gradient
// (naming its 1-based position). A step that overflows is recorded (diverged_at), not thrown:
// the rows up to it still explain what happened.
ExplainTable explain(std::string_view optimizer, Convention convention, const Overrides& overrides,
                     std::span<const double> grads, double w0 = 1.0);

}  // namespace descent
