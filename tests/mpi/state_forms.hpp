#pragma once
// What the low-bit tests under MPI share (lowbit_test.cpp, bf16_test.cpp): an optimizer with
// its state options, the 12 micro-batches a global step is cut into, and the check that a
// checkpoint's joined state is one process's, byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "descent/descent.hpp"

namespace descent::test {

inline constexpr int total_pieces = 12;  // any rank count in 1..4 divides 12

struct Form {
  std::string optimizer;
  StateOptions state;
  std::string name;
};

inline std::unique_ptr<Optimizer> make(const Form& f, std::vector<Param> p) {
  auto o = make_optimizer(f.optimizer, std::move(p), Convention::pytorch, {{"lr", "0.01"}});
  o->set_state_options(f.state);
  return o;
}

inline void expect_same_state(const OptimizerState& joined, const OptimizerState& ref, const std::string& what) {
  EXPECT_EQ(joined.params.size(), ref.params.size()) << what;
  for (std::size_t p = 0; p < std::min(joined.params.size(), ref.params.size()); ++p) {
    EXPECT_EQ(joined.params[p].slots.size(), ref.params[p].slots.size()) << what;
    for (std::size_t j = 0; j < std::min(joined.params[p].slots.size(), ref.params[p].slots.size()); ++j) {
      const auto &a = joined.params[p].slots[j], &b = ref.params[p].slots[j];
      EXPECT_EQ(a.dtype, b.dtype) << what << ": tensor " << p << " slot " << b.name;
      EXPECT_TRUE(a.bytes == b.bytes) << what << ": tensor " << p << " slot " << b.name;
    }
  }
}

}  // namespace descent::test
