// bfloat16 parameters and gradients (docs/lowbit.md, "bf16 parameters"): Adam and SGD with
// momentum against NumPy (tests/golden/bf16_param/generate.py: the float32 update of the widened
// values, rounded to nearest even once), with and without master weights; the master weights
// against a float32 run fed the same gradients; every state storage fast = reference on every
// CPU level and for 1 and 2 threads; resume from a checkpoint bit for bit; stochastic rounding of
// the weights; non-finite gradients, clipping, state views; and the errors.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "cpu_levels.hpp"
#include "descent/checkpoint.hpp"
#include "descent/clip.hpp"
#include "descent/descent.hpp"
#include "descent/detail/threads.hpp"

namespace {

using descent::bf16;
using descent::Convention;
using descent::OptimizerState;
using descent::Param;
using descent::Rounding;
using descent::StateDType;
using descent::StateOptions;
using json = nlohmann::json;

// A bf16 weight and a float weight cannot share a Param: the constructors take one element type.
static_assert(!std::is_constructible_v<Param, std::string, std::span<bf16>, std::span<const float>>);
static_assert(!std::is_constructible_v<Param, std::string, std::span<float>, std::span<const bf16>>);
static_assert(std::is_constructible_v<Param, std::string, std::vector<bf16>&, std::vector<bf16>&>);

const json& golden() {
  static const json j = [] {
    std::ifstream in(std::string(DESCENT_GOLDEN_DIR) + "/bf16_param/bf16_param.json");
    return json::parse(in);
  }();
  return j;
}

// The generator's hex strings: 4 digits per bfloat16, 8 per float32.
std::vector<std::uint32_t> hex(const json& s, std::size_t digits) {
  const std::string text = s.get<std::string>();
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i + digits <= text.size(); i += digits)
    out.push_back(std::uint32_t(std::stoul(text.substr(i, digits), nullptr, 16)));
  return out;
}
std::vector<bf16> bf16s(const json& s) {
  std::vector<bf16> out;
  for (std::uint32_t b : hex(s, 4)) out.push_back(bf16::from_bits(std::uint16_t(b)));
  return out;
}
std::vector<float> floats(const json& s) {
  std::vector<float> out;
  for (std::uint32_t b : hex(s, 8)) out.push_back(std::bit_cast<float>(b));
  return out;
}
std::uint32_t bits(float x) { return std::bit_cast<std::uint32_t>(x); }

descent::Overrides overrides(const json& o) {
  descent::Overrides out;
  for (const auto& [k, v] : o.items()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", v.get<double>());
    out.emplace_back(k, text);
  }
  return out;
}

StateOptions with_master(StateOptions o = {}) {
  o.master_weights = true;
  return o;
}

// One bf16 tensor under an optimizer built as the golden case says.
struct Single {
  std::vector<bf16> w, g;
  std::unique_ptr<descent::Optimizer> opt;
  Single(const json& c, const std::vector<bf16>& w0) : w(w0), g(w0.size()) {
    opt = descent::make_optimizer(c["optimizer"].get<std::string>(), {Param("w", w, g)}, Convention::pytorch,
                                  overrides(c["overrides"]));
    if (c["master"].get<bool>()) opt->set_state_options(with_master());
  }
  void step(const std::vector<bf16>& grad) {
    g = grad;  // in place: the optimizer views g
    opt->step();
  }
};

// ---- against NumPy ---------------------------------------------------------------------------

