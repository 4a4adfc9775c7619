// The driver against the scalar reference: threads, SIMD levels, lengths and misalignments.
// The vectorized kernels, at every CPU level this CPU has (forced, descent/cpu.hpp), with 1 and
// 2 threads must give bit-for-bit what set_reference(true)'s plain scalar loop gives, for every
// rule and variant, in float and double, for every length up to a few vectors past the widest
// SIMD register, and for views that start anywhere in a cache line.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "cpu_levels.hpp"
#include "descent/descent.hpp"
#include "descent/detail/threads.hpp"

namespace {

using descent::Convention;
using descent::Param;
using Overrides = std::vector<std::pair<std::string, std::string>>;

template <class T>
std::vector<T> values(std::size_t n, std::uint64_t seed, double lo, double hi) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = T(lo + (hi - lo) * double(rng() >> 11) * 0x1.0p-53);
  return v;
}

TEST(Driver, SmokeAdamMoves) {
  std::vector<double> w{1.0, 2.0}, g{0.5, -0.5};
  descent::Adam opt({descent::Param("w", w, g)});
  opt.step();
  EXPECT_LT(w[0], 1.0);
  EXPECT_GT(w[1], 2.0);
  EXPECT_EQ(opt.t(), 1);
}

// One optimizer configuration: every rule and every variant its options select (the state slots
// each kernel instantiation keeps, and the prelude's maximize, L2 and decoupled decay).
struct Variant {
  const char* label;
  const char* optimizer;
  Convention convention;
  Overrides overrides;
};

std::ostream& operator<<(std::ostream& os, const Variant& v) { return os << v.label; }

const Variant variants[] = {
    {"sgd", "sgd", Convention::pytorch, {{"lr", "0.1"}}},
    {"sgd_l2_maximize", "sgd", Convention::pytorch, {{"lr", "0.1"}, {"weight_decay", "0.1"}, {"maximize", "true"}}},
    {"sgd_decoupled",
     "sgd",
     Convention::pytorch,
     {{"lr", "0.1"}, {"weight_decay", "0.1"}, {"decoupled_weight_decay", "true"}}},
    {"sgdm_pytorch_dampening", "sgdm", Convention::pytorch, {{"dampening", "0.3"}}},
    {"sgdm_nesterov_l2", "sgdm", Convention::pytorch, {{"nesterov", "true"}, {"weight_decay", "0.01"}}},
    {"sgdm_seed", "sgdm", Convention::seed, {}},
    {"sgdm_keras_nesterov", "sgdm", Convention::keras, {{"nesterov", "true"}}},
    {"adagrad_pytorch_lr_decay_l2", "adagrad", Convention::pytorch, {{"lr_decay", "0.1"}, {"weight_decay", "0.1"}}},
    {"adagrad_keras_maximize", "adagrad", Convention::keras, {{"maximize", "true"}}},
    {"adagrad_seed", "adagrad", Convention::seed, {}},
    {"rmsprop_pytorch", "rmsprop", Convention::pytorch, {}},
    {"rmsprop_centered", "rmsprop", Convention::pytorch, {{"centered", "true"}}},
    {"rmsprop_momentum_l2", "rmsprop", Convention::pytorch, {{"momentum", "0.9"}, {"weight_decay", "0.05"}}},
    {"rmsprop_centered_momentum", "rmsprop", Convention::pytorch, {{"centered", "true"}, {"momentum", "0.5"}}},
    {"rmsprop_keras_centered_momentum", "rmsprop", Convention::keras, {{"centered", "true"}, {"momentum", "0.9"}}},
    {"rmsprop_seed", "rmsprop", Convention::seed, {}},
    {"adam_pytorch_l2", "adam", Convention::pytorch, {{"weight_decay", "0.1"}}},
    {"adam_amsgrad_maximize", "adam", Convention::pytorch, {{"amsgrad", "true"}, {"maximize", "true"}}},
    {"adamw_amsgrad",
     "adam",
     Convention::pytorch,
     {{"amsgrad", "true"}, {"weight_decay", "0.01"}, {"decoupled_weight_decay", "true"}}},
    {"adam_keras", "adam", Convention::keras, {}},
    {"adam_seed", "adam", Convention::seed, {}},
};

constexpr int steps = 3;

// Parameters at `offset` elements into larger buffers, so views start misaligned; the gradient
// changes every step and holds some exact zeros (the 0/0 case of the seed convention).
template <class T>
struct Setup {
  std::vector<std::vector<T>> w, g;
  std::vector<std::size_t> sizes;
  std::size_t offset;

  Setup(const std::vector<std::size_t>& sizes_, std::size_t offset_, std::uint64_t seed)
      : sizes(sizes_), offset(offset_) {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      w.push_back(values<T>(sizes[i] + offset, seed + i, -2, 2));
      g.push_back(std::vector<T>(sizes[i] + offset));
    }
  }
  std::vector<Param> params() {
    std::vector<Param> ps;
    for (std::size_t i = 0; i < sizes.size(); ++i)
      ps.emplace_back("p" + std::to_string(i), std::span<T>(w[i].data() + offset, sizes[i]),
                      std::span<const T>(g[i].data() + offset, sizes[i]));
    return ps;
  }
  void gradients(int step) {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const auto fresh = values<T>(sizes[i] + offset, 1000 * std::uint64_t(step) + i, -1, 1);
      std::copy(fresh.begin(), fresh.end(), g[i].begin());  // in place: the optimizer views g[i]
      for (std::size_t k = std::size_t(step) % 5; k < g[i].size(); k += 5) g[i][k] = 0;
    }
  }
};

