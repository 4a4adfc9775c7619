#include "descent/minimize.hpp"

#include <cmath>
#include <ostream>
#include <sstream>

#include "descent/registry.hpp"

namespace descent {

MakeOptimizer from_registry(std::string name, Convention convention,
                            std::vector<std::pair<std::string, std::string>> overrides) {
  optimizer_info(name);  // an unknown name fails here, before any run
  return [name = std::move(name), convention, overrides = std::move(overrides)](std::vector<Param> params) {
    return make_optimizer(name, std::move(params), convention, overrides);
  };
}

template <class T>
double Progress<T>::grad_norm() const {
  double s = 0;
  for (T gi : grad) s += double(gi) * double(gi);
  return std::sqrt(s);
}

namespace {

template <class T>
std::string point_text(std::span<const T> x) {
  std::ostringstream out;
  out.precision(6);
  out << '(';
  for (std::size_t i = 0; i < x.size() && i < 8; ++i) out << (i ? ", " : "") << double(x[i]);
  if (x.size() > 8) out << ", ...";
  out << ')';
  return out.str();
}

// f and ∇f at x; a NaN or an infinity is the function's or the run's failure, and is reported
// with the step and the point, since continuing would only spread it.
template <class T>
double evaluate(const Objective<T>& f, std::span<const T> x, std::span<T> g, std::int64_t step) {
  const double value = f(x, g);
  // Only on failure: formatting the point on every step took most of a 2-D step's time.
  auto where = [&] {
    return step == 0 ? "at the start point " + point_text(x)
                     : "at step " + std::to_string(step) + ", x = " + point_text(x);
  };
  if (!std::isfinite(value))
    throw NonFiniteError("minimize: the function returned " + std::to_string(value) + " " + where(), step);
  for (std::size_t i = 0; i < g.size(); ++i)
    if (!std::isfinite(g[i]))
      throw NonFiniteError(
          "minimize: gradient component " + std::to_string(i) + " is " + std::to_string(double(g[i])) + " " + where(),
          step);
  return value;
}

}  // namespace

template <class T>
MinimizeResult minimize(const Objective<T>& f, std::span<T> x, const MakeOptimizer& make,
                        const MinimizeOptions& options, std::vector<Hook*> hooks) {
  if (x.empty()) throw Error("minimize: the start point is empty");
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i]))
      throw Error("minimize: start point component " + std::to_string(i) + " is " + std::to_string(double(x[i])) +
                  ", not a finite number");
  if (options.max_steps < 0) throw Error("minimize: max_steps = " + std::to_string(options.max_steps) + " is negative");

  std::vector<T> g(x.size());
  std::unique_ptr<Optimizer> opt = make({Param("x", x, std::span<T>(g))});
  if (!opt) throw Error("minimize: the optimizer factory returned no optimizer");

  std::span<const T> xc(x.data(), x.size());
  Hooks run(*opt, std::move(hooks));
  double value = evaluate<T>(f, xc, g, 0);
  run.begin(value);
  std::int64_t step = 0;
  while (step < options.max_steps) {
    if (!run.before_step(value))
      throw Error("minimize: hook '" + run.skipped_by() +
                  "' skipped a step; minimize evaluates the whole gradient at every step");
    opt->step();
    ++step;
    value = evaluate<T>(f, xc, g, step);
    run.after_step(value);  // every hook sees every step, even after one asks to stop
    if (run.stopped()) break;
  }
  run.end();
  MinimizeResult result;
  result.stopped_by = run.stopped() ? run.stopped_by() : "max_steps";
  result.steps = step;
  result.value = value;
  double s = 0;
  for (T gi : g) s += double(gi) * double(gi);
  result.grad_norm = std::sqrt(s);
  result.seconds = run.seconds();
  return result;
}

template <class T>
void PrintProgress<T>::print(const Progress<T>& p) {
  out_ << "step " << p.step << "  f = " << p.value << "  |grad| = " << p.grad_norm() << '\n';
  last_ = p.step;
}

template <class T>
Flow PrintProgress<T>::after_step(const Progress<T>& p) {
  if (every_ > 0 && p.step % every_ == 0) print(p);
  return Flow::go_on;
}

template <class T>
void PrintProgress<T>::end(const Progress<T>& p) {
  if (last_ != p.step) print(p);
}

template MinimizeResult minimize<float>(const Objective<float>&, std::span<float>, const MakeOptimizer&,
                                        const MinimizeOptions&, std::vector<Hook*>);
template MinimizeResult minimize<double>(const Objective<double>&, std::span<double>, const MakeOptimizer&,
                                         const MinimizeOptions&, std::vector<Hook*>);
template struct Progress<float>;
template struct Progress<double>;
template class PrintProgress<float>;
template class PrintProgress<double>;

}  // namespace descent
