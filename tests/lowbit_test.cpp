// Low-bit optimizer state (docs/lowbit.md): the codecs and one quantized Adam step against the
// NumPy goldens (tests/golden/lowbit/generate.py, written from the formats' definitions), the
// fast kernels against the scalar reference for every rule, storage and thread count, resume
// from a checkpoint, stochastic rounding's bias, the state's memory, and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "cpu_levels.hpp"
#include "descent/checkpoint.hpp"
#include "descent/cpu.hpp"
#include "descent/descent.hpp"
#include "descent/detail/lowbit_kernel.hpp"

namespace {

using descent::Convention;
using descent::OptimizerState;
using descent::Param;
using descent::Rounding;
using descent::StateDType;
using descent::StateOptions;
using json = nlohmann::json;

const json& golden() {
  static const json j = [] {
    std::ifstream in(std::string(DESCENT_GOLDEN_DIR) + "/lowbit/lowbit.json");
    return json::parse(in);
  }();
  return j;
}

float from_bits(std::uint32_t b) { return std::bit_cast<float>(b); }
std::uint32_t to_bits(float x) { return std::bit_cast<std::uint32_t>(x); }

std::vector<float> floats(const json& bits) {
  std::vector<float> out;
  for (const auto& b : bits) out.push_back(from_bits(b.get<std::uint32_t>()));
  return out;
}

// ---- the codecs against NumPy ----------------------------------------------------------------

TEST(LowbitGolden, Bf16RoundsToNearestEven) {
  const json& g = golden()["bf16"];
  ASSERT_GT(g["x_bits"].size(), 200u);
  for (std::size_t i = 0; i < g["x_bits"].size(); ++i) {
    const float x = from_bits(g["x_bits"][i].get<std::uint32_t>());
    EXPECT_EQ(descent::detail::bf16_nearest(x), g["nearest"][i].get<std::uint16_t>()) << "x = " << x;
  }
}

TEST(LowbitGolden, Q8MapsDecodeToTheirFormulas) {
  for (const bool is_signed : {true, false}) {
    const json& map = golden()["q8_maps"][is_signed ? "signed" : "unsigned"];
    EXPECT_EQ(map.size(), is_signed ? 242u : 249u);  // 0 and 120 magnitudes per sign; 0 and 248 values
    for (const auto& [code, value] : map.items()) {
      const auto c = std::uint8_t(std::stoi(code));
      const float got = is_signed ? descent::detail::q8_decode<true>(c) : descent::detail::q8_decode<false>(c);
      EXPECT_EQ(got, float(value.get<double>())) << "code " << code;
    }
  }
}

// A map's non-negative values and their codes, by value, from the golden (NumPy's formulas).
struct Map {
  std::vector<double> value;
  std::vector<int> code;
};
Map map_of(bool is_signed) {
  std::vector<std::pair<double, int>> pairs;
  for (const auto& [code, value] : golden()["q8_maps"][is_signed ? "signed" : "unsigned"].items())
    if (const int c = std::stoi(code); !(is_signed && c & 0x80)) pairs.emplace_back(value.get<double>(), c);
  std::sort(pairs.begin(), pairs.end());
  Map m;
  for (const auto& [v, c] : pairs) m.value.push_back(v), m.code.push_back(c);
  return m;
}

// The sweep of the encoder tests: one float32 in 127 of [0, 2] and of its negatives (8 million per
// sign and map): both maps' normal ranges and the carries between their binades, the values
// below the smallest normal, and those above the largest code (which a block's scale never
// makes, but a NaN-free encoder must still clamp).
constexpr std::uint32_t sweep_end = 0x40000000u;  // 2.0

// The encoder's bit tricks against the nearest value of NumPy's map (its values from the
// golden; the nearest found by search, a tie by the exact midpoint, to the larger magnitude).
TEST(LowbitGolden, Q8EncodesTheNearestCodeOfTheMap) {
  for (const bool is_signed : {true, false}) {
    SCOPED_TRACE(is_signed ? "signed" : "unsigned");
    const Map map = map_of(is_signed);
    ASSERT_EQ(map.value.back(), 1.875);
    auto nearest = [&](float q) {
      const double a = std::fabs(double(q));
      const std::size_t hi = std::size_t(std::lower_bound(map.value.begin(), map.value.end(), a) - map.value.begin());
      if (hi == map.value.size()) return map.code.back();  // above the largest code: the largest
      if (hi == 0 || map.value[hi] == a) return map.code[hi];
      const double twice = 2 * a, mid = map.value[hi - 1] + map.value[hi];  // both exact in double
      return map.code[twice < mid ? hi - 1 : hi];
    };
    long checked = 0;
    for (std::uint32_t b = 0; b <= sweep_end; b += 127)
      for (const std::uint32_t sign : {0u, 0x80000000u}) {
        if (sign && !is_signed) continue;
        const float q = from_bits(b | sign);
        const int want = nearest(q) | (sign ? 0x80 : 0);
        const int got = is_signed ? descent::detail::q8_encode<true>(q) : descent::detail::q8_encode<false>(q);
        ASSERT_EQ(got, want) << "q = " << q << " (bits " << std::hex << (b | sign) << ")";
        ++checked;
      }
    EXPECT_GT(checked, 8'000'000);
  }
}

// The block scale by its definition: the smallest power of two s >= 2^-95 with m/s < 1.875, for
// block maxima across float32's range (subnormals, both sides of 1.875·2^e, the largest finite,
// whose scale would be 2^128: an infinity).
TEST(LowbitGolden, Q8ScaleIsTheLeastPowerOfTwoThatKeepsTheBlockInTheMap) {
  auto definition = [](float m) {
    for (double t = 0x1p-95; t <= 0x1p127; t *= 2)
      if (double(m) / t < 1.875) return t;
    return double(INFINITY);
  };
  std::mt19937 rng(14);
  std::vector<float> maxima{0.0f, 1e-45f, 1e-30f, 1.0f, 1.875f, std::nextafter(1.875f, 0.0f), 3.75f, 0.9375f, 3.4e38f};
  for (int i = 0; i < 20000; ++i) maxima.push_back(from_bits(rng() & 0x7f7fffffu));
  for (const float m : maxima) {
    const float got = descent::detail::q8_scale(to_bits(m));
    ASSERT_EQ(double(got), definition(m)) << "max " << m << " (bits " << std::hex << to_bits(m) << ")";
  }
}

// Block-wise quantization of three blocks (the last one short), to the last code and scale bit.
TEST(LowbitGolden, Q8QuantizesLikeNumPy) {
  const json& g = golden()["q8"];
  const std::vector<float> x = floats(g["x_bits"]);
  std::vector<float> a(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) a[i] = std::fabs(x[i]);
  const std::size_t n = x.size(), blocks = (n + 255) / 256;
  for (const bool is_signed : {true, false}) {
    SCOPED_TRACE(is_signed ? "signed" : "unsigned");
    std::vector<unsigned char> buf(descent::detail::buffer_bytes(StateDType::q8, descent::DType::f32, n));
    descent::detail::encode_slot(StateDType::q8, !is_signed, is_signed ? x.data() : a.data(), n, buf.data());
    const json& codes = g[is_signed ? "signed_codes" : "unsigned_codes"];
    const json& scales = g[is_signed ? "signed_scales_bits" : "unsigned_scales_bits"];
    for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(int(buf[i]), codes[i].get<int>()) << "value " << i;
    const float* s = reinterpret_cast<const float*>(buf.data() + descent::detail::q8_scales_offset(n));
    for (std::size_t b = 0; b < blocks; ++b) EXPECT_EQ(to_bits(s[b]), scales[b].get<std::uint32_t>());
  }
}

// Stochastic rounding's definition: with x = (|q| − below)/(above − below) between the map's
// neighbours of |q| (x = 0 at or above the top), the code of floor(x + r/2^20), r the 20 random
// bits (exact in double: see stochastic_code in tests/golden/lowbit/generate.py).
struct Between {
  std::size_t below;
  double x;
};
Between between(const Map& map, float q) {
  const double a = std::fabs(double(q));
  if (a >= map.value.back()) return {map.value.size() - 1, 0.0};
  const std::size_t k = std::size_t(std::upper_bound(map.value.begin(), map.value.end(), a) - map.value.begin()) - 1;
  return {k, (a - map.value[k]) / (map.value[k + 1] - map.value[k])};
}
std::size_t stochastic_index(const Map& map, float q, std::uint32_t r20) {
  const Between n = between(map, q);
  return n.x * 0x1p20 + double(r20) >= 0x1p20 ? n.below + 1 : n.below;
}

// The stochastic encoder's bit tricks against the definition over the same sweep as above, each
// value with random bits mix32(bits).
TEST(LowbitGolden, Q8EncodesStochasticallyByTheDefinition) {
  for (const bool is_signed : {true, false}) {
    SCOPED_TRACE(is_signed ? "signed" : "unsigned");
    const Map map = map_of(is_signed);
    ASSERT_EQ(map.value.back(), 1.875);
    long checked = 0, up = 0;
    double expected = 0, variance = 0;
    for (std::uint32_t b = 0; b <= sweep_end; b += 127)
      for (const std::uint32_t sign : {0u, 0x80000000u}) {
        if (sign && !is_signed) continue;
        const float q = from_bits(b | sign);
        const std::uint32_t r = descent::detail::mix32(b | sign);
        const std::size_t k = stochastic_index(map, q, r & 0xfffffu);
        const int want = map.code[k] | (std::signbit(q) ? 0x80 : 0);
        const int got = is_signed ? descent::detail::q8_encode_stochastic<true>(q, r)
                                  : descent::detail::q8_encode_stochastic<false>(q, r);
        ASSERT_EQ(got, want) << "q = " << q << " (bits " << std::hex << (b | sign) << "), random " << r;
        const double x = between(map, q).x;
        up += map.value[k] > std::fabs(double(q));
        expected += x;
        variance += x * (1 - x);
        ++checked;
      }
    EXPECT_GT(checked, 8'000'000);
    // The number rounded up is the sum of their probabilities, within 6 standard deviations.
    EXPECT_LT(std::fabs(double(up) - expected), 6 * std::sqrt(variance)) << up << " up, " << expected << " expected";
  }
}

// Block-wise stochastic quantization, keyed as the optimizer keys it (element i: mix32(i ^ key)),
// against NumPy's quantizer written from the definition, to the last code and scale bit.
TEST(LowbitGolden, Q8StochasticRoundingLikeNumPy) {
  const json& g = golden()["q8_stochastic"];
  const std::vector<float> x = floats(g["x_bits"]);
  std::vector<float> a(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) a[i] = std::fabs(x[i]);
  const std::size_t n = x.size();
  ASSERT_GT(n, 2 * descent::detail::q8_block);
  for (const bool is_signed : {true, false}) {
    SCOPED_TRACE(is_signed ? "signed" : "unsigned");
    const float* in = is_signed ? x.data() : a.data();
    const auto key = g[is_signed ? "signed_key" : "unsigned_key"].get<std::uint32_t>();
    const json& codes = g[is_signed ? "signed_codes" : "unsigned_codes"];
    const json& scales = g[is_signed ? "signed_scales_bits" : "unsigned_scales_bits"];
    std::vector<std::uint8_t> got(n);
    for (std::size_t b = 0; b < n; b += descent::detail::q8_block) {
      const std::size_t len = std::min(descent::detail::q8_block, n - b);
      const float s = descent::detail::q8_block_scale(in + b, len);
      EXPECT_EQ(to_bits(s), scales[b / descent::detail::q8_block].get<std::uint32_t>());
      if (is_signed)
        descent::detail::q8_encode_scaled_stochastic<true>(in + b, s, got.data() + b, len, std::uint32_t(b), key);
      else
        descent::detail::q8_encode_scaled_stochastic<false>(in + b, s, got.data() + b, len, std::uint32_t(b), key);
    }
    long differ_from_nearest = 0;
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_EQ(int(got[i]), codes[i].get<int>()) << "value " << i;
      differ_from_nearest += codes[i] != golden()["q8"][is_signed ? "signed_codes" : "unsigned_codes"][i];
    }
    EXPECT_GT(differ_from_nearest, 0);
  }
}

