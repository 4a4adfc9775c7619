// Properties every optimizer of the registry must have, run over the whole registry so a new
// rule is covered by adding it there: the documented state slots and their sizes, the same
// bits for any thread count, and the vectorized kernels bit-identical to the scalar reference at
// every CPU level.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <tuple>

#include "cpu_levels.hpp"
#include "descent/descent.hpp"
#include "descent/detail/threads.hpp"

namespace {

// The state each optimizer keeps with its PyTorch preset (docs/optimizers.md).
const std::map<std::string, std::set<std::string>> documented_slots{
    {"sgd", {}},
    {"sgdm", {"m"}},
    {"adagrad", {"v"}},
    {"rmsprop", {"v"}},
    {"adam", {"m", "v"}},
    {"nesterov", {"m"}},
    {"adamw", {"m", "v"}},
    {"amsgrad", {"m", "v", "v_max"}},
    {"adamax", {"m", "u"}},
    {"nadam", {"m", "v"}},
    {"radam", {"m", "v"}},
    {"adadelta", {"v", "u"}},
    {"lion", {"m"}},
    {"lamb", {"m", "v"}},
};

// Two parameters, one float and one double, long enough for 4 threads (the driver splits only
// above detail::min_share = 2^15 elements per thread) and several reduction chunks; odd
// lengths for the SIMD tails.
struct Problem {
  std::vector<float> w1, g1;
  std::vector<double> w2, g2;
  explicit Problem(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    auto u = [&] { return double(rng() >> 11) * 0x1.0p-53 * 2.0 - 1.0; };
    for (std::size_t i = 0; i < 70001; ++i) w1.push_back(float(u())), g1.push_back(float(u()));
    for (std::size_t i = 0; i < 70003; ++i) w2.push_back(u()), g2.push_back(i % 7 == 0 ? 0.0 : u() * 10);
  }
  std::vector<descent::Param> params() {
    return {descent::Param("a", std::span(w1), std::span(g1)), descent::Param("b", std::span(w2), std::span(g2))};
  }
};

// Three steps with some weight decay (so the prelude runs too); returns the weights and state as bytes.
std::vector<unsigned char> run(const std::string& name, int threads, bool reference, descent::Convention c) {
  Problem p(42);
  auto opt = descent::make_optimizer(name, p.params(), c, {{"weight_decay", "0.01"}});
  opt->set_threads(threads);
  opt->set_reference(reference);
  for (int t = 0; t < 3; ++t) {
    if (t == 1) opt->set_grad_scale(0.5);  // as clipping does
    opt->step();
    EXPECT_EQ(descent::detail::last_pass_threads(), reference ? 1 : threads) << name;
    for (auto& g : p.g1) g = -0.5f * g + 0.25f;
    for (auto& g : p.g2) g = 0.75 * g - 0.125;
  }
  std::vector<unsigned char> bytes;
  auto add = [&](const void* d, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(d);
    bytes.insert(bytes.end(), b, b + n);
  };
  add(p.w1.data(), p.w1.size() * sizeof(float));
  add(p.w2.data(), p.w2.size() * sizeof(double));
  for (std::size_t i = 0; i < 2; ++i)
    for (auto slot : opt->slot_names())
      if (auto view = opt->state(i, slot)) add(view.data, view.size * (i == 0 ? sizeof(float) : sizeof(double)));
  return bytes;
}

std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& info : descent::optimizers()) out.emplace_back(info.name);
  return out;
}

class EveryOptimizer : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryOptimizer, KeepsTheDocumentedSlotsSizedLikeTheirParameter) {
  ASSERT_TRUE(documented_slots.count(GetParam())) << "add " << GetParam() << " to documented_slots";
  Problem p(1);
  auto opt = descent::make_optimizer(GetParam(), p.params());
  std::set<std::string> kept;
  for (std::size_t i = 0; i < opt->params().size(); ++i)
    for (auto slot : opt->slot_names())
      if (auto view = opt->state(i, slot)) {
        kept.insert(std::string(slot));
        EXPECT_EQ(view.size, opt->params()[i].size()) << slot;
        EXPECT_EQ(view.dtype, opt->params()[i].dtype()) << slot;
      }
  EXPECT_EQ(kept, documented_slots.at(GetParam()));
}

TEST_P(EveryOptimizer, SameBitsForAnyThreadCount) {
  for (auto c : {descent::Convention::pytorch, descent::Convention::keras}) {
    const auto one = run(GetParam(), 1, false, c);
    EXPECT_EQ(one, run(GetParam(), 2, false, c)) << to_string(c);
    EXPECT_EQ(one, run(GetParam(), 3, false, c)) << to_string(c);
    EXPECT_EQ(one, run(GetParam(), 4, false, c)) << to_string(c);
  }
}

TEST_P(EveryOptimizer, MovesTheWeights) {
  // Guards the tests above against passing on an optimizer that does nothing.
  Problem p(3);
  const auto before = p.w2;
  auto opt = descent::make_optimizer(GetParam(), p.params());
  opt->step();
  EXPECT_NE(before, p.w2);
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryOptimizer, ::testing::ValuesIn(names()));

// One optimizer at one CPU level.
class EveryOptimizerAtLevel : public ::testing::TestWithParam<std::tuple<std::string, descent::CpuLevel>> {
 protected:
  void SetUp() override {
    const descent::CpuLevel level = std::get<1>(GetParam());
    if (!descent::cpu_supports(level)) GTEST_SKIP() << descent::testing::skip_reason(level);
    forced_.emplace(level);
  }
  void TearDown() override { forced_.reset(); }

 private:
  std::optional<descent::testing::ForcedCpuLevel> forced_;
};

TEST_P(EveryOptimizerAtLevel, FastPathMatchesReferenceBitForBit) {
  const std::string& name = std::get<0>(GetParam());
  for (auto c : {descent::Convention::seed, descent::Convention::pytorch, descent::Convention::keras})
    EXPECT_EQ(run(name, 2, false, c), run(name, 1, true, c)) << to_string(c);
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryOptimizerAtLevel,
                         ::testing::Combine(::testing::ValuesIn(names()), descent::testing::every_level),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + descent::testing::level_name(std::get<1>(info.param));
                         });

TEST(Registry, ListsTheWholeFamily) {
  for (const auto& [name, slots] : documented_slots) EXPECT_NO_THROW(descent::optimizer_info(name)) << name;
  EXPECT_EQ(names().size(), documented_slots.size());
}

}  // namespace
