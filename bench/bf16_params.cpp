// Adam over bfloat16 parameters against float32 parameters (docs/lowbit.md, "bf16 parameters"):
// one tensor per configuration, the steps of all configurations interleaved (paired runs, so a
// busy memory bus slows them alike), each configuration's median step time and its bytes moved.
//   build/bench/descent_bench_bf16_params [values = 2^24] [repeats = 11] [threads = 2]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "descent/descent.hpp"

namespace {

struct Config {
  const char* label;
  bool bf16;
  descent::StateOptions state;
  double bytes;  // moved per parameter per step: weights read and written, gradient, state
};

descent::StateOptions state(descent::StateDType d, bool master = false) {
  descent::StateOptions o{d, descent::Rounding::nearest, 0, 4096};
  o.master_weights = master;
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::stoul(argv[1]) : std::size_t(1) << 24;
  const int repeats = argc > 2 ? std::stoi(argv[2]) : 11;
  const int threads = argc > 3 ? std::stoi(argv[3]) : 2;
  using descent::StateDType;
  const Config configs[] = {
      {"float32 params, f32 state", false, state(StateDType::f32), 4 + 4 + 4 + 16},
      {"bf16 params, f32 state", true, state(StateDType::f32), 2 + 2 + 2 + 16},
      {"bf16 params, f32 state, master", true, state(StateDType::f32, true), 2 + 2 + 2 + 16 + 8},
      {"bf16 params, bf16 state", true, state(StateDType::bf16), 2 + 2 + 2 + 8},
      {"float32 params, bf16 state", false, state(StateDType::bf16), 4 + 4 + 4 + 8},
  };
  std::vector<std::vector<float>> w32, g32;
  std::vector<std::vector<descent::bf16>> w16, g16;
  std::vector<std::unique_ptr<descent::Optimizer>> opts;
  for (const Config& c : configs) {
    std::vector<descent::Param> params;
    if (c.bf16) {
      w16.emplace_back(n, descent::bf16(0.5f));
      g16.emplace_back(n, descent::bf16(0.01f));
      params.emplace_back("w", w16.back(), g16.back());
    } else {
      w32.emplace_back(n, 0.5f);
      g32.emplace_back(n, 0.01f);
      params.emplace_back("w", w32.back(), g32.back());
    }
    opts.push_back(descent::make_optimizer("adam", std::move(params)));
    opts.back()->set_state_options(c.state);
    opts.back()->set_threads(threads);
    opts.back()->set_nonfinite(descent::NonFinite::unchecked);  // the step's own traffic only
    opts.back()->step();                                        // the state's pages are mapped
  }
  std::vector<std::vector<double>> seconds(opts.size());
  for (int r = 0; r < repeats; ++r)
    for (std::size_t i = 0; i < opts.size(); ++i) {
      const auto start = std::chrono::steady_clock::now();
      opts[i]->step();
      seconds[i].push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
  std::printf("adam, %zu values, %d threads, median of %d paired steps\n", n, threads, repeats);
  double first = 0;
  for (std::size_t i = 0; i < opts.size(); ++i) {
    std::sort(seconds[i].begin(), seconds[i].end());
    const double median = seconds[i][seconds[i].size() / 2];
    if (i == 0) first = median;
    std::printf("%-32s %5.1f B/param  %8.2f ms  %6.2f GB/s  time %.2fx float32's\n", configs[i].label, configs[i].bytes,
                median * 1e3, configs[i].bytes * double(n) / median / 1e9, median / first);
  }
  return 0;
}
