#pragma once
// Learning-rate schedules. A Schedule is a curve: the rate after n steps from a base rate,
// mostly in closed form (the same as torch.optim.lr_scheduler's closed forms); the only state is
// reduce-on-plateau's, exposed as named numbers for checkpoints. Schedules compose: one after
// another at given steps (sequential), or multiplied (product). A Scheduler drives an Optimizer:
// each step() sets every group's lr to the schedule's rate from that group's base rate.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "descent/optimizer.hpp"

namespace descent {

// Named numbers: what a checkpoint stores for a schedule and its scheduler.
using ScheduleState = std::vector<std::pair<std::string, double>>;

class Schedule {
 public:
  virtual ~Schedule() = default;
  // The rate after n steps (n = 0: before the first), for a group whose base rate is `base`.
  virtual double rate(double base, std::int64_t n) const = 0;
  // A metric reported after step n (reduce-on-plateau listens; the others ignore it).
  virtual void observe(double /*metric*/, std::int64_t /*n*/, double /*base*/) {}
  // The mutable state, under `prefix` (composites prefix their parts with their index).
  virtual void save(const std::string& /*prefix*/, ScheduleState& /*out*/) const {}
  virtual void load(const std::string& /*prefix*/, const ScheduleState& /*in*/) {}
};

namespace schedules {

// base·factor for the first `total` steps, then base (torch ConstantLR); total 0: always.
std::unique_ptr<Schedule> constant(double factor = 1.0, std::int64_t total = 0);
// base·γ^⌊n / step_size⌋ (StepLR).
std::unique_ptr<Schedule> step(std::int64_t step_size, double gamma = 0.1);
// base·γ^(number of milestones ≤ n) (MultiStepLR).
std::unique_ptr<Schedule> multi_step(std::vector<std::int64_t> milestones, double gamma = 0.1);
// base·γ^(n / decay_steps), or γ^⌊n / decay_steps⌋ with staircase: ExponentialLR for
// decay_steps = 1, and the tutorial course's lr = lr0·decay^(epoch / decay_steps).
std::unique_ptr<Schedule> exponential(double gamma, double decay_steps = 1.0, bool staircase = false);
// η_min + (base − η_min)·(1 + cos(π·n / t_max))/2 (CosineAnnealingLR).
std::unique_ptr<Schedule> cosine(std::int64_t t_max, double eta_min = 0.0);
// Cosine restarted after t0, t0·t_mult, t0·t_mult², ... steps (CosineAnnealingWarmRestarts).
std::unique_ptr<Schedule> warm_restarts(std::int64_t t0, std::int64_t t_mult = 1, double eta_min = 0.0);
// base·(start + (end − start)·min(n, total)/total): linear warm-up (LinearLR).
std::unique_ptr<Schedule> linear(double start_factor, double end_factor, std::int64_t total);
// base·(1 − min(n, total)/total)^power (PolynomialLR).
std::unique_ptr<Schedule> polynomial(std::int64_t total, double power = 1.0);

// One cycle (Smith & Topin; OneCycleLR): the base rate is the peak, max_lr.
struct OneCycle {
  std::int64_t total = 0;
  double pct_start = 0.3;
  bool cosine = true;  // else linear
  double div_factor = 25;
  double final_div_factor = 1e4;
  bool three_phase = false;
};
std::unique_ptr<Schedule> one_cycle(OneCycle options);

// Reduce on plateau (ReduceLROnPlateau): multiply the rate by `factor` once the metric has not
// improved for more than `patience` reports.
struct Plateau {
  bool maximize = false;  // mode 'max'
  double factor = 0.1;
  std::int64_t patience = 10;
  double threshold = 1e-4;
  bool relative = true;  // threshold_mode 'rel' (else 'abs')
  std::int64_t cooldown = 0;
  double min_lr = 0;
  double eps = 1e-8;  // smaller reductions are skipped
};
std::unique_ptr<Schedule> plateau(Plateau options);

// parts[0] until milestones[0], then parts[1] restarted from its step 0, ... (SequentialLR).
std::unique_ptr<Schedule> sequential(std::vector<std::unique_ptr<Schedule>> parts,
                                     std::vector<std::int64_t> milestones);
// base·Π (rate_i(base, n) / base): e.g. a warm-up times a cosine.
std::unique_ptr<Schedule> product(std::vector<std::unique_ptr<Schedule>> parts);

}  // namespace schedules

class Scheduler {
 public:
  // The base rates are the groups' current lr; sets each group's lr to the rate at step 0.
  Scheduler(Optimizer& optimizer, std::unique_ptr<Schedule> schedule);

  void step();               // n += 1, then every group's lr = rate(base, n)
  void step(double metric);  // the same, the schedule having seen `metric` (reduce-on-plateau)

  std::int64_t steps() const { return n_; }
  double lr(std::size_t group = 0) const { return optimizer_.lr(group); }
  // "steps", "base.<group>", then the schedule's own state; load_state checks the names.
  ScheduleState state() const;
  void load_state(const ScheduleState& state);

 private:
  void apply();
  Optimizer& optimizer_;
  std::unique_ptr<Schedule> schedule_;
  std::vector<double> base_;
  std::int64_t n_ = 0;
};

}  // namespace descent
