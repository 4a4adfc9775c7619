#pragma once
// One hook model for every training loop: lab::train, descent::minimize and a loop of your own
// (docs/hooks.md has a worked example). A loop holds its hooks in a Hooks list and calls it at
// five events; the list calls every hook, in the order given, with a HookContext:
//
//   begin         once, before the first step (after a resume has restored the hooks' state)
//   before_step   the step's gradients are ready: clipping, accumulation
//   after_step    after optimizer.step(): weight averages, per-step schedules, stopping
//   end_epoch     an epoch's steps are done: per-epoch schedules, SWA, checkpoints
//   end           once, however the run ended (not when it failed)
//
// Every hook sees every event, even after one has asked to stop (the run stops after the
// event). A hook that skips the step in before_step (accumulation) ends that event: the hooks
// after it do not see it, and the loop takes no step and calls no after_step.
//
// The training extras are hooks over the library's pieces (schedule.hpp, clip.hpp,
// average.hpp, accumulate.hpp, checkpoint.hpp): plain classes, virtual calls once per event and
// no pass over the parameters of their own. As ensmallen's callbacks and Keras's, but with the
// state a checkpoint needs (save/restore, Lightning's state_dict) and without compile-time
// machinery.
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "descent/accumulate.hpp"
#include "descent/average.hpp"
#include "descent/checkpoint.hpp"
#include "descent/optimizer.hpp"
#include "descent/schedule.hpp"
#include "descent/schedule_spec.hpp"

namespace descent {

class Hook;

// What a hook sees of the loop, and how it acts on it.
class HookContext {
 public:
  Optimizer& optimizer() const { return optimizer_; }
  // Optimizer steps the loop has taken (in before_step, the steps before this one).
  std::int64_t step() const { return step_; }
  // The epoch under way (in end_epoch, the one ending), from 1; a loop without epochs has one.
  std::int64_t epoch() const { return epoch_; }
  // The loss the loop reported last (NaN before any): in before_step and after_step the batch's
  // loss, whose gradients the step uses; in end_epoch the epoch's mean. minimize reports f at
  // the current point, so after_step sees f after the step.
  double loss() const { return loss_; }
  double seconds() const;  // since the Hooks were made

  // Ends the run after this event; the first hook to ask is the one stopped_by() names.
  void stop(std::string_view by);
  bool stopping() const { return !stopped_by_.empty(); }
  const std::string& stopped_by() const { return stopped_by_; }
  // In before_step: the loop does not step this time (gradient accumulation).
  void skip_step() { skip_ = true; }

  // A checkpoint of the run as it stands: the model and the optimizer (or what the loop puts
  // there instead, set_snapshot) and every hook's state.
  Checkpoint checkpoint() const { return snapshot_(); }

 protected:
  explicit HookContext(Optimizer& optimizer) : optimizer_(optimizer) {}

  Optimizer& optimizer_;
  std::int64_t step_ = 0;
  std::int64_t epoch_ = 1;
  double loss_ = std::numeric_limits<double>::quiet_NaN();
  std::string stopped_by_;
  bool skip_ = false;
  std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
  std::function<Checkpoint()> snapshot_;
};

class Hook {
 public:
  virtual ~Hook() = default;
  // The option the hook stands for ("clip_norm", "schedule", ...): stopped_by names it, and so
  // do its errors.
  virtual std::string name() const = 0;
  virtual void on_begin(HookContext&) {}
  virtual void on_before_step(HookContext&) {}
  virtual void on_after_step(HookContext&) {}
  virtual void on_end_epoch(HookContext&) {}
  virtual void on_end(HookContext&) {}
  // Its state in a checkpoint, as sections of its own; restore throws CheckpointError
  // "checkpoint 'FILE': <problem>" and changes nothing when they are missing or do not fit.
  virtual void save(Checkpoint&) const {}
  virtual void restore(const Checkpoint&) {}
};

// The loop's side: the hooks in order, and the events. A loop of your own:
//
//   descent::Hooks hooks(optimizer, {&clip, &schedule, &ema, &save});
//   hooks.begin();
//   for (epoch...) {
//     for (batch...) {
//       const double loss = forward_and_backward(batch);   // gradients into the params' memory
//       if (hooks.before_step(loss)) { optimizer.step(); hooks.after_step(); }
//       if (hooks.stopped()) break;
//     }
//     hooks.end_epoch(epoch_mean_loss);
//     if (hooks.stopped()) break;
//   }
//   hooks.end();
class Hooks : public HookContext {
 public:
  // The hooks are the caller's and must outlive the run.
  explicit Hooks(Optimizer& optimizer, std::vector<Hook*> hooks = {});
  void add(Hook& hook) { hooks_.push_back(&hook); }
  const std::vector<Hook*>& hooks() const { return hooks_; }