TEST(Bf16ParamGolden, StepsLikeNumPy) {
  const json& G = golden();
  const std::vector<bf16> w0 = bf16s(G["w0_bits"]);
  ASSERT_EQ(w0.size(), G["n"].get<std::size_t>());
  for (const json& c : G["cases"]) {
    for (const bool reference : {false, true}) {
      const bool master = c["master"].get<bool>();
      SCOPED_TRACE(c["name"].get<std::string>() + (master ? ", master weights" : "") +
                   (reference ? ", reference" : ", fast"));
      Single s(c, w0);
      s.opt->set_reference(reference);
      for (std::size_t t = 0; t < G["steps"].get<std::size_t>(); ++t) {
        s.step(bf16s(G["grads_bits"][t]));
        const std::vector<bf16> want = bf16s(c["w_bits"][t]);
        for (std::size_t i = 0; i < want.size(); ++i)
          ASSERT_EQ(s.w[i].bits, want[i].bits) << "step " << t + 1 << ", w[" << i << "]";
        if (master) {  // the master weights: the float32 weights, never rounded
          const std::vector<float> m = floats(c["w_f32_bits"][t]);
          const auto got = s.opt->state(0, descent::master_slot).as<float>();
          ASSERT_EQ(got.size(), m.size());
          for (std::size_t i = 0; i < m.size(); ++i)
            ASSERT_EQ(bits(got[i]), bits(m[i])) << "step " << t + 1 << ", master[" << i << "]";
        }
      }
      if (!c.contains("state_bits")) continue;
      for (const auto& [slot, values] : c["state_bits"].items()) {
        const std::vector<float> want = floats(values);
        const auto got = s.opt->state(0, slot).as<float>();
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(bits(got[i]), bits(want[i])) << slot << "[" << i << "]";
      }
    }
  }
}

// With master weights, the bf16 weights are the master rounded once and the master is a float32
// run over the widened starting weights and gradients; without, small updates are lost (Adam at
// lr 1e-4 is below half a bf16 ulp of most weights), so the two runs must differ there.
TEST(Bf16Param, MasterWeightsAreAFloat32RunRounded) {
  const json& G = golden();
  const std::vector<bf16> w0 = bf16s(G["w0_bits"]);
  for (const char* name : {"adam", "adam_small_lr", "sgdm"}) {
    SCOPED_TRACE(name);
    const json* with = nullptr;
    const json* without = nullptr;
    for (const json& c : G["cases"])
      if (c["name"] == name) (c["master"].get<bool>() ? with : without) = &c;
    ASSERT_TRUE(with && without);
    Single s(*with, w0);
    std::vector<float> w32(w0.size()), g32(w0.size());
    for (std::size_t i = 0; i < w0.size(); ++i) w32[i] = float(w0[i]);
    auto f32 = descent::make_optimizer((*with)["optimizer"].get<std::string>(), {Param("w", w32, g32)},
                                       Convention::pytorch, overrides((*with)["overrides"]));
    for (std::size_t t = 0; t < G["steps"].get<std::size_t>(); ++t) {
      const std::vector<bf16> grad = bf16s(G["grads_bits"][t]);
      for (std::size_t i = 0; i < grad.size(); ++i) g32[i] = float(grad[i]);
      s.step(grad);
      f32->step();
      const auto master = s.opt->state(0, descent::master_slot).as<float>();
      for (std::size_t i = 0; i < w32.size(); ++i) {
        ASSERT_EQ(bits(master[i]), bits(w32[i])) << "step " << t + 1 << ", " << i;
        ASSERT_EQ(s.w[i].bits, bf16(w32[i]).bits) << "step " << t + 1 << ", " << i;
      }
    }
    const std::vector<bf16> lost = bf16s((*without)["w_bits"].back());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < lost.size(); ++i) differ += lost[i].bits != s.w[i].bits;
    EXPECT_GT(differ, 0u);
    if (std::string(name) == "adam_small_lr") EXPECT_GT(differ, 10u);
  }
}

