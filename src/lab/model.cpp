#include "descent/lab/model.hpp"

#include "descent/error.hpp"

namespace descent::lab {

std::string ModelSpec::describe() const {
  std::string s;
  Eigen::Index in = inputs;
  for (Eigen::Index h : hidden) {
    s += "dense " + std::to_string(in) + "->" + std::to_string(h) + " + " + to_string(activation) + ", ";
    in = h;
  }
  s += "dense " + std::to_string(in) + "->" + std::to_string(classes);
  if (loss == Loss::mse) s += " + softmax";
  return s;
}

template <class T>
Model<T>::Model(const ModelSpec& spec, Eigen::Index max_batch) : spec_(spec), max_batch_(max_batch) {
  if (max_batch < 1) throw Error("batch size must be at least 1");
  if (spec.inputs < 1 || spec.classes < 2) throw Error("a model needs at least one input and two classes");
  Eigen::Index in = spec.inputs;
  int dense = 0;
  auto add = [&](std::unique_ptr<Layer<T>> layer) {
    const Eigen::Index out = layer->outputs(in);
    layers_.push_back(std::move(layer));
    out_.emplace_back(Matrix<T>::Zero(max_batch, out));
    grad_.emplace_back(Matrix<T>::Zero(max_batch, out));
    in = out;
  };
  for (Eigen::Index h : spec.hidden) {
    if (h < 1) throw Error("hidden layer widths must be at least 1");
    add(std::make_unique<Dense<T>>("dense" + std::to_string(++dense), in, h));
    add(std::make_unique<Elementwise<T>>(spec.activation));
  }
  add(std::make_unique<Dense<T>>("dense" + std::to_string(++dense), in, spec.classes));
  if (spec.loss == Loss::mse) add(std::make_unique<Softmax<T>>());
}

template <class T>
void Model<T>::initialize(Initializer init, Rng& rng) {
  for (auto& layer : layers_) layer->initialize(init, rng);
}

template <class T>
std::vector<Param> Model<T>::params() {
  std::vector<Param> all;
  for (auto& layer : layers_)
    for (Param& p : layer->params()) all.push_back(std::move(p));
  return all;
}

template <class T>
ConstView<T> Model<T>::forward(ConstView<T> x) {
  const Eigen::Index n = x.rows();
  ConstView<T> in = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    View<T> out(out_[i].data(), n, out_[i].cols());
    layers_[i]->forward(in, out);
    new (&in) ConstView<T>(out.data(), n, out.cols());  // Eigen's way to re-seat a Map
  }
  return in;
}

template <class T>
T Model<T>::train_batch(ConstView<T> x, std::span<const int> labels) {
  const Eigen::Index n = x.rows();
  const ConstView<T> y = forward(x);
  const std::size_t last = layers_.size() - 1;
  const T loss = loss_and_grad<T>(spec_.loss, y, labels, View<T>(grad_[last].data(), n, grad_[last].cols()));
  for (std::size_t i = last + 1; i-- > 0;) {
    const ConstView<T> in = i == 0 ? x : ConstView<T>(out_[i - 1].data(), n, out_[i - 1].cols());
    const ConstView<T> out(out_[i].data(), n, out_[i].cols());
    const ConstView<T> dout(grad_[i].data(), n, grad_[i].cols());
    // The first layer's dL/dx is never needed: that saves a product per step.
    View<T> din(i == 0 ? nullptr : grad_[i - 1].data(), n, i == 0 ? 0 : grad_[i - 1].cols());
    layers_[i]->backward(in, out, dout, din, i != 0);
  }
  return loss;
}

template <class T>
Eigen::Index Model<T>::correct(ConstView<T> x, std::span<const int> labels) {
  Eigen::Index hits = 0;
  for (Eigen::Index begin = 0; begin < x.rows(); begin += max_batch_) {
    const Eigen::Index n = std::min(max_batch_, x.rows() - begin);
    const ConstView<T> y = forward(ConstView<T>(x.data() + begin * x.cols(), n, x.cols()));
    for (Eigen::Index i = 0; i < n; ++i) {
      Eigen::Index best = 0;  // the first largest output, as argmax
      for (Eigen::Index j = 1; j < y.cols(); ++j)
        if (y(i, j) > y(i, best)) best = j;
      hits += best == labels[std::size_t(begin + i)];
    }
  }
  return hits;
}

template class Model<float>;
template class Model<double>;

}  // namespace descent::lab
