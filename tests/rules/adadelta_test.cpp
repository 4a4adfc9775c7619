// Adadelta (include/descent/rules/adadelta.hpp) against torch.optim's goldens (the family's
// adadelta cases).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "descent/descent.hpp"
#include "family_cases.hpp"

namespace {

TEST(Adadelta, TorchFamily) { descent::testing::family_cases::expect_family_golden("adadelta"); }

TEST(Adadelta, TorchFamilyWeightDecay) { descent::testing::family_cases::expect_family_golden("adadelta_wd"); }

}  // namespace
