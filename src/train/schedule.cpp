// The schedules' closed forms, written as torch.optim.lr_scheduler's get_closed_form / OneCycleLR
// compute them; tests/family_schedule_test.cpp checks every one against torch 1.13's trace.
#include "descent/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "descent/error.hpp"

namespace descent {
namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw OptionError("schedule: " + what);
}

template <class F>
class Curve final : public Schedule {  // a closed form in (base, n)
 public:
  explicit Curve(F f) : f_(std::move(f)) {}
  double rate(double base, std::int64_t n) const override { return f_(base, n); }

 private:
  F f_;
};
template <class F>
std::unique_ptr<Schedule> curve(F f) {
  return std::make_unique<Curve<F>>(std::move(f));
}

double cosine_between(double hi, double lo, double x) {  // hi at x = 0, lo at x = 1
  return lo + (hi - lo) * (1 + std::cos(std::numbers::pi * x)) / 2;
}

class PlateauSchedule final : public Schedule {
 public:
  explicit PlateauSchedule(schedules::Plateau o) : o_(o), best_(o.maximize ? -INFINITY : INFINITY) {}
  double rate(double base, std::int64_t) const override { return std::max(base * scale_, o_.min_lr); }
  void observe(double metric, std::int64_t, double base) override {
    if (better(metric)) {
      best_ = metric;
      bad_ = 0;
    } else {
      ++bad_;
    }
    if (cooldown_ > 0) {
      --cooldown_;
      bad_ = 0;  // bad reports in the cooldown do not count
    }
    if (bad_ > o_.patience) {
      const double old_lr = rate(base, 0), new_lr = std::max(old_lr * o_.factor, o_.min_lr);
      if (old_lr - new_lr > o_.eps) scale_ *= o_.factor;
      cooldown_ = o_.cooldown;
      bad_ = 0;
    }
  }
  void save(const std::string& p, ScheduleState& out) const override {
    out.insert(
        out.end(),
        {{p + "scale", scale_}, {p + "best", best_}, {p + "bad", double(bad_)}, {p + "cooldown", double(cooldown_)}});
  }
  void load(const std::string& p, const ScheduleState& in) override {
    for (const auto& [k, v] : in) {
      if (k == p + "scale") scale_ = v;
      if (k == p + "best") best_ = v;
      if (k == p + "bad") bad_ = std::int64_t(v);
      if (k == p + "cooldown") cooldown_ = std::int64_t(v);
    }
  }

 private:
  bool better(double a) const {
    if (!o_.maximize) return o_.relative ? a < best_ * (1 - o_.threshold) : a < best_ - o_.threshold;
    return o_.relative ? a > best_ * (1 + o_.threshold) : a > best_ + o_.threshold;
  }
  schedules::Plateau o_;
  double scale_ = 1;  // the product of the reductions so far
  double best_;
  std::int64_t bad_ = 0, cooldown_ = 0;
};

class Sequential final : public Schedule {
 public:
  Sequential(std::vector<std::unique_ptr<Schedule>> parts, std::vector<std::int64_t> milestones)
      : parts_(std::move(parts)), milestones_(std::move(milestones)) {
    require(!parts_.empty() && milestones_.size() + 1 == parts_.size(),
            "sequential needs one milestone fewer than schedules");
    require(std::is_sorted(milestones_.begin(), milestones_.end()), "sequential milestones must increase");
  }
  double rate(double base, std::int64_t n) const override {
    const std::size_t i = part(n);
    return parts_[i]->rate(base, n - start(i));
  }
  void observe(double metric, std::int64_t n, double base) override {
    const std::size_t i = part(n);
    parts_[i]->observe(metric, n - start(i), base);
  }
  void save(const std::string& p, ScheduleState& out) const override {
    for (std::size_t i = 0; i < parts_.size(); ++i) parts_[i]->save(p + std::to_string(i) + ".", out);
  }
  void load(const std::string& p, const ScheduleState& in) override {
    for (std::size_t i = 0; i < parts_.size(); ++i) parts_[i]->load(p + std::to_string(i) + ".", in);
  }

