// Lion (include/descent/rules/lion.hpp) against its paper's formula (Chen et al. 2023,
// Program 1), by hand: every step, every element (torch 1.13 has no Lion).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "descent/descent.hpp"
#include "paper_grads.hpp"

namespace {

using descent::testing::paper::grads;

TEST(Lion, FollowsChenEtAlProgram1) {
  const double lr = 0.01, b1 = 0.9, b2 = 0.99, wd = 0.1;
  std::vector<double> w{1.0, -0.5, 0.25, 2.0}, g(4), m(4, 0.0), want = w;
  descent::Lion opt({descent::Param("w", std::span(w), std::span(g))}, [&] {
    auto o = descent::LionOptions::preset(descent::Convention::pytorch);
    o.lr = lr;
    o.weight_decay = wd;
    return o;
  }());
  for (const auto& gt : grads) {
    g = gt;
    opt.step();
    for (std::size_t i = 0; i < 4; ++i) {
      const double c = b1 * m[i] + (1 - b1) * gt[i];
      const double sign = c > 0 ? 1.0 : (c < 0 ? -1.0 : 0.0);
      want[i] = want[i] - lr * (sign + wd * want[i]);
      m[i] = b2 * m[i] + (1 - b2) * gt[i];
      EXPECT_NEAR(w[i], want[i], 1e-15) << i;
      EXPECT_DOUBLE_EQ(opt.state(0, "m").as<double>()[i], m[i]) << i;
    }
  }
}

}  // namespace
