// Non-finite gradients: error (default), skip and zero. A rejected step must leave parameters,
// state and t exactly as they were; `zero` must equal a step on the gradient with those
// entries set to 0 by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "descent/checkpoint.hpp"
#include "descent/descent.hpp"
#include "descent/detail/threads.hpp"

using namespace descent;

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

std::string state_bytes(const Optimizer& opt) {
  Checkpoint c;
  c.put_optimizer(opt);
  return c.serialize();
}

template <class T>
std::vector<T> values(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = T(double(rng() >> 11) * 0x1.0p-53 * 2 - 1);
  return v;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

TEST(NonFinite, ParsesPolicyNames) {
  EXPECT_EQ(parse_nonfinite("error"), NonFinite::error);
  EXPECT_EQ(parse_nonfinite("skip"), NonFinite::skip);
  EXPECT_EQ(parse_nonfinite("zero"), NonFinite::zero);
  EXPECT_EQ(parse_nonfinite("unchecked"), NonFinite::unchecked);
  EXPECT_STREQ(to_string(NonFinite::skip), "skip");
  try {
    parse_nonfinite("ignore");
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_STREQ(e.what(), "unknown non-finite policy 'ignore' (expected error, skip, zero or unchecked)");
  }
}

// Two parameters; the second, b (shape 2×3), gets the bad values.
struct TwoParams {
  std::vector<double> a = values<double>(5, 1), ga = values<double>(5, 2);
  std::vector<double> b = values<double>(6, 3), gb = values<double>(6, 4);
  std::unique_ptr<Optimizer> opt;
  explicit TwoParams(std::string_view name = "adam") {
    opt =
        make_optimizer(name, {Param("a", std::span(a), std::span(ga)), Param("b", std::span(b), std::span(gb), {2, 3})},
                       Convention::pytorch);
    opt->step();  // some state to protect
  }
};

TEST(NonFinite, ErrorNamesParameterAndFirstIndexAndChangesNothing) {
  for (const auto& info : optimizers()) {
    SCOPED_TRACE(std::string(info.name));
    TwoParams s(info.name);
    EXPECT_EQ(s.opt->nonfinite(), NonFinite::error);
    s.gb[4] = nan;
    s.gb[5] = inf;
    const auto a = s.a, b = s.b;
    const std::string before = state_bytes(*s.opt);
    try {
      s.opt->step();
      FAIL();
    } catch (const Error& e) {
      EXPECT_STREQ(e.what(), "non-finite gradient: parameter 'b' has nan at index 4 (1, 1); the step was not taken");
    }
    EXPECT_TRUE(same_bits(s.a, a));  // a comes before b: a pass that updated as it checked would have moved it
    EXPECT_TRUE(same_bits(s.b, b));
    EXPECT_EQ(state_bytes(*s.opt), before);
    EXPECT_EQ(s.opt->t(), 1);
  }
}

TEST(NonFinite, ErrorReportsInfAndTheFirstBadParameter) {
  TwoParams s;
  s.gb[0] = nan;
  s.ga[3] = -inf;
  try {
    s.opt->step();
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "non-finite gradient: parameter 'a' has -inf at index 3; the step was not taken");
  }
  s.ga[3] = 0;
  s.gb[0] = inf;
  EXPECT_THROW(s.opt->step(), Error);
  s.gb[0] = 0;
  s.opt->step();  // clean again: steps as usual
  EXPECT_EQ(s.opt->t(), 2);
}

TEST(NonFinite, SkipLeavesEverythingAndCounts) {
  TwoParams s, clean;
  s.opt->set_nonfinite(NonFinite::skip);
  s.gb[2] = nan;
  const auto a = s.a, b = s.b;
  const std::string before = state_bytes(*s.opt);
  s.opt->step();
  s.opt->step();
  EXPECT_EQ(s.opt->skipped_steps(), 2);
  EXPECT_EQ(s.opt->t(), 1);
  EXPECT_TRUE(same_bits(s.a, a));
  EXPECT_TRUE(same_bits(s.b, b));
  // The skipped-step count is part of the state: compare everything else.
  OptimizerState st = s.opt->export_state();
  EXPECT_EQ(st.skipped_steps, 2);
  st.skipped_steps = 0;
  Checkpoint c;
  c.put_optimizer("optimizer", st);
  EXPECT_EQ(c.serialize(), before);
  // After the bad steps, the run continues as if they had never come.
  s.gb = clean.gb;
  s.opt->step();
  clean.opt->step();
  EXPECT_TRUE(same_bits(s.a, clean.a));
  EXPECT_TRUE(same_bits(s.b, clean.b));
}

