// Optimizer::rebind and add_group_like: what a framework that reallocates its gradients (torch's
// zero_grad(set_to_none=True)) or builds groups by option name (the Python binding) relies on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "descent/descent.hpp"

namespace {

using descent::Param;

// After rebind, a step reads the new gradient and writes the new values; the state carries on
// exactly as if the memory had never moved.
TEST(Rebind, StepReadsAndWritesTheNewMemory) {
  std::vector<double> w{1.0, 2.0}, g{0.5, -0.5};
  auto opt = descent::make_optimizer("sgdm", {Param("w", w, g)}, descent::Convention::pytorch, {{"lr", "0.1"}});
  opt->step();  // buffer = g = (0.5, -0.5); w = (0.95, 2.05)
  std::vector<double> w2 = w, g2{1.0, 1.0};
  opt->rebind(0, Param("w", w2, g2));
  opt->step();  // buffer = 0.9*(0.5, -0.5) + (1, 1) = (1.45, 0.55); w2 = w - 0.1*buffer
  EXPECT_DOUBLE_EQ(w2[0], 0.95 - 0.1 * 1.45);
  EXPECT_DOUBLE_EQ(w2[1], 2.05 - 0.1 * 0.55);
  EXPECT_DOUBLE_EQ(w[0], 0.95);  // the old memory is no longer touched
  EXPECT_EQ(opt->t(), 2);
}

TEST(Rebind, RefusesAnotherParameter) {
  std::vector<double> w{1.0, 2.0}, g{0.5, -0.5}, w3{1, 2, 3}, g3{1, 2, 3};
  std::vector<float> wf{1, 2}, gf{1, 2};
  auto opt = descent::make_optimizer("adam", {Param("w", w, g)});
  EXPECT_THROW(opt->rebind(0, Param("v", w, g)), descent::Error);
  EXPECT_THROW(opt->rebind(0, Param("w", w3, g3)), descent::Error);
  EXPECT_THROW(opt->rebind(0, Param("w", wf, gf)), descent::Error);
  EXPECT_THROW(opt->rebind(1, Param("w", w, g)), descent::Error);
  try {
    opt->rebind(0, Param("w", wf, gf));
  } catch (const descent::Error& e) {
    EXPECT_EQ(std::string(e.what()), "rebind: parameter 0 is 'w' (float64), not 'w' (float32) or of another shape");
  }
}

// The new group starts with group `like`'s options and its own t; changing one leaves the other.
TEST(AddGroupLike, CopiesTheOptionsOfTheGroupNamed) {
  std::vector<double> a{1.0}, ga{1.0}, b{1.0}, gb{1.0};
  auto opt = descent::make_optimizer("adam", {Param("a", a, ga)}, descent::Convention::pytorch, {{"lr", "0.5"}});
  opt->add_group_like({Param("b", b, gb)}, 0);
  ASSERT_EQ(opt->group_count(), 2u);
  EXPECT_EQ(opt->lr(1), 0.5);
  opt->set_option("beta1", "0.5", 1);
  opt->step();
  EXPECT_EQ(opt->option_values(0)[5].name, "beta1");
  EXPECT_EQ(opt->option_values(0)[5].value, 0.9);
  EXPECT_EQ(opt->option_values(1)[5].value, 0.5);
  // Adam's first step moves every parameter by lr·g/(|g| + eps), whatever beta1.
  EXPECT_DOUBLE_EQ(a[0], 1.0 - 0.5 / (1.0 + 1e-8));
  EXPECT_DOUBLE_EQ(b[0], 1.0 - 0.5 / (1.0 + 1e-8));
  EXPECT_THROW(opt->add_group_like({}, 2), std::out_of_range);
}

}  // namespace
