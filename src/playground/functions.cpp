// The test functions. Gradients are written out by hand; tests/functions_test.cpp checks each
// against central finite differences and checks that every stated minimizer has a zero gradient
// and the stated minimum value.
#include "descent/functions.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "descent/error.hpp"

namespace descent {

double TestFunction::distance_to_optimum(std::span<const double> x) const {
  double best = std::numeric_limits<double>::infinity();
  for (const auto& m : minimizers()) {
    double s = 0;
    for (std::size_t i = 0; i < x.size(); ++i) s += (x[i] - m[i]) * (x[i] - m[i]);
    best = std::min(best, std::sqrt(s));
  }
  return best;
}

namespace {

using std::numbers::pi;
using Points = std::vector<std::vector<double>>;

// f(x) = ½·Σ c_i·x_i², c_i = κ^(i/(n−1)) from 1 to κ. κ = 1 is the round bowl; κ = 25 makes
// a valley 5 times longer than it is wide, where plain gradient descent zigzags.
class Bowl final : public TestFunction {
 public:
  Bowl(std::size_t dim, double kappa, std::string_view name) : TestFunction(dim), name_(name), c_(dim, 1.0) {
    for (std::size_t i = 0; dim > 1 && i < dim; ++i) c_[i] = std::pow(kappa, double(i) / double(dim - 1));
  }
  std::string_view name() const override { return name_; }
  double evaluate(std::span<const double> x) const override {
    double f = 0;
    for (std::size_t i = 0; i < x.size(); ++i) f += 0.5 * c_[i] * x[i] * x[i];
    return f;
  }
  void gradient(std::span<const double> x, std::span<double> g) const override {
    for (std::size_t i = 0; i < x.size(); ++i) g[i] = c_[i] * x[i];
  }
  Points minimizers() const override { return {std::vector<double>(dim(), 0.0)}; }
  double minimum() const override { return 0; }
  std::vector<double> start() const override {
    std::vector<double> s(dim(), 1.5);
    s[0] = -4.5;
    return s;
  }
  std::array<double, 4> window() const override { return {-5, 5, -2.5, 2.5}; }

 private:
  std::string_view name_;
  std::vector<double> c_;
};

// f(x) = ½·Σ_{i<n} x_i² + ¼·y⁴ − ½·y², y = x_n: a saddle point at the origin (curving up along
// the first coordinates, down along y) between two minima at y = ±1, f = −¼.
class Saddle final : public TestFunction {
 public:
  using TestFunction::TestFunction;
  std::string_view name() const override { return "saddle"; }
  double evaluate(std::span<const double> x) const override {
    double f = 0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) f += 0.5 * x[i] * x[i];
    const double y = x.back();
    return f + 0.25 * y * y * y * y - 0.5 * y * y;
  }
  void gradient(std::span<const double> x, std::span<double> g) const override {
    for (std::size_t i = 0; i + 1 < x.size(); ++i) g[i] = x[i];
    const double y = x.back();
    g.back() = y * y * y - y;
  }
  Points minimizers() const override {
    std::vector<double> up(dim(), 0.0), down(dim(), 0.0);
    up.back() = 1;
    down.back() = -1;
    return {up, down};
  }
  double minimum() const override { return -0.25; }
  std::vector<std::vector<double>> saddle_points() const override { return {std::vector<double>(dim(), 0.0)}; }
  std::vector<double> start() const override {
    std::vector<double> s(dim(), 1.5);
    s.back() = 1e-3;  // almost on the ridge: the question is who leaves the saddle first
    return s;
  }
  std::array<double, 4> window() const override { return {-2, 2, -1.5, 1.5}; }
};

// f(x) = Σ_{i<n−1} 100·(x_{i+1} − x_i²)² + (1 − x_i)²: a curved, flat-bottomed valley.
class Rosenbrock final : public TestFunction {
 public:
  using TestFunction::TestFunction;
  std::string_view name() const override { return "rosenbrock"; }
  double evaluate(std::span<const double> x) const override {
    double f = 0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
      const double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
      f += 100 * a * a + b * b;
    }
    return f;
  }
  void gradient(std::span<const double> x, std::span<double> g) const override {
    std::fill(g.begin(), g.end(), 0.0);
    for (std::size_t i = 0; i + 1 < x.size(); ++i) {
      const double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
      g[i] += -400 * x[i] * a - 2 * b;
      g[i + 1] += 200 * a;
    }
  }
  Points minimizers() const override { return {std::vector<double>(dim(), 1.0)}; }
  double minimum() const override { return 0; }
  std::vector<double> start() const override {  // (−1.2, 1), repeated
    std::vector<double> s(dim());
    for (std::size_t i = 0; i < s.size(); ++i) s[i] = i % 2 == 0 ? -1.2 : 1.0;
    return s;
  }
  std::array<double, 4> window() const override { return {-1.6, 1.6, -0.5, 1.9}; }
};

