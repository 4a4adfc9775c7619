// RAdam (include/descent/rules/radam.hpp) against torch.optim's goldens (the family's radam
// cases).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "descent/descent.hpp"
#include "family_cases.hpp"

namespace {

TEST(RAdam, TorchFamily) { descent::testing::family_cases::expect_family_golden("radam"); }

TEST(RAdam, TorchFamilyWeightDecay) { descent::testing::family_cases::expect_family_golden("radam_wd"); }

}  // namespace
