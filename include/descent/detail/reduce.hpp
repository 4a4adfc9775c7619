#pragma once
// Per-tensor sums over every element (norms), the same for any number of threads: each
// parameter is cut into fixed chunks from its first element, each chunk is summed alone, and a
// parameter's chunk sums are added in chunk order. Which thread sums a chunk never matters.
// Used by the driver for rules that need per-tensor sums (LAMB's trust ratio) and by clipping.
#include <cstddef>
#include <vector>

namespace descent {
struct bf16;
}

namespace descent::detail {

inline constexpr std::size_t sum_chunk = 1 << 14;

// Calls body(self, param, begin, end, out) for every chunk [begin, end) of every parameter
// (offsets: prefix sums of the parameters' sizes), on up to `threads` threads (0: OpenMP's
// default); `out` receives the chunk's `width` sums. Returns sums[param·width + j].
// Buffers sum_chunks fills; kept by the caller so a step reuses them instead of allocating.
struct SumBuffers {
  struct Chunk {
    std::size_t param, begin, end;
  };
  std::vector<Chunk> chunks;
  std::vector<double> partial, sums;
};
const std::vector<double>& sum_chunks(
    SumBuffers& buffers, const std::vector<std::size_t>& offsets, int threads, std::size_t width,
    void (*body)(void* self, std::size_t param, std::size_t begin, std::size_t end, double* out), void* self);
std::vector<double> sum_chunks(const std::vector<std::size_t>& offsets, int threads, std::size_t width,
                               void (*body)(void* self, std::size_t param, std::size_t begin, std::size_t end,
                                            double* out),
                               void* self);

// Σ x² over n elements, in a fixed order (eight interleaved partial sums, then added in order).
double sum_squares(const float* x, std::size_t n);
double sum_squares(const double* x, std::size_t n);
double sum_squares(const bf16* x, std::size_t n);  // of the values widened to float32 (exact)

}  // namespace descent::detail
