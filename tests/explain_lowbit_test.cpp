// descent explain --state-dtype bf16|q8: each printed state value against a hand computation of
// the tutorial's formulas in double, rounded by the formats' definitions in docs/lowbit.md (bf16:
// 8 significant bits by the binade's ulp, ties to even; q8: code·scale with a power-of-two
// scale), not by the library's codec.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "shell.hpp"

namespace {

using Result = shell::Outcome;

Result cli(const std::string& args) { return shell::descent(args); }

using Row = std::map<std::string, double>;

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

std::vector<Row> csv(const std::string& args) {
  const Result r = cli("explain " + args + " --format csv");
  EXPECT_EQ(r.code, 0) << r.out;
  std::istringstream in(r.out);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split(line);
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> cells = split(line);
    EXPECT_EQ(cells.size(), header.size()) << line;
    Row row;
    for (std::size_t i = 0; i < cells.size() && i < header.size(); ++i)
      if (!cells[i].empty()) row[header[i]] = std::stod(cells[i]);  // empty: a moment the rule does not keep
    rows.push_back(row);
  }
  return rows;
}

// bf16 by its definition: x rounded to 8 significant bits (ties to even) in its binade.
double ulp_bf16(double x) { return std::ldexp(1.0, std::ilogb(x) - 7); }
double bf16(double x) { return x == 0 ? 0 : std::nearbyint(x / ulp_bf16(x)) * ulp_bf16(x); }  // FE_TONEAREST
std::uint32_t bits(double x) {
  const float f = float(x);
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u >> 16;
}
// How far x is from a bf16 rounding tie, in bf16 ulps: a float32 computation of x rounds like
// the double one unless x is within float32's error of a tie.
double from_tie(double x) {
  const double q = std::abs(x) / ulp_bf16(x);
  return std::abs(q - std::floor(q) - 0.5);
}

// Adam in the seed convention (lr 0.1, β1 0.9, β2 0.999, ε 0), its state rounded by `round`.
// The step reads the state as stored and takes its own m_t and V_t as computed (docs/lowbit.md:
// the rule runs on float32 values as with f32 state); only what it keeps for the next step is
// rounded.
struct HandAdam {
  double m = 0, v = 0, w = 1;
  std::int64_t t = 0;
  void step(double g, double (*round)(double)) {
    ++t;
    const double m_t = 0.9 * m + 0.1 * g, v_t = 0.999 * v + 0.001 * g * g;
    w -= 0.1 * (m_t / (1 - std::pow(0.9, t))) / std::sqrt(v_t / (1 - std::pow(0.999, t)));
    m = round(m_t);
    v = round(v_t);
  }
};

double exact(double x) { return x; }
constexpr double f32_tol = 3e-7;  // the run is float32; the hand computation double

const std::vector<double> grads{0.5, -0.3, 0.1, 2.0, -0.05};
const char* grads_flag = "--grads 0.5,-0.3,0.1,2,-0.05";

TEST(ExplainLowbit, Bf16StoresEachMomentRoundedToNearestEven) {
  const std::vector<Row> rows = csv(std::string("adam ") + grads_flag + " --state-dtype bf16");
  ASSERT_EQ(rows.size(), grads.size());
  HandAdam low, full;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const double m_before = 0.9 * low.m + 0.1 * grads[i], v_before = 0.999 * low.v + 0.001 * grads[i] * grads[i];
    ASSERT_GT(from_tie(m_before), 1e-3) << "step " << i + 1 << ": pick gradients away from a rounding tie";
    ASSERT_GT(from_tie(v_before), 1e-3) << "step " << i + 1;
    low.step(grads[i], bf16);
    full.step(grads[i], exact);
    const Row& r = rows[i];
    SCOPED_TRACE("step " + std::to_string(i + 1));
    EXPECT_EQ(r.at("m"), low.m);  // bf16 values print exactly
    EXPECT_EQ(r.at("v"), low.v);
    EXPECT_EQ(r.at("m_bits"), bits(low.m));
    EXPECT_EQ(r.at("v_bits"), bits(low.v));
    EXPECT_NEAR(r.at("w"), low.w, f32_tol * std::abs(low.w));
    EXPECT_NEAR(r.at("m_f32"), full.m, f32_tol * std::abs(full.m));
    EXPECT_NEAR(r.at("v_f32"), full.v, f32_tol * std::abs(full.v));
    EXPECT_NEAR(r.at("w_f32"), full.w, f32_tol * std::abs(full.w));
  }
  EXPECT_NE(rows.back().at("w"), rows.back().at("w_f32"));  // the rounding shows in w
}

