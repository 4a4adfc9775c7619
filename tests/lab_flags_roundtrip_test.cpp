// Every flag of `descent train` and `descent compare` reaches the run and comes back (issue
// 11): each flag, with a value that is not its default, is built into a tiny run (iris or a
// small CSV, 3 epochs; many flags per run), and
//   - summary.json's config holds the value as given here,
//   - the printed repeat command, run as a shell command, reproduces the same config, results
//     and metrics,
//   - (train) the run saved at epoch 2 and resumed with no flags but --resume ends on the same
//     weights, metrics and config: every setting came back from the checkpoint.
// The list of flags is read from `--help`, not from the CLI's table of settings, and a flag
// without a case below fails the test: a flag added later needs a case here.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "lab_support.hpp"
#include "metrics_csv.hpp"

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lab_test::cli;
using lab_test::read;
using lab_test::Scratch;

// One flag's case: the words that give it a non-default value, and where summary.json's
// config must then hold what (a JSON pointer into "config").
struct Case {
  std::string flag;
  std::vector<std::string> args;
  std::string pointer;
  json value;
};

// A run that many flags join: `base` is what the run needs besides its cases.
struct Batch {
  std::string command;
  std::vector<std::string> base;
  std::vector<Case> cases;
};

std::vector<Batch> batches(const Scratch& s) {
  const std::string data = (s / "train.csv").string(), test = (s / "test.csv").string(),
                    init = (s / "init.json").string();
  auto flag = [](const std::string& name, const std::string& value, const std::string& pointer, json expected) {
    return Case{name, {name, value}, pointer, std::move(expected)};
  };
  // An optimizer option flag: recorded by its option name, as typed.
  auto option = [](const std::string& name, const std::string& value) {
    std::string key = name.substr(2);
    std::replace(key.begin(), key.end(), '-', '_');
    return Case{name, {name, value}, "/option_flags/" + key, value};
  };
  std::vector<Batch> all = {
      {"train",
       {},
       {flag("--optimizer", "adam", "/optimizers", {"adam"}),
        flag("--epochs", "3", "/epochs", 3),
        flag("--batch-size", "16", "/batch_size", 16),
        flag("--threads", "2", "/threads", 2),
        flag("--seed", "7", "/seed", 7),
        flag("--shuffle", "descent", "/shuffle", "descent"),
        flag("--lr", "0.01", "/lr", 0.01),
        flag("--beta1", "0.8", "/beta1", 0.8),
        flag("--beta2", "0.99", "/beta2", 0.99),
        flag("--eps", "1e-7", "/eps", 1e-7),
        Case{"--option",
             {"--option", "amsgrad=true", "--option", "adam.eps_hat=true"},
             "/options",
             {"amsgrad=true", "adam.eps_hat=true"}},
        option("--weight-decay", "0.01"),
        flag("--schedule", "cosine:t_max=3", "/schedule", "cosine:t_max=3"),
        flag("--clip-norm", "1", "/clip_norm", 1.0),
        flag("--clip-norm-per-tensor", "2", "/clip_norm_per_tensor", 2.0),
        flag("--clip-value", "3", "/clip_value", 3.0),
        flag("--ema", "0.5", "/ema", 0.5),
        flag("--no-decay", "*.bias", "/no_decay", {"*.bias"}),
        flag("--nonfinite", "zero", "/nonfinite", "zero"),
        flag("--state-dtype", "q8", "/state_dtype", "q8"),
        flag("--state-min-size", "1", "/state_min_size", 1),
        flag("--convention", "pytorch", "/convention", "pytorch"),
        flag("--loss", "ce", "/loss", "ce"),
        flag("--hidden", "8,4", "/hidden", {8, 4}),
        flag("--activation", "tanh", "/activation", "tanh"),
        flag("--initializer", "glorot", "/initializer", "glorot"),
        flag("--test", "0.3", "/test", "0.3"),
        flag("--normalize", "standard", "/normalize", "standard")}},
      {"train",
       {"--optimizer", "sgdm", "--epochs", "3", "--schedule", "step:size=2", "--state-dtype", "bf16", "--nonfinite",
        "skip"},
       {flag("--beta", "0.5", "/beta", 0.5), Case{"--swa", {"--swa"}, "/swa", true},
        flag("--schedule-unit", "step", "/schedule_unit", "step"),
        flag("--state-rounding", "stochastic", "/state_rounding", "stochastic"),
        flag("--dtype", "f64", "/dtype", "f64"), flag("--dataset", data, "/dataset", data),
        flag("--label", "kind", "/label", "kind"), Case{"--test", {"--test", test}, "/test", test},
        flag("--init", init, "/init_file", init)}},
      {"train",
       {"--epochs", "3", "--dtype", "bf16"},
       {Case{"--master-weights", {"--master-weights"}, "/master_weights", true}}},
      {"compare",
       {"--epochs", "3", "--dtype", "bf16"},
       {Case{"--master-weights", {"--master-weights"}, "/master_weights", true}}},
      // The optimizer option flags, on one optimizer that has them each.
      {"train",
       {"--epochs", "3", "--convention", "pytorch", "--optimizer", "sgdm"},
       {option("--dampening", "0.1"), option("--buffer-starts-at-grad", "false"), option("--lr-in-buffer", "true")}},
      {"train", {"--epochs", "3", "--convention", "pytorch", "--optimizer", "sgdm"}, {option("--nesterov", "true")}},
      {"train",
       {"--epochs", "3", "--convention", "pytorch", "--optimizer", "adagrad"},
       {option("--eps-inside-sqrt", "true"), option("--initial-accumulator-value", "0.1"),
        option("--lr-decay", "0.01")}},
      {"train",
       {"--epochs", "3", "--convention", "pytorch", "--optimizer", "rmsprop"},
       {option("--centered", "true"), option("--maximize", "true")}},
      {"train",
       {"--epochs", "3", "--convention", "pytorch", "--optimizer", "adam", "--weight-decay", "0.01"},
       {option("--amsgrad", "true"), option("--eps-hat", "true"), option("--decoupled-weight-decay", "true"),
        option("--schedule-scaled-decay", "true")}},
      {"train",
       {"--epochs", "3", "--convention", "pytorch", "--optimizer", "adamax"},
       {option("--eps-inside-max", "true")}},
      {"train",
       {"--epochs", "3", "--convention", "pytorch", "--optimizer", "nadam"},
       {option("--momentum-decay", "0.005"), option("--extra-mu", "true")}},
      {"train", {"--epochs", "3", "--convention", "pytorch", "--optimizer", "lamb"}, {option("--trust-decay", "0.01")}},
      {"compare",
       {"--epochs", "3", "--convention", "pytorch"},
       {flag("--optimizers", "sgdm,adagrad,rmsprop,adam,adamax,nadam,lamb", "/optimizers",
             {"sgdm", "adagrad", "rmsprop", "adam", "adamax", "nadam", "lamb"}),
        option("--weight-decay", "0.01"), option("--decoupled-weight-decay", "true"),
        option("--schedule-scaled-decay", "true"), option("--maximize", "true"), option("--dampening", "0.1"),
        option("--buffer-starts-at-grad", "false"), option("--eps-inside-sqrt", "true"),
        option("--initial-accumulator-value", "0.1"), option("--lr-decay", "0.01"), option("--centered", "true"),
        option("--eps-hat", "true"), option("--amsgrad", "true"), option("--eps-inside-max", "true"),
        option("--momentum-decay", "0.005"), option("--extra-mu", "true"), option("--trust-decay", "0.01")}},
      {"compare",
       {"--epochs", "3", "--convention", "pytorch", "--optimizers", "sgdm,rmsprop", "--option", "rmsprop.momentum=0.5"},
       {option("--nesterov", "true"), option("--lr-in-buffer", "true")}},
  };
  // compare has the same settings but the train-only ones: the first two batches again.
  for (std::size_t k : {0, 1}) {
    Batch b{"compare", all[k].base, {}};
    for (const Case& c : all[k].cases)
      if (c.flag != "--optimizer" && c.flag != "--init") b.cases.push_back(c);
    for (auto& word : b.base) word = word == "--optimizer" ? "--optimizers" : word;
    if (k == 0) b.base.insert(b.base.end(), {"--optimizers", "adam"});
    all.push_back(b);
  }
  return all;
}