// One optimizer over one float32 tensor, low-bit state on every tensor (min_size 0).
struct Single {
  std::vector<float> w, g;
  std::unique_ptr<descent::Optimizer> opt;
  Single(std::vector<float> w0, StateOptions so, std::string_view name = "adam") : w(std::move(w0)), g(w.size()) {
    opt = descent::make_optimizer(name, {Param("w", w, g)}, Convention::pytorch);
    opt->set_state_options(so);
  }
};

void expect_q8_slot(const OptimizerState::Slot& slot, const json& codes, const json& scales) {
  const std::size_t n = codes.size();
  ASSERT_EQ(slot.dtype, StateDType::q8);
  ASSERT_EQ(slot.bytes.size(), n + 4 * scales.size());
  for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(int(slot.bytes[i]), codes[i].get<int>()) << slot.name << " " << i;
  for (std::size_t b = 0; b < scales.size(); ++b) {
    std::uint32_t s;
    std::memcpy(&s, slot.bytes.data() + n + 4 * b, 4);
    EXPECT_EQ(s, scales[b].get<std::uint32_t>()) << slot.name << " scale " << b;
  }
}

// Two Adam steps from w0 with gradients g1, g2, each checked against the golden's w, m and v.
void run_adam_q8_golden(const json& g, const StateOptions& so, bool reference) {
  Single s(floats(g["w0_bits"]), so);
  s.opt->set_reference(reference);
  for (int step = 1; step <= 2; ++step) {
    const std::string k = std::to_string(step);
    const std::vector<float> grad = floats(g["g" + k + "_bits"]);
    std::copy(grad.begin(), grad.end(), s.g.begin());  // in place: the optimizer views s.g
    s.opt->step();
    const std::vector<float> want = floats(g["w" + k + "_bits"]);
    for (std::size_t i = 0; i < want.size(); ++i)
      ASSERT_EQ(to_bits(s.w[i]), to_bits(want[i])) << "step " << step << ", w[" << i << "]";
    const OptimizerState st = s.opt->export_state();
    expect_q8_slot(st.params[0].slots[0], g["m" + k + "_codes"], g["m" + k + "_scales_bits"]);
    expect_q8_slot(st.params[0].slots[1], g["v" + k + "_codes"], g["v" + k + "_scales_bits"]);
  }
}