// Every optimizer of the registry: with master weights the master is a float32 run fed the same
// bf16 gradients and the weights are it rounded; without, each step is the float32 step from the
// widened weights, rounded once (a float32 run whose weights are reset to those after each step).
TEST(Bf16Param, EveryOptimizerStepsInFloat32AndRoundsOnce) {
  const std::size_t n = 1500;
  std::mt19937 rng{5};
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<bf16> w0(n);
  for (auto& x : w0) x = bf16(u(rng));
  std::vector<std::vector<bf16>> grads(3, std::vector<bf16>(n));
  for (auto& gs : grads)
    for (auto& x : gs) x = bf16(u(rng) * 0.1f);
  ASSERT_GE(descent::optimizers().size(), 10u);
  for (const auto& info : descent::optimizers()) {
    for (const bool master : {false, true}) {
      SCOPED_TRACE(std::string(info.name) + (master ? ", master weights" : ""));
      std::vector<bf16> w = w0, g(n);
      std::vector<float> w32(n), g32(n);
      for (std::size_t i = 0; i < n; ++i) w32[i] = float(w0[i]);
      auto opt = descent::make_optimizer(info.name, {Param("w", w, g)});
      if (master) opt->set_state_options(with_master());
      auto f32 = descent::make_optimizer(info.name, {Param("w", w32, g32)});
      for (std::size_t t = 0; t < grads.size(); ++t) {
        g = grads[t];
        for (std::size_t i = 0; i < n; ++i) g32[i] = float(g[i]);
        opt->step();
        f32->step();
        const auto m = opt->state(0, descent::master_slot).as<float>();
        ASSERT_EQ(m.size(), master ? n : 0);
        for (std::size_t i = 0; i < n; ++i) {
          ASSERT_EQ(w[i].bits, bf16(w32[i]).bits) << "step " << t + 1 << ", " << i;
          if (master) ASSERT_EQ(bits(m[i]), bits(w32[i])) << "step " << t + 1 << ", " << i;
          if (!master) w32[i] = float(w[i]);
        }
      }
      for (std::string_view slot : opt->slot_names()) {
        const auto a = opt->state(0, slot), b = f32->state(0, slot);
        ASSERT_EQ(bool(a), bool(b));
        if (a) EXPECT_EQ(std::memcmp(a.data, b.data, n * 4), 0) << slot;
      }
    }
  }
}

// Stochastic rounding of the weights (no master weights): each weight is one of the two bf16
// values around NumPy's float32 result, not always the nearest, and a function of the seed.
TEST(Bf16Param, StochasticRoundingBracketsTheFloat32Update) {
  const json& G = golden();
  const json& c = G["cases"][0];
  ASSERT_EQ(c["name"], "adam");
  ASSERT_FALSE(c["master"].get<bool>());
  const std::vector<bf16> w0 = bf16s(G["w0_bits"]);
  const std::vector<float> x = floats(c["w_f32_bits"][0]);
  std::vector<std::uint16_t> first;
  for (const std::uint64_t seed : {7u, 8u}) {
    Single s(c, w0);
    s.opt->set_state_options({StateDType::f32, Rounding::stochastic, seed, 4096});
    s.step(bf16s(G["grads_bits"][0]));
    std::size_t away = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const std::uint16_t down = std::uint16_t(bits(x[i]) >> 16);  // toward zero
      const bool exact = (bits(x[i]) & 0xffffu) == 0;
      ASSERT_TRUE(s.w[i].bits == down || (!exact && s.w[i].bits == down + 1)) << i;
      away += s.w[i].bits != bf16(x[i]).bits;
    }
    EXPECT_GT(away, x.size() / 10) << "seed " << seed << ": stochastic rounding rounds like nearest";
    std::vector<std::uint16_t> got;
    for (bf16 v : s.w) got.push_back(v.bits);
    if (first.empty())
      first = got;
    else
      EXPECT_NE(got, first) << "another seed, the same rounding";
  }
}

// ---- fast = reference, every level, 1 and 2 threads; resume ----------------------------------

// Two bf16 tensors: 70001 values (enough for 2 threads, src/core/optimizer.cpp min_share, and a
// short last block) and 300, below min_size, whose state stays float32.
struct Model {
  std::vector<std::vector<bf16>> w, g;
  explicit Model(std::uint32_t seed) {
    std::mt19937 rng{seed};
    std::uniform_real_distribution<float> u(-1, 1);
    for (std::size_t n : {70001, 300}) {
      w.emplace_back(n);
      for (auto& x : w.back()) x = bf16(u(rng));
      g.emplace_back(n);
    }
  }
  std::vector<Param> params() { return {Param("a", w[0], g[0]), Param("b", w[1], g[1])}; }
  void gradients(int step) {
    std::mt19937 rng{std::uint32_t(1000 + step)};
    std::normal_distribution<float> n(0, 1);
    for (auto& gi : g)
      for (std::size_t k = 0; k < gi.size(); ++k) gi[k] = bf16(k % 7 == std::size_t(step) ? 0.0f : n(rng) * 0.1f);
  }
  bool operator==(const Model& o) const {
    for (std::size_t i = 0; i < w.size(); ++i)
      if (std::memcmp(w[i].data(), o.w[i].data(), w[i].size() * 2) != 0) return false;
    return true;
  }
};