// Flags that are not settings of the numbers, each with what checks it here instead.
const std::map<std::string, std::string> not_settings = {
    {"--help", "prints the help this test reads"},
    {"--help-all", "prints every command's help"},
    {"--out", "every run below writes there"},
    {"--no-plots", "every run below: no .png written"},
    {"--quiet", "every run below: nothing on stdout"},
    {"--dump-params", "the weights compared after a resume"},
    {"--save", "writes the checkpoint resumed below"},
    {"--save-every", "the runs saved for a resume below save every epoch"},
    {"--resume", "the resumed runs below"},
    {"--distributed", "needs mpirun: tests/mpi/cli_test.py; here config.distributed is null without it"},
    {"--bucket-bytes", "needs --distributed (tests/mpi/cli_test.py); here its refusal without it"},
    {"--timeout", "needs --distributed (tests/mpi/cli_test.py); here its refusal without it"},
};

// The long flags `descent COMMAND --help` lists (the first long name of each option line).
std::set<std::string> help_flags(const std::string& command, const Scratch& s) {
  const auto r = cli({command, "--help"}, s);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::set<std::string> flags;
  std::istringstream in(r.out);
  const std::regex option_line(R"(^  (-[^ ]+))");
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, option_line)) continue;
    std::istringstream names(m[1].str());
    for (std::string name; std::getline(names, name, ',');)
      if (name.rfind("--", 0) == 0) {
        flags.insert(name);
        break;
      }
  }
  return flags;
}

