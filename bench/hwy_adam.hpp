#pragma once
// Adam's element loop by hand in Highway (hwy_adam.cpp), to measure against target_clones.
#include <cstddef>

namespace descent_bench {

struct AdamScalars {  // the driver's Prelude<float> and rules::Adam::Step<float>, flattened
  float sign, l2, keep;
  float beta1, one_minus_beta1, beta2, one_minus_beta2, lr_hat, inv_sqrt_bc2, eps;
};

void hwy_adam(const AdamScalars& k, float* w, const float* g, float* m, float* v, std::size_t n);

}  // namespace descent_bench
