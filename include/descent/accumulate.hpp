#pragma once
// Gradient accumulation: the mean gradient over k micro-batches with no copy of the gradients.
// The caller adds each micro-batch's gradient into the parameters' gradient memory (as autograd
// does); the 1/k of the mean folds into the optimizer's next step (Optimizer::set_grad_scale).
//
//   GradientAccumulation acc(opt, 4);
//   for each micro-batch: { add its gradient into grad; if (acc.add()) { clip...; opt.step(); zero grad; } }
#include <cstdint>

#include "descent/optimizer.hpp"

namespace descent {

class GradientAccumulation {
 public:
  GradientAccumulation(Optimizer& optimizer, std::int64_t k);
  // One micro-batch added. True on the k-th: the next step() sees the mean; clip now if wanted
  // (clipping sees the mean's norm), step, then zero the gradients.
  bool add();
  std::int64_t pending() const { return count_; }  // micro-batches since the last full step

 private:
  Optimizer& optimizer_;
  std::int64_t k_;
  std::int64_t count_ = 0;
};

}  // namespace descent
