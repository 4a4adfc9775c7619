// An outside project's own update rule, run by descent's driver: AdaBelief (Zhuang et al. 2020),
// declared the way descent's rules are (descent/rules/rule.hpp) and instantiated here through
// descent/detail/driver.hpp. Checked against values worked out by hand, and its fast kernels
// (every CPU level this machine has, 1 to 4 threads) against its own scalar reference path,
// bit for bit, in float and double. Compiled with descent::kernel_flags, as such a file must be.
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <descent/cpu.hpp>
#include <descent/detail/driver.hpp>
#include <descent/detail/threads.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace my {

struct AdaBeliefOptions : descent::Common, descent::Moments {
  template <class F>
  void fields(F&& f) {
    Common::fields(f);
    Moments::fields(f);
  }
};

// AdaBelief: Adam whose second moment tracks the gradient's deviation from its mean.
//   m_t = β1·m_{t−1} + (1−β1)·g_t
//   s_t = β2·s_{t−1} + (1−β2)·(g_t − m_t)² + ε
//   w_{t+1} = w_t − lr·m̂_t/(√ŝ_t + ε),  m̂_t = m_t/(1−β1^t),  ŝ_t = s_t/(1−β2^t)
struct AdaBelief {
  static constexpr std::string_view name = "adabelief";
  enum Slot { m, s };
  static constexpr std::array<std::string_view, 2> slot_names{"m", "s"};
  using Options = AdaBeliefOptions;

  static constexpr std::array<descent::rules::Slots, 1> variants{descent::rules::slots_of({m, s})};
  static descent::rules::Slots slots(const Options&) { return variants[0]; }

  template <class T>
  struct Step {
    T beta1, one_minus_beta1, beta2, one_minus_beta2, eps;
    T lr_hat;        // lr/(1−β1^t): m̂'s correction folded into the rate
    T inv_sqrt_bc2;  // 1/√(1−β2^t): √ŝ = √s·inv_sqrt_bc2
  };

  template <class T>
  static Step<T> prepare(const Options& o, std::int64_t t, double lr) {
    const double bc1 = 1 - std::pow(o.beta1, double(t)), bc2 = 1 - std::pow(o.beta2, double(t));
    return {T(o.beta1), T(1 - o.beta1), T(o.beta2), T(1 - o.beta2), T(o.eps), T(lr / bc1), T(1 / std::sqrt(bc2))};
  }

  template <descent::rules::Slots S, class T>
  static void update(const Step<T>& k, T& w, T g, T& m, T& s) {
    m = k.beta1 * m + k.one_minus_beta1 * g;                      // m_t
    const T d = g - m;                                            // g_t − m_t
    s = k.beta2 * s + k.one_minus_beta2 * d * d + k.eps;          // s_t
    w -= k.lr_hat * m / (std::sqrt(s) * k.inv_sqrt_bc2 + k.eps);  // w − lr·m̂/(√ŝ + ε)
  }
};

}  // namespace my

template class descent::RuleOptimizer<my::AdaBelief>;
using AdaBelief = descent::RuleOptimizer<my::AdaBelief>;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: %s\n", ok ? "ok" : "FAILED", what.c_str());
  failures += !ok;
}

// Two steps on one weight (lr 0.1, β1 0.9, β2 0.999, ε 1e-8), by hand:
//   g_1 = 0.5:   m = 0.05, s = 0.001·0.45² + 1e-8 = 0.00020251, m̂ = 0.5, ŝ = 0.20251,
//                w = 1 − 0.1·0.5/(√0.20251 + 1e-8) = 0.888891634740521
//   g_2 = −0.25: m = 0.045 − 0.025 = 0.02, s = 0.999·0.00020251 + 0.001·0.27² + 1e-8
//                = 0.00027521749, m̂ = 0.02/0.19, ŝ = 0.00027521749/0.001999,
//                w = 0.888891634740521 − 0.1·m̂/(√ŝ + 1e-8) = 0.860522586539444
void by_hand() {
  std::vector<double> w{1.0}, g{0.5};
  my::AdaBeliefOptions o;
  o.lr = 0.1;
  AdaBelief opt({descent::Param("w", w, g)}, o);
  opt.step();
  check(std::abs(w[0] - 0.888891634740521) < 1e-14, "step 1 by hand: w = " + std::to_string(w[0]));
  check(std::abs(opt.state(0, "s").as<double>()[0] - 0.00020251) < 1e-18, "step 1 by hand: s");
  g[0] = -0.25;
  opt.step();
  check(std::abs(w[0] - 0.860522586539444) < 1e-14, "step 2 by hand: w = " + std::to_string(w[0]));
  check(std::abs(opt.state(0, "m").as<double>()[0] - 0.02) < 1e-16, "step 2 by hand: m");
}

// Five steps over a tensor that starts 3 elements into its buffer; the same bits in w, m and s.
template <class T>
bool fast_matches_reference(int threads) {
  const std::size_t n = 140001, offset = 3;  // > 4·2^15: four threads get a share each
  std::vector<T> w_fast(n + offset), w_ref, g(n + offset);
  std::mt19937_64 rng(7);
  for (T& x : w_fast) x = T(double(rng() >> 11) * 0x1.0p-53 - 0.5);
  w_ref = w_fast;
  const std::vector<T> w0 = w_fast;
  auto view = [&](std::vector<T>& v) { return std::span<T>(v).subspan(offset); };
  AdaBelief fast({descent::Param("w", view(w_fast), std::span<const T>(g).subspan(offset))});
  AdaBelief ref({descent::Param("w", view(w_ref), std::span<const T>(g).subspan(offset))});
  fast.set_threads(threads);
  ref.set_reference(true);
  for (int t = 0; t < 5; ++t) {
    for (T& x : g) x = rng() % 9 == 0 ? T(0) : T(double(rng() >> 11) * 0x1.0p-53 * 2 - 1);
    fast.step();
    if (descent::detail::last_pass_threads() != threads) return false;
    ref.step();
  }
  bool same = std::memcmp(w_fast.data(), w_ref.data(), w_fast.size() * sizeof(T)) == 0 && w_fast != w0;
  for (std::string_view slot : my::AdaBelief::slot_names) {
    const auto a = fast.state(0, slot).template as<T>(), b = ref.state(0, slot).template as<T>();
    same = same && std::memcmp(a.data(), b.data(), a.size_bytes()) == 0;
  }
  return same;
}

}  // namespace

int main() {
  by_hand();
  for (descent::CpuLevel level : descent::cpu_levels()) {
    if (!descent::cpu_supports(level)) continue;
    descent::set_cpu_level(level);
    for (int threads = 1; threads <= 4; ++threads) {
      const std::string at = std::string(descent::to_string(level)) + ", " + std::to_string(threads) + " threads";
      check(fast_matches_reference<float>(threads), "float fast path = reference, " + at);
      check(fast_matches_reference<double>(threads), "double fast path = reference, " + at);
    }
  }
  return failures == 0 ? 0 : 1;
}
