// Every layer's and loss's backward pass against central finite differences, in double.
// For a layer f the checked scalar is L = Σ r ⊙ f(x) with fixed random r, so dL/dy = r.
#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "descent/lab/loss.hpp"
#include "descent/lab/model.hpp"

namespace {

using namespace descent::lab;
using M = Matrix<double>;

M random(Eigen::Index rows, Eigen::Index cols, Rng& rng, double scale = 1.0) {
  M m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = scale * (2 * rng.uniform() - 1);
  return m;
}

ConstView<double> cview(const M& m) { return {m.data(), m.rows(), m.cols()}; }
View<double> view(M& m) { return {m.data(), m.rows(), m.cols()}; }

// Central difference of f with respect to every element of `values`, against `analytic`.
void expect_gradient(double* values, Eigen::Index n, const std::function<double()>& f, const double* analytic,
                     const char* what) {
  const double h = 1e-6;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double keep = values[i];
    values[i] = keep + h;
    const double up = f();
    values[i] = keep - h;
    const double down = f();
    values[i] = keep;
    const double numeric = (up - down) / (2 * h);
    EXPECT_NEAR(analytic[i], numeric, 1e-8 + 1e-6 * std::abs(numeric)) << what << " element " << i;
  }
}

// Checks dL/dx (and the layer's parameter gradients) of L = Σ r ⊙ layer(x).
void check_layer(Layer<double>& layer, M x, Rng& rng) {
  const Eigen::Index n = x.rows(), out = layer.outputs(x.cols());
  M y(n, out), r = random(n, out, rng), dx(n, x.cols());
  auto loss = [&] {
    M tmp(n, out);
    layer.forward(cview(x), view(tmp));
    return (tmp.array() * r.array()).sum();
  };
  layer.forward(cview(x), view(y));
  layer.backward(cview(x), cview(y), cview(r), view(dx), true);
  const std::vector<descent::Param> params = layer.params();
  // Copy the analytic gradients before the finite differences run forward again.
  std::vector<std::vector<double>> grads;
  for (const auto& p : params) grads.emplace_back(p.grad<double>().begin(), p.grad<double>().end());
  expect_gradient(x.data(), x.size(), loss, dx.data(), (layer.describe() + " dx").c_str());
  for (std::size_t k = 0; k < params.size(); ++k)
    expect_gradient(params[k].value<double>().data(), Eigen::Index(params[k].size()), loss, grads[k].data(),
                    params[k].name().c_str());
}

TEST(LabGradient, Dense) {
  Rng rng(1);
  Dense<double> d("dense1", 5, 3);
  d.initialize(Initializer::glorot, rng);
  d.bias() = RowVector<double>::Random(3);
  check_layer(d, random(7, 5, rng), rng);
}

TEST(LabGradient, Activations) {
  for (Activation a : {Activation::relu, Activation::tanh, Activation::sigmoid}) {
    Rng rng(2);
    Elementwise<double> layer(a);
    M x = random(6, 4, rng, 2.0);
    // relu has a kink at 0: keep every input at least 0.05 away from it.
    for (Eigen::Index i = 0; i < x.size(); ++i)
      if (std::abs(x.data()[i]) < 0.05) x.data()[i] = 0.05;
    check_layer(layer, x, rng);
  }
}

TEST(LabGradient, Softmax) {
  Rng rng(3);
  Softmax<double> s;
  check_layer(s, random(5, 4, rng, 3.0), rng);
}

TEST(LabGradient, Losses) {
  for (Loss loss : {Loss::mse, Loss::cross_entropy}) {
    Rng rng(4);
    M out = random(6, 3, rng);
    if (loss == Loss::mse) {  // probabilities, as the softmax gives
      out = out.array().exp();
      for (Eigen::Index i = 0; i < out.rows(); ++i) out.row(i) /= out.row(i).sum();
    }
    const std::vector<int> labels{0, 2, 1, 1, 0, 2};
    M grad(6, 3);
    loss_and_grad<double>(loss, cview(out), labels, view(grad));
    expect_gradient(
        out.data(), out.size(), [&] { return loss_value<double>(loss, cview(out), labels); }, grad.data(),
        to_string(loss));
  }
}

TEST(LabGradient, LossValuesByHand) {
  // MSE on probabilities: rows (0.7, 0.2, 0.1) label 0 and (0.2, 0.5, 0.3) label 2:
  // ((0.3² + 0.2² + 0.1²) + (0.2² + 0.5² + 0.7²)) / 6 = (0.14 + 0.78) / 6.
  M p(2, 3);
  p << 0.7, 0.2, 0.1, 0.2, 0.5, 0.3;
  const std::vector<int> labels{0, 2};
  EXPECT_NEAR(loss_value<double>(Loss::mse, cview(p), labels), 0.92 / 6, 1e-15);
  // Cross-entropy on logits (0, 0, 0) label 1: log 3.
  M z = M::Zero(1, 3);
  EXPECT_NEAR(loss_value<double>(Loss::cross_entropy, cview(z), std::vector<int>{1}), std::log(3.0), 1e-15);
}

// The whole model: every parameter's gradient of the batch loss, through every layer.
TEST(LabGradient, ModelEndToEnd) {
  for (Loss loss : {Loss::mse, Loss::cross_entropy})
    for (Activation a : {Activation::relu, Activation::tanh, Activation::sigmoid}) {
      ModelSpec spec{4, 3, {6, 5}, a, loss};
      Model<double> model(spec, 8);
      Rng rng(5);
      model.initialize(Initializer::he, rng);
      for (auto& p : model.params())
        for (double& v : p.value<double>()) v += 0.1 * (2 * rng.uniform() - 1);  // non-zero biases too
      const M x = random(8, 4, rng, 2.0);
      const std::vector<int> labels{0, 1, 2, 0, 1, 2, 2, 0};
      model.train_batch(cview(x), labels);
      auto batch_loss = [&] { return loss_value<double>(loss, model.forward(cview(x)), labels); };
      for (auto& p : model.params()) {
        const std::vector<double> g(p.grad<double>().begin(), p.grad<double>().end());
        expect_gradient(p.value<double>().data(), Eigen::Index(p.size()), batch_loss, g.data(),
                        (spec.describe() + " " + p.name()).c_str());
      }
    }
}

}  // namespace
