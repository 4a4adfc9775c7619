// descent minimize: several optimizers on one test function, side by side; with --out, the
// trajectories as CSV and a contour plot of their paths (minimize_plot.cpp).
#include "descent/minimize.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "descent/functions.hpp"
#include "descent/registry.hpp"
#include "files.hpp"
#include "minimize_plot.hpp"
#include "option_flags.hpp"
#include "parse.hpp"

namespace descent::cli {
namespace {

// Every step's point is kept (the CSVs, the pictures): beyond this a run would exhaust memory.
constexpr std::int64_t max_steps = 10000000;

struct MinimizeArgs {
  std::string function;
  std::vector<std::string> optimizers{"sgd", "sgdm", "adagrad", "rmsprop", "adam"};
  std::vector<std::string> lr;  // "0.1" for all, or "adam=0.1" for one
  std::optional<std::int64_t> steps;
  std::vector<double> start;
  std::optional<std::int64_t> dim;
  double tol = 1e-6;
  std::optional<double> beta, beta1, beta2, eps;
  std::string convention = "seed";
  std::string format = "table";
  std::string out;
  bool animate = false;
};

struct Run {
  std::string optimizer;
  double lr = 0;
  std::vector<double> x;
  double value = 0;
  std::int64_t steps = 0;
  std::optional<std::int64_t> steps_to_tol;
  std::optional<std::int64_t> diverged_at;
  double seconds = 0;
  std::vector<std::vector<double>> trajectory;
  std::vector<double> values;
};

std::string text(double x) { return fmt::format("{:.17g}", x); }

// Without --lr, the seed convention takes the function's picture preset (playground_preset):
// the table and the key show the rates used. Other conventions use their own lr.
std::string point(const std::vector<double>& x) {
  std::string s = "(";
  for (std::size_t i = 0; i < x.size(); ++i) s += fmt::format("{}{:.6g}", i ? ", " : "", x[i]);
  return s + ")";
}

// Records the first step at which f − f* ≤ tol; never stops the run, so that every path has its
// full length in the picture.
class FirstWithin final : public Callback<double> {
 public:
  FirstWithin(double target) : target_(target) {}
  std::string name() const override { return "tolerance"; }
  void begin(const Progress<double>& p) override { check(p); }
  Flow after_step(const Progress<double>& p) override {
    check(p);
    return Flow::go_on;
  }
  std::optional<std::int64_t> step;

