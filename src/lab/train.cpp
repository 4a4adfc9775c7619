#include "descent/lab/train.hpp"

#include <time.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "bf16_weights.hpp"
#include "descent/hooks.hpp"
#include "descent/registry.hpp"
#include "descent/schedule_spec.hpp"
#include "run_state.hpp"

namespace descent::lab {

namespace {

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// Checks the extras' options (named as TrainOptions names them; the CLI maps them to its
// flags); returns the schedule they ask for (none without one).
ParsedSchedule checked_extras(const TrainOptions& o) {
  for (const auto& [name, x] : {std::pair{"clip_norm", o.clip_norm},
                                {"clip_norm_per_tensor", o.clip_norm_per_tensor},
                                {"clip_value", o.clip_value}})
    if (!(x >= 0) || !std::isfinite(x))
      throw OptionError("", name, " " + format_number(x) + " is out of range [0, inf)");
  if (!(o.ema >= 0 && o.ema < 1)) throw OptionError("", "ema", " " + format_number(o.ema) + " is out of range [0, 1)");
  if (o.ema > 0 && o.swa) throw OptionError("ema and swa exclude each other");
  // Weight averages need nothing more (every process holds the same weights after a step);
  // these would need collectives of their own, or for checkpoints, descent::mpi's.
  if (o.parallel)
    for (const auto& [name, used] : {std::pair{"clip_value", o.clip_value > 0},
                                     {"clip_norm_per_tensor", o.clip_norm_per_tensor > 0},
                                     {"bf16_params", o.bf16_params},
                                     {"resume", o.resume != nullptr},
                                     {"save", bool(o.save)}})
      if (used) throw OptionError("", name, " is not supported in data-parallel training (yet)");
  if (o.schedule.empty()) return {};
  ParsedSchedule parsed = parse_schedule(o.schedule);
  if (parsed.uses_metric && o.schedule_per_step)
    throw OptionError(
        "", "schedule",
        " '" + o.schedule + "': plateau is fed the epoch loss, so it steps once per epoch, not per batch");
  return parsed;
}

// A hook of the loop's own, from a function per event it listens to.
class LoopHook final : public Hook {
 public:
  using Event = std::function<void(HookContext&)>;
  LoopHook(std::string name, Event before_step, Event after_step, Event end_epoch)
      : name_(std::move(name)),
        before_step_(std::move(before_step)),
        after_step_(std::move(after_step)),
        end_epoch_(std::move(end_epoch)) {}
  std::string name() const override { return name_; }
  void on_before_step(HookContext& c) override {
    if (before_step_) before_step_(c);
  }
  void on_after_step(HookContext& c) override {
    if (after_step_) after_step_(c);
  }
  void on_end_epoch(HookContext& c) override {
    if (end_epoch_) end_epoch_(c);
  }

 private:
  std::string name_;
  Event before_step_, after_step_, end_epoch_;
};

// The hooks TrainOptions asks for, in the order they run: the non-finite policy, clipping
// (value, per tensor, global), the schedule, the weight average, the loop's per-epoch test
// (`test`, with the average swapped in), the stop flag, the caller's own hooks, checkpoints.
// The order of schedule and average gives the checkpoint sections' order.
class Extras {
 public:
  Extras(const TrainOptions& o, Optimizer& optimizer, const std::vector<Param>& params,
         std::function<void(HookContext&)> test)
      : hooks_(optimizer) {
    ParsedSchedule parsed = checked_extras(o);
    add(std::make_unique<NonFiniteGradients>(o.nonfinite));
    if (o.clip_value > 0) add(std::make_unique<ClipGradValue>(o.clip_value));
    if (o.clip_norm_per_tensor > 0) add(std::make_unique<ClipGradNormPerTensor>(o.clip_norm_per_tensor));
    if (o.clip_norm > 0 && !o.parallel) add(std::make_unique<ClipGradNorm>(o.clip_norm));
    if (o.clip_norm > 0 && o.parallel) {
      Parallel* parallel = o.parallel;
      const double max_norm = o.clip_norm;
      add(std::make_unique<LoopHook>(
          "clip_norm", [parallel, max_norm](HookContext&) { parallel->clip_grad_norm(max_norm); }, nullptr, nullptr));
    }
    if (parsed.schedule)
      add(std::make_unique<LrSchedule>(std::move(parsed.schedule),
                                       o.schedule_per_step ? ScheduleUnit::step : ScheduleUnit::epoch,
                                       parsed.uses_metric));
    // Of the model's parameters in the model's order (the optimizer's may be in groups, or a share).
    if (o.ema > 0) average_ = add(std::make_unique<AverageWeights>(AverageWeights::ema(o.ema, params)));
    if (o.swa) average_ = add(std::make_unique<AverageWeights>(AverageWeights::swa(params)));
    add(std::make_unique<LoopHook>("test", nullptr, nullptr, std::move(test)));
    if (o.stop) {
      const volatile std::sig_atomic_t* flag = o.stop;
      add(std::make_unique<LoopHook>(
          "stop", nullptr,
          [flag](HookContext& c) {
            if (*flag) c.stop("stop");
          },
          nullptr));
    }
    for (Hook* h : o.hooks) hooks_.add(*h);
    if (o.save) add(std::make_unique<SaveCheckpoints>(o.save, o.save_every));
  }
  Hooks& hooks() { return hooks_; }
  // Runs `evaluate` with the averaged weights in place, if any.
  template <class F>
  auto evaluated(F evaluate) {
    return average_ ? average_->evaluated(evaluate) : evaluate();
  }

