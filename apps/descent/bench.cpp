// descent bench: optimizer step throughput against the machine's own roofline, measured in the
// same run. An optimizer step is a stream over memory (read w, g and the state; write w and the
// state), so the yardstick is a plain fused pass over the very same arrays (detail/roofline.hpp),
// timed alternately with the steps so that both see the same machine load. Its flags and output
// formats are a contract (docs/performance.md, bench/compare_torch.py reads the JSON).
#include <fmt/core.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "commands.hpp"
#include "descent/cpu.hpp"
#include "descent/registry.hpp"
#include "descent/state.hpp"
#include "parse.hpp"
#include "resident.hpp"
#include "roofline/roofline.hpp"

namespace descent::cli {
namespace {

struct BenchArgs {
  std::vector<std::string> optimizers{"all"};
  std::vector<std::string> presets{"gpt2-small"};
  int threads = 0;
  int steps = 10;
  int warmup = 2;
  std::string format = "table";
  std::string nonfinite = "error";  // the library's default: one more read of g per step
  std::string cpu_level = "best";   // or a level to force (descent/cpu.hpp)
  std::string state_dtype = "f32";  // StateOptions (docs/lowbit.md)
  std::string state_rounding = "nearest";
  std::uint64_t state_min_size = StateOptions{}.min_size;
};

struct Tensor {
  std::string name;
  std::size_t size;
};

// GPT-2 small (124,439,808 parameters in 148 tensors), in the order of its state dict.
std::vector<Tensor> gpt2_small() {
  std::vector<Tensor> t{{"wte", 50257 * 768}, {"wpe", 1024 * 768}};
  for (int b = 0; b < 12; ++b) {
    const std::string h = fmt::format("h.{}.", b);
    for (auto [name, size] : {std::pair{"ln_1.weight", 768},
                              {"ln_1.bias", 768},
                              {"attn.c_attn.weight", 2304 * 768},
                              {"attn.c_attn.bias", 2304},
                              {"attn.c_proj.weight", 768 * 768},
                              {"attn.c_proj.bias", 768},
                              {"ln_2.weight", 768},
                              {"ln_2.bias", 768},
                              {"mlp.c_fc.weight", 3072 * 768},
                              {"mlp.c_fc.bias", 3072},
                              {"mlp.c_proj.weight", 768 * 3072},
                              {"mlp.c_proj.bias", 768}})
      t.push_back({h + name, std::size_t(size)});
  }
  t.push_back({"ln_f.weight", 768});
  t.push_back({"ln_f.bias", 768});
  return t;
}

std::vector<Tensor> preset_tensors(const std::string& preset) {
  if (preset == "gpt2-small") return gpt2_small();
  if (preset == "big") return {{"w", std::size_t(1) << 24}};
  std::vector<Tensor> t;  // many-small
  for (int i = 0; i < 10000; ++i) t.push_back({fmt::format("w{}", i), 1000});
  return t;
}

// Deterministic values in [-1, 1) without a generator: the numbers only need to be ordinary
// (no zeros piling up, no denormals) and the same on every run.
float spread(std::size_t i, std::uint32_t salt) {
  const std::uint32_t h = std::uint32_t(i) * 2654435761u ^ salt;
  return float(h >> 8) * 0x1.0p-23f - 1.0f;
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  const std::size_t n = x.size();
  return n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

struct Result {
  std::string optimizer, preset;
  int threads;
  std::size_t params;
  double bytes_per_param;  // read and written by one step (and by the roofline pass)
  double ms_per_step, roofline_ms;
  double fraction;                           // median over the (roofline, step) pairs of roofline time / step time
  std::size_t state_bytes, f32_state_bytes;  // the state as kept, and as float32 state would be
  // The most resident memory the optimizer added, from its construction through the warmup steps
  // (which write every page of its state): its state at its peak. Empty without warmup steps or
  // where the system does not tell.
  std::optional<std::size_t> peak_state_bytes;
  double gbytes_per_s() const { return double(params) * bytes_per_param / (ms_per_step * 1e6); }
  double roofline_gbytes_per_s() const { return double(params) * bytes_per_param / (roofline_ms * 1e6); }
  double params_per_s() const { return double(params) / (ms_per_step * 1e-3); }
  double state_fraction() const { return f32_state_bytes ? double(state_bytes) / double(f32_state_bytes) : 1.0; }
};

// The roofline's arrays: the optimizer's own w, g and float32 slots. A low-bit slot is private
// to the optimizer, so arrays of its stored width and size stand in for it (written here: first
// touch), and the pass moves the same bytes as the step.
struct Yardstick {
  std::vector<descent::bench::Stream> streams;
  std::vector<std::vector<unsigned char>> low;  // bf16 values or q8 codes
  std::vector<std::vector<float>> low_scales;   // q8's
  double bytes = 0;                             // one pass's
};

int kept_slots(const Optimizer& opt) {
  int k = 0;
  for (std::string_view name : opt.slot_names()) k += opt.state(0, name) ? 1 : 0;
  if (k > 3) throw Error(fmt::format("bench: {} keeps more slots than the roofline pass streams", opt.name()));
  return k;
}

Yardstick yardstick(const Optimizer& opt, int slot_count, std::vector<std::vector<float>>& w,
                    const std::vector<std::vector<float>>& g) {
  Yardstick y;
  for (std::size_t i = 0; i < w.size(); ++i) {
    descent::bench::Stream s{w[i].data(), g[i].data(), {}, w[i].size()};
    const StateDType d = opt.state_dtype(i);
    s.width = d == StateDType::q8 ? 1 : d == StateDType::bf16 ? 2 : 4;
    int k = 0;
    for (std::string_view name : opt.slot_names()) {
      if (k == slot_count) break;
      if (d == StateDType::f32) {
        if (SlotView v = opt.state(i, name)) s.slots[k++] = const_cast<void*>(v.data);
        continue;
      }
      y.low.emplace_back(s.n * std::size_t(s.width), 1);
      s.slots[k] = y.low.back().data();
      if (d == StateDType::q8) {
        y.low_scales.emplace_back((slot_bytes(d, DType::f32, s.n) - s.n) / sizeof(float), 1.0f);
        s.scales[k] = y.low_scales.back().data();
      }
      ++k;
    }
    y.bytes += descent::bench::stream_bytes(s, slot_count);
    y.streams.push_back(s);
  }
  return y;
}

Result measure(const std::string& optimizer, const std::string& preset, const BenchArgs& a, const StateOptions& state) {
  const std::vector<Tensor> tensors = preset_tensors(preset);
  // Each tensor in its own allocation, as in a model; written here, before any timing, so the
  // pages are mapped (first touch) by the time the first step runs.
  std::vector<std::vector<float>> w(tensors.size()), g(tensors.size());
  std::vector<Param> params;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    const std::size_t n = tensors[i].size;
    w[i].resize(n);
    g[i].resize(n);
    for (std::size_t j = 0; j < n; ++j) {
      w[i][j] = 0.1f * spread(offset + j, 0x5eed);
      g[i][j] = 0.01f * spread(offset + j, 0x9ead);
    }
    offset += n;
    params.emplace_back(tensors[i].name, std::span<float>(w[i]), std::span<const float>(g[i]));
  }
  const std::optional<std::size_t> before = reset_peak_resident() ? resident_bytes() : std::nullopt;
  auto opt = make_optimizer(optimizer, std::move(params), Convention::pytorch);
  opt->set_threads(a.threads);
  opt->set_nonfinite(parse_nonfinite(a.nonfinite));

  // Which slots the rule keeps is read from its float32 state, before the state options apply
  // (state() of a low-bit slot would decode it).
  const int slot_count = kept_slots(*opt);
  const std::size_t f32_state_bytes = opt->state_bytes();
  for (std::size_t group = 0; group < opt->group_count(); ++group) opt->set_state_options(state, group);
  for (int i = 0; i < a.warmup; ++i) opt->step();
  std::optional<std::size_t> peak_state;
  // The system updates the two counts lazily: a peak read a page short of the start is no growth.
  if (const auto peak = peak_resident_bytes(); before && peak && a.warmup > 0)
    peak_state = *peak > *before ? *peak - *before : 0;
  const Yardstick y = yardstick(*opt, slot_count, w, g);
  const std::vector<descent::bench::Stream>& streams = y.streams;
  // Runtime constants: the compiler cannot fold the pass away.
  volatile float one = 1.0f, zero = 0.0f;
  const float a1 = one, b0 = zero;

  using clock = std::chrono::steady_clock;
  auto ms = [](clock::time_point t0) { return std::chrono::duration<double, std::milli>(clock::now() - t0).count(); };
  for (int i = 0; i < a.warmup; ++i) descent::bench::roofline_pass(streams, slot_count, a.threads, a1, b0);
  std::vector<double> step_ms, roof_ms;
  auto time_roofline = [&] {
    const auto t0 = clock::now();
    descent::bench::roofline_pass(streams, slot_count, a.threads, a1, b0);
    roof_ms.push_back(ms(t0));
  };
  auto time_step = [&] {
    const auto t0 = clock::now();
    opt->step();
    step_ms.push_back(ms(t0));
  };
  for (int i = 0; i < a.steps; ++i) {
    // Alternate which of the pair runs first, so neither always inherits the other's aftermath
    // (caches, dirty lines still being written back).
    if (i % 2 == 0)
      time_roofline(), time_step();
    else
      time_step(), time_roofline();
  }
  // The fraction of the roofline is taken pair by pair: on a shared machine the load drifts
  // between pairs far more than within one.
  std::vector<double> ratio;
  for (int i = 0; i < a.steps; ++i) ratio.push_back(roof_ms[i] / step_ms[i]);
  return {optimizer,
          preset,
          descent::bench::resolve_threads(a.threads),
          offset,
          y.bytes / double(offset),
          median(step_ms),
          median(roof_ms),
          median(ratio),
          opt->state_bytes(),
          f32_state_bytes,
          peak_state};
}

const std::vector<std::string> all_presets{"gpt2-small", "big", "many-small"};

void run_bench(BenchArgs a) {
  std::vector<std::string> names;
  for (const auto& info : optimizers()) names.emplace_back(info.name);
  auto expand = [](std::vector<std::string>& list, const std::vector<std::string>& all, const char* flag) {
    if (std::find(list.begin(), list.end(), "all") != list.end()) list = all;
    for (const auto& x : list)
      if (std::find(all.begin(), all.end(), x) == all.end())
        throw OptionError(fmt::format("--{} '{}' is not one of {}, all", flag, x, fmt::join(all, ", ")));
  };
  expand(a.optimizers, names, "optimizer");
  expand(a.presets, all_presets, "preset");
  if (a.cpu_level != "best") {
    const CpuLevel level = parse_cpu_level(a.cpu_level);  // the flag's check named the choices already
    if (!cpu_supports(level))
      throw OptionError(fmt::format("--cpu-level {}: not supported by this CPU (its best is {})", a.cpu_level,
                                    to_string(best_cpu_level())));
    set_cpu_level(level);
  }
  StateOptions state = parse_state_flags(a.state_dtype, a.state_rounding);
  state.min_size = a.state_min_size;

  std::vector<Result> results;
  const bool table = a.format == "table";
  if (table)
    fmt::print("{:<8} {:<11} {:>7} {:>12} {:>6} {:>8} {:>10} {:>10} {:>8} {:>13} {:>9} {:>10} {:>14}\n", "rule",
               "preset", "threads", "params", "state", "B/param", "ms/step", "Gparams/s", "GB/s", "roofline GB/s",
               "fraction", "state/f32", "peak state MB");
  for (const auto& preset : a.presets)
    for (const auto& optimizer : a.optimizers) {
      Result r = measure(optimizer, preset, a, state);
      if (table)
        fmt::print(
            "{:<8} {:<11} {:>7} {:>12} {:>6} {:>8.3f} {:>10.3f} {:>10.3f} {:>8.1f} {:>13.1f} {:>9.3f} {:>10.4f} "
            "{:>14}\n",
            r.optimizer, r.preset, r.threads, r.params, a.state_dtype, r.bytes_per_param, r.ms_per_step,
            r.params_per_s() / 1e9, r.gbytes_per_s(), r.roofline_gbytes_per_s(), r.fraction, r.state_fraction(),
            r.peak_state_bytes ? fmt::format("{:.1f}", double(*r.peak_state_bytes) / 1e6) : "-");
      std::fflush(stdout);
      results.push_back(r);
    }
  if (table) return;
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const Result& r : results) {
    nlohmann::ordered_json j;
    j["optimizer"] = r.optimizer;
    j["preset"] = r.preset;
    j["threads"] = r.threads;
    j["params"] = r.params;
    j["ms_per_step"] = r.ms_per_step;
    j["gbytes_per_s"] = r.gbytes_per_s();
    j["roofline_gbytes_per_s"] = r.roofline_gbytes_per_s();
    j["fraction_of_roofline"] = r.fraction;
    j["params_per_s"] = r.params_per_s();
    j["nonfinite"] = a.nonfinite;
    j["bytes_per_param"] = r.bytes_per_param;
    j["roofline_ms_per_step"] = r.roofline_ms;
    j["cpu_level"] = to_string(cpu_level());
    j["state_dtype"] = a.state_dtype;
    j["state_rounding"] = a.state_rounding;
    j["state_min_size"] = a.state_min_size;
    j["state_bytes"] = r.state_bytes;
    j["f32_state_bytes"] = r.f32_state_bytes;
    j["state_fraction"] = r.state_fraction();
    j["peak_state_bytes"] = r.peak_state_bytes ? nlohmann::ordered_json(*r.peak_state_bytes) : nullptr;
    out.push_back(j);
  }
  fmt::print("{}\n", out.dump(2));
}

}  // namespace