  void begin(double loss = std::numeric_limits<double>::quiet_NaN());
  // True: take the step. False: a hook skipped it (skipped_by() names it).
  bool before_step(double loss);
  void after_step();             // the step counts; the loss stays the batch's
  void after_step(double loss);  // the same, with the loss at the new point
  void end_epoch(double mean_loss);
  void end();
  bool stopped() const { return stopping(); }
  const std::string& skipped_by() const { return skipped_by_; }

  // Checkpoints: every hook's state into c; restore (before begin) every hook's from c.
  void save(Checkpoint& c) const;
  void restore(const Checkpoint& c);
  // What checkpoint() holds: by default c.put_training(optimizer) and then save(c).
  void set_snapshot(std::function<Checkpoint()> snapshot) { snapshot_ = std::move(snapshot); }
  // Where a resumed run stands: `step` steps taken, epoch `epoch` under way.
  void set_position(std::int64_t step, std::int64_t epoch) {
    step_ = step;
    epoch_ = epoch;
  }

 private:
  std::vector<Hook*> hooks_;
  std::string skipped_by_;
};

// ---- The training extras as hooks ---------------------------------------------------------

// Every gradient element clamped to [−clip_value, clip_value] (clip_grad_value), before each step.
class ClipGradValue final : public Hook {
 public:
  explicit ClipGradValue(double clip_value);
  std::string name() const override { return "clip_value"; }
  void on_before_step(HookContext& c) override;

 private:
  double clip_value_;
};

// Each parameter's gradient clipped by its own norm (clip_grad_norm_per_tensor), before each step.
class ClipGradNormPerTensor final : public Hook {
 public:
  explicit ClipGradNormPerTensor(double max_norm);
  std::string name() const override { return "clip_norm_per_tensor"; }
  void on_before_step(HookContext& c) override;

 private:
  double max_norm_;
};

// The global gradient norm clipped to max_norm (clip_grad_norm, torch's clip_grad_norm_),
// before each step; folds into the step as a gradient scale.
class ClipGradNorm final : public Hook {
 public:
  explicit ClipGradNorm(double max_norm);
  std::string name() const override { return "clip_norm"; }
  void on_before_step(HookContext& c) override;

 private:
  double max_norm_;
};

// The hooks below bind to the loop's optimizer at begin (so minimize, which makes its own, takes
// them too); a resumed run restores them before begin, and they take that state at begin.

// The learning rate set by a schedule (a Scheduler over the optimizer, whose groups' rates at
// begin are the base rates): stepped after every step, or at every epoch's end, where a
// schedule that listens to a metric (plateau) is fed the epoch's mean loss.
enum class ScheduleUnit { epoch, step };

class LrSchedule final : public Hook {
 public:
  LrSchedule(std::unique_ptr<Schedule> schedule, ScheduleUnit unit = ScheduleUnit::epoch, bool uses_metric = false);
  // From a schedule spec (schedule_spec.hpp): throws OptionError naming "schedule".
  explicit LrSchedule(std::string_view spec, ScheduleUnit unit = ScheduleUnit::epoch);
  std::string name() const override { return "schedule"; }
  void on_begin(HookContext& c) override;
  void on_after_step(HookContext& c) override;
  void on_end_epoch(HookContext& c) override;
  // Sections "schedule/names" and "schedule/values": the scheduler's state().
  void save(Checkpoint& c) const override;
  void restore(const Checkpoint& c) override;
  const Scheduler& scheduler() const;  // from begin

