// The one hook model (descent/hooks.hpp): a loop of one's own with descent's hooks reaches bit
// for bit what lab::train reaches with the same extras; the events come in the documented
// order in every loop (a hand loop, lab::train, minimize); a hook stops a run (and the
// checkpoint it leaves resumes to the uninterrupted run's numbers); accumulation skips steps and
// the hooks after it; every hook's bad option is an OptionError naming the option, not a flag.
#include "descent/hooks.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "descent/functions.hpp"
#include "descent/lab/train.hpp"
#include "descent/minimize.hpp"
#include "descent/registry.hpp"
#include "lab_support.hpp"

namespace {

using namespace descent;
using lab::Data;
using lab::Model;
using lab::ModelSpec;
using lab::TrainOptions;
using Iris = lab_test::TutorialIris;

void initialize(Model<float>& model) {
  lab::Rng init(116, lab::Stream::initialization);
  model.initialize(lab::Initializer::truncated_normal, init);
}

std::vector<std::vector<float>> weights(Model<float>& model) {
  std::vector<std::vector<float>> out;
  for (const Param& p : model.params()) out.emplace_back(p.value<float>().begin(), p.value<float>().end());
  return out;
}

bool same_bits(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].size() != b[i].size() || std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)) != 0)
      return false;
  return true;
}

// Every event a hook sees, as "name:event step epoch".
struct Recorder final : Hook {
  Recorder(std::string name, std::vector<std::string>& log) : name_(std::move(name)), log_(log) {}
  std::string name() const override { return name_; }
  void on_begin(HookContext& c) override { note("begin", c); }
  void on_before_step(HookContext& c) override { note("before", c); }
  void on_after_step(HookContext& c) override { note("after", c); }
  void on_end_epoch(HookContext& c) override {
    note("epoch", c);
    epoch_losses.push_back(c.loss());
  }
  void on_end(HookContext& c) override { note("end", c); }
  void note(const char* event, const HookContext& c) {
    log_.push_back(name_ + ":" + event + " " + std::to_string(c.step()) + " " + std::to_string(c.epoch()));
  }
  std::vector<double> epoch_losses;

 private:
  std::string name_;
  std::vector<std::string>& log_;
};

// Stops the run at a step or at an epoch's end.
struct StopAt final : Hook {
  StopAt(std::int64_t step, std::int64_t epoch) : step_(step), epoch_(epoch) {}
  std::string name() const override { return "stop_at"; }
  void on_after_step(HookContext& c) override {
    if (c.step() == step_) c.stop(name());
  }
  void on_end_epoch(HookContext& c) override {
    if (c.epoch() == epoch_) c.stop(name());
  }
  std::int64_t step_, epoch_;
};

struct LoopResult {
  std::vector<std::vector<float>> weights;
  std::vector<double> losses, accuracies;
};

// lab::train's loop written out by hand, as docs/hooks.md's reader would: the tutorial's batches
// in data order, descent's optimizer, the extras as hooks.
LoopResult own_loop(const Iris& data, int epochs) {
  Model<float> model(ModelSpec{}, 32);
  initialize(model);
  auto opt = make_optimizer("adam", model.params(), Convention::seed);
  opt->set_threads(1);
  ClipGradNorm clip(0.05);
  LrSchedule schedule("warmup:steps=5+cosine:t_max=15", ScheduleUnit::step);
  AverageWeights ema = AverageWeights::ema(0.9, model.params());
  Hooks hooks(*opt, {&clip, &schedule, &ema});
  LoopResult out;
  const Eigen::Index n = data.train.x.rows(), features = data.train.x.cols();
  const lab::ConstView<float> test_x(data.test.x.data(), data.test.x.rows(), features);
  hooks.begin();
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    double sum = 0;
    int batches = 0;
    for (Eigen::Index begin = 0; begin < n; begin += 32) {
      const Eigen::Index rows = std::min<Eigen::Index>(32, n - begin);
      const lab::ConstView<float> x(data.train.x.data() + begin * features, rows, features);
      const double loss = model.train_batch(x, std::span(data.train.y).subspan(std::size_t(begin), std::size_t(rows)));
      if (hooks.before_step(loss)) {
        opt->step();
        hooks.after_step();
      }
      sum += loss;
      ++batches;
    }
    hooks.end_epoch(sum / batches);
    out.losses.push_back(sum / batches);
    out.accuracies.push_back(
        ema.evaluated([&] { return double(model.correct(test_x, data.test.y)) / double(data.test.x.rows()); }));
  }
  hooks.end();
  out.weights = weights(model);
  return out;
}

