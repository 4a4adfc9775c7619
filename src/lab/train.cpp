#include "descent/lab/train.hpp"

#include <time.h>

#include <chrono>

#include "descent/registry.hpp"
#include "run_state.hpp"

namespace descent::lab {

namespace {

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

}  // namespace

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

  auto optimizer = make_optimizer(o.optimizer, model.params(), o.convention, o.overrides);
  optimizer->set_threads(o.threads);
  optimizer->set_nonfinite(o.nonfinite);

  RunResult r;
  r.optimizer = o.optimizer;
  for (const auto& v : optimizer->option_values()) r.options.push_back({std::string(v.name), v.value, v.is_flag});
  r.epochs.reserve(std::size_t(o.epochs));
  const std::span<const int> labels(train.y), test_labels(test.y);
  const ConstView<T> test_x(test.x.data(), test.x.rows(), test.x.cols());

  // Checkpoints: where to start, and a snapshot of the run at a cursor (src/lab/run_state.hpp).
  // A learning-rate scheduler's state goes in the checkpoint's section "schedule".
  const std::string config = o.resume || o.save ? run_config(o, train, test) : "";
  RunCursor at;
  if (o.resume) at = restore_run(*o.resume, *optimizer, r, config, o.epochs, (n + o.batch_size - 1) / o.batch_size);

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const double cpu_start = thread_cpu_seconds();
  const double wall_before = at.wall_seconds, cpu_before = at.cpu_seconds;
  auto save = [&](int epoch, std::int64_t batch, double loss_sum) {
    if (!o.save) return;
    const RunCursor now{epoch, batch, loss_sum,
                        wall_before + std::chrono::duration<double>(clock::now() - start).count(),
                        cpu_before + thread_cpu_seconds() - cpu_start};
    o.save(run_checkpoint(*optimizer, r, now, config));
  };
  for (int epoch = at.epoch + 1; epoch <= o.epochs; ++epoch) {
    double loss_sum = at.loss_sum;
    std::int64_t batches = at.batch;
    at.loss_sum = 0;
    at.batch = 0;
    for (Eigen::Index begin = batches * o.batch_size; begin < n; begin += o.batch_size) {
      const Eigen::Index rows = std::min(o.batch_size, n - begin);
      const ConstView<T> x(train.x.data() + begin * features, rows, features);
      loss_sum += double(model.train_batch(x, labels.subspan(std::size_t(begin), std::size_t(rows))));
      optimizer->step();
      ++batches;
      if (o.stop && *o.stop) {
        save(epoch - 1, batches, loss_sum);
        r.stopped = true;
        break;
      }
    }
    if (r.stopped) break;
    const double accuracy = double(model.correct(test_x, test_labels)) / double(test.x.rows());
    const double seconds = wall_before + std::chrono::duration<double>(clock::now() - start).count();
    r.epochs.push_back({epoch, loss_sum / double(batches), accuracy, seconds});
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
