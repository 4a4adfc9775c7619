#include "descent/lab/train.hpp"

#include <time.h>

#include <chrono>

#include "descent/registry.hpp"

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

  RunResult r;
  r.optimizer = o.optimizer;
  for (const auto& v : optimizer->option_values()) r.options.push_back({std::string(v.name), v.value, v.is_flag});
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
      optimizer->step();
      ++batches;
    }
    const double accuracy = double(model.correct(test_x, test_labels)) / double(test.x.rows());
    const double seconds = std::chrono::duration<double>(clock::now() - start).count();
    r.epochs.push_back({epoch, loss_sum / batches, accuracy, seconds});
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