TrainOptions extras(int epochs) {
  TrainOptions o;
  o.optimizer = "adam";
  o.epochs = epochs;
  o.clip_norm = 0.05;
  o.schedule = "warmup:steps=5+cosine:t_max=15";
  o.schedule_per_step = true;
  o.ema = 0.9;
  return o;
}

TEST(Hooks, OwnLoopIsBitIdenticalToLabTrainWithTheSameExtras) {
  const Iris data;
  const LoopResult own = own_loop(data, 6);
  Model<float> model(ModelSpec{}, 32);
  initialize(model);
  const lab::RunResult r = lab::train(model, data.train, data.test, extras(6));
  EXPECT_TRUE(same_bits(own.weights, weights(model)));
  ASSERT_EQ(r.epochs.size(), own.losses.size());
  for (std::size_t e = 0; e < own.losses.size(); ++e) {
    EXPECT_EQ(std::memcmp(&r.epochs[e].loss, &own.losses[e], sizeof(double)), 0) << "epoch " << e + 1;
    EXPECT_EQ(r.epochs[e].test_accuracy, own.accuracies[e]) << "epoch " << e + 1;
  }
  // The extras change the numbers (else the comparison above would prove nothing about them).
  Model<float> plain(ModelSpec{}, 32);
  initialize(plain);
  TrainOptions none;
  none.optimizer = "adam";
  none.epochs = 6;
  lab::train(plain, data.train, data.test, none);
  EXPECT_FALSE(same_bits(own.weights, weights(plain)));
}

TEST(Hooks, EventsComeInOrderInAHandLoop) {
  std::vector<double> w{1.0}, g{0.5};
  auto opt = make_optimizer("sgd", {Param("w", w, g)}, Convention::seed);
  std::vector<std::string> log;
  Recorder a("a", log), b("b", log);
  Hooks hooks(*opt, {&a, &b});
  hooks.begin();
  for (int epoch = 0; epoch < 2; ++epoch) {
    for (int k = 0; k < 2; ++k)
      if (hooks.before_step(1.0)) {
        opt->step();
        hooks.after_step();
      }
    hooks.end_epoch(1.0);
  }
  hooks.end();
  const std::vector<std::string> expected{"a:begin 0 1", "b:begin 0 1",  "a:before 0 1", "b:before 0 1", "a:after 1 1",
                                          "b:after 1 1", "a:before 1 1", "b:before 1 1", "a:after 2 1",  "b:after 2 1",
                                          "a:epoch 2 1", "b:epoch 2 1",  "a:before 2 2", "b:before 2 2", "a:after 3 2",
                                          "b:after 3 2", "a:before 3 2", "b:before 3 2", "a:after 4 2",  "b:after 4 2",
                                          "a:epoch 4 2", "b:epoch 4 2",  "a:end 4 3",    "b:end 4 3"};
  EXPECT_EQ(log, expected);
}

