#include "option_flags.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace descent::cli {

std::string kebab(std::string name) {
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

std::string type_name(const OptionSpec& option) {
  if (option.type == OptionType::flag) return "BOOL";
  return "FLOAT in " + option.range.to_string();
}

std::string option_help(const OptimizerInfo& info, const OptionSpec& option) {
  std::string defaults;
  for (Convention c : {Convention::seed, Convention::pytorch, Convention::keras}) {
    const double d = option.default_for(c);
    const std::string value = option.type == OptionType::flag ? (d != 0 ? "true" : "false") : format_number(d);
    defaults += fmt::format("{}{} {}", defaults.empty() ? "" : ", ", to_string(c), value);
  }
  std::string tutorial;
  if (option.name == info.beta) tutorial = " (the tutorial's beta)";
  return fmt::format("{}{}; default {}", option.doc, tutorial, defaults);
}

void add_tutorial_flags(CLI::App* cmd, std::optional<double>& beta, std::optional<double>& beta1,
                        std::optional<double>& beta2, std::optional<double>& eps) {
  cmd->add_option("--beta,--momentum,--alpha,--rho", beta, "The tutorial's beta: SGDM's momentum, RMSProp's decay");
  cmd->add_option("--beta1", beta1, "Adam's first-moment decay (and its kin's)");
  cmd->add_option("--beta2", beta2, "Adam's second-moment decay (and its kin's)");
  cmd->add_option("--eps", eps, "Epsilon, where the optimizer has one (the seed convention has none)");
}

std::vector<std::string> other_option_names() {
  const std::vector<std::string> taken{"lr", "eps", "beta", "momentum", "alpha", "rho", "beta1", "beta2"};
  std::vector<std::string> names;
  for (const auto& info : optimizers())
    for (const OptionSpec& o : info.options) {
      const std::string name(o.name);
      auto in = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), name) != v.end(); };
      if (!in(taken) && !in(names)) names.push_back(name);
    }
  return names;
}

// The type of an option of that name, from the first optimizer that has it: the same name has
// the same type across the registry (a registry test checks it).
static const OptionSpec& any_option(const std::string& name) {
  for (const auto& info : optimizers())
    if (const OptionSpec* o = info.option(name)) return *o;
  throw Error("no optimizer has an option '" + name + "'");
}

void add_option_flags(CLI::App* cmd, std::function<void(const std::string&, const std::string&)> on_value,
                      const std::vector<std::string>& except) {
  for (const std::string& name : other_option_names()) {
    if (std::find(except.begin(), except.end(), name) != except.end()) continue;
    const OptionSpec& o = any_option(name);
    cmd->add_option_function<std::string>(
           "--" + kebab(name), [on_value, name](const std::string& value) { on_value(name, value); },
           std::string(o.doc) + " (where the optimizer has it)")
        ->type_name(o.type == OptionType::flag ? "BOOL" : "FLOAT");
  }
}

void add_optimizer_flags(CLI::App* cmd, const OptimizerInfo& info,
                         std::function<void(const std::string&, const std::string&, const std::string&)> on_value) {
  auto add = [&](const std::string& flag, const OptionSpec& o, const std::string& help) {
    const std::string name(o.name);
    cmd->add_option_function<std::string>(
           flag, [on_value, flag, name](const std::string& value) { on_value(flag, name, value); }, help)
        ->type_name(type_name(o));
  };
  for (const OptionSpec& o : info.options) add("--" + kebab(std::string(o.name)), o, option_help(info, o));
  if (!info.beta.empty() && info.beta != "beta")
    add("--beta", *info.option(info.beta), "The tutorial's beta: the same as --" + kebab(std::string(info.beta)));
}

}  // namespace descent::cli
