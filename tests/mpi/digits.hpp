#pragma once
// The lab's digits MLP (64 → 64 relu → 10, cross-entropy, He initialization) on the first 384
// samples of data/digits.csv, trained with a global batch of 96 samples: the model, its
// batches and the one-process runs the distributed runs are compared with.
#include <cstring>
#include <string>
#include <vector>

#include "descent/descent.hpp"
#include "descent/lab/dataset.hpp"
#include "descent/lab/model.hpp"
#include "descent/lab/train.hpp"

namespace descent::test {

inline constexpr Eigen::Index samples = 384, global_batch = 96;
inline constexpr int total_pieces = 12;  // micro-batches of 8; any rank count in 1..4 divides 12

inline const lab::Data<double>& digits_data() {
  static const lab::Data<double> data = [] {
    lab::Dataset d = lab::digits();
    lab::Data<double> out{d.x.topRows(samples) / 16.0, std::vector<int>(d.y.begin(), d.y.begin() + samples)};
    return out;
  }();
  return data;
}

inline lab::ModelSpec digits_spec() {
  lab::ModelSpec s;
  s.inputs = 64;
  s.classes = 10;
  s.hidden = {64};
  s.activation = lab::Activation::relu;
  s.loss = lab::Loss::cross_entropy;
  return s;
}

struct DigitsModel {
  lab::Model<double> model{digits_spec(), global_batch};
  DigitsModel() {
    lab::Rng rng(7);
    model.initialize(lab::Initializer::he, rng);
  }
  // Forward and backward on `rows` samples of step `step`'s batch from `first`: the gradients
  // land in the model's gradient memory (the mean over those samples).
  void gradient(int step, Eigen::Index first, Eigen::Index rows) {
    const auto& d = digits_data();
    const Eigen::Index begin = (step % (samples / global_batch)) * global_batch + first;
    model.train_batch(lab::ConstView<double>(d.x.data() + begin * 64, rows, 64),
                      std::span<const int>(d.y).subspan(std::size_t(begin), std::size_t(rows)));
  }
  std::vector<double> weights() {
    std::vector<double> w;
    for (const Param& p : model.params()) w.insert(w.end(), p.value<double>().begin(), p.value<double>().end());
    return w;
  }
};

inline std::vector<std::pair<std::string, std::string>> overrides(const std::string& optimizer) {
  if (optimizer == "sgdm") return {{"lr", "0.05"}, {"momentum", "0.9"}};
  return {{"lr", "0.01"}};
}

inline std::unique_ptr<Optimizer> make(const std::string& optimizer, std::vector<Param> params) {
  return make_optimizer(optimizer, std::move(params), Convention::pytorch, overrides(optimizer));
}

// One process, the global batch as total_pieces micro-batches whose gradients are added in
// order (GradientAccumulation), `steps` steps from step `from` (after `resume`, if given),
// clipped by the global norm `clip` if > 0 (the norms before clipping go to `norms`).
inline std::vector<double> one_process_pieces(const std::string& optimizer, int from, int steps,
                                              const Checkpoint* resume = nullptr, double clip = 0,
                                              std::vector<double>* norms = nullptr) {
  DigitsModel m;
  std::vector<std::vector<double>> acc;
  std::vector<Param> params;
  for (const Param& p : m.model.params()) {
    acc.emplace_back(p.size(), 0.0);
    params.emplace_back(p.name(), p.value<double>(), std::span<const double>(acc.back()), p.shape());
  }
  auto opt = make(optimizer, params);
  if (resume) resume->restore_training(*opt);
  GradientAccumulation accumulate(*opt, total_pieces);
  const Eigen::Index micro = global_batch / total_pieces;
  for (int s = from; s < from + steps; ++s) {
    for (auto& a : acc) std::fill(a.begin(), a.end(), 0.0);
    for (int q = 0; q < total_pieces; ++q) {
      m.gradient(s, q * micro, micro);
      const std::vector<Param> model_params = m.model.params();
      for (std::size_t i = 0; i < acc.size(); ++i)
        for (std::size_t e = 0; e < acc[i].size(); ++e) acc[i][e] += model_params[i].grad<double>()[e];
      accumulate.add();
    }
    if (clip > 0) {
      const double norm = clip_grad_norm(*opt, clip);
      if (norms) norms->push_back(norm);
    }
    opt->step();
  }
  return m.weights();
}

// One process as the lab trains: the whole global batch in one forward/backward per step.
inline std::vector<double> one_process_batch(const std::string& optimizer, int steps) {
  DigitsModel m;
  auto opt = make(optimizer, m.model.params());
  for (int s = 0; s < steps; ++s) {
    m.gradient(s, 0, global_batch);
    opt->step();
  }
  return m.weights();
}

}  // namespace descent::test