// q8 by its definition (docs/lowbit.md) for a block of one value x: the scale s is the smallest
// power of two with |x|/s < 1.875, and x/s (in [0.9375, 1.875)) rounds to 3 fraction bits of its
// binade, a tie to the larger magnitude; the code is the sign, the map's exponent (e + 15 signed,
// e + 31 unsigned) and the 3 fraction bits.
double q8_scale_of(double x) {
  const double s = std::ldexp(1.0, std::ilogb(x));
  return std::abs(x) / s >= 1.875 ? 2 * s : s;
}
double q8_step(double q) { return std::ldexp(1.0, std::ilogb(q) - 3); }
double q8(double x) {
  if (x == 0) return 0;
  const double s = q8_scale_of(x), q = std::abs(x) / s;
  return std::copysign(std::floor(q / q8_step(q) + 0.5) * q8_step(q) * s, x);
}
int q8_code(double x, bool is_signed) {
  const double stored = std::abs(q8(x)) / q8_scale_of(x);
  const int e = std::ilogb(stored), f = int(stored / std::ldexp(1.0, e) * 8) - 8;
  return ((e + (is_signed ? 15 : 31)) << 3 | f) | (is_signed && x < 0 ? 0x80 : 0);
}
// How far x is from a q8 rounding tie of its one-value block, in code steps.
double from_q8_tie(double x) {
  const double q = std::abs(x) / q8_scale_of(x) / q8_step(std::abs(x) / q8_scale_of(x));
  return std::abs(q - std::floor(q) - 0.5);
}

TEST(ExplainLowbit, Q8StoresAOneValueBlockAsTheNearestCodeOfItsPowerOfTwoScale) {
  const std::vector<Row> rows = csv(std::string("adam ") + grads_flag + " --state-dtype q8");
  ASSERT_EQ(rows.size(), grads.size());
  HandAdam low;
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const double m_t = 0.9 * low.m + 0.1 * grads[i], v_t = 0.999 * low.v + 0.001 * grads[i] * grads[i];
    ASSERT_GT(from_q8_tie(m_t), 1e-3) << "step " << i + 1 << ": pick gradients away from a rounding tie";
    ASSERT_GT(from_q8_tie(v_t), 1e-3) << "step " << i + 1;
    low.step(grads[i], q8);
    const Row& r = rows[i];
    SCOPED_TRACE("step " + std::to_string(i + 1));
    // As printed, to float32 (4 significant bits, and powers of two: exact in float32).
    EXPECT_EQ(float(r.at("m")), float(low.m));
    EXPECT_EQ(float(r.at("v")), float(low.v));
    EXPECT_EQ(r.at("m_code"), q8_code(m_t, true));
    EXPECT_EQ(r.at("v_code"), q8_code(v_t, false));
    EXPECT_EQ(float(r.at("m_scale")), float(q8_scale_of(m_t)));
    EXPECT_EQ(float(r.at("v_scale")), float(q8_scale_of(v_t)));
    EXPECT_NEAR(r.at("w"), low.w, f32_tol * std::abs(low.w));
  }
  EXPECT_NE(rows.back().at("w"), rows.back().at("w_f32"));  // the rounding shows in w
}

