#include "descent/detail/reduce.hpp"

#include <algorithm>

#include "descent/bf16.hpp"
#include "descent/detail/threads.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace descent::detail {

const std::vector<double>& sum_chunks(SumBuffers& buf, const std::vector<std::size_t>& offsets, int threads,
                                      std::size_t width,
                                      void (*body)(void*, std::size_t, std::size_t, std::size_t, double*), void* self) {
  // The chunk list depends on the sizes only; assign/clear keep the buffers' capacity.
  auto& chunks = buf.chunks;
  chunks.clear();
  for (std::size_t p = 0; p + 1 < offsets.size(); ++p) {
    const std::size_t n = offsets[p + 1] - offsets[p];
    for (std::size_t b = 0; b < n; b += sum_chunk) chunks.push_back({p, b, std::min(n, b + sum_chunk)});
  }
  buf.partial.assign(chunks.size() * width, 0.0);
  int n = 1;
#ifdef _OPENMP
  n = threads > 0 ? threads : omp_get_max_threads();
#else
  (void)threads;  // one thread without OpenMP (DESCENT_OPENMP=OFF)
#endif
  n = int(std::min<std::size_t>(std::size_t(std::max(n, 1)), std::max<std::size_t>(chunks.size(), 1)));
  const long count = long(chunks.size());
  double* partial = buf.partial.data();
  int ran = 0;  // the threads that summed at least one chunk
#pragma omp parallel num_threads(n) if (n > 1) reduction(+ : ran)
  {
    bool did = false;
#pragma omp for schedule(static)
    for (long c = 0; c < count; ++c) {
      did = true;
      body(self, chunks[std::size_t(c)].param, chunks[std::size_t(c)].begin, chunks[std::size_t(c)].end,
           partial + std::size_t(c) * width);
    }
    ran = did;
  }
  set_last_pass_threads(ran);
  buf.sums.assign((offsets.size() - 1) * width, 0.0);
  for (std::size_t c = 0; c < chunks.size(); ++c)
    for (std::size_t j = 0; j < width; ++j) buf.sums[chunks[c].param * width + j] += partial[c * width + j];
  return buf.sums;
}

std::vector<double> sum_chunks(const std::vector<std::size_t>& offsets, int threads, std::size_t width,
                               void (*body)(void*, std::size_t, std::size_t, std::size_t, double*), void* self) {
  SumBuffers buf;
  return sum_chunks(buf, offsets, threads, width, body, self);
}

static double wide(float x) { return x; }
static double wide(double x) { return x; }
static double wide(bf16 x) { return float(x); }

template <class T>
static double squares(const T* x, std::size_t n) {
  double lane[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (std::size_t j = 0; j < 8; ++j) lane[j] += wide(x[i + j]) * wide(x[i + j]);
  for (std::size_t j = 0; i < n; ++i, ++j) lane[j] += wide(x[i]) * wide(x[i]);
  double s = 0;
  for (double l : lane) s += l;
  return s;
}

double sum_squares(const float* x, std::size_t n) { return squares(x, n); }
double sum_squares(const double* x, std::size_t n) { return squares(x, n); }
double sum_squares(const bf16* x, std::size_t n) { return squares(x, n); }

}  // namespace descent::detail