// Beale: Σ_k (c_k − x + x·y^k)², c = 1.5, 2.25, 2.625; flat plateaus and steep walls.
class Beale final : public TestFunction {
 public:
  using TestFunction::TestFunction;
  std::string_view name() const override { return "beale"; }
  double evaluate(std::span<const double> p) const override {
    const double x = p[0], y = p[1];
    const double u1 = 1.5 - x + x * y, u2 = 2.25 - x + x * y * y, u3 = 2.625 - x + x * y * y * y;
    return u1 * u1 + u2 * u2 + u3 * u3;
  }
  void gradient(std::span<const double> p, std::span<double> g) const override {
    const double x = p[0], y = p[1];
    const double u1 = 1.5 - x + x * y, u2 = 2.25 - x + x * y * y, u3 = 2.625 - x + x * y * y * y;
    g[0] = 2 * u1 * (y - 1) + 2 * u2 * (y * y - 1) + 2 * u3 * (y * y * y - 1);
    g[1] = 2 * u1 * x + 4 * u2 * x * y + 6 * u3 * x * y * y;
  }
  Points minimizers() const override { return {{3.0, 0.5}}; }
  double minimum() const override { return 0; }
  std::vector<double> start() const override { return {1.0, 1.5}; }
  std::array<double, 4> window() const override { return {-0.5, 4, -1.5, 2}; }
};

// Booth: (x + 2y − 7)² + (2x + y − 5)², a convex quadratic.
class Booth final : public TestFunction {
 public:
  using TestFunction::TestFunction;
  std::string_view name() const override { return "booth"; }
  double evaluate(std::span<const double> p) const override {
    const double a = p[0] + 2 * p[1] - 7, b = 2 * p[0] + p[1] - 5;
    return a * a + b * b;
  }
  void gradient(std::span<const double> p, std::span<double> g) const override {
    const double a = p[0] + 2 * p[1] - 7, b = 2 * p[0] + p[1] - 5;
    g[0] = 2 * a + 4 * b;
    g[1] = 4 * a + 2 * b;
  }
  Points minimizers() const override { return {{1.0, 3.0}}; }
  double minimum() const override { return 0; }
  std::vector<double> start() const override { return {-8.0, -6.0}; }
  std::array<double, 4> window() const override { return {-10, 10, -10, 10}; }
};

