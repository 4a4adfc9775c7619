#pragma once
// The family's optimizers against torch 1.13's own implementations (tests/golden/family,
// generate_family.py): every step's weights of one case, built through the registry as the CLI
// builds them, on the fast and the reference path. Each rule's test file (tests/rules/) runs
// its own cases; tests/rules/golden_coverage_test.cpp checks that every case is run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "descent/descent.hpp"
#include "family_golden.hpp"

namespace descent::testing::family_cases {

struct Case {
  std::string name, optimizer;
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<double> w0;
  std::vector<std::vector<double>> g, w;
};

inline std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto& l : family::read_golden("optimizers.txt")) {
    if (l.key == "case")
      out.push_back({l.words[0], l.words[1], {}, {}, {}, {}});
    else if (l.key == "option")
      out.back().options.emplace_back(l.words[0], l.words[1]);
    else if (l.key == "w0")
      out.back().w0 = l.numbers();
    else if (l.key == "g")
      out.back().g.push_back(l.numbers());
    else if (l.key == "w")
      out.back().w.push_back(l.numbers());
  }
  return out;
}

// Relative to the weight's size: torch evaluates the same formulas in another order, and NAdam's
// Π μ_i is float32 in torch 1.13 (rules/nadam.hpp).
inline void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                         const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << where << " element " << i;
}

// One case of optimizers.txt, every step.
inline void expect_family_golden(const std::string& name) {
  const auto all = cases();
  const Case* c = nullptr;
  for (const auto& x : all)
    if (x.name == name) c = &x;
  ASSERT_NE(c, nullptr) << name;
  for (bool reference : {true, false}) {
    std::vector<double> w = c->w0, g(w.size());
    auto opt = descent::make_optimizer(c->optimizer, {descent::Param("w", std::span(w), std::span(g))},
                                       descent::Convention::pytorch, c->options);
    opt->set_reference(reference);
    const double tol = c->optimizer == "nadam" ? 1e-7 : 1e-12;
    for (std::size_t t = 0; t < c->g.size(); ++t) {
      g = c->g[t];
      opt->step();
      expect_close(w, c->w[t], tol, c->name + " step " + std::to_string(t + 1));
    }
  }
}

}  // namespace descent::testing::family_cases
