// Adamax (include/descent/rules/adamax.hpp): the keras convention against Keras 3's adamax.py by
// hand; the pytorch convention against torch.optim's goldens (the family's adamax cases).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "descent/descent.hpp"
#include "family_cases.hpp"

namespace {

// Keras 3's form, by hand from keras/src/optimizers/adamax.py's update_step.
TEST(Adamax, KerasPutsEpsInTheDivisor) {
  const double lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-7;
  std::vector<double> w{1.0}, g{0.0};
  auto opt =
      descent::make_optimizer("adamax", {descent::Param("w", std::span(w), std::span(g))}, descent::Convention::keras);
  double m = 0, u = 0, want = 1.0;
  int t = 0;
  for (double gt : {0.5, -1.0, 0.0, 2.0}) {
    g[0] = gt;
    opt->step();
    ++t;
    m = b1 * m + (1 - b1) * gt;
    u = std::max(b2 * u, std::abs(gt));
    want -= lr / (1 - std::pow(b1, t)) * m / (u + eps);
    EXPECT_NEAR(w[0], want, 1e-16) << t;
  }
}

TEST(Adamax, TorchFamily) { descent::testing::family_cases::expect_family_golden("adamax"); }

TEST(Adamax, TorchFamilyWeightDecayMaximize) { descent::testing::family_cases::expect_family_golden("adamax_wd_max"); }

}  // namespace
