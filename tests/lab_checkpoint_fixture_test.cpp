// Checkpoints written by descent 0.1.0 (tests/fixtures/checkpoints-0.1.0/, never regenerated)
// keep resuming: each run of RUNS.txt, resumed at epoch 4 with its own flags and --epochs 8,
// ends on exactly the weights the old release's uninterrupted run wrote. Those runs shuffled
// with descent's own order, which a 0.1.0 checkpoint does not record: the resume must take it
// (the default is now NumPy's), and refuse an explicit --shuffle numpy.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "lab_support.hpp"

namespace {

namespace fs = std::filesystem;
using lab_test::cli;
using lab_test::Scratch;

const fs::path fixtures = fs::path(DESCENT_GOLDEN_DIR).parent_path() / "fixtures" / "checkpoints-0.1.0";

struct FixtureRun {
  std::string name;
  std::vector<std::string> flags;
};

// RUNS.txt: "NAME: FLAGS..." per line.
std::vector<FixtureRun> fixture_runs() {
  std::ifstream in(fixtures / "RUNS.txt");
  std::vector<FixtureRun> runs;
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    FixtureRun r{line.substr(0, colon), {}};
    std::istringstream words(line.substr(colon + 1));
    for (std::string w; words >> w;) r.flags.push_back(w);
    runs.push_back(r);
  }
  return runs;
}

std::vector<std::string> resume_args(const FixtureRun& run, const Scratch& s, const fs::path& ckpt) {
  std::vector<std::string> args = {"train"};
  args.insert(args.end(), run.flags.begin(), run.flags.end());
  args.insert(args.end(), {"--epochs", "8", "--resume", ckpt.string(), "--out", (s / "out").string(), "--dump-params",
                           (s / "final.json").string(), "--no-plots", "-q"});
  return args;
}

TEST(CheckpointFixtures, ReleaseZeroOneZeroRunsResumeToTheirFinalWeights) {
  const auto runs = fixture_runs();
  ASSERT_EQ(runs.size(), 4u) << "RUNS.txt lists four runs";
  for (const auto& run : runs) {
    Scratch s;
    const fs::path ckpt = s / "run.ckpt";  // a copy: a resume must not need to write the fixture
    fs::copy_file(fixtures / (run.name + ".ckpt"), ckpt);
    const auto r = cli(resume_args(run, s, ckpt), s);
    ASSERT_EQ(r.exit_code, 0) << run.name << ": " << r.err;
    EXPECT_NE(r.err.find("after epoch 4"), std::string::npos) << run.name << ": " << r.err;
    const auto got = nlohmann::json::parse(lab_test::read(s / "final.json"));
    const auto want = nlohmann::json::parse(lab_test::read(fixtures / (run.name + ".final.json")));
    ASSERT_EQ(got.size(), want.size()) << run.name;
    for (const auto& [param, values] : want.items()) {
      ASSERT_TRUE(got.contains(param)) << run.name << ": " << param;
      const auto a = lab_test::flat(got[param]), b = lab_test::flat(values);
      ASSERT_EQ(a.size(), b.size()) << run.name << ": " << param;
      for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a[i], b[i]) << run.name << ": " << param << "[" << i << "]";
    }
    EXPECT_EQ(nlohmann::json::parse(lab_test::read(s / "out" / "summary.json"))["config"]["shuffle"], "descent")
        << run.name;
  }
}

TEST(CheckpointFixtures, AnOldRunRefusesTheNewShuffle) {
  const auto run = fixture_runs().front();
  Scratch s;
  const fs::path ckpt = s / "run.ckpt";
  fs::copy_file(fixtures / (run.name + ".ckpt"), ckpt);
  auto args = resume_args(run, s, ckpt);
  args.insert(args.end(), {"--shuffle", "numpy"});
  const auto r = cli(args, s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("the run was started with '--shuffle descent', not '--shuffle numpy'"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(s / "final.json"));
}

TEST(CheckpointFixtures, ANewCheckpointRecordsItsShuffle) {
  // Saved with the NumPy order (the default), then resumed without --shuffle and with the other.
  Scratch s;
  const std::vector<std::string> base = {"train", "--optimizer", "adam", "--no-plots", "-q"};
  auto with = [&](std::vector<std::string> more) {
    auto args = base;
    args.insert(args.end(), more.begin(), more.end());
    return cli(args, s);
  };
  auto r = with({"--epochs", "6", "--out", (s / "whole").string(), "--dump-params", (s / "whole.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = with({"--epochs", "3", "--out", (s / "part").string(), "--save", (s / "ck").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = with({"--epochs", "6", "--out", (s / "resumed").string(), "--resume", (s / "ck").string(), "--dump-params",
            (s / "resumed.json").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(lab_test::read(s / "whole.json"), lab_test::read(s / "resumed.json"));
  r = with({"--epochs", "6", "--out", (s / "other").string(), "--resume", (s / "ck").string(), "--shuffle", "descent"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'--shuffle numpy', not '--shuffle descent'"), std::string::npos) << r.err;
}

}  // namespace