 private:
  void check(const Progress<double>& p) {
    if (!step && p.value <= target_) step = p.step;
  }
  double target_;
};

// The option overrides of one optimizer from the flags; a flag that no chosen optimizer has is an error.
std::vector<std::pair<std::string, std::string>> overrides_for(const MinimizeArgs& a, const OptimizerInfo& info) {
  std::vector<std::pair<std::string, std::string>> o;
  auto tutorial = [&](const std::optional<double>& v, std::string_view option) {
    if (v && !option.empty()) o.emplace_back(std::string(option), text(*v));
  };
  tutorial(a.beta, info.beta);
  tutorial(a.beta1, info.beta1);
  tutorial(a.beta2, info.beta2);
  if (a.eps && info.name != "sgd" && info.name != "sgdm") o.emplace_back("eps", text(*a.eps));
  return o;
}

void check_flags_apply(const MinimizeArgs& a) {
  auto any = [&](const std::optional<double>& v, const char* flag, auto has) {
    if (!v) return;
    for (const auto& name : a.optimizers)
      if (has(optimizer_info(name))) return;
    throw OptionError(fmt::format("--{} does not apply to any of the optimizers chosen", flag));
  };
  any(a.beta, "beta", [](const OptimizerInfo& i) { return !i.beta.empty(); });
  any(a.beta1, "beta1", [](const OptimizerInfo& i) { return !i.beta1.empty(); });
  any(a.beta2, "beta2", [](const OptimizerInfo& i) { return !i.beta2.empty(); });
  any(a.eps, "eps", [](const OptimizerInfo& i) { return i.name != "sgd" && i.name != "sgdm"; });
}

// --lr entries: a number for every optimizer, or NAME=number for one.
std::map<std::string, std::string> parse_lr(const MinimizeArgs& a, Convention convention) {
  std::map<std::string, std::string> lr;
  if (const PlaygroundPreset* p = playground_preset(a.function); p && convention == Convention::seed)
    for (const auto& [name, value] : p->lr) lr[std::string(name)] = text(value);
  std::set<std::string> given;  // a second value for the same optimizer would silently win
  for (const std::string& item : a.lr) {
    const auto eq = item.find('=');
    const std::string name = eq == std::string::npos ? "" : item.substr(0, eq);
    if (!given.insert(name).second)
      throw OptionError(name.empty() ? fmt::format("--lr: more than one rate for every optimizer ({})", item)
                                     : fmt::format("--lr: {} is given twice (second: {})", name, item));
    const std::string value = eq == std::string::npos ? item : item.substr(eq + 1);
    if (!name.empty() && std::find(a.optimizers.begin(), a.optimizers.end(), name) == a.optimizers.end())
      throw OptionError(fmt::format("--lr {}: {} is not one of --optimizers", item, name));
    if (name.empty())
      for (const auto& o : a.optimizers) lr[o] = value;
    else
      lr[name] = value;
  }
  return lr;
}

void run_minimize(const MinimizeArgs& a) {
  const Convention convention = parse_convention(a.convention);
  test_function_info(a.function);  // unknown names first
  for (std::size_t i = 0; i < a.optimizers.size(); ++i) {
    optimizer_info(a.optimizers[i]);
    for (std::size_t j = 0; j < i; ++j)
      if (a.optimizers[j] == a.optimizers[i])
        throw OptionError(fmt::format("--optimizers lists {} twice", a.optimizers[i]));
  }
  check_flags_apply(a);
  const PlaygroundPreset* preset = playground_preset(a.function);
  const std::int64_t steps = a.steps.value_or(preset ? preset->steps : 200);
  if (!(a.tol >= 0)) throw OptionError(fmt::format("--tol {} must be a number >= 0", a.tol));
  const std::size_t dim = a.dim ? std::size_t(*a.dim) : a.start.empty() ? 2 : a.start.size();
  auto f = make_test_function(a.function, dim);
  if (!a.start.empty() && a.start.size() != dim)
    throw OptionError(fmt::format("--start has {} values but --dim is {}", a.start.size(), dim));
  for (std::size_t i = 0; i < a.start.size(); ++i)
    if (!std::isfinite(a.start[i]))
      throw OptionError(fmt::format("--start: value {} ({}) is not a finite number", i + 1, a.start[i]));
  const std::vector<double> start = a.start.empty() ? f->start() : a.start;
  const auto lr = parse_lr(a, convention);
  if (a.animate && a.out.empty()) throw OptionError("--animate needs --out DIR");
  if (!a.out.empty()) {
    prepare_output_dir(a.out, "--out");
    if (dim == 2) check_gnuplot();
  }

  // Every optimizer is built once before any run, so that a bad option fails before the first run.
  std::vector<MakeOptimizer> makers;
  std::vector<Run> runs;
  for (const auto& name : a.optimizers) {
    auto overrides = overrides_for(a, optimizer_info(name));
    if (lr.count(name)) overrides.emplace_back("lr", lr.at(name));
    makers.push_back(from_registry(name, convention, overrides));
    std::vector<double> x0 = start, g0(dim);
    Run run;
    run.optimizer = name;
    run.x = start;
    run.lr = makers.back()({Param("x", x0, g0)})->lr();  // the rate used: the convention's unless --lr
    runs.push_back(std::move(run));
  }

  Objective<double> objective(*f);
  for (std::size_t k = 0; k < runs.size(); ++k) {
    Run& run = runs[k];
    const MakeOptimizer& make = makers[k];
    RecordTrajectory<double> path;
    FirstWithin within(f->minimum() + a.tol);
    try {
      MinimizeResult r = minimize<double>(objective, run.x, make, {.max_steps = steps}, {&path, &within});
      run.steps = r.steps;
      run.value = r.value;
      run.seconds = r.seconds;
    } catch (const NonFiniteError& e) {
      if (e.step() == 0)  // f overflows at the start point itself: the start is the problem
        throw OptionError(fmt::format("{} is not finite at the start point {}", f->name(), point(start)));
      // The optimizer overshot until f overflowed: a result worth showing, not bad input.
      run.diverged_at = e.step();
      run.steps = e.step();
    }
    run.steps_to_tol = within.step;
    run.trajectory = path.points();
    run.values = path.values();
    if (run.diverged_at) {  // report the last point where f was finite
      run.x = run.trajectory.back();
      run.value = run.values.back();
    }
  }

  std::vector<std::string> written;
  if (!a.out.empty()) {
    std::vector<PlotRun> plot_runs;
    for (const Run& r : runs)
      plot_runs.push_back({r.optimizer,
                           fmt::format("{} lr {:g}{}", r.optimizer, r.lr,
                                       r.diverged_at ? fmt::format(" (diverged, step {})", *r.diverged_at) : ""),
                           r.trajectory, r.values});
    write_trajectories(a.out, *f, plot_runs);
    for (const Run& r : runs) written.push_back(fmt::format("{}/{}_{}.csv", a.out, f->name(), r.optimizer));
    if (dim == 2)
      for (const auto& p : plot_paths(a.out, *f, plot_runs, {to_string(convention), steps, a.animate}))
        written.push_back(p.string());
  }

  const auto minimizers = f->minimizers();
  if (a.format == "json") {
    nlohmann::ordered_json j;
    j["function"] = f->name();
    j["dim"] = dim;
    j["convention"] = to_string(convention);
    j["start"] = start;
    j["minimum"] = f->minimum();
    j["minimizers"] = minimizers;
    j["tol"] = a.tol;
    j["runs"] = nlohmann::ordered_json::array();
    for (const Run& r : runs) {
      nlohmann::ordered_json o;
      o["optimizer"] = r.optimizer;
      o["lr"] = r.lr;
      o["final_x"] = r.x;
      o["final_value"] = r.value;
      o["distance_to_optimum"] = f->distance_to_optimum(r.x);
      o["steps"] = r.steps;
      o["steps_to_tol"] = r.steps_to_tol ? nlohmann::ordered_json(*r.steps_to_tol) : nlohmann::ordered_json(nullptr);
      o["diverged_at"] = r.diverged_at ? nlohmann::ordered_json(*r.diverged_at) : nlohmann::ordered_json(nullptr);
      o["seconds"] = r.seconds;
      o["trajectory"] = r.trajectory;
      j["runs"].push_back(o);
    }
    if (!written.empty()) j["files"] = written;
    fmt::print("{}\n", j.dump());
    return;
  }
  fmt::print("{} ({}-D), {} convention, start {}, {} steps; minimum {:g} at {}{}\n", f->name(), dim,
             to_string(convention), point(start), steps, f->minimum(), point(minimizers[0]),
             minimizers.size() > 1 ? fmt::format(" and {} more", minimizers.size() - 1) : "");
  fmt::print("{:<9} {:>9}  {:<28} {:>12} {:>12} {:>13} {:>10}\n", "optimizer", "lr", "final x", "final f",
             "dist to opt", fmt::format("steps f-f*<={:g}", a.tol), "time");
  for (const Run& r : runs) {
    const std::string tol = r.diverged_at    ? fmt::format("diverged@{}", *r.diverged_at)
                            : r.steps_to_tol ? std::to_string(*r.steps_to_tol)
                                             : "-";
    fmt::print("{:<9} {:>9.3g}  {:<28} {:>12.6g} {:>12.4g} {:>13} {:>10}\n", r.optimizer, r.lr, point(r.x), r.value,
               f->distance_to_optimum(r.x), tol, r.diverged_at ? "-" : fmt::format("{:.3f}ms", r.seconds * 1e3));
  }
  for (const auto& w : written) fmt::print("wrote {}\n", w);
  if (!a.out.empty() && dim != 2) fmt::print("no contour plot: {} is {}-D here, plots are 2-D\n", f->name(), dim);
}

}  // namespace

void add_minimize(CLI::App& app) {
  auto args = std::make_shared<MinimizeArgs>();
  CLI::App* cmd =
      app.add_subcommand("minimize", "Optimizers side by side on a test function, with a picture of their paths");
  std::string functions;
  for (const auto& info : test_functions()) functions += (functions.empty() ? "" : ", ") + std::string(info.name);
  cmd->add_option("function", args->function, "The test function: " + functions)->required();
  add_list(cmd, "--optimizers", args->optimizers, "Optimizers to run (default: all five)");
  add_list(cmd, "--lr", args->lr,
           "Learning rate for all (0.01) or per optimizer (sgd=0.001,adam=0.1); default: the convention's, "
           "except that in the seed convention steep functions have rates that keep every path on the picture");
  add_integer(cmd, "--steps", args->steps, 0, max_steps,
              "Steps per optimizer (default: 200, or the function's picture preset)");
  cmd->add_option_function<std::string>(
      "--start", [args](const std::string& t) { args->start = parse_real_list("--start", t); },
      "Start point X,Y[,...] (default: the function's classic start)");
  add_integer(cmd, "--dim", args->dim, 1, 1000000, "Dimension (default: that of --start, else 2)");
  add_real(cmd, "--tol", args->tol, 0, std::numeric_limits<double>::max(),
           "Tolerance on f - f* for 'steps to tolerance' (default 1e-6)");
  add_tutorial_flags(cmd, args->beta, args->beta1, args->beta2, args->eps);
  cmd->add_option("--convention", args->convention, "seed (the tutorial), pytorch or keras")
      ->check(CLI::IsMember({"seed", "pytorch", "keras"}));
  cmd->add_option("--format", args->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("--out", args->out, "Directory for trajectory CSVs and (2-D) the contour plot, PNG and SVG");
  cmd->add_flag("--animate", args->animate, "With --out: also an animated GIF of the paths");
  cmd->callback([args] { run_minimize(*args); });
}

}  // namespace descent::cli
