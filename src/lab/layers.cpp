#include "descent/lab/layers.hpp"

#include <algorithm>
#include <cmath>

#include "descent/error.hpp"

namespace descent::lab {

Activation parse_activation(std::string_view name) {
  if (name == "relu") return Activation::relu;
  if (name == "tanh") return Activation::tanh;
  if (name == "sigmoid") return Activation::sigmoid;
  throw OptionError("", "activation", " '" + std::string(name) + "' is unknown (expected relu, tanh or sigmoid)");
}

const char* to_string(Activation a) {
  switch (a) {
    case Activation::relu:
      return "relu";
    case Activation::tanh:
      return "tanh";
    case Activation::sigmoid:
      return "sigmoid";
  }
  return "?";
}

Initializer parse_initializer(std::string_view name) {
  if (name == "truncated_normal") return Initializer::truncated_normal;
  if (name == "glorot") return Initializer::glorot;
  if (name == "he") return Initializer::he;
  throw OptionError("", "initializer",
                    " '" + std::string(name) + "' is unknown (expected truncated_normal, glorot or he)");
}

const char* to_string(Initializer i) {
  switch (i) {
    case Initializer::truncated_normal:
      return "truncated_normal";
    case Initializer::glorot:
      return "glorot";
    case Initializer::he:
      return "he";
  }
  return "?";
}

// Dense ------------------------------------------------------------------------------------

template <class T>
Dense<T>::Dense(std::string name, Eigen::Index inputs, Eigen::Index outputs)
    : name_(std::move(name)),
      w_(Matrix<T>::Zero(inputs, outputs)),
      dw_(Matrix<T>::Zero(inputs, outputs)),
      b_(RowVector<T>::Zero(outputs)),
      db_(RowVector<T>::Zero(outputs)) {}

template <class T>
std::string Dense<T>::describe() const {
  return "dense " + std::to_string(w_.rows()) + "->" + std::to_string(w_.cols());
}

template <class T>
void Dense<T>::forward(ConstView<T> x, View<T> y) {
  y.noalias() = x * w_;  // y = x·W + b
  y.rowwise() += b_;
}

template <class T>
void Dense<T>::backward(ConstView<T> x, ConstView<T>, ConstView<T> dy, View<T> dx, bool need_dx) {
  dw_.noalias() = x.transpose() * dy;  // dL/dW = xᵀ·dy
  db_.noalias() = dy.colwise().sum();  // dL/db = Σ over the batch of dy
  if (need_dx) dx.noalias() = dy * w_.transpose();
}

template <class T>
std::vector<Param> Dense<T>::params() {
  const Shape wshape{std::size_t(w_.rows()), std::size_t(w_.cols())};
  return {Param(name_ + ".weight", w_, dw_, wshape), Param(name_ + ".bias", b_, db_, Shape{std::size_t(b_.size())})};
}

template <class T>
void Dense<T>::initialize(Initializer init, Rng& rng) {
  const double in = double(w_.rows()), out = double(w_.cols());
  auto draw = [&]() -> double {
    switch (init) {
      case Initializer::truncated_normal:
        return rng.truncated_normal(0.1);
      case Initializer::glorot:
        return (2 * rng.uniform() - 1) * std::sqrt(6 / (in + out));
      case Initializer::he:
        return rng.normal() * std::sqrt(2 / in);
    }
    return 0;
  };
  for (Eigen::Index i = 0; i < w_.rows(); ++i)
    for (Eigen::Index j = 0; j < w_.cols(); ++j) w_(i, j) = T(draw());
  for (Eigen::Index j = 0; j < b_.size(); ++j) b_(j) = init == Initializer::truncated_normal ? T(draw()) : T(0);
}

// Activations ------------------------------------------------------------------------------

template <class T>
void Elementwise<T>::forward(ConstView<T> x, View<T> y) {
  switch (kind_) {
    case Activation::relu:
      y = x.cwiseMax(T(0));
      break;
    case Activation::tanh:
      y = x.unaryExpr([](T v) { return std::tanh(v); });
      break;
    case Activation::sigmoid:
      y = x.unaryExpr([](T v) { return T(1) / (T(1) + std::exp(-v)); });
      break;
  }
}

template <class T>
void Elementwise<T>::backward(ConstView<T> x, ConstView<T> y, ConstView<T> dy, View<T> dx, bool need_dx) {
  if (!need_dx) return;
  switch (kind_) {
    case Activation::relu:
      dx = (x.array() > T(0)).select(dy, T(0));
      break;  // 1 where x > 0
    case Activation::tanh:
      dx = dy.array() * (T(1) - y.array().square());
      break;  // 1 − y²
    case Activation::sigmoid:
      dx = dy.array() * y.array() * (T(1) - y.array());
      break;  // y(1 − y)
  }
}

// Softmax ----------------------------------------------------------------------------------

// Plain loops on purpose: a row is a handful of numbers (3 for iris), where Eigen's per-row
// expressions on dynamic sizes cost more than the arithmetic (the softmax was half of a step).
template <class T>
void Softmax<T>::forward(ConstView<T> x, View<T> y) {
  const Eigen::Index k = x.cols();
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const T* in = x.data() + i * k;
    T* out = y.data() + i * k;
    T max = in[0];
    for (Eigen::Index j = 1; j < k; ++j) max = std::max(max, in[j]);
    T sum = 0;
    for (Eigen::Index j = 0; j < k; ++j) sum += out[j] = std::exp(in[j] - max);
    const T scale = T(1) / sum;  // one division per row, not per element
    for (Eigen::Index j = 0; j < k; ++j) out[j] *= scale;
  }
}

template <class T>
void Softmax<T>::backward(ConstView<T>, ConstView<T> y, ConstView<T> dy, View<T> dx, bool need_dx) {
  if (!need_dx) return;
  const Eigen::Index k = y.cols();
  for (Eigen::Index i = 0; i < y.rows(); ++i) {
    const T* p = y.data() + i * k;
    const T* d = dy.data() + i * k;
    T dot = 0;  // Σ_j dy_j·y_j
    for (Eigen::Index j = 0; j < k; ++j) dot += d[j] * p[j];
    for (Eigen::Index j = 0; j < k; ++j) dx.data()[i * k + j] = p[j] * (d[j] - dot);
  }
}

template class Dense<float>;
template class Dense<double>;
template class Elementwise<float>;
template class Elementwise<double>;
template class Softmax<float>;
template class Softmax<double>;

}  // namespace descent::lab
