// LAMB (include/descent/rules/lamb.hpp) against its paper's formula (You et al. 2020,
// Algorithm 2), by hand: every step, every element, per tensor (torch 1.13 has no LAMB).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "descent/descent.hpp"
#include "paper_grads.hpp"

namespace {

using descent::testing::paper::grads;

// Two tensors: the trust ratio is per tensor, so each moves by its own norm ratio.
TEST(Lamb, FollowsYouEtAlAlgorithm2PerTensor) {
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-6, lambda = 0.01;
  std::vector<double> a{1.0, -0.5}, b{0.25, 2.0}, ga(2), gb(2);
  descent::Lamb opt(
      {descent::Param("a", std::span(a), std::span(ga)), descent::Param("b", std::span(b), std::span(gb))}, [&] {
        auto o = descent::LambOptions::preset(descent::Convention::pytorch);
        o.lr = lr;
        return o;
      }());
  std::vector<std::vector<double>> w{a, b}, m(2, std::vector<double>(2)), v = m;
  int t = 0;
  for (const auto& gt : grads) {
    ++t;
    ga = {gt[0], gt[1]};
    gb = {gt[2], gt[3]};
    opt.step();
    for (int k = 0; k < 2; ++k) {
      double r[2], wn = 0, rn = 0;
      for (int i = 0; i < 2; ++i) {
        const double g = gt[2 * k + i];
        m[k][i] = b1 * m[k][i] + (1 - b1) * g;
        v[k][i] = b2 * v[k][i] + (1 - b2) * g * g;
        const double mhat = m[k][i] / (1 - std::pow(b1, t)), vhat = v[k][i] / (1 - std::pow(b2, t));
        r[i] = mhat / (std::sqrt(vhat) + eps) + lambda * w[k][i];
        wn += w[k][i] * w[k][i];
        rn += r[i] * r[i];
      }
      const double trust = std::sqrt(wn) / std::sqrt(rn);
      for (int i = 0; i < 2; ++i) w[k][i] -= lr * trust * r[i];
    }
    for (int i = 0; i < 2; ++i) {
      EXPECT_NEAR(a[i], w[0][i], 1e-14) << "step " << t << " a" << i;
      EXPECT_NEAR(b[i], w[1][i], 1e-14) << "step " << t << " b" << i;
    }
  }
}

TEST(Lamb, TrustRatioIsOneForZeroWeights) {
  std::vector<double> w{0.0, 0.0}, g{1.0, -1.0};
  auto o = descent::LambOptions::preset(descent::Convention::keras);
  o.lr = 0.1;
  descent::Lamb opt({descent::Param("w", std::span(w), std::span(g))}, o);
  opt.step();
  // ||w|| = 0: ratio 1, so the first step is Adam's: m̂/(sqrt(V̂) + ε) = ±1/(1 + 1e-7).
  EXPECT_NEAR(w[0], -0.1 / (1 + 1e-7), 1e-16);
  EXPECT_NEAR(w[1], 0.1 / (1 + 1e-7), 1e-16);
}

}  // namespace
