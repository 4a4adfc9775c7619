#include "option_flags.hpp"

#include <algorithm>
#include <span>

#include "descent/registry.hpp"

namespace descent::cli {

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
  for (const auto& info : optimizers()) {
    std::vector<double> w{0.0}, g{0.0};
    auto opt = make_optimizer(info.name, {Param("w", std::span(w), std::span(g))});
    for (const auto& o : opt->option_values()) {
      const std::string name(o.name);
      auto in = [&](const std::vector<std::string>& v) { return std::find(v.begin(), v.end(), name) != v.end(); };
      if (!in(taken) && !in(names)) names.push_back(name);
    }
  }
  return names;
}

std::string kebab(std::string name) {
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

void add_option_flags(CLI::App* cmd, std::function<void(const std::string&, const std::string&)> on_value,
                      const std::vector<std::string>& except) {
  for (const std::string& name : other_option_names())
    if (std::find(except.begin(), except.end(), name) == except.end())
      cmd->add_option_function<std::string>(
          "--" + kebab(name), [on_value, name](const std::string& value) { on_value(name, value); },
          "Option " + name + " (where the optimizer has it)");
}

}  // namespace descent::cli
