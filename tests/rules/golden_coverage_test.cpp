// Every golden case is run by one rule's test file (tests/rules/*_test.cpp): a case added to a
// generator but to no rule's file would go untested.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "family_cases.hpp"
#include "torch_golden.hpp"

namespace {

TEST(FamilyGolden, EveryCaseIsTested) {
  // Run by adam_test, adamax_test, nadam_test, radam_test, adadelta_test and sgd_test.
  const std::set<std::string> tested{"nadam",    "nadam_wd",    "radam", "radam_wd",      "adamax",  "adamax_wd_max",
                                     "adadelta", "adadelta_wd", "adamw", "adamw_amsgrad", "amsgrad", "nesterov"};
  std::set<std::string> generated;
  for (const auto& c : descent::testing::family_cases::cases()) generated.insert(c.name);
  EXPECT_EQ(generated, tested);
  EXPECT_EQ(descent::testing::family_cases::cases().size(), 12u);
}

}  // namespace