 private:
  std::size_t part(std::int64_t n) const {
    return std::size_t(std::upper_bound(milestones_.begin(), milestones_.end(), n) - milestones_.begin());
  }
  std::int64_t start(std::size_t i) const { return i == 0 ? 0 : milestones_[i - 1]; }
  std::vector<std::unique_ptr<Schedule>> parts_;
  std::vector<std::int64_t> milestones_;
};

class Product final : public Schedule {
 public:
  explicit Product(std::vector<std::unique_ptr<Schedule>> parts) : parts_(std::move(parts)) {
    require(!parts_.empty(), "product needs at least one schedule");
  }
  double rate(double base, std::int64_t n) const override {
    double r = base;
    for (const auto& s : parts_) r *= base != 0 ? s->rate(base, n) / base : 0.0;
    return r;
  }
  void observe(double metric, std::int64_t n, double base) override {
    for (auto& s : parts_) s->observe(metric, n, base);
  }
  void save(const std::string& p, ScheduleState& out) const override {
    for (std::size_t i = 0; i < parts_.size(); ++i) parts_[i]->save(p + std::to_string(i) + ".", out);
  }
  void load(const std::string& p, const ScheduleState& in) override {
    for (std::size_t i = 0; i < parts_.size(); ++i) parts_[i]->load(p + std::to_string(i) + ".", in);
  }

 private:
  std::vector<std::unique_ptr<Schedule>> parts_;
};

}  // namespace

namespace schedules {

std::unique_ptr<Schedule> constant(double factor, std::int64_t total) {
  require(factor >= 0 && total >= 0, "constant needs factor >= 0 and total >= 0");
  return curve([=](double base, std::int64_t n) { return base * (total == 0 || n < total ? factor : 1.0); });
}

std::unique_ptr<Schedule> step(std::int64_t step_size, double gamma) {
  require(step_size > 0, "step needs step_size > 0");
  return curve([=](double base, std::int64_t n) { return base * std::pow(gamma, double(n / step_size)); });
}

std::unique_ptr<Schedule> multi_step(std::vector<std::int64_t> milestones, double gamma) {
  require(std::is_sorted(milestones.begin(), milestones.end()), "multi_step milestones must increase");
  return curve([=](double base, std::int64_t n) {
    const auto passed = std::upper_bound(milestones.begin(), milestones.end(), n) - milestones.begin();
    return base * std::pow(gamma, double(passed));
  });
}

std::unique_ptr<Schedule> exponential(double gamma, double decay_steps, bool staircase) {
  require(gamma > 0 && decay_steps > 0, "exponential needs gamma > 0 and decay_steps > 0");
  return curve([=](double base, std::int64_t n) {
    const double e = double(n) / decay_steps;
    return base * std::pow(gamma, staircase ? std::floor(e) : e);
  });
}

std::unique_ptr<Schedule> cosine(std::int64_t t_max, double eta_min) {
  require(t_max > 0, "cosine needs t_max > 0");
  return curve([=](double base, std::int64_t n) { return cosine_between(base, eta_min, double(n) / double(t_max)); });
}

std::unique_ptr<Schedule> warm_restarts(std::int64_t t0, std::int64_t t_mult, double eta_min) {
  require(t0 > 0 && t_mult >= 1, "warm_restarts needs t0 > 0 and t_mult >= 1");
  return curve([=](double base, std::int64_t n) {
    std::int64_t period = t0, t = n;  // integer arithmetic: restarts fall exactly on their step
    while (t >= period) {
      t -= period;
      period *= t_mult;
    }
    return cosine_between(base, eta_min, double(t) / double(period));
  });
}

std::unique_ptr<Schedule> linear(double start_factor, double end_factor, std::int64_t total) {
  require(start_factor > 0 && start_factor <= 1 && end_factor >= 0 && end_factor <= 1 && total > 0,
          "linear needs start_factor in (0, 1], end_factor in [0, 1] and total > 0");
  return curve([=](double base, std::int64_t n) {
    return base * (start_factor + (end_factor - start_factor) * double(std::min(total, n)) / double(total));
  });
}

std::unique_ptr<Schedule> polynomial(std::int64_t total, double power) {
  require(total > 0, "polynomial needs total > 0");
  return curve([=](double base, std::int64_t n) {
    return base * std::pow(1.0 - double(std::min(total, n)) / double(total), power);
  });
}

std::unique_ptr<Schedule> one_cycle(OneCycle o) {
  require(o.total > 0 && o.pct_start > 0 && o.pct_start < 1 && o.div_factor > 0 && o.final_div_factor > 0,
          "one_cycle needs total > 0, pct_start in (0, 1) and positive div factors");
  return curve([=](double max_lr, std::int64_t step) {
    const double initial = max_lr / o.div_factor, min_lr = initial / o.final_div_factor;
    struct Phase {
      double end, from, to;
    };
    const double up = o.pct_start * double(o.total) - 1;
    std::vector<Phase> phases;
    if (o.three_phase)
      phases = {{up, initial, max_lr},
                {2 * o.pct_start * double(o.total) - 2, max_lr, initial},
                {double(o.total) - 1, initial, min_lr}};
    else
      phases = {{up, initial, max_lr}, {double(o.total) - 1, max_lr, min_lr}};
    const double n = double(std::min(step, o.total));  // beyond the cycle: its last rate
    double start = 0;
    for (std::size_t i = 0; i < phases.size(); ++i) {
      if (n <= phases[i].end || i + 1 == phases.size()) {
        const double pct = (n - start) / (phases[i].end - start);
        return o.cosine ? phases[i].to + (phases[i].from - phases[i].to) / 2.0 * (std::cos(std::numbers::pi * pct) + 1)
                        : (phases[i].to - phases[i].from) * pct + phases[i].from;
      }
      start = phases[i].end;
    }
    return min_lr;
  });
}

std::unique_ptr<Schedule> plateau(Plateau o) {
  require(o.factor > 0 && o.factor < 1 && o.patience >= 0 && o.cooldown >= 0 && o.min_lr >= 0,
          "plateau needs factor in (0, 1), patience >= 0, cooldown >= 0, min_lr >= 0");
  return std::make_unique<PlateauSchedule>(o);
}

std::unique_ptr<Schedule> sequential(std::vector<std::unique_ptr<Schedule>> parts,
                                     std::vector<std::int64_t> milestones) {
  return std::make_unique<Sequential>(std::move(parts), std::move(milestones));
}

std::unique_ptr<Schedule> product(std::vector<std::unique_ptr<Schedule>> parts) {
  return std::make_unique<Product>(std::move(parts));
}

}  // namespace schedules