// Himmelblau: (x² + y − 11)² + (x + y² − 7)², four minima of equal value 0.
class Himmelblau final : public TestFunction {
 public:
  using TestFunction::TestFunction;
  std::string_view name() const override { return "himmelblau"; }
  double evaluate(std::span<const double> p) const override {
    const double a = p[0] * p[0] + p[1] - 11, b = p[0] + p[1] * p[1] - 7;
    return a * a + b * b;
  }
  void gradient(std::span<const double> p, std::span<double> g) const override {
    const double a = p[0] * p[0] + p[1] - 11, b = p[0] + p[1] * p[1] - 7;
    g[0] = 4 * p[0] * a + 2 * b;
    g[1] = 2 * a + 4 * p[1] * b;
  }
  // Three of the four have no closed form; these are Newton's method's limits in double.
  Points minimizers() const override {
    return {{3.0, 2.0},
            {-2.805118086952745, 3.131312518250573},
            {-3.779310253377747, -3.283185991286169},
            {3.5844283403304917, -1.8481265269644034}};
  }
  double minimum() const override { return 0; }
  std::vector<double> start() const override { return {0.0, 0.0}; }
  std::array<double, 4> window() const override { return {-5, 5, -5, 5}; }
};

// Rastrigin: 10n + Σ (x_i² − 10·cos 2πx_i): a bowl covered in local minima.
class Rastrigin final : public TestFunction {
 public:
  using TestFunction::TestFunction;
  std::string_view name() const override { return "rastrigin"; }
  double evaluate(std::span<const double> x) const override {
    double f = 10.0 * double(x.size());
    for (double xi : x) f += xi * xi - 10 * std::cos(2 * pi * xi);
    return f;
  }
  void gradient(std::span<const double> x, std::span<double> g) const override {
    for (std::size_t i = 0; i < x.size(); ++i) g[i] = 2 * x[i] + 20 * pi * std::sin(2 * pi * x[i]);
  }
  Points minimizers() const override { return {std::vector<double>(dim(), 0.0)}; }
  double minimum() const override { return 0; }
  std::vector<double> start() const override {
    std::vector<double> s(dim(), 2.6);
    s[0] = -2.2;
    return s;
  }
  std::array<double, 4> window() const override { return {-5.12, 5.12, -5.12, 5.12}; }
};

// Ackley: −20·exp(−0.2·r) − exp(Σ cos(2πx_i)/n) + 20 + e, r = sqrt(Σ x_i²/n). The cone at the
// origin has no gradient; we take 0 there (the subgradient that makes the minimizer stationary).
class Ackley final : public TestFunction {
 public:
  using TestFunction::TestFunction;
  std::string_view name() const override { return "ackley"; }
  double evaluate(std::span<const double> x) const override {
    const double n = double(x.size());
    double s = 0, c = 0;
    for (double xi : x) {
      s += xi * xi;
      c += std::cos(2 * pi * xi);
    }
    return -20 * std::exp(-0.2 * std::sqrt(s / n)) - std::exp(c / n) + 20 + std::numbers::e;
  }
  void gradient(std::span<const double> x, std::span<double> g) const override {
    const double n = double(x.size());
    double s = 0, c = 0;
    for (double xi : x) {
      s += xi * xi;
      c += std::cos(2 * pi * xi);
    }
    const double r = std::sqrt(s / n);
    const double cone = r > 0 ? 4 * std::exp(-0.2 * r) / (n * r) : 0.0;  // 20·0.2·e^(−0.2r)·(1/(n·r))
    const double wave = std::exp(c / n) * 2 * pi / n;
    for (std::size_t i = 0; i < x.size(); ++i) g[i] = cone * x[i] + wave * std::sin(2 * pi * x[i]);
  }
  Points minimizers() const override { return {std::vector<double>(dim(), 0.0)}; }
  double minimum() const override { return 0; }
  std::vector<double> start() const override {
    std::vector<double> s(dim(), -2.4);
    s[0] = 2.6;
    return s;
  }
  std::array<double, 4> window() const override { return {-5, 5, -5, 5}; }
};