void add_bench(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Optimizer step throughput against the measured memory roofline");
  cmd->add_option("--optimizer", args->optimizers, "Optimizers to run, comma-separated, or all")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--preset", args->presets,
                  "gpt2-small, big (one tensor of 2^24), many-small (10,000 x 1,000), or all")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Threads (0: OpenMP's default)")->check(CLI::Range(0, 1024));
  cmd->add_option("--steps", args->steps, "Timed steps; the median is reported")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--warmup", args->warmup, "Untimed steps first")->check(CLI::Range(0, 100000))->capture_default_str();
  cmd->add_option("--nonfinite", args->nonfinite,
                  "Gradient check before each step: error (the default), skip, zero, or unchecked (no extra read of g)")
      ->check(CLI::IsMember({"error", "skip", "zero", "unchecked"}))
      ->capture_default_str();
  cmd->add_option("--cpu-level", args->cpu_level,
                  "CPU level of the kernels and the roofline: best (this CPU's), baseline, x86-64-v2, x86-64-v3 or "
                  "x86-64-v4")
      ->check(CLI::IsMember({"best", "baseline", "x86-64-v2", "x86-64-v3", "x86-64-v4"}))
      ->capture_default_str();
  add_named(cmd, "--state-dtype", args->state_dtype, parse_state_dtype,
            "State storage: f32, bf16 or q8 (docs/lowbit.md)");
  add_named(cmd, "--state-rounding", args->state_rounding, parse_rounding,
            "bf16 and q8 state's rounding: nearest or stochastic");
  add_unsigned(cmd, "--state-min-size", args->state_min_size, std::numeric_limits<std::uint64_t>::max(),
               "Tensors with fewer values keep f32 state");
  cmd->add_option("--format", args->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->callback([args] { run_bench(*args); });
}

}  // namespace descent::cli
