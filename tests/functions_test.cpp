// The test functions: gradients against central finite differences, the stated minimizers
// (zero gradient, the stated value, nothing lower anywhere sampled) and hand-computed values.
#include "descent/functions.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace {

using descent::make_test_function;

std::vector<std::size_t> dims_of(const descent::FunctionInfo& info) {
  std::vector<std::size_t> dims;
  for (std::size_t d : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(5)})
    if (d >= info.min_dim && (info.max_dim == 0 || d <= info.max_dim)) dims.push_back(d);
  return dims;
}

// Points spread over the function's 2-D window (and the same range in further coordinates).
std::vector<std::vector<double>> sample(const descent::TestFunction& f, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto u = [&] { return double(rng() >> 11) * 0x1.0p-53; };
  const auto w = f.window();
  std::vector<std::vector<double>> points(n, std::vector<double>(f.dim()));
  for (auto& p : points)
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double lo = i % 2 == 0 ? w[0] : w[2], hi = i % 2 == 0 ? w[1] : w[3];
      p[i] = lo + (hi - lo) * u();
    }
  return points;
}

TEST(Functions, GradientMatchesFiniteDifferences) {
  for (const auto& info : descent::test_functions())
    for (std::size_t dim : dims_of(info)) {
      auto f = make_test_function(info.name, dim);
      for (auto x : sample(*f, 20, 7)) {
        std::vector<double> g(dim);
        f->gradient(x, g);
        for (std::size_t i = 0; i < dim; ++i) {
          const double h = 1e-6 * std::max(1.0, std::abs(x[i]));
          auto xp = x, xm = x;
          xp[i] += h;
          xm[i] -= h;
          const double fd = (f->evaluate(xp) - f->evaluate(xm)) / (2 * h);
          EXPECT_NEAR(g[i], fd, 1e-5 * std::max(1.0, std::abs(fd)))
              << info.name << " dim " << dim << " component " << i << " at x[0] = " << x[0];
        }
      }
    }
}

TEST(Functions, StatedMinimizersAreStationaryWithTheStatedValue) {
  for (const auto& info : descent::test_functions())
    for (std::size_t dim : dims_of(info)) {
      auto f = make_test_function(info.name, dim);
      ASSERT_FALSE(f->minimizers().empty()) << info.name;
      for (const auto& m : f->minimizers()) {
        ASSERT_EQ(m.size(), dim) << info.name;
        std::vector<double> g(dim);
        f->gradient(m, g);
        for (std::size_t i = 0; i < dim; ++i) EXPECT_NEAR(g[i], 0.0, 1e-11) << info.name << " dim " << dim;
        EXPECT_NEAR(f->evaluate(m), f->minimum(), 1e-12 * std::max(1.0, std::abs(f->minimum()))) << info.name;
        EXPECT_EQ(f->distance_to_optimum(m), 0.0) << info.name;
      }
    }
}

TEST(Functions, NothingSampledIsBelowTheMinimum) {
  for (const auto& info : descent::test_functions())
    for (std::size_t dim : dims_of(info)) {
      auto f = make_test_function(info.name, dim);
      for (const auto& x : sample(*f, 2000, 11)) EXPECT_GE(f->evaluate(x), f->minimum() - 1e-12) << info.name;
    }
}

