// Options and parameters: validation errors and their messages, failed changes that must leave
// the optimizer as it was, empty and zero-size parameters and groups, per-group options, bad
// parameters, mixed float/double, and the kinds of memory a parameter can view.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "descent/descent.hpp"

namespace {

using descent::Convention;
using descent::OptionError;
using descent::Param;
using Overrides = std::vector<std::pair<std::string, std::string>>;

// Runs f, which must throw E, and returns the message.
template <class E = OptionError>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw the wrong type: " << e.what();
    return "";
  }
  ADD_FAILURE() << "did not throw";
  return "";
}

void expect_mentions(const std::string& message, std::initializer_list<const char*> parts) {
  for (const char* p : parts) EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' missing in: " << message;
}

// The error make_optimizer raises for `overrides` on a small double parameter.
std::string make_error(const char* optimizer, const Overrides& overrides, Convention c = Convention::pytorch) {
  std::vector<double> w{1, 2, 3}, g{0.1, -0.2, 0.3};
  return error_of([&] { descent::make_optimizer(optimizer, {Param("w", w, g)}, c, overrides); });
}

TEST(Options, NegativeLearningRate) {
  // sgdm is the sgd rule with momentum, and its range errors name the rule.
  for (const char* o : {"sgd", "sgdm", "adagrad", "rmsprop", "adam"})
    expect_mentions(make_error(o, {{"lr", "-0.1"}}),
                    {std::string_view(o) == "sgdm" ? "sgd" : o, "lr", "-0.1", "[0, inf)"});
  expect_mentions(make_error("adam", {{"lr", "nan"}}), {"lr", "nan", "[0, inf)"});
}

TEST(Options, BetaOutsideUnitInterval) {
  expect_mentions(make_error("adam", {{"beta1", "1"}}), {"beta1", "= 1 ", "[0, 1)"});
  expect_mentions(make_error("adam", {{"beta2", "-0.5"}}), {"beta2", "-0.5", "[0, 1)"});
  expect_mentions(make_error("adam", {{"beta2", "1.5"}}), {"beta2", "1.5", "[0, 1)"});
  expect_mentions(make_error("rmsprop", {{"beta", "1"}}), {"beta", "= 1 ", "[0, 1)"});
  expect_mentions(make_error("sgdm", {{"momentum", "1"}}), {"momentum", "= 1 ", "[0, 1)"});
  expect_mentions(make_error("rmsprop", {{"momentum", "-0.1"}}), {"momentum", "-0.1", "[0, 1)"});
  expect_mentions(make_error("sgdm", {{"dampening", "1.5"}}), {"dampening", "1.5", "[0, 1]"});
}

TEST(Options, NegativeEpsilonAndFriends) {
  expect_mentions(make_error("adam", {{"eps", "-1e-08"}}), {"adam", "eps", "-1e-08", "[0, inf)"});
  expect_mentions(make_error("adagrad", {{"eps", "-1"}}), {"adagrad", "eps", "-1", "[0, inf)"});
  expect_mentions(make_error("rmsprop", {{"eps", "-1"}}), {"rmsprop", "eps", "-1", "[0, inf)"});
  expect_mentions(make_error("adagrad", {{"initial_accumulator_value", "-0.1"}}),
                  {"initial_accumulator_value", "-0.1", "[0, inf)"});
  expect_mentions(make_error("adagrad", {{"lr_decay", "-1"}}), {"lr_decay", "-1", "[0, inf)"});
  expect_mentions(make_error("adam", {{"weight_decay", "-0.01"}}), {"weight_decay", "-0.01", "[0, inf)"});
}

TEST(Options, NesterovNeedsMomentumAndNoDampening) {
  expect_mentions(make_error("sgd", {{"nesterov", "true"}}), {"nesterov", "momentum > 0", "momentum = 0"});
  expect_mentions(make_error("sgdm", {{"nesterov", "true"}, {"dampening", "0.5"}}),
                  {"nesterov", "dampening = 0", "dampening = 0.5"});
  // The typed class validates the same way.
  std::vector<double> w{1}, g{1};
  descent::SgdOptions o;
  o.nesterov = true;
  expect_mentions(error_of([&] { descent::Sgd({Param("w", w, g)}, o); }), {"nesterov", "momentum > 0"});
}

