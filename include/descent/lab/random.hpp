#pragma once
// Seeded randomness that gives the same numbers on every platform and compiler.
// The standard library fixes std::mt19937_64's output bit for bit but not std::shuffle's nor
// any std::*_distribution's algorithm, so everything above the raw 64-bit words is written
// here, from +, −, ×, ÷ and sqrt (all correctly rounded by IEEE 754) and our own logarithm.
#include <cstdint>
#include <random>
#include <span>
#include <utility>

namespace descent::lab {

// Natural logarithm from basic arithmetic only (libm's log may differ in the last bit between
// C libraries): x = m·2^e with m in [√½, √2), log m = 2·atanh(s), s = (m−1)/(m+1), summed as
// the odd series 2(s + s³/3 + s⁵/5 + ...) to 1e−17 relative, plus e·ln 2. Within 2 ulp of log.
double portable_log(double x);

class Rng {
 public:
  // One independent stream per purpose (data order, initialization, ...) from one user seed:
  // the engine is seeded with splitmix64(seed + stream·golden ratio).
  explicit Rng(std::uint64_t seed, std::uint64_t stream = 0);

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, 1): the top 53 bits of one word.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0, without modulo bias: words below 2^64 mod n are redrawn.
  std::uint64_t below(std::uint64_t n);
  // Standard normal, Marsaglia's polar method: (u, v) uniform in the unit disc,
  // s = u² + v², z = u·sqrt(−2·log(s)/s); the second value v·sqrt(...) is kept for the next call.
  double normal();
  // Normal with standard deviation sigma, redrawn while |z| > 2σ (TensorFlow's truncated_normal).
  double truncated_normal(double sigma);

  // Fisher–Yates (Knuth's algorithm P): for i = n−1 down to 1, swap x[i] with x[below(i+1)].
  template <class T>
  void shuffle(std::span<T> x) {
    for (std::size_t i = x.size(); i > 1; --i) std::swap(x[i - 1], x[below(i)]);
  }

 private:
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// The streams of one experiment.
enum Stream : std::uint64_t { data_order = 1, initialization = 2 };

// NumPy's legacy generator as `np.random.seed(seed)` leaves it (RandomState, frozen since
// NumPy 1.16), for the course's `np.random.shuffle`. An integer seed fills MT19937's state by
// Knuth's recurrence (numpy's mt19937_seed), which is exactly how the C++ standard seeds
// std::mt19937, so the engine is the standard's; only the bounded integer and the shuffle are
// NumPy's and written here.
class NumpyRandomState {
 public:
  explicit NumpyRandomState(std::uint32_t seed) : engine_(seed) {}

  std::uint32_t next_uint32() { return std::uint32_t(engine_()); }
  // Two words, the first one high (numpy's mt19937_next64).
  std::uint64_t next_uint64() {
    const std::uint64_t high = next_uint32();
    return high << 32 | next_uint32();
  }
  // Uniform in [0, max] (numpy's random_interval): draw under the smallest all-ones mask
  // ≥ max and redraw while above max; one 32-bit word per draw while max fits in 32 bits.
  std::uint64_t interval(std::uint64_t max);

  // RandomState.shuffle: Fisher–Yates from the end, x[i] swapped with x[interval(i)].
  template <class T>
  void shuffle(std::span<T> x) {
    for (std::size_t i = x.size(); i > 1; --i) std::swap(x[i - 1], x[interval(i - 1)]);
  }

 private:
  std::mt19937 engine_;
};

}  // namespace descent::lab
