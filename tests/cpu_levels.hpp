#pragma once
// The parity suites run once per CPU level (descent/cpu.hpp). A test forces its level with
// ForcedCpuLevel after skipping, with the reason, a level this CPU lacks.
#include <gtest/gtest.h>

#include <string>

#include "descent/cpu.hpp"

namespace descent::testing {

// Forces a level for one test's lifetime, then restores the level before.
class ForcedCpuLevel {
 public:
  explicit ForcedCpuLevel(CpuLevel level) : before_(cpu_level()) { set_cpu_level(level); }
  ~ForcedCpuLevel() { set_cpu_level(before_); }
  ForcedCpuLevel(const ForcedCpuLevel&) = delete;
  ForcedCpuLevel& operator=(const ForcedCpuLevel&) = delete;

 private:
  CpuLevel before_;
};

inline std::string skip_reason(CpuLevel level) {
  return std::string(to_string(level)) + " is not supported by this CPU (its best is " +
         std::string(to_string(best_cpu_level())) + ")";
}

// A test name's part: x86-64-v3 -> x86_64_v3.
inline std::string level_name(CpuLevel level) {
  std::string s(to_string(level));
  for (char& c : s)
    if (c == '-') c = '_';
  return s;
}

inline const auto every_level = ::testing::ValuesIn(cpu_levels().begin(), cpu_levels().end());

}  // namespace descent::testing
