// Low-bit optimizer state in `descent train` / `descent compare` (--state-dtype,
// --state-rounding, --state-min-size; docs/lowbit.md): the flags reach the optimizer (the
// checkpoint's optimizer section stores its slots as asked), are recorded in summary.json and
// the repeat command, and a low-bit run resumed from a checkpoint ends on exactly the weights of
// the uninterrupted run.
#include <gtest/gtest.h>

#include <filesystem>

#include "descent/checkpoint.hpp"
#include "lab_support.hpp"
#include "metrics_csv.hpp"

namespace {

namespace fs = std::filesystem;
using lab_test::cli;
using lab_test::read;
using lab_test::Scratch;
using json = nlohmann::json;

TEST(LabState, LowBitRunsResumeBitForBit) {
  Scratch s;
  struct Case {
    std::vector<std::string> flags;
    descent::StateDType dtype;
  };
  // --state-min-size 1: the iris model's tensors (at most 8x3 values) are below the default 4096.
  const Case cases[] = {
      {{"--state-dtype", "q8", "--state-min-size", "1"}, descent::StateDType::q8},
      {{"--state-dtype", "bf16", "--state-rounding", "stochastic", "--state-min-size", "1"}, descent::StateDType::bf16},
  };
  std::string f32_weights;
  {
    auto r = cli({"train", "--optimizer", "adam", "--hidden", "8", "--epochs", "6", "--no-plots", "-q", "--out",
                  (s / "f32").string(), "--dump-params", (s / "f32.json").string()},
                 s);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    f32_weights = read(s / "f32.json");
  }
  for (const Case& c : cases) {
    const std::string tag = c.flags[1];
    auto with = [&](std::vector<std::string> more) {
      std::vector<std::string> args = {"train", "--optimizer", "adam", "--hidden", "8", "--no-plots", "-q"};
      args.insert(args.end(), c.flags.begin(), c.flags.end());
      args.insert(args.end(), more.begin(), more.end());
      return cli(args, s);
    };
    auto r = with({"--epochs", "6", "--out", (s / "whole").string(), "--dump-params", (s / "whole.json").string()});
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
    EXPECT_NE(read(s / "whole.json"), f32_weights) << tag << ": low-bit state changed nothing";
    r = with({"--epochs", "3", "--out", (s / "part").string(), "--save", (s / "ck").string()});
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
    const descent::OptimizerState state = descent::Checkpoint::load((s / "ck").string()).optimizer_state();
    ASSERT_FALSE(state.groups.empty());
    EXPECT_EQ(state.groups[0].state.dtype, c.dtype) << tag;
    for (const auto& p : state.params)
      for (const auto& slot : p.slots) EXPECT_EQ(slot.dtype, c.dtype) << tag << ": " << p.name << "." << slot.name;
    r = with({"--epochs", "6", "--out", (s / "resumed").string(), "--resume", (s / "ck").string(), "--dump-params",
              (s / "resumed.json").string()});
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
    EXPECT_EQ(read(s / "whole.json"), read(s / "resumed.json")) << tag;
    EXPECT_EQ(without_seconds(read(s / "whole" / "metrics.csv")), without_seconds(read(s / "resumed" / "metrics.csv")))
        << tag;

    const json summary = json::parse(read(s / "whole" / "summary.json"));
    EXPECT_EQ(summary["config"]["state_dtype"], c.flags[1]) << tag;
    EXPECT_EQ(summary["config"]["state_min_size"], 1) << tag;
    const std::string repeat = summary["repeat"];
    EXPECT_NE(repeat.find("--state-dtype " + c.flags[1]), std::string::npos) << repeat;
    EXPECT_NE(repeat.find("--state-min-size 1"), std::string::npos) << repeat;
    if (c.dtype == descent::StateDType::bf16) {
      EXPECT_EQ(summary["config"]["state_rounding"], "stochastic");
      EXPECT_NE(repeat.find("--state-rounding stochastic"), std::string::npos) << repeat;
    }
    // A resume with another storage is refused: the checkpoint's state is stored as it was.
    r = cli({"train", "--optimizer", "adam", "--hidden", "8", "--no-plots", "-q", "--epochs", "6", "--out",
             (s / "other").string(), "--resume", (s / "ck").string(), "--state-dtype", "f32"},
            s);
    EXPECT_EQ(r.exit_code, 2) << tag << ": " << r.err;
    EXPECT_NE(r.err.find("'--state-dtype " + tag + "', not '--state-dtype f32'"), std::string::npos)
        << tag << ": " << r.err;
  }
}

TEST(LabState, CompareRecordsTheStateFlags) {
  Scratch s;
  const auto r = cli({"compare", "--optimizers", "sgdm,adam", "--epochs", "2", "--state-dtype", "bf16", "--no-plots",
                      "-q", "--out", (s / "out").string()},
                     s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json summary = json::parse(read(s / "out" / "summary.json"));
  EXPECT_EQ(summary["config"]["state_dtype"], "bf16");
  EXPECT_EQ(summary["config"]["state_rounding"], "nearest");
  EXPECT_EQ(summary["config"]["state_min_size"], 4096);
}

TEST(LabState, BadStateFlagsFailWithOneLine) {
  Scratch s;
  const std::pair<std::vector<std::string>, std::string> cases[] = {
      {{"--state-dtype", "f16"}, "--state-dtype: unknown state dtype 'f16'"},
      {{"--state-dtype", ""}, "--state-dtype: unknown state dtype ''"},
      {{"--state-rounding", "up"}, "--state-rounding: unknown rounding 'up'"},
      {{"--state-rounding", "stochastic"},
       "--state-rounding stochastic applies to --state-dtype bf16 and q8 only, not f32"},
      {{"--state-rounding", "stochastic", "--state-dtype", "f32"}, "bf16 and q8 only, not f32"},
      {{"--state-min-size", "-1"}, "--state-min-size -1 is out of range [0, 18446744073709551615]"},
      {{"--state-min-size", "0x10"}, "--state-min-size 0x10: not an integer"},
  };
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args = {"train", "--epochs", "1", "--no-plots", "-q", "--out", (s / "out").string()};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto r = cli(args, s);
    EXPECT_EQ(r.exit_code, 2) << message << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(s / "out")) << message;
  }
}

}  // namespace

