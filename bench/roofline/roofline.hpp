#pragma once
// The yardstick for `descent bench` and bench/: a plain fused pass over exactly the bytes an
// optimizer step moves (read w, g and every state slot; write w and the slots), compiled like
// the kernels (same flags, one instance per CPU level) and threaded with a plain static split. It
// computes x = a·x + b·g on w and on float32 slots, so with a = 1, b = 0 it leaves every value
// as it was and can run over an optimizer's own parameters and state between its steps. Low-bit
// state (docs/lowbit.md) is streamed at its own width: a bf16 slot as 2-byte values, a q8 slot as
// 1-byte codes plus one float32 scale per block of 256 values, x ← x + b on the integers
// (wrapping) and s ← a·s + b on the scales.
#include <array>
#include <cstddef>
#include <vector>

namespace descent::bench {

struct Stream {
  float* w;
  const float* g;
  std::array<void*, 3> slots;  // the first `slot_count` are used
  std::size_t n;
  int width = 4;                   // bytes per value of every slot: 4 (float32), 2 (bf16), 1 (q8 codes)
  std::array<float*, 3> scales{};  // width 1: ceil(n/256) scales per slot
};

// Bytes one pass moves over a stream: w and g read, w written, every slot (and its scales) read
// and written.
double stream_bytes(const Stream& s, int slot_count);

// One pass over every stream, split into one contiguous share of all elements per thread.
// threads = 0 takes OpenMP's default.
void roofline_pass(const std::vector<Stream>& streams, int slot_count, int threads, float a, float b);

// The thread count a step with `threads` uses (0: OpenMP's default).
int resolve_threads(int threads);

}  // namespace descent::bench
