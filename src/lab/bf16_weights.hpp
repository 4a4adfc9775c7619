#pragma once
// TrainOptions::bf16_params: the optimizer holds the weights and gradients as bfloat16 while
// the model computes in float32 (mixed precision, docs/lowbit.md "bf16 parameters"). The float
// model's weights are always the bf16 weights widened (exact), so the forward pass sees what the
// optimizer holds; each gradient is rounded to bf16 once, before the step reads it.
#include <vector>

#include "descent/bf16.hpp"
#include "descent/param.hpp"

namespace descent::lab {

class Bf16Weights {
 public:
  // The model's weights rounded to bf16 (to nearest); the model keeps its own until to_model().
  explicit Bf16Weights(std::vector<Param> model);
  Bf16Weights(const Bf16Weights&) = delete;  // params() views point into the buffers
  Bf16Weights& operator=(const Bf16Weights&) = delete;

  // The bf16 parameters, with the model's names, in the model's order.
  std::vector<Param> params();
  // The model's float32 gradients rounded to the bf16 gradients (to nearest).
  void round_gradients();
  // The bf16 weights widened into the model's (after a step or a restore).
  void to_model();

 private:
  struct Tensor {
    std::vector<bf16> value, grad;
  };
  std::vector<Param> model_;
  std::vector<Tensor> tensors_;
};

}  // namespace descent::lab
