#pragma once
// A classifier as a sequence of layers: dense layers with an activation between them, and a
// softmax at the end when the loss is the tutorial's MSE (cross-entropy takes the logits).
// Backprop runs layer by layer through buffers sized once for the largest batch, so a
// training step allocates nothing.
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "descent/lab/layers.hpp"
#include "descent/lab/loss.hpp"

namespace descent::lab {

struct ModelSpec {
  Eigen::Index inputs = 4;
  Eigen::Index classes = 3;
  std::vector<Eigen::Index> hidden;  // widths of the hidden layers; empty: one dense layer
  Activation activation = Activation::relu;
  Loss loss = Loss::mse;

  std::string describe() const;  // "dense 4->3 + softmax"
};

template <class T>
class Model {
 public:
  Model(const ModelSpec& spec, Eigen::Index max_batch);
  Model(const Model&) = delete;  // params() views point into the layers
  Model& operator=(const Model&) = delete;

  const ModelSpec& spec() const { return spec_; }
  Eigen::Index max_batch() const { return max_batch_; }
  std::vector<std::unique_ptr<Layer<T>>>& layers() { return layers_; }

  void initialize(Initializer init, Rng& rng);
  // dense1.weight (inputs × outputs), dense1.bias, dense2.weight, ...: views for the optimizers.
  std::vector<Param> params();

  // Forward, loss and backward on one batch (x: up to max_batch rows). Returns the batch loss
  // and leaves dL/dparams in the parameters' gradients.
  T train_batch(ConstView<T> x, std::span<const int> labels);
  // The model's output (softmax probabilities with mse, logits with ce) for up to max_batch rows.
  ConstView<T> forward(ConstView<T> x);
  // How many samples' largest output is at their label (any number of rows).
  Eigen::Index correct(ConstView<T> x, std::span<const int> labels);

 private:
  ModelSpec spec_;
  Eigen::Index max_batch_;
  std::vector<std::unique_ptr<Layer<T>>> layers_;
  std::vector<Matrix<T>> out_;   // out_[i]: layer i's output
  std::vector<Matrix<T>> grad_;  // grad_[i]: dL/d(out_[i])
};

extern template class Model<float>;
extern template class Model<double>;

}  // namespace descent::lab
