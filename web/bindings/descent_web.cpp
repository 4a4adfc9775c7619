// The JavaScript API of the playground page: a few C functions over the library, JSON in and out,
// and the bulk numbers (trajectories, contour grids) in one buffer of doubles that JavaScript
// reads in place. Every number the page shows is computed here, by the library; the page only
// draws. web/page/api.mjs wraps these functions; docs/web.md describes the API.
#include <cmath>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "descent/functions.hpp"
#include "descent/minimize.hpp"
#include "descent/registry.hpp"

namespace {

using json = nlohmann::ordered_json;
using namespace descent;

std::string answer;           // the last JSON answer; JavaScript copies it before the next call
std::vector<double> numbers;  // the last answer's bulk numbers

// Appends values to the buffer; returns [offset, count] for the answer to name them.
json column(const std::vector<double>& values) {
  json where = {numbers.size(), values.size()};
  numbers.insert(numbers.end(), values.begin(), values.end());
  return where;
}

const char* reply(const json& j) {
  answer = j.dump();
  return answer.c_str();
}

template <class F>
const char* guarded(F&& body) {
  try {
    return reply(body());
  } catch (const std::exception& e) {
    return reply(json{{"error", e.what()}});
  }
}

// A function the page can draw: 2-D.
bool drawable(const FunctionInfo& info) { return info.min_dim <= 2 && (info.max_dim == 0 || info.max_dim >= 2); }

json function_json(const FunctionInfo& info) {
  const auto f = make_test_function(info.name, 2);
  json j;
  j["name"] = info.name;
  j["summary"] = info.summary;
  j["convex"] = info.convex;
  j["window"] = f->window();
  j["start"] = f->start();
  j["minimum"] = f->minimum();
  j["minimizers"] = f->minimizers();
  j["saddle_points"] = f->saddle_points();
  const PlaygroundPreset* preset = playground_preset(info.name);
  j["steps"] = preset ? preset->steps : 200;
  j["seed_lr"] = json::object();
  if (preset)
    for (const auto& [name, lr] : preset->lr) j["seed_lr"][std::string(name)] = lr;
  return j;
}

// Every option of an optimizer with its value in each convention, its range and doc: its
// registry row (descent/registry.hpp).
json options_json(const OptimizerInfo& info) {
  json options = json::array();
  for (const OptionSpec& o : info.options) {
    json x{{"name", o.name}, {"flag", o.type == OptionType::flag}, {"doc", o.doc}};
    for (Convention c : {Convention::seed, Convention::pytorch, Convention::keras})
      x["defaults"][to_string(c)] = o.default_for(c);
    if (o.type == OptionType::real) x["range"] = o.range.to_string();
    options.push_back(std::move(x));
  }
  return options;
}

// What the page records of one run: every point, value and gradient from the start on, and per
// step the state slots the optimizer keeps and the step taken (η_t = w_t − w_{t+1}, as explain).
class Record final : public Callback<double> {
 public:
  std::string name() const override { return "record"; }
  void begin(const Progress<double>& p) override {
    take(p);
    for (auto s : p.optimizer.slot_names()) slots.push_back({std::string(s), {}});
  }
  Flow after_step(const Progress<double>& p) override {
    for (std::size_t i = 0; i < p.x.size(); ++i) eta.push_back(x[x.size() - p.x.size() + i] - p.x[i]);
    take(p);
    for (auto& [name, values] : slots) {
      const SlotView view = p.optimizer.state(0, name);
      for (std::size_t i = 0; i < p.x.size(); ++i) values.push_back(view ? view.as<double>()[i] : NAN);
    }
    return Flow::go_on;
  }
  std::vector<double> x, value, grad, eta;
  std::vector<std::pair<std::string, std::vector<double>>> slots;

