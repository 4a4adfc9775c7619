// Checkpoints of training runs: a run resumed from any checkpoint (after an epoch, mid-epoch,
// after a signal) reaches bit for bit the parameters and metrics of the run never stopped,
// through the library loop and through `descent train --save/--resume`; bad --resume files
// and unwritable --save paths fail before anything is written.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "descent/checkpoint.hpp"
#include "descent/lab/train.hpp"
#include "lab_support.hpp"
#include "metrics_csv.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using namespace descent::lab;
using descent::Checkpoint;
using descent::CheckpointError;
using lab_test::cli;
using lab_test::read;
using lab_test::Scratch;

const char* const optimizers[] = {"sgd", "sgdm", "adagrad", "rmsprop", "adam"};
const char* const conventions[] = {"seed", "pytorch", "keras"};

using Iris = lab_test::TutorialIris;

struct Outcome {
  RunResult result;
  std::vector<std::vector<float>> params;
  std::vector<Checkpoint> saved;  // what TrainOptions::save received, through the byte format
  int epochs_run = 0;             // epochs this call trained (on_epoch calls)
};

// One run from the seed's initialization, or resumed from `from` (then from another seed's
// parameters: only the checkpoint's can give the right numbers); stopped after its first step
// when `stop_at_once`.
Outcome run(const Iris& data, const TrainOptions& base, const Checkpoint* from, bool stop_at_once) {
  Model<float> model(ModelSpec{}, 32);
  Rng init(from ? 999 : 116, Stream::initialization);
  model.initialize(Initializer::truncated_normal, init);
  Outcome out;
  static volatile std::sig_atomic_t stop = 0;
  stop = stop_at_once ? 1 : 0;
  TrainOptions o = base;
  o.resume = from;
  o.stop = &stop;
  o.save = [&out](const Checkpoint& c) { out.saved.push_back(Checkpoint::parse(c.serialize(), "saved")); };
  out.result = train(model, data.train, data.test, o, [&out](const EpochMetrics&) { ++out.epochs_run; });
  for (const descent::Param& p : model.params()) {
    const auto v = p.value<float>();
    out.params.emplace_back(v.begin(), v.end());
  }
  return out;
}

// Bit for bit: every parameter, every epoch's loss and accuracy, the step count.
void expect_same(const Outcome& a, const Outcome& b, const std::string& where) {
  ASSERT_EQ(a.params.size(), b.params.size()) << where;
  for (std::size_t i = 0; i < a.params.size(); ++i) {
    ASSERT_EQ(a.params[i].size(), b.params[i].size()) << where;
    EXPECT_EQ(std::memcmp(a.params[i].data(), b.params[i].data(), a.params[i].size() * sizeof(float)), 0)
        << where << ": parameter " << i << " differs";
  }
  ASSERT_EQ(a.result.epochs.size(), b.result.epochs.size()) << where;
  for (std::size_t e = 0; e < a.result.epochs.size(); ++e) {
    EXPECT_EQ(a.result.epochs[e].epoch, b.result.epochs[e].epoch) << where;
    EXPECT_EQ(std::memcmp(&a.result.epochs[e].loss, &b.result.epochs[e].loss, sizeof(double)), 0)
        << where << ": epoch " << e + 1 << " loss " << a.result.epochs[e].loss << " vs " << b.result.epochs[e].loss;
    EXPECT_EQ(a.result.epochs[e].test_accuracy, b.result.epochs[e].test_accuracy) << where << ": epoch " << e + 1;
  }
  EXPECT_EQ(a.result.steps, b.result.steps) << where;
  EXPECT_EQ(a.result.best_epoch, b.result.best_epoch) << where;
  EXPECT_EQ(a.result.best_test_accuracy, b.result.best_test_accuracy) << where;
}

