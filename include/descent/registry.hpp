#pragma once
// Every optimizer by its command-line name, with its convention presets. The CLI, the training
// lab and the cross-rule tests reach the optimizers only through here, so a new rule is one
// entry in src/core/registry.cpp.
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "descent/optimizer.hpp"

namespace descent {

struct OptimizerInfo {
  std::string_view name;     // "sgdm"
  std::string_view summary;  // one line
  std::string_view formula;  // the tutorial's update, for people
  std::string_view beta;     // the option the tutorial calls β ("" if none)
  std::string_view beta1;    // likewise β1, β2
  std::string_view beta2;
};

const std::vector<OptimizerInfo>& optimizers();
const OptimizerInfo& optimizer_info(std::string_view name);  // throws OptionError naming the choices

// Builds `name` over `params` with the convention's preset, then applies `overrides`
// (option name → text) in order. Throws OptionError for an unknown name, option or bad value.
std::unique_ptr<Optimizer> make_optimizer(std::string_view name, std::vector<Param> params,
                                          Convention convention = Convention::pytorch,
                                          const std::vector<std::pair<std::string, std::string>>& overrides = {},
                                          const std::vector<std::string>& no_decay = {});
// no_decay: name patterns (decay.hpp, glob_match) of parameters put in a second group with
// weight_decay = 0 and otherwise the same options; group 0 holds the others.

}  // namespace descent
