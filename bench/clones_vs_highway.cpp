// Per-CPU-level compilation + auto-vectorization (the library's way, kernel.hpp; once called target_clones) against the
// same Adam loop written by hand in Highway (hwy_adam.cpp), one thread, float, unaligned-by-4 start so neither gets
// aligned loads for free. Sizes from in-L1 to DRAM; before timing, both are checked to give the scalar reference's
// bits.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "descent/detail/kernel.hpp"
#include "descent/rules/adam.hpp"
#include "hwy_adam.hpp"

namespace {

using descent::rules::Adam;
constexpr descent::rules::Slots mv = descent::rules::slots_of({Adam::m, Adam::v});

struct Arrays {
  std::vector<float> w, g, m, v;
  explicit Arrays(std::size_t n) : w(n + 1), g(n + 1), m(n + 1), v(n + 1) {
    for (std::size_t i = 0; i <= n; ++i) {
      w[i] = 0.1f * float(int(i % 2001) - 1000) / 1000.0f;
      g[i] = 0.01f * float(int(i * 7 % 1999) - 999) / 999.0f;
    }
  }
};

const descent::rules::Prelude<float> prelude{};
const Adam::Step<float> step = Adam::prepare<float>(descent::AdamOptions{}, 3, 1e-3);
const descent_bench::AdamScalars scalars{prelude.sign,         prelude.l2, prelude.keep,         step.beta1,
                                         step.one_minus_beta1, step.beta2, step.one_minus_beta2, step.lr_hat,
                                         step.inv_sqrt_bc2,    step.eps};

void clones(Arrays& a, std::size_t n) {
  float* s[2] = {a.m.data() + 1, a.v.data() + 1};
  descent::detail::fast<Adam, mv, true, float>(prelude, step, a.w.data() + 1, a.g.data() + 1, s, n);
}
void highway(Arrays& a, std::size_t n) {
  descent_bench::hwy_adam(scalars, a.w.data() + 1, a.g.data() + 1, a.m.data() + 1, a.v.data() + 1, n);
}

// Three steps of `f` against three of the scalar reference, bit for bit.
template <class F>
bool agrees(F f) {
  const std::size_t n = 1003;
  Arrays a(n), r(n);
  for (int t = 0; t < 3; ++t) {
    f(a, n);
    float* s[2] = {r.m.data() + 1, r.v.data() + 1};
    descent::detail::reference<Adam, mv, true, float>(prelude, step, r.w.data() + 1, r.g.data() + 1, s, n);
  }
  return std::memcmp(a.w.data(), r.w.data(), (n + 1) * sizeof(float)) == 0 &&
         std::memcmp(a.v.data(), r.v.data(), (n + 1) * sizeof(float)) == 0 &&
         std::memcmp(a.m.data(), r.m.data(), (n + 1) * sizeof(float)) == 0;
}

template <void (*F)(Arrays&, std::size_t)>
void run(benchmark::State& state) {
  if (!agrees(F)) {
    state.SkipWithError("differs from the scalar reference");
    return;
  }
  const std::size_t n = std::size_t(state.range(0));
  Arrays a(n);
  for (auto _ : state) {
    F(a, n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(std::int64_t(state.iterations() * n * 28));
  state.SetItemsProcessed(std::int64_t(state.iterations() * n));
}

void sizes(benchmark::internal::Benchmark* b) { b->Arg(1000)->Arg(4000)->Arg(30000)->Arg(300000)->Arg(10'000'000); }

}  // namespace

BENCHMARK(run<clones>)->Name("adam/target_clones")->Apply(sizes);
BENCHMARK(run<highway>)->Name("adam/highway")->Apply(sizes);

BENCHMARK_MAIN();
