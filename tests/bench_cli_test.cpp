// `descent bench` as a command: its JSON contract and its bad-input errors. (Its speed is
// measured by running it, never asserted here.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "shell.hpp"

namespace {

using shell::Outcome;

Outcome run(const std::string& args) { return shell::descent(args); }

TEST(BenchCli, JsonHasOneResultPerOptimizerWithTheContractKeys) {
  const Outcome r = run("bench --optimizer sgdm,adam --preset big --threads 1 --steps 1 --warmup 0 --format json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  const char* names[] = {"sgdm", "adam"};
  const int bytes[] = {20, 28};  // read w, g, slots; write w, slots: 4·(3 + 2·slots)
  for (int i = 0; i < 2; ++i) {
    const auto& x = j[i];
    EXPECT_EQ(x["optimizer"], names[i]);
    EXPECT_EQ(x["preset"], "big");
    EXPECT_EQ(x["threads"].get<int>(), 1);
    EXPECT_EQ(x["params"].get<long>(), 1L << 24);
    EXPECT_EQ(x["bytes_per_param"].get<int>(), bytes[i]);
    for (const char* key : {"ms_per_step", "gbytes_per_s", "roofline_gbytes_per_s", "fraction_of_roofline"})
      EXPECT_GT(x[key].get<double>(), 0) << key;
    // GB/s is bytes moved per step over the step's time.
    EXPECT_NEAR(x["gbytes_per_s"].get<double>(), bytes[i] * double(1 << 24) / (x["ms_per_step"].get<double>() * 1e6),
                1e-6 * x["gbytes_per_s"].get<double>());
  }
}

TEST(BenchCli, UnknownPresetOrOptimizerIsOneLineAndExitTwo) {
  Outcome r = run("bench --preset huge");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "descent: error: --preset 'huge' is not one of gpt2-small, big, many-small, all\n");
  r = run("bench --optimizer nosuchopt");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("--optimizer 'nosuchopt'"), std::string::npos) << r.out;
  r = run("bench --threads -1");
  EXPECT_EQ(r.code, 2);
}

// Low-bit state: the bytes a step moves and the state it keeps, by arithmetic over the preset's
// one tensor of 2^24 values. A step reads w and g and writes w (12 bytes), and reads and writes
// every slot: 2·4 bytes as float32, 2·2 as bf16, 2·1 as q8 plus 2·4 bytes of scale per 256 values.
TEST(BenchCli, LowBitStateReportsItsBytesAndMemory) {
  struct Case {
    std::string flags, optimizer;
    int slots;
    double bytes, state_fraction;
  };
  const Case cases[] = {
      {"--state-dtype q8", "adam", 2, 12 + 2 * (2 + 8.0 / 256), (1 + 4.0 / 256) / 4},
      {"--state-dtype q8", "sgdm", 1, 12 + 1 * (2 + 8.0 / 256), (1 + 4.0 / 256) / 4},
      {"--state-dtype bf16", "adam", 2, 12 + 2 * 4, 0.5},
      {"--state-dtype bf16 --state-rounding stochastic", "adam", 2, 12 + 2 * 4, 0.5},
      {"--state-dtype f32", "adam", 2, 28, 1},
      // A tensor below --state-min-size keeps float32 state.
      {"--state-dtype q8 --state-min-size 16777217", "adam", 2, 28, 1},
  };
  const double n = double(1 << 24);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.optimizer + " " + c.flags);
    const Outcome r = run("bench --optimizer " + c.optimizer + " --preset big --threads 1 --steps 1 --warmup 0 " +
                          c.flags + " --format json");
    ASSERT_EQ(r.code, 0) << r.out;
    const auto x = nlohmann::json::parse(r.out).at(0);
    EXPECT_EQ(x["bytes_per_param"].get<double>(), c.bytes);
    EXPECT_EQ(x["f32_state_bytes"].get<double>(), c.slots * 4 * n);
    EXPECT_EQ(x["state_bytes"].get<double>(), c.slots * 4 * n * c.state_fraction);
    EXPECT_EQ(x["state_fraction"].get<double>(), c.state_fraction);
    EXPECT_NEAR(x["gbytes_per_s"].get<double>(), c.bytes * n / (x["ms_per_step"].get<double>() * 1e6),
                1e-6 * x["gbytes_per_s"].get<double>());
    EXPECT_GT(x["fraction_of_roofline"].get<double>(), 0);
  }
}

