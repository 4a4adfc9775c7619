#pragma once
// The gradients the paper tests of Lion and LAMB step through: four elements (split in two
// tensors for LAMB), signs that change, a zero, a small value.
#include <vector>

namespace descent::testing::paper {
inline const std::vector<std::vector<double>> grads{
    {0.5, -2.0, 0.0, 1e-3}, {-0.25, -1.0, 3.0, 0.0}, {0.1, 0.2, -0.3, 0.4}};
}  // namespace descent::testing::paper
