#pragma once
// The tutorial's training loop: fixed batches in data order (32, 32, 32, 24 for iris's 120
// training samples), one optimizer step per batch, and per epoch the mean of the batch losses
// and the accuracy on the test set.
#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "descent/lab/dataset.hpp"
#include "descent/lab/model.hpp"
#include "descent/optimizer.hpp"
#include "descent/options.hpp"
#include "descent/state.hpp"

namespace descent {
class Checkpoint;
class Hook;
}  // namespace descent

namespace descent::lab {

// A dataset in the model's scalar type.
template <class T>
struct Data {
  Matrix<T> x;
  std::vector<int> y;
};
template <class T>
Data<T> to_data(const Dataset& d);

// Data-parallel training on several processes, for a caller that has them (the CLI fills it
// from descent::mpi; the lab itself knows no MPI). Every process runs the same loop on the same
// data; each batch's rows are split into ranks() contiguous parts, this process computes the
// gradient of part rank(), and the hook combines the parts' gradients and steps.
class Parallel {
 public:
  using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(std::vector<Param>)>;
  virtual ~Parallel() = default;
  virtual int rank() const = 0;
  virtual int ranks() const = 0;
  // The optimizer the loop steps (the schedule sets its rate), built with `make` over the
  // model's parameters (or this process's share of them). Collective.
  virtual Optimizer& start(std::vector<Param> params, const MakeOptimizer& make) = 0;
  // The parameters' gradients hold this process's part's mean-loss gradient (not read when
  // `share` is 0: no rows here this step): the optimizer's gradient becomes the sum over the
  // processes of share·gradient, the batch's mean-loss gradient. Collective.
  virtual void reduce(double share) = 0;
  // After reduce(): clip_grad_norm by the norm across the processes. Collective.
  virtual void clip_grad_norm(double max_norm) = 0;
  // The optimizer's step; after it every process holds the same parameters. Collective.
  virtual void step() = 0;
  // The sum of every process's `x`, in rank order: the same on every process. Collective.
  virtual double sum(double x) = 0;
};

struct TrainOptions {
  std::string optimizer = "sgd";  // a registry name (descent/registry.hpp)
  Convention convention = Convention::seed;
  std::vector<std::pair<std::string, std::string>> overrides;  // option name → text
  int epochs = 500;
  Eigen::Index batch_size = 32;
  int threads = 1;  // the optimizer's threads (results do not depend on it)

  // The family's extras, all off by default (docs/lab.md).
  std::string schedule;               // a schedule spec (descent/schedule_spec.hpp); "" = the constant lr
  bool schedule_per_step = false;     // step the schedule after every optimizer step, else once per epoch
  double clip_norm = 0;               // > 0: clip the global gradient norm (clip_grad_norm_) before each step
  double clip_norm_per_tensor = 0;    // > 0: clip each parameter's gradient norm
  double clip_value = 0;              // > 0: clamp every gradient element to [-clip_value, clip_value]
  double ema = 0;                     // > 0: test with an EMA of the weights of this decay, updated every step
  bool swa = false;                   // test with the running mean of the weights after each epoch (SWA)
  std::vector<std::string> no_decay;  // parameter name patterns kept from weight decay

  NonFinite nonfinite = NonFinite::error;  // Optimizer::set_nonfinite
  StateOptions state;                      // every group's state storage (docs/lowbit.md)
  // Mixed precision (a float32 model only): the optimizer steps bfloat16 weights and gradients,
  // which the model widens to float32 for its arithmetic (docs/lowbit.md, "bf16 parameters").
  // state.master_weights adds the optimizer's float32 copy.
  bool bf16_params = false;

  // Checkpoints (docs/checkpoints.md). `resume`: continue the run a checkpoint of this loop
  // holds, from its epoch/batch cursor (`epochs` still counts from the run's start), to the
  // same numbers the uninterrupted run reaches. `save` (when set) gets a checkpoint every
  // `save_every` epochs (0: never), at the end, and when `*stop` is non-zero after a step
  // (a signal handler's flag), which then ends the run early with RunResult::stopped.
  const Checkpoint* resume = nullptr;
  std::function<void(const Checkpoint&)> save;
  int save_every = 0;
  const volatile std::sig_atomic_t* stop = nullptr;

  // Data parallel (Parallel above); not with clip_value, clip_norm_per_tensor, bf16_params or
  // checkpoints (resume, save).
  Parallel* parallel = nullptr;

  // The loop runs every extra above as a hook (descent/hooks.hpp, docs/hooks.md): the
  // non-finite policy, clipping, the schedule, the weight average, the per-epoch test, `stop`,
  // then these, the caller's (which must outlive the run), then checkpoints (`save`). A
  // checkpoint holds their state too; the resume check does not know them.
  std::vector<Hook*> hooks;
};

struct EpochMetrics {
  int epoch;             // from 1
  double loss;           // mean of the epoch's batch losses
  double test_accuracy;  // fraction of the test set classified right after the epoch
  double seconds;        // since training started
  double lr;             // group 0's rate in the epoch's last step
};

struct RunResult {
  std::string optimizer;
  struct Option {
    std::string name;
    double value;
    bool is_flag;
  };
  std::vector<Option> options;  // every option the optimizer used
  std::vector<EpochMetrics> epochs;
  std::int64_t steps = 0;
  double train_seconds = 0;  // the whole loop, the per-epoch test included (as the tutorial times it)
  double cpu_seconds = 0;    // the CPU time of the same (differs from train_seconds on a busy machine)
  double best_test_accuracy = 0;
  int best_epoch = 0;              // the first epoch that reached best_test_accuracy
  bool stopped = false;            // ended early by TrainOptions::stop or a hook (epochs is then incomplete)
  std::string stopped_by;          // the hook that stopped it: "stop" for TrainOptions::stop
  std::int64_t skipped_steps = 0;  // steps skipped for non-finite gradients (NonFinite::skip)
  std::int64_t zeroed_values = 0;  // gradient values zeroed (NonFinite::zero)
};

// Checks the extras (schedule spec, clipping, averaging) without training: throws OptionError.
void check_extras(const TrainOptions& options);

// Trains `model` from its current parameters. `on_epoch` (optional) sees each epoch's metrics.
// Throws descent::Error / OptionError (unknown optimizer or option) before the first step.
template <class T>
RunResult train(Model<T>& model, const Data<T>& train, const Data<T>& test, const TrainOptions& options,
                const std::function<void(const EpochMetrics&)>& on_epoch = {});

extern template Data<float> to_data(const Dataset&);
extern template Data<double> to_data(const Dataset&);
extern template RunResult train(Model<float>&, const Data<float>&, const Data<float>&, const TrainOptions&,
                                const std::function<void(const EpochMetrics&)>&);
extern template RunResult train(Model<double>&, const Data<double>&, const Data<double>&, const TrainOptions&,
                                const std::function<void(const EpochMetrics&)>&);

}  // namespace descent::lab