Scheduler::Scheduler(Optimizer& optimizer, std::unique_ptr<Schedule> schedule)
    : optimizer_(optimizer), schedule_(std::move(schedule)) {
  require(schedule_ != nullptr, "no schedule given");
  for (std::size_t g = 0; g < optimizer_.group_count(); ++g) base_.push_back(optimizer_.lr(g));
  apply();
}

void Scheduler::apply() {
  for (std::size_t g = 0; g < base_.size(); ++g) optimizer_.set_lr(schedule_->rate(base_[g], n_), g);
}

void Scheduler::step() {
  ++n_;
  apply();
}

void Scheduler::step(double metric) {
  schedule_->observe(metric, n_ + 1, base_.empty() ? 0.0 : base_[0]);
  step();
}

ScheduleState Scheduler::state() const {
  ScheduleState s{{"steps", double(n_)}};
  for (std::size_t g = 0; g < base_.size(); ++g) s.emplace_back("base." + std::to_string(g), base_[g]);
  schedule_->save("schedule.", s);
  return s;
}

void Scheduler::load_state(const ScheduleState& state) {
  const ScheduleState mine = this->state();
  // Plain pairs, not structured bindings: clang 14 (make fuzz) cannot capture those in lambdas.
  for (const auto& entry : mine) {
    const std::string& name = entry.first;
    const bool found = std::any_of(state.begin(), state.end(), [&](const auto& kv) { return kv.first == name; });
    require(found, "saved state lacks '" + name + "' (a different schedule or number of groups?)");
  }
  for (const auto& entry : state) {
    const std::string& name = entry.first;
    const double value = entry.second;
    const bool known = std::any_of(mine.begin(), mine.end(), [&](const auto& kv) { return kv.first == name; });
    require(known, "saved state has an unknown entry '" + name + "'");
    if (name == "steps") n_ = std::int64_t(value);
    if (name.rfind("base.", 0) == 0) base_.at(std::stoul(name.substr(5))) = value;
  }
  schedule_->load("schedule.", state);
  apply();
}

}  // namespace descent