// Two Adam steps with q8 state, fast and reference, against NumPy's step over the same state:
// rounded to nearest, and stochastically with seed 7.
TEST(LowbitGolden, AdamQ8StepsLikeNumPy) {
  for (const bool stochastic : {false, true})
    for (const bool reference : {false, true}) {
      SCOPED_TRACE(std::string(stochastic ? "stochastic, " : "nearest, ") + (reference ? "reference" : "fast"));
      const json& g = golden()[stochastic ? "adam_q8_stochastic" : "adam_q8"];
      const StateOptions so{StateDType::q8, stochastic ? Rounding::stochastic : Rounding::nearest,
                            stochastic ? g["seed"].get<std::uint64_t>() : 0, 0};
      run_adam_q8_golden(g, so, reference);
    }
}

// state() shows q8 state decoded: NumPy's map value of each code times its block's scale.
TEST(LowbitGolden, StateViewDecodesWithTheMap) {
  const json& g = golden()["adam_q8"];
  Single s(floats(g["w0_bits"]), {StateDType::q8, Rounding::nearest, 0, 0});
  const std::vector<float> grad = floats(g["g1_bits"]);
  std::copy(grad.begin(), grad.end(), s.g.begin());
  s.opt->step();
  const auto view = s.opt->state(0, "m");
  EXPECT_EQ(view.stored, StateDType::q8);
  const auto m = view.as<float>();
  const json& map = golden()["q8_maps"]["signed"];
  for (std::size_t i = 0; i < m.size(); ++i) {
    const int code = g["m1_codes"][i].get<int>();
    const float scale = from_bits(g["m1_scales_bits"][i / 256].get<std::uint32_t>());
    ASSERT_EQ(m[i], float(map[std::to_string(code)].get<double>()) * scale) << i;
  }
}

