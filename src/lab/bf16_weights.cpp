#include "bf16_weights.hpp"

#include <algorithm>

namespace descent::lab {

Bf16Weights::Bf16Weights(std::vector<Param> model) : model_(std::move(model)) {
  tensors_.reserve(model_.size());
  for (const Param& p : model_) {
    const auto w = p.value<float>();
    Tensor& t = tensors_.emplace_back(Tensor{std::vector<bf16>(w.size()), std::vector<bf16>(w.size())});
    std::transform(w.begin(), w.end(), t.value.begin(), [](float x) { return bf16(x); });
  }
}

std::vector<Param> Bf16Weights::params() {
  std::vector<Param> out;
  for (std::size_t i = 0; i < model_.size(); ++i)
    out.emplace_back(model_[i].name(), std::span(tensors_[i].value), std::span(tensors_[i].grad), model_[i].shape());
  return out;
}

void Bf16Weights::round_gradients() {
  for (std::size_t i = 0; i < model_.size(); ++i) {
    const auto g = model_[i].grad<float>();
    std::transform(g.begin(), g.end(), tensors_[i].grad.begin(), [](float x) { return bf16(x); });
  }
}

void Bf16Weights::to_model() {
  for (std::size_t i = 0; i < model_.size(); ++i)
    std::transform(tensors_[i].value.begin(), tensors_[i].value.end(), model_[i].value<float>().begin(),
                   [](bf16 x) { return float(x); });
}

}  // namespace descent::lab
