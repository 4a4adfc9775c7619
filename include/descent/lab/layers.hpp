#pragma once
// Layers of a feed-forward classifier. A batch is a matrix with one sample per row (row-major,
// so the first n rows of a buffer are one contiguous batch of n). Each layer computes its
// output from its input and, given dL/d(output), its parameters' gradients and dL/d(input).
// Weights follow the tutorial's layout: y = x·W + b with W of shape inputs × outputs.
#include <Eigen/Core>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "descent/lab/random.hpp"
#include "descent/param.hpp"

namespace descent::lab {

template <class T>
using Matrix = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using RowVector = Eigen::Matrix<T, 1, Eigen::Dynamic>;
template <class T>
using View = Eigen::Map<Matrix<T>>;
template <class T>
using ConstView = Eigen::Map<const Matrix<T>>;

enum class Activation { relu, tanh, sigmoid };
Activation parse_activation(std::string_view name);  // throws OptionError naming the choices
const char* to_string(Activation a);

// How a dense layer's parameters start.
//   truncated_normal: W and b from N(0, 0.1²) redrawn beyond 2σ (the tutorial, both W and b);
//   glorot: W uniform in ±sqrt(6/(in+out)) (Glorot & Bengio 2010; Keras's default), b = 0;
//   he: W from N(0, 2/in) (He et al. 2015; PyTorch's kaiming_normal_), b = 0.
// Values are drawn in double, W row by row then b, layer by layer.
enum class Initializer { truncated_normal, glorot, he };
Initializer parse_initializer(std::string_view name);
const char* to_string(Initializer i);

template <class T>
class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string describe() const = 0;  // "dense 4→3", "relu"
  virtual Eigen::Index outputs(Eigen::Index inputs) const { return inputs; }

  virtual void forward(ConstView<T> x, View<T> y) = 0;
  // x and y from forward(), dy = dL/dy. Sets the parameter gradients (not accumulated) and,
  // when need_dx, dx = dL/dx.
  virtual void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T> dx, bool need_dx) = 0;

  // Named views of the parameters and their gradients, for the optimizers.
  virtual std::vector<Param> params() { return {}; }
  virtual void initialize(Initializer, Rng&) {}
};

template <class T>
class Dense final : public Layer<T> {
 public:
  Dense(std::string name, Eigen::Index inputs, Eigen::Index outputs);
  std::string describe() const override;
  Eigen::Index outputs(Eigen::Index) const override { return w_.cols(); }
  void forward(ConstView<T> x, View<T> y) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T> dx, bool need_dx) override;
  std::vector<Param> params() override;
  void initialize(Initializer init, Rng& rng) override;

  const std::string& name() const { return name_; }
  Matrix<T>& weight() { return w_; }
  RowVector<T>& bias() { return b_; }
  const Matrix<T>& weight_grad() const { return dw_; }
  const RowVector<T>& bias_grad() const { return db_; }

 private:
  std::string name_;
  Matrix<T> w_, dw_;
  RowVector<T> b_, db_;
};

// Elementwise relu(x) = max(x, 0), tanh, sigmoid(x) = 1/(1 + e^−x).
template <class T>
class Elementwise final : public Layer<T> {
 public:
  explicit Elementwise(Activation kind) : kind_(kind) {}
  std::string describe() const override { return to_string(kind_); }
  void forward(ConstView<T> x, View<T> y) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T> dx, bool need_dx) override;

 private:
  Activation kind_;
};

// Row-wise softmax, y_i = e^{x_i − max x} / Σ_j e^{x_j − max x}; backward is the
// Jacobian-vector product dx = y ⊙ (dy − Σ_j dy_j·y_j).
template <class T>
class Softmax final : public Layer<T> {
 public:
  std::string describe() const override { return "softmax"; }
  void forward(ConstView<T> x, View<T> y) override;
  void backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T> dx, bool need_dx) override;
};

extern template class Dense<float>;
extern template class Dense<double>;
extern template class Elementwise<float>;
extern template class Elementwise<double>;
extern template class Softmax<float>;
extern template class Softmax<double>;

}  // namespace descent::lab