std::string state_bytes(const descent::Optimizer& o) {
  descent::Checkpoint c;
  c.put_optimizer(o);
  return c.serialize();
}

struct Storage {
  const char* label;
  StateOptions options;
};
std::vector<Storage> storages() {
  std::vector<Storage> out;
  for (const bool master : {false, true}) {
    auto add = [&](const char* label, StateOptions o) {
      o.master_weights = master;
      out.push_back({label, o});
    };
    add(master ? "f32, master" : "f32", {});
    add(master ? "bf16, master" : "bf16", {StateDType::bf16, Rounding::nearest, 0, 4096});
    add(master ? "bf16 stochastic, master" : "bf16 stochastic", {StateDType::bf16, Rounding::stochastic, 11, 4096});
    add(master ? "q8, master" : "q8", {StateDType::q8, Rounding::nearest, 0, 4096});
    add(master ? "q8 stochastic, master" : "q8 stochastic", {StateDType::q8, Rounding::stochastic, 13, 4096});
  }
  out.push_back({"f32 state, stochastic weights", {StateDType::f32, Rounding::stochastic, 5, 4096}});
  return out;
}

// LAMB: per-tensor sums read the widened (or master) weights; sgdm: no decay, one slot.
const char* const rules_under_test[] = {"adam", "lamb", "sgdm"};

std::unique_ptr<descent::Optimizer> run(const char* name, const StateOptions& so, Model& m, int threads, bool reference,
                                        int steps = 3) {
  auto opt = descent::make_optimizer(name, m.params(), Convention::pytorch, {{"weight_decay", "0.01"}});
  opt->set_state_options(so);
  opt->set_reference(reference);
  opt->set_threads(threads);
  for (int s = 1; s <= steps; ++s) m.gradients(s), opt->step();
  return opt;
}

TEST(Bf16Param, FastMatchesReferenceOnEveryLevelAndThreadCount) {
  for (const char* name : rules_under_test) {
    for (const Storage& st : storages()) {
      SCOPED_TRACE(std::string(name) + ", " + st.label);
      Model ref(1);
      const Model start(1);
      const auto r = run(name, st.options, ref, 1, true);
      ASSERT_EQ(r->state_dtype(0), st.options.dtype);
      ASSERT_EQ(r->state_dtype(1), StateDType::f32);  // 300 values < min_size
      ASSERT_FALSE(ref == start) << "nothing moved";
      const std::string want = state_bytes(*r);
      for (descent::CpuLevel level : descent::cpu_levels()) {
        if (!descent::cpu_supports(level)) continue;
        descent::testing::ForcedCpuLevel forced(level);
        for (int threads = 1; threads <= 2; ++threads) {
          Model m(1);
          const auto f = run(name, st.options, m, threads, false);
          EXPECT_EQ(descent::detail::last_pass_threads(), threads);
          EXPECT_TRUE(m == ref) << to_string(level) << ", " << threads << " threads: weights differ";
          EXPECT_EQ(state_bytes(*f), want) << to_string(level) << ", " << threads << " threads: state differs";
        }
      }
    }
  }
}

