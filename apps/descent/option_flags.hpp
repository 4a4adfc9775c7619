#pragma once
// Optimizer options as command-line flags, all read from the registry (descent/registry.hpp):
// each option is --<kebab name> (--weight-decay, --momentum-decay, ...), typed and documented as
// its row says. The library names options; this file is where options become flags.
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "descent/registry.hpp"

namespace descent::cli {

std::string kebab(std::string name);  // weight_decay → weight-decay

// What --help shows for one option: its doc, type and range, and each convention's default.
std::string option_help(const OptimizerInfo& info, const OptionSpec& option);
std::string type_name(const OptionSpec& option);  // "FLOAT in [0, 1)", "BOOL"

// The tutorial's flags for the commands that run several optimizers at once (train, compare,
// minimize): --beta (aliases --momentum, --alpha, --rho: the option each optimizer calls β),
// --beta1, --beta2, --eps.
void add_tutorial_flags(CLI::App* cmd, std::optional<double>& beta, std::optional<double>& beta1,
                        std::optional<double>& beta2, std::optional<double>& eps);

// Every option name of every optimizer in the registry, besides the tutorial's flags (--lr,
// --beta and its aliases, --beta1, --beta2, --eps), which keep their meaning.
std::vector<std::string> other_option_names();

// Adds --<kebab name> for each of other_option_names() but those in `except` (names the command
// gives another meaning); `on_value(name, text)` sees each use.
void add_option_flags(CLI::App* cmd, std::function<void(const std::string&, const std::string&)> on_value,
                      const std::vector<std::string>& except = {});

// One optimizer's own flags (descent explain OPTIMIZER): --<kebab name> for each of its options,
// plus --beta for the option the tutorial calls β where that option has another name (sgdm's
// momentum, adadelta's rho). `on_value(flag as typed, option name, text)` sees each use.
void add_optimizer_flags(CLI::App* cmd, const OptimizerInfo& info,
                         std::function<void(const std::string&, const std::string&, const std::string&)> on_value);

}  // namespace descent::cli
