#pragma once
// The pytorch convention against torch.optim itself. tests/golden/generate.py ran torch 1.13 over
// fixed gradient sequences for every option combination of issue 2 and wrote the gradients, the
// parameters after every step and the final state into tests/golden/*.json. Here descent replays
// the same gradients through make_optimizer(..., Convention::pytorch, overrides) and must land on
// torch's numbers: in double to a relative 1e-12, in float to a few ulps. Each rule's test file
// (tests/rules/) runs its own files through expect_torch_golden.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "descent/descent.hpp"
#include "descent/detail/threads.hpp"

namespace descent::testing::torch_golden {

using nlohmann::json;

inline json load(const std::string& file) {
  const std::string path = std::string(DESCENT_GOLDEN_DIR) + "/" + file;
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path + " (regenerate with `make goldens`)");
  return json::parse(in);
}

// How far descent may be from torch. In double: a relative 1e-12. In float: 8 ulps (8 · 2^-23
// relative). The two libraries round differently in places: torch's CPU kernels may fuse
// a + α·b into one FMA where descent rounds twice (-ffp-contract=off, for bit-identical SIMD
// levels), and torch divides sqrt(v) by sqrt(1 − β2^t) where descent multiplies by its inverse.
// Each step can thus differ by about an ulp, and 15 steps add up; in float that is a few ulps
// (the worst case, SGD with momentum under a changing lr, reaches about 4), in double a few
// 1e-16. The double comparison is the one that tells formulas apart (where ε sits moves w by
// 1e-9 and more); the float one checks descent's float path against torch's.
//
// "Relative" needs a scale, and the value itself is the wrong one near 0: w_{t+1} = w_t − u is a
// subtraction whose rounding error is relative to its operands, not to its result, so a weight
// that crosses 0 carries an absolute error of about ulp(|w_t|) however small w_{t+1} is, and
// that error stays in w for the steps after. The scale is therefore the largest |w| of the
// element so far (initial value included). For a state slot (m, V) the same holds for the moving
// averages, whose terms are of the size of the slot's largest values, so its scale is the
// largest |value| in that slot.
template <class T>
constexpr double tolerance() {
  return std::is_same_v<T, double> ? 1e-12 : 8.0 * std::numeric_limits<float>::epsilon();
}

template <class T>
struct Run {
  std::vector<std::vector<T>> values;              // per parameter: the values after the last step
  std::vector<std::vector<std::vector<T>>> after;  // per step, per parameter
  std::vector<std::vector<std::vector<T>>> state;  // per parameter, per slot name in `slots`
  std::vector<std::string> slots;
};

// threads2 replays each parameter tiled (its values repeated, as one flat tensor) to
// 2·detail::min_share elements in all: a golden case's few values would run on one thread.
enum class Mode { threads1, threads2, reference };

template <class T>
Run<T> replay(const json& c, Mode mode) {
  const json& ps = c["params"];
  const std::size_t steps = ps[0]["grads"].size();
  std::size_t total = 0;
  for (const json& p : ps) total += p["init"].size();
  const std::size_t copies = mode == Mode::threads2 ? (2 * descent::detail::min_share + total - 1) / total : 1;
  std::vector<std::vector<T>> w(ps.size()), g(ps.size());
  std::vector<descent::Param> params;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    for (std::size_t k = 0; k < copies; ++k)
      for (double x : ps[i]["init"]) w[i].push_back(T(x));
    g[i].assign(w[i].size(), T(0));
    descent::Shape shape;
    for (std::size_t d : ps[i]["shape"]) shape.push_back(d);
    if (shape.empty()) shape.push_back(1);  // a 0-d torch tensor holds one value
    if (copies > 1) shape = {w[i].size()};
    params.emplace_back(ps[i]["name"].get<std::string>(), w[i], g[i], shape);
  }
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const auto& [key, value] : c["descent"]["overrides"].items())
    overrides.emplace_back(key, value.template get<std::string>());
  auto opt = descent::make_optimizer(c["descent"]["optimizer"].get<std::string>(), params, descent::Convention::pytorch,
                                     overrides);
  if (mode == Mode::threads1) opt->set_threads(1);
  if (mode == Mode::threads2) opt->set_threads(2);
  if (mode == Mode::reference) opt->set_reference(true);

  Run<T> run;
  for (std::size_t t = 0; t < steps; ++t) {
    for (std::size_t i = 0; i < ps.size(); ++i) {
      const std::vector<double> gt = ps[i]["grads"][t];
      for (std::size_t k = 0; k < g[i].size(); ++k) g[i][k] = T(gt[k % gt.size()]);
    }
    if (c.contains("lr_per_step")) opt->set_lr(c["lr_per_step"][t].get<double>());  // a schedule
    opt->step();
    if (mode == Mode::threads2) EXPECT_EQ(descent::detail::last_pass_threads(), 2);
    EXPECT_EQ(opt->t(), std::int64_t(t + 1));
    run.after.push_back(w);
  }
  run.values = w;
  for (auto s : opt->slot_names()) run.slots.emplace_back(s);
  for (std::size_t i = 0; i < ps.size(); ++i) {
    run.state.emplace_back();
    for (const auto& s : run.slots) {
      auto view = opt->state(i, s);
      auto span = view.template as<T>();
      run.state.back().emplace_back(span.begin(), span.end());
    }
  }
  return run;
}

