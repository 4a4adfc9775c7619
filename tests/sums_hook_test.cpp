// Optimizer::set_sums_hook: a rule's per-tensor sums pass through the hook before the step uses
// them. Two optimizers that each hold one half of a tensor, with hooks that add the other half's
// sums, must step as one optimizer over the whole tensor (LAMB's trust ratio is per tensor).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "descent/descent.hpp"

namespace {

using descent::Param;

std::vector<double> draw(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<double> v(n);
  for (double& x : v) x = double(rng() >> 11) * 0x1.0p-53 - 0.5;
  return v;
}

// The sums a LAMB step over `w` (one slice) would use, recorded by a throwaway optimizer.
std::vector<double> probe_sums(std::vector<double> w, std::vector<double> g) {
  std::vector<double> seen;
  auto opt = descent::make_optimizer("lamb", {Param("w", w, g)});
  opt->set_sums_hook([&](std::span<double> sums, std::size_t width) {
    EXPECT_EQ(width, 2u);  // Σw², Σr²
    seen.assign(sums.begin(), sums.end());
  });
  opt->step();
  return seen;
}

TEST(SumsHook, TwoHalvesWithEachOthersSumsStepAsTheWholeTensor) {
  const std::size_t n = 1000, half = 437;  // halves of unequal size, not on a chunk boundary
  std::vector<double> w = draw(n, 1), g = draw(n, 2);
  std::vector<double> whole = w;
  auto one = descent::make_optimizer("lamb", {Param("w", whole, g)});
  one->step();

  std::vector<double> w1(w.begin(), w.begin() + half), g1(g.begin(), g.begin() + half);
  std::vector<double> w2(w.begin() + half, w.end()), g2(g.begin() + half, g.end());
  const std::vector<double> s1 = probe_sums(w1, g1), s2 = probe_sums(w2, g2);
  ASSERT_EQ(s1.size(), 2u);
  auto a = descent::make_optimizer("lamb", {Param("w", w1, g1)});
  auto b = descent::make_optimizer("lamb", {Param("w", w2, g2)});
  a->set_sums_hook([&](std::span<double> s, std::size_t) { s[0] += s2[0], s[1] += s2[1]; });
  b->set_sums_hook([&](std::span<double> s, std::size_t) { s[0] += s1[0], s[1] += s1[1]; });
  a->step();
  b->step();

  std::size_t moved = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double split = i < half ? w1[i] : w2[i - half];
    EXPECT_NEAR(split, whole[i], 1e-15 * std::abs(whole[i]) + 1e-300) << "element " << i;
    moved += whole[i] != w[i];
  }
  EXPECT_EQ(moved, n);
  // Without the hooks each half has its own trust ratio, and the halves step differently.
  std::vector<double> alone = w1;
  auto c = descent::make_optimizer("lamb", {Param("w", alone, g1)});
  c->step();
  std::size_t differ = 0;
  for (std::size_t i = 0; i < half; ++i) differ += std::abs(alone[i] - whole[i]) > 1e-12 * std::abs(whole[i]);
  EXPECT_GT(differ, half / 2);
}

}  // namespace
