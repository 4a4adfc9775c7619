#pragma once
// Weight averaging for evaluation: an exponential moving average of the weights, or their plain
// running mean (Polyak averaging; SWA when updated once per cycle, torch.optim.swa_utils'
// AveragedModel). The averages live apart from the weights; swap() exchanges the two, so one
// evaluates with the average and swaps back to keep training.
#include <cstdint>
#include <span>
#include <vector>

#include "descent/optimizer.hpp"

namespace descent {

class WeightAverage {
 public:
  // avg ← β·avg + (1−β)·w, starting at the weights as they are now (Keras's EMA).
  static WeightAverage ema(const std::vector<Param>& params, double decay);
  // avg_n = avg_{n−1} + (w − avg_{n−1}) / n, the first update copying w (AveragedModel).
  static WeightAverage polyak(const std::vector<Param>& params);

  void update();  // after each optimizer step (or each SWA cycle)
  void swap();    // exchange the averages and the weights
  bool swapped() const { return swapped_; }
  std::int64_t count() const { return n_; }
  // For checkpoints: the update count, then every average in parameter order, widened to double
  // (exact for float). restore() checks the length and changes nothing when it is wrong.
  std::vector<double> state() const;
  void restore(const std::vector<double>& state);
  // The average of parameter i (the weights it replaced while swapped).
  template <class T>
  std::span<const T> average(std::size_t i) const {
    if (params_.at(i).dtype() != dtype_of<T>())
      throw Error("average of '" + params_[i].name() + "' is " + to_string(params_[i].dtype()));
    if constexpr (std::is_same_v<T, float>)
      return avg32_[i];
    else
      return avg64_[i];
  }

 private:
  WeightAverage(const std::vector<Param>& params, double decay, bool ema);
  std::vector<Param> params_;
  std::vector<std::vector<float>> avg32_;   // per parameter: filled for float parameters
  std::vector<std::vector<double>> avg64_;  // and for double ones
  double decay_;
  bool ema_;
  bool swapped_ = false;
  std::int64_t n_ = 0;
};

}  // namespace descent
