#pragma once
// The parts of a lab run, in the order experiment.cpp's run_lab calls them, one job per file:
// run_resume.cpp (--resume: the checkpoint's fingerprint), run_data.cpp (the data sets, --init),
// run_train.cpp (the optimizers' options and the runs), run_outputs.cpp (metrics.csv,
// summary.json, the plots and the table). The settings themselves: run_settings.hpp.
#include <Eigen/Core>
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "descent/checkpoint.hpp"
#include "descent/lab/dataset.hpp"
#include "descent/lab/train.hpp"
#include "descent/options.hpp"
#include "run_settings.hpp"

namespace descent::cli {

using Overrides = std::vector<std::pair<std::string, std::string>>;

// ---- run_resume.cpp

// Loads --resume and checks it was written by `descent train` with the same settings: a
// fingerprint setting the user did not give takes the checkpoint's value, one given must match.
Checkpoint load_resume(LabArgs& a);

// ---- run_data.cpp

struct Experiment {
  lab::Dataset train, test;
  std::string dataset;    // what --dataset named
  std::string normalize;  // none or standard (auto resolved)
  Eigen::Index samples = 0;
  std::vector<Eigen::Index> test_rows;  // with --test FRACTION: the test samples' rows in the data set
};
Experiment load(const LabArgs& a);
// A value float32 cannot hold, named by its cell (under --dtype f32 --nonfinite error).
void check_fits(const lab::Dataset& d, const LabArgs& a);
// The parameter values of an --init file, checked against the model's parameters.
std::map<std::string, std::vector<double>> read_init(const std::string& path, const std::vector<Param>& params);
// Parameters as the --init / --dump-params JSON (name -> nested arrays).
template <class T>
nlohmann::ordered_json dump(const std::vector<Param>& params);

// ---- run_train.cpp

// Per optimizer, the option overrides the flags ask for; a flag that applies to none of the
// chosen optimizers is an error (it would silently do nothing).
std::map<std::string, Overrides> overrides_of(const LabArgs& a, Convention convention);

// The progress bar on stderr (only when it is a terminal).
class Progress {
 public:
  Progress(bool on, std::int64_t total) : on_(on), total_(total) {}
  void epoch_done(const std::string& optimizer);
  void finish();

 private:
  bool on_;
  std::int64_t total_;
  std::atomic<std::int64_t> done_{0};
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_{};
};

// Set by SIGINT/SIGTERM during `train --save`; the loop finishes its step, checkpoints and stops.
extern volatile std::sig_atomic_t stop_signal;
void on_stop_signal(int sig);

struct Outcome {
  std::vector<lab::RunResult> runs;
  nlohmann::ordered_json final_params;  // train: the parameters after training
};
struct RunInputs {
  const Experiment& data;
  const lab::ModelSpec& spec;
  Convention convention;
  const std::map<std::string, Overrides>& overrides;
  const std::map<std::string, std::vector<double>>& init;  // --init's values
  const Checkpoint* resume;
  lab::Parallel* parallel;
};
// Every optimizer's run (compare: side by side on --threads threads), in --dtype.
Outcome run_all(const LabArgs& a, const RunInputs& in, Progress& progress);

// ---- run_outputs.cpp

// Everything must be writable before the first step; a refused run leaves none of the
// directories it made.
void prepare_outputs(const LabArgs& a);
// metrics.csv, summary.json, --dump-params, the plots and (unless --quiet) the table.
void write_outputs(const LabArgs& a, const Experiment& e, const lab::ModelSpec& spec, const Outcome& o,
                   const std::map<std::string, Overrides>& overrides, int ranks);

}  // namespace descent::cli