TEST(NonFinite, ZeroEqualsTheStepWithThoseEntriesZeroed) {
  for (const auto& info : optimizers()) {
    SCOPED_TRACE(std::string(info.name));
    TwoParams s(info.name), by_hand(info.name);
    s.opt->set_nonfinite(NonFinite::zero);
    s.ga[0] = inf;
    s.gb[1] = nan;
    s.gb[5] = -inf;
    by_hand.ga[0] = by_hand.gb[1] = by_hand.gb[5] = 0;
    const auto bad = s.gb;
    s.opt->step();
    by_hand.opt->step();
    EXPECT_TRUE(same_bits(s.a, by_hand.a));
    EXPECT_TRUE(same_bits(s.b, by_hand.b));
    EXPECT_EQ(state_bytes(*s.opt), state_bytes(*by_hand.opt));
    EXPECT_EQ(s.opt->zeroed_values(), 3);
    EXPECT_TRUE(std::isnan(s.gb[1]));  // the caller's gradient is left alone
    // The next clean step reads the caller's gradient again, not the cleaned copy.
    const auto ga = values<double>(5, 9), gb = values<double>(6, 10);
    s.ga = by_hand.ga = ga;  // copies into the same memory, which the parameters view
    s.gb = by_hand.gb = gb;
    s.opt->step();
    by_hand.opt->step();
    EXPECT_TRUE(same_bits(s.b, by_hand.b));
  }
}

// Large enough to be split between threads: a bad value in the second share and in a float
// parameter is found, and is reported at its own index.
TEST(NonFinite, FoundInEveryShareAndDtype) {
  const std::size_t n = 200003;
  std::vector<float> w = values<float>(n, 5), g = values<float>(n, 6);
  std::vector<double> v = values<double>(n, 7), h = values<double>(n, 8);
  for (int threads : {1, 2, 3, 4}) {
    for (std::size_t at : {std::size_t(0), std::size_t(2047), std::size_t(2048), n / 2 + 7, n - 1}) {
      SCOPED_TRACE(std::to_string(threads) + " threads, index " + std::to_string(at));
      Adam opt({Param("v", std::span(v), std::span(h)), Param("w", std::span(w), std::span(g))});
      opt.set_threads(threads);
      const float keep = g[at];
      g[at] = std::numeric_limits<float>::quiet_NaN();
      try {
        opt.step();
        ADD_FAILURE();
      } catch (const Error& e) {
        EXPECT_EQ(std::string(e.what()), "non-finite gradient: parameter 'w' has nan at index " + std::to_string(at) +
                                             "; the step was not taken");
      }
      EXPECT_EQ(descent::detail::last_pass_threads(), threads);  // the check's pass
      g[at] = keep;
      EXPECT_EQ(opt.t(), 0);
    }
  }
}

}  // namespace

// unchecked: no pre-pass, as torch.optim: SGD's w − lr·g takes the NaN into w at that index only,
// every other element steps as usual, and t advances.
TEST(NonFinite, UncheckedLetsTheValueThroughLikeTorch) {
  std::vector<double> w{1.0, 2.0, 3.0}, g{0.5, std::numeric_limits<double>::quiet_NaN(), -1.0};
  SgdOptions o = SgdOptions::preset(Convention::seed);  // lr 0.1
  Sgd sgd({Param("w", std::span(w), std::span(g))}, o);
  sgd.set_nonfinite(NonFinite::unchecked);
  EXPECT_NO_THROW(sgd.step());
  EXPECT_EQ(sgd.t(), 1);
  EXPECT_DOUBLE_EQ(w[0], 1.0 - 0.1 * 0.5);
  EXPECT_TRUE(std::isnan(w[1]));
  EXPECT_DOUBLE_EQ(w[2], 3.0 + 0.1);
  EXPECT_EQ(sgd.skipped_steps(), 0);
}