// In lab::train a caller's hook runs after the built-in clipping (it sees the clip's gradient
// scale) and after the epoch's test; it sees the loss the run reports.
TEST(Hooks, LabTrainRunsTheCallersHooksAfterItsOwn) {
  const Iris data;
  struct SeesClip final : Hook {
    std::string name() const override { return "sees_clip"; }
    void on_before_step(HookContext& c) override { scales.push_back(c.optimizer().grad_scale(0)); }
    std::vector<double> scales;
  } sees;
  std::vector<std::string> log;
  Recorder rec("rec", log);
  Model<float> model(ModelSpec{}, 32);
  initialize(model);
  TrainOptions o;
  o.epochs = 2;
  o.clip_norm = 1e-3;  // far below iris's gradient norms: every step clips
  o.hooks = {&sees, &rec};
  int on_epoch_calls = 0;
  const lab::RunResult r =
      lab::train(model, data.train, data.test, o, [&](const lab::EpochMetrics&) { ++on_epoch_calls; });
  ASSERT_EQ(sees.scales.size(), 8u);  // 4 batches of 32, 32, 32, 24 per epoch
  for (double s : sees.scales) EXPECT_LT(s, 1.0);
  ASSERT_EQ(log.size(), 1 + 2 * 8 + 2 + 1u);  // begin, 8×(before, after), 2 epochs, end
  EXPECT_EQ(log.front(), "rec:begin 0 1");
  EXPECT_EQ(log[9], "rec:epoch 4 1");
  EXPECT_EQ(log.back(), "rec:end 8 3");
  ASSERT_EQ(rec.epoch_losses.size(), 2u);
  for (std::size_t e = 0; e < 2; ++e) EXPECT_EQ(rec.epoch_losses[e], r.epochs[e].loss);
  EXPECT_EQ(on_epoch_calls, 2);
}

// A hook that stops lab::train: the run ends after that step, and the checkpoint it leaves
// (save) resumes to the numbers of the run never stopped.
TEST(Hooks, AHookStopsLabTrainAndItsCheckpointResumesExactly) {
  const Iris data;
  TrainOptions o = extras(3);
  Model<float> whole(ModelSpec{}, 32);
  initialize(whole);
  const lab::RunResult full = lab::train(whole, data.train, data.test, o);
  EXPECT_FALSE(full.stopped);

  StopAt at7(7, 0);
  std::vector<Checkpoint> saved;
  o.hooks = {&at7};
  o.save = [&](const Checkpoint& c) { saved.push_back(Checkpoint::parse(c.serialize(), "saved")); };
  Model<float> part(ModelSpec{}, 32);
  initialize(part);
  const lab::RunResult stopped = lab::train(part, data.train, data.test, o);
  EXPECT_TRUE(stopped.stopped);
  EXPECT_EQ(stopped.stopped_by, "stop_at");
  EXPECT_EQ(stopped.steps, 7);
  EXPECT_EQ(stopped.epochs.size(), 1u);  // the second epoch stopped after its third step
  ASSERT_EQ(saved.size(), 1u);

  TrainOptions more = extras(3);
  more.resume = &saved[0];
  Model<float> resumed(ModelSpec{}, 32);  // other weights: only the checkpoint's give the right numbers
  lab::Rng other(999, lab::Stream::initialization);
  resumed.initialize(lab::Initializer::truncated_normal, other);
  const lab::RunResult rest = lab::train(resumed, data.train, data.test, more);
  EXPECT_TRUE(same_bits(weights(whole), weights(resumed)));
  ASSERT_EQ(rest.epochs.size(), full.epochs.size());
  for (std::size_t e = 0; e < full.epochs.size(); ++e) {
    EXPECT_EQ(rest.epochs[e].loss, full.epochs[e].loss) << "epoch " << e + 1;
    EXPECT_EQ(rest.epochs[e].test_accuracy, full.epochs[e].test_accuracy) << "epoch " << e + 1;
    EXPECT_EQ(rest.epochs[e].lr, full.epochs[e].lr) << "epoch " << e + 1;
  }
}

TEST(Hooks, AHookStopsLabTrainAtAnEpochsEnd) {
  const Iris data;
  StopAt after2(-1, 2);
  Model<float> model(ModelSpec{}, 32);
  initialize(model);
  TrainOptions o;
  o.epochs = 5;
  o.hooks = {&after2};
  const lab::RunResult r = lab::train(model, data.train, data.test, o);
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.stopped_by, "stop_at");
  EXPECT_EQ(r.epochs.size(), 2u);
  EXPECT_EQ(r.steps, 8);
}

