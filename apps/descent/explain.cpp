// descent explain OPTIMIZER: one optimizer on one scalar parameter, step by step, in the
// tutorial's notation (the library's descent::explain). Each optimizer is its own subcommand
// with its own flags, read from its registry row, so `descent explain nadam --help` shows
// nadam's options only, with their types, ranges and each convention's default.
#include "descent/explain.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "descent/detail/parse.hpp"
#include "explain_print.hpp"
#include "option_flags.hpp"
#include "parse.hpp"

namespace descent::cli {
namespace {

struct ExplainArgs {
  const OptimizerInfo* info = nullptr;
  std::vector<double> grads;  // parse_real_list: "", "1,,2" and "1,x" are errors, not zeros
  double w0 = 1.0;
  std::string convention = "seed";
  std::string format = "table";
  std::string state_dtype = "f32", state_rounding = "nearest";
  std::uint64_t state_seed = 0;
  std::vector<Flag> options;  // in the order given
};

// Each flag's value alone first, so an error names the flag as the user typed it; then all
// together, in the library (which checks the combinations and names both options).
Overrides overrides_of(const ExplainArgs& a) {
  Overrides out;
  for (const Flag& f : a.options) {
    for (const Flag& g : a.options)
      if (&g != &f && g.option == f.option)  // CLI11 calls back in flag order, not the command line's
        throw OptionError(fmt::format("{} {} and {} {} both set {}", f.flag, f.text, g.flag, g.text, f.option));
    const OptionSpec& spec = *a.info->option(f.option);
    try {
      if (spec.type == OptionType::flag) {
        bool b = false;
        parse_option_value(a.info->name, spec.name, f.text, b);
      } else {
        double x = 0;
        parse_option_value(a.info->name, spec.name, f.text, x, spec.range);
        if (!spec.range.contains(x)) throw_out_of_range(a.info->name, spec.name, x, spec.range);
      }
    } catch (const OptionError& e) {
      throw OptionError(fmt::format("{} {}: {}", f.flag, f.text, e.what()));
    }
    out.emplace_back(f.option, f.text);
  }
  return out;
}

void run(const ExplainArgs& a) {
  const Convention convention = parse_convention(a.convention);
  StateOptions state = parse_state_flags(a.state_dtype, a.state_rounding);
  state.seed = a.state_seed;
  const ExplainTable table = explain(a.info->name, convention, overrides_of(a), a.grads, a.w0, state);
  if (a.format == "csv")
    print_csv(table);
  else if (a.format == "json")
    print_json(table);
  else
    print_table(*a.info, table);
  if (table.diverged_at > 0)
    throw OptionError(fmt::format("{} diverged at step {}: w or its state is no longer finite (try a smaller --lr)",
                                  a.info->name, table.diverged_at));
}

void add_optimizer(CLI::App* explain, const OptimizerInfo& info) {
  auto args = std::make_shared<ExplainArgs>();
  args->info = &info;
  CLI::App* cmd = explain->add_subcommand(std::string(info.name), std::string(info.summary));
  cmd->add_option_function<std::string>(
         "--grads", [args](const std::string& text) { args->grads = parse_real_list("--grads", text); },
         "The gradients g_1,g_2,... fed to the optimizer")
      ->required();
  add_real(cmd, "--w0", args->w0, -std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
           "The starting weight w_1")
      ->type_name("FLOAT")
      ->default_str("1");
  cmd->add_option("--convention", args->convention, "seed (the tutorial), pytorch or keras")
      ->check(CLI::IsMember({"seed", "pytorch", "keras"}))
      ->capture_default_str();
  cmd->add_option("--format", args->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}))
      ->capture_default_str();
  add_named(cmd, "--state-dtype", args->state_dtype, parse_state_dtype,
            "How the state (m_t, V_t, ...) is stored: f32 (here float64, as the formulas), bf16 or q8 "
            "(then the parameter is float32 and the table shows each value as stored next to float32 "
            "state's; explain applies it to its one value, training only to tensors of at least "
            "--state-min-size values, 4096 by default)");
  add_named(cmd, "--state-rounding", args->state_rounding, parse_rounding,
            "bf16 and q8 state: nearest (ties to even) or stochastic");
  add_unsigned(cmd, "--state-seed", args->state_seed, std::numeric_limits<std::uint64_t>::max(),
               "The random stream of --state-rounding stochastic");
  add_optimizer_flags(cmd, info, [args](const std::string& flag, const std::string& option, const std::string& text) {
    args->options.push_back({flag, option, text});
  });
  cmd->allow_extras();  // a flag of another optimizer gets our own message, naming it
  cmd->callback([args, cmd] {
    if (!cmd->remaining().empty()) throw OptionError(not_applying(*args->info, cmd->remaining().front()));
    run(*args);
  });
}

}  // namespace

void add_explain(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("explain", "One optimizer on one scalar parameter, step by step");
  cmd->require_subcommand(0, 1);
  for (const OptimizerInfo& info : optimizers()) add_optimizer(cmd, info);
  cmd->callback([cmd] {
    if (cmd->get_subcommands().empty()) throw OptionError(optimizer_list("explain needs an optimizer"));
  });
}

}  // namespace descent::cli
