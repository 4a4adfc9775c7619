// The outputs of a lab run: metrics.csv, summary.json (the settings from run_settings.cpp's
// table, the data's facts and each run's results), the plots, the table on stdout.
#include <fmt/core.h>

#include <cmath>
#include <filesystem>

#include "descent/atomic_file.hpp"
#include "descent/error.hpp"
#include "files.hpp"
#include "gnuplot.hpp"
#include "run_parts.hpp"

namespace descent::cli {
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace {

std::string text(double x) { return fmt::format("{:.17g}", x); }

std::string metrics_csv(const std::vector<lab::RunResult>& runs) {
  std::string s = "optimizer,epoch,loss,test_accuracy,seconds,lr\n";
  for (const auto& r : runs)
    for (const auto& m : r.epochs)
      s += fmt::format("{},{},{},{:.6f},{:.6f},{}\n", r.optimizer, m.epoch, text(m.loss), m.test_accuracy, m.seconds,
                       text(m.lr));
  return s;
}

// What the data and the model came to (the settings say what was asked for).
json data_facts(const Experiment& e, const lab::ModelSpec& spec, int batch_size) {
  json c;
  c["normalize"] = e.normalize;  // auto resolved
  c["samples"] = e.samples;
  c["features"] = e.train.features();
  c["classes"] = e.train.class_names;
  c["train_samples"] = e.train.size();
  c["test_samples"] = e.test.size();
  c["test_rows"] = e.test_rows.empty() ? json(nullptr) : json(e.test_rows);
  c["model"] = spec.describe();
  c["steps_per_epoch"] = (e.train.size() + batch_size - 1) / batch_size;
  return c;
}

// A number JSON can hold, or null (a loss that became NaN, a time per step of no step).
json finite(double x) { return std::isfinite(x) ? json(x) : json(nullptr); }

json run_json(const LabArgs& a, const lab::RunResult& r) {
  json run;
  run["optimizer"] = r.optimizer;
  run["convention"] = a.convention;
  json opts = json::object();
  for (const auto& o : r.options) opts[o.name] = o.is_flag ? json(o.value != 0) : json(o.value);
  run["options"] = opts;
  run["final_loss"] = finite(r.epochs.back().loss);
  run["final_test_accuracy"] = r.epochs.back().test_accuracy;
  run["best_test_accuracy"] = r.best_test_accuracy;
  run["best_epoch"] = r.best_epoch;
  run["steps"] = r.steps;
  run["train_seconds"] = r.train_seconds;
  run["cpu_seconds"] = r.cpu_seconds;
  run["seconds_per_step"] = r.steps > 0 ? json(r.train_seconds / double(r.steps)) : json(nullptr);
  run["nonfinite"] = a.nonfinite;
  run["skipped_steps"] = r.skipped_steps;
  run["zeroed_values"] = r.zeroed_values;
  return run;
}

json summary_json(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec,
                  const std::vector<lab::RunResult>& runs, const std::map<std::string, Overrides>& overrides,
                  int ranks) {
  json config = settings_json(a);
  config.update(data_facts(e, spec, a.batch_size));
  json ov = json::object();
  for (const auto& [name, list] : overrides)
    for (const auto& [k, v] : list) ov[name][k] = v;
  config["overrides"] = ov;
  config["ranks"] = ranks;
  json j;
  j["command"] = a.command;
  j["repeat"] = repeat_command(a, ranks);
  j["config"] = config;
  j["runs"] = json::array();
  for (const auto& r : runs) j["runs"].push_back(run_json(a, r));
  return j;
}

// Where the weights of every run came from, for the table's header and the plots' titles.
std::string init_text(const LabArgs& a) {
  if (!a.resume.empty()) return "resumed from " + a.resume;
  return a.init_file.empty() ? a.initializer + " init" : "weights from " + a.init_file;
}

// A table cell a reader can read: "nan" (not "-nan") for a loss that diverged, "-" for the
// time per step of a run whose every step was skipped (not "inf").
std::string cell(double x, const char* format) {
  if (std::isnan(x)) return "nan";
  return fmt::format(fmt::runtime(format), x);
}
std::string per_step(const lab::RunResult& r) {
  return r.steps > 0 ? fmt::format("{:.3f}", r.train_seconds * 1e6 / double(r.steps)) : "-";
}

std::vector<Plot> plots_of(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec,
                           const std::vector<lab::RunResult>& runs) {
  const std::string about = fmt::format("{}, {}, {} loss, {}, batch {}, {} convention", e.dataset, spec.describe(),
                                        a.loss, init_text(a), a.batch_size, a.convention);
  // A loss of exactly 0 (a float32 softmax saturates) has no place on a log scale: say so.
  bool zero = false;
  for (const auto& r : runs)
    for (const auto& m : r.epochs) zero = zero || m.loss <= 0;
  Plot loss, accuracy;
  loss.name = "loss";
  loss.title = "Training loss per epoch\n" + about;
  loss.xlabel = accuracy.xlabel = "epoch";
  loss.ylabel = zero ? "mean training loss (log scale; epochs at 0 not drawn)" : "mean training loss (log scale)";
  loss.log_y = true;
  accuracy.name = "accuracy";
  accuracy.title = "Test accuracy per epoch\n" + about;
  accuracy.ylabel = "test accuracy";
  accuracy.yrange = "[*:1.02]";  // the lowest accuracy sets the bottom: curves near 1 (digits) stay apart
  std::vector<std::string> names;
  for (const auto& r : runs) names.push_back(r.optimizer);
  const auto styles = series_styles(names);
  // About ten markers per curve, each optimizer's at other epochs than the others'.
  const int every = std::max(1, a.epochs / 10);
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const std::string& name = runs[k].optimizer;
    const int offset = int((k + 1) * std::size_t(every) / (runs.size() + 1));
    loss.lines.push_back(
        {name, "metrics.csv", where_equals(2, 3, 1, name), styles[k], where_equals(2, 3, 1, name, every, offset)});
    accuracy.lines.push_back(
        {name, "metrics.csv", where_equals(2, 4, 1, name), styles[k], where_equals(2, 4, 1, name, every, offset)});
  }
  return {loss, accuracy};
}

void print_table(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec,
                 const std::vector<lab::RunResult>& runs) {
  fmt::print("{}: {} samples, {} features, {} classes; {} train, {} test; seed {} ({} shuffle); features {}\n",
             e.dataset, e.samples, e.train.features(), e.train.classes(), e.train.size(), e.test.size(), a.seed,
             a.shuffle, e.normalize == "none" ? "as given" : "standardized");
  fmt::print("model: {}, {} loss, {}, {}; batch {} ({} steps/epoch), {} epochs, {} convention\n\n", spec.describe(),
             a.loss, init_text(a), a.dtype, a.batch_size, (e.train.size() + a.batch_size - 1) / a.batch_size, a.epochs,
             a.convention);
  fmt::print("{:<10} {:>7} {:>12} {:>9} {:>9} {:>11} {:>10} {:>9} {:>9}\n", "optimizer", "lr", "final loss", "test acc",
             "best acc", "best epoch", "time (ms)", "cpu (ms)", "us/step");
  for (const auto& r : runs) {
    double lr = 0;  // the conventions differ in their default rates: show the one used
    for (const auto& o : r.options)
      if (o.name == "lr") lr = o.value;
    fmt::print("{:<10} {:>7.3g} {:>12} {:>9.4f} {:>9.4f} {:>11} {:>10.2f} {:>9.2f} {:>9}\n", r.optimizer, lr,
               cell(r.epochs.back().loss, "{:.6g}"), r.epochs.back().test_accuracy, r.best_test_accuracy, r.best_epoch,
               r.train_seconds * 1e3, r.cpu_seconds * 1e3, per_step(r));
  }
  fmt::print(
      "(time: wall clock of the training loop with its per-epoch test, as the tutorial times it; cpu: the "
      "same in CPU time)\n");
}

}  // namespace

