// Every optimizer × convention × option at the ends of its range, against the convention's own
// reference. tests/golden/registry/generate.py read descent's registry, ran each case (the preset
// alone, then one option at a time: the low end, just inside it, a typical value, just inside the
// high end, the high end; each flag the other way) through torch.optim 1.13 (pytorch), Keras 3's
// formulas (keras) or the tutorial's (seed), or where the library has no such knob through the
// formulas of docs/optimizers.md in NumPy, and wrote the trajectories into
// tests/golden/registry/cases.json. Here each case goes through make_optimizer(name, params,
// convention, overrides) and must land on the reference's weights after every step, or, for an
// override that would be silently ignored, be refused with an OptionError naming both options.
//
// The test is parameterized by descent's own registry, not by the file: an optimizer, or an
// option, that the registry has and the file does not fails EveryOptionHasCases.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "descent/descent.hpp"

namespace {

using descent::Convention;
using nlohmann::json;

const json& golden() {
  static const json doc = [] {
    const std::string path = std::string(DESCENT_GOLDEN_DIR) + "/registry/cases.json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path + " (regenerate with `make goldens`)");
    json doc = json::parse(in);
    // The file groups its cases by optimizer and convention; each case here carries both.
    doc["cases"] = json::array();
    for (const json& group : doc["groups"])
      for (json c : group["cases"]) {
        c["optimizer"] = group["optimizer"];
        c["convention"] = group["convention"];
        doc["cases"].push_back(std::move(c));
      }
    return doc;
  }();
  return doc;
}

// Bugs the walk found that are not fixed yet (each posted on NEWS.md): a failing case they match
// is skipped and named; an entry none of whose cases fail any more fails KnownBugsStillFail, so
// the entry goes once the fix lands. "*" matches any optimizer or convention; option
// is a space-separated list of option names, "" any case.
struct KnownBug {
  const char* optimizer;
  const char* convention;
  const char* options;
  const char* bug;
};
const std::vector<KnownBug> known_bugs{};

bool matches(const KnownBug& b, const json& c) {
  if ((std::string(b.optimizer) != "*" && c["optimizer"] != b.optimizer) ||
      (std::string(b.convention) != "*" && c["convention"] != b.convention))
    return false;
  if (!*b.options) return true;
  const std::string list = " " + std::string(b.options) + " ", option = c["option"].get<std::string>();
  return !option.empty() && list.find(" " + option + " ") != std::string::npos;
}

const KnownBug* known_bug(const json& c) {
  for (const KnownBug& b : known_bugs)
    if (matches(b, c)) return &b;
  return nullptr;
}

std::string describe(const json& c) {
  std::string s = c["optimizer"].get<std::string>() + "/" + c["convention"].get<std::string>();
  for (const auto& [key, value] : c["overrides"].items()) s += " " + key + "=" + value.get<std::string>();
  return s + " (" + c["why"].get<std::string>() + ")";
}

// How close descent must come: a relative 1e-12 of the largest |w| the element has had so far.
// Both sides are float64 and run the same formula, but not the same arithmetic: torch and Keras
// order some products differently (Keras adds (g − m)·(1 − β1) to m, descent β1·m + (1−β1)·g),
// torch divides sqrt(v) by sqrt(1 − β2^t) where descent multiplies by its inverse, and descent
// never fuses a multiply-add. Each step thus differs by a few ulps, and six steps by a few 1e-16
// relative; a different formula (ε in another place, lr missing or doubled, a buffer started
// differently) moves w by 1e-9 and far more. The scale is the largest |w| so far, not |w| now:
// w_{t+1} = w_t − u rounds relative to its operands, so a weight that crosses 0 keeps an absolute
// error of about ulp(|w_t|).
constexpr double tolerance = 1e-12;

// The weights after every step (flattened over the tensors), or the OptionError's message.
struct Outcome {
  std::vector<double> w;
  std::string error;
};

Outcome run(const json& c) {
  const json& doc = golden();
  std::vector<std::vector<double>> w, g;
  std::vector<descent::Param> params;
  for (const json& p : doc["params"]) {
    w.push_back(p["init"].get<std::vector<double>>());
    g.emplace_back(w.back().size(), 0.0);
  }
  for (std::size_t i = 0; i < w.size(); ++i)
    params.emplace_back(doc["params"][i]["name"].get<std::string>(), w[i], g[i]);
  std::vector<std::pair<std::string, std::string>> overrides;
  for (const auto& [key, value] : c["overrides"].items()) overrides.emplace_back(key, value.get<std::string>());
  Outcome out;
  std::unique_ptr<descent::Optimizer> opt;
  try {
    opt = descent::make_optimizer(c["optimizer"].get<std::string>(), params,
                                  descent::parse_convention(c["convention"].get<std::string>()), overrides);
  } catch (const descent::OptionError& e) {
    out.error = e.what();
    return out;
  }
  // A scheduled case sets the group's lr before each step, as a schedule does (Scheduler::step).
  const bool scheduled = c.value("schedule", false);
  const double lr0 = opt->lr();
  std::size_t t = 0;
  for (const json& step : doc["grads"]) {
    if (scheduled) opt->set_lr(lr0 * doc["lr_scale"][t].get<double>());
    ++t;
    for (std::size_t i = 0; i < g.size(); ++i) {  // in place: the optimizer views this memory
      const auto gi = step[i].get<std::vector<double>>();
      std::copy(gi.begin(), gi.end(), g[i].begin());
    }
    opt->step();
    for (const auto& wi : w) out.w.insert(out.w.end(), wi.begin(), wi.end());
  }
  return out;
}

// An empty string if descent matches the case, else what differs.
std::string check(const json& c) {
  const Outcome got = run(c);
  if (c.contains("reject")) {
    if (got.error.empty()) return "accepted, but must be rejected naming " + c["reject"].dump();
    for (const json& name : c["reject"])
      if (got.error.find(name.get<std::string>()) == std::string::npos)
        return "rejected, but the message does not name " + name.get<std::string>() + ": " + got.error;
    return "";
  }
  if (!got.error.empty()) return "rejected: " + got.error;
  const std::vector<double> want = c["w"].get<std::vector<double>>();
  if (got.w.size() != want.size()) return "trajectory of the wrong length";
  std::vector<double> scale;
  for (const json& p : golden()["params"])
    for (double x : p["init"]) scale.push_back(std::abs(x));
  const std::size_t n = scale.size();
  for (std::size_t k = 0; k < want.size(); ++k) {
    scale[k % n] = std::max({scale[k % n], std::abs(want[k]), 1e-300});
    if (!(std::abs(got.w[k] - want[k]) <= tolerance * scale[k % n]))
      return "step " + std::to_string(k / n + 1) + " element " + std::to_string(k % n) + ": descent gives " +
             json(got.w[k]).dump() + ", " + c["reference"].get<std::string>() + " " + json(want[k]).dump() +
             " (w: descent " +
             json(std::vector<double>(got.w.begin() + k / n * n, got.w.begin() + k / n * n + n)).dump() +
             ", reference " + json(std::vector<double>(want.begin() + k / n * n, want.begin() + k / n * n + n)).dump() +
             ")";
  }
  return "";
}

using Key = std::tuple<std::string, Convention>;

std::vector<Key> registry_keys() {
  std::vector<Key> out;
  for (const auto& info : descent::optimizers())
    for (Convention c : {Convention::seed, Convention::pytorch, Convention::keras}) out.emplace_back(info.name, c);
  return out;
}

class RegistryWalk : public ::testing::TestWithParam<Key> {};

TEST_P(RegistryWalk, MatchesTheReference) {
  const auto& [name, convention] = GetParam();
  int checked = 0;
  std::map<std::string, int> skipped;  // bug → failing cases
  for (const json& c : golden()["cases"]) {
    if (c["optimizer"] != name || c["convention"] != descent::to_string(convention)) continue;
    ++checked;
    const std::string diff = check(c);
    if (const KnownBug* bug = known_bug(c); bug && !diff.empty()) {
      ++skipped[bug->bug];
      continue;
    }
    EXPECT_EQ(diff, "") << describe(c);
  }
  EXPECT_GT(checked, 0) << "no cases for " << name << "/" << descent::to_string(convention);
  if (skipped.empty()) return;
  std::string bugs;
  for (const auto& [bug, n] : skipped) bugs += "\n  " + bug + " (" + std::to_string(n) + " cases)";
  GTEST_SKIP() << "cases of known bugs skipped:" << bugs;
}

INSTANTIATE_TEST_SUITE_P(Registry, RegistryWalk, ::testing::ValuesIn(registry_keys()),
                         [](const ::testing::TestParamInfo<Key>& info) {
                           return std::get<0>(info.param) + "_" + descent::to_string(std::get<1>(info.param));
                         });

TEST(RegistryWalk, KnownBugsStillFail) {
  std::map<const KnownBug*, int> failing;
  for (const json& c : golden()["cases"])
    if (const KnownBug* bug = known_bug(c); bug && !check(c).empty()) ++failing[bug];
  for (const KnownBug& bug : known_bugs)
    EXPECT_GT(failing[&bug], 0) << "fixed: remove its known_bugs entry (and re-enable its cases): " << bug.bug;
}

// The case a new user found: Keras's SGD with momentum 0 is plain SGD, w −= lr·g (sgd.py: "w = w -
// learning_rate * g when momentum is 0"), though the keras preset of sgdm keeps lr in the buffer.
TEST(RegistryWalk, KerasSgdmWithMomentumZeroIsPlainSgd) {
  int found = 0;
  for (const json& c : golden()["cases"]) {
    if (c["optimizer"] != "sgdm" || c["convention"] != "keras" || c["option"] != "momentum" ||
        c["overrides"]["momentum"] != "0.0")
      continue;
    ++found;
    const std::string diff = check(c);
    if (!diff.empty() && known_bug(c)) GTEST_SKIP() << known_bug(c)->bug << ": " << diff;
    EXPECT_EQ(diff, "") << describe(c);
  }
  EXPECT_EQ(found, 1);
  // The user's own numbers: explain sgdm --grads 0.5,-0.2,0.1 --momentum 0 --lr 0.1 --convention keras.
  double w = 1, g = 0;
  auto opt = descent::make_optimizer("sgdm", {descent::Param("w", &w, &g, 1)}, Convention::keras,
                                     {{"momentum", "0"}, {"lr", "0.1"}});
  const double grads[] = {0.5, -0.2, 0.1}, want[] = {0.95, 0.97, 0.96};
  for (int t = 0; t < 3; ++t) {
    g = grads[t];
    opt->step();
    EXPECT_NEAR(w, want[t], 1e-15) << "step " << t + 1;
  }
}

// The registry and the file agree: every optimizer, convention and option descent has has its
// cases (so a new option cannot slip past untested), and every real option reached both ends of
// its range; the file names nothing the registry lacks.
TEST(RegistryWalk, EveryOptionHasCases) {
  std::map<std::string, int> count;  // "optimizer/convention/option" → cases ("" option: the preset)
  for (const json& c : golden()["cases"])
    ++count[c["optimizer"].get<std::string>() + "/" + c["convention"].get<std::string>() + "/" +
            c["option"].get<std::string>()];
  std::set<std::string> seen;
  for (const auto& [name, convention] : registry_keys()) {
    double w = 1, g = 0;
    auto opt = descent::make_optimizer(name, {descent::Param("w", &w, &g, 1)}, convention);
    const std::string prefix = name + "/" + descent::to_string(convention) + "/";
    EXPECT_GE(count[prefix], 1) << prefix << ": the preset's own case";
    seen.insert(prefix);
    for (const auto& o : opt->option_values()) {
      const std::string key = prefix + std::string(o.name);
      EXPECT_GE(count[key], o.is_flag ? 1 : 4) << key << ": an option of the registry without its cases in "
                                               << "tests/golden/registry/cases.json (run `make goldens`)";
      seen.insert(key);
    }
  }
  for (const auto& [key, n] : count)
    EXPECT_TRUE(seen.count(key)) << key << ": " << n << " cases for something the registry does not have";
}

}  // namespace
