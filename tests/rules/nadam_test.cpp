// NAdam (include/descent/rules/nadam.hpp): two steps by hand with the paper's product of μ_i,
// the bounded product, and torch.optim's goldens (the family's nadam cases, torch 1.13's
// product with its extra μ).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "descent/descent.hpp"
#include "family_cases.hpp"

namespace {

// NAdam's product of μ_i as Keras and the paper keep it (extra_mu off), one element by hand.
TEST(NAdam, TwoStepsByHandWithTheCorrectProduct) {
  const double lr = 0.002, b1 = 0.9, b2 = 0.999, eps = 1e-8, psi = 0.004;
  std::vector<double> w{1.0}, g{0.0};
  auto opt = descent::make_optimizer("nadam", {descent::Param("w", std::span(w), std::span(g))});
  double m = 0, v = 0, prod = 1, want = 1.0;
  auto mu = [&](double t) { return b1 * (1 - 0.5 * std::pow(0.96, t * psi)); };
  for (int t = 1; t <= 2; ++t) {
    const double gt = t == 1 ? 0.5 : -1.5;
    g[0] = gt;
    opt->step();
    prod *= mu(t);
    m = b1 * m + (1 - b1) * gt;
    v = b2 * v + (1 - b2) * gt * gt;
    const double d = std::sqrt(v / (1 - std::pow(b2, t))) + eps;
    want -= lr * (1 - mu(t)) / (1 - prod) * gt / d + lr * mu(t + 1) / (1 - prod * mu(t + 1)) * m / d;
    EXPECT_NEAR(w[0], want, 1e-15) << t;
  }
}

// prepare() stops multiplying μ_i once Π < 2^−60; from there 1 − Π is exactly 1 in double, so
// the step's scalars equal those of the full product.
TEST(NAdam, BoundedProductIsExact) {
  descent::NAdamOptions o;
  o.beta1 = 0.99;  // μ near β1: the product falls slowly, many factors before the stop
  for (std::int64_t t : {1, 10, 100, 1000, 5000}) {
    double product = 1;
    for (std::int64_t i = 1; i <= t; ++i) product *= descent::rules::NAdam::mu(o, double(i));
    const double mu_t = descent::rules::NAdam::mu(o, double(t)), mu_next = descent::rules::NAdam::mu(o, double(t + 1));
    const auto k = descent::rules::NAdam::prepare<double>(o, t, 0.5);
    EXPECT_EQ(k.lr_g, 0.5 * (1.0 - mu_t) / (1.0 - product)) << t;
    EXPECT_EQ(k.lr_m, 0.5 * mu_next / (1.0 - product * mu_next)) << t;
  }
}

TEST(NAdam, TorchFamily) { descent::testing::family_cases::expect_family_golden("nadam"); }

TEST(NAdam, TorchFamilyWeightDecay) { descent::testing::family_cases::expect_family_golden("nadam_wd"); }

}  // namespace