// The family's extras carry state too: a schedule's position (reduce-on-plateau's best loss and
// patience, a per-step cosine's count) and a weight average. A resumed run must go on with
// both, from every epoch, or its rates and test accuracies part from the uninterrupted run's.
TEST(Resume, SchedulesAndWeightAveragesResumeExactly) {
  const Iris data;
  struct Case {
    const char* schedule;
    bool per_step;
    double ema;
    bool swa;
  };
  for (const Case& c :
       {Case{"plateau:factor=0.5,patience=0", false, 0, false}, Case{"cosine:t_max=24", true, 0.9, false},
        Case{"exp:decay=0.5,decay_steps=2", false, 0, true}}) {
    TrainOptions o;
    o.optimizer = "adam";
    o.epochs = 6;
    o.save_every = 1;
    o.schedule = c.schedule;
    o.schedule_per_step = c.per_step;
    o.ema = c.ema;
    o.swa = c.swa;
    const Outcome whole = run(data, o, nullptr, false);
    ASSERT_EQ(whole.saved.size(), 6u);
    for (std::size_t k = 0; k + 1 < whole.saved.size(); ++k) {
      const Outcome resumed = run(data, o, &whole.saved[k], false);
      const std::string where = std::string(c.schedule) + " from epoch " + std::to_string(k + 1);
      expect_same(whole, resumed, where);
      for (std::size_t e = 0; e < whole.result.epochs.size(); ++e)
        EXPECT_EQ(whole.result.epochs[e].lr, resumed.result.epochs[e].lr) << where << ": epoch " << e + 1;
    }
    // A checkpoint of a run without the schedule cannot resume one with it.
    TrainOptions plain = o;
    plain.schedule = "";
    plain.ema = 0;
    plain.swa = false;
    EXPECT_THROW(run(data, plain, &whole.saved[0], false), CheckpointError) << c.schedule;
  }
}

TEST(Resume, AfterEveryEpochEveryOptimizerAndConvention) {
  const Iris data;
  for (const char* optimizer : optimizers)
    for (const char* convention : conventions) {
      TrainOptions o;
      o.optimizer = optimizer;
      o.convention = descent::parse_convention(convention);
      o.epochs = 5;
      o.save_every = 1;
      const Outcome whole = run(data, o, nullptr, false);
      ASSERT_EQ(whole.saved.size(), 5u);  // after epochs 1..4, and at the end
      for (std::size_t k = 0; k + 1 < whole.saved.size(); ++k) {
        const Outcome resumed = run(data, o, &whole.saved[k], false);
        expect_same(whole, resumed, std::string(optimizer) + "/" + convention + " from epoch " + std::to_string(k + 1));
        EXPECT_EQ(resumed.epochs_run, 5 - int(k) - 1);
      }
      // The final checkpoint holds the finished run: resuming it takes no step and changes nothing.
      const Outcome done = run(data, o, &whole.saved.back(), false);
      expect_same(whole, done, std::string(optimizer) + "/" + convention + " from the end");
      EXPECT_EQ(done.epochs_run, 0);
      EXPECT_EQ(whole.result.steps, 20);  // 5 epochs of 4 batches (32, 32, 32, 24)
    }
}

// Stopping after every single step (TrainOptions::stop, as a signal does) and resuming from
// each of those mid-epoch checkpoints, one after another, ends where the whole run ends.
TEST(Resume, MidEpochAfterEveryStepEveryOptimizerAndConvention) {
  const Iris data;
  for (const char* optimizer : optimizers)
    for (const char* convention : conventions) {
      TrainOptions o;
      o.optimizer = optimizer;
      o.convention = descent::parse_convention(convention);
      o.epochs = 3;  // 4 steps per epoch: batches of 32, 32, 32, 24
      const Outcome whole = run(data, o, nullptr, false);
      ASSERT_EQ(whole.result.steps, 12);
      Outcome part = run(data, o, nullptr, true);
      for (int step = 1; step < 12; ++step) {
        ASSERT_TRUE(part.result.stopped);
        ASSERT_EQ(part.result.steps, step);
        ASSERT_EQ(part.saved.size(), 1u);  // the stop's checkpoint only
        const Checkpoint at = part.saved.back();
        EXPECT_EQ(at.i64("run/cursor"), (std::vector<std::int64_t>{(step - 1) / 4, (step - 1) % 4 + 1}));
        // Resume straight to the end from this point, then one more step for the chain.
        expect_same(whole, run(data, o, &at, false),
                    std::string(optimizer) + "/" + convention + " from step " + std::to_string(step));
        part = run(data, o, &at, true);
      }
    }
}

TEST(Resume, RefusesAnotherRunsCheckpointAndChangesNothing) {
  const Iris data;
  TrainOptions o;
  o.optimizer = "adam";
  o.epochs = 2;
  const Outcome adam = run(data, o, nullptr, false);
  const Checkpoint& c = adam.saved.back();

  TrainOptions other = o;
  other.overrides = {{"lr", "0.05"}};
  Model<float> model(ModelSpec{}, 32);
  Rng init(116, Stream::initialization);
  model.initialize(Initializer::truncated_normal, init);
  const std::vector<float> before(model.params()[0].value<float>().begin(), model.params()[0].value<float>().end());
  other.resume = &c;
  try {
    train(model, data.train, data.test, other);
    FAIL() << "resumed with another lr";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("option lr=0.05"), std::string::npos) << e.what();
  }
  const auto after = model.params()[0].value<float>();
  EXPECT_TRUE(std::equal(before.begin(), before.end(), after.begin()));

  other = o;
  other.optimizer = "sgd";
  other.resume = &c;
  EXPECT_THROW(train(model, data.train, data.test, other), CheckpointError);
  other = o;
  other.epochs = 1;  // the checkpoint is at epoch 2
  other.resume = &c;
  try {
    train(model, data.train, data.test, other);
    FAIL() << "resumed past --epochs";
  } catch (const CheckpointError& e) {
    EXPECT_NE(std::string(e.what()).find("at epoch 2"), std::string::npos) << e.what();
  }
  const auto still = model.params()[0].value<float>();
  EXPECT_TRUE(std::equal(before.begin(), before.end(), still.begin()));
}

