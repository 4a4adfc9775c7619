#include "descent/lab/loss.hpp"

#include <algorithm>
#include <cmath>

#include "descent/error.hpp"

namespace descent::lab {

Loss parse_loss(std::string_view name) {
  if (name == "mse") return Loss::mse;
  if (name == "ce" || name == "cross_entropy") return Loss::cross_entropy;
  throw OptionError("", "loss", " '" + std::string(name) + "' is unknown (expected mse or ce)");
}

const char* to_string(Loss l) { return l == Loss::mse ? "mse" : "ce"; }

namespace {

template <class T>
T mse(ConstView<T> y, std::span<const int> labels, View<T>* grad) {
  const Eigen::Index n = y.rows(), k = y.cols();
  T sum = 0;
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < k; ++j) {
      const T d = y(i, j) - T(j == labels[std::size_t(i)] ? 1 : 0);  // y − onehot
      sum += d * d;
      if (grad) (*grad)(i, j) = d;
    }
  const T scale = T(1) / T(n * k);
  if (grad) *grad *= 2 * scale;
  return sum * scale;
}

template <class T>
T cross_entropy(ConstView<T> z, std::span<const int> labels, View<T>* grad) {
  const Eigen::Index n = z.rows(), k = z.cols();
  T sum = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const T* row = z.data() + i * k;
    T max = row[0];
    for (Eigen::Index j = 1; j < k; ++j) max = std::max(max, row[j]);
    T total = 0;
    for (Eigen::Index j = 0; j < k; ++j) total += std::exp(row[j] - max);
    const T lse = max + std::log(total);  // log Σ e^{z_j}
    const int label = labels[std::size_t(i)];
    sum += lse - row[label];
    if (grad) {
      T* g = grad->data() + i * k;
      for (Eigen::Index j = 0; j < k; ++j) g[j] = std::exp(row[j] - lse) / T(n);  // softmax(z)/n
      g[label] -= T(1) / T(n);
    }
  }
  return sum / T(n);
}

}  // namespace

template <class T>
T loss_and_grad(Loss loss, ConstView<T> out, std::span<const int> labels, View<T> grad) {
  return loss == Loss::mse ? mse<T>(out, labels, &grad) : cross_entropy<T>(out, labels, &grad);
}

template <class T>
T loss_value(Loss loss, ConstView<T> out, std::span<const int> labels) {
  return loss == Loss::mse ? mse<T>(out, labels, nullptr) : cross_entropy<T>(out, labels, nullptr);
}

template float loss_and_grad(Loss, ConstView<float>, std::span<const int>, View<float>);
template double loss_and_grad(Loss, ConstView<double>, std::span<const int>, View<double>);
template float loss_value(Loss, ConstView<float>, std::span<const int>);
template double loss_value(Loss, ConstView<double>, std::span<const int>);

}  // namespace descent::lab
