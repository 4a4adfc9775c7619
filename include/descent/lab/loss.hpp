#pragma once
// Losses of a classifier against integer labels, each returning the batch's loss and writing
// its gradient with respect to the model's output.
//   mse:           L = mean over the batch and the classes of (y − onehot)², as the tutorial's
//                  tf.reduce_mean(tf.square(y_ − y)) on softmax outputs: dL/dy = 2(y − onehot)/(n·k).
//   cross_entropy: on logits z, L = mean over the batch of log Σ_j e^{z_j} − z_label (computed
//                  with the row's max subtracted): dL/dz = (softmax(z) − onehot)/n.
#include <span>
#include <string_view>

#include "descent/lab/layers.hpp"

namespace descent::lab {

enum class Loss { mse, cross_entropy };
Loss parse_loss(std::string_view name);  // "mse" or "ce" (also "cross_entropy")
const char* to_string(Loss l);           // "mse", "ce"

template <class T>
T loss_and_grad(Loss loss, ConstView<T> out, std::span<const int> labels, View<T> grad);
template <class T>
T loss_value(Loss loss, ConstView<T> out, std::span<const int> labels);

}  // namespace descent::lab
