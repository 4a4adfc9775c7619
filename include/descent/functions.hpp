#pragma once
// Test functions with known optima, for the playground (`descent minimize`) and for tests: each
// knows its gradient, its minimizers and its minimum value, and works in any dimension where the
// function is defined. ensmallen's test problems are the model: a problem that knows its own
// optimum can check an optimizer without a second implementation.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "descent/error.hpp"

namespace descent {

class TestFunction {
 public:
  explicit TestFunction(std::size_t dim) : dim_(dim) {}
  virtual ~TestFunction() = default;

  virtual std::string_view name() const = 0;
  std::size_t dim() const { return dim_; }

  virtual double evaluate(std::span<const double> x) const = 0;
  virtual void gradient(std::span<const double> x, std::span<double> g) const = 0;

  // Every global minimizer (Rastrigin and Ackley list only the global one, not the local ones).
  virtual std::vector<std::vector<double>> minimizers() const = 0;
  virtual double minimum() const = 0;
  // Stationary points that are neither minima nor maxima, where they are the point of the function.
  virtual std::vector<std::vector<double>> saddle_points() const { return {}; }
  // The classic starting point of the literature (or one that makes a telling picture).
  virtual std::vector<double> start() const = 0;
  // The window in which the 2-D playground draws the function: x in [lo[0], hi[0]], y in [lo[1], hi[1]].
  virtual std::array<double, 4> window() const = 0;  // xlo, xhi, ylo, yhi

  // Distance from x to the nearest minimizer.
  double distance_to_optimum(std::span<const double> x) const;

 private:
  std::size_t dim_;
};

struct FunctionInfo {
  std::string_view name;
  std::string_view summary;
  std::size_t min_dim;
  std::size_t max_dim;  // 0: any dimension from min_dim up
  bool convex;
};

// Every test function, in the order the CLI lists them.
const std::vector<FunctionInfo>& test_functions();
// Throws descent::Error for an unknown name (listing the known ones) or a dimension the function
// is not defined in.
const FunctionInfo& test_function_info(std::string_view name);
std::unique_ptr<TestFunction> make_test_function(std::string_view name, std::size_t dim = 2);

// The playground's picture of a 2-D function (`descent minimize`, the web page): its number of
// steps and, in the seed convention, the learning rates that keep every path on the picture
// (optimizers not listed take the convention's).
struct PlaygroundPreset {
  std::string_view function;
  std::int64_t steps;
  std::vector<std::pair<std::string_view, double>> lr;
};
const std::vector<PlaygroundPreset>& playground_presets();
const PlaygroundPreset* playground_preset(std::string_view function);  // null: no preset

}  // namespace descent
