#pragma once
// The CPU level the vectorized kernels run at. Every kernel is compiled once per x86-64 level
// (detail/kernel.hpp); the best level this CPU supports is used unless one is forced, by
// set_cpu_level (the tests run every level the CPU has) or by DESCENT_CPU_LEVEL in the
// environment (read once, at the first use). Every level gives the same bits as the scalar
// reference path; a level changes only the speed.
#include <span>
#include <string_view>

namespace descent {

enum class CpuLevel {
  baseline,   // the build's own flags (x86-64: SSE2); the only level off x86-64 or under clang
  x86_64_v2,  // SSE4.2, POPCNT
  x86_64_v3,  // AVX2, FMA (unused: the library is built with -ffp-contract=off), BMI2
  x86_64_v4,  // AVX-512 F/BW/CD/DQ/VL
};

// Every level, lowest first.
std::span<const CpuLevel> cpu_levels();
// "baseline", "x86-64-v2", "x86-64-v3", "x86-64-v4": GCC's -march names.
std::string_view to_string(CpuLevel level);
// The inverse of to_string; an OptionError names the choices.
CpuLevel parse_cpu_level(std::string_view text);
// Whether this CPU runs the level and this build compiled kernels for it.
bool cpu_supports(CpuLevel level);
// The highest supported level.
CpuLevel best_cpu_level();
// The level the kernels run at now. An Error if DESCENT_CPU_LEVEL names no level or one this
// CPU lacks (and set_cpu_level has not overridden it); a step reports it before it starts.
CpuLevel cpu_level();
// Forces a level for every optimizer in the process, from its next step on; an Error if
// !cpu_supports(level). Safe while other threads step: every level gives the same bits.
void set_cpu_level(CpuLevel level);

}  // namespace descent
