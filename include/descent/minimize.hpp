#pragma once
// Minimizing a function with any descent optimizer.
//
//   std::vector<double> x{-1.2, 1.0};
//   descent::RecordTrajectory<double> path;
//   descent::StopAtGradientNorm<double> converged(1e-8);
//   auto r = descent::minimize<double>(objective, x, descent::from_registry("adam"), {.max_steps = 5000},
//                                      {&path, &converged});
//
// The loop: f and ∇f at the start (step 0), then per step: the hooks' before_step (the
// gradient is ready), the optimizer moves x by the gradient, f and ∇f are evaluated at the new
// x, and every hook's after_step sees the result. The hooks are descent's one hook model
// (hooks.hpp): lab::train's and a loop of your own take the same ones (clipping, schedules, ...).
// A Callback<T> is a hook that sees the point as a Progress<T>: subclass it, or wrap a lambda in
// StopWhen; it stops the run by returning Flow::stop.
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "descent/error.hpp"
#include "descent/hooks.hpp"
#include "descent/optimizer.hpp"
#include "descent/options.hpp"

namespace descent {

// The function to minimize: f(x), and ∇f(x) written into g. Built from
//   - one callable  (x, g) -> f(x)  that fills g and returns the value;
//   - two callables  x -> f(x)  and  (x, g) -> void;
//   - an object with  evaluate(x) -> f(x)  and  gradient(x, g)  (held by reference; it must
//     outlive the run), as ensmallen's differentiable functions have.
template <class T>
class Objective {
 public:
  using Point = std::span<const T>;
  using Grad = std::span<T>;

  // (clang-format 14 cannot lay out requires-clauses.)
  // clang-format off
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, Objective> && std::is_invocable_r_v<double, F&, Point, Grad>)
  Objective(F f) : both_(std::move(f)) {}

  template <class F, class G>
    requires std::is_invocable_r_v<double, F&, Point> && std::is_invocable_v<G&, Point, Grad>
  Objective(F f, G g)
      : both_([f = std::move(f), g = std::move(g)](Point x, Grad out) mutable {
          g(x, out);
          return double(f(x));
        }) {}

  template <class F>
    requires requires(F& f, Point x, Grad g) {
      { f.evaluate(x) } -> std::convertible_to<double>;
      f.gradient(x, g);
    }
  Objective(F& f)
      : both_([&f](Point x, Grad out) {
          f.gradient(x, out);
          return double(f.evaluate(x));
        }) {}
  // clang-format on

  // f(x), with ∇f(x) written to g.
  double operator()(Point x, Grad g) const { return both_(x, g); }

 private:
  std::function<double(Point, Grad)> both_;
};

// Builds the optimizer over the point being minimized (one parameter named "x").
using MakeOptimizer = std::function<std::unique_ptr<Optimizer>(std::vector<Param>)>;

// An optimizer from the registry (registry.hpp) by name, convention and option overrides.
MakeOptimizer from_registry(std::string name, Convention convention = Convention::pytorch,
                            std::vector<std::pair<std::string, std::string>> overrides = {});

// A RuleOptimizer<Rule> with the given options, e.g. rule_optimizer<rules::Adam>(AdamOptions{}).
template <class Rule>
MakeOptimizer rule_optimizer(typename Rule::Options options) {
  return [options](std::vector<Param> params) -> std::unique_ptr<Optimizer> {
    return std::make_unique<RuleOptimizer<Rule>>(std::move(params), options);
  };
}

// What a callback sees: the state after `step` steps (0: the start point).
template <class T>
struct Progress {
  std::int64_t step;
  std::span<const T> x;
  double value;             // f(x)
  std::span<const T> grad;  // ∇f(x): what the next step will use
  double seconds;           // since the run began
  Optimizer& optimizer;     // a callback may change it, e.g. set_lr for a schedule

  double grad_norm() const;
};

enum class Flow { go_on, stop };

