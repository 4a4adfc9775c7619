// The CPU level the kernels run at (descent/cpu.hpp): detected once, forced by the tests or by
// DESCENT_CPU_LEVEL.
#include "descent/cpu.hpp"

#include <array>
#include <atomic>
#include <cstdlib>
#include <string>

#include "descent/detail/kernel.hpp"  // DESCENT_CPU_LEVELS
#include "descent/error.hpp"

namespace descent {
namespace {

constexpr std::array<CpuLevel, 4> all{CpuLevel::baseline, CpuLevel::x86_64_v2, CpuLevel::x86_64_v3,
                                      CpuLevel::x86_64_v4};

bool cpu_has(CpuLevel level) {
#ifdef DESCENT_CPU_LEVELS
  __builtin_cpu_init();
  switch (level) {
    case CpuLevel::baseline:
      return true;
    case CpuLevel::x86_64_v2:
      return __builtin_cpu_supports("x86-64-v2");
    case CpuLevel::x86_64_v3:
      return __builtin_cpu_supports("x86-64-v3");
    case CpuLevel::x86_64_v4:
      return __builtin_cpu_supports("x86-64-v4");  // includes the OS saving the AVX-512 registers
  }
  return false;
#else
  return level == CpuLevel::baseline;
#endif
}

// The choice made at the first use: the environment's level, or the best. An environment that
// names no level, or one this CPU lacks, leaves the best level running and its error for
// cpu_level() to report, until set_cpu_level overrides it.
struct Choice {
  std::atomic<int> level;
  std::atomic<bool> forced{false};
  std::string error;

  Choice() : level(int(best_cpu_level())) {
    const char* env = std::getenv("DESCENT_CPU_LEVEL");
    if (!env) return;
    try {
      const CpuLevel wanted = parse_cpu_level(env);
      if (!cpu_supports(wanted))
        throw Error(std::string(to_string(wanted)) + " is not supported by this CPU (the best it has is " +
                    std::string(to_string(best_cpu_level())) + ")");
      level = int(wanted);
    } catch (const Error& e) {
      error = std::string("DESCENT_CPU_LEVEL=") + env + ": " + e.what();
    }
  }
};

Choice& choice() {
  static Choice c;
  return c;
}

}  // namespace

std::span<const CpuLevel> cpu_levels() { return all; }

std::string_view to_string(CpuLevel level) {
  switch (level) {
    case CpuLevel::baseline:
      return "baseline";
    case CpuLevel::x86_64_v2:
      return "x86-64-v2";
    case CpuLevel::x86_64_v3:
      return "x86-64-v3";
    case CpuLevel::x86_64_v4:
      return "x86-64-v4";
  }
  return "?";
}

CpuLevel parse_cpu_level(std::string_view text) {
  for (CpuLevel level : all)
    if (text == to_string(level)) return level;
  throw OptionError("unknown CPU level '" + std::string(text) +
                    "' (expected baseline, x86-64-v2, x86-64-v3 or x86-64-v4)");
}

bool cpu_supports(CpuLevel level) {
  static const std::array<bool, 4> has{cpu_has(all[0]), cpu_has(all[1]), cpu_has(all[2]), cpu_has(all[3])};
  return has[std::size_t(level)];
}

CpuLevel best_cpu_level() {
  CpuLevel best = CpuLevel::baseline;
  for (CpuLevel level : all)
    if (cpu_supports(level)) best = level;
  return best;
}

CpuLevel cpu_level() {
  const Choice& c = choice();
  if (!c.forced.load(std::memory_order_relaxed) && !c.error.empty()) throw Error(c.error);
  return CpuLevel(c.level.load(std::memory_order_relaxed));
}

void set_cpu_level(CpuLevel level) {
  if (!cpu_supports(level))
    throw Error("CPU level " + std::string(to_string(level)) + " is not supported by this CPU (the best it has is " +
                std::string(to_string(best_cpu_level())) + ")");
  Choice& c = choice();
  c.level.store(int(level), std::memory_order_relaxed);
  c.forced.store(true, std::memory_order_relaxed);
}

namespace detail {
CpuLevel kernel_level() noexcept { return CpuLevel(choice().level.load(std::memory_order_relaxed)); }
}  // namespace detail

}  // namespace descent
