// The lab's seeded randomness against an independent Python implementation
// (golden/lab/generate_rng.py → rng.json) and against the C++ standard's own check value.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "descent/lab/random.hpp"
#include "lab_support.hpp"

namespace {

using descent::lab::Rng;

std::uint64_t word(const nlohmann::json& j) { return std::stoull(j.get<std::string>()); }

TEST(LabRandom, EngineIsTheStandardsMt19937_64) {
  // [rand.predef]: the 10000th invocation of a default-constructed mt19937_64 gives this value;
  // the Python implementation reproduces it too.
  const auto g = lab_test::golden("rng.json");
  std::mt19937_64 e;
  e.discard(9999);
  EXPECT_EQ(e(), 9981545732273789042ull);
  EXPECT_EQ(word(g["mt19937_64_default_10000th"]), 9981545732273789042ull);
}

TEST(LabRandom, SeedingMatchesPython) {
  const auto g = lab_test::golden("rng.json");
  Rng r(116, 0);
  for (const auto& w : g["words_seed116_stream0"]) EXPECT_EQ(r.next(), word(w));
}

TEST(LabRandom, UniformAndBelowMatchPython) {
  const auto g = lab_test::golden("rng.json");
  Rng r(7, 3);
  for (const auto& u : g["uniform_seed7_stream3"]) EXPECT_EQ(r.uniform(), u.get<double>());
  const std::uint64_t n[] = {1, 2, 3, 10, 150, 1ull << 40, (1ull << 63) + 12345};
  std::size_t i = 0;
  for (const auto& b : g["below_seed7_stream3_after_uniforms"]) {
    const std::uint64_t got = r.below(n[i++]);
    EXPECT_EQ(got, b.get<std::uint64_t>()) << "n = " << n[i - 1];
  }
}

TEST(LabRandom, ShuffleMatchesPythonOnIrisOrder) {
  // The default data order of `descent compare`: Fisher–Yates over 150 samples, seed 116.
  const auto g = lab_test::golden("rng.json");
  std::vector<int> order(150);
  std::iota(order.begin(), order.end(), 0);
  Rng r(116, descent::lab::Stream::data_order);
  r.shuffle(std::span(order));
  EXPECT_EQ(order, g["iris_order_seed116"].get<std::vector<int>>());
}

TEST(LabRandom, NormalsMatchPythonToTheLastBits) {
  // Python uses libm's log, descent its own portable_log: a few ulp apart at most.
  const auto g = lab_test::golden("rng.json");
  Rng r(42, 2);
  for (const auto& z : g["normals_seed42_stream2"]) EXPECT_NEAR(r.normal(), z.get<double>(), 1e-14);
  Rng init(116, descent::lab::Stream::initialization);
  for (const auto& z : g["tutorial_init_seed116"]) EXPECT_NEAR(init.truncated_normal(0.1), z.get<double>(), 1e-15);
}

TEST(LabRandom, PortableLogWithinTwoUlpOfLibm) {
  Rng r(1, 9);
  double worst = 0;
  for (int i = 0; i < 20000; ++i) {
    const double x = std::ldexp(0.5 + r.uniform(), int(r.below(200)) - 100);  // many binades
    const double want = std::log(x);
    const double ulp = std::nextafter(std::abs(want), INFINITY) - std::abs(want);
    worst = std::max(worst, std::abs(descent::lab::portable_log(x) - want) / ulp);
  }
  EXPECT_LE(worst, 2.0);
  EXPECT_EQ(descent::lab::portable_log(1.0), 0.0);
  EXPECT_TRUE(std::isinf(descent::lab::portable_log(0.0)));
  EXPECT_TRUE(std::isnan(descent::lab::portable_log(-1.0)));
}

TEST(LabRandom, NormalHasUnitVarianceAndTruncationHolds) {
  Rng r(3, 4);
  double sum = 0, sq = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal();
    sum += z;
    sq += z * z;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);  // 4.5 standard errors
  EXPECT_NEAR(sq / n, 1.0, 0.015);
  for (int i = 0; i < 10000; ++i) EXPECT_LE(std::abs(r.truncated_normal(0.1)), 0.2);
}

}  // namespace
