// `descent train --dtype bf16 [--master-weights]` (docs/lowbit.md, "bf16 parameters"): the
// weights the run ends on are bf16 values, it learns iris about as well as float32, the flags
// are recorded and kept by a resume, and a resumed run ends on exactly the uninterrupted run's
// weights.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "descent/checkpoint.hpp"
#include "lab_support.hpp"
#include "metrics_csv.hpp"

namespace {

// The lab's CLI test helpers, by their names in lab_support.hpp.
using namespace lab_test;
using json = nlohmann::json;
namespace fs = std::filesystem;

bool bf16_exact(double x) {
  const float f = float(x);
  if (double(f) != x) return false;
  std::uint32_t bits;
  std::memcpy(&bits, &f, 4);
  return (bits & 0xFFFFu) == 0;
}

std::vector<std::string> args_of(std::vector<std::string> a, const std::vector<std::string>& more) {
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

TEST(LabBf16Cli, TrainsIrisWithBf16Weights) {
  Scratch s;
  const std::vector<std::string> run = {"train", "--optimizer", "adam", "--epochs", "100", "--no-plots", "-q"};
  auto r = cli(args_of(run, {"--out", (s / "f32").string()}), s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = cli(args_of(run, {"--dtype", "bf16", "--out", (s / "bf16").string(), "--dump-params", (s / "w.json").string()}),
          s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<double> w;
  const json dumped = json::parse(read(s / "w.json"));
  for (const auto& [name, values] : dumped.items()) flatten(values, w);
  ASSERT_EQ(w.size(), 15u);  // dense 4->3
  for (double x : w) EXPECT_TRUE(bf16_exact(x)) << x;
  const json f32 = json::parse(read(s / "f32" / "summary.json")), bf16 = json::parse(read(s / "bf16" / "summary.json"));
  EXPECT_EQ(bf16["config"]["dtype"], "bf16");
  EXPECT_EQ(bf16["config"]["master_weights"], false);
  const double acc32 = f32["runs"].at(0)["final_test_accuracy"], acc16 = bf16["runs"].at(0)["final_test_accuracy"];
  EXPECT_GE(acc16, acc32 - 0.07) << "bf16 " << acc16 << ", f32 " << acc32;  // 30 test samples: 2 of them
  const std::string repeat = bf16["repeat"];
  EXPECT_NE(repeat.find("--dtype bf16"), std::string::npos) << repeat;
}

TEST(LabBf16Cli, ResumesBitForBit) {
  Scratch s;
  const std::vector<std::vector<std::string>> forms = {
      {"--dtype", "bf16"},
      {"--dtype", "bf16", "--master-weights"},
      {"--dtype", "bf16", "--state-rounding", "stochastic"},  // the weights round stochastically
  };
  for (const auto& form : forms) {
    const std::string tag = form.size() > 2 ? form[2] : "nearest";
    auto with = [&](std::vector<std::string> more) {
      return cli(args_of(args_of({"train", "--optimizer", "adam", "--hidden", "8", "--no-plots", "-q"}, form), more),
                 s);
    };
    auto r = with({"--epochs", "6", "--out", (s / "whole").string(), "--dump-params", (s / "whole.json").string()});
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
    r = with({"--epochs", "3", "--out", (s / "part").string(), "--save", (s / "ck").string()});
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
    const descent::OptimizerState state = descent::Checkpoint::load((s / "ck").string()).optimizer_state();
    ASSERT_FALSE(state.params.empty());
    EXPECT_EQ(state.params[0].dtype, descent::DType::bf16) << tag;
    // The flags come back from the checkpoint: only --epochs and the outputs are given.
    r = cli({"train", "--resume", (s / "ck").string(), "--epochs", "6", "--out", (s / "resumed").string(), "--no-plots",
             "-q", "--dump-params", (s / "resumed.json").string()},
            s);
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
    EXPECT_EQ(read(s / "whole.json"), read(s / "resumed.json")) << tag;
    EXPECT_EQ(without_seconds(read(s / "whole" / "metrics.csv")), without_seconds(read(s / "resumed" / "metrics.csv")))
        << tag;
    // Another dtype is refused: the checkpoint's weights are bf16.
    r = cli({"train", "--resume", (s / "ck").string(), "--epochs", "6", "--out", (s / "other").string(), "--no-plots",
             "-q", "--dtype", "f32"},
            s);
    EXPECT_EQ(r.exit_code, 2) << tag << ": " << r.err;
    EXPECT_NE(r.err.find("'--dtype bf16', not '--dtype f32'"), std::string::npos) << tag << ": " << r.err;
    fs::remove_all(s / "whole");
    fs::remove_all(s / "part");
    fs::remove_all(s / "resumed");
  }
}

TEST(LabBf16Cli, MasterWeightsAreRecordedAndChangeTheRun) {
  Scratch s;
  const std::vector<std::string> run = {"train", "--optimizer", "adam", "--lr", "0.001",     "--dtype",
                                        "bf16",  "--epochs",    "20",   "-q",   "--no-plots"};
  auto r = cli(args_of(run, {"--out", (s / "a").string(), "--dump-params", (s / "a.json").string()}), s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = cli(args_of(run, {"--master-weights", "--out", (s / "b").string(), "--dump-params", (s / "b.json").string()}), s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(read(s / "a.json"), read(s / "b.json"));
  const json summary = json::parse(read(s / "b" / "summary.json"));
  EXPECT_EQ(summary["config"]["master_weights"], true);
  const std::string repeat = summary["repeat"];
  EXPECT_NE(repeat.find("--master-weights"), std::string::npos) << repeat;
}

TEST(LabBf16Cli, BadCombinationsFailWithOneLine) {
  Scratch s;
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--dtype", "f16"}, "--dtype"},
      {{"--master-weights"}, "--master-weights applies to --dtype bf16 only, not f32"},
      {{"--master-weights", "--dtype", "f64"}, "--master-weights applies to --dtype bf16 only, not f64"},
      {{"--dtype", "bf16", "--master-weights", "--state-rounding", "stochastic"},
       "--state-rounding stochastic applies to --state-dtype bf16 and q8 only, not f32"},
  };
  for (const auto& [flags, message] : cases) {
    const auto r =
        cli(args_of({"train", "--epochs", "1", "--no-plots", "-q", "--out", (s / "out").string()}, flags), s);
    EXPECT_EQ(r.exit_code, 2) << message << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(s / "out")) << message;
  }
}

}  // namespace
