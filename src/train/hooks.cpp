#include "descent/hooks.hpp"

#include <cmath>

#include "descent/clip.hpp"
#include "descent/options.hpp"
#include "descent/schedule_spec.hpp"

namespace descent {

namespace {

// A hook's option out of its range, named as the library names it (the CLI maps it to a flag).
void check_range(bool ok, const char* option, double value, const char* range) {
  if (!ok) throw OptionError("", option, " " + format_number(value) + " is out of range " + range);
}

[[noreturn]] void fail(const Checkpoint& c, const std::string& problem) {
  throw CheckpointError("checkpoint '" + c.source() + "': " + problem);
}

}  // namespace

double HookContext::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
}

void HookContext::stop(std::string_view by) {
  if (stopped_by_.empty()) stopped_by_ = by.empty() ? "stop" : std::string(by);
}

Hooks::Hooks(Optimizer& optimizer, std::vector<Hook*> hooks) : HookContext(optimizer), hooks_(std::move(hooks)) {
  snapshot_ = [this] {
    Checkpoint c;
    c.put_training(optimizer_);
    save(c);
    return c;
  };
}

void Hooks::begin(double loss) {
  loss_ = loss;
  for (Hook* h : hooks_) h->on_begin(*this);
}

bool Hooks::before_step(double loss) {
  loss_ = loss;
  skip_ = false;
  for (Hook* h : hooks_) {
    h->on_before_step(*this);
    if (skip_) {
      skipped_by_ = h->name();
      return false;
    }
  }
  return true;
}

void Hooks::after_step() {
  ++step_;
  for (Hook* h : hooks_) h->on_after_step(*this);
}

void Hooks::after_step(double loss) {
  loss_ = loss;
  after_step();
}

void Hooks::end_epoch(double mean_loss) {
  loss_ = mean_loss;
  for (Hook* h : hooks_) h->on_end_epoch(*this);
  ++epoch_;
}

void Hooks::end() {
  for (Hook* h : hooks_) h->on_end(*this);
}

void Hooks::save(Checkpoint& c) const {
  for (const Hook* h : hooks_) h->save(c);
}

void Hooks::restore(const Checkpoint& c) {
  for (Hook* h : hooks_) h->restore(c);
}

ClipGradValue::ClipGradValue(double clip_value) : clip_value_(clip_value) {
  check_range(clip_value > 0 && std::isfinite(clip_value), "clip_value", clip_value, "(0, inf)");
}
void ClipGradValue::on_before_step(HookContext& c) { clip_grad_value(c.optimizer().params(), clip_value_); }

ClipGradNormPerTensor::ClipGradNormPerTensor(double max_norm) : max_norm_(max_norm) {
  check_range(max_norm > 0 && std::isfinite(max_norm), "clip_norm_per_tensor", max_norm, "(0, inf)");
}
void ClipGradNormPerTensor::on_before_step(HookContext& c) { clip_grad_norm_per_tensor(c.optimizer(), max_norm_); }

ClipGradNorm::ClipGradNorm(double max_norm) : max_norm_(max_norm) {
  check_range(max_norm > 0 && std::isfinite(max_norm), "clip_norm", max_norm, "(0, inf)");
}
void ClipGradNorm::on_before_step(HookContext& c) { clip_grad_norm(c.optimizer(), max_norm_); }

LrSchedule::LrSchedule(std::unique_ptr<Schedule> schedule, ScheduleUnit unit, bool uses_metric)
    : LrSchedule(ParsedSchedule{std::move(schedule), uses_metric}, unit, "") {}

LrSchedule::LrSchedule(std::string_view spec, ScheduleUnit unit) : LrSchedule(parse_schedule(spec), unit, spec) {}

LrSchedule::LrSchedule(ParsedSchedule parsed, ScheduleUnit unit, std::string_view spec)
    : schedule_(std::move(parsed.schedule)), unit_(unit), uses_metric_(parsed.uses_metric) {
  if (!schedule_) throw OptionError("", "schedule", ": no schedule given");
  if (uses_metric_ && unit_ == ScheduleUnit::step)
    throw OptionError("", "schedule",
                      (spec.empty() ? std::string() : " '" + std::string(spec) + "'") +
                          ": plateau is fed the epoch loss, so it steps once per epoch, not per step");
}

