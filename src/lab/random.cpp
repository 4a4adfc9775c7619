#include "descent/lab/random.hpp"

#include <cmath>
#include <limits>

namespace descent::lab {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

double portable_log(double x) {
  if (std::isnan(x) || x < 0) return std::numeric_limits<double>::quiet_NaN();
  if (x == 0) return -std::numeric_limits<double>::infinity();
  if (std::isinf(x)) return x;
  int e = 0;
  double m = std::frexp(x, &e);  // exact: x = m·2^e, m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2;
    --e;
  }
  const double s = (m - 1) / (m + 1);  // |s| ≤ 0.1716
  const double s2 = s * s;
  // Horner on 1 + s²/3 + s⁴/5 + ... + s²⁰/21: the next term is below 1e−17 of the sum.
  double sum = 1.0 / 21;
  for (int k = 19; k >= 1; k -= 2) sum = 1.0 / k + s2 * sum;
  // ln 2 split in two so that e·ln2_hi is exact for |e| < 2^11.
  constexpr double ln2_hi = 6.93147180369123816490e-01;
  constexpr double ln2_lo = 1.90821492927058770002e-10;
  return double(e) * ln2_hi + (2 * s * sum + double(e) * ln2_lo);
}

Rng::Rng(std::uint64_t seed, std::uint64_t stream) : engine_(splitmix64(seed + stream * 0x9E3779B97F4A7C15ull)) {}

std::uint64_t Rng::below(std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  for (;;) {
    const std::uint64_t x = next();
    if (x >= threshold) return x % n;
  }
}

std::uint64_t NumpyRandomState::interval(std::uint64_t max) {
  if (max == 0) return 0;
  std::uint64_t mask = max;
  for (int shift : {1, 2, 4, 8, 16, 32}) mask |= mask >> shift;
  for (;;) {
    const std::uint64_t x = (max <= 0xFFFFFFFFu ? next_uint32() : next_uint64()) & mask;
    if (x <= max) return x;
  }
}

double Rng::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  for (;;) {
    const double u = 2 * uniform() - 1;
    const double v = 2 * uniform() - 1;
    const double s = u * u + v * v;
    if (s >= 1 || s == 0) continue;
    const double f = std::sqrt(-2 * portable_log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }
}

double Rng::truncated_normal(double sigma) {
  for (;;) {
    const double z = normal();
    if (std::abs(z) <= 2) return sigma * z;
  }
}

}  // namespace descent::lab
