#include "descent/lab/train.hpp"

#include <time.h>

#include <chrono>
#include <cmath>
#include <optional>

#include "descent/average.hpp"
#include "descent/clip.hpp"
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
    if (o_.clip_norm > 0 && o_.parallel) o_.parallel->clip_grad_norm(o_.clip_norm);
    if (o_.clip_norm > 0 && !o_.parallel) clip_grad_norm(optimizer_, o_.clip_norm);
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

  // Checkpoints: the scheduler's position (section "schedule") and the weight average
  // ("average"), so a resumed run goes on with both as the uninterrupted run does.
  void save(Checkpoint& c) const {
    if (scheduler_) {
      std::string names;
      std::vector<double> values;
      for (const auto& kv : scheduler_->state()) {
        names += kv.first + "\n";
        values.push_back(kv.second);
      }
      c.put_text("schedule/names", names);
      c.put_f64("schedule/values", values);
    }
    if (average_) c.put_f64("average", average_->state());
    c.put_f64("run/lr", {lr_});
  }
  void restore(const Checkpoint& c) {
    auto fail = [&](const std::string& problem) {
      throw CheckpointError("checkpoint '" + c.source() + "': " + problem);
    };
    if (scheduler_) {
      if (!c.has("schedule/names") || !c.has("schedule/values")) fail("no learning-rate schedule state");
      const std::string names = c.text("schedule/names");
      const std::vector<double> values = c.f64("schedule/values");
      ScheduleState state;
      std::size_t from = 0;
      for (double v : values) {
        const std::size_t end = names.find('\n', from);
        if (end == std::string::npos) fail("malformed schedule state");
        state.emplace_back(names.substr(from, end - from), v);
        from = end + 1;
      }
      if (from != names.size()) fail("malformed schedule state");
      try {
        scheduler_->load_state(state);
      } catch (const Error& e) {
        fail(e.what());
      }
    }
    if (average_) {
      if (!c.has("average")) fail("no weight-average state");
      try {
        average_->restore(c.f64("average"));
      } catch (const Error& e) {
        fail(e.what());
      }
    }
    if (c.has("run/lr") && c.f64("run/lr").size() == 1) lr_ = c.f64("run/lr")[0];
  }

 private:
  const TrainOptions& o_;
  Optimizer& optimizer_;
  std::vector<Param> params_;
  std::optional<Scheduler> scheduler_;
  std::optional<WeightAverage> average_;
  bool uses_metric_ = false;
  double lr_ = 0;
};

// One step on the batch's rows [begin, begin + rows): all of them, or under o.parallel this
// process's contiguous part, whose gradient counts with its share of the rows. Returns this
// process's part of the batch loss (the parts add up to the batch's mean loss).
template <class T>
double train_step(Model<T>& model, const Data<T>& train, Eigen::Index begin, Eigen::Index rows, const TrainOptions& o,
                  Optimizer& optimizer, Extras& extras) {
  const Eigen::Index features = train.x.cols();
  auto batch_loss = [&](Eigen::Index from, Eigen::Index count) {
    const ConstView<T> x(train.x.data() + from * features, count, features);
    return double(model.train_batch(x, std::span(train.y).subspan(std::size_t(from), std::size_t(count))));
  };
  if (!o.parallel) {
    const double loss = batch_loss(begin, rows);
    extras.before_step();
    optimizer.step();
    extras.after_step();
    return loss;
  }
  const Eigen::Index ranks = o.parallel->ranks(), rank = o.parallel->rank();
  const Eigen::Index from = begin + rows * rank / ranks, count = begin + rows * (rank + 1) / ranks - from;
  const double share = double(count) / double(rows), loss = count > 0 ? batch_loss(from, count) : 0.0;
  o.parallel->reduce(share);
  extras.before_step();
  o.parallel->step();
  extras.after_step();
  return share * loss;
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
  std::unique_ptr<Optimizer> own;
  Optimizer* optimizer = o.parallel ? &o.parallel->start(model.params(), make) : (own = make(model.params())).get();
  optimizer->set_threads(o.threads);
  optimizer->set_nonfinite(o.nonfinite);

  RunResult r;
  r.optimizer = o.optimizer;
  for (const auto& v : optimizer->option_values()) r.options.push_back({std::string(v.name), v.value, v.is_flag});
  Extras extras(o, *optimizer, model.params());  // after: the options keep the base lr, not the schedule's first
  r.epochs.reserve(std::size_t(o.epochs));
  const std::span<const int> test_labels(test.y);
  const ConstView<T> test_x(test.x.data(), test.x.rows(), test.x.cols());

  // Checkpoints: where to start, and a snapshot of the run at a cursor (src/lab/run_state.hpp).
  const std::string config = o.resume || o.save ? run_config(o, train, test) : "";
  RunCursor at;
  if (o.resume) {
    at = restore_run(*o.resume, *optimizer, r, config, o.epochs, (n + o.batch_size - 1) / o.batch_size);
    extras.restore(*o.resume);
  }

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const double cpu_start = thread_cpu_seconds();
  const double wall_before = at.wall_seconds, cpu_before = at.cpu_seconds;
  auto save = [&](int epoch, std::int64_t batch, double loss_sum) {
    if (!o.save) return;
    const RunCursor now{epoch, batch, loss_sum,
                        wall_before + std::chrono::duration<double>(clock::now() - start).count(),
                        cpu_before + thread_cpu_seconds() - cpu_start};
    Checkpoint c = run_checkpoint(*optimizer, r, now, config);
    extras.save(c);
    o.save(c);
  };
  for (int epoch = at.epoch + 1; epoch <= o.epochs; ++epoch) {
    double loss_sum = at.loss_sum;
    std::int64_t batches = at.batch;
    at.loss_sum = 0;
    at.batch = 0;
    for (Eigen::Index begin = batches * o.batch_size; begin < n; begin += o.batch_size) {
      loss_sum += train_step(model, train, begin, std::min(o.batch_size, n - begin), o, *optimizer, extras);
      ++batches;
      if (o.stop && *o.stop) {
        save(epoch - 1, batches, loss_sum);
        r.stopped = true;
        break;
      }
    }
    if (r.stopped) break;
    if (o.parallel) loss_sum = o.parallel->sum(loss_sum);
    extras.end_epoch(loss_sum / double(batches));
    const double accuracy =
        extras.evaluated([&] { return double(model.correct(test_x, test_labels)) / double(test.x.rows()); });
    const double seconds = wall_before + std::chrono::duration<double>(clock::now() - start).count();
    r.epochs.push_back({epoch, loss_sum / double(batches), accuracy, seconds, extras.last_lr()});
    if (accuracy > r.best_test_accuracy || epoch == 1) {
      r.best_test_accuracy = accuracy;
      r.best_epoch = epoch;
    }
    if (on_epoch) on_epoch(r.epochs.back());
    if (o.save_every > 0 && epoch % o.save_every == 0 && epoch != o.epochs) save(epoch, 0, 0);
  }
  if (!r.stopped) save(o.epochs, 0, 0);
  r.train_seconds = wall_before + std::chrono::duration<double>(clock::now() - start).count();
  r.cpu_seconds = cpu_before + thread_cpu_seconds() - cpu_start;
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
