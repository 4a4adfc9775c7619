#pragma once
// How a pass over every element (an update, the gradient check, per-tensor sums) is split
// between threads (src/core/optimizer.cpp, for_each_share; src/core/reduce.cpp, sum_chunks),
// and how many threads the last pass really ran on: the tests that name a thread count check it.
#include <cstddef>

namespace descent::detail {

// Below this many elements per thread a step is too short to pay for waking another thread.
inline constexpr std::size_t min_share = 1 << 15;

// The number of threads that ran a piece of the calling thread's last pass: 1 for a pass that
// ran serially (one thread asked for, or too few elements), 0 for one with no elements.
int last_pass_threads() noexcept;
void set_last_pass_threads(int threads) noexcept;

}  // namespace descent::detail