// Styblinski–Tang: ½·Σ (x_i⁴ − 16x_i² + 5x_i); 2ⁿ local minima, the global one at x_i = z where
// z is the smallest root of 4z³ − 32z + 5 = 0.
class StyblinskiTang final : public TestFunction {
 public:
  using TestFunction::TestFunction;
  static constexpr double z = -2.903534027771177;  // Newton's method's limit in double
  std::string_view name() const override { return "styblinski-tang"; }
  double evaluate(std::span<const double> x) const override {
    double f = 0;
    for (double xi : x) f += xi * xi * xi * xi - 16 * xi * xi + 5 * xi;
    return 0.5 * f;
  }
  void gradient(std::span<const double> x, std::span<double> g) const override {
    for (std::size_t i = 0; i < x.size(); ++i) g[i] = 2 * x[i] * x[i] * x[i] - 16 * x[i] + 2.5;
  }
  Points minimizers() const override { return {std::vector<double>(dim(), z)}; }
  double minimum() const override { return 0.5 * double(dim()) * (z * z * z * z - 16 * z * z + 5 * z); }
  std::vector<double> start() const override {
    std::vector<double> s(dim(), 4.5);
    s[0] = 1.0;
    return s;
  }
  std::array<double, 4> window() const override { return {-5, 5, -5, 5}; }
};

}  // namespace

const std::vector<FunctionInfo>& test_functions() {
  static const std::vector<FunctionInfo> all{
      {"bowl", "round quadratic bowl, 1/2*|x|^2", 1, 0, true},
      {"ill-bowl", "ill-conditioned quadratic bowl, curvature 1 to 25", 1, 0, true},
      {"saddle", "saddle at 0 between minima at y = +-1", 2, 0, false},
      {"rosenbrock", "curved flat valley, minimum at (1, ..., 1)", 2, 0, false},
      {"beale", "plateaus and steep walls, minimum at (3, 0.5)", 2, 2, false},
      {"booth", "convex quadratic, minimum at (1, 3)", 2, 2, true},
      {"himmelblau", "four minima of value 0", 2, 2, false},
      {"rastrigin", "bowl covered in local minima", 1, 0, false},
      {"ackley", "flat outskirts, sharp hole at 0", 1, 0, false},
      {"styblinski-tang", "2^n local minima, global at x_i = -2.9035", 1, 0, false},
  };
  return all;
}

const FunctionInfo& test_function_info(std::string_view name) {
  std::string names;
  for (const auto& info : test_functions()) {
    if (info.name == name) return info;
    names += (names.empty() ? "" : ", ") + std::string(info.name);
  }
  throw Error("unknown function '" + std::string(name) + "' (expected one of " + names + ")");
}

std::unique_ptr<TestFunction> make_test_function(std::string_view name, std::size_t dim) {
  const FunctionInfo& info = test_function_info(name);
  if (dim < info.min_dim || (info.max_dim != 0 && dim > info.max_dim)) {
    const std::string range = info.max_dim == info.min_dim ? std::to_string(info.min_dim) + "-D only"
                              : info.max_dim == 0          ? "defined from " + std::to_string(info.min_dim) + "-D up"
                                                           : "defined from " + std::to_string(info.min_dim) + "-D to " +
                                                        std::to_string(info.max_dim) + "-D";
    throw Error(std::string(info.name) + " is " + range + " (got dimension " + std::to_string(dim) + ")");
  }
  if (name == "bowl") return std::make_unique<Bowl>(dim, 1.0, info.name);
  if (name == "ill-bowl") return std::make_unique<Bowl>(dim, 25.0, info.name);
  if (name == "saddle") return std::make_unique<Saddle>(dim);
  if (name == "rosenbrock") return std::make_unique<Rosenbrock>(dim);
  if (name == "beale") return std::make_unique<Beale>(dim);
  if (name == "booth") return std::make_unique<Booth>(dim);
  if (name == "himmelblau") return std::make_unique<Himmelblau>(dim);
  if (name == "rastrigin") return std::make_unique<Rastrigin>(dim);
  if (name == "ackley") return std::make_unique<Ackley>(dim);
  return std::make_unique<StyblinskiTang>(dim);
}

}  // namespace descent