template <class T>
bool same_bits(std::span<const T> a, std::span<const T> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Runs the variant with the reference loop and with the fast kernels on 1 and 2 threads, and
// requires the same bits in every parameter and every state slot. 2 threads run only where
// there are 2·detail::min_share elements (the sweep's long length, MixedSizes); it is checked.
template <class T>
void compare(const Variant& v, const std::vector<std::size_t>& sizes, std::size_t offset) {
  Setup<T> ref(sizes, offset, 7), one(sizes, offset, 7), two(sizes, offset, 7);
  auto make = [&](Setup<T>& s) { return descent::make_optimizer(v.optimizer, s.params(), v.convention, v.overrides); };
  auto r = make(ref), f1 = make(one), f2 = make(two);
  const T first = sizes.empty() || sizes[0] == 0 ? T(0) : ref.w[0][offset];
  r->set_reference(true);
  f1->set_threads(1);
  f2->set_threads(2);
  for (int s = 1; s <= steps; ++s) {
    ref.gradients(s);
    for (std::size_t i = 0; i < sizes.size(); ++i) {  // in place: the optimizers view g[i]
      std::copy(ref.g[i].begin(), ref.g[i].end(), one.g[i].begin());
      std::copy(ref.g[i].begin(), ref.g[i].end(), two.g[i].begin());
    }
    r->step();
    f1->step();
    f2->step();
    std::size_t total = 0;
    for (std::size_t n : sizes) total += n;
    ASSERT_EQ(descent::detail::last_pass_threads(), total >= 2 * descent::detail::min_share ? 2
                                                    : total > 0                             ? 1
                                                                                            : 0)
        << total << " elements";
  }
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::span<const T> want(ref.w[i]);  // the whole buffer: a stray write before the view shows too
    ASSERT_TRUE(same_bits(want, std::span<const T>(one.w[i])))
        << "1 thread, parameter " << i << " of size " << sizes[i];
    ASSERT_TRUE(same_bits(want, std::span<const T>(two.w[i])))
        << "2 threads, parameter " << i << " of size " << sizes[i];
    for (auto slot : r->slot_names()) {
      auto want_slot = r->state(i, slot).template as<T>();
      ASSERT_TRUE(same_bits(want_slot, f1->state(i, slot).template as<T>())) << "1 thread, slot " << slot;
      ASSERT_TRUE(same_bits(want_slot, f2->state(i, slot).template as<T>())) << "2 threads, slot " << slot;
    }
  }
  // Not vacuous: the parameters moved.
  if (!sizes.empty() && sizes[0] > 0) {
    ASSERT_NE(ref.w[0][offset], first);
  }
}

// One variant at one CPU level.
class FastMatchesReference : public ::testing::TestWithParam<std::tuple<Variant, descent::CpuLevel>> {
 protected:
  void SetUp() override {
    const descent::CpuLevel level = std::get<1>(GetParam());
    if (!descent::cpu_supports(level)) GTEST_SKIP() << descent::testing::skip_reason(level);
    forced_.emplace(level);
  }
  void TearDown() override { forced_.reset(); }
  const Variant& variant() const { return std::get<0>(GetParam()); }

 private:
  std::optional<descent::testing::ForcedCpuLevel> forced_;
};

template <class T>
void sweep(const Variant& v) {
  // Every length through 67 covers the vector tails of every SIMD width (up to 16 floats) several
  // times over; 100003 (odd, > 2·32768) is split between 2 threads (src/core/optimizer.cpp, min_share).
  std::vector<std::size_t> lengths;
  for (std::size_t n = 0; n <= 67; ++n) lengths.push_back(n);
  lengths.push_back(1000);
  lengths.push_back(100003);
  for (std::size_t n : lengths)
    for (std::size_t offset = 0; offset < 8; ++offset) {
      // The long vector at two offsets only: it is there for the thread split, and the vector
      // heads and tails it adds are those the short lengths already sweep.
      if (n > 1000 && offset != 0 && offset != 5) continue;
      SCOPED_TRACE("length " + std::to_string(n) + ", offset " + std::to_string(offset));
      compare<T>(v, {n}, offset);
      if (::testing::Test::HasFatalFailure()) return;
    }
}

TEST_P(FastMatchesReference, Float) { sweep<float>(variant()); }
TEST_P(FastMatchesReference, Double) { sweep<double>(variant()); }

// Several parameters of mixed sizes in one optimizer: the two threads' shares cut through
// parameters, and every piece lands where the reference puts it.
TEST_P(FastMatchesReference, MixedSizes) {
  const std::vector<std::size_t> sizes{1, 17, 40000, 3, 0, 70001, 64, 5};
  for (std::size_t offset : {0, 3}) {
    SCOPED_TRACE("offset " + std::to_string(offset));
    compare<float>(variant(), sizes, offset);
    compare<double>(variant(), sizes, offset);
  }
}

INSTANTIATE_TEST_SUITE_P(Driver, FastMatchesReference,
                         ::testing::Combine(::testing::ValuesIn(variants), descent::testing::every_level),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param).label) + "_" +
                                  descent::testing::level_name(std::get<1>(info.param));
                         });

}  // namespace