TEST(Options, UnknownNameAndBadValues) {
  expect_mentions(make_error("adam", {{"beta3", "0.9"}}), {"adam", "unknown option 'beta3'", "beta1", "beta2", "eps"});
  expect_mentions(make_error("adam", {{"lr", "fast"}}), {"adam", "lr", "'fast'", "not a number", "[0, inf)"});
  expect_mentions(make_error("adam", {{"beta2", "0.1x"}}), {"beta2", "'0.1x'", "not a number", "[0, 1)"});
  expect_mentions(make_error("adam", {{"lr", ""}}), {"lr", "''", "not a number"});
  expect_mentions(make_error("adam", {{"amsgrad", "maybe"}}), {"amsgrad", "'maybe'", "true or false"});
  expect_mentions(error_of([] { descent::make_optimizer("adamz", {}); }), {"adamz", "sgd", "adam"});
  expect_mentions(error_of([] { descent::parse_convention("tensorflow"); }), {"tensorflow", "keras"});
}

// A setting that fails changes nothing: options, state, and every later step stay exactly as
// if it had never been tried.
TEST(Options, FailedChangesLeaveTheOptimizerAlone) {
  std::vector<double> w{1, 2, 3}, g{0.1, -0.2, 0.3};
  std::vector<double> w2 = w, g2 = g;
  descent::Adam tried({Param("w", w, g)});
  descent::Adam untouched({Param("w", w2, g2)});
  tried.step();
  untouched.step();

  const auto before = tried.option_values();
  EXPECT_THROW(tried.set_option("lr", "-1"), OptionError);
  EXPECT_THROW(tried.set_option("beta1", "1"), OptionError);
  EXPECT_THROW(tried.set_option("amsgrad", "perhaps"), OptionError);
  EXPECT_THROW(tried.set_option("no_such", "1"), OptionError);
  EXPECT_THROW(tried.set_lr(-1), OptionError);
  EXPECT_ANY_THROW(tried.set_option("lr", "0.1", 5));  // no group 5
  descent::AdamOptions bad = tried.options();
  bad.lr = 0.5;        // valid on its own,
  bad.amsgrad = true;  // would add a slot,
  bad.eps = -1;        // but this is not
  EXPECT_THROW(tried.set_options(bad), OptionError);

  const auto after = tried.option_values();
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(before[i].value, after[i].value) << before[i].name;
  EXPECT_FALSE(tried.state(0, "v_max")) << "a failed set_options allocated AMSGrad's slot";
  EXPECT_EQ(tried.t(), 1);
  for (int s = 0; s < 3; ++s) {
    tried.step();
    untouched.step();
  }
  EXPECT_EQ(std::memcmp(w.data(), w2.data(), w.size() * sizeof(double)), 0);

  // A failed add_group leaves the groups and parameters as they were.
  std::vector<double> x{1}, gx{1};
  descent::AdamOptions neg;
  neg.lr = -1;
  EXPECT_THROW(tried.add_group({Param("x", x, gx)}, neg), OptionError);
  EXPECT_THROW(tried.add_group({Param("x", x, gx), Param("x", x, gx)}, {}), descent::Error);
  EXPECT_EQ(tried.group_count(), 1u);
  EXPECT_EQ(tried.params().size(), 1u);
  tried.add_group({Param("x", x, gx)}, {});  // the name is still free
  EXPECT_EQ(tried.group_count(), 2u);
}

// A good set_option takes effect and only in its group.
TEST(Options, SetOptionChangesOneGroup) {
  std::vector<double> a{1}, ga{1}, b{1}, gb{1};
  descent::Sgd opt({Param("a", a, ga)}, descent::SgdOptions::preset(Convention::pytorch));
  opt.add_group({Param("b", b, gb)}, descent::SgdOptions::preset(Convention::pytorch));
  opt.set_option("lr", "0.5", 1);
  opt.step();
  EXPECT_EQ(a[0], 1 - 1e-3);
  EXPECT_EQ(b[0], 1 - 0.5);
  EXPECT_EQ(opt.lr(0), 1e-3);
  EXPECT_EQ(opt.lr(1), 0.5);
}

TEST(Options, EmptyParameterList) {
  for (const char* o : {"sgd", "sgdm", "adagrad", "rmsprop", "adam"}) {
    auto opt = descent::make_optimizer(o, {});
    opt->set_threads(2);
    opt->step();
    opt->step();
    EXPECT_EQ(opt->t(), 2) << o;
    EXPECT_TRUE(opt->params().empty());
  }
}

