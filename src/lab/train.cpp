#include "descent/lab/train.hpp"

#include <time.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "descent/average.hpp"
#include "descent/clip.hpp"
#include "descent/registry.hpp"
#include "descent/schedule_spec.hpp"

namespace descent::lab {

namespace {

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

// Checks the extras' options; returns the schedule they ask for (none without --schedule).
ParsedSchedule checked_extras(const TrainOptions& o) {
  for (const auto& [name, x] : {std::pair{"--clip-norm", o.clip_norm}, {"--clip-norm-per-tensor", o.clip_norm_per_tensor},
                                {"--clip-value", o.clip_value}})
    if (!(x >= 0) || !std::isfinite(x)) throw OptionError(std::string(name) + " " + std::to_string(x) + " is out of range [0, inf)");
  if (!(o.ema >= 0 && o.ema < 1)) throw OptionError("--ema " + std::to_string(o.ema) + " is out of range [0, 1)");
  if (o.ema > 0 && o.swa) throw OptionError("--ema and --swa exclude each other");
  if (o.schedule.empty()) return {};
  ParsedSchedule parsed = parse_schedule(o.schedule);
  if (parsed.uses_metric && o.schedule_per_step)
    throw OptionError("--schedule '" + o.schedule + "': plateau is fed the epoch loss, so it needs --schedule-unit epoch");
  return parsed;
}

// The schedule, clipping and weight averaging the options ask for, around the plain loop.
class Extras {
 public:
  Extras(const TrainOptions& o, Optimizer& optimizer, std::vector<Param> params)
      : o_(o), optimizer_(optimizer), params_(std::move(params)) {
    ParsedSchedule parsed = checked_extras(o);
    uses_metric_ = parsed.uses_metric;
    if (parsed.schedule) scheduler_.emplace(optimizer, std::move(parsed.schedule));
    if (o.ema > 0) average_.emplace(WeightAverage::ema(params_, o.ema));
    if (o.swa) average_.emplace(WeightAverage::polyak(params_));
  }
  // Between the backward pass and the optimizer step.
  void before_step() {
    if (o_.clip_value > 0) clip_grad_value(params_, o_.clip_value);
    if (o_.clip_norm_per_tensor > 0) clip_grad_norm_per_tensor(optimizer_, o_.clip_norm_per_tensor);
    if (o_.clip_norm > 0) clip_grad_norm(optimizer_, o_.clip_norm);
  }
  void after_step() {
    lr_ = optimizer_.lr(0);
    if (scheduler_ && o_.schedule_per_step) scheduler_->step();
    if (o_.ema > 0) average_->update();
  }
  void end_epoch(double loss) {
    if (o_.swa) average_->update();
    if (scheduler_ && !o_.schedule_per_step) uses_metric_ ? scheduler_->step(loss) : scheduler_->step();
  }
  // Runs `evaluate` with the averaged weights in place, if any.
  template <class F>
  auto evaluated(F evaluate) {
    if (average_) average_->swap();
    auto result = evaluate();
    if (average_) average_->swap();
    return result;
  }
  double last_lr() const { return lr_; }

 private:
  const TrainOptions& o_;
  Optimizer& optimizer_;
  std::vector<Param> params_;
  std::optional<Scheduler> scheduler_;
  std::optional<WeightAverage> average_;
  bool uses_metric_ = false;
  double lr_ = 0;
};

}  // namespace

void check_extras(const TrainOptions& o) { checked_extras(o); }

template <class T>
Data<T> to_data(const Dataset& d) {
  return {d.x.cast<T>(), d.y};
}

template <class T>
RunResult train(Model<T>& model, const Data<T>& train, const Data<T>& test, const TrainOptions& o,
                const std::function<void(const EpochMetrics&)>& on_epoch) {
  if (o.epochs < 1) throw OptionError("--epochs " + std::to_string(o.epochs) + " is out of range [1, inf)");
  if (o.batch_size < 1 || o.batch_size > model.max_batch())
    throw OptionError("--batch-size " + std::to_string(o.batch_size) + " is out of range [1, " +
                      std::to_string(model.max_batch()) + "]");
  const Eigen::Index n = train.x.rows(), features = train.x.cols();
  if (n == 0 || test.x.rows() == 0) throw Error("training and test sets must not be empty");

  auto optimizer = make_optimizer(o.optimizer, model.params(), o.convention, o.overrides, o.no_decay);
  optimizer->set_threads(o.threads);

  RunResult r;
  r.optimizer = o.optimizer;
  for (const auto& v : optimizer->option_values()) r.options.push_back({std::string(v.name), v.value, v.is_flag});
  Extras extras(o, *optimizer, model.params());  // after: the options keep the base lr, not the schedule's first
  r.epochs.reserve(std::size_t(o.epochs));
  const std::span<const int> labels(train.y), test_labels(test.y);
  const ConstView<T> test_x(test.x.data(), test.x.rows(), test.x.cols());

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const double cpu_start = thread_cpu_seconds();
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    double loss_sum = 0;
    int batches = 0;
    for (Eigen::Index begin = 0; begin < n; begin += o.batch_size) {
      const Eigen::Index rows = std::min(o.batch_size, n - begin);
      const ConstView<T> x(train.x.data() + begin * features, rows, features);
      loss_sum += double(model.train_batch(x, labels.subspan(std::size_t(begin), std::size_t(rows))));
      extras.before_step();
      optimizer->step();
      extras.after_step();
      ++batches;
    }
    extras.end_epoch(loss_sum / batches);
    const double accuracy =
        extras.evaluated([&] { return double(model.correct(test_x, test_labels)) / double(test.x.rows()); });
    const double seconds = std::chrono::duration<double>(clock::now() - start).count();
    r.epochs.push_back({epoch, loss_sum / batches, accuracy, seconds, extras.last_lr()});
    if (accuracy > r.best_test_accuracy || epoch == 1) {
      r.best_test_accuracy = accuracy;
      r.best_epoch = epoch;
    }
    if (on_epoch) on_epoch(r.epochs.back());
  }
  r.train_seconds = std::chrono::duration<double>(clock::now() - start).count();
  r.cpu_seconds = thread_cpu_seconds() - cpu_start;
  r.steps = optimizer->t();
  return r;
}

template Data<float> to_data(const Dataset&);
template Data<double> to_data(const Dataset&);
template RunResult train(Model<float>&, const Data<float>&, const Data<float>&, const TrainOptions&,
                         const std::function<void(const EpochMetrics&)>&);
template RunResult train(Model<double>&, const Data<double>&, const Data<double>&, const TrainOptions&,
                         const std::function<void(const EpochMetrics&)>&);

}  // namespace descent::lab
