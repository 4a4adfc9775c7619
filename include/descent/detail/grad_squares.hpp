#pragma once
// Σg² of each parameter's gradient, unscaled, summed in sum_chunks' fixed chunks: what
// grad_norms takes the roots of (descent/clip.hpp), and what descent::mpi adds across the ranks
// that share a tensor.
#include <vector>

#include "descent/optimizer.hpp"

namespace descent::detail {

std::vector<double> grad_squares(const Optimizer& optimizer);

}  // namespace descent::detail
