// The --schedule text: each kind's keys reach the schedule (rates computed here by hand from
// the closed forms in docs/lab.md), and faults name their position.
#include "descent/schedule_spec.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "descent/error.hpp"

namespace {

using descent::parse_schedule;

double rate(const char* spec, std::int64_t n, double base = 1.0) {
  return parse_schedule(spec).schedule->rate(base, n);
}

TEST(ScheduleSpec, KeysReachTheirSchedules) {
  const double pi = std::numbers::pi;
  EXPECT_DOUBLE_EQ(rate("restarts:t0=2,t_mult=2", 1), 0.5);
  EXPECT_DOUBLE_EQ(rate("restarts:t0=2,t_mult=2", 2), 1.0);  // restart, period now 4
  EXPECT_DOUBLE_EQ(rate("restarts:t0=2,t_mult=2", 3), (1 + std::cos(pi / 4)) / 2);
  EXPECT_DOUBLE_EQ(rate("restarts:t0=2,t_mult=2,eta_min=0.5", 6), 1.0);  // the second restart
  EXPECT_DOUBLE_EQ(rate("linear:steps=3", 0), 1.0 / 3);                  // torch LinearLR's default start
  EXPECT_DOUBLE_EQ(rate("linear:steps=3", 1), 1.0 / 3 + 2.0 / 9);
  EXPECT_DOUBLE_EQ(rate("linear:start=0.5,end=0.25,steps=2", 5), 0.25);
  EXPECT_DOUBLE_EQ(rate("exp:decay=0.5,decay_steps=2,staircase=true", 3), 0.5);
  EXPECT_DOUBLE_EQ(rate("exp:decay=0.5,decay_steps=2", 3), std::pow(0.5, 1.5));
  EXPECT_DOUBLE_EQ(rate("constant:factor=0.5,steps=2", 1, 0.2), 0.1);
  EXPECT_DOUBLE_EQ(rate("constant:factor=0.5,steps=2", 2, 0.2), 0.2);
  EXPECT_DOUBLE_EQ(rate("poly:steps=4,power=0.5", 3), 0.5);
  // One cycle: the base is the peak; it starts at base/div and ends at base/(div·final_div).
  EXPECT_DOUBLE_EQ(rate("onecycle:steps=10,div=10", 0), 0.1);
  EXPECT_DOUBLE_EQ(rate("onecycle:steps=10,div=10,final_div=100", 9), 0.001);
  EXPECT_DOUBLE_EQ(rate("onecycle:steps=10,pct_start=0.5,anneal=linear,div=10", 2), 0.1 + 0.9 * 2 / 4);
  EXPECT_FALSE(parse_schedule("cosine:t_max=5").uses_metric);
  EXPECT_TRUE(parse_schedule("warmup:steps=2+plateau:patience=1").uses_metric);
}

TEST(ScheduleSpec, PlateauKeys) {
  auto p = parse_schedule("plateau:factor=0.5,patience=0,threshold=0.1,threshold_mode=abs,min_lr=0.3").schedule;
  p->observe(1.0, 1, 1.0);   // the first report sets the best
  p->observe(0.95, 2, 1.0);  // not better by the absolute 0.1: halves
  EXPECT_DOUBLE_EQ(p->rate(1.0, 2), 0.5);
  p->observe(0.8, 3, 1.0);  // better by more than 0.1: kept
  EXPECT_DOUBLE_EQ(p->rate(1.0, 3), 0.5);
  p->observe(0.8, 4, 1.0);  // halves again, floored at min_lr
  EXPECT_DOUBLE_EQ(p->rate(1.0, 4), 0.3);
}

TEST(ScheduleSpec, FaultsNameThePosition) {
  auto message = [](const char* spec) {
    try {
      parse_schedule(spec);
    } catch (const descent::OptionError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("multistep:milestones=10/x"),
            "schedule 'multistep:milestones=10/x': at position 25: milestones=x is not a whole number >= 0");
  EXPECT_EQ(message("warmup:steps=5*cosine:t_max=5+step:size=2"),
            "schedule 'warmup:steps=5*cosine:t_max=5+step:size=2': at position 1: a product cannot come before '+' "
            "(it has no single length); put it last");
  EXPECT_EQ(message("exp:decay=0.5,staircase=yes"),
            "schedule 'exp:decay=0.5,staircase=yes': at position 25: staircase=yes is not true or false");
  EXPECT_EQ(message("step:gamma=0.5"), "schedule 'step:gamma=0.5': at position 1: step needs size=...");
  try {  // the library names its option; a front end shows it its own way (the CLI: --schedule)
    parse_schedule("step:gamma=0.5");
    ADD_FAILURE() << "no error";
  } catch (const descent::OptionError& e) {
    EXPECT_EQ(e.option(), "schedule");
    EXPECT_EQ(e.named("--schedule"), "--schedule 'step:gamma=0.5': at position 1: step needs size=...");
  }
}

}  // namespace