// ---- every rule × storage: fast = reference for 1, 2 and 3 threads; resume bit for bit --------

struct Config {
  std::string optimizer;
  std::vector<std::pair<std::string, std::string>> overrides;
};

std::vector<Config> configs() {
  std::vector<Config> out;
  for (const auto& info : descent::optimizers()) out.push_back({std::string(info.name), {}});
  out.push_back({"adam", {{"amsgrad", "true"}, {"weight_decay", "0.01"}}});
  out.push_back({"rmsprop", {{"centered", "true"}, {"momentum", "0.9"}}});
  out.push_back({"adagrad", {{"initial_accumulator_value", "0.1"}}});
  return out;
}

const StateOptions storages[] = {
    {StateDType::bf16, Rounding::nearest, 0, 4096},
    {StateDType::bf16, Rounding::stochastic, 11, 4096},
    {StateDType::q8, Rounding::nearest, 0, 4096},
    {StateDType::q8, Rounding::stochastic, 11, 4096},
};

std::string label(const StateOptions& o) {
  return std::string(to_string(o.dtype)) + (o.rounding == Rounding::stochastic ? "-stochastic" : "");
}

// Tensors of mixed sizes: 70001 ends in a short block, 300 stays below min_size (f32 state), and
// the 115,301 values in all are enough for 3 threads (src/core/optimizer.cpp, min_share).
struct Model {
  std::vector<std::vector<float>> w, g;
  explicit Model(std::uint64_t seed) {
    std::mt19937 rng{std::uint32_t(seed)};
    std::uniform_real_distribution<float> u(-1, 1);
    for (std::size_t n : {5000, 70001, 40000, 300}) {
      w.emplace_back(n);
      for (auto& x : w.back()) x = u(rng);
      g.emplace_back(n);
    }
  }
  std::vector<Param> params() {
    std::vector<Param> ps;
    for (std::size_t i = 0; i < w.size(); ++i) ps.emplace_back("p" + std::to_string(i), w[i], g[i]);
    return ps;
  }
  void gradients(int step) {
    std::mt19937 rng{std::uint32_t(1000 + step)};
    std::normal_distribution<float> n(0, 1);
    for (auto& gi : g)
      for (std::size_t k = 0; k < gi.size(); ++k) gi[k] = k % 7 == std::size_t(step) ? 0.0f : n(rng) * 0.1f;
  }
};

