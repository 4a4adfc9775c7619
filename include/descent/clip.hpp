#pragma once
// Gradient clipping. By norm, the clip is a scale of the gradient, so it folds into the
// optimizer's next step (Optimizer::set_grad_scale): one read-only pass for the norms and no
// pass writing the gradients. The norms come from fixed chunks added in a fixed order
// (detail/reduce.hpp), so they are the same for any thread count. By value, the clip is not a
// scale and writes the gradients in place, as torch.nn.utils.clip_grad_value_ does.
#include <span>
#include <vector>

#include "descent/optimizer.hpp"

namespace descent {

// Each parameter's gradient norm sqrt(Σ g²), times its pending gradient scale.
std::vector<double> grad_norms(const Optimizer& optimizer);
// The global norm: the norm of the per-parameter norms (torch's clip_grad_norm_ total_norm).
double global_grad_norm(const Optimizer& optimizer);

// torch.nn.utils.clip_grad_norm_: scales every gradient by min(1, max_norm / (norm + 1e-6)) in
// the next step, norm being the global norm. Returns that norm (before clipping); a non-finite
// norm throws Error (error_if_nonfinite) when `error_if_nonfinite`.
double clip_grad_norm(Optimizer& optimizer, double max_norm, bool error_if_nonfinite = false);
// Each parameter clipped by its own norm: scale min(1, max_norm / (norm_i + 1e-6)). Returns the norms.
std::vector<double> clip_grad_norm_per_tensor(Optimizer& optimizer, double max_norm);

// Clamps every gradient element to [−clip, clip], in place. The gradient memory must be
// writable: Params built over const gradient memory must not be passed here.
void clip_grad_value(const std::vector<Param>& params, double clip);
template <class T>
void clip_grad_value(std::span<T> grad, double clip) {
  for (T& g : grad) g = g > T(clip) ? T(clip) : (g < T(-clip) ? T(-clip) : g);
}

}  // namespace descent
