#pragma once
// What `descent compare` and `descent train` share: their flags, the data, the runs, and the
// outputs (metrics.csv, summary.json, loss/accuracy plots). compare.cpp and train.cpp only
// choose the optimizers and the extras (--init, --dump-params).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace descent::lab {
class Parallel;
}

namespace descent::cli {

struct LabArgs {
  std::string command;  // "compare" or "train"
  std::vector<std::string> optimizers{"sgd", "sgdm", "adagrad", "rmsprop", "adam"};
  int epochs = 500;
  int batch_size = 32;
  std::optional<double> lr, beta, beta1, beta2, eps;
  std::vector<std::string> options;                               // --option [OPTIMIZER.]NAME=VALUE
  std::vector<std::pair<std::string, std::string>> option_flags;  // --<option-name> VALUE: name, text
  // The family's extras (lab::TrainOptions).
  std::string schedule;
  std::string schedule_unit = "epoch";
  double clip_norm = 0, clip_norm_per_tensor = 0, clip_value = 0, ema = 0;
  bool swa = false;
  std::vector<std::string> no_decay;
  std::uint64_t seed = 116;
  // numpy (the course's order) or descent (0.1.0's); unset: numpy, or what --resume's run used.
  std::optional<std::string> shuffle;
  std::string convention = "seed";
  std::string loss = "mse";
  std::vector<int> hidden;
  std::string activation = "relu";
  std::string initializer = "truncated_normal";
  std::string dataset = "iris";
  std::optional<std::string> label;
  std::string test = "0.2";
  std::string normalize = "auto";  // auto: none for iris (the tutorial), standard otherwise
  int threads = 1;
  std::string dtype = "f32";
  std::string out;
  bool no_plots = false;
  bool quiet = false;
  std::string nonfinite = "error";  // error, skip or zero (Optimizer::set_nonfinite)
  // The optimizer's state storage (descent::StateOptions, docs/lowbit.md).
  std::string state_dtype = "f32", state_rounding = "nearest";
  std::uint64_t state_min_size = 4096;
  // descent train only
  std::string init_file;
  std::string dump_params;
  std::string save, resume;  // checkpoints (docs/checkpoints.md)
  int save_every = 0;        // epochs; 0: only at the end
  // descent train --distributed (under mpirun; distributed/mpi.cpp)
  std::string distributed;        // ddp or zero1; empty: one process
  std::int64_t bucket_bytes = 0;  // 0: descent::mpi's default
  double timeout = 0;             // seconds a collective may take; 0: descent::mpi's default
};

// Adds every shared flag to `cmd`, with `args`' values as defaults.
void add_lab_flags(CLI::App* cmd, LabArgs& args);
// Validates everything (flags, data, output paths, --init) before the first step, then runs.
// With `parallel` (one of several processes of a --distributed run), only rank 0 prints and
// writes outputs.
void run_lab(const LabArgs& args, lab::Parallel* parallel = nullptr);
// descent train --distributed: run_lab on this process's MPI rank (distributed/mpi.cpp, or
// distributed/no_mpi.cpp's one-line error where descent was built without MPI).
void run_distributed(const LabArgs& args);

}  // namespace descent::cli
