#pragma once
// What the hand-computed tests of the rules share: the seed convention's presets (the
// tutorial, shared/reference/optimizers-tutorial.en.md), the gradients the Keras tests use, and
// the zero-gradient check of the vector kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "descent/descent.hpp"
#include "scalar_run.hpp"

namespace descent::testing {

// The seed presets: lr 0.1, β 0.9, β1 0.9, β2 0.999, no ε anywhere.
namespace seed {
inline constexpr double lr = 0.1, beta = 0.9, beta1 = 0.9, beta2 = 0.999;
}

// Keras 3's formulas (keras-team/keras, keras/src/optimizers/*.py, update_step) are checked
// on these gradients, and on small ones, where V is of the size of ε, so the place of ε shows.
namespace keras {
inline const std::vector<double> grads{0.5, -0.2, 0.1};
inline const std::vector<double> small{1e-4, -2e-4, 3e-4};
}  // namespace keras

// Where V_t = 0 in the vectorized kernels: a long vector where every other gradient is 0 (in
// float and double), so zero and nonzero denominators share one SIMD register.
template <class T>
void zero_gradients_in_vectors(const char* optimizer) {
  const std::size_t n = 1003;
  std::vector<T> w(n, T(1)), g(n);
  for (std::size_t i = 0; i < n; ++i) g[i] = i % 2 ? T(0) : T(0.25);
  auto opt = descent::make_optimizer(optimizer, {descent::Param("w", w, g)}, descent::Convention::seed);
  opt->step();
  opt->step();
  for (std::size_t i = 0; i < n; ++i) {
    ASSERT_FALSE(std::isnan(w[i])) << optimizer << " w[" << i << "]";
    if (i % 2)
      ASSERT_EQ(w[i], T(1)) << optimizer << " w[" << i << "] has a zero gradient";
    else
      ASSERT_LT(w[i], T(1)) << optimizer << " w[" << i << "]";
  }
}

}  // namespace descent::testing