 private:
  LrSchedule(ParsedSchedule parsed, ScheduleUnit unit, std::string_view spec);
  std::unique_ptr<Schedule> schedule_;  // until begin
  std::optional<Scheduler> scheduler_;
  ScheduleUnit unit_;
  bool uses_metric_;
  std::optional<ScheduleState> restored_;  // a checkpoint's state, for begin
  std::string restored_from_;
};

// A weight average for evaluation (WeightAverage) of `params` (empty: the optimizer's): the EMA
// updated after every step, or SWA's running mean at every epoch's end. The loop tests with
// average().swap() around its test, or evaluated(f).
class AverageWeights final : public Hook {
 public:
  static AverageWeights ema(double decay, std::vector<Param> params = {});  // throws OptionError naming "ema"
  static AverageWeights swa(std::vector<Param> params = {});
  std::string name() const override { return ema_ ? "ema" : "swa"; }
  void on_begin(HookContext& c) override;
  void on_after_step(HookContext&) override {
    if (ema_) average_->update();
  }
  void on_end_epoch(HookContext&) override {
    if (!ema_) average_->update();
  }
  // Section "average": the average's state().
  void save(Checkpoint& c) const override;
  void restore(const Checkpoint& c) override;
  WeightAverage& average();  // from begin
  // f() run with the averaged weights in place of the trained ones.
  template <class F>
  auto evaluated(F f) {
    WeightAverage& a = average();
    a.swap();
    struct SwapBack {
      WeightAverage& a;
      ~SwapBack() { a.swap(); }
    } back{a};
    return f();
  }

 private:
  AverageWeights(double decay, std::vector<Param> params, bool ema)
      : decay_(decay), params_(std::move(params)), ema_(ema) {}
  double decay_;
  std::vector<Param> params_;
  bool ema_;
  std::optional<WeightAverage> average_;
  std::optional<std::vector<double>> restored_;
  std::string restored_from_;
};

// The mean gradient of k micro-batches (GradientAccumulation): before_step skips the step
// until the k-th, whose step sees the mean. Put it first, so that clipping sees the mean. The
// loop adds each micro-batch's gradient into the gradient memory and zeroes it after a step.
class AccumulateGradients final : public Hook {
 public:
  explicit AccumulateGradients(std::int64_t steps);  // throws OptionError naming "accumulate"
  std::string name() const override { return "accumulate"; }
  void on_begin(HookContext& c) override { accumulation_.emplace(c.optimizer(), steps_); }
  void on_before_step(HookContext& c) override {
    if (!accumulation_->add()) c.skip_step();
  }

 private:
  std::int64_t steps_;
  std::optional<GradientAccumulation> accumulation_;
};

// How the optimizer treats a NaN or infinite gradient (Optimizer::set_nonfinite), from begin.
class NonFiniteGradients final : public Hook {
 public:
  explicit NonFiniteGradients(NonFinite policy) : policy_(policy) {}
  std::string name() const override { return "nonfinite"; }
  void on_begin(HookContext& c) override { c.optimizer().set_nonfinite(policy_); }

 private:
  NonFinite policy_;
};

// Checkpoints (HookContext::checkpoint) handed to `save`: at the end of every `every_epochs`-th
// epoch (0: never), after the step or epoch at which a hook stopped the run, and at the end,
// unless it saved at that step already. Put it last, so that it sees a stop asked for at the
// same event and every other hook's state after the event.
class SaveCheckpoints final : public Hook {
 public:
  explicit SaveCheckpoints(std::function<void(const Checkpoint&)> save, int every_epochs = 0);
  std::string name() const override { return "save"; }
  void on_after_step(HookContext& c) override {
    if (c.stopping()) write(c);
  }
  void on_end_epoch(HookContext& c) override;
  void on_end(HookContext& c) override {
    if (c.step() != saved_at_) write(c);
  }

 private:
  void write(HookContext& c);
  std::function<void(const Checkpoint&)> save_;
  int every_epochs_;
  std::int64_t saved_at_ = -1;
};

}  // namespace descent
