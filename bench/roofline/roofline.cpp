#include "roofline/roofline.hpp"

#include <algorithm>

#include "descent/detail/kernel.hpp"  // at_kernel_level

#ifdef _OPENMP
#include <omp.h>
#endif

namespace descent::bench {
namespace {

// Plain arguments, not captures: __restrict reaches the vectorizer only through parameters.
template <int K>
inline void pass_loop(float* __restrict w, const float* __restrict g, float* __restrict s0, float* __restrict s1,
                      float* __restrict s2, std::size_t n, float a, float b) {
  for (std::size_t i = 0; i < n; ++i) {
    const float bg = b * g[i];
    w[i] = a * w[i] + bg;
    if constexpr (K > 0) s0[i] = a * s0[i] + bg;
    if constexpr (K > 1) s1[i] = a * s1[i] + bg;
    if constexpr (K > 2) s2[i] = a * s2[i] + bg;
  }
}

// Compiled per CPU level like the kernels.
template <int K>
void pass(float* w, const float* g, float* const* slots, std::size_t n, float a, float b) {
  detail::at_kernel_level([&] {
    pass_loop<K>(w, g, K > 0 ? slots[0] : nullptr, K > 1 ? slots[1] : nullptr, K > 2 ? slots[2] : nullptr, n, a, b);
  });
}

void piece(const Stream& s, std::size_t lo, std::size_t hi, int k, float a, float b) {
  std::array<float*, 3> slots{};
  for (int j = 0; j < k; ++j) slots[j] = s.slots[j] + lo;
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

}  // namespace

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