// Stochastic rounding lands on one of the two bf16 neighbours of the exact update of the state
// the previous step stored; the same seed gives the same run, another seed another.
TEST(ExplainLowbit, Bf16StochasticRoundsToANeighbourAndFollowsTheSeed) {
  std::string g = "--grads 0.3";
  for (int i = 1; i < 24; ++i) g += i % 2 ? ",-0.17" : ",0.23";
  const std::vector<Row> a = csv("sgdm " + g + " --state-dtype bf16 --state-rounding stochastic --state-seed 1");
  ASSERT_EQ(a.size(), 24u);
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double x = 0.9 * m + 0.1 * a[i].at("g");
    const double down = std::floor(x / ulp_bf16(x)) * ulp_bf16(x);
    EXPECT_TRUE(a[i].at("m") == down || a[i].at("m") == down + ulp_bf16(x))
        << "step " << i + 1 << ": " << a[i].at("m") << " from " << x;
    m = a[i].at("m");
  }
  EXPECT_EQ(csv("sgdm " + g + " --state-dtype bf16 --state-rounding stochastic --state-seed 1"), a);
  EXPECT_NE(csv("sgdm " + g + " --state-dtype bf16 --state-rounding stochastic --state-seed 2"), a);
}

TEST(ExplainLowbit, TableAndJsonSayTheOneValueGetsLowBitState) {
  const Result table = cli("explain adam --grads 0.5 --state-dtype q8");
  ASSERT_EQ(table.code, 0) << table.out;
  EXPECT_NE(table.out.find("min_size 0"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("code"), std::string::npos) << table.out;
  const Result json = cli("explain adam --grads 0.5 --state-dtype bf16 --format json");
  ASSERT_EQ(json.code, 0) << json.out;
  EXPECT_NE(json.out.find("\"min_size\": 0"), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"bits\": 15693"), std::string::npos) << json.out;  // bf16(0.05) = 0x3d4d
  const Result help = cli("explain adam --help");
  EXPECT_NE(help.out.find("--state-dtype"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("4096"), std::string::npos) << help.out;
}

TEST(ExplainLowbit, BadStateOptionsAreOneLineErrors) {
  const Result dtype = cli("explain adam --grads 0.5 --state-dtype q4");
  EXPECT_EQ(dtype.code, 2);
  EXPECT_EQ(dtype.out, "descent: error: --state-dtype: unknown state dtype 'q4' (expected f32, bf16 or q8)\n");
  const Result rounding = cli("explain adam --grads 0.5 --state-dtype f32 --state-rounding stochastic");
  EXPECT_EQ(rounding.code, 2);
  EXPECT_EQ(rounding.out,
            "descent: error: --state-rounding stochastic applies to --state-dtype bf16 and q8 only, not f32\n");
  const Result range = cli("explain adam --grads 0.5,1e300 --state-dtype bf16");
  EXPECT_EQ(range.code, 2);
  EXPECT_EQ(range.out,
            "descent: error: gradient 2 = 1e+300 is beyond float32's range (bf16 state runs a float32 parameter)\n");
  const Result w0 = cli("explain adam --grads 0.5 --w0 -1e39 --state-dtype q8");
  EXPECT_EQ(w0.code, 2);
  EXPECT_NE(w0.out.find("w0 = -1e+39 is beyond float32's range"), std::string::npos) << w0.out;
  const Result none = cli("explain sgd --grads 0.5 --state-dtype q8");
  EXPECT_EQ(none.code, 2);
  EXPECT_EQ(none.out, "descent: error: sgd keeps no state with these options: q8 state has nothing to store\n");
  EXPECT_EQ(cli("explain sgd --grads 0.5 --state-dtype f32").code, 0);  // the default: nothing asked
  const Result seed = cli("explain adam --grads 0.5 --state-seed x");
  EXPECT_EQ(seed.code, 2);
  EXPECT_NE(seed.out.find("--state-seed"), std::string::npos) << seed.out;
}

}  // namespace