void LrSchedule::on_begin(HookContext& c) {
  if (scheduler_) return;  // a second begin (a loop run on) keeps the position
  scheduler_.emplace(c.optimizer(), std::move(schedule_));
  if (!restored_) return;
  try {
    scheduler_->load_state(*restored_);
  } catch (const Error& e) {
    throw CheckpointError("checkpoint '" + restored_from_ + "': " + e.what());
  }
  restored_.reset();
}

const Scheduler& LrSchedule::scheduler() const {
  if (!scheduler_) throw Error("schedule: no scheduler before the loop's begin()");
  return *scheduler_;
}

void LrSchedule::on_after_step(HookContext&) {
  if (unit_ == ScheduleUnit::step) scheduler_->step();
}

void LrSchedule::on_end_epoch(HookContext& c) {
  if (unit_ == ScheduleUnit::step) return;
  if (uses_metric_)
    scheduler_->step(c.loss());
  else
    scheduler_->step();
}

void LrSchedule::save(Checkpoint& c) const {
  std::string names;
  std::vector<double> values;
  for (const auto& kv : scheduler().state()) {
    names += kv.first + "\n";
    values.push_back(kv.second);
  }
  c.put_text("schedule/names", names);
  c.put_f64("schedule/values", values);
}

void LrSchedule::restore(const Checkpoint& c) {
  if (!c.has("schedule/names") || !c.has("schedule/values")) fail(c, "no learning-rate schedule state");
  const std::string names = c.text("schedule/names");
  const std::vector<double> values = c.f64("schedule/values");
  ScheduleState state;
  std::size_t from = 0;
  for (double v : values) {
    const std::size_t end = names.find('\n', from);
    if (end == std::string::npos) fail(c, "malformed schedule state");
    state.emplace_back(names.substr(from, end - from), v);
    from = end + 1;
  }
  if (from != names.size()) fail(c, "malformed schedule state");
  if (scheduler_) {
    try {
      scheduler_->load_state(state);
    } catch (const Error& e) {
      fail(c, e.what());
    }
    return;
  }
  restored_ = std::move(state);
  restored_from_ = c.source();
}

AverageWeights AverageWeights::ema(double decay, std::vector<Param> params) {
  check_range(decay >= 0 && decay < 1, "ema", decay, "[0, 1)");
  return {decay, std::move(params), true};
}

AverageWeights AverageWeights::swa(std::vector<Param> params) { return {0.0, std::move(params), false}; }

void AverageWeights::on_begin(HookContext& c) {
  if (average_) return;
  const std::vector<Param>& params = params_.empty() ? c.optimizer().params() : params_;
  average_.emplace(ema_ ? WeightAverage::ema(params, decay_) : WeightAverage::polyak(params));
  if (!restored_) return;
  try {
    average_->restore(*restored_);
  } catch (const Error& e) {
    throw CheckpointError("checkpoint '" + restored_from_ + "': " + e.what());
  }
  restored_.reset();
}

WeightAverage& AverageWeights::average() {
  if (!average_) throw Error(name() + ": no average before the loop's begin()");
  return *average_;
}

void AverageWeights::save(Checkpoint& c) const {
  if (!average_) throw Error(name() + ": no average before the loop's begin()");
  c.put_f64("average", average_->state());
}

void AverageWeights::restore(const Checkpoint& c) {
  if (!c.has("average")) fail(c, "no weight-average state");
  if (average_) {
    try {
      average_->restore(c.f64("average"));
    } catch (const Error& e) {
      fail(c, e.what());
    }
    return;
  }
  restored_ = c.f64("average");
  restored_from_ = c.source();
}

AccumulateGradients::AccumulateGradients(std::int64_t steps) : steps_(steps) {
  check_range(steps >= 1, "accumulate", double(steps), "[1, inf)");
}

SaveCheckpoints::SaveCheckpoints(std::function<void(const Checkpoint&)> save, int every_epochs)
    : save_(std::move(save)), every_epochs_(every_epochs) {
  if (!save_) throw OptionError("", "save", ": no function to hand the checkpoints to");
  check_range(every_epochs >= 0, "save_every", double(every_epochs), "[0, inf)");
}

void SaveCheckpoints::on_end_epoch(HookContext& c) {
  if ((every_epochs_ > 0 && c.epoch() % every_epochs_ == 0) || c.stopping()) write(c);
}

void SaveCheckpoints::write(HookContext& c) {
  save_(c.checkpoint());
  saved_at_ = c.step();
}

}  // namespace descent