namespace {

// A checkpoint whose flags are in the format before the settings table (grouped "--schedule
// SPEC per UNIT", "--clip NORM PER_TENSOR VALUE", "--average ema DECAY[ swa]" lines, as main
// wrote them with the state flags) resumes with its own settings to the same weights.
TEST(LabState, ACheckpointOfTheGroupedFormatResumes) {
  Scratch s;
  const std::vector<std::string> run = {
      "train",       "--optimizer", "adam",  "--hidden",   "8", "--state-dtype", "q8", "--state-min-size", "1",
      "--clip-norm", "0.5",         "--swa", "--no-plots", "-q"};
  auto with = [&](std::vector<std::string> more) {
    std::vector<std::string> args = run;
    args.insert(args.end(), more.begin(), more.end());
    return cli(args, s);
  };
  auto r = with({"--epochs", "4", "--out", (s / "whole").string(), "--dump-params", (s / "whole.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = with({"--epochs", "2", "--out", (s / "part").string(), "--save", (s / "ck").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  descent::Checkpoint c = descent::Checkpoint::load((s / "ck").string());
  c.put_text("cli/config",
             "--optimizer adam\n--dataset iris\n--test 0.2\n--label (not given)\n--normalize auto\n--batch-size 32\n"
             "--seed 116\n--shuffle numpy\n--convention seed\n--loss mse\n--hidden 8\n--activation relu\n"
             "--initializer truncated_normal\n--dtype f32\n--lr (not given)\n--beta (not given)\n--beta1 (not given)\n"
             "--beta2 (not given)\n--eps (not given)\n--option-flags \n--schedule  per epoch\n--clip 0.5 0 0\n"
             "--average ema 0 swa\n--no-decay \n--option \n--init \n--nonfinite error\n--state-dtype q8\n"
             "--state-rounding nearest\n--state-min-size 1\n");
  c.save((s / "old").string());
  r = cli({"train", "--resume", (s / "old").string(), "--epochs", "4", "--out", (s / "resumed").string(), "--no-plots",
           "-q", "--dump-params", (s / "resumed.json").string()},
          s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read(s / "whole.json"), read(s / "resumed.json"));
  const json config = json::parse(read(s / "resumed" / "summary.json"))["config"];
  EXPECT_EQ(config["clip_norm"], 0.5);
  EXPECT_EQ(config["swa"], true);
  EXPECT_EQ(config["state_dtype"], "q8");
  // An explicit flag that disagrees is still refused, naming both values.
  r = cli({"train", "--resume", (s / "old").string(), "--epochs", "4", "--out", (s / "other").string(), "--no-plots",
           "-q", "--clip-norm", "1"},
          s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the run was started with '--clip-norm 0.5', not '--clip-norm 1'"), std::string::npos) << r.err;
}

}  // namespace
