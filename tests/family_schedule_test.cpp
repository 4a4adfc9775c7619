// The schedules against torch 1.13's lr_scheduler traces (tests/golden/family/schedules.txt):
// the rate before the first step and after each step, driving a real optimizer through set_lr.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "descent/descent.hpp"
#include "family_golden.hpp"

namespace {

namespace s = descent::schedules;

descent::SgdOptions sgd(double lr) {
  descent::SgdOptions o;
  o.lr = lr;
  return o;
}

std::unique_ptr<descent::Schedule> make(const std::string& name) {
  if (name == "step") return s::step(3, 0.5);
  if (name == "multistep") return s::multi_step({2, 5, 9}, 0.3);
  if (name == "exponential") return s::exponential(0.9);
  if (name == "cosine") return s::cosine(10, 0.01);
  if (name == "warm_restarts") return s::warm_restarts(3, 2, 0.001);
  if (name == "warm_restarts_1") return s::warm_restarts(4);
  if (name == "one_cycle") return s::one_cycle({.total = 20});
  if (name == "one_cycle_linear")
    return s::one_cycle({.total = 20, .pct_start = 0.4, .cosine = false, .div_factor = 10, .final_div_factor = 100});
  if (name == "polynomial") return s::polynomial(8, 2.0);
  if (name == "linear") return s::linear(0.1, 1.0, 5);
  if (name == "constant") return s::constant(0.5, 4);
  if (name == "plateau") return s::plateau({.factor = 0.5, .patience = 2, .threshold = 1e-2, .cooldown = 1});
  if (name == "plateau_max_abs")
    return s::plateau(
        {.maximize = true, .factor = 0.1, .patience = 1, .threshold = 0.05, .relative = false, .min_lr = 2e-4});
  if (name == "sequential") {
    std::vector<std::unique_ptr<descent::Schedule>> parts;
    parts.push_back(s::linear(0.25, 1.0, 4));
    parts.push_back(s::exponential(0.8));
    return s::sequential(std::move(parts), {4});
  }
  return nullptr;
}

TEST(Schedules, MatchTorchTraces) {
  const auto lines = family::read_golden("schedules.txt");
  std::vector<double> metrics;
  for (const auto& l : lines)
    if (l.key == "metrics") metrics = l.numbers();
  ASSERT_EQ(metrics.size(), 30u);
  int checked = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i].key != "schedule") continue;
    const std::string name = lines[i].words[0];
    const auto want = lines[i + 1].numbers();
    auto schedule = make(name);
    ASSERT_NE(schedule, nullptr) << "no schedule built for golden case " << name;
    std::vector<double> w{0.0}, g{0.0};
    // One cycle's base rate is its peak (torch's max_lr = 0.5); the others start from 0.1.
    descent::Sgd opt({descent::Param("w", std::span(w), std::span(g))},
                     sgd(name.rfind("one_cycle", 0) == 0 ? 0.5 : 0.1));
    descent::Scheduler scheduler(opt, std::move(schedule));
    for (std::size_t t = 0; t < want.size(); ++t) {
      if (t > 0) {
        opt.step();
        if (name.rfind("plateau", 0) == 0)
          scheduler.step(name == "plateau" ? metrics[t - 1] : -metrics[t - 1]);
        else
          scheduler.step();
      }
      EXPECT_NEAR(scheduler.lr(), want[t], 1e-12 * std::max(1e-3, std::abs(want[t]))) << name << " after step " << t;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 14);
}

// The tutorial course's decay: lr = lr0·decay^(epoch / decay_steps), and its staircase form.
TEST(Schedules, TutorialExponentialDecay) {
  auto smooth = s::exponential(0.5, 4);
  auto stairs = s::exponential(0.5, 4, true);
  EXPECT_DOUBLE_EQ(smooth->rate(0.2, 2), 0.2 * std::sqrt(0.5));
  EXPECT_DOUBLE_EQ(smooth->rate(0.2, 8), 0.05);
  EXPECT_DOUBLE_EQ(stairs->rate(0.2, 7), 0.1);
  EXPECT_DOUBLE_EQ(stairs->rate(0.2, 3), 0.2);
}

TEST(Schedules, ProductMultipliesWarmupAndCosine) {
  std::vector<std::unique_ptr<descent::Schedule>> parts;
  parts.push_back(s::linear(0.5, 1.0, 2));
  parts.push_back(s::cosine(4));
  auto p = s::product(std::move(parts));
  EXPECT_DOUBLE_EQ(p->rate(1.0, 1), 0.75 * (1 + std::cos(M_PI / 4)) / 2);
  EXPECT_DOUBLE_EQ(p->rate(1.0, 0), 0.5);
}

TEST(Schedules, EveryGroupFromItsOwnBase) {
  std::vector<double> a{0.0}, ga{0.0}, b{0.0}, gb{0.0};
  descent::Sgd opt({descent::Param("a", std::span(a), std::span(ga))}, sgd(0.1));
  opt.add_group({descent::Param("b", std::span(b), std::span(gb))}, sgd(1.0));
  descent::Scheduler scheduler(opt, s::step(1, 0.5));
  scheduler.step();
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.05);
  EXPECT_DOUBLE_EQ(opt.lr(1), 0.5);
}

// A checkpoint of the scheduler restores reduce-on-plateau mid-way: the resumed run gives the
// same rates as the uninterrupted one.
TEST(Schedules, StateRoundTripResumesPlateau) {
  const std::vector<double> metrics{1, 0.9, 0.95, 0.96, 0.97, 0.98, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  auto plateau = [] { return s::plateau({.factor = 0.5, .patience = 1, .cooldown = 1}); };
  std::vector<double> w{0.0}, g{0.0};
  descent::Sgd whole({descent::Param("w", std::span(w), std::span(g))}, sgd(0.1));
  descent::Scheduler a(whole, plateau());
  std::vector<double> rates;
  descent::ScheduleState saved;
  for (std::size_t i = 0; i < metrics.size(); ++i) {
    if (i == 5) saved = a.state();
    a.step(metrics[i]);
    rates.push_back(a.lr());
  }
  EXPECT_LT(rates.back(), 0.1);  // it did reduce
  std::vector<double> w2{0.0}, g2{0.0};
  descent::Sgd resumed({descent::Param("w", std::span(w2), std::span(g2))}, sgd(0.1));
  descent::Scheduler b(resumed, plateau());
  b.load_state(saved);
  EXPECT_EQ(b.steps(), 5);
  for (std::size_t i = 5; i < metrics.size(); ++i) {
    b.step(metrics[i]);
    EXPECT_DOUBLE_EQ(b.lr(), rates[i]) << i;
  }
  descent::Scheduler c(resumed, s::cosine(3));
  EXPECT_THROW(c.load_state(saved), descent::OptionError);  // another schedule's state
}

TEST(Schedules, BadArgumentsAreNamed) {
  EXPECT_THROW(s::step(0), descent::OptionError);
  EXPECT_THROW(s::cosine(0), descent::OptionError);
  EXPECT_THROW(s::plateau({.factor = 1.5}), descent::OptionError);
}

}  // namespace
