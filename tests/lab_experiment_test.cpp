// The tutorial's experiment through the library: iris shuffled with seed 116, 120 train /
// 30 test, dense 4→3 + softmax, MSE, batch 32, lr 0.1 (the seed convention), 500 epochs.
#include <gtest/gtest.h>

#include "descent/lab/train.hpp"
#include "descent/registry.hpp"
#include "lab_support.hpp"

namespace {

using namespace descent::lab;

struct Tutorial : lab_test::TutorialIris {
  RunResult run(const std::string& optimizer, int epochs = 500, std::uint64_t seed = 116) {
    Model<float> model(ModelSpec{}, 32);
    Rng init(seed, Stream::initialization);
    model.initialize(Initializer::truncated_normal, init);
    TrainOptions o;
    o.optimizer = optimizer;
    o.epochs = epochs;
    return descent::lab::train(model, train, test, o);
  }
};

TEST(LabExperiment, EveryTutorialOptimizerLearnsIris) {
  Tutorial t;
  for (const char* name : {"sgd", "sgdm", "adagrad", "rmsprop", "adam"}) {  // the tutorial's five, at its lr 0.1
    SCOPED_TRACE(name);
    const RunResult r = t.run(name);
    ASSERT_EQ(r.epochs.size(), 500u);
    EXPECT_EQ(r.steps, 2000);  // 4 steps per epoch: 32, 32, 32, 24
    // Untrained, the softmax outputs are near 1/3 each: MSE near (4/9 + 2/9)/3 ≈ 0.22.
    EXPECT_GT(r.epochs.front().loss, 0.1);
    EXPECT_LT(r.epochs.back().loss, 0.3 * r.epochs.front().loss);
    EXPECT_GE(r.epochs.back().test_accuracy, 0.9);
    EXPECT_GE(r.best_test_accuracy, 0.9);
    EXPECT_EQ(r.epochs[std::size_t(r.best_epoch - 1)].test_accuracy, r.best_test_accuracy);
    for (int e = 0; e + 1 < r.best_epoch; ++e) EXPECT_LT(r.epochs[std::size_t(e)].test_accuracy, r.best_test_accuracy);
  }
}

TEST(LabExperiment, SameSeedSameNumbersOtherSeedOthers) {
  Tutorial t;
  const RunResult a = t.run("adam", 50), b = t.run("adam", 50), c = t.run("adam", 50, 7);
  for (std::size_t e = 0; e < a.epochs.size(); ++e) {
    EXPECT_EQ(a.epochs[e].loss, b.epochs[e].loss);
    EXPECT_EQ(a.epochs[e].test_accuracy, b.epochs[e].test_accuracy);
  }
  EXPECT_NE(a.epochs.front().loss, c.epochs.front().loss);
}

TEST(LabExperiment, BadSettingsFailBeforeTraining) {
  Tutorial t;
  Model<float> model(ModelSpec{}, 32);
  TrainOptions o;
  o.optimizer = "adamz";
  EXPECT_THROW(descent::lab::train(model, t.train, t.test, o), descent::OptionError);
  o.optimizer = "adam";
  o.batch_size = 33;  // beyond the model's buffers
  EXPECT_THROW(descent::lab::train(model, t.train, t.test, o), descent::OptionError);
  o.batch_size = 32;
  o.overrides = {{"beta1", "1.5"}};
  EXPECT_THROW(descent::lab::train(model, t.train, t.test, o), descent::OptionError);
}

}  // namespace
