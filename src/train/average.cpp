#include "descent/average.hpp"

#include <algorithm>
#include <string>

#include "descent/accumulate.hpp"
#include "descent/options.hpp"

namespace descent {

GradientAccumulation::GradientAccumulation(Optimizer& optimizer, std::int64_t k) : optimizer_(optimizer), k_(k) {
  if (k < 1) throw OptionError("accumulation: steps = " + std::to_string(k) + " is out of range [1, inf)");
}

bool GradientAccumulation::add() {
  if (++count_ < k_) return false;
  count_ = 0;
  for (std::size_t i = 0; i < optimizer_.params().size(); ++i)
    optimizer_.set_grad_scale(i, optimizer_.grad_scale(i) / double(k_));
  return true;
}

WeightAverage::WeightAverage(const std::vector<Param>& params, double decay, bool ema)
    : params_(params), decay_(decay), ema_(ema) {
  if (ema && !(decay >= 0 && decay <= 1))
    throw OptionError("ema: decay = " + format_number(decay) + " is out of range [0, 1]");
  for (const Param& p : params_) {
    const bool f32 = p.dtype() == DType::f32;
    avg32_.emplace_back(f32 ? p.size() : 0);
    avg64_.emplace_back(f32 ? 0 : p.size());
    if (!ema) continue;
    if (f32)
      std::copy_n(p.value<float>().data(), p.size(), avg32_.back().data());
    else
      std::copy_n(p.value<double>().data(), p.size(), avg64_.back().data());
  }
}

WeightAverage WeightAverage::ema(const std::vector<Param>& params, double decay) { return {params, decay, true}; }
WeightAverage WeightAverage::polyak(const std::vector<Param>& params) { return {params, 0.0, false}; }

template <class T>
static void average_into(T* avg, const T* w, std::size_t n, bool ema, double decay, std::int64_t count) {
  if (ema) {
    const T b = T(decay), a = T(1.0 - decay);
    for (std::size_t i = 0; i < n; ++i) avg[i] = b * avg[i] + a * w[i];  // avg ← β·avg + (1−β)·w
  } else if (count == 1) {
    for (std::size_t i = 0; i < n; ++i) avg[i] = w[i];
  } else {
    const T inv = T(count);
    for (std::size_t i = 0; i < n; ++i) avg[i] += (w[i] - avg[i]) / inv;  // avg_n = avg_{n−1} + (w − avg_{n−1})/n
  }
}

void WeightAverage::update() {
  if (swapped_) throw Error("weight average: update() while the average is swapped in; swap() back first");
  ++n_;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Param& p = params_[i];
    if (p.dtype() == DType::f32)
      average_into(avg32_[i].data(), p.value<float>().data(), p.size(), ema_, decay_, n_);
    else
      average_into(avg64_[i].data(), p.value<double>().data(), p.size(), ema_, decay_, n_);
  }
}

template <class T>
static void exchange(T* a, T* b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) std::swap(a[i], b[i]);
}

void WeightAverage::swap() {
  if (!ema_ && n_ == 0) throw Error("weight average: swap() before any update()");
  for (std::size_t i = 0; i < params_.size(); ++i) {
    const Param& p = params_[i];
    if (p.dtype() == DType::f32)
      exchange(avg32_[i].data(), p.value<float>().data(), p.size());
    else
      exchange(avg64_[i].data(), p.value<double>().data(), p.size());
  }
  swapped_ = !swapped_;
}

std::vector<double> WeightAverage::state() const {
  std::vector<double> out{double(n_)};
  for (std::size_t i = 0; i < params_.size(); ++i) {
    out.insert(out.end(), avg32_[i].begin(), avg32_[i].end());
    out.insert(out.end(), avg64_[i].begin(), avg64_[i].end());
  }
  return out;
}

void WeightAverage::restore(const std::vector<double>& state) {
  std::size_t size = 1;
  for (const Param& p : params_) size += p.size();
  if (swapped_) throw Error("weight average: restore() while the average is swapped in");
  if (state.size() != size || !(state[0] >= 0))
    throw Error("weight average: the saved state holds " + std::to_string(state.size()) + " values, expected " +
                std::to_string(size));
  n_ = std::int64_t(state[0]);
  auto at = state.begin() + 1;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    for (float& x : avg32_[i]) x = float(*at++);
    for (double& x : avg64_[i]) x = *at++;
  }
}

}  // namespace descent
