#pragma once
// Every optimizer option as a kebab-case flag (--weight-decay, --momentum-decay, ...), named as
// torch.optim names them. explain, train and compare share them; each command decides what a
// flag that its optimizer lacks means.
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace descent::cli {

// The tutorial's flags, the same in every command: --beta (aliases --momentum, --alpha, --rho:
// the option each optimizer calls β), --beta1, --beta2, --eps.
void add_tutorial_flags(CLI::App* cmd, std::optional<double>& beta, std::optional<double>& beta1,
                        std::optional<double>& beta2, std::optional<double>& eps);

// Every option name of every optimizer in the registry, besides the tutorial's flags (--lr,
// --beta and its aliases, --beta1, --beta2, --eps), which keep their meaning.
std::vector<std::string> other_option_names();
std::string kebab(std::string name);  // weight_decay → weight-decay

// Adds --<kebab name> for each of other_option_names() but those in `except` (names the command
// gives another meaning); `on_value(name, text)` sees each use.
void add_option_flags(CLI::App* cmd, std::function<void(const std::string&, const std::string&)> on_value,
                      const std::vector<std::string>& except = {});

}  // namespace descent::cli