// Whether `tiled` is `one` repeated, to the bit (once, for the reference loop's run).
template <class T>
bool bit_equal(const std::vector<T>& one, const std::vector<T>& tiled) {
  if (one.empty() || tiled.size() < one.size() || tiled.size() % one.size() != 0) return one.size() == tiled.size();
  for (std::size_t at = 0; at < tiled.size(); at += one.size())
    if (std::memcmp(one.data(), tiled.data() + at, one.size() * sizeof(T)) != 0) return false;
  return true;
}

template <class T>
void check_case(const std::string& file, const json& c, const char* dtype) {
  SCOPED_TRACE(file + ": " + c["name"].get<std::string>() + " (" + dtype + ", " + c["descent"]["overrides"].dump() +
               ")");
  const Run<T> run = replay<T>(c, Mode::threads1);
  double worst = 0;
  const double tol = tolerance<T>();
  const json& ps = c["params"];
  for (std::size_t i = 0; i < ps.size(); ++i) {
    const std::string name = ps[i]["name"];
    const json& expected = ps[i][dtype];
    std::vector<double> seen = ps[i]["init"];  // per element, the largest |w| so far
    for (double& x : seen) x = std::abs(x);
    int failures = 0;
    for (std::size_t t = 0; t < run.after.size(); ++t) {
      const std::vector<double> want = expected["after"][t];
      ASSERT_EQ(want.size(), run.after[t][i].size());
      for (std::size_t k = 0; k < want.size(); ++k) {
        const double got = run.after[t][i][k];
        seen[k] = std::max(seen[k], std::abs(want[k]));
        const double scale = seen[k];
        worst = std::max(worst, std::abs(got - want[k]) / scale);
        if (std::abs(got - want[k]) > tol * scale && failures++ < 5)
          ADD_FAILURE() << name << "[" << k << "] after step " << t + 1 << ": descent " << got << ", torch " << want[k]
                        << " (relative " << std::abs(got - want[k]) / scale << ")";
      }
    }
    // The state torch keeps, under descent's slot names; a slot descent keeps must be one torch keeps.
    for (std::size_t j = 0; j < run.slots.size(); ++j) {
      const auto& mine = run.state[i][j];
      if (!expected["state"].contains(run.slots[j])) {
        EXPECT_TRUE(mine.empty()) << name << ": descent keeps slot " << run.slots[j] << ", torch does not";
        continue;
      }
      const std::vector<double> want = expected["state"][run.slots[j]];
      ASSERT_EQ(mine.size(), want.size()) << name << ": slot " << run.slots[j];
      double largest = 0;
      for (double x : want) largest = std::max(largest, std::abs(x));
      for (std::size_t k = 0; k < want.size(); ++k) {
        const double scale = std::max(std::abs(want[k]), largest);
        EXPECT_LE(std::abs(double(mine[k]) - want[k]), tol * scale)
            << name << "[" << k << "] slot " << run.slots[j] << ": descent " << double(mine[k]) << ", torch "
            << want[k];
      }
    }
    for (const auto& [slot, values] : expected["state"].items()) {
      const bool kept = std::find(run.slots.begin(), run.slots.end(), slot) != run.slots.end();
      EXPECT_TRUE(kept) << name << ": torch keeps " << slot << ", descent has no such slot";
    }
  }
  // DESCENT_GOLDEN_VERBOSE=1 prints how close each case came, to see the margin left.
  if (std::getenv("DESCENT_GOLDEN_VERBOSE"))
    std::fprintf(stderr, "%s %s %s: worst relative error %.3g (%.3f of the tolerance)\n", file.c_str(),
                 c["name"].get<std::string>().c_str(), dtype, worst, worst / tol);
  // Threads (2, on the tiled case) and the scalar reference loop change nothing, to the bit.
  for (Mode mode : {Mode::threads2, Mode::reference}) {
    const Run<T> other = replay<T>(c, mode);
    for (std::size_t i = 0; i < run.values.size(); ++i) {
      EXPECT_TRUE(bit_equal(run.values[i], other.values[i]))
          << "parameter " << i << (mode == Mode::threads2 ? " with 2 threads" : " with the reference loop");
      for (std::size_t j = 0; j < run.slots.size(); ++j) EXPECT_TRUE(bit_equal(run.state[i][j], other.state[i][j]));
    }
  }
}

// Every case of one golden file, in double (float64) or float (float32).
template <class T>
void expect_torch_golden(const std::string& file) {
  const json doc = load(file);
  ASSERT_FALSE(doc["cases"].empty()) << file;
  for (const json& c : doc["cases"]) check_case<T>(file, c, std::is_same_v<T, double> ? "float64" : "float32");
}

}  // namespace descent::testing::torch_golden
