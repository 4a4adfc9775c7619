// Forcing a CPU level (descent/cpu.hpp): the names, the detection, set_cpu_level, and
// DESCENT_CPU_LEVEL and `bench --cpu-level` through the CLI. The kernels' numbers at each
// level are the parity suites' job (kernel_test, driver_test, family_property_test).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cpu_levels.hpp"
#include "descent/descent.hpp"
#include "descent/detail/kernel.hpp"
#include "shell.hpp"

namespace {

using descent::CpuLevel;

TEST(CpuLevel, NamesRoundTripAndUnknownNamesAreErrors) {
  ASSERT_EQ(descent::cpu_levels().size(), 4u);
  for (CpuLevel level : descent::cpu_levels()) EXPECT_EQ(descent::parse_cpu_level(descent::to_string(level)), level);
  EXPECT_EQ(descent::to_string(CpuLevel::x86_64_v3), "x86-64-v3");
  try {
    descent::parse_cpu_level("x86-64-v5");
    FAIL() << "accepted x86-64-v5";
  } catch (const descent::OptionError& e) {
    EXPECT_STREQ(e.what(), "unknown CPU level 'x86-64-v5' (expected baseline, x86-64-v2, x86-64-v3 or x86-64-v4)");
  }
  EXPECT_THROW(descent::parse_cpu_level(""), descent::OptionError);
}

TEST(CpuLevel, TheBestLevelIsTheHighestSupportedAndLevelsNest) {
  EXPECT_TRUE(descent::cpu_supports(CpuLevel::baseline));
  bool lower = true;  // a CPU with v3 has v2: the levels are supersets
  CpuLevel best = CpuLevel::baseline;
  for (CpuLevel level : descent::cpu_levels()) {
    if (descent::cpu_supports(level)) {
      EXPECT_TRUE(lower) << descent::to_string(level);
      best = level;
    }
    lower = descent::cpu_supports(level);
  }
  EXPECT_EQ(descent::best_cpu_level(), best);
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  EXPECT_EQ(descent::cpu_supports(CpuLevel::x86_64_v4), bool(__builtin_cpu_supports("x86-64-v4")));
  EXPECT_EQ(descent::cpu_supports(CpuLevel::x86_64_v3), bool(__builtin_cpu_supports("x86-64-v3")));
#endif
}

TEST(CpuLevel, ForcingALevelReachesTheKernelsDispatch) {
  for (CpuLevel level : descent::cpu_levels()) {
    if (!descent::cpu_supports(level)) {
      EXPECT_THROW(descent::set_cpu_level(level), descent::Error) << descent::to_string(level);
      continue;
    }
    const descent::testing::ForcedCpuLevel forced(level);
    EXPECT_EQ(descent::cpu_level(), level);
    EXPECT_EQ(descent::detail::kernel_level(), level);
  }
}

// The gradient check's vectorized scan finds a non-finite value at any position, at every level.
TEST(CpuLevel, GradientCheckFindsEveryBadValueAtEveryLevel) {
  for (CpuLevel level : descent::cpu_levels()) {
    if (!descent::cpu_supports(level)) continue;
    const descent::testing::ForcedCpuLevel forced(level);
    for (std::size_t n : {1u, 15u, 16u, 17u, 2047u, 2049u, 5000u})
      for (std::size_t bad : {std::size_t(0), n / 2, n - 1}) {
        std::vector<float> w(n, 1.0f), g(n, 0.5f);
        g[bad] = std::numeric_limits<float>::quiet_NaN();
        descent::Sgd opt({descent::Param("w", std::span(w), std::span<const float>(g))});
        try {
          opt.step();
          ADD_FAILURE() << "no error for a nan at " << bad << " of " << n << " at " << descent::to_string(level);
        } catch (const descent::Error& e) {
          EXPECT_NE(std::string(e.what()).find("at index " + std::to_string(bad) + ";"), std::string::npos) << e.what();
        }
        EXPECT_EQ(w[0], 1.0f);  // the step was not taken
      }
  }
}

using shell::Outcome;

Outcome run(const std::string& command) { return shell::run(command + " 2>&1"); }

const std::string bench =
    std::string(DESCENT_CLI) + " bench --optimizer adam --preset big --threads 1 --steps 1 --warmup 0 --format json";

TEST(CpuLevel, TheEnvironmentAndBenchForceALevel) {
  const Outcome env = run("DESCENT_CPU_LEVEL=baseline " + bench);
  ASSERT_EQ(env.code, 0) << env.out;
  EXPECT_EQ(nlohmann::json::parse(env.out)[0]["cpu_level"], "baseline");
  const Outcome flag = run("DESCENT_CPU_LEVEL=baseline " + bench + " --cpu-level x86-64-v2");
  ASSERT_EQ(flag.code, 0) << flag.out;
  EXPECT_EQ(nlohmann::json::parse(flag.out)[0]["cpu_level"], "x86-64-v2");  // the flag wins
  const Outcome best = run("env -u DESCENT_CPU_LEVEL " + bench);
  ASSERT_EQ(best.code, 0) << best.out;
  EXPECT_EQ(nlohmann::json::parse(best.out)[0]["cpu_level"], descent::to_string(descent::best_cpu_level()));
}

TEST(CpuLevel, AnEnvironmentLevelThatCannotRunIsAnErrorBeforeTheStep) {
  const Outcome unknown = run("DESCENT_CPU_LEVEL=avx512 " + bench);
  EXPECT_EQ(unknown.code, 2);
  EXPECT_EQ(unknown.out,
            "descent: error: DESCENT_CPU_LEVEL=avx512: unknown CPU level 'avx512' (expected baseline, x86-64-v2, "
            "x86-64-v3 or x86-64-v4)\n");
  const Outcome empty = run("DESCENT_CPU_LEVEL= " + bench);
  EXPECT_EQ(empty.code, 2);
  EXPECT_NE(empty.out.find("DESCENT_CPU_LEVEL=: unknown CPU level ''"), std::string::npos) << empty.out;
  const Outcome flag = run(bench + " --cpu-level v4");
  EXPECT_EQ(flag.code, 2);
  EXPECT_NE(flag.out.find("--cpu-level: v4 not in {best,baseline,x86-64-v2,x86-64-v3,x86-64-v4}"), std::string::npos)
      << flag.out;
  for (CpuLevel level : descent::cpu_levels()) {
    if (descent::cpu_supports(level)) continue;
    const std::string name(descent::to_string(level));
    const Outcome lacking = run("DESCENT_CPU_LEVEL=" + name + " " + bench);
    EXPECT_EQ(lacking.code, 2);
    EXPECT_NE(lacking.out.find("DESCENT_CPU_LEVEL=" + name + ": " + name + " is not supported by this CPU"),
              std::string::npos)
        << lacking.out;
  }
}

}  // namespace