 private:
  template <class H>
  H* add(std::unique_ptr<H> hook) {
    H* h = hook.get();
    hooks_.add(*h);
    own_.push_back(std::move(hook));
    return h;
  }
  std::vector<std::unique_ptr<Hook>> own_;
  Hooks hooks_;
  AverageWeights* average_ = nullptr;
};

// This process's part of the batch's rows [begin, begin + rows) and its loss: all of them, or
// under o.parallel a contiguous part, whose gradient counts with its share of the rows (then
// reduced across the processes). The parts' losses add up to the batch's mean loss. With bf16
// weights the step reads the gradient rounded to bf16.
template <class T>
double batch_gradient(Model<T>& model, const Data<T>& train, Eigen::Index begin, Eigen::Index rows,
                      const TrainOptions& o, Bf16Weights* bf16) {
  const Eigen::Index features = train.x.cols();
  auto batch_loss = [&](Eigen::Index from, Eigen::Index count) {
    const ConstView<T> x(train.x.data() + from * features, count, features);
    return double(model.train_batch(x, std::span(train.y).subspan(std::size_t(from), std::size_t(count))));
  };
  if (!o.parallel) {
    const double loss = batch_loss(begin, rows);
    if (bf16) bf16->round_gradients();
    return loss;
  }
  const Eigen::Index ranks = o.parallel->ranks(), rank = o.parallel->rank();
  const Eigen::Index from = begin + rows * rank / ranks, count = begin + rows * (rank + 1) / ranks - from;
  const double share = double(count) / double(rows), loss = count > 0 ? batch_loss(from, count) : 0.0;
  o.parallel->reduce(share);
  return share * loss;
}

// Epoch `epoch`'s steps from the cursor `from` (a resumed run's place in it, else its start):
// each batch's gradient and the hooks around its step, then the epoch's end. `now` follows the
// cursor (what a checkpoint records), `lr` group 0's rate in the last step. False: a hook
// stopped the run.
template <class T>
bool run_epoch(Model<T>& model, const Data<T>& train, const TrainOptions& o, Optimizer& optimizer, Bf16Weights* bf16,
               Hooks& hooks, int epoch, const RunCursor& from, RunCursor& now, double& lr) {
  const Eigen::Index n = train.x.rows();
  double loss_sum = from.loss_sum;  // summed in the same order as the uninterrupted run's
  std::int64_t batches = from.batch;
  for (Eigen::Index begin = batches * o.batch_size; begin < n; begin += o.batch_size) {
    const double loss = batch_gradient(model, train, begin, std::min(o.batch_size, n - begin), o, bf16);
    const bool step = hooks.before_step(loss);
    if (step) {
      o.parallel ? o.parallel->step() : optimizer.step();
      if (bf16) bf16->to_model();  // before the hooks: an average reads the model's weights
      lr = optimizer.lr(0);
    }
    loss_sum += loss;
    now = {epoch - 1, ++batches, loss_sum};
    if (step) hooks.after_step();
    if (hooks.stopped()) return false;
  }
  if (o.parallel) loss_sum = o.parallel->sum(loss_sum);
  now = {epoch, 0, 0};
  hooks.end_epoch(loss_sum / double(batches));
  return !hooks.stopped();
}

}  // namespace

void check_extras(const TrainOptions& o) { checked_extras(o); }

template <class T>
Data<T> to_data(const Dataset& d) {
  return {d.x.cast<T>(), d.y};
}

template <class T>
RunResult train(Model<T>& model, const Data<T>& train, const Data<T>& test, const TrainOptions& o,
                const std::function<void(const EpochMetrics&)>& on_epoch) {
  if (o.epochs < 1) throw OptionError("", "epochs", " " + std::to_string(o.epochs) + " is out of range [1, inf)");
  if (o.batch_size < 1 || o.batch_size > model.max_batch())
    throw OptionError(
        "", "batch_size",
        " " + std::to_string(o.batch_size) + " is out of range [1, " + std::to_string(model.max_batch()) + "]");
  const Eigen::Index n = train.x.rows();
  if (n == 0 || test.x.rows() == 0) throw Error("training and test sets must not be empty");
  checked_extras(o);  // before a parallel start: every process refuses the same options

  const Parallel::MakeOptimizer make = [&o](std::vector<Param> params) {
    auto opt = make_optimizer(o.optimizer, std::move(params), o.convention, o.overrides, o.no_decay);
    for (std::size_t g = 0; g < opt->group_count(); ++g) opt->set_state_options(o.state, g);
    return opt;
  };
  std::unique_ptr<Bf16Weights> bf16;
  if (o.bf16_params) {
    if constexpr (sizeof(T) != 4)
      throw OptionError("", "bf16_params", " needs a float32 model, this one is float64");
    else
      bf16 = std::make_unique<Bf16Weights>(model.params());
  }
  std::vector<Param> params = bf16 ? bf16->params() : model.params();
  std::unique_ptr<Optimizer> own;
  Optimizer* optimizer = o.parallel ? &o.parallel->start(params, make) : (own = make(params)).get();
  optimizer->set_threads(o.threads);
  // Only now that the options are known good: a refused run leaves the caller's weights alone.
  if (bf16) bf16->to_model();

  RunResult r;
  r.optimizer = o.optimizer;
  for (const auto& v : optimizer->option_values()) r.options.push_back({std::string(v.name), v.value, v.is_flag});
  r.epochs.reserve(std::size_t(o.epochs));
  const std::span<const int> test_labels(test.y);
  const ConstView<T> test_x(test.x.data(), test.x.rows(), test.x.cols());

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const double cpu_start = thread_cpu_seconds();
  RunCursor at, now;  // where the run started, and where it stands (what a checkpoint records)
  double lr = 0;      // group 0's rate in the last step
  auto wall = [&] { return at.wall_seconds + std::chrono::duration<double>(clock::now() - start).count(); };

  // After each epoch: the test (with the weight average, if any), the metrics, on_epoch.
  Extras* extras_ptr = nullptr;
  auto test_epoch = [&](HookContext& c) {
    const double accuracy =
        extras_ptr->evaluated([&] { return double(model.correct(test_x, test_labels)) / double(test.x.rows()); });
    r.epochs.push_back({int(c.epoch()), c.loss(), accuracy, wall(), lr});
    if (accuracy > r.best_test_accuracy || c.epoch() == 1) {
      r.best_test_accuracy = accuracy;
      r.best_epoch = int(c.epoch());
    }
    if (on_epoch) on_epoch(r.epochs.back());
  };
  // After: the options keep the base lr, not the schedule's first.
  Extras extras(o, *optimizer, model.params(), test_epoch);
  extras_ptr = &extras;
  Hooks& hooks = extras.hooks();

  // Checkpoints: where to start, and a snapshot of the run at its cursor (src/lab/run_state.hpp).
  const std::string config = o.resume || o.save ? run_config(o, train, test) : "";
  const std::int64_t steps_per_epoch = (n + o.batch_size - 1) / o.batch_size;
  if (o.resume) {
    at = restore_run(*o.resume, *optimizer, r, config, o.epochs, steps_per_epoch);
    if (bf16) bf16->to_model();
    hooks.restore(*o.resume);
    if (o.resume->has("run/lr") && o.resume->f64("run/lr").size() == 1) lr = o.resume->f64("run/lr")[0];
    hooks.set_position(at.epoch * steps_per_epoch + at.batch, at.epoch + 1);
  }
  now = at;
  hooks.set_snapshot([&] {
    const RunCursor c{now.epoch, now.batch, now.loss_sum, wall(), at.cpu_seconds + thread_cpu_seconds() - cpu_start};
    Checkpoint checkpoint = run_checkpoint(*optimizer, r, c, config);
    hooks.save(checkpoint);
    checkpoint.put_f64("run/lr", {lr});
    return checkpoint;
  });

  hooks.begin();
  for (int epoch = at.epoch + 1; epoch <= o.epochs; ++epoch)
    if (!run_epoch(model, train, o, *optimizer, bf16.get(), hooks, epoch, epoch == at.epoch + 1 ? at : RunCursor{}, now,
                   lr))
      break;
  r.stopped = hooks.stopped();
  r.stopped_by = hooks.stopped_by();
  hooks.end();
  r.train_seconds = wall();
  r.cpu_seconds = at.cpu_seconds + thread_cpu_seconds() - cpu_start;
  r.steps = optimizer->t();
  r.skipped_steps = optimizer->skipped_steps();
  r.zeroed_values = optimizer->zeroed_values();
  return r;
}

template Data<float> to_data(const Dataset&);
template Data<double> to_data(const Dataset&);
template RunResult train(Model<float>&, const Data<float>&, const Data<float>&, const TrainOptions&,
                         const std::function<void(const EpochMetrics&)>&);
template RunResult train(Model<double>&, const Data<double>&, const Data<double>&, const TrainOptions&,
                         const std::function<void(const EpochMetrics&)>&);

}  // namespace descent::lab