std::string state_bytes(const descent::Optimizer& o) {
  descent::Checkpoint c;
  c.put_optimizer(o);
  return c.serialize();
}

bool same(const Model& a, const Model& b) {
  for (std::size_t i = 0; i < a.w.size(); ++i)
    if (std::memcmp(a.w[i].data(), b.w[i].data(), a.w[i].size() * sizeof(float)) != 0) return false;
  return true;
}

class LowbitEveryRule : public ::testing::TestWithParam<Config> {};

std::unique_ptr<descent::Optimizer> run(const Config& c, const StateOptions& so, Model& m, int threads,
                                        bool reference) {
  auto opt = descent::make_optimizer(c.optimizer, m.params(), Convention::pytorch, c.overrides);
  opt->set_state_options(so);
  opt->set_reference(reference);
  opt->set_threads(threads);
  for (int s = 1; s <= 3; ++s) m.gradients(s), opt->step();
  return opt;
}

// Every CPU level this machine has (forced, tests/cpu_levels.hpp) × 1, 2 and 3 threads.
TEST_P(LowbitEveryRule, FastMatchesReferenceOnEveryLevelAndThreadCount) {
  const Config& c = GetParam();
  for (const StateOptions& so : storages) {
    SCOPED_TRACE(label(so));
    Model ref(1);
    const std::vector<float> w0 = ref.w[1];
    const auto r = run(c, so, ref, 1, true);
    ASSERT_EQ(r->state_dtype(1), so.dtype);
    ASSERT_EQ(r->state_dtype(3), StateDType::f32);  // 300 values < min_size
    ASSERT_NE(std::memcmp(w0.data(), ref.w[1].data(), w0.size() * 4), 0) << "nothing moved";
    const std::string want = state_bytes(*r);
    int levels = 0;
    for (descent::CpuLevel level : descent::cpu_levels()) {
      if (!descent::cpu_supports(level)) continue;
      descent::testing::ForcedCpuLevel forced(level);
      ++levels;
      for (int threads = 1; threads <= 3; ++threads) {
        Model m(1);
        const auto f = run(c, so, m, threads, false);
        EXPECT_TRUE(same(ref, m)) << to_string(level) << ", " << threads << " threads: weights differ";
        EXPECT_EQ(state_bytes(*f), want) << to_string(level) << ", " << threads << " threads: state differs";
      }
    }
    EXPECT_GE(levels, 1);
  }
}

// 3 steps, a checkpoint through its bytes, 3 more steps in a fresh optimizer (which takes the
// state options from the checkpoint) = 6 steps uninterrupted, bit for bit.
TEST_P(LowbitEveryRule, ResumesBitForBit) {
  const Config& c = GetParam();
  for (const StateOptions& so : storages) {
    SCOPED_TRACE(label(so));
    Model whole(2), half(2);
    auto a = descent::make_optimizer(c.optimizer, whole.params(), Convention::pytorch, c.overrides);
    auto b = descent::make_optimizer(c.optimizer, half.params(), Convention::pytorch, c.overrides);
    a->set_state_options(so);
    b->set_state_options(so);
    for (int s = 1; s <= 6; ++s) whole.gradients(s), a->step();
    for (int s = 1; s <= 3; ++s) half.gradients(s), b->step();
    descent::Checkpoint ck;
    ck.put_training(*b);
    const descent::Checkpoint back = descent::Checkpoint::parse(ck.serialize(), "memory");
    Model resumed(99);  // other values: the checkpoint must restore them
    auto r = descent::make_optimizer(c.optimizer, resumed.params(), Convention::pytorch, c.overrides);
    back.restore_training(*r);
    EXPECT_EQ(r->state_options(), so);
    EXPECT_EQ(state_bytes(*r), state_bytes(*b));  // the quantized bytes exactly
    for (int s = 4; s <= 6; ++s) resumed.gradients(s), r->step();
    EXPECT_TRUE(same(whole, resumed));
    EXPECT_EQ(state_bytes(*r), state_bytes(*a));
  }
}

