// descent compare / descent train as a user runs them (the built CLI, DESCENT_CLI): the
// tutorial's experiment with its outputs, reproducibility across runs and thread counts,
// --init/--dump-params, and bad input giving one line, exit code 2 and no outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "lab_support.hpp"
#include "metrics_csv.hpp"

namespace {

namespace fs = std::filesystem;
using lab_test::cli;
using lab_test::read;
using lab_test::Scratch;
using json = nlohmann::json;

// metrics.csv without its seconds column (timings differ from run to run, nothing else may).
// metrics.csv without its fifth column, seconds (optimizer,epoch,loss,test_accuracy,seconds,lr).

std::size_t lines(const std::string& s) { return std::size_t(std::count(s.begin(), s.end(), '\n')); }

TEST(LabCli, CompareDefaultsIsTheTutorialsExperiment) {
  Scratch s;
  const auto out = s / "out";
  const auto r = cli({"compare", "--out", out.string()}, s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // not a terminal: no progress bar
  for (const char* name : {"sgd", "sgdm", "adagrad", "rmsprop", "adam"})
    EXPECT_NE(r.out.find(std::string("\n") + name + " "), std::string::npos) << name << " missing from\n" << r.out;
  EXPECT_NE(r.out.find("120 train, 30 test"), std::string::npos) << r.out;

  const std::string metrics = read(out / "metrics.csv");
  EXPECT_EQ(metrics.substr(0, metrics.find('\n')), "optimizer,epoch,loss,test_accuracy,seconds,lr");
  EXPECT_EQ(lines(metrics), 1u + 5 * 500);

  const json summary = json::parse(read(out / "summary.json"));
  const json& c = summary["config"];
  EXPECT_EQ(c["dataset"], "iris");
  EXPECT_EQ(c["train_samples"], 120);
  EXPECT_EQ(c["test_samples"], 30);
  EXPECT_EQ(c["model"], "dense 4->3 + softmax");
  EXPECT_EQ(c["loss"], "mse");
  EXPECT_EQ(c["batch_size"], 32);
  EXPECT_EQ(c["steps_per_epoch"], 4);
  EXPECT_EQ(c["epochs"], 500);
  EXPECT_EQ(c["convention"], "seed");
  ASSERT_EQ(summary["runs"].size(), 5u);
  for (const json& run : summary["runs"]) {
    EXPECT_EQ(run["convention"], "seed");
    EXPECT_EQ(run["options"]["lr"], 0.1);  // the seed convention's rate
    EXPECT_EQ(run["steps"], 2000);
    EXPECT_GE(run["final_test_accuracy"].get<double>(), 0.9);
    EXPECT_GT(run["train_seconds"].get<double>(), 0.0);
  }

  // Both plots as PNG and SVG, the script beside them, no temporary file left over.
  for (const char* name : {"loss.png", "accuracy.png"}) EXPECT_EQ(read(out / name).substr(1, 3), "PNG") << name;
  for (const char* name : {"loss.svg", "accuracy.svg"}) EXPECT_NE(read(out / name).find("<svg"), std::string::npos);
  EXPECT_NE(read(out / "plots.gp").find("metrics.csv"), std::string::npos);
  for (const auto& f : fs::directory_iterator(out))
    EXPECT_EQ(f.path().filename().string().find(".tmp"), std::string::npos) << f.path();
}

TEST(LabCli, WithoutGnuplotWarnsAndWritesTheRest) {
  Scratch s;
  const auto out = s / "out";
  const auto r = cli({"compare", "--epochs", "5", "--out", out.string()}, s, "PATH=" + (s / "empty").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("descent: warning: gnuplot not found"), std::string::npos) << r.err;
  EXPECT_EQ(lines(r.err), 1u) << r.err;
  EXPECT_TRUE(fs::exists(out / "metrics.csv"));
  EXPECT_TRUE(fs::exists(out / "summary.json"));
  EXPECT_NE(read(out / "plots.gp").find("loss.png"), std::string::npos);
  EXPECT_FALSE(fs::exists(out / "loss.png"));
}

TEST(LabCli, SameSeedSameMetricsAndThreadsDoNotMatter) {
  Scratch s;
  auto metrics = [&](std::vector<std::string> extra) {
    const auto out = s / ("out" + std::to_string(extra.size()) + extra.back());
    std::vector<std::string> args{"compare", "--no-plots", "--quiet", "--out", out.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = cli(args, s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return without_seconds(read(out / "metrics.csv"));
  };
  const std::string one = metrics({"--threads", "1"});
  EXPECT_EQ(lines(one), 2501u);
  EXPECT_EQ(one, metrics({"--threads", "2"}));
  EXPECT_EQ(one, metrics({"--seed", "116", "--threads", "1"}));
  EXPECT_NE(one, metrics({"--seed", "5"}));
}

TEST(LabCli, DigitsMlpWithCrossEntropy) {
  Scratch s;
  const auto r = cli({"compare", "--dataset", "digits", "--hidden", "64", "--loss", "ce", "--epochs", "3",
                      "--optimizers", "sgd,adagrad", "--no-plots", "--out", (s / "out").string()},
                     s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json summary = json::parse(read(s / "out" / "summary.json"));
  EXPECT_EQ(summary["config"]["model"], "dense 64->64 + relu, dense 64->10");
  EXPECT_EQ(summary["config"]["train_samples"], 1438);  // 1797 − round(0.2 · 1797)
  EXPECT_EQ(summary["config"]["normalize"], "standard");
  for (const json& run : summary["runs"]) EXPECT_GT(run["final_test_accuracy"].get<double>(), 0.8) << run["optimizer"];
}

TEST(LabCli, UserCsvWithLabelNameAndTestFile) {
  Scratch s;
  // Two separable blobs, label in the middle column.
  std::string train = "u,kind,v\n", test = "u,kind,v\n";
  for (int i = 0; i < 40; ++i) {
    const double d = 0.01 * i;
    train += std::to_string(1 + d) + ",big," + std::to_string(1 - d) + "\n";
    train += std::to_string(-1 - d) + ",small," + std::to_string(-1 + d) + "\n";
  }
  test += "1.5,big,0.5\n-1.5,small,-0.5\n";
  lab_test::write(s / "train.csv", train);
  lab_test::write(s / "test.csv", test);
  const auto r = cli({"compare", "--dataset", (s / "train.csv").string(), "--label", "kind", "--test",
                      (s / "test.csv").string(), "--epochs", "20", "--no-plots", "--out", (s / "out").string()},
                     s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json summary = json::parse(read(s / "out" / "summary.json"));
  EXPECT_EQ(summary["config"]["classes"], (json{"big", "small"}));
  EXPECT_EQ(summary["config"]["train_samples"], 80);
  EXPECT_EQ(summary["config"]["test_samples"], 2);
  for (const json& run : summary["runs"]) EXPECT_EQ(run["final_test_accuracy"], 1.0) << run["optimizer"];
}

TEST(LabCli, TrainDumpAndInitContinueARun) {
  // SGD keeps no state and the batches come in the same order each epoch, so 5 epochs, dump,
  // then 5 more from the dump must give exactly the parameters of 10 epochs in one go.
  Scratch s;
  auto train = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"train",      "--optimizer", "sgd",   "--dtype",           "f64",
                                  "--no-plots", "--quiet",     "--out", (s / "out").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = cli(args, s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
  };
  train({"--epochs", "5", "--dump-params", (s / "five.json").string()});
  train({"--epochs", "5", "--init", (s / "five.json").string(), "--dump-params", (s / "ten_b.json").string()});
  train({"--epochs", "10", "--dump-params", (s / "ten_a.json").string()});
  const json five = json::parse(read(s / "five.json"));
  const json a = json::parse(read(s / "ten_a.json")), b = json::parse(read(s / "ten_b.json"));
  ASSERT_EQ(five["dense1.weight"].size(), 4u);  // inputs × outputs
  ASSERT_EQ(five["dense1.weight"][0].size(), 3u);
  ASSERT_EQ(five["dense1.bias"].size(), 3u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, five);
}

struct BadInput {
  std::vector<std::string> args;
  std::string message;  // must appear in the one error line
};

TEST(LabCli, BadInputOneLineExitTwoNoOutputs) {
  Scratch s;
  lab_test::write(s / "ragged.csv", "a,b,label\n1,2,x\n3,4\n");
  lab_test::write(s / "text.csv", "a,b,label\n1,2,x\n3,four,y\n");
  lab_test::write(s / "good.csv", "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n9,1,x\n");
  lab_test::write(s / "empty.csv", "");
  lab_test::write(s / "a_file", "");
  lab_test::write(s / "init.json", R"({"dense1.weight": [[1, 2], [3, 4]], "dense1.bias": [0, 0, 0]})");
  const std::string out = (s / "out").string();
  const std::vector<BadInput> cases{
      {{"compare", "--dataset", (s / "ragged.csv").string()}, "ragged.csv:3:3: row has 2 fields, expected 3"},
      {{"compare", "--dataset", (s / "text.csv").string()}, "text.csv:3:2: 'four' is not a number"},
      {{"compare", "--dataset", (s / "good.csv").string(), "--label", "species"},
       "good.csv:1:1: --label 'species': no column of that name"},
      {{"compare", "--dataset", (s / "empty.csv").string()}, "empty.csv:1:1: empty file"},
      {{"compare", "--optimizers", "sgd,adamz"}, "unknown optimizer 'adamz'"},
      {{"compare", "--dataset", "mnist"}, "--dataset 'mnist': not iris, digits or a readable file"},
      {{"compare", "--out", (s / "a_file" / "sub").string()}, "--out"},
      {{"compare", "--out", (s / "a_file").string()}, "exists and is not a directory"},
      {{"compare", "--optimizers", "sgd,adagrad", "--beta1", "0.8"},
       "--beta1 applies to none of the chosen optimizers"},
      {{"compare", "--optimizers", "adam", "--beta1", "1.5"}, "beta1 = 1.5 is out of range [0, 1)"},
      {{"compare", "--option", "adam.nosuch=1"}, "no chosen optimizer has an option 'nosuch'"},
      {{"compare", "--loss", "hinge"}, "--loss 'hinge'"},
      {{"compare", "--test", "1.5"}, "--test 1.5: a fraction must be in (0, 1)"},
      {{"train", "--init", (s / "init.json").string()}, "parameter 'dense1.weight': expected shape 4x3"},
  };
  for (const BadInput& c : cases) {
    std::vector<std::string> args = c.args;
    if (std::find(args.begin(), args.end(), "--out") == args.end()) args.insert(args.end(), {"--out", out});
    const auto r = cli(args, s);
    EXPECT_EQ(r.exit_code, 2) << c.message;
    EXPECT_EQ(lines(r.err), 1u) << r.err;
    EXPECT_EQ(r.err.rfind("descent: error: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << "expected '" << c.message << "' in: " << r.err;
    EXPECT_EQ(r.out, "");
    EXPECT_FALSE(fs::exists(s / "out" / "metrics.csv")) << c.message;
    EXPECT_FALSE(fs::exists(s / "out" / "summary.json")) << c.message;
  }
}

// After --resume the weights come from the checkpoint: the header says so, not the initializer.
TEST(LabCli, AResumedRunSaysWhereItsWeightsCameFrom) {
  Scratch s;
  const std::string ck = (s / "ck").string();
  auto r = cli({"train", "--epochs", "2", "--save", ck, "--no-plots", "--out", (s / "a").string()}, s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("truncated_normal init"), std::string::npos) << r.out;
  r = cli({"train", "--epochs", "3", "--resume", ck, "--no-plots", "--out", (s / "b").string()}, s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("resumed from " + ck), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("truncated_normal init"), std::string::npos) << r.out;
}

// --nonfinite skip with every gradient non-finite: no step is taken. The table shows the loss
// as nan and the time per step as "-" (not -nan and inf), and summary.json has nulls there.
TEST(LabCli, ARunWhoseEveryStepIsSkippedPrintsReadableNumbers) {
  Scratch s;
  std::string csv;
  for (int i = 0; i < 10; ++i) csv += "1e300," + std::to_string(i % 3) + "," + std::to_string(i % 2) + "\n";
  lab_test::write(s / "huge.csv", csv);
  const auto r = cli({"train", "--dataset", (s / "huge.csv").string(), "--normalize", "none", "--nonfinite", "skip",
                      "--epochs", "2", "--no-plots", "--out", (s / "out").string()},
                     s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::size_t from = r.out.find("\nsgd ") + 1;
  const std::string row = r.out.substr(from, r.out.find('\n', from) - from);  // the table's row
  EXPECT_NE(row.find(" nan "), std::string::npos) << row;
  EXPECT_EQ(row.back(), '-') << row;
  EXPECT_EQ(r.out.find("-nan"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("inf"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("every step, so the weights never changed"), std::string::npos) << r.out;
  const json run = json::parse(read(s / "out" / "summary.json"))["runs"][0];
  EXPECT_EQ(run["steps"], 0);
  EXPECT_EQ(run["skipped_steps"], 2);
  EXPECT_TRUE(run["final_loss"].is_null());
  EXPECT_TRUE(run["seconds_per_step"].is_null());
}

}  // namespace