 private:
  void take(const Progress<double>& p) {
    x.insert(x.end(), p.x.begin(), p.x.end());
    grad.insert(grad.end(), p.grad.begin(), p.grad.end());
    value.push_back(p.value);
  }
};

// The option overrides of one run: its options as text, in the order given; without "lr", the
// seed convention takes the function's picture preset, as `descent minimize` does.
std::vector<std::pair<std::string, std::string>> overrides_of(const json& run, Convention c,
                                                              const PlaygroundPreset* preset) {
  std::vector<std::pair<std::string, std::string>> overrides;
  const json options = run.value("options", json::object());
  if (!options.contains("lr") && preset && c == Convention::seed)
    for (const auto& [name, lr] : preset->lr)
      if (name == run.at("optimizer").get<std::string>()) overrides.emplace_back("lr", json(lr).dump());
  for (const auto& [name, text] : options.items()) overrides.emplace_back(name, text.get<std::string>());
  return overrides;
}

json run_one(const TestFunction& f, const std::vector<double>& start, std::int64_t steps, Convention c,
             const json& request) {
  const std::string name = request.at("optimizer").get<std::string>();
  const MakeOptimizer make = from_registry(name, c, overrides_of(request, c, playground_preset(f.name())));
  std::vector<double> x = start, g(start.size());
  json run;
  run["optimizer"] = name;
  run["lr"] = make({Param("x", std::span(x), std::span(g))})->lr();
  Record record;
  std::optional<std::int64_t> diverged_at;
  try {
    const MinimizeResult r = minimize<double>(Objective<double>(f), x, make, {.max_steps = steps}, {&record});
    run["steps"] = r.steps;
  } catch (const NonFiniteError& e) {
    if (e.step() == 0) throw Error(std::string(f.name()) + ": " + e.what());  // the start is the problem
    diverged_at = e.step();  // an overshoot until f overflowed: a result to show
    run["steps"] = e.step();
  }
  run["diverged_at"] = diverged_at ? json(*diverged_at) : json(nullptr);
  run["x"] = column(record.x);
  run["value"] = column(record.value);
  run["grad"] = column(record.grad);
  run["eta"] = column(record.eta);
  run["slots"] = json::object();
  for (const auto& [slot, values] : record.slots)
    if (!values.empty() && !std::isnan(values[0])) run["slots"][slot] = column(values);
  return run;
}

}  // namespace

extern "C" {

// The numbers of the last descent_grid or descent_minimize answer.
const double* descent_numbers() { return numbers.data(); }

// [{name, summary, convex, window, start, minimum, minimizers, saddle_points, steps, seed_lr}]
// for every 2-D test function.
const char* descent_functions() {
  return guarded([] {
    json all = json::array();
    for (const auto& info : test_functions())
      if (drawable(info)) all.push_back(function_json(info));
    return all;
  });
}

// [{name, rule, summary, beta, beta1, beta2, options: [{name, flag, doc, range, defaults: {seed, pytorch, keras}}]}]
const char* descent_optimizers() {
  return guarded([] {
    json all = json::array();
    for (const auto& info : optimizers())
      all.push_back({{"name", info.name},
                     {"summary", info.summary},
                     {"rule", info.rule},
                     {"beta", info.beta},
                     {"beta1", info.beta1},
                     {"beta2", info.beta2},
                     {"options", options_json(info)}});
    return all;
  });
}

// {function, nx, ny} -> {values: [offset, nx*ny]}: f on an nx × ny grid over the function's
// window, row by row from the bottom (y = ylo) up, x from xlo to xhi.
const char* descent_grid(const char* request) {
  return guarded([&] {
    const json r = json::parse(request);
    const auto f = make_test_function(r.at("function").get<std::string>(), 2);
    const int nx = r.at("nx"), ny = r.at("ny");
    if (nx < 2 || ny < 2 || nx > 2000 || ny > 2000) throw Error("grid: nx and ny must be in [2, 2000]");
    const auto [xlo, xhi, ylo, yhi] = f->window();
    std::vector<double> values;
    values.reserve(std::size_t(nx) * std::size_t(ny));
    for (int j = 0; j < ny; ++j)
      for (int i = 0; i < nx; ++i) {
        const double p[2] = {xlo + (xhi - xlo) * i / (nx - 1), ylo + (yhi - ylo) * j / (ny - 1)};
        values.push_back(f->evaluate(p));
      }
    numbers.clear();
    return json{{"values", column(values)}};
  });
}

// {function, start: [x, y] (default: the function's), steps (default: its preset), convention,
//  runs: [{optimizer, options: {name: text}}]} -> {function, convention, start, steps,
//  runs: [{optimizer, lr, steps, diverged_at, x, value, grad, eta, slots: {name: column}}]}
// where each column is [offset, count] into descent_numbers(): x and grad hold 2 numbers per
// point from the start on, value 1; eta and the slots 2 per step, after the step.
const char* descent_minimize(const char* request) {
  return guarded([&] {
    const json r = json::parse(request);
    const std::string name = r.at("function");
    const auto f = make_test_function(name, 2);
    const Convention c = parse_convention(r.value("convention", std::string("seed")));
    const std::vector<double> start = r.contains("start") ? r.at("start").get<std::vector<double>>() : f->start();
    if (start.size() != 2 || !std::isfinite(start[0]) || !std::isfinite(start[1]))
      throw Error("minimize: start must be two finite numbers");
    const PlaygroundPreset* preset = playground_preset(name);
    const std::int64_t steps = r.value("steps", preset ? preset->steps : std::int64_t(200));
    if (steps < 0 || steps > 100000) throw Error("minimize: steps " + std::to_string(steps) + " not in [0, 100000]");
    numbers.clear();
    json out{{"function", name}, {"convention", to_string(c)}, {"start", start}, {"steps", steps}};
    out["runs"] = json::array();
    for (const json& run : r.at("runs")) out["runs"].push_back(run_one(*f, start, steps, c, run));
    return out;
  });
}

}  // extern "C"