// ---- descent train --save / --resume ------------------------------------------------------

TEST(ResumeCli, AfterAnEpochEveryOptimizerAndConvention) {
  Scratch s;
  for (const char* optimizer : optimizers)
    for (const char* convention : conventions) {
      const std::vector<std::string> flags = {"train",    "--optimizer", optimizer, "--convention",
                                              convention, "--no-plots",  "-q"};
      auto with = [&](std::vector<std::string> more) {
        std::vector<std::string> args = flags;
        args.insert(args.end(), more.begin(), more.end());
        return cli(args, s);
      };
      const std::string tag = std::string(optimizer) + "/" + convention;
      auto r = with({"--epochs", "7", "--out", (s / "whole").string(), "--dump-params", (s / "whole.json").string()});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      r = with({"--epochs", "3", "--out", (s / "part").string(), "--save", (s / "ck").string()});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      r = with({"--epochs", "7", "--out", (s / "resumed").string(), "--resume", (s / "ck").string(), "--dump-params",
                (s / "resumed.json").string(), "--threads", "2"});
      ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
      EXPECT_NE(r.err.find("resuming " + (s / "ck").string() + " after epoch 3 (step 12)"), std::string::npos) << r.err;
      EXPECT_EQ(read(s / "whole.json"), read(s / "resumed.json")) << tag;
      EXPECT_EQ(without_seconds(read(s / "whole" / "metrics.csv")),
                without_seconds(read(s / "resumed" / "metrics.csv")))
          << tag;
    }
}

