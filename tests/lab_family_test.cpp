// descent train/compare with the whole family: schedules (the lr column against each schedule's
// closed form, computed here by hand), clipping, weight averaging, no-decay groups, the new
// optimizers and their kebab-case flags, and bad --schedule specs.
#include <algorithm>
#include <cmath>
#include <map>
#include <numbers>
#include <sstream>

#include "lab_support.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lab_test::cli;
using lab_test::read;
using lab_test::Scratch;

struct Row {
  std::string optimizer;
  int epoch;
  double loss, test_accuracy, lr;
};

// metrics.csv's rows (the seconds column differs from run to run and is left out).
std::vector<Row> metrics(const fs::path& dir) {
  std::istringstream in(read(dir / "metrics.csv"));
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "optimizer,epoch,loss,test_accuracy,seconds,lr");
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) f.push_back(c);
    EXPECT_EQ(f.size(), 6u) << line;
    if (f.size() != 6) continue;
    rows.push_back({f[0], std::stoi(f[1]), std::stod(f[2]), std::stod(f[3]), std::stod(f[5])});
  }
  return rows;
}

// A short iris run of sgd (lr 0.1, 4 steps per epoch) with `extra` flags; its metrics.
std::vector<Row> train(const Scratch& s, const std::string& name, std::vector<std::string> extra, int epochs = 6) {
  std::vector<std::string> args{"train", "--epochs", std::to_string(epochs), "--no-plots",
                                "-q",    "--out",    (s / name).string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto r = cli(args, s);
  EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
  return metrics(s / name);
}

std::vector<double> column(const std::vector<Row>& rows, double Row::*field) {
  std::vector<double> v;
  for (const Row& r : rows) v.push_back(r.*field);
  return v;
}

TEST(LabFamily, SchedulesSetTheRateOfTheirClosedForm) {
  Scratch s;
  const double pi = std::numbers::pi;
  struct Case {
    std::vector<std::string> flags;
    std::vector<double> lr;  // per epoch, by hand from the schedule's formula with lr0 = 0.1
  };
  const std::vector<Case> cases{
      // The tutorial course's lr0 · decay^(epoch / decay_steps), epochs counted from 0, per epoch.
      {{"--schedule", "exp:decay=0.5,decay_steps=2"},
       {0.1, 0.1 * std::pow(0.5, 0.5), 0.05, 0.1 * std::pow(0.5, 1.5), 0.025, 0.1 * std::pow(0.5, 2.5)}},
      {{"--schedule", "step:size=2,gamma=0.5"}, {0.1, 0.1, 0.05, 0.05, 0.025, 0.025}},
      {{"--schedule", "multistep:milestones=1/4,gamma=0.1"}, {0.1, 0.01, 0.01, 0.01, 0.001, 0.001}},
      // Warm-up from 0.1·lr over 2 epochs, then a cosine over 4 restarted at its step 0.
      {{"--schedule", "warmup:steps=2+cosine:t_max=4"},
       {0.01, 0.055, 0.1, 0.05 * (1 + std::cos(pi / 4)), 0.05, 0.05 * (1 + std::cos(3 * pi / 4))}},
      {{"--schedule", "cosine:t_max=4*constant:factor=0.5,steps=2"},
       {0.05, 0.025 * (1 + std::cos(pi / 4)), 0.05, 0.05 * (1 + std::cos(3 * pi / 4)), 0.0,
        0.05 * (1 + std::cos(5 * pi / 4))}},
      // Per step: the rate of an epoch's last step, n = 4·epoch − 1 steps done before it.
      {{"--schedule", "step:size=4,gamma=0.5", "--schedule-unit", "step"},
       {0.1, 0.05, 0.025, 0.0125, 0.00625, 0.003125}},
      {{"--schedule", "poly:steps=24,power=2", "--schedule-unit", "step"},
       {0.1 * std::pow(21.0 / 24, 2), 0.1 * std::pow(17.0 / 24, 2), 0.1 * std::pow(13.0 / 24, 2),
        0.1 * std::pow(9.0 / 24, 2), 0.1 * std::pow(5.0 / 24, 2), 0.1 * std::pow(1.0 / 24, 2)}},
  };
  const auto plain = train(s, "plain", {});
  for (double lr : column(plain, &Row::lr)) EXPECT_EQ(lr, 0.1);
  int k = 0;
  for (const Case& c : cases) {
    const auto rows = train(s, "run" + std::to_string(k++), c.flags);
    ASSERT_EQ(rows.size(), c.lr.size()) << c.flags[1];
    for (std::size_t e = 0; e < rows.size(); ++e)
      EXPECT_NEAR(rows[e].lr, c.lr[e], 1e-15) << c.flags[1] << " epoch " << e + 1;
    EXPECT_NE(column(rows, &Row::loss), column(plain, &Row::loss)) << c.flags[1];  // the rate reached the steps
  }
  // The summary's options keep the base rate the schedule scales (run3: the warm-up from 0.01).
  const json summary = json::parse(read(s / "run3" / "summary.json"));
  EXPECT_EQ(summary["runs"][0]["options"]["lr"], 0.1);
  EXPECT_EQ(summary["config"]["schedule"], "warmup:steps=2+cosine:t_max=4");
}

TEST(LabFamily, PlateauListensToTheEpochLoss) {
  Scratch s;
  // mode=max with patience 0: a falling loss is never an improvement, so after the first epoch
  // (which sets the best) every epoch halves the rate.
  const auto plain = train(s, "plain", {});
  const auto loss = column(plain, &Row::loss);
  for (std::size_t e = 1; e < loss.size(); ++e) ASSERT_LT(loss[e], loss[e - 1]) << "the premise: sgd's loss falls";
  const auto rows = train(s, "plateau", {"--schedule", "plateau:mode=max,patience=0,factor=0.5"});
  const std::vector<double> expected{0.1, 0.1, 0.05, 0.025, 0.0125, 0.00625};
  EXPECT_EQ(column(rows, &Row::lr), expected);
}

TEST(LabFamily, ClippingIsDeterministicAndChangesTheRun) {
  Scratch s;
  const auto plain = train(s, "plain", {});
  for (const std::vector<std::string>& flags : std::vector<std::vector<std::string>>{
           {"--clip-norm", "0.05"}, {"--clip-norm-per-tensor", "0.05"}, {"--clip-value", "0.01"}}) {
    const auto a = train(s, "a", flags), b = train(s, "b", flags);
    EXPECT_EQ(column(a, &Row::loss), column(b, &Row::loss)) << flags[0];
    EXPECT_NE(column(a, &Row::loss), column(plain, &Row::loss)) << flags[0];
  }
  // Above every gradient's norm, clipping scales by 1: the plain run, bit for bit.
  EXPECT_EQ(column(train(s, "loose", {"--clip-norm", "1e9"}), &Row::loss), column(plain, &Row::loss));
}

TEST(LabFamily, AveragedWeightsAreTestedThenSwappedBack) {
  Scratch s;
  const auto dump = [&](const std::string& name) { return json::parse(read(s / (name + ".json"))); };
  const auto plain = train(s, "plain", {"--dump-params", (s / "plain.json").string()}, 10);
  const auto ema = train(s, "ema", {"--ema", "0.9", "--dump-params", (s / "ema.json").string()}, 10);
  const auto again = train(s, "again", {"--ema", "0.9"}, 10);
  const auto swa = train(s, "swa", {"--swa", "--dump-params", (s / "swa.json").string()}, 10);
  // Training itself is untouched (the losses and the final weights are the plain run's) ...
  EXPECT_EQ(column(ema, &Row::loss), column(plain, &Row::loss));
  EXPECT_EQ(column(swa, &Row::loss), column(plain, &Row::loss));
  EXPECT_EQ(dump("ema"), dump("plain"));
  EXPECT_EQ(dump("swa"), dump("plain"));
  // ... the test sees the averages: deterministic, and not the plain weights.
  EXPECT_EQ(column(ema, &Row::test_accuracy), column(again, &Row::test_accuracy));
  EXPECT_NE(column(ema, &Row::test_accuracy), column(plain, &Row::test_accuracy));
  EXPECT_NE(column(swa, &Row::test_accuracy), column(plain, &Row::test_accuracy));
  // SWA's first average is the weights after epoch 1 themselves.
  EXPECT_EQ(swa[0].test_accuracy, plain[0].test_accuracy);
}

TEST(LabFamily, NoDecayPatternsKeepParametersFromWeightDecay) {
  Scratch s;
  const auto plain = column(train(s, "plain", {}), &Row::loss);
  const auto decayed = column(train(s, "decayed", {"--weight-decay", "0.5"}), &Row::loss);
  const auto bias_kept = column(train(s, "bias", {"--weight-decay", "0.5", "--no-decay", "*.bias"}), &Row::loss);
  const auto all_kept =
      column(train(s, "all", {"--weight-decay", "0.5", "--no-decay", "*.bias,dense?.weight"}), &Row::loss);
  EXPECT_NE(decayed, plain);
  EXPECT_NE(bias_kept, decayed);
  EXPECT_NE(bias_kept, plain);
  EXPECT_EQ(all_kept, plain);  // nothing left to decay
}

TEST(LabFamily, CompareTakesTheNewOptimizersAndTheirFlags) {
  Scratch s;
  const auto out = s / "out";
  const auto r =
      cli({"compare", "--optimizers", "nesterov,adamw,amsgrad,adamax,nadam,radam,adadelta,lion,lamb", "--epochs", "3",
           "--momentum-decay", "0.01", "--schedule", "cosine:t_max=3", "--no-plots", "-q", "--out", out.string()},
          s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json summary = json::parse(read(out / "summary.json"));
  ASSERT_EQ(summary["runs"].size(), 9u);
  for (const json& run : summary["runs"]) {
    EXPECT_TRUE(std::isfinite(run["final_loss"].get<double>())) << run["optimizer"];
    if (run["optimizer"] == "nadam") EXPECT_EQ(run["options"]["momentum_decay"], 0.01);
  }
  EXPECT_EQ(summary["config"]["overrides"]["nadam"]["momentum_decay"], "0.01");
  EXPECT_EQ(summary["config"]["overrides"].size(), 1u);  // the flag went to nadam alone
  EXPECT_EQ(summary["config"]["schedule"], "cosine:t_max=3");
  EXPECT_EQ(metrics(out).size(), 27u);
}

TEST(LabFamily, BadSchedulesGiveOneLineAndExitTwo) {
  Scratch s;
  const std::vector<std::pair<std::string, std::string>> cases{
      {"cosnie:t_max=5", "at position 1: unknown schedule 'cosnie'"},
      {"cosine", "at position 1: cosine needs t_max=..."},
      {"cosine:t_max=-5", "at position 14: t_max=-5 is not a whole number >= 0"},
      {"step:size=10,gama=0.5", "at position 14: unknown key 'gama' for step (keys: size, gamma)"},
      {"exp:decay=0.9,decay_steps", "at position 15: expected key=value"},
      {"exp:decay=abc", "at position 11: decay=abc is not a finite number"},
      {"exp:decay=0.9+cosine:t_max=5", "at position 1: exp has no length"},
      {"warmup:steps=5+cosine:t_max=0", "at position 16: cosine needs t_max > 0"},
      {"cosine:t_max=5,t_max=6", "at position 16: key 't_max' given twice"},
      {"plateau:mode=up", "at position 14: mode=up is not min or max"},
  };
  for (const auto& [spec, message] : cases) {
    const auto r = cli({"train", "--epochs", "2", "--schedule", spec, "--out", (s / "out").string()}, s);
    EXPECT_EQ(r.exit_code, 2) << spec;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_EQ(r.err.rfind("descent: error: --schedule '" + spec + "': ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << "expected '" << message << "' in: " << r.err;
    EXPECT_FALSE(fs::exists(s / "out" / "metrics.csv")) << spec;
  }
  const auto r =
      cli({"train", "--schedule", "plateau:patience=3", "--schedule-unit", "step", "--out", (s / "out").string()}, s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("plateau is fed the epoch loss"), std::string::npos) << r.err;
}

}  // namespace
