#pragma once
// What a checkpoint of the training loop holds beside the model and the optimizer (sections
// "run/..."; docs/checkpoints.md), and the checks a resumed run makes before it uses any of it.
// The loop itself draws no random numbers: the data order and the initialization come from the
// caller (descent train's --seed, which the CLI keeps in its own section "cli/config").
#include <cstdint>
#include <string>

#include "descent/checkpoint.hpp"
#include "descent/lab/train.hpp"

namespace descent::lab {

// Where a run stands: `epoch` epochs done, then `batch` steps of the next one whose batch
// losses sum to `loss_sum` (summed in the same order, so the epoch's mean is bit-identical).
struct RunCursor {
  int epoch = 0;
  std::int64_t batch = 0;
  double loss_sum = 0;
  double wall_seconds = 0, cpu_seconds = 0;  // spent before this point
};

// The loop's settings that must not change across a resume, and a CRC-32C of the data.
template <class T>
std::string run_config(const TrainOptions& o, const Data<T>& train, const Data<T>& test);

Checkpoint run_checkpoint(const Optimizer& optimizer, const RunResult& r, const RunCursor& at,
                          const std::string& config);

// Checks everything (config, cursor, metrics; then the model and optimizer, all or nothing)
// before changing anything; fills r's metrics history and returns the cursor.
// Throws CheckpointError "checkpoint 'FILE': <problem>".
RunCursor restore_run(const Checkpoint& c, Optimizer& optimizer, RunResult& r, const std::string& config, int epochs,
                      std::int64_t steps_per_epoch);

}  // namespace descent::lab