// `descent train --save` as a user runs it, stopped by a signal mid-run.
struct Spawned {
  pid_t pid = -1;
  Spawned(const std::vector<std::string>& args, const fs::path& err) {
    std::vector<std::string> all = {DESCENT_CLI};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int rc = posix_spawn(&pid, DESCENT_CLI, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) pid = -1;
  }
  int wait() {
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  ~Spawned() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

void stop_and_resume(int sig, int expected_exit) {
  Scratch s;
  const std::string ck = (s / "run.ckpt").string();
  // Long enough never to finish before the signal: the signal comes once the first periodic
  // checkpoint exists (so the run is under way), and the run then stops within a step.
  Spawned p({"train", "--optimizer", "adam", "--epochs", "100000000", "--save", ck, "--save-every", "200", "--out",
             (s / "never").string(), "--no-plots", "-q"},
            s / "err");
  ASSERT_GT(p.pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(ck) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(fs::exists(ck)) << read(s / "err");
  ASSERT_EQ(::kill(p.pid, sig), 0);
  EXPECT_EQ(p.wait(), expected_exit);
  const std::string err = read(s / "err");
  EXPECT_NE(err.find("checkpoint written to " + ck), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_FALSE(fs::exists(s / "never" / "metrics.csv"));  // a stopped run writes no results

  const Checkpoint c = Checkpoint::load(ck);
  const auto cursor = c.i64("run/cursor");
  ASSERT_EQ(cursor.size(), 2u);
  ASSERT_GE(cursor[0], 200);
  const std::string epochs = std::to_string(cursor[0] + 2);
  const std::vector<std::string> flags = {"train", "--optimizer", "adam", "--no-plots", "-q"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = flags;
    args.insert(args.end(), more.begin(), more.end());
    return cli(args, s);
  };
  auto r = with({"--epochs", epochs, "--out", (s / "whole").string(), "--dump-params", (s / "whole.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = with({"--epochs", epochs, "--out", (s / "resumed").string(), "--dump-params", (s / "resumed.json").string(),
            "--resume", ck});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read(s / "whole.json"), read(s / "resumed.json"));
  EXPECT_EQ(without_seconds(read(s / "whole" / "metrics.csv")), without_seconds(read(s / "resumed" / "metrics.csv")));
}

TEST(ResumeCli, SigintWritesACheckpointThatResumesExactly) { stop_and_resume(SIGINT, 130); }
TEST(ResumeCli, SigtermWritesACheckpointThatResumesExactly) { stop_and_resume(SIGTERM, 143); }

TEST(ResumeCli, BadResumeFilesFailWithOneLineAndWriteNothing) {
  Scratch s;
  const std::string ck = (s / "ck").string();
  auto r = cli(
      {"train", "--epochs", "2", "--optimizer", "sgd", "--save", ck, "--out", (s / "a").string(), "--no-plots", "-q"},
      s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string good = read(ck);
  lab_test::write(s / "short", good.substr(0, good.size() / 2));
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const Case cases[] = {
      {{"--resume", (s / "short").string()}, "checkpoint '" + (s / "short").string() + "': "},
      {{"--resume", (s / "missing").string()}, "cannot open"},
      {{"--resume", ck, "--optimizer", "adam"}, "the run was started with '--optimizer sgd', not '--optimizer adam'"},
      {{"--resume", ck, "--optimizer", "sgd", "--lr", "0.05"}, "'--lr (not given)', not '--lr 0.05'"},
      {{"--resume", ck, "--optimizer", "sgd", "--epochs", "1"}, "at epoch 2, past --epochs 1"},
      {{"--optimizer", "sgd", "--save", (s / "short" / "x").string()}, "--save"},
      {{"--optimizer", "sgd", "--save-every", "2"}, "--save-every needs --save"},
      {{"--optimizer", "sgd", "--nonfinite", "ignore"}, "--nonfinite: unknown non-finite policy 'ignore'"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"train", "--out", (s / "b").string(), "--save", ck, "--no-plots", "-q"};
    if (c.args.front() == "--optimizer") args = {"train", "--out", (s / "b").string(), "--no-plots", "-q"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    r = cli(args, s);
    const std::string what = c.args[0] + " " + c.args[1];
    EXPECT_EQ(r.exit_code, 2) << what << ": " << r.err;
    EXPECT_EQ(r.err.rfind("descent: error: ", 0), 0u) << what << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << what << ": " << r.err;
    EXPECT_FALSE(fs::exists(s / "b" / "metrics.csv")) << what;
    EXPECT_EQ(read(ck), good) << what << ": the checkpoint changed";
  }
}

}  // namespace

namespace {

// --nonfinite on a training set with one sample whose feature overflows float32 (1e300 → inf):
// (--normalize none keeps it) with one batch of all 33 samples every step's batch holds it, so every gradient is
// non-finite.
TEST(NonfiniteCli, EachPolicyOnAnOverflowingSample) {
  Scratch s;
  std::string train = "a,b,label\n", test = "a,b,label\n";
  for (int i = 0; i < 32; ++i) train += std::to_string(i % 2 + 0.25 * (i % 3)) + ",0.5," + std::to_string(i % 2) + "\n";
  train += "1e300,0.5,1\n";
  for (int i = 0; i < 8; ++i) test += std::to_string(i % 2) + ",0.5," + std::to_string(i % 2) + "\n";
  lab_test::write(s / "train.csv", train);
  lab_test::write(s / "test.csv", test);
  auto run = [&](const std::string& policy) {
    return cli(
        {"train", "--dataset", (s / "train.csv").string(), "--test", (s / "test.csv").string(), "--batch-size", "33",
         "--epochs", "3", "--normalize", "none", "--no-plots", "--out", (s / policy).string(), "--nonfinite", policy},
        s);
  };
  auto r = run("error");  // the cell is named before training (it would come back as a NaN gradient)
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "descent: error: " + (s / "train.csv").string() +
                       ":34:1: 1e+300 does not fit in float32 (--dtype f32, largest 3.4028234663852886e+38): use "
                       "--dtype f64 or --normalize standard\n");
  EXPECT_FALSE(fs::exists(s / "error" / "metrics.csv"));

  r = run("skip");  // every step skipped: 3 epochs of one batch
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sgd: 3 steps skipped for non-finite gradients"), std::string::npos) << r.out;
  auto summary = nlohmann::json::parse(read(s / "skip" / "summary.json"));
  EXPECT_EQ(summary["runs"][0]["skipped_steps"], 3);
  EXPECT_EQ(summary["runs"][0]["steps"], 0);

  r = run("zero");  // the sample's NaN reaches all 2x2 weights and 2 biases, each of 3 steps
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("sgd: 18 non-finite gradient values zeroed"), std::string::npos) << r.out;
  summary = nlohmann::json::parse(read(s / "zero" / "summary.json"));
  EXPECT_EQ(summary["runs"][0]["steps"], 3);
}

}  // namespace