// Zero-size parameters and empty groups: a step is a no-op for them, the step counter still
// advances (t is the group's global step), and the other parameters move exactly as without them.
TEST(Options, ZeroSizeParametersAndEmptyGroups) {
  std::vector<double> none, gnone, w{1, 2}, g{0.5, -0.5}, w_alone{1, 2}, g_alone{0.5, -0.5};
  descent::Adam opt({Param("empty", none, gnone), Param("w", w, g)});
  opt.add_group({}, {});
  opt.add_group({Param("empty2", none, gnone)}, {});
  descent::Adam alone({Param("w", w_alone, g_alone)});
  for (int s = 0; s < 3; ++s) {
    opt.step();
    alone.step();
  }
  for (std::size_t gr = 0; gr < 3; ++gr) EXPECT_EQ(opt.t(gr), 3) << "group " << gr;
  EXPECT_EQ(w, w_alone);
  EXPECT_EQ(opt.state(0, "m").size, 0u);
  EXPECT_EQ(opt.params()[0].size(), 0u);
}

// Two groups with different options give each group exactly what a one-group optimizer with
// those options gives, to the bit, also when the groups keep different state slots.
template <class O>
void expect_groups_independent(typename O::Options a, typename O::Options b) {
  const std::size_t n = 37, m = 50;
  std::vector<double> wa(n), ga(n), wb(m), gb(m);
  for (std::size_t i = 0; i < n; ++i) wa[i] = 0.1 * double(i) - 1, ga[i] = std::sin(double(i));
  for (std::size_t i = 0; i < m; ++i) wb[i] = 0.05 * double(i) + 0.5, gb[i] = std::cos(double(i));
  std::vector<double> wa1 = wa, ga1 = ga, wb1 = wb, gb1 = gb;
  O both({Param("a", wa, ga)}, a);
  both.add_group({Param("b", wb, gb)}, b);
  O only_a({Param("a", wa1, ga1)}, a);
  O only_b({Param("b", wb1, gb1)}, b);
  for (int s = 0; s < 5; ++s) {
    both.step();
    only_a.step();
    only_b.step();
    for (auto* gr : {&ga, &ga1})
      for (auto& x : *gr) x = -0.9 * x + 0.01;  // gradients change between steps
    for (auto* gr : {&gb, &gb1})
      for (auto& x : *gr) x = 0.7 * x - 0.02;
  }
  EXPECT_EQ(wa, wa1);
  EXPECT_EQ(wb, wb1);
  EXPECT_NE(wa[0], -1.0);  // both groups really moved
  EXPECT_NE(wb[0], 0.5);
}

TEST(Options, PerGroupOverrides) {
  {
    descent::AdamOptions a, b;
    a.lr = 0.01;
    b.lr = 0.2, b.beta1 = 0.5, b.beta2 = 0.9, b.amsgrad = true, b.weight_decay = 0.1, b.decoupled_weight_decay = true;
    expect_groups_independent<descent::Adam>(a, b);
  }
  {
    auto a = descent::SgdOptions::preset(Convention::pytorch);
    auto b = descent::SgdOptions::momentum_preset(Convention::keras);
    b.nesterov = true;
    expect_groups_independent<descent::Sgd>(a, b);
  }
  {
    auto a = descent::RmsPropOptions::preset(Convention::pytorch);
    auto b = descent::RmsPropOptions::preset(Convention::keras);
    b.centered = true, b.momentum = 0.9;
    expect_groups_independent<descent::RmsProp>(a, b);
  }
  {
    auto a = descent::AdagradOptions::preset(Convention::seed);
    auto b = descent::AdagradOptions::preset(Convention::keras);
    b.lr_decay = 0.1, b.maximize = true;
    expect_groups_independent<descent::Adagrad>(a, b);
  }
}

TEST(Options, BadParameters) {
  std::vector<double> w{1, 2, 3}, g2{1, 2}, g3{1, 2, 3};
  expect_mentions(error_of<descent::Error>([&] { Param("layer.w", w, g2); }),
                  {"layer.w", "gradient has 2 values", "3"});
  expect_mentions(error_of<descent::Error>([&] { Param("layer.w", w, g3, {2, 2}); }), {"layer.w", "shape", "4", "3"});
  expect_mentions(error_of<descent::Error>([&] {
                    descent::Adam({Param("w", w, g3), Param("w", w, g3)});
                  }),
                  {"'w'", "twice"});
  descent::Adam opt({Param("w", w, g3)});
  expect_mentions(error_of<descent::Error>([&] { opt.add_group({Param("w", w, g3)}, {}); }), {"'w'", "twice"});
  // The wrong element type for a view is refused too.
  expect_mentions(error_of<descent::Error>([&] { opt.params()[0].value<float>(); }), {"'w'", "float64"});
  expect_mentions(error_of<descent::Error>([&] { opt.state(0, "nope"); }), {"adam", "'nope'"});
}

