#pragma once
// The yardstick for `descent bench` and bench/: a plain fused pass over exactly the bytes an
// optimizer step moves (read w, g and every state slot; write w and the slots), compiled like
// the kernels (same flags, one instance per CPU level) and threaded with a plain static split. It
// computes x = a·x + b·g, so with a = 1, b = 0 it leaves every value as it was and can run over
// an optimizer's own parameters and state between its steps.
#include <array>
#include <cstddef>
#include <vector>

namespace descent::bench {

struct Stream {
  float* w;
  const float* g;
  std::array<float*, 3> slots;  // the first `slot_count` are used
  std::size_t n;
};

// One pass over every stream, split into one contiguous share of all elements per thread.
// threads = 0 takes OpenMP's default.
void roofline_pass(const std::vector<Stream>& streams, int slot_count, int threads, float a, float b);

// The thread count a step with `threads` uses (0: OpenMP's default).
int resolve_threads(int threads);

}  // namespace descent::bench
