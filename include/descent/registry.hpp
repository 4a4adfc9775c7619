#pragma once
// The registry: one row per optimizer (src/core/registry.cpp), and everything else reads it —
// dispatch, the CLI's flags and help, explain, minimize, the lab, the docs' option tables, the
// cross-cutting tests, and the JSON that the Python package and the browser read. A row names
// the optimizer's rule, its preset per convention (as data: the options each convention sets),
// the tutorial's β mapping and what each state slot is kept for; its options, their ranges and
// one-line docs come from the rule's Options::fields().
#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "descent/optimizer.hpp"

namespace descent {

using Overrides = std::vector<std::pair<std::string, std::string>>;  // option name → text, in order

enum class OptionType { real, flag };
const char* to_string(OptionType t);

struct OptionSpec {
  std::string_view name;  // "momentum"
  OptionType type = OptionType::real;
  Range range;                     // a flag's is [0, 1]
  std::string_view doc;            // one line
  std::array<double, 3> defaults;  // by Convention (seed, pytorch, keras); a flag's as 0 or 1
  double default_for(Convention c) const { return defaults[std::size_t(c)]; }
};

struct SlotSpec {
  std::string_view name;       // "m"
  std::string_view kept_when;  // "always", or the options that keep it: "momentum > 0", "amsgrad"
};

struct OptimizerInfo {
  std::string_view name;     // "sgdm"
  std::string_view rule;     // "sgd": the update rule it runs (rules/*.hpp)
  std::string_view summary;  // one line
  // The options the tutorial calls β, β1 and β2 ("" where the optimizer has none).
  std::string_view beta, beta1, beta2;
  std::vector<OptionSpec> options;  // in the rule's order
  std::vector<SlotSpec> slots;
  bool needs_sums = false;  // per-tensor sums before the update (LAMB's trust ratio)
  // Each convention's preset: the options it sets over the rule's defaults, by name.
  std::array<std::vector<std::pair<std::string_view, double>>, 3> presets;

  const OptionSpec* option(std::string_view name) const;  // nullptr if it has none of that name
  bool has_option(std::string_view name) const { return option(name) != nullptr; }
  bool has_eps() const { return has_option("eps"); }
  // Builds it over `params`: see make_optimizer.
  std::unique_ptr<Optimizer> make(std::vector<Param> params, Convention convention, const Overrides& overrides = {},
                                  const std::vector<std::string>& no_decay = {}) const {
    return build(*this, std::move(params), convention, overrides, no_decay);
  }

  // The rule's builder, set by the row.
  std::unique_ptr<Optimizer> (*build)(const OptimizerInfo& self, std::vector<Param> params, Convention convention,
                                      const Overrides& overrides, const std::vector<std::string>& no_decay) = nullptr;
};

// Every optimizer, in the order the docs and the CLI list them.
const std::vector<OptimizerInfo>& optimizers();
const OptimizerInfo& optimizer_info(std::string_view name);  // throws OptionError naming the choices

// Builds `name` over `params` with the convention's preset, then applies `overrides`
// (option name → text) in order, then validates the options together. Throws OptionError for an
// unknown name, option or bad value.
std::unique_ptr<Optimizer> make_optimizer(std::string_view name, std::vector<Param> params,
                                          Convention convention = Convention::pytorch, const Overrides& overrides = {},
                                          const std::vector<std::string>& no_decay = {});
// no_decay: name patterns (decay.hpp, glob_match) of parameters put in a second group with
// weight_decay = 0 and otherwise the same options; group 0 holds the others.

// The whole registry as JSON (docs/optimizers.md, "The registry as JSON"): what
// `descent optimizers --format json` prints and the Python package and the browser read.
std::string registry_json();

}  // namespace descent
