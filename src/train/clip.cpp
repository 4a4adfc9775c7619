#include "descent/clip.hpp"

#include <cmath>
#include <string>

#include "descent/detail/grad_squares.hpp"
#include "descent/detail/reduce.hpp"
#include "descent/options.hpp"

namespace descent {

std::vector<double> detail::grad_squares(const Optimizer& optimizer) {
  const auto& params = optimizer.params();
  std::vector<std::size_t> offsets{0};
  for (const Param& p : params) offsets.push_back(offsets.back() + p.size());
  auto body = [](void* self, std::size_t param, std::size_t begin, std::size_t end, double* out) {
    const Param& p = (*static_cast<const std::vector<Param>*>(self))[param];
    *out = p.dtype() == DType::f32    ? detail::sum_squares(p.grad<float>().data() + begin, end - begin)
           : p.dtype() == DType::bf16 ? detail::sum_squares(p.grad<bf16>().data() + begin, end - begin)
                                      : detail::sum_squares(p.grad<double>().data() + begin, end - begin);
  };
  return detail::sum_chunks(offsets, optimizer.threads(), 1, body, const_cast<std::vector<Param>*>(&params));
}

std::vector<double> grad_norms(const Optimizer& optimizer) {
  std::vector<double> norms = detail::grad_squares(optimizer);
  for (std::size_t i = 0; i < norms.size(); ++i) norms[i] = std::sqrt(norms[i]) * std::abs(optimizer.grad_scale(i));
  return norms;
}

double global_grad_norm(const Optimizer& optimizer) {
  double s = 0;
  for (double n : grad_norms(optimizer)) s += n * n;
  return std::sqrt(s);
}

static void check_max_norm(double max_norm) {
  if (!(max_norm > 0)) throw OptionError("clip: max_norm = " + format_number(max_norm) + " is out of range (0, inf)");
}

double clip_grad_norm(Optimizer& optimizer, double max_norm, bool error_if_nonfinite) {
  check_max_norm(max_norm);
  const double norm = global_grad_norm(optimizer);
  if (error_if_nonfinite && !std::isfinite(norm))
    throw Error("clip: the total norm of the gradients is " + format_number(norm));
  const double coef = std::min(1.0, max_norm / (norm + 1e-6));
  for (std::size_t i = 0; i < optimizer.params().size(); ++i)
    optimizer.set_grad_scale(i, optimizer.grad_scale(i) * coef);
  return norm;
}

std::vector<double> clip_grad_norm_per_tensor(Optimizer& optimizer, double max_norm) {
  check_max_norm(max_norm);
  const std::vector<double> norms = grad_norms(optimizer);
  for (std::size_t i = 0; i < norms.size(); ++i)
    optimizer.set_grad_scale(i, optimizer.grad_scale(i) * std::min(1.0, max_norm / (norms[i] + 1e-6)));
  return norms;
}

void clip_grad_value(const std::vector<Param>& params, double clip) {
  if (!(clip >= 0)) throw OptionError("clip: clip_value = " + format_number(clip) + " is out of range [0, inf)");
  for (const Param& p : params) {
    // The documented precondition: the caller's gradient memory is writable.
    if (p.dtype() == DType::f32) {
      auto g = p.grad<float>();
      clip_grad_value(std::span<float>(const_cast<float*>(g.data()), g.size()), clip);
    } else if (p.dtype() == DType::bf16) {
      // Clamped in float32 to the bf16 nearest to ±clip (within half an ulp of it).
      auto* g = const_cast<bf16*>(p.grad<bf16>().data());
      const bf16 hi{float(clip)}, lo{-float(clip)};
      for (std::size_t i = 0; i < p.size(); ++i) {
        const float x = float(g[i]);
        g[i] = x > float(hi) ? hi : (x < float(lo) ? lo : g[i]);
      }
    } else {
      auto g = p.grad<double>();
      clip_grad_value(std::span<double>(const_cast<double*>(g.data()), g.size()), clip);
    }
  }
}

}  // namespace descent
