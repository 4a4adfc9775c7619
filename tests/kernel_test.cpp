// The fast path (vectorized per CPU level, threaded, many tensors per share) against the scalar
// reference path, bit for bit, at every CPU level this CPU has: every rule and slot variant,
// float and double, lengths around every vector width, starts misaligned by 0..3 elements,
// 1..4 threads (each really running). And the roofline pass that `descent bench` measures against, against its
// formula, at every level.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "cpu_levels.hpp"
#include "descent/detail/threads.hpp"
#include "descent/registry.hpp"
#include "roofline/roofline.hpp"

namespace {

using descent::CpuLevel;
using descent::testing::ForcedCpuLevel;
using Overrides = std::vector<std::pair<std::string, std::string>>;

struct Case {
  std::string optimizer;
  Overrides overrides;
};

// One case per slot variant of every rule, plus the preludes (maximize, L2 and decoupled decay).
const std::vector<Case> cases{
    {"sgd", {}},
    {"sgd", {{"weight_decay", "0.1"}, {"maximize", "true"}}},
    {"sgdm", {}},
    {"sgdm", {{"nesterov", "true"}, {"weight_decay", "0.05"}}},
    {"adagrad", {}},
    {"adagrad", {{"initial_accumulator_value", "0.1"}, {"lr_decay", "0.01"}, {"eps_inside_sqrt", "true"}}},
    {"rmsprop", {}},
    {"rmsprop", {{"centered", "true"}}},
    {"rmsprop", {{"momentum", "0.9"}}},
    {"rmsprop", {{"centered", "true"}, {"momentum", "0.9"}, {"lr_in_buffer", "true"}}},
    {"adam", {}},
    {"adam", {{"amsgrad", "true"}}},
    {"adam", {{"eps", "0"}, {"decoupled_weight_decay", "true"}, {"weight_decay", "0.01"}}},
    {"adam", {{"eps_hat", "true"}, {"maximize", "true"}, {"weight_decay", "0.1"}}},
};

// Tensor lengths around every vector width (4, 8, 16 floats; 2, 4, 8 doubles) and their
// unrolled multiples, and one long enough that 4 threads get a share each (the driver splits
// only above detail::min_share = 2^15 elements per thread).
const std::vector<std::size_t> lengths{1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 1000, 140001};

// Values at a misaligned start inside a larger buffer, as parameters often are.
template <class T>
struct Model {
  std::vector<std::vector<T>> w, g;
  std::vector<std::size_t> start;

  Model() {
    std::mt19937_64 rng(42);
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      const std::size_t mis = i % 4, n = lengths[i];
      w.emplace_back(n + mis);
      g.emplace_back(n + mis);
      start.push_back(mis);
      for (auto& x : w.back()) x = T(double(rng() >> 11) * 0x1.0p-53 - 0.5);
    }
  }
  std::vector<descent::Param> params() {
    std::vector<descent::Param> p;
    for (std::size_t i = 0; i < w.size(); ++i)
      p.emplace_back("p" + std::to_string(i), std::span<T>(w[i]).subspan(start[i]),
                     std::span<const T>(g[i]).subspan(start[i]));
    return p;
  }
  // New gradients for step t, the same in every model: some exactly zero (a zero V_t, where the
  // rules define the step as 0), some tiny, most ordinary.
  void gradients(int t) {
    std::mt19937_64 rng(1000 + t);
    for (auto& gi : g)
      for (auto& x : gi) {
        const auto r = rng();
        x = r % 7 == 0 ? T(0) : r % 11 == 0 ? T(1e-20) : T(double(r >> 11) * 0x1.0p-53 * 2 - 1);
      }
  }
};

template <class T>
void expect_same_bits(const std::vector<T>& a, const std::vector<T>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_EQ(std::memcmp(&a[i], &b[i], sizeof(T)), 0) << what << " differs at " << i << ": " << a[i] << " vs " << b[i];
}

