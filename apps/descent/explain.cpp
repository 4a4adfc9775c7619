// descent explain: one optimizer on one scalar parameter, step by step, in the tutorial's
// notation. Its flags and output formats are a contract (README, docs/cli.md).
#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "descent/registry.hpp"
#include "option_flags.hpp"

namespace descent::cli {
namespace {

struct ExplainArgs {
  std::string optimizer;
  std::vector<double> grads;
  double w0 = 1.0;
  std::optional<double> lr, beta, beta1, beta2, eps;
  std::string convention = "seed";
  std::string format = "table";
  // Every other option, by its kebab-case flag (--weight-decay 0.01): option name → text.
  std::vector<std::pair<std::string, std::string>> options;
};

struct Row {
  std::int64_t t;
  double g;
  std::optional<double> m, v;
  double eta, w;
  std::vector<double> extra;  // the other state slots the optimizer keeps, in slot order
};

std::string text(double x) { return fmt::format("{:.17g}", x); }

void run_explain(const ExplainArgs& a) {
  const Convention convention = parse_convention(a.convention);
  const OptimizerInfo& info = optimizer_info(a.optimizer);
  std::vector<std::pair<std::string, std::string>> overrides;
  auto tutorial_flag = [&](const char* flag, const std::optional<double>& value, std::string_view option) {
    if (!value) return;
    if (option.empty()) throw OptionError(fmt::format("--{} does not apply to {}", flag, info.name));
    overrides.emplace_back(std::string(option), text(*value));
  };
  if (a.lr) overrides.emplace_back("lr", text(*a.lr));
  tutorial_flag("beta", a.beta, info.beta);
  tutorial_flag("beta1", a.beta1, info.beta1);
  tutorial_flag("beta2", a.beta2, info.beta2);
  std::vector<double> probe_w{0.0}, probe_g{0.0};
  const auto probe = make_optimizer(info.name, {Param("w", std::span(probe_w), std::span(probe_g))}, convention);
  auto has_option = [&](std::string_view name) {
    for (const auto& o : probe->option_values())
      if (o.name == name) return true;
    return false;
  };
  if (a.eps) {
    if (!has_option("eps")) throw OptionError(fmt::format("--eps does not apply to {}", info.name));
    overrides.emplace_back("eps", text(*a.eps));
  }
  for (const auto& [name, value] : a.options) {
    if (!has_option(name)) throw OptionError(fmt::format("--{} does not apply to {}", kebab(name), info.name));
    overrides.emplace_back(name, value);
  }
  if (!std::isfinite(a.w0)) throw OptionError(fmt::format("--w0 {} is not a finite number", a.w0));
  for (std::size_t i = 0; i < a.grads.size(); ++i)
    if (!std::isfinite(a.grads[i]))
      throw OptionError(fmt::format("--grads: value {} ({}) is not a finite number", i + 1, a.grads[i]));

  std::vector<double> w{a.w0}, g{0.0};
  auto opt = make_optimizer(info.name, {Param("w", std::span(w), std::span(g))}, convention, overrides);
  opt->set_reference(true);
  // State beyond m and v (Adamax's u, AMSGrad's v_max, ...): extra columns after the contract's.
  std::vector<std::string_view> extra;
  for (auto s : opt->slot_names())
    if (s != "m" && s != "v" && opt->state(0, s)) extra.push_back(s);
  std::vector<Row> rows;
  for (double gt : a.grads) {
    g[0] = gt;
    const double before = w[0];
    opt->step();
    auto slot = [&](std::string_view name) -> std::optional<double> {
      for (auto s : opt->slot_names())
        if (s == name) {
          SlotView view = opt->state(0, name);
          if (view) return view.as<double>()[0];
        }
      return std::nullopt;
    };
    rows.push_back({opt->t(), gt, slot("m"), slot("v"), before - w[0], w[0], {}});
    for (auto s : extra) rows.back().extra.push_back(*slot(s));
  }

  if (a.format == "csv") {
    fmt::print("t,g,m,v,eta,w");
    for (auto s : extra) fmt::print(",{}", s);
    fmt::print("\n");
    for (const Row& r : rows) {
      fmt::print("{},{},{},{},{},{}", r.t, text(r.g), r.m ? text(*r.m) : "", r.v ? text(*r.v) : "", text(r.eta),
                 text(r.w));
      for (double x : r.extra) fmt::print(",{}", text(x));
      fmt::print("\n");
    }
    return;
  }
  if (a.format == "json") {
    nlohmann::ordered_json j;
    j["optimizer"] = info.name;
    j["convention"] = to_string(convention);
    j["options"] = nlohmann::ordered_json::object();
    for (const auto& o : opt->option_values())
      j["options"][std::string(o.name)] =
          o.is_flag ? nlohmann::ordered_json(o.value != 0) : nlohmann::ordered_json(o.value);
    j["w0"] = a.w0;
    j["steps"] = nlohmann::ordered_json::array();
    for (const Row& r : rows) {
      nlohmann::ordered_json s;
      s["t"] = r.t;
      s["g"] = r.g;
      s["m"] = r.m ? nlohmann::ordered_json(*r.m) : nlohmann::ordered_json(nullptr);
      s["v"] = r.v ? nlohmann::ordered_json(*r.v) : nlohmann::ordered_json(nullptr);
      s["eta"] = r.eta;
      s["w"] = r.w;
      for (std::size_t k = 0; k < extra.size(); ++k) s[std::string(extra[k])] = r.extra[k];
      j["steps"].push_back(s);
    }
    fmt::print("{}\n", j.dump(2));
    return;
  }
  fmt::print("{} ({} convention): {}\n", info.name, to_string(convention), info.summary);
  fmt::print("  {}\n", info.formula);
  std::string opts;
  for (const auto& o : opt->option_values())
    if (!o.is_flag || o.value != 0)
      opts += fmt::format(" {}={}", o.name, o.is_flag ? "true" : fmt::format("{:g}", o.value));
  fmt::print("  options:{}\n  w_1 = {:g}\n\n", opts, a.w0);
  fmt::print("{:>5}  {:>13}  {:>13}  {:>13}  {:>13}  {:>13}", "t", "g_t", "m_t", "V_t", "eta_t", "w_{t+1}");
  for (auto s : extra) fmt::print("  {:>13}", fmt::format("{}_t", s));
  fmt::print("\n");
  auto cell = [](const std::optional<double>& x) {
    return x ? fmt::format("{:>13.6g}", *x) : fmt::format("{:>13}", "-");
  };
  for (const Row& r : rows) {
    fmt::print("{:>5}  {:>13.6g}  {}  {}  {:>13.6g}  {:>13.6g}", r.t, r.g, cell(r.m), cell(r.v), r.eta, r.w);
    for (double x : r.extra) fmt::print("  {:>13.6g}", x);
    fmt::print("\n");
  }
}

}  // namespace

void add_explain(CLI::App& app) {
  auto args = std::make_shared<ExplainArgs>();
  CLI::App* cmd = app.add_subcommand("explain", "One optimizer on one scalar parameter, step by step");
  std::vector<std::string> names;
  for (const auto& info : optimizers()) names.emplace_back(info.name);
  cmd->add_option("optimizer", args->optimizer, "The optimizer")->required()->check(CLI::IsMember(names));
  cmd->add_option("--grads", args->grads, "The gradients g_1,g_2,... fed to the optimizer")->required()->delimiter(',');
  cmd->add_option("--w0", args->w0, "The starting weight w_1 (default 1)");
  cmd->add_option("--lr", args->lr, "Learning rate (default: the convention's)");
  add_tutorial_flags(cmd, args->beta, args->beta1, args->beta2, args->eps);
  cmd->add_option("--convention", args->convention, "seed (the tutorial), pytorch or keras")
      ->check(CLI::IsMember({"seed", "pytorch", "keras"}));
  cmd->add_option("--format", args->format, "table, csv or json")->check(CLI::IsMember({"table", "csv", "json"}));
  // The other options by torch.optim's names in kebab case; each applies where the optimizer has it.
  add_option_flags(
      cmd, [args](const std::string& name, const std::string& value) { args->options.emplace_back(name, value); });
  cmd->callback([args] { run_explain(*args); });
}

}  // namespace descent::cli