// 2 steps, a checkpoint through its bytes, 2 more steps in a fresh optimizer = 4 steps
// uninterrupted, bit for bit: the master weights and the state options travel in the file.
TEST(Bf16Param, ResumesFromACheckpointBitForBit) {
  for (const char* name : rules_under_test) {
    for (const Storage& st : storages()) {
      SCOPED_TRACE(std::string(name) + ", " + st.label);
      Model whole(2), half(2);
      const auto a = run(name, st.options, whole, 2, false, 4);
      const auto b = run(name, st.options, half, 2, false, 2);
      descent::Checkpoint ck;
      ck.put_training(*b);
      const descent::Checkpoint back = descent::Checkpoint::parse(ck.serialize(), "memory");
      EXPECT_EQ(back.serialize(), ck.serialize());  // canonical: read and written again, the same bytes
      EXPECT_EQ(back.tensor("model/a").dtype, descent::DType::bf16);
      EXPECT_EQ(back.tensor("model/a").data.size(), 70001u * 2);
      if (st.options.master_weights) {
        const OptimizerState s = back.optimizer_state();
        EXPECT_TRUE(s.groups[0].state.master_weights);
        EXPECT_EQ(s.params[0].slots.back().name, descent::master_slot);
        EXPECT_EQ(s.params[0].slots.back().bytes.size(), 70001u * 4);
      }
      Model resumed(99);  // other weights: the checkpoint must restore them
      auto r = descent::make_optimizer(name, resumed.params(), Convention::pytorch, {{"weight_decay", "0.01"}});
      r->set_threads(2);
      back.restore_training(*r);
      EXPECT_EQ(r->state_options(), st.options);
      EXPECT_EQ(state_bytes(*r), state_bytes(*b));
      for (int s = 3; s <= 4; ++s) resumed.gradients(s), r->step();
      EXPECT_TRUE(resumed == whole);
      EXPECT_EQ(state_bytes(*r), state_bytes(*a));
    }
  }
}

// ---- what else reads bf16 parameters ---------------------------------------------------------

TEST(Bf16Param, StateViewsAndBytes) {
  std::vector<bf16> w(5000, bf16(0.5f)), g(5000, bf16(0.25f));
  auto opt = descent::make_optimizer("adam", {Param("w", w, g)});
  EXPECT_EQ(opt->params()[0].dtype(), descent::DType::bf16);
  EXPECT_STREQ(descent::to_string(descent::DType::bf16), "bfloat16");
  EXPECT_FALSE(opt->state(0, descent::master_slot));  // no master weights by default
  opt->step();
  EXPECT_EQ(opt->state_dtype(0), StateDType::f32);  // float32 state by default
  EXPECT_EQ(opt->state(0, "m").as<float>()[0], 0.1f * 0.25f);
  EXPECT_EQ(opt->state_bytes(), 2u * 5000 * 4);  // m and v in float32
  opt->set_state_options(with_master({StateDType::q8, Rounding::nearest, 0, 4096}));
  EXPECT_EQ(opt->state_bytes(), 2u * (5000 + 20 * 4) + 5000 * 4);  // q8 m and v, and the master
  // The master starts as the bf16 weights, exactly.
  const auto master = opt->state(0, descent::master_slot).as<float>();
  for (std::size_t i = 0; i < w.size(); ++i) ASSERT_EQ(master[i], float(w[i]));
  opt->set_state_options({});
  EXPECT_FALSE(opt->state(0, descent::master_slot));
  EXPECT_EQ(opt->state_bytes(), 2u * 5000 * 4);
}

// Under NonFinite::zero a bad gradient value steps like a 0; under error the message names the
// parameter and the index, and nothing moves.
TEST(Bf16Param, NonFiniteGradients) {
  std::vector<bf16> w(300, bf16(1.0f)), g(300, bf16(0.5f)), w2 = w, g2 = g;
  g[7] = bf16(INFINITY);
  g2[7] = bf16(0.0f);
  // lr 0.01: Adam's first step moves each weight by about lr, above half a bf16 ulp of 1 (2^-8).
  auto bad = descent::make_optimizer("adam", {Param("w", w, g)}, Convention::pytorch, {{"lr", "0.01"}});
  try {
    bad->step();
    FAIL() << "no error";
  } catch (const descent::Error& e) {
    EXPECT_STREQ(e.what(), "non-finite gradient: parameter 'w' has inf at index 7; the step was not taken");
  }
  EXPECT_EQ(bad->t(), 0);
  EXPECT_EQ(w[0].bits, bf16(1.0f).bits);
  g[9] = bf16::from_bits(0x7fc1);  // a NaN
  bad->set_nonfinite(descent::NonFinite::zero);
  bad->step();
  g2[9] = bf16(0.0f);
  auto good = descent::make_optimizer("adam", {Param("w", w2, g2)}, Convention::pytorch, {{"lr", "0.01"}});
  good->step();
  EXPECT_EQ(bad->zeroed_values(), 2);
  for (std::size_t i = 0; i < w.size(); ++i) ASSERT_EQ(w[i].bits, w2[i].bits) << i;
  EXPECT_NE(w[0].bits, bf16(1.0f).bits);
}