template <class T>
void fast_matches_reference(const Case& c, int threads) {
  Model<T> fast, ref;
  auto f = descent::make_optimizer(c.optimizer, fast.params(), descent::Convention::pytorch, c.overrides);
  auto r = descent::make_optimizer(c.optimizer, ref.params(), descent::Convention::pytorch, c.overrides);
  f->set_threads(threads);
  r->set_reference(true);
  for (int t = 1; t <= 4; ++t) {
    fast.gradients(t);
    ref.gradients(t);
    f->step();
    ASSERT_EQ(descent::detail::last_pass_threads(), threads) << c.optimizer;
    r->step();
  }
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    const std::string where = c.optimizer + " tensor " + std::to_string(i) + " (" + std::to_string(lengths[i]) +
                              " values, " + std::to_string(threads) + " threads)";
    expect_same_bits(fast.w[i], ref.w[i], where + " w");
    for (std::string_view slot : f->slot_names()) {
      auto a = f->state(i, slot), b = r->state(i, slot);
      ASSERT_EQ(bool(a), bool(b));
      if (!a) continue;
      const auto sa = a.template as<T>(), sb = b.template as<T>();
      std::vector<T> va(sa.begin(), sa.end()), vb(sb.begin(), sb.end());
      expect_same_bits(va, vb, where + " slot " + std::string(slot));
    }
  }
}

// Every test here runs at one CPU level: GetParam().
class Kernel : public ::testing::TestWithParam<CpuLevel> {
 protected:
  void SetUp() override {
    if (!descent::cpu_supports(GetParam())) GTEST_SKIP() << descent::testing::skip_reason(GetParam());
    forced_.emplace(GetParam());
  }
  void TearDown() override { forced_.reset(); }

 private:
  std::optional<ForcedCpuLevel> forced_;
};

TEST_P(Kernel, FastMatchesReferenceFloat) {
  for (const Case& c : cases)
    for (int threads : {1, 2, 3, 4}) fast_matches_reference<float>(c, threads);
}

TEST_P(Kernel, FastMatchesReferenceDouble) {
  for (const Case& c : cases)
    for (int threads : {1, 2, 3, 4}) fast_matches_reference<double>(c, threads);
}

// Many small tensors in one step: shares that start and end inside tensors, and thousands of
// pieces per thread, still give the reference's bits, on 2 and 3 threads (111,000 elements).
TEST_P(Kernel, ManySmallTensorsMatchReference) {
  const std::size_t count = 3000, n = 37;
  for (int threads : {2, 3}) {
    std::vector<std::vector<float>> w(count, std::vector<float>(n)), w_ref, g(count, std::vector<float>(n));
    for (std::size_t i = 0; i < count; ++i)
      for (std::size_t j = 0; j < n; ++j) {
        w[i][j] = float(int((i * n + j) % 97) - 48) / 64.0f;
        g[i][j] = float(int((i * n + j) * 7 % 89) - 44) / 32.0f;
      }
    w_ref = w;
    std::vector<descent::Param> a, b;
    for (std::size_t i = 0; i < count; ++i) {
      a.emplace_back("w" + std::to_string(i), std::span(w[i]), std::span<const float>(g[i]));
      b.emplace_back("w" + std::to_string(i), std::span(w_ref[i]), std::span<const float>(g[i]));
    }
    auto f = descent::make_optimizer("adam", std::move(a));
    auto r = descent::make_optimizer("adam", std::move(b));
    f->set_threads(threads);
    r->set_reference(true);
    for (int t = 0; t < 3; ++t) {
      f->step();
      ASSERT_EQ(descent::detail::last_pass_threads(), threads);
      r->step();
    }
    for (std::size_t i = 0; i < count; ++i)
      expect_same_bits(w[i], w_ref[i], "tensor " + std::to_string(i) + ", " + std::to_string(threads) + " threads");
  }
}

