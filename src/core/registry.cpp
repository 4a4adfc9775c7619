// The registry's rows: one per optimizer. A new optimizer is its rule header (rules/*.hpp, with
// its Options) plus one row here and the instantiation of its rule beside the others.
//
// The conventions are data (docs/optimizers.md has them side by side): each row lists the
// options a convention sets over the rule's defaults. seed: the tutorial, no ε anywhere, lr 0.1
// (for the rules beyond the tutorial, their paper's or PyTorch's defaults). pytorch: torch.optim
// 1.13's defaults (Lion and LAMB, not in torch: their papers'). keras: Keras 3's defaults;
// Keras decays every optimizer's weights directly (w −= lr·λ·w), hence decoupled_weight_decay.
#include "descent/registry.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "descent/decay.hpp"
#include "descent/detail/driver.hpp"
#include "descent/optimizers.hpp"

namespace descent {

// Compiled here once, with the flags the kernels need (src/CMakeLists.txt).
template class RuleOptimizer<rules::Sgd>;
template class RuleOptimizer<rules::Adagrad>;
template class RuleOptimizer<rules::RmsProp>;
template class RuleOptimizer<rules::Adam>;
template class RuleOptimizer<rules::Adamax>;
template class RuleOptimizer<rules::NAdam>;
template class RuleOptimizer<rules::RAdam>;
template class RuleOptimizer<rules::Adadelta>;
template class RuleOptimizer<rules::Lion>;
template class RuleOptimizer<rules::Lamb>;

namespace {

using Values = std::vector<std::pair<std::string_view, double>>;

struct Row {
  std::string_view name, summary;
  std::string_view beta = {}, beta1 = {}, beta2 = {};  // the tutorial's β, β1, β2
  Values seed = {}, pytorch = {}, keras = {};
};

template <class Options>
void apply(std::string_view optimizer, Options& o, const Values& values) {
  for (const auto& v : values) {
    const std::string_view name = v.first;  // not a structured binding: lambdas capture it (clang < 16)
    const double value = v.second;
    bool found = false;
    o.fields([&](std::string_view field, auto& x, const Range&, std::string_view) {
      if (field != name) return;
      x = static_cast<std::decay_t<decltype(x)>>(value);
      found = true;
    });
    if (!found) throw Error("registry row " + std::string(optimizer) + ": no option '" + std::string(name) + "'");
  }
}

struct Value {
  std::string_view name;
  double value;
  bool flag;
  std::string text() const { return flag ? (value != 0 ? "true" : "false") : format_number(value); }
};

template <class O>
std::vector<Value> values_of(O o) {
  std::vector<Value> v;
  o.fields([&](std::string_view name, auto& x, const Range&, std::string_view) {
    v.push_back({name, double(x), std::is_same_v<std::decay_t<decltype(x)>, bool>});
  });
  return v;
}

// An option the user moved off its preset's value that has no effect beside the others would be
// silently ignored: refuse it, naming both options.
template <class O>
void refuse_moot(std::string_view optimizer, const O& preset, const O& options, const Overrides& overrides) {
  const std::vector<Value> before = values_of(preset), after = values_of(options);
  for (std::size_t i = 0; i < after.size(); ++i) {
    const Value& v = after[i];
    const bool set = std::any_of(overrides.begin(), overrides.end(), [&](const auto& o) { return o.first == v.name; });
    const std::string_view by = options.moot(v.name);
    if (!set || v.value == before[i].value || by.empty()) continue;
    const auto other = std::find_if(after.begin(), after.end(), [&](const Value& x) { return x.name == by; });
    throw OptionError(std::string(optimizer) + ": option " + std::string(v.name) + " = " + v.text() +
                      " has no effect with " + std::string(by) + " = " + other->text());
  }
}

template <class Rule>
std::unique_ptr<Optimizer> build(const OptimizerInfo& self, std::vector<Param> params, Convention c,
                                 const Overrides& overrides, const std::vector<std::string>& no_decay) {
  using O = typename Rule::Options;
  const O preset = preset_of<O>(self.name, c);
  O options = preset;
  for (const auto& [key, text] : overrides) set_option(self.name, options, key, text);
  validate(self.name, options);  // together, once every override is in, naming the optimizer
  refuse_moot(self.name, preset, options, overrides);
  if (no_decay.empty()) return std::make_unique<RuleOptimizer<Rule>>(std::move(params), std::move(options));
  DecaySplit split = split_no_decay(std::move(params), no_decay);
  auto opt = std::make_unique<RuleOptimizer<Rule>>(std::move(split.decay), options);
  if (!split.no_decay.empty()) {
    options.weight_decay = 0;
    opt->add_group(std::move(split.no_decay), std::move(options));
  }
  return opt;
}

template <class Rule>
OptimizerInfo row(const Row& r) {
  using O = typename Rule::Options;
  OptimizerInfo info{r.name,      Rule::name, r.summary, r.beta,          r.beta1,
                     r.beta2,     {},         {},        NeedsSums<Rule>, {r.seed, r.pytorch, r.keras},
                     &build<Rule>};
  std::array<O, 3> preset;
  for (std::size_t c = 0; c < 3; ++c) apply(r.name, preset[c], info.presets[c]);
  preset[0].fields([&](std::string_view name, auto& x, const Range& range, std::string_view doc) {
    const bool flag = std::is_same_v<std::decay_t<decltype(x)>, bool>;
    info.options.push_back({name, flag ? OptionType::flag : OptionType::real, range, doc, {}});
  });
  for (std::size_t c = 0; c < 3; ++c) {
    std::size_t i = 0;
    preset[c].fields(
        [&](std::string_view, auto& x, const Range&, std::string_view) { info.options[i++].defaults[c] = double(x); });
  }
  for (std::size_t j = 0; j < Rule::slot_names.size(); ++j) {
    std::string_view when = "always";
    if constexpr (requires { Rule::slot_kept_when; }) when = Rule::slot_kept_when[j];
    info.slots.push_back({Rule::slot_names[j], when});
  }
  for (const auto* b : {&r.beta, &r.beta1, &r.beta2})
    if (!b->empty() && !info.has_option(*b))
      throw Error("registry row " + std::string(r.name) + ": the tutorial's beta names no option '" + std::string(*b) +
                  "'");
  return info;
}

std::vector<OptimizerInfo> rows() {
  const Values keras_decay{{"decoupled_weight_decay", 1}};
  auto with = [](Values a, const Values& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  // SGD's three presets share the convention's base: seed's lr 0.1, Keras's lr 0.01.
  // Keras keeps the learning rate inside the momentum buffer (v = μ·v − lr·g, w += v), also
  // for plain SGD should a momentum be set.
  const Values keras_buffer{{"buffer_starts_at_grad", 0}, {"lr_in_buffer", 1}};
  const Values sgd_seed{{"lr", 0.1}}, sgd_keras = with(with({{"lr", 0.01}}, keras_decay), keras_buffer);
  const Values adam_seed{{"lr", 0.1}, {"eps", 0}}, adam_keras = with({{"eps", 1e-7}, {"eps_hat", 1}}, keras_decay);
  return {
      row<rules::Sgd>({"sgd", "plain gradient descent", "", "", "", sgd_seed, {}, sgd_keras}),
      row<rules::Sgd>({"sgdm",
                       "SGD with momentum",
                       "momentum",
                       "",
                       "",
                       // the tutorial: m_t = β·m_{t−1} + (1−β)·g_t from m_0 = 0
                       with(sgd_seed, {{"momentum", 0.9}, {"ema", 1}, {"buffer_starts_at_grad", 0}}),
                       {{"momentum", 0.9}},
                       with(sgd_keras, {{"momentum", 0.9}})}),
      row<rules::Sgd>({"nesterov",
                       "SGD with Nesterov momentum: the gradient at the look-ahead point",
                       "momentum",
                       "",
                       "",
                       with(sgd_seed, {{"momentum", 0.9}, {"nesterov", 1}}),
                       {{"momentum", 0.9}, {"nesterov", 1}},
                       with(sgd_keras, {{"momentum", 0.9}, {"nesterov", 1}})}),
      row<rules::Adagrad>(
          {"adagrad",
           "per-parameter rate from the sum of squared gradients",
           "",
           "",
           "",
           {{"lr", 0.1}, {"eps", 0}},
           {},
           with({{"lr", 1e-3}, {"eps", 1e-7}, {"eps_inside_sqrt", 1}, {"initial_accumulator_value", 0.1}},
                keras_decay)}),
      row<rules::RmsProp>(
          {"rmsprop",
           "per-parameter rate from a moving average of squared gradients",
           "beta",
           "",
           "",
           {{"lr", 0.1}, {"beta", 0.9}, {"eps", 0}},
           {},
           with({{"lr", 1e-3}, {"beta", 0.9}, {"eps", 1e-7}, {"eps_inside_sqrt", 1}, {"lr_in_buffer", 1}},
                keras_decay)}),
      row<rules::Adam>(
          {"adam", "momentum and RMSProp, both bias-corrected", "", "beta1", "beta2", adam_seed, {}, adam_keras}),
      row<rules::Adam>({"adamw",
                        "Adam with decoupled weight decay",
                        "",
                        "beta1",
                        "beta2",
                        with(adam_seed, {{"decoupled_weight_decay", 1}, {"weight_decay", 1e-2}}),
                        {{"decoupled_weight_decay", 1}, {"weight_decay", 1e-2}},
                        with(adam_keras, {{"weight_decay", 0.004}})}),
      row<rules::Adam>({"amsgrad",
                        "Adam dividing by the largest second moment so far",
                        "",
                        "beta1",
                        "beta2",
                        with(adam_seed, {{"amsgrad", 1}}),
                        {{"amsgrad", 1}},
                        with(adam_keras, {{"amsgrad", 1}})}),
      row<rules::Adamax>({"adamax",
                          "Adam with the infinity norm for the second moment",
                          "",
                          "beta1",
                          "beta2",
                          {{"eps", 0}},  // the paper's Algorithm 2 has no ε
                          {},
                          with({{"lr", 1e-3}, {"eps", 1e-7}, {"eps_inside_max", 0}}, keras_decay)}),
      // Keras's μ_t = β1·(1 − 0.5·0.96^t): ψ = 1 (keras/src/optimizers/nadam.py).
      row<rules::NAdam>({"nadam",
                         "Adam with Nesterov momentum",
                         "",
                         "beta1",
                         "beta2",
                         {},
                         {},
                         with({{"lr", 1e-3}, {"eps", 1e-7}, {"momentum_decay", 1}}, keras_decay)}),
      // Keras 3 has no RAdam: its keras convention is the paper's (and torch's) defaults.
      row<rules::RAdam>({"radam", "Adam with its adaptive rate rectified, and off while its variance is intractable",
                         "", "beta1", "beta2"}),
      row<rules::Adadelta>({"adadelta",
                            "steps sized by the running RMS of past steps over that of gradients",
                            "rho",
                            "",
                            "",
                            {{"rho", 0.95}},  // the paper's ρ and ε
                            {},
                            with({{"lr", 1e-3}, {"rho", 0.95}, {"eps", 1e-7}}, keras_decay)}),
      row<rules::Lion>({"lion",
                        "the sign of an interpolation of momentum and gradient",
                        "",
                        "beta1",
                        "beta2",
                        {},
                        {},
                        {{"lr", 1e-3}}}),
      // LAMB: the paper's λ = 0.01 inside the trust ratio; Keras: none there, its decay decoupled.
      row<rules::Lamb>({"lamb",
                        "Adam's step scaled per tensor by the trust ratio ||w||/||r||",
                        "",
                        "beta1",
                        "beta2",
                        {},
                        {},
                        with({{"trust_decay", 0}, {"eps", 1e-7}}, keras_decay)}),
  };
}

}  // namespace

const char* to_string(OptionType t) { return t == OptionType::flag ? "flag" : "real"; }

const OptionSpec* OptimizerInfo::option(std::string_view name) const {
  for (const OptionSpec& o : options)
    if (o.name == name) return &o;
  return nullptr;
}

const std::vector<OptimizerInfo>& optimizers() {
  static const std::vector<OptimizerInfo> all = rows();
  return all;
}

const OptimizerInfo& optimizer_info(std::string_view name) {
  std::string names;
  for (const auto& info : optimizers()) {
    if (info.name == name) return info;
    names += (names.empty() ? "" : ", ") + std::string(info.name);
  }
  throw OptionError("unknown optimizer '" + std::string(name) + "' (expected one of " + names + ")");
}

const std::vector<std::pair<std::string_view, double>>& preset_values(std::string_view optimizer, Convention c) {
  return optimizer_info(optimizer).presets[std::size_t(c)];
}

std::unique_ptr<Optimizer> make_optimizer(std::string_view name, std::vector<Param> params, Convention c,
                                          const Overrides& overrides, const std::vector<std::string>& no_decay) {
  return optimizer_info(name).make(std::move(params), c, overrides, no_decay);
}

std::string registry_json() {
  using json = nlohmann::ordered_json;
  constexpr std::array<Convention, 3> conventions{Convention::seed, Convention::pytorch, Convention::keras};
  auto bound = [](double x) { return std::isinf(x) ? json(nullptr) : json(x); };  // JSON has no inf
  auto name_or_null = [](std::string_view s) { return s.empty() ? json(nullptr) : json(std::string(s)); };
  json j;
  j["conventions"] = json::array();
  for (Convention c : conventions) j["conventions"].push_back(to_string(c));
  j["optimizers"] = json::array();
  for (const OptimizerInfo& info : optimizers()) {
    json o;
    o["name"] = info.name;
    o["rule"] = info.rule;
    o["summary"] = info.summary;
    o["tutorial"] = {
        {"beta", name_or_null(info.beta)}, {"beta1", name_or_null(info.beta1)}, {"beta2", name_or_null(info.beta2)}};
    o["options"] = json::array();
    for (const OptionSpec& s : info.options) {
      json x;
      x["name"] = s.name;
      x["type"] = to_string(s.type);
      x["doc"] = s.doc;
      if (s.type == OptionType::real)
        x["range"] = {{"lo", bound(s.range.lo)},
                      {"hi", bound(s.range.hi)},
                      {"lo_open", s.range.lo_open},
                      {"hi_open", s.range.hi_open},
                      {"text", s.range.to_string()}};
      for (Convention c : conventions) {
        const double d = s.default_for(c);
        x["defaults"][to_string(c)] = s.type == OptionType::flag ? json(d != 0) : json(d);
      }
      o["options"].push_back(std::move(x));
    }
    o["slots"] = json::array();
    for (const SlotSpec& s : info.slots) o["slots"].push_back({{"name", s.name}, {"kept_when", s.kept_when}});
    o["needs_sums"] = info.needs_sums;
    o["has_eps"] = info.has_eps();
    j["optimizers"].push_back(std::move(o));
  }
  return j.dump(2);
}

}  // namespace descent