// summary.json's results without the timings.
json results(const json& summary) {
  json runs = summary["runs"];
  for (auto& r : runs)
    for (const char* key : {"train_seconds", "cpu_seconds", "seconds_per_step"}) r.erase(key);
  return runs;
}

// `args` with FLAG's value replaced (a flag given twice is an error).
std::vector<std::string> set(std::vector<std::string> args, const std::string& flag, const std::string& value) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i)
    if (args[i] == flag) args[i + 1] = value;
  return args;
}

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

void write_data(const Scratch& s) {
  lab_test::write(s / "train.csv", "width,kind,height\n1,a,2\n2,b,3\n3,a,1\n4,b,4\n5,a,2\n6,b,1\n7,a,3\n8,b,2\n");
  lab_test::write(s / "test.csv", "width,kind,height\n2,a,2\n7,b,3\n");
  lab_test::write(s / "init.json", R"({"dense1.weight": [[0.1, -0.2], [0.3, 0.05]], "dense1.bias": [0.0, 0.1]})");
}

// Runs `command` (summary.json's repeat) through the shell with the CLI under test.
lab_test::Run shell(const std::string& command, const fs::path& out, const Scratch& s) {
  EXPECT_EQ(command.rfind("descent ", 0), 0u) << command;
  const std::string line = lab_test::shell_quote(DESCENT_CLI) + command.substr(7) + " --out " +
                           lab_test::shell_quote(out.string()) + " --no-plots -q >" +
                           lab_test::shell_quote((s / ".out").string()) + " 2>" +
                           lab_test::shell_quote((s / ".err").string());
  const int status = std::system(line.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read(s / ".out"), read(s / ".err")};
}