// minimize takes the same hooks as lab::train: a schedule and clipping beside its callbacks,
// and a plain hook that stops it. after_step sees f at the new point.
TEST(Hooks, MinimizeTakesTheSameHooks) {
  auto f = make_test_function("rosenbrock");
  std::vector<double> x = f->start();
  std::vector<std::string> log;
  Recorder rec("rec", log);
  StopAt at5(5, 0);
  RecordTrajectory<double> path;
  const MinimizeResult r = minimize<double>(*f, x, from_registry("sgd", Convention::seed, {{"lr", "0.001"}}),
                                            {.max_steps = 100}, {&rec, &at5, &path});
  EXPECT_EQ(r.stopped_by, "stop_at");
  EXPECT_EQ(r.steps, 5);
  ASSERT_EQ(path.points().size(), 6u);  // the start and 5 steps: the recorder after the stopper sees step 5
  ASSERT_EQ(log.size(), 1 + 2 * 5 + 1u);
  EXPECT_EQ(log[1], "rec:before 0 1");
  EXPECT_EQ(log.back(), "rec:end 5 1");

  // Clipping by norm through the hook: each step is lr·g·min(1, max_norm/(|g| + 1e-6)), by hand.
  std::vector<double> y{-1.2, 1.0}, g(2);
  ClipGradNorm clip(0.5);
  RecordTrajectory<double> clipped;
  minimize<double>(*f, y, from_registry("sgd", Convention::seed, {{"lr", "0.01"}}), {.max_steps = 3},
                   {&clip, &clipped});
  std::vector<double> z{-1.2, 1.0};
  for (int k = 0; k < 3; ++k) {
    f->gradient(z, g);
    const double norm = std::hypot(g[0], g[1]), scale = std::min(1.0, 0.5 / (norm + 1e-6));
    for (int i = 0; i < 2; ++i) z[i] -= 0.01 * (g[i] * scale);
    EXPECT_NEAR(clipped.points()[k + 1][0], z[0], 1e-13);
    EXPECT_NEAR(clipped.points()[k + 1][1], z[1], 1e-13);
  }
}

// Accumulation: the step waits for the k-th micro-batch, the hooks after it see only that one,
// and the step uses the mean gradient (SGD by hand: w −= lr·mean(g)).
TEST(Hooks, AccumulationSkipsTheStepAndTheHooksAfterIt) {
  std::vector<double> w{1.0, -2.0}, g{0, 0};
  auto opt = make_optimizer("sgd", {Param("w", w, g)}, Convention::seed, {{"lr", "0.1"}});
  AccumulateGradients accumulate(3);
  std::vector<std::string> log;
  Recorder rec("rec", log);
  Hooks hooks(*opt, {&accumulate, &rec});
  hooks.begin();
  const double micro[3][2] = {{1, 2}, {4, -1}, {-2, 5}};
  int steps = 0;
  for (const auto& m : micro) {
    g[0] += m[0];
    g[1] += m[1];
    if (hooks.before_step(0.0)) {
      opt->step();
      hooks.after_step();
      ++steps;
    } else {
      EXPECT_EQ(hooks.skipped_by(), "accumulate");
    }
  }
  EXPECT_EQ(steps, 1);
  EXPECT_EQ(log, (std::vector<std::string>{"rec:begin 0 1", "rec:before 0 1", "rec:after 1 1"}));
  EXPECT_DOUBLE_EQ(w[0], 1.0 - 0.1 * (3.0 / 3));
  EXPECT_DOUBLE_EQ(w[1], -2.0 - 0.1 * (6.0 / 3));

  // minimize evaluates the whole gradient at every step: a skip there is an error naming the hook.
  auto f = make_test_function("rosenbrock");
  std::vector<double> x = f->start();
  try {
    AccumulateGradients acc(2);
    minimize<double>(*f, x, from_registry("sgd"), {.max_steps = 5}, {&acc});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'accumulate'"), std::string::npos) << e.what();
  }
}