INSTANTIATE_TEST_SUITE_P(Lowbit, LowbitEveryRule, ::testing::ValuesIn(configs()), [](const auto& info) {
  std::string s = info.param.optimizer;
  for (const auto& [k, v] : info.param.overrides) s += "_" + k;
  return s;
});

// ---- stochastic rounding, memory, conversions, errors ----------------------------------------

// SGD with momentum in the seed convention from m = 0: after one step m = (1 − 0.9)·g, rounded to
// bf16 once (x: the same step with float32 state). With every g equal, each of the 2^16 values
// rounds up with probability p = (x − down)/(up − down); their mean must be x within 6 standard
// errors, sqrt(p(1−p)/n)·(up − down) (a fixed seed, so the test is deterministic; 6σ: not chance).
TEST(Lowbit, StochasticRoundingIsUnbiased) {
  const std::size_t n = 1 << 16;
  std::vector<float> w(n, 0.0f), g(n, 1.2345678f), w32(n, 0.0f);
  auto make = [&](std::vector<float>& wv, StateOptions so) {
    auto o = descent::make_optimizer("sgdm", {Param("w", wv, g)}, Convention::seed, {{"momentum", "0.9"}});
    o->set_state_options(so);
    o->step();
    return o;
  };
  auto opt = make(w, {StateDType::bf16, Rounding::stochastic, 1234, 4096});
  const float x = make(w32, {})->state(0, "m").as<float>()[0];
  const float down = descent::detail::bf16_decode(std::uint16_t(std::bit_cast<std::uint32_t>(x) >> 16));
  const float ulp = descent::detail::bf16_decode(std::uint16_t((std::bit_cast<std::uint32_t>(x) >> 16) + 1)) - down;
  const double p = (double(x) - down) / ulp;
  ASSERT_GT(p, 0.05);
  ASSERT_LT(p, 0.95);
  const auto m = opt->state(0, "m").as<float>();
  double sum = 0;
  std::size_t ups = 0;
  for (float v : m) {
    ASSERT_TRUE(v == down || v == down + ulp) << v;
    sum += v;
    ups += v != down;
  }
  const double mean = sum / double(n);
  const double se = std::sqrt(p * (1 - p) / double(n)) * ulp;
  EXPECT_LT(std::fabs(mean - double(x)), 6 * se) << "mean " << mean << ", x " << x << ", p " << p;
  EXPECT_NEAR(double(ups) / double(n), p, 6 * std::sqrt(p * (1 - p) / double(n)));
  // Round to nearest on the same input: every value the same, the nearer one.
  std::vector<float> w2(n, 0.0f);
  auto near = make(w2, {StateDType::bf16, Rounding::nearest, 0, 4096});
  const float nearest = p < 0.5 ? down : down + ulp;
  for (float v : near->state(0, "m").as<float>()) ASSERT_EQ(v, nearest);
}