// A hook (hooks.hpp) that sees the optimizer's first parameter as the point: in minimize, x.
template <class T>
class Callback : public Hook {
 public:
  // A short name, reported as the reason the run stopped.
  std::string name() const override = 0;
  // Once, at the start point, before the first step.
  virtual void begin(const Progress<T>&) {}
  // After every step; Flow::stop ends the run after this step.
  virtual Flow after_step(const Progress<T>& p) = 0;
  // Once, at the final point, however the run ended (but not when it failed).
  virtual void end(const Progress<T>&) {}

  void on_begin(HookContext& c) final { begin(progress(c)); }
  void on_after_step(HookContext& c) final {
    if (after_step(progress(c)) == Flow::stop) c.stop(name());
  }
  void on_end(HookContext& c) final { end(progress(c)); }

 private:
  static Progress<T> progress(const HookContext& c) {
    const Param& x = c.optimizer().params().front();
    return {c.step(), x.value<T>(), c.loss(), x.grad<T>(), c.seconds(), c.optimizer()};
  }
};

struct MinimizeOptions {
  std::int64_t max_steps = 1000;
};

struct MinimizeResult {
  std::int64_t steps = 0;  // steps taken
  double value = 0;        // f at the final point
  double grad_norm = 0;    // |∇f| at the final point
  double seconds = 0;
  std::string stopped_by;  // "max_steps", or the name of the callback that stopped the run
};

// A non-finite value or gradient met during a run; the point has moved `step` steps (0: the start).
class NonFiniteError : public Error {
 public:
  NonFiniteError(std::string what, std::int64_t step) : Error(std::move(what)), step_(step) {}
  std::int64_t step() const { return step_; }

 private:
  std::int64_t step_;
};

// Minimizes f from the start point in x; x holds the final point afterwards. Throws Error for a
// non-finite start point or max_steps < 0, and NonFiniteError (naming the step and the point)
// when f or ∇f is NaN or infinite. The hooks (Callback<T>s among them) run in the order given;
// one that skips a step (accumulation) is an Error: ∇f is evaluated whole at every step.
template <class T>
MinimizeResult minimize(const Objective<T>& f, std::span<T> x, const MakeOptimizer& make,
                        const MinimizeOptions& options = {}, std::vector<Hook*> hooks = {});

// The same with a list of callbacks (or of any one kind of hook) kept in a vector of its own.
template <class T, class H>
requires std::derived_from<H, Hook> MinimizeResult minimize(const Objective<T>& f, std::span<T> x,
                                                            const MakeOptimizer& make, const MinimizeOptions& options,
                                                            const std::vector<H*>& hooks) {
  return minimize<T>(f, x, make, options, std::vector<Hook*>(hooks.begin(), hooks.end()));
}

// ---- Built-in callbacks -------------------------------------------------------------------

// Prints step, f and |∇f| every `every` steps (and at the start and the end).
template <class T>
class PrintProgress final : public Callback<T> {
 public:
  explicit PrintProgress(std::ostream& out, std::int64_t every = 100) : out_(out), every_(every) {}
  std::string name() const override { return "progress"; }
  void begin(const Progress<T>& p) override { print(p); }
  Flow after_step(const Progress<T>& p) override;
  void end(const Progress<T>& p) override;

 private:
  void print(const Progress<T>& p);
  std::ostream& out_;
  std::int64_t every_;
  std::int64_t last_ = -1;
};

// Stops when |∇f| ≤ tol.
template <class T>
class StopAtGradientNorm final : public Callback<T> {
 public:
  explicit StopAtGradientNorm(double tol) : tol_(tol) {}
  std::string name() const override { return "gradient_tolerance"; }
  Flow after_step(const Progress<T>& p) override { return p.grad_norm() <= tol_ ? Flow::stop : Flow::go_on; }

 private:
  double tol_;
};

// Stops when f ≤ target + tol (for functions whose minimum is known).
template <class T>
class StopAtValue final : public Callback<T> {
 public:
  StopAtValue(double target, double tol) : target_(target), tol_(tol) {}
  std::string name() const override { return "value_tolerance"; }
  Flow after_step(const Progress<T>& p) override { return p.value <= target_ + tol_ ? Flow::stop : Flow::go_on; }

