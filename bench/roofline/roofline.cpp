#include "roofline/roofline.hpp"

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "descent/detail/kernel.hpp"  // at_kernel_level
#include "descent/detail/lowbit.hpp"  // q8_block

#ifdef _OPENMP
#include <omp.h>
#endif

namespace descent::bench {
namespace {

constexpr std::size_t block = detail::q8_block;  // values per q8 scale

// Plain arguments, not captures: __restrict reaches the vectorizer only through parameters.
// S is the slots' storage: float (x = a·x + b·g) or the integers of low-bit state (x ← x + add).
template <int K, class S>
inline void pass_loop(float* __restrict w, const float* __restrict g, S* __restrict s0, S* __restrict s1,
                      S* __restrict s2, std::size_t n, float a, float b, S add) {
  for (std::size_t i = 0; i < n; ++i) {
    const float bg = b * g[i];
    w[i] = a * w[i] + bg;
    if constexpr (std::is_same_v<S, float>) {
      if constexpr (K > 0) s0[i] = a * s0[i] + bg;
      if constexpr (K > 1) s1[i] = a * s1[i] + bg;
      if constexpr (K > 2) s2[i] = a * s2[i] + bg;
    } else {
      if constexpr (K > 0) s0[i] = S(s0[i] + add);
      if constexpr (K > 1) s1[i] = S(s1[i] + add);
      if constexpr (K > 2) s2[i] = S(s2[i] + add);
    }
  }
}

// Compiled per CPU level like the kernels.
template <int K, class S>
void pass(float* w, const float* g, S* const* slots, std::size_t n, float a, float b) {
  const S add = std::is_same_v<S, float> ? S(0) : S(b);
  detail::at_kernel_level([&] {
    pass_loop<K, S>(w, g, K > 0 ? slots[0] : nullptr, K > 1 ? slots[1] : nullptr, K > 2 ? slots[2] : nullptr, n, a, b,
                    add);
  });
}

template <class S>
void piece_of(const Stream& s, std::size_t lo, std::size_t hi, int k, float a, float b) {
  std::array<S*, 3> slots{};
  for (int j = 0; j < k; ++j) slots[j] = static_cast<S*>(s.slots[j]) + lo;
  float* w = s.w + lo;
  const float* g = s.g + lo;
  const std::size_t n = hi - lo;
  switch (k) {
    case 0:
      pass<0>(w, g, slots.data(), n, a, b);
      break;
    case 1:
      pass<1>(w, g, slots.data(), n, a, b);
      break;
    case 2:
      pass<2>(w, g, slots.data(), n, a, b);
      break;
    default:
      pass<3>(w, g, slots.data(), n, a, b);
      break;
  }
}

void piece(const Stream& s, std::size_t lo, std::size_t hi, int k, float a, float b) {
  if (s.width == 1) {
    piece_of<std::uint8_t>(s, lo, hi, k, a, b);
    // The scales of the blocks that start in [lo, hi): each block's once, whatever the split.
    const std::size_t first = (lo + block - 1) / block, last = (hi + block - 1) / block;
    for (int j = 0; j < k; ++j)
      for (std::size_t c = first; c < last; ++c) s.scales[j][c] = a * s.scales[j][c] + b;
  } else if (s.width == 2) {
    piece_of<std::uint16_t>(s, lo, hi, k, a, b);
  } else {
    piece_of<float>(s, lo, hi, k, a, b);
  }
}

}  // namespace

double stream_bytes(const Stream& s, int slot_count) {
  const double n = double(s.n);
  double bytes = 3 * sizeof(float) * n;  // read w and g, write w
  for (int j = 0; j < slot_count; ++j) {
    bytes += 2 * s.width * n;
    if (s.width == 1) bytes += 2 * sizeof(float) * double((s.n + block - 1) / block);
  }
  return bytes;
}

int resolve_threads(int threads) {
#ifdef _OPENMP
  return threads > 0 ? threads : omp_get_max_threads();
#else
  (void)threads;
  return 1;
#endif
}

void roofline_pass(const std::vector<Stream>& streams, int slot_count, int threads, float a, float b) {
  std::size_t total = 0;
  for (const Stream& s : streams) total += s.n;
  // Like a step (for_each_share): below 2^16 elements one thread, as waking another costs more.
  const int n =
      int(std::min<std::size_t>(std::size_t(resolve_threads(threads)), std::max<std::size_t>(total >> 15, 1)));
#pragma omp parallel num_threads(n)
  {
#ifdef _OPENMP
    const std::size_t k = std::size_t(omp_get_thread_num()), nt = std::size_t(omp_get_num_threads());
#else
    const std::size_t k = 0, nt = 1;
#endif
    const std::size_t lo = total * k / nt, hi = total * (k + 1) / nt;
    std::size_t first = 0;  // flat index of the current stream's first element
    for (const Stream& s : streams) {
      const std::size_t b0 = std::max(lo, first), e0 = std::min(hi, first + s.n);
      if (b0 < e0) piece(s, b0 - first, e0 - first, slot_count, a, b);
      first += s.n;
      if (first >= hi) break;
    }
  }
}

}  // namespace descent::bench
