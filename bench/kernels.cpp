// Google Benchmark suite for the optimizer steps: every rule (and Adam with bf16 and q8 state) on
// one float tensor of 1e3 to 1e8 values, next to the roofline pass over the same arrays
// (detail/roofline.hpp). Threads follow OMP_NUM_THREADS. Not run by ctest: speed is measured
// here, never asserted.
//   build/bench/descent_bench_kernels --benchmark_filter=adam
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "descent/registry.hpp"
#include "descent/state.hpp"
#include "roofline/roofline.hpp"

namespace {

struct Setup {
  std::vector<float> w, g;
  std::unique_ptr<descent::Optimizer> opt;
  std::vector<descent::bench::Stream> streams;
  int slots = 0;

  Setup(const std::string& rule, std::size_t n) : w(n), g(n) {
    for (std::size_t i = 0; i < n; ++i) {  // ordinary values, written once: the pages are mapped
      w[i] = 0.1f * float(int(i % 2001) - 1000) / 1000.0f;
      g[i] = 0.01f * float(int(i * 7 % 1999) - 999) / 999.0f;
    }
    opt = descent::make_optimizer(rule, {descent::Param("w", std::span(w), std::span<const float>(g))});
    descent::bench::Stream s{w.data(), g.data(), {}, n};
    for (std::string_view name : opt->slot_names())
      if (descent::SlotView v = opt->state(0, name)) s.slots[slots++] = static_cast<float*>(const_cast<void*>(v.data));
    streams.push_back(s);
  }
  double bytes_per_step() const { return double(w.size()) * sizeof(float) * (3 + 2 * slots); }
};

void step(benchmark::State& state, const std::string& rule) {
  Setup s(rule, std::size_t(state.range(0)));
  for (auto _ : state) s.opt->step();
  state.SetBytesProcessed(std::int64_t(state.iterations() * s.bytes_per_step()));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The step with low-bit state on the whole tensor (docs/lowbit.md): bytes are w, g and the state
// as stored, each read and written (g only read).
void step_state(benchmark::State& state, const std::string& rule, descent::StateDType dtype,
                descent::Rounding rounding) {
  Setup s(rule, std::size_t(state.range(0)));
  s.opt->set_state_options({dtype, rounding, 0, 0});
  const double bytes = double(s.w.size()) * 3 * sizeof(float) + 2 * double(s.opt->state_bytes());
  for (auto _ : state) s.opt->step();
  state.SetBytesProcessed(std::int64_t(double(state.iterations()) * bytes));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void roofline(benchmark::State& state, const std::string& rule) {
  Setup s(rule, std::size_t(state.range(0)));
  volatile float one = 1.0f, zero = 0.0f;  // runtime constants: x = 1·x + 0·g keeps the values
  for (auto _ : state) descent::bench::roofline_pass(s.streams, s.slots, 0, one, zero);
  state.SetBytesProcessed(std::int64_t(state.iterations() * s.bytes_per_step()));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void sizes(benchmark::internal::Benchmark* b) { b->RangeMultiplier(10)->Range(1000, 100'000'000)->UseRealTime(); }

}  // namespace

BENCHMARK_CAPTURE(step, sgd, "sgd")->Apply(sizes);
BENCHMARK_CAPTURE(step, sgdm, "sgdm")->Apply(sizes);
BENCHMARK_CAPTURE(step, adagrad, "adagrad")->Apply(sizes);
BENCHMARK_CAPTURE(step, rmsprop, "rmsprop")->Apply(sizes);
BENCHMARK_CAPTURE(step, adam, "adam")->Apply(sizes);
BENCHMARK_CAPTURE(step_state, adam_bf16, "adam", descent::StateDType::bf16, descent::Rounding::nearest)->Apply(sizes);
BENCHMARK_CAPTURE(step_state, adam_bf16_stochastic, "adam", descent::StateDType::bf16, descent::Rounding::stochastic)
    ->Apply(sizes);
BENCHMARK_CAPTURE(step_state, adam_q8, "adam", descent::StateDType::q8, descent::Rounding::nearest)->Apply(sizes);
BENCHMARK_CAPTURE(roofline, sgd, "sgd")->Apply(sizes);
BENCHMARK_CAPTURE(roofline, sgdm, "sgdm")->Apply(sizes);
BENCHMARK_CAPTURE(roofline, adam, "adam")->Apply(sizes);

BENCHMARK_MAIN();