TEST(Functions, HandComputedValues) {
  // Rosenbrock at its classic start: 100·(1 − 1.44)² + 2.2² = 19.36 + 4.84.
  EXPECT_NEAR(make_test_function("rosenbrock")->evaluate(std::vector{-1.2, 1.0}), 24.2, 1e-12);
  // 3-D Rosenbrock at 0: two terms (1 − 0)².
  EXPECT_DOUBLE_EQ(make_test_function("rosenbrock", 3)->evaluate(std::vector{0.0, 0.0, 0.0}), 2.0);
  // Beale at 0: 1.5² + 2.25² + 2.625².
  EXPECT_DOUBLE_EQ(make_test_function("beale")->evaluate(std::vector{0.0, 0.0}), 2.25 + 5.0625 + 6.890625);
  // Booth at 0: 49 + 25; Himmelblau at 0: 121 + 49.
  EXPECT_DOUBLE_EQ(make_test_function("booth")->evaluate(std::vector{0.0, 0.0}), 74.0);
  EXPECT_DOUBLE_EQ(make_test_function("himmelblau")->evaluate(std::vector{0.0, 0.0}), 170.0);
  // Rastrigin at integer points: cos = 1, so 10n + Σ(x² − 10).
  EXPECT_NEAR(make_test_function("rastrigin")->evaluate(std::vector{1.0, 2.0}), 20 + (1 - 10) + (4 - 10), 1e-12);
  // Ackley at (1, 1): −20·e^(−0.2) − e + 20 + e.
  EXPECT_NEAR(make_test_function("ackley")->evaluate(std::vector{1.0, 1.0}), 20 - 20 * std::exp(-0.2), 1e-12);
  // Styblinski–Tang: the literature's minimum, −39.16599·n to 5 digits; here to 12.
  EXPECT_NEAR(make_test_function("styblinski-tang", 3)->minimum(), -39.166165703771 * 3, 1e-9);
  // The bowls: ½·Σ c_i·x_i², c from 1 to 25.
  EXPECT_DOUBLE_EQ(make_test_function("bowl")->evaluate(std::vector{2.0, 4.0}), 10.0);
  EXPECT_DOUBLE_EQ(make_test_function("ill-bowl")->evaluate(std::vector{2.0, 4.0}), 2.0 + 200.0);
  EXPECT_DOUBLE_EQ(make_test_function("ill-bowl", 3)->evaluate(std::vector{0.0, 2.0, 0.0}), 0.5 * 5 * 4);
}

TEST(Functions, SaddleIsASaddle) {
  auto f = make_test_function("saddle");
  std::vector<double> g(2);
  f->gradient(std::vector{0.0, 0.0}, g);
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[1], 0.0);
  EXPECT_EQ(f->evaluate(std::vector{0.0, 0.0}), 0.0);
  EXPECT_GT(f->evaluate(std::vector{1e-3, 0.0}), 0.0);  // up along x
  EXPECT_LT(f->evaluate(std::vector{0.0, 1e-3}), 0.0);  // down along y
  EXPECT_EQ(f->minimizers().size(), 2u);
  ASSERT_EQ(f->saddle_points().size(), 1u);
  EXPECT_EQ(f->saddle_points()[0], (std::vector<double>{0.0, 0.0}));
}

TEST(Functions, StartPointsHaveTheDimensionAndLieInTheWindow) {
  for (const auto& info : descent::test_functions())
    for (std::size_t dim : dims_of(info)) {
      auto f = make_test_function(info.name, dim);
      const auto s = f->start();
      ASSERT_EQ(s.size(), dim) << info.name;
      const auto w = f->window();
      if (dim == 2) {
        EXPECT_TRUE(s[0] > w[0] && s[0] < w[1] && s[1] > w[2] && s[1] < w[3]) << info.name;
        for (const auto& m : f->minimizers())
          EXPECT_TRUE(m[0] > w[0] && m[0] < w[1] && m[1] > w[2] && m[1] < w[3]) << info.name;
      }
    }
}

TEST(Functions, BadNamesAndDimensionsAreClearErrors) {
  try {
    make_test_function("rosenbrok");
    FAIL();
  } catch (const descent::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown function 'rosenbrok'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("rosenbrock"), std::string::npos) << e.what();
  }
  try {
    make_test_function("beale", 3);
    FAIL();
  } catch (const descent::Error& e) {
    EXPECT_STREQ(e.what(), "beale is 2-D only (got dimension 3)");
  }
  EXPECT_THROW(make_test_function("rosenbrock", 1), descent::Error);
  EXPECT_THROW(make_test_function("bowl", 0), descent::Error);
}

}  // namespace
