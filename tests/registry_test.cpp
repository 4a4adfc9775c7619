// The registry as data: every row, what it derives from the rules, and what the CLI and the
// JSON read from it. The numbers of each option at its range ends are tests/registry_walk_test.
#include "descent/registry.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "descent/optimizers.hpp"
#include "lab_support.hpp"

namespace {

using descent::Convention;
using json = nlohmann::json;
constexpr Convention conventions[] = {Convention::seed, Convention::pytorch, Convention::keras};

std::unique_ptr<descent::Optimizer> one(std::string_view name, Convention c, const descent::Overrides& o = {}) {
  static std::vector<double> w{1.0}, g{0.0};
  return descent::make_optimizer(name, {descent::Param("w", std::span(w), std::span(g))}, c, o);
}

// A row's option table must be what the optimizer it builds really has, in every convention.
TEST(Registry, EveryRowsDefaultsAreWhatItBuilds) {
  for (const auto& info : descent::optimizers())
    for (Convention c : conventions) {
      const auto values = one(info.name, c)->option_values();
      ASSERT_EQ(values.size(), info.options.size()) << info.name;
      for (std::size_t i = 0; i < values.size(); ++i) {
        EXPECT_EQ(values[i].name, info.options[i].name) << info.name;
        EXPECT_EQ(values[i].value, info.options[i].default_for(c)) << info.name << " " << values[i].name;
        EXPECT_EQ(values[i].is_flag, info.options[i].type == descent::OptionType::flag) << values[i].name;
      }
    }
}

// A default-built Options is the rule's own preset (the row named like the rule, pytorch): a
// LambOptions{} once had trust_decay 0 where every preset said 0.01.
template <class Rule>
void expect_defaults_are_the_pytorch_preset() {
  std::vector<double> w{1.0}, g{0.0};
  descent::RuleOptimizer<Rule> plain({descent::Param("w", std::span(w), std::span(g))});
  const auto preset = one(Rule::name, Convention::pytorch)->option_values();
  const auto defaults = plain.option_values();
  ASSERT_EQ(preset.size(), defaults.size());
  for (std::size_t i = 0; i < preset.size(); ++i)
    EXPECT_EQ(defaults[i].value, preset[i].value) << Rule::name << "." << preset[i].name;
}

TEST(Registry, DefaultBuiltOptionsAreThePytorchPreset) {
  namespace r = descent::rules;
  expect_defaults_are_the_pytorch_preset<r::Sgd>();
  expect_defaults_are_the_pytorch_preset<r::Adagrad>();
  expect_defaults_are_the_pytorch_preset<r::RmsProp>();
  expect_defaults_are_the_pytorch_preset<r::Adam>();
  expect_defaults_are_the_pytorch_preset<r::Adamax>();
  expect_defaults_are_the_pytorch_preset<r::NAdam>();
  expect_defaults_are_the_pytorch_preset<r::RAdam>();
  expect_defaults_are_the_pytorch_preset<r::Adadelta>();
  expect_defaults_are_the_pytorch_preset<r::Lion>();
  expect_defaults_are_the_pytorch_preset<r::Lamb>();
  EXPECT_EQ(descent::LambOptions{}.trust_decay, 0.01);
}

// The CLI gives each option name one flag for every optimizer: the name must mean one type.
TEST(Registry, AnOptionNameHasOneTypeAcrossOptimizers) {
  std::map<std::string_view, descent::OptionType> seen;
  for (const auto& info : descent::optimizers())
    for (const auto& o : info.options) {
      auto [it, fresh] = seen.emplace(o.name, o.type);
      EXPECT_EQ(it->second, o.type) << info.name << "." << o.name;
    }
}

TEST(Registry, SlotsAreKeptWhenTheirRowSays) {
  for (const auto& info : descent::optimizers())
    for (Convention c : conventions) {
      const auto opt = one(info.name, c);
      for (const auto& s : info.slots)
        if (s.kept_when == "always") EXPECT_TRUE(opt->state(0, s.name)) << info.name << "." << s.name;
    }
  EXPECT_FALSE(one("sgd", Convention::pytorch)->state(0, "m"));
  EXPECT_TRUE(one("sgd", Convention::pytorch, {{"momentum", "0.5"}})->state(0, "m"));  // "momentum > 0"
  EXPECT_FALSE(one("adam", Convention::pytorch)->state(0, "v_max"));
  EXPECT_TRUE(one("amsgrad", Convention::pytorch)->state(0, "v_max"));  // "amsgrad"
  EXPECT_TRUE(one("rmsprop", Convention::pytorch, {{"centered", "true"}})->state(0, "g_mean"));
}

// Keras's SGD with momentum 0 is plain SGD, w −= lr·g, although its preset keeps lr in the
// buffer: by hand, lr 0.1 from w = 1 over g = 0.5, −0.2, 0.1 gives 0.95, 0.97, 0.96.
TEST(Registry, KerasSgdmWithMomentumZeroIsPlainSgd) {
  {
    const std::string_view name = "sgdm";
    std::vector<double> w{1.0}, g{0.0};
    auto opt = descent::make_optimizer(name, {descent::Param("w", std::span(w), std::span(g))}, Convention::keras,
                                       {{"momentum", "0"}, {"lr", "0.1"}});
    const double expected[] = {0.95, 0.97, 0.96}, grads[] = {0.5, -0.2, 0.1};
    for (int t = 0; t < 3; ++t) {
      g[0] = grads[t];
      opt->step();
      EXPECT_NEAR(w[0], expected[t], 1e-15) << name << " step " << t + 1;
    }
  }
}

std::string error_of(std::string_view name, Convention c, const descent::Overrides& o) {
  try {
    one(name, c, o);
  } catch (const descent::OptionError& e) {
    return e.what();
  }
  return "";
}

// An option moved off its preset that would be silently ignored is refused, naming both.
TEST(Registry, OptionsWithNoEffectTogetherAreRefusedNamingBoth) {
  EXPECT_EQ(error_of("sgd", Convention::seed, {{"dampening", "0.5"}}),
            "sgd: option dampening = 0.5 has no effect with momentum = 0");
  EXPECT_EQ(error_of("sgdm", Convention::seed, {{"dampening", "0.5"}}),
            "sgdm: option dampening = 0.5 has no effect with ema = true");
  EXPECT_EQ(error_of("sgd", Convention::pytorch, {{"ema", "true"}}),
            "sgd: option ema = true has no effect with momentum = 0");
  EXPECT_EQ(error_of("rmsprop", Convention::pytorch, {{"lr_in_buffer", "true"}}),
            "rmsprop: option lr_in_buffer = true has no effect with momentum = 0");
  EXPECT_EQ(error_of("adam", Convention::pytorch, {{"weight_decay", "0.1"}, {"schedule_scaled_decay", "true"}}),
            "adam: option schedule_scaled_decay = true has no effect with decoupled_weight_decay = false");
  EXPECT_EQ(error_of("adagrad", Convention::seed, {{"eps_inside_sqrt", "true"}}),
            "adagrad: option eps_inside_sqrt = true has no effect with eps = 0");
  EXPECT_EQ(error_of("sgd", Convention::pytorch, {{"nesterov", "true"}, {"momentum", "0.9"}, {"dampening", "0.1"}}),
            "sgd: options nesterov and dampening = 0.1 exclude each other (Nesterov needs dampening = 0)");
  // A preset's own moot options are fine, and so is an override back to the preset's value.
  EXPECT_EQ(error_of("sgdm", Convention::keras, {{"momentum", "0"}}), "");
  EXPECT_EQ(error_of("sgd", Convention::seed, {{"ema", "false"}}), "");
  EXPECT_EQ(error_of("sgd", Convention::seed, {{"dampening", "0.5"}, {"momentum", "0.9"}}), "");
}

TEST(Registry, TheJsonIsTheRows) {
  const json j = json::parse(descent::registry_json());
  ASSERT_EQ(j["optimizers"].size(), descent::optimizers().size());
  EXPECT_EQ(j["conventions"], json({"seed", "pytorch", "keras"}));
  for (std::size_t k = 0; k < j["optimizers"].size(); ++k) {
    const json& o = j["optimizers"][k];
    const auto& info = descent::optimizers()[k];
    EXPECT_EQ(o["name"], info.name);
    EXPECT_EQ(o["rule"], info.rule);
    ASSERT_EQ(o["options"].size(), info.options.size());
    for (std::size_t i = 0; i < info.options.size(); ++i) {
      const json& x = o["options"][i];
      EXPECT_EQ(x["name"], info.options[i].name);
      for (Convention c : conventions) {
        const json& d = x["defaults"][descent::to_string(c)];
        if (info.options[i].type == descent::OptionType::flag)
          EXPECT_EQ(d.get<bool>(), info.options[i].default_for(c) != 0);
        else
          EXPECT_EQ(d.get<double>(), info.options[i].default_for(c));
      }
    }
    EXPECT_EQ(o["needs_sums"], info.name == "lamb");
  }
  EXPECT_EQ(j["optimizers"][1]["tutorial"]["beta"], "momentum");           // sgdm
  EXPECT_TRUE(j["optimizers"][0]["options"][0]["range"]["hi"].is_null());  // lr in [0, inf)
}

TEST(Registry, CliListsTheRegistry) {
  const lab_test::Scratch scratch;
  const lab_test::Run json_run = lab_test::cli({"optimizers", "--format", "json"}, scratch);
  ASSERT_EQ(json_run.exit_code, 0) << json_run.err;
  EXPECT_EQ(json::parse(json_run.out), json::parse(descent::registry_json()));
  const lab_test::Run table = lab_test::cli({"optimizers"}, scratch);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  for (const auto& info : descent::optimizers())
    EXPECT_NE(table.out.find(std::string(info.name) + " (rule " + std::string(info.rule) + ")"), std::string::npos);
  EXPECT_NE(table.out.find("state: m (when momentum > 0)"), std::string::npos) << table.out;
}

// The docs' option tables are the registry's: docs/options.md is the CLI's markdown.
TEST(Registry, DocsOptionTablesAreTheRegistrys) {
  const lab_test::Scratch scratch;
  const lab_test::Run md = lab_test::cli({"optimizers", "--format", "markdown"}, scratch);
  ASSERT_EQ(md.exit_code, 0) << md.err;
  std::ifstream in(std::string(DESCENT_GOLDEN_DIR) + "/../../docs/options.md");
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(docs, md.out) << "regenerate: build/descent optimizers --format markdown > docs/options.md";
}

}  // namespace
