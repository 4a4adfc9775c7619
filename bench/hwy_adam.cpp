// Adam's element loop written by hand with Google Highway, for one measurement only: is Highway's
// runtime dispatch faster than the library's target_clones + auto-vectorization (kernel.hpp)?
// bench/clones_vs_highway.cpp times both; docs/performance.md records the answer. The library
// does not use this file: its rules stay written once, as scalar math.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "hwy_adam.cpp"
#include "hwy_adam.hpp"

#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace descent_bench::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The same operations in the same order as the driver's loop and rules::Adam::update (no fused
// multiply-add), so the results are bit-identical to the scalar reference.
void AdamLoop(const AdamScalars& k, float* HWY_RESTRICT w, const float* HWY_RESTRICT g, float* HWY_RESTRICT m,
              float* HWY_RESTRICT v, std::size_t n) {
  const hn::ScalableTag<float> d;
  const std::size_t lanes = hn::Lanes(d);
  const auto sign = hn::Set(d, k.sign), l2 = hn::Set(d, k.l2), keep = hn::Set(d, k.keep);
  const auto b1 = hn::Set(d, k.beta1), omb1 = hn::Set(d, k.one_minus_beta1);
  const auto b2 = hn::Set(d, k.beta2), omb2 = hn::Set(d, k.one_minus_beta2);
  const auto lr_hat = hn::Set(d, k.lr_hat), ibc2 = hn::Set(d, k.inv_sqrt_bc2), eps = hn::Set(d, k.eps);
  const auto zero = hn::Zero(d);
  auto body = [&](std::size_t i, auto load, auto store) {
    const auto wi0 = load(w + i);
    const auto gi = hn::Add(hn::Mul(sign, load(g + i)), hn::Mul(l2, wi0));
    const auto wi = hn::Mul(keep, wi0);
    const auto mi = hn::Add(hn::Mul(b1, load(m + i)), hn::Mul(omb1, gi));
    const auto vi = hn::Add(hn::Mul(b2, load(v + i)), hn::Mul(hn::Mul(omb2, gi), gi));
    const auto den = hn::Add(hn::Mul(hn::Sqrt(vi), ibc2), eps);
    const auto q = hn::IfThenZeroElse(hn::Eq(den, zero), hn::Div(mi, den));
    store(m + i, mi);
    store(v + i, vi);
    store(w + i, hn::Sub(wi, hn::Mul(lr_hat, q)));
  };
  std::size_t i = 0;
  for (; i + lanes <= n; i += lanes)
    body(
        i, [&](const float* p) { return hn::LoadU(d, p); }, [&](float* p, auto x) { hn::StoreU(x, d, p); });
  if (i < n) {  // the tail: masked loads and stores of the last partial vector
    const auto live = hn::FirstN(d, n - i);
    body(
        i, [&](const float* p) { return hn::MaskedLoad(live, d, p); },
        [&](float* p, auto x) { hn::BlendedStore(x, live, d, p); });
  }
}

}  // namespace descent_bench::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace descent_bench {
HWY_EXPORT(AdamLoop);
void hwy_adam(const AdamScalars& k, float* w, const float* g, float* m, float* v, std::size_t n) {
  HWY_DYNAMIC_DISPATCH(AdamLoop)(k, w, g, m, v, n);
}
}  // namespace descent_bench
#endif