// A run of one's own resumes from SaveCheckpoints' file: the optimizer, the schedule's position
// and the EMA continue as in the run never stopped.
TEST(Hooks, OwnLoopResumesFromItsCheckpoint) {
  struct Run {
    std::vector<double> w{0.5, -1.5}, g{0, 0};
    std::unique_ptr<Optimizer> opt = make_optimizer("adam", {Param("w", w, g)}, Convention::pytorch);
    LrSchedule schedule{"cosine:t_max=12", ScheduleUnit::step};
    AverageWeights ema = AverageWeights::ema(0.8);
    std::vector<Checkpoint> saved;
    SaveCheckpoints save{[this](const Checkpoint& c) { saved.push_back(c); }, 1};
    Hooks hooks{*opt, {&schedule, &ema, &save}};
    // Two epochs of 3 steps from epoch `from`, on the gradient of Σ (w_i − i)².
    void go(int from) {
      hooks.begin();
      for (int epoch = from; epoch <= 4; ++epoch) {
        for (int k = 0; k < 3; ++k) {
          for (int i = 0; i < 2; ++i) g[i] = 2 * (w[i] - i);
          if (hooks.before_step(0)) {
            opt->step();
            hooks.after_step();
          }
        }
        hooks.end_epoch(0);
      }
      hooks.end();
    }
  };
  Run whole;
  whole.go(1);
  ASSERT_EQ(whole.saved.size(), 4u);
  Run resumed;
  resumed.saved.clear();
  const Checkpoint& c = whole.saved[1];  // after epoch 2
  c.restore_training(*resumed.opt);
  resumed.hooks.restore(c);
  resumed.hooks.set_position(6, 3);
  resumed.go(3);
  EXPECT_EQ(resumed.w, whole.w);
  EXPECT_EQ(resumed.opt->lr(), whole.opt->lr());
  EXPECT_EQ(resumed.ema.average().state(), whole.ema.average().state());
  EXPECT_EQ(resumed.saved.size(), 2u);
}

// Every hook checks its option on construction and names it as the library does (the CLI maps
// it to a flag; no message names one).
TEST(Hooks, AnErrorFromAHookNamesTheOption) {
  std::vector<double> w{1.0}, g{0.5};
  auto opt = make_optimizer("sgd", {Param("w", w, g)});
  auto option_of = [](auto make) -> std::string {
    try {
      make();
    } catch (const OptionError& e) {
      EXPECT_EQ(std::string(e.what()).find("--"), std::string::npos) << e.what();
      return e.option();
    }
    return "(no error)";
  };
  EXPECT_EQ(option_of([] { ClipGradNorm(-1); }), "clip_norm");
  EXPECT_EQ(option_of([] { ClipGradNorm(std::nan("")); }), "clip_norm");
  EXPECT_EQ(option_of([] { ClipGradNormPerTensor(0); }), "clip_norm_per_tensor");
  EXPECT_EQ(option_of([] { ClipGradValue{INFINITY}; }), "clip_value");
  EXPECT_EQ(option_of([] { AverageWeights::ema(1.0); }), "ema");
  EXPECT_EQ(option_of([] { LrSchedule("cosine:t_max=-5"); }), "schedule");
  EXPECT_EQ(option_of([] { LrSchedule("plateau:patience=2", ScheduleUnit::step); }), "schedule");
  EXPECT_EQ(option_of([] { AccumulateGradients(0); }), "accumulate");
  EXPECT_EQ(option_of([] { SaveCheckpoints(nullptr); }), "save");
  EXPECT_EQ(option_of([] { SaveCheckpoints([](const Checkpoint&) {}, -1); }), "save_every");
  try {
    ClipGradNorm(-1);
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "clip_norm -1 is out of range (0, inf)");
    EXPECT_EQ(e.named("--clip-norm"), "--clip-norm -1 is out of range (0, inf)");  // what the CLI prints
  }
  // lab::train names TrainOptions' fields the same way.
  const Iris data;
  Model<float> model(ModelSpec{}, 32);
  TrainOptions o;
  o.clip_norm = -2;
  EXPECT_EQ(option_of([&] { lab::train(model, data.train, data.test, o); }), "clip_norm");
}

}  // namespace
