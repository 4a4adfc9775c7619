#pragma once
// The process's resident memory, for `descent bench`'s peak state memory (docs/lowbit.md): what
// the system holds in RAM for it, so that pages allocated but never written do not count, as
// they cost nothing.
#include <cstddef>
#include <optional>

namespace descent::cli {

// Resets the peak to the current resident size; false where the system cannot (not Linux).
bool reset_peak_resident();
// The current resident size and its peak since the last reset, in bytes; empty where unknown.
std::optional<std::size_t> resident_bytes();
std::optional<std::size_t> peak_resident_bytes();

}  // namespace descent::cli
