// A program that uses the training lab as an outside project would: the tutorial's model on
// iris with Adam for 50 epochs, then the test accuracy.
#include <cstdio>
#include <descent/lab/dataset.hpp>
#include <descent/lab/random.hpp>
#include <descent/lab/train.hpp>

int main() {
  using namespace descent::lab;
  Dataset all = iris();
  Rng order(116, Stream::data_order);
  shuffle(all, order);
  auto [train_set, test_set] = split_tail(all, 30);
  Model<float> model(ModelSpec{}, 32);
  Rng init(116, Stream::initialization);
  model.initialize(Initializer::truncated_normal, init);
  TrainOptions o;
  o.optimizer = "adam";
  o.convention = descent::Convention::seed;
  o.epochs = 50;
  const RunResult r = train(model, to_data<float>(train_set), to_data<float>(test_set), o);
  // The loss must fall; the tutorial's Adam classifies most of iris after 50 epochs.
  const bool ok = r.epochs.back().loss < r.epochs.front().loss && r.best_test_accuracy >= 0.6;
  std::printf("lab: adam loss %.4f -> %.4f, best test accuracy %.3f (%s)\n", r.epochs.front().loss,
              r.epochs.back().loss, r.best_test_accuracy, ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