// q8: one Adam step from zero state, each block of 256 holding one gradient 1 (its maximum, which
// sets its scale s) and 255 of ±c (the sign by block), so every other m is ±x = (1 − β1)·c and v
// is x = (1 − β2)·c². Each rounds up with probability p = (|q| − below)/(above − below), q = x/s,
// between the map's neighbours (decoded, times s). The mean of the 65,280 decoded magnitudes must
// be x within 6 standard errors of the Bernoulli mean, 6·sqrt(p(1−p)/N)·(up − down), plus what the
// 20 random bits and float32 leave: p is exact to 2^−20 and q·s to a few ulp of x. c = 0.3 puts q
// in both maps' normal range, 2.5e−5 below their smallest normal (between 0 and it). Round to
// nearest on the same input is off by min(p, 1 − p)·(up − down), far beyond.
TEST(Lowbit, Q8StochasticRoundingIsUnbiased) {
  constexpr std::size_t block = descent::detail::q8_block, n = 256 * block;
  for (const float c : {0.3f, 2.5e-5f}) {
    SCOPED_TRACE("c = " + std::to_string(c));
    std::vector<float> g(n);
    for (std::size_t i = 0; i < n; ++i) g[i] = i % block == 0 ? 1.0f : (i / block % 2 ? -c : c);
    auto stepped = [&](StateOptions so) {
      auto w = std::make_shared<std::vector<float>>(n, 0.0f);
      auto o = descent::make_optimizer("adam", {Param("w", *w, g)}, Convention::pytorch);
      o->set_state_options(so);
      o->step();
      return std::make_pair(std::move(o), w);  // the optimizer views *w: keep it alive
    };
    const auto f32 = stepped({});
    const auto sr = stepped({StateDType::q8, Rounding::stochastic, 1234, 4096});
    const auto rn = stepped({StateDType::q8, Rounding::nearest, 0, 4096});
    for (const char* slot : {"m", "v"}) {
      SCOPED_TRACE(slot);
      const bool is_signed = std::string(slot) == "m";
      const auto exact = f32.first->state(0, slot).as<float>();
      const float s = descent::detail::q8_scale(std::bit_cast<std::uint32_t>(exact[0])), x = std::fabs(exact[1]);
      const float q = x / s;  // exact: s is a power of two
      const Map map = map_of(is_signed);
      std::size_t k = 0;
      while (map.value[k + 1] <= q) ++k;
      const float down = float(map.value[k]) * s, up = float(map.value[k + 1]) * s;
      const double p = (double(q) - map.value[k]) / (map.value[k + 1] - map.value[k]);
      ASSERT_GT(p, 0.05);
      ASSERT_LT(p, 0.95);
      const double spacing = double(up) - down;
      auto mean_magnitude = [&](const descent::Optimizer& o) {
        const auto stored = o.state(0, slot).as<float>();
        double sum = 0;
        for (std::size_t i = 0; i < n; ++i) {
          if (i % block == 0) continue;
          const float a = std::fabs(stored[i]);
          EXPECT_TRUE(a == down || a == up) << i << ": " << stored[i];
          EXPECT_EQ(std::signbit(stored[i]), std::signbit(exact[i])) << i;
          sum += a;
        }
        return sum / double(n - n / block);
      };
      const double N = double(n - n / block);
      const double bound = 6 * std::sqrt(p * (1 - p) / N) * spacing + spacing * 0x1p-20 + 4 * double(x) * 0x1p-24;
      const double mean = mean_magnitude(*sr.first);
      EXPECT_LT(std::fabs(mean - x), bound) << "mean " << mean << ", x " << x << ", p " << p;
      EXPECT_GT(std::fabs(mean_magnitude(*rn.first) - x), 20 * bound) << "round to nearest is biased";
    }
  }
}

// Adam's state on GPT-2-small's shapes per parameter: 8 bytes in float32, 4 in bf16, and
// 2 + 2·4/256 in q8. Counted as stored.
TEST(Lowbit, StateMemoryIsAQuarterOrAHalf) {
  const std::size_t n = 768 * 3072;  // one MLP weight of GPT-2 small
  std::vector<float> w(n), g(n);
  std::size_t bytes[3];
  const StateDType kinds[] = {StateDType::f32, StateDType::bf16, StateDType::q8};
  for (int k = 0; k < 3; ++k) {
    auto opt = descent::make_optimizer("adam", {Param("w", w, g)});
    opt->set_state_options({kinds[k], Rounding::nearest, 0, 4096});
    bytes[k] = opt->state_bytes();
  }
  EXPECT_EQ(bytes[0], 8 * n);
  EXPECT_EQ(bytes[1], 4 * n);
  EXPECT_EQ(bytes[2], 2 * n + 2 * 4 * (n / 256));
  EXPECT_LE(double(bytes[2]) / double(bytes[0]), 0.26);
  EXPECT_LE(double(bytes[1]) / double(bytes[0]), 0.51);
}

// Changing the storage re-encodes the state kept so far: f32 → bf16 rounds each value to nearest.
TEST(Lowbit, SetStateOptionsReencodesTheState) {
  Model m(3);
  auto opt = descent::make_optimizer("adam", m.params());
  m.gradients(1);
  opt->step();
  const std::vector<float> v(opt->state(1, "v").as<float>().begin(), opt->state(1, "v").as<float>().end());
  opt->set_state_options({StateDType::bf16, Rounding::nearest, 0, 4096});
  const auto now = opt->state(1, "v").as<float>();
  for (std::size_t i = 0; i < v.size(); ++i)
    ASSERT_EQ(now[i], descent::detail::bf16_decode(descent::detail::bf16_nearest(v[i])));
  EXPECT_EQ(opt->state(3, "v").stored, StateDType::f32);  // below min_size
}