TEST(LabFlags, EveryFlagHasACase) {
  Scratch s;
  for (const std::string command : {"train", "compare"}) {
    std::set<std::string> covered;
    for (const Batch& b : batches(s))
      if (b.command == command)
        for (const Case& c : b.cases) covered.insert(c.flag);
    for (const std::string& flag : help_flags(command, s))
      EXPECT_TRUE(covered.count(flag) || not_settings.count(flag))
          << "descent " << command << " " << flag << " has no case in " << __FILE__;
  }
}

TEST(LabFlags, EverySettingReachesSummaryRepeatAndCheckpoint) {
  Scratch s;
  write_data(s);
  int k = 0;
  for (const Batch& b : batches(s)) {
    const std::string tag = b.command + " batch " + std::to_string(++k);
    std::vector<std::string> args = with({b.command}, b.base);
    for (const Case& c : b.cases) args = with(args, c.args);
    const fs::path whole = s / ("whole" + std::to_string(k));
    std::vector<std::string> outputs = {"--out", whole.string(), "--no-plots", "-q"};
    if (b.command == "train") outputs = with(outputs, {"--dump-params", (whole / "p.json").string()});
    auto r = cli(with(args, outputs), s);
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
    EXPECT_EQ(r.out, "") << tag << ": --quiet";
    EXPECT_FALSE(fs::exists(whole / "loss.png")) << tag << ": --no-plots";
    const json summary = json::parse(read(whole / "summary.json"));
    const json& config = summary["config"];
    for (const Case& c : b.cases)
      EXPECT_EQ(config.value(json::json_pointer(c.pointer), json()), c.value) << tag << ": " << c.flag;
    if (b.command == "train") EXPECT_TRUE(config["distributed"].is_null()) << tag;

    // The repeat command alone makes the same run.
    const fs::path again = s / ("again" + std::to_string(k));
    r = shell(summary["repeat"].get<std::string>(), again, s);
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << summary["repeat"] << ": " << r.err;
    const json repeated = json::parse(read(again / "summary.json"));
    EXPECT_EQ(repeated["config"], config) << tag << ": " << summary["repeat"];
    EXPECT_EQ(results(repeated), results(summary)) << tag;
    EXPECT_EQ(without_seconds(read(again / "metrics.csv")), without_seconds(read(whole / "metrics.csv"))) << tag;
    if (b.command != "train") continue;

    // Saved at epoch 2, resumed with no flags: the checkpoint brings every setting back.
    const std::string ck = (s / ("ck" + std::to_string(k))).string();
    r = cli(with(set(args, "--epochs", "2"),
                 {"--out", (s / "part").string(), "--no-plots", "-q", "--save", ck, "--save-every", "1"}),
            s);
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
    const fs::path resumed = s / ("resumed" + std::to_string(k));
    r = cli({"train", "--resume", ck, "--epochs", "3", "--out", resumed.string(), "--no-plots", "-q", "--dump-params",
             (resumed / "p.json").string()},
            s);
    ASSERT_EQ(r.exit_code, 0) << tag << ": " << r.err;
    json back = json::parse(read(resumed / "summary.json"))["config"], want = config;
    back.erase("threads");  // not kept: the results do not depend on it
    want.erase("threads");
    EXPECT_EQ(back, want) << tag;
    for (const Case& c : b.cases)
      if (c.flag != "--threads")
        EXPECT_EQ(back.value(json::json_pointer(c.pointer), json()), c.value)
            << tag << ": " << c.flag << " after --resume";
    EXPECT_EQ(read(resumed / "p.json"), read(whole / "p.json")) << tag;
    EXPECT_EQ(without_seconds(read(resumed / "metrics.csv")), without_seconds(read(whole / "metrics.csv"))) << tag;
  }
}

TEST(LabFlags, TheDistributedFlagsNeedDistributed) {
  Scratch s;
  for (const char* flag : {"--bucket-bytes", "--timeout"}) {
    const auto r = cli({"train", flag, "5", "--epochs", "1", "--no-plots", "-q", "--out", (s / "o").string()}, s);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(r.err, "descent: error: " + std::string(flag) + " needs --distributed\n");
  }
}

}  // namespace