 private:
  double target_, tol_;
};

// Stops once the run has taken `seconds` of wall-clock time.
template <class T>
class TimeLimit final : public Callback<T> {
 public:
  explicit TimeLimit(double seconds) : seconds_(seconds) {}
  std::string name() const override { return "time_limit"; }
  Flow after_step(const Progress<T>& p) override { return p.seconds >= seconds_ ? Flow::stop : Flow::go_on; }

 private:
  double seconds_;
};

// Stops when f has not improved on its best value by more than min_delta for `patience` steps
// in a row (ensmallen's EarlyStopAtMinLoss).
template <class T>
class EarlyStop final : public Callback<T> {
 public:
  explicit EarlyStop(std::int64_t patience = 10, double min_delta = 0) : patience_(patience), min_delta_(min_delta) {}
  std::string name() const override { return "early_stop"; }
  void begin(const Progress<T>& p) override {
    best_ = p.value;
    waited_ = 0;
  }
  Flow after_step(const Progress<T>& p) override {
    if (p.value < best_ - min_delta_) {
      best_ = p.value;
      waited_ = 0;
      return Flow::go_on;
    }
    return ++waited_ >= patience_ ? Flow::stop : Flow::go_on;
  }

 private:
  std::int64_t patience_;
  double min_delta_;
  double best_ = 0;
  std::int64_t waited_ = 0;
};

// Keeps the point with the lowest f seen (start point included); never stops the run.
template <class T>
class KeepBest final : public Callback<T> {
 public:
  std::string name() const override { return "keep_best"; }
  void begin(const Progress<T>& p) override { take(p); }
  Flow after_step(const Progress<T>& p) override {
    if (p.value < value_) take(p);
    return Flow::go_on;
  }
  const std::vector<T>& x() const { return x_; }
  double value() const { return value_; }
  std::int64_t step() const { return step_; }

 private:
  void take(const Progress<T>& p) {
    x_.assign(p.x.begin(), p.x.end());
    value_ = p.value;
    step_ = p.step;
  }
  std::vector<T> x_;
  double value_ = std::numeric_limits<double>::infinity();
  std::int64_t step_ = 0;
};

// Records every point and value, the start point first; never stops the run.
template <class T>
class RecordTrajectory final : public Callback<T> {
 public:
  std::string name() const override { return "trajectory"; }
  void begin(const Progress<T>& p) override {
    points_.clear();
    values_.clear();
    take(p);
  }
  Flow after_step(const Progress<T>& p) override {
    take(p);
    return Flow::go_on;
  }
  const std::vector<std::vector<T>>& points() const { return points_; }
  const std::vector<double>& values() const { return values_; }

 private:
  void take(const Progress<T>& p) {
    points_.emplace_back(p.x.begin(), p.x.end());
    values_.push_back(p.value);
  }
  std::vector<std::vector<T>> points_;
  std::vector<double> values_;
};

// Any predicate as a callback: stops when it returns true.
template <class T>
class StopWhen final : public Callback<T> {
 public:
  StopWhen(std::string name, std::function<bool(const Progress<T>&)> stop)
      : name_(std::move(name)), stop_(std::move(stop)) {}
  std::string name() const override { return name_; }
  Flow after_step(const Progress<T>& p) override { return stop_(p) ? Flow::stop : Flow::go_on; }

 private:
  std::string name_;
  std::function<bool(const Progress<T>&)> stop_;
};

extern template MinimizeResult minimize<float>(const Objective<float>&, std::span<float>, const MakeOptimizer&,
                                               const MinimizeOptions&, std::vector<Hook*>);
extern template MinimizeResult minimize<double>(const Objective<double>&, std::span<double>, const MakeOptimizer&,
                                                const MinimizeOptions&, std::vector<Hook*>);
extern template struct Progress<float>;
extern template struct Progress<double>;
extern template class PrintProgress<float>;
extern template class PrintProgress<double>;

}  // namespace descent