// The gradient norm sums the widened bf16 values; clip_grad_value clamps to the bf16 of ±clip.
TEST(Bf16Param, ClipReadsBf16Gradients) {
  std::vector<bf16> w(1000), g(1000);
  double sum = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    g[i] = bf16(float(i % 13) * 0.37f - 2.0f);
    sum += double(float(g[i])) * double(float(g[i]));
  }
  auto opt = descent::make_optimizer("sgd", {Param("w", w, g)});
  EXPECT_DOUBLE_EQ(descent::global_grad_norm(*opt), std::sqrt(sum));
  EXPECT_DOUBLE_EQ(descent::clip_grad_norm(*opt, 1.0), std::sqrt(sum));
  EXPECT_DOUBLE_EQ(opt->grad_scale(0), 1.0 / (std::sqrt(sum) + 1e-6));
  descent::clip_grad_value(opt->params(), 1.0);
  for (bf16 x : g) ASSERT_LE(std::fabs(float(x)), 1.0f);
  EXPECT_EQ(g[0].bits, bf16(-1.0f).bits);
}

// ---- errors ----------------------------------------------------------------------------------

TEST(Bf16Param, MasterWeightsOnFloatParametersAreAnError) {
  std::vector<float> w(10), g(10);
  std::vector<bf16> h(10), hg(10);
  auto opt = descent::make_optimizer("adam", {Param("h", h, hg), Param("w", w, g)});
  try {
    opt->set_state_options(with_master());
    FAIL() << "no error";
  } catch (const descent::OptionError& e) {
    EXPECT_STREQ(e.what(),
                 "adam: state option master_weights applies to bfloat16 parameters only; 'w' in group 0 is float32");
  }
  EXPECT_EQ(opt->state_options(), StateOptions{});  // unchanged
  EXPECT_FALSE(opt->state(0, descent::master_slot));
  // Stochastic rounding with master weights and float32 state rounds nothing.
  std::vector<bf16> h2(10), hg2(10);
  auto only = descent::make_optimizer("adam", {Param("h", h2, hg2)});
  StateOptions o = with_master({StateDType::f32, Rounding::stochastic, 1, 4096});
  try {
    only->set_state_options(o);
    FAIL() << "no error";
  } catch (const descent::OptionError& e) {
    EXPECT_STREQ(
        e.what(),
        "adam: state rounding 'stochastic' applies to bf16 and q8 state only, not f32 (bfloat16 parameters round "
        "stochastically only without master_weights)");
  }
}

TEST(Bf16Param, StateOfOtherParametersIsAnError) {
  std::vector<bf16> h(10), hg(10);
  std::vector<float> w(10), g(10);
  auto b = descent::make_optimizer("adam", {Param("w", h, hg)});
  b->set_state_options(with_master());
  b->step();
  auto f = descent::make_optimizer("adam", {Param("w", w, g)});
  try {
    f->import_state(b->export_state());
    FAIL() << "no error";
  } catch (const descent::Error& e) {
    EXPECT_STREQ(e.what(), "adam: parameter 'w' is bfloat16 in the state, float32 here");
  }
  // A float parameter's state that claims master weights.
  OptimizerState s = f->export_state();
  s.groups[0].state.master_weights = true;
  try {
    f->import_state(s);
    FAIL() << "no error";
  } catch (const descent::Error& e) {
    EXPECT_STREQ(e.what(), "adam: group 0 has master_weights, which apply to bfloat16 parameters only; 'w' is float32");
  }
  // A bf16 parameter's values do not restore into float memory.
  descent::Checkpoint ck;
  ck.put_params("model/", b->params());
  try {
    ck.restore_params("model/", f->params());
    FAIL() << "no error";
  } catch (const descent::CheckpointError& e) {
    EXPECT_STREQ(e.what(), "checkpoint '<memory>': parameter 'w' is bfloat16 in the checkpoint, float32 here");
  }
  // rebind keeps the dtype.
  try {
    b->rebind(0, Param("w", w, g));
    FAIL() << "no error";
  } catch (const descent::Error& e) {
    EXPECT_NE(std::string(e.what()).find("(float32)"), std::string::npos) << e.what();
  }
}

}  // namespace