// float and double parameters in one optimizer: each moves exactly as in an optimizer of its
// own type, and the two agree to float precision.
TEST(Options, FloatAndDoubleTogether) {
  std::vector<float> wf{1, -2, 3, 0.5f}, gf{0.5f, 0.25f, -1, 2};
  std::vector<double> wd{1, -2, 3, 0.5}, gd{0.5, 0.25, -1, 2};
  std::vector<float> wf1 = wf, gf1 = gf;
  std::vector<double> wd1 = wd, gd1 = gd;
  descent::Adam both({Param("f", wf, gf), Param("d", wd, gd)}, descent::AdamOptions{});
  descent::Adam only_f({Param("f", wf1, gf1)});
  descent::Adam only_d({Param("d", wd1, gd1)});
  for (int s = 0; s < 4; ++s) {
    both.step();
    only_f.step();
    only_d.step();
  }
  EXPECT_EQ(wf, wf1);
  EXPECT_EQ(wd, wd1);
  for (std::size_t i = 0; i < wf.size(); ++i) EXPECT_NEAR(double(wf[i]), wd[i], 1e-6 * std::abs(wd[i]));
  EXPECT_EQ(both.state(0, "m").dtype, descent::DType::f32);
  EXPECT_EQ(both.state(1, "m").dtype, descent::DType::f64);
  EXPECT_THROW(both.state(0, "m").as<double>(), descent::Error);
}

// Parameters view the caller's memory: Eigen matrices and raw arrays move in place, exactly as
// a std::vector holding the same numbers.
TEST(Options, EigenMatricesAndRawArrays) {
  Eigen::MatrixXd m(3, 4), gm(3, 4);
  Eigen::VectorXf v(5), gv(5);
  double raw[6] = {1, 2, 3, 4, 5, 6}, graw[6] = {0.5, -0.5, 0.25, -0.25, 1, -1};
  for (int i = 0; i < 12; ++i) m.data()[i] = 0.1 * i, gm.data()[i] = std::sin(double(i));
  for (int i = 0; i < 5; ++i) v[i] = float(i), gv[i] = float(1 - i);
  std::vector<double> mv(m.data(), m.data() + 12), gmv(gm.data(), gm.data() + 12), rv(raw, raw + 6),
      grv(graw, graw + 6);
  std::vector<float> vv(v.data(), v.data() + 5), gvv(gv.data(), gv.data() + 5);
  const double* const m_data = m.data();

  descent::Adam eigen({Param("m", m, gm, {3, 4}), Param("v", v, gv),
                       Param("raw", std::span<double>(raw), std::span<const double>(graw), {2, 3})});
  descent::Adam vectors({Param("m", mv, gmv), Param("v", vv, gvv), Param("raw", rv, grv)});
  for (int s = 0; s < 3; ++s) {
    eigen.step();
    vectors.step();
  }
  EXPECT_EQ(m.data(), m_data) << "the matrix was reallocated";
  EXPECT_EQ(eigen.params()[0].shape(), (descent::Shape{3, 4}));
  EXPECT_EQ(eigen.params()[2].shape(), (descent::Shape{2, 3}));
  EXPECT_EQ(std::vector<double>(m.data(), m.data() + 12), mv);
  EXPECT_EQ(std::vector<float>(v.data(), v.data() + 5), vv);
  EXPECT_EQ(std::vector<double>(raw, raw + 6), rv);
  EXPECT_NE(raw[0], 1.0) << "the raw array did not move";
}

TEST(Options, ThreadCount) {
  std::vector<double> w{1}, g{1};
  descent::Sgd opt({Param("w", w, g)});
  expect_mentions(error_of([&] { opt.set_threads(-1); }), {"threads", "-1", "[0, inf)"});
  opt.set_threads(3);
  EXPECT_EQ(opt.threads(), 3);
}

}  // namespace

TEST(Params, RawPointersAreViews) {
  double w[3] = {1.0, 2.0, 3.0};
  const double g[3] = {1.0, -1.0, 0.0};
  descent::SgdOptions o = descent::SgdOptions::preset(descent::Convention::seed);  // lr 0.1
  descent::Sgd sgd({descent::Param("w", w, g, 3)}, o);
  sgd.step();
  EXPECT_DOUBLE_EQ(w[0], 1.0 - 0.1);  // w − lr·g, written into the caller's array
  EXPECT_DOUBLE_EQ(w[1], 2.0 + 0.1);
  EXPECT_DOUBLE_EQ(w[2], 3.0);
}
