// The driver against the scalar reference: threads, SIMD levels, lengths and misalignments.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "descent/descent.hpp"

namespace {

template <class T>
std::vector<T> values(std::size_t n, std::uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = T(lo + (hi - lo) * double(rng() >> 11) * 0x1.0p-53);
  return v;
}

TEST(Driver, SmokeAdamMoves) {
  std::vector<double> w{1.0, 2.0}, g{0.5, -0.5};
  descent::Adam opt({descent::Param("w", w, g)});
  opt.step();
  EXPECT_LT(w[0], 1.0);
  EXPECT_GT(w[1], 2.0);
  EXPECT_EQ(opt.t(), 1);
}

}  // namespace
