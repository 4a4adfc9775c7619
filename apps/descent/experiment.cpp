// run_lab: a lab run from its settings to its outputs, each step in its own file
// (run_parts.hpp): the settings are checked together, then the data is loaded, the outputs
// prepared, the runs trained and the outputs written.
#include "experiment.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "descent/error.hpp"
#include "descent/registry.hpp"
#include "descent/schedule_spec.hpp"
#include "parse.hpp"
#include "run_parts.hpp"

namespace descent::cli {

namespace {

// What no one flag can check alone: the combinations. Returns the optimizers' overrides.
std::map<std::string, Overrides> check_settings(const LabArgs& a) {
  if (a.optimizers.empty()) throw OptionError("--optimizers: no optimizer given");
  for (const auto& name : a.optimizers) optimizer_info(name);
  for (std::size_t i = 0; i < a.optimizers.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (a.optimizers[i] == a.optimizers[j])
        throw OptionError("--optimizers: '" + a.optimizers[i] + "' appears twice");
  const auto overrides = overrides_of(a, parse_convention(a.convention));
  if (a.save_every > 0 && a.save.empty()) throw OptionError("--save-every needs --save");
  if (a.ema > 0 && a.swa) throw OptionError("--ema and --swa exclude each other");
  if (a.master_weights && a.dtype != "bf16")
    throw OptionError("--master-weights applies to --dtype bf16 only, not " + a.dtype);
  parse_state_flags(a.state_dtype, a.state_rounding, a.dtype == "bf16" && !a.master_weights);
  if (!a.schedule.empty() && a.schedule_unit == "step" && parse_schedule(a.schedule).uses_metric)
    throw OptionError("--schedule '" + a.schedule +
                      "': plateau is fed the epoch loss, so it needs --schedule-unit epoch");
  lab::check_extras(train_options(a));
  if (a.shuffle == "numpy" && a.seed > 0xFFFFFFFFu)
    throw OptionError(
        fmt::format("--seed {} is out of range [0, 4294967295] for --shuffle numpy (NumPy's seeds are "
                    "32-bit; --shuffle descent takes any)",
                    a.seed));
  return overrides;
}

// A run stopped by SIGINT/SIGTERM after its checkpoint: no other output (it would look complete).
[[noreturn]] void stopped(const LabArgs& a, const lab::RunResult& r) {
  const int sig = stop_signal;
  fmt::print(stderr,
             "descent: {}: stopped after step {} (epoch {}); checkpoint written to {} (continue with --resume {})\n",
             sig == SIGTERM ? "SIGTERM" : "SIGINT", r.steps, r.epochs.size() + 1, a.save, a.save);
  std::fflush(stdout);
  std::exit(128 + sig);
}

}  // namespace

void run_lab(const LabArgs& in, lab::Parallel* parallel) {
  LabArgs a = in;
  if (a.out.empty()) a.out = "out/" + a.command;
  const bool writer = !parallel || parallel->rank() == 0;
  // 1. Settings: a resumed run's first (they may come from its checkpoint), then all together.
  std::optional<Checkpoint> resume;
  if (!a.resume.empty()) resume = load_resume(a);
  const auto overrides = check_settings(a);

  // 2. Data and model.
  const Experiment e = load(a);
  check_fits(e.train, a);
  check_fits(e.test, a);
  for (const lab::Dataset* d : {&e.train, &e.test})
    if (!d->header_assumed.empty() && !a.quiet && writer)
      fmt::print(stderr, "descent: {}: {}\n", d->name, d->header_assumed);
  lab::ModelSpec spec = model_spec(a);
  spec.inputs = e.train.features();
  spec.classes = e.train.classes();
  std::map<std::string, std::vector<double>> init;
  if (!a.init_file.empty()) init = read_init(a.init_file, lab::Model<double>(spec, 1).params());

  // 3. Outputs: everything must be writable before the first step.
  if (writer) prepare_outputs(a);
  if (!a.save.empty()) {
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
  }

  // 4. Train.
  Progress progress(writer && !a.quiet && ::isatty(STDERR_FILENO),
                    std::int64_t(a.epochs) * std::int64_t(a.optimizers.size()));
  const RunInputs inputs{e,       spec, parse_convention(a.convention), overrides, init, resume ? &*resume : nullptr,
                         parallel};
  const Outcome o = run_all(a, inputs, progress);
  progress.finish();
  if (o.runs.size() == 1 && o.runs[0].stopped) stopped(a, o.runs[0]);

  // 5. Outputs, each written whole (one writer of a distributed run).
  if (writer) write_outputs(a, e, spec, o, overrides, parallel ? parallel->ranks() : 1);
}

}  // namespace descent::cli