// Peak memory (issue 14's targets): the resident memory the optimizer adds at its peak, read from
// the system, is its state's kept bytes in every form. The f32 state a constructor allocates
// before the state options arrive must not be resident at any point, nor a float32 copy of it.
#ifdef __linux__
TEST(BenchCli, PeakStateMemoryIsTheKeptStateInEveryForm) {
  auto bench = [](const std::string& flags) {
    const Outcome r =
        run("bench --optimizer adam --preset big --threads 2 --steps 1 --warmup 1 --format json " + flags);
    EXPECT_EQ(r.code, 0) << r.out;
    return nlohmann::json::parse(r.out).at(0);
  };
  if (bench("--state-dtype f32")["peak_state_bytes"].is_null())
    GTEST_SKIP() << "this system does not let a process reset its peak resident memory (/proc/self/clear_refs)";
  auto peak = [&](const std::string& flags) {
    const auto x = bench(flags);
    return std::pair{x["peak_state_bytes"].get<double>(), x["state_bytes"].get<double>()};
  };
  const auto [f32, f32_kept] = peak("--state-dtype f32");
  EXPECT_EQ(f32_kept, 2 * 4 * double(1 << 24));
  // Every page of float32 state is written by a step: the measure sees them (and little else).
  EXPECT_GE(f32, 0.99 * f32_kept);
  EXPECT_LE(f32, 1.10 * f32_kept);
  for (const char* flags :
       {"--state-dtype bf16", "--state-dtype bf16 --state-rounding stochastic", "--state-dtype q8"}) {
    const auto [low, kept] = peak(flags);
    SCOPED_TRACE(flags);
    EXPECT_GE(low, 0.99 * kept);
    EXPECT_LE(low, kept + 0.02 * f32_kept);  // the rest of the process: a few MB at most
  }
  // The bounds (q8 ≤ 26%, bf16 ≤ 51% of f32's) then follow from the kept bytes, which
  // LowBitStateReportsItsBytesAndMemory checks exactly (25.39%, 50%); they are measured on GPT-2
  // small in docs/lowbit.md. Not asserted here as ratios: under ASan the process's own few MB
  // (its allocator's) are a visible share of this tensor's 34 MB of q8 state.
}
#endif

// 10,000 tensors of 1,000 values: below the default min_size all keep float32 state; with
// --state-min-size 0 each is 4 blocks of q8 (the last one short), 4 scales per slot.
TEST(BenchCli, ManySmallTensorsKeepFloatStateBelowMinSize) {
  Outcome r =
      run("bench --optimizer adam --preset many-small --threads 2 --steps 1 --warmup 0 --state-dtype q8 "
          "--format json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out).at(0)["bytes_per_param"].get<double>(), 28.0);
  r =
      run("bench --optimizer adam --preset many-small --threads 2 --steps 1 --warmup 0 --state-dtype q8 "
          "--state-min-size 0 --format json");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto x = nlohmann::json::parse(r.out).at(0);
  EXPECT_DOUBLE_EQ(x["bytes_per_param"].get<double>(), (12 * 1000 + 2 * (2 * 1000 + 2 * 4 * 4)) / 1000.0);
  EXPECT_EQ(x["state_bytes"].get<double>(), 10000 * 2 * (1000 + 4 * 4));
  EXPECT_EQ(x["state_dtype"], "q8");
  EXPECT_EQ(x["state_min_size"].get<int>(), 0);
}

TEST(BenchCli, BadStateFlagsAreOneLineAndExitTwo) {
  Outcome r = run("bench --state-dtype f32 --state-rounding stochastic");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "descent: error: --state-rounding stochastic applies to --state-dtype bf16 and q8 only, not f32\n");
  for (const char* bad : {"--state-dtype q4", "--state-dtype ''", "--state-rounding up", "--state-min-size -1",
                          "--state-min-size ''", "--state-min-size 0x10"}) {
    r = run(std::string("bench --preset big --steps 1 --warmup 0 ") + bad);
    EXPECT_EQ(r.code, 2) << bad;
    EXPECT_NE(r.out.find(std::string(bad).substr(0, std::string(bad).find(' '))), std::string::npos) << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
}

}  // namespace