// State options given before the first step make the state anew in its form, with the rule's
// initial values (Adagrad's accumulator starts at 0.1): each value is 0.1 in that form. For q8
// the block's scale is 2^−4 (0.1 = 1.6·2^−4) and 1.6 rounds to 1.625, the nearer of its 3-bit
// neighbours 1.5 and 1.625: 0.1015625. Once a step has written the state, new options keep its
// values (SetStateOptionsReencodesTheState).
TEST(Lowbit, StateOptionsBeforeTheFirstStepStartFromTheInitialValues) {
  std::vector<float> w(5000, 1.0f), g(5000, 0.5f);
  const float init = 0.1f;
  for (const StateDType d : {StateDType::bf16, StateDType::q8}) {
    auto opt = descent::make_optimizer("adagrad", {Param("w", w, g)}, descent::Convention::pytorch,
                                       {{"initial_accumulator_value", "0.1"}});
    opt->set_state_options({d, Rounding::nearest, 0, 4096});
    const float want =
        d == StateDType::q8 ? 0.1015625f : descent::detail::bf16_decode(descent::detail::bf16_nearest(init));
    const auto v = opt->state(0, "v").as<float>();
    EXPECT_EQ(std::count(v.begin(), v.end(), want), 5000) << to_string(d);
    opt->set_state_options({StateDType::f32, Rounding::nearest, 0, 4096});  // back, still unwritten
    const auto f = opt->state(0, "v").as<float>();
    EXPECT_EQ(std::count(f.begin(), f.end(), init), 5000) << to_string(d);
  }
}

// Low-bit state is for float32 parameters: float64 ones keep float64 state.
TEST(Lowbit, DoubleParametersKeepFullState) {
  std::vector<double> w(10000, 1.0), g(10000, 0.5), w2 = w;
  auto opt = descent::make_optimizer("adam", {Param("w", w, g)});
  auto full = descent::make_optimizer("adam", {Param("w", w2, g)});
  opt->set_state_options({StateDType::q8, Rounding::nearest, 0, 0});
  EXPECT_EQ(opt->state_dtype(0), StateDType::f32);
  opt->step();
  full->step();
  for (const char* slot : {"m", "v"}) {
    const auto a = opt->state(0, slot).as<double>(), b = full->state(0, slot).as<double>();
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << slot;
  }
  EXPECT_EQ(w, w2);
}

TEST(Lowbit, Errors) {
  std::vector<float> w(10), g(10);
  auto opt = descent::make_optimizer("adam", {Param("w", w, g)});
  try {
    opt->set_state_options({StateDType::f32, Rounding::stochastic, 0, 0});
    FAIL();
  } catch (const descent::OptionError& e) {
    EXPECT_STREQ(e.what(), "adam: state rounding 'stochastic' applies to bf16 and q8 state only, not f32");
  }
  EXPECT_EQ(opt->state_options(), StateOptions{});  // unchanged
  for (const StateDType d : {StateDType::bf16, StateDType::q8}) {
    const StateOptions so{d, Rounding::stochastic, 5, 0};
    auto ok = descent::make_optimizer("adam", {Param("w", w, g)});
    ok->set_state_options(so);
    EXPECT_EQ(ok->state_options(), so);
  }
  for (const char* bad : {"", "q4", "F32"}) {
    try {
      descent::parse_state_dtype(bad);
      FAIL() << bad;
    } catch (const descent::OptionError& e) {
      EXPECT_EQ(std::string(e.what()), "unknown state dtype '" + std::string(bad) + "' (expected f32, bf16 or q8)");
    }
  }
  EXPECT_THROW(descent::parse_rounding(""), descent::OptionError);
  // A checkpoint whose slot storage disagrees with its group's state options.
  opt->set_state_options({StateDType::bf16, Rounding::nearest, 0, 0});
  opt->step();
  OptimizerState s = opt->export_state();
  s.groups[0].state.dtype = StateDType::f32;
  const std::string before = state_bytes(*opt);
  try {
    opt->import_state(s);
    FAIL();
  } catch (const descent::Error& e) {
    EXPECT_STREQ(e.what(),
                 "adam: state slot 'm' of parameter 'w' is stored as bf16, its group's state options give f32");
  }
  EXPECT_EQ(state_bytes(*opt), before);
  s = opt->export_state();
  s.params[0].slots[1].bytes.pop_back();
  try {
    opt->import_state(s);
    FAIL();
  } catch (const descent::Error& e) {
    EXPECT_STREQ(e.what(), "adam: state slot 'v' of parameter 'w' has 19 bytes, expected 20 (bf16)");
  }
}

}  // namespace