void prepare_outputs(const LabArgs& a) {
  std::vector<fs::path> created;
  auto add = [&](const fs::path& dir, const char* flag) {
    const auto made = prepare_output_dir(dir, flag);
    created.insert(created.begin(), made.begin(), made.end());  // the later, the deeper: first out
  };
  try {
    add(a.out, "--out");
    for (const auto& [file, flag] : {std::pair{a.dump_params, "--dump-params"}, {a.save, "--save"}}) {
      if (file.empty()) continue;
      const fs::path parent = fs::path(file).parent_path();
      add(parent.empty() ? fs::path(".") : parent, flag);
      if (fs::is_directory(file)) throw Error(fmt::format("{} {}: is a directory", flag, file));
    }
  } catch (...) {
    remove_created(created);
    throw;
  }
}

void write_outputs(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec, const Outcome& o,
                   const std::map<std::string, Overrides>& overrides, int ranks) {
  const fs::path out(a.out);
  write_atomically(out / "metrics.csv", metrics_csv(o.runs));
  write_atomically(out / "summary.json", summary_json(a, e, spec, o.runs, overrides, ranks).dump(2) + "\n");
  if (!a.dump_params.empty()) {  // one parameter per line, each as compact nested arrays
    std::string text = "{";
    for (const auto& [name, value] : o.final_params.items())
      text += fmt::format("{}{}: {}", text.size() > 1 ? ",\n " : "\n ", json(name).dump(), value.dump());
    write_atomically(a.dump_params, text + "\n}\n");
  }
  const bool plotted = render_plots(out, "plots.gp", plots_of(a, e, spec, o.runs), !a.no_plots);
  if (!a.quiet) {
    print_table(a, e, spec, o.runs);
    for (const auto& r : o.runs) {
      if (r.skipped_steps > 0)
        fmt::print("{}: {} steps skipped for non-finite gradients (--nonfinite skip){}\n", r.optimizer, r.skipped_steps,
                   r.steps == 0 ? ": every step, so the weights never changed" : "");
      if (r.zeroed_values > 0)
        fmt::print("{}: {} non-finite gradient values zeroed (--nonfinite zero)\n", r.optimizer, r.zeroed_values);
    }
    fmt::print("\nwrote {}/: metrics.csv, summary.json{}{}\n", out.string(),
               plotted ? ", loss.png, accuracy.png (and .svg), plots.gp" : ", plots.gp (no plots drawn)",
               a.dump_params.empty() ? "" : ", and " + a.dump_params);
  }
}

}  // namespace descent::cli