// The roofline pass computes x = a·x + b·g on w and every slot, over every element exactly once.
TEST_P(Kernel, RooflinePassAppliesItsFormulaToEveryElement) {
  const std::vector<std::size_t> sizes{5, 70000, 3, 40000};
  std::vector<std::vector<float>> w, g, s0, s1;
  std::vector<descent::bench::Stream> streams;
  for (std::size_t n : sizes) {
    w.emplace_back(n, 1.0f);
    g.emplace_back(n, 0.5f);
    s0.emplace_back(n, 2.0f);
    s1.emplace_back(n, -4.0f);
  }
  for (std::size_t i = 0; i < sizes.size(); ++i)
    streams.push_back({w[i].data(), g[i].data(), {s0[i].data(), s1[i].data(), nullptr}, sizes[i]});
  descent::bench::roofline_pass(streams, 2, 2, 3.0f, 2.0f);  // x = 3x + 2g = 3x + 1
  descent::bench::roofline_pass(streams, 2, 1, 1.0f, 0.0f);  // leaves every value as it is
  for (std::size_t i = 0; i < sizes.size(); ++i)
    for (std::size_t j = 0; j < sizes[i]; ++j) {
      ASSERT_EQ(w[i][j], 4.0f);
      ASSERT_EQ(s0[i][j], 7.0f);
      ASSERT_EQ(s1[i][j], -11.0f);
    }
}

// Low-bit slots stream at their own width: 2-byte and 1-byte values take x + b (the integers
// wrap), q8's scales s = a·s + b, each once whatever the split between threads.
TEST_P(Kernel, RooflinePassStreamsLowBitSlotsAtTheirWidths) {
  const std::vector<std::size_t> sizes{5, 70000, 3, 40000, 257};
  std::vector<std::vector<float>> w, g, scales;
  std::vector<std::vector<std::uint16_t>> h;
  std::vector<std::vector<std::uint8_t>> c;
  std::vector<descent::bench::Stream> streams;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::size_t n = sizes[i];
    w.emplace_back(n, 1.0f);
    g.emplace_back(n, 0.5f);
    h.emplace_back(n, std::uint16_t(65535));
    c.emplace_back(2 * n, std::uint8_t(7));
    scales.emplace_back(2 * ((n + 255) / 256), 1.0f);
  }
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::size_t n = sizes[i];
    if (i % 2 == 0)
      streams.push_back({w[i].data(), g[i].data(), {h[i].data(), nullptr, nullptr}, n, 2});
    else
      streams.push_back({w[i].data(),
                         g[i].data(),
                         {c[i].data(), c[i].data() + n, nullptr},
                         n,
                         1,
                         {scales[i].data(), scales[i].data() + (n + 255) / 256, nullptr}});
  }
  descent::bench::roofline_pass(streams, 1, 2, 3.0f, 2.0f);  // one slot: x + 2, s = 3s + 2
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::size_t n = sizes[i], blocks = (n + 255) / 256;
    for (std::size_t j = 0; j < n; ++j) {
      ASSERT_EQ(w[i][j], 4.0f);
      if (i % 2 == 0) {
        ASSERT_EQ(h[i][j], 1);  // 65535 + 2 wraps
      } else {
        ASSERT_EQ(c[i][j], 9);
        ASSERT_EQ(c[i][n + j], 7);  // slot 2 is not streamed with slot_count 1
      }
    }
    if (i % 2 == 1)
      for (std::size_t b = 0; b < blocks; ++b) {
        ASSERT_EQ(scales[i][b], 5.0f) << i << " " << b;
        ASSERT_EQ(scales[i][blocks + b], 1.0f);
      }
  }
  // Bytes: w, g read and w written (12 per value); each slot read and written at its width, q8's
  // scales too.
  EXPECT_EQ(descent::bench::stream_bytes(streams[0], 2), 12.0 * 5 + 2 * 2 * 2 * 5);
  EXPECT_EQ(descent::bench::stream_bytes(streams[1], 2), 12.0 * 70000 + 2 * (2 * 70000 + 2 * 4 * 274));
}

INSTANTIATE_TEST_SUITE_P(Levels, Kernel, descent::testing::every_level,
                         [](const auto& info) { return descent::testing::level_name(info.param); });

}  // namespace
