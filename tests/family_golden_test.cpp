// The family's optimizers against torch 1.13's own implementations (tests/golden/family,
// generate_family.py): every step's weights, built through the registry as the CLI builds them.
#include "family_golden.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "descent/descent.hpp"

namespace {

struct Case {
  std::string name, optimizer;
  std::vector<std::pair<std::string, std::string>> options;
  std::vector<double> w0;
  std::vector<std::vector<double>> g, w;
};

std::vector<Case> cases() {
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
void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                  const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (std::size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.0, std::abs(want[i]))) << where << " element " << i;
}

class FamilyGolden : public ::testing::TestWithParam<std::string> {};

TEST_P(FamilyGolden, MatchesTorchEveryStep) {
  const auto all = cases();
  const Case* c = nullptr;
  for (const auto& x : all)
    if (x.name == GetParam()) c = &x;
  ASSERT_NE(c, nullptr);
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

INSTANTIATE_TEST_SUITE_P(Torch, FamilyGolden,
                         ::testing::Values("nadam", "nadam_wd", "radam", "radam_wd", "adamax", "adamax_wd_max",
                                           "adadelta", "adadelta_wd", "adamw", "adamw_amsgrad", "amsgrad", "nesterov"));

TEST(FamilyGolden, EveryCaseIsTested) {
  // A case added to the generator but not to the list above would silently go untested.
  EXPECT_EQ(cases().size(), 12u);
}

}  // namespace
