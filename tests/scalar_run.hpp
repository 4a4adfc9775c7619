#pragma once
// One optimizer on one scalar parameter, for the tests that compute the expected numbers by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "descent/descent.hpp"

namespace descent::testing {

using Overrides = std::vector<std::pair<std::string, std::string>>;

// w after each step, and the optimizer (for its state), from w0 over the gradients.
struct ScalarRun {
  std::vector<double> w;                                             // w_2, w_3, ... (w after steps 1, 2, ...)
  std::unique_ptr<double[]> memory = std::make_unique<double[]>(2);  // w and g, viewed by opt
  std::unique_ptr<Optimizer> opt;
  double slot(std::string_view name) const { return opt->state(0, name).as<double>()[0]; }
};

inline ScalarRun run_scalar(std::string_view optimizer, Convention c, const Overrides& overrides, double w0,
                            const std::vector<double>& grads) {
  ScalarRun r;
  double& w = r.memory[0];
  double& g = r.memory[1];
  w = w0;
  g = 0;
  r.opt =
      make_optimizer(optimizer, {Param("w", std::span<double>(&w, 1), std::span<const double>(&g, 1))}, c, overrides);
  for (double gt : grads) {
    g = gt;
    r.opt->step();
    r.w.push_back(w);
  }
  return r;
}

// The library and the hand computation order a few operations differently; 1e-14 relative is
// a few roundings and far below any difference of formula.
inline void expect_close(double got, double want, const std::string& what = "") {
  EXPECT_NEAR(got, want, 1e-14 * std::max(1.0, std::abs(want))) << what;
}

}  // namespace descent::testing
