#include "formulas.hpp"

#include <fmt/core.h>

#include <map>

#include "descent/options.hpp"

namespace descent::cli {
namespace {

using Lines = std::vector<std::string>;

struct Opts {
  std::map<std::string_view, double> value;
  double operator[](std::string_view name) const {
    auto it = value.find(name);
    return it == value.end() ? 0.0 : it->second;
  }
  bool on(std::string_view name) const { return (*this)[name] != 0; }
};

// √V_t + ε, √(V_t + ε) or √V_t, as the options place ε.
std::string root(const std::string& v, const Opts& o, bool inside) {
  if (o["eps"] == 0) return "√" + v;
  return inside ? "√(" + v + " + ε)" : "(√" + v + " + ε)";
}

Lines sgd(const Opts& o) {
  if (o["momentum"] <= 0) return {"w_{t+1} = w_t − lr·g_t"};
  const bool in = o.on("lr_in_buffer");
  std::string gain = o.on("ema") ? "(1−β)·g_t" : o["dampening"] != 0 ? "(1−τ)·g_t" : "g_t";
  if (in) gain = "lr·" + gain;
  const std::string start = o.on("buffer_starts_at_grad") ? (in ? "m_1 = lr·g_1" : "m_1 = g_1") : "m_0 = 0";
  Lines l{"m_t = β·m_{t−1} + " + gain + "   (" + start + ")"};
  if (o.on("nesterov"))
    l.push_back(in ? "w_{t+1} = w_t − (lr·g_t + β·m_t)" : "w_{t+1} = w_t − lr·(g_t + β·m_t)");
  else
    l.push_back(in ? "w_{t+1} = w_t − m_t" : "w_{t+1} = w_t − lr·m_t");
  return l;
}

Lines adagrad(const Opts& o) {
  Lines l{fmt::format("V_t = V_{{t−1}} + g_t²   (V_0 = {})", format_number(o["initial_accumulator_value"]))};
  const std::string lr = o["lr_decay"] != 0 ? "lr_t" : "lr";
  if (o["lr_decay"] != 0) l.push_back("lr_t = lr / (1 + (t−1)·lr_decay)");
  l.push_back("w_{t+1} = w_t − " + lr + "·g_t / " + root("V_t", o, o.on("eps_inside_sqrt")));
  return l;
}

Lines rmsprop(const Opts& o) {
  Lines l{"V_t = β·V_{t−1} + (1−β)·g_t²"};
  std::string v = "V_t";
  if (o.on("centered")) {
    l.push_back("ḡ_t = β·ḡ_{t−1} + (1−β)·g_t");
    v = "(V_t − ḡ_t²)";
  }
  const std::string step = "g_t / " + root(v, o, o.on("eps_inside_sqrt"));
  if (o["momentum"] <= 0) {
    l.push_back("w_{t+1} = w_t − lr·" + step);
  } else if (o.on("lr_in_buffer")) {
    l.push_back("b_t = μ·b_{t−1} + lr·" + step);
    l.push_back("w_{t+1} = w_t − b_t");
  } else {
    l.push_back("b_t = μ·b_{t−1} + " + step);
    l.push_back("w_{t+1} = w_t − lr·b_t");
  }
  return l;
}

const std::string first = "m_t = β1·m_{t−1} + (1−β1)·g_t";
const std::string second = "V_t = β2·V_{t−1} + (1−β2)·g_t²";

Lines adam(const Opts& o) {
  Lines l{first, second};
  std::string v = "V_t";
  if (o.on("amsgrad")) {
    l.push_back("V_max = max(V_max, V_t)");
    v = "V_max";
  }
  if (o.on("eps_hat")) {
    l.push_back("w_{t+1} = w_t − lr·√(1−β2^t)/(1−β1^t)·m_t / " + root(v, o, false));
  } else {
    l.push_back("m̂_t = m_t/(1−β1^t),  V̂_t = " + v + "/(1−β2^t)");
    l.push_back("w_{t+1} = w_t − lr·m̂_t / " + root("V̂_t", o, false));
  }
  return l;
}

Lines adamax(const Opts& o) {
  if (o["eps"] != 0 && o.on("eps_inside_max"))
    return {first, "u_t = max(β2·u_{t−1}, |g_t| + ε)", "w_{t+1} = w_t − lr/(1−β1^t)·m_t/u_t"};
  const std::string u = o["eps"] != 0 ? "(u_t + ε)" : "u_t";
  return {first, "u_t = max(β2·u_{t−1}, |g_t|)", "w_{t+1} = w_t − lr/(1−β1^t)·m_t/" + u};
}

Lines fixed(std::string_view rule) {
  if (rule == "nadam")
    return {first, second, "μ_t = β1·(1 − 0.5·0.96^(t·ψ))",
            "w_{t+1} = w_t − lr·((1−μ_t)/(1−Πμ)·g_t + μ_{t+1}/(1−Π'μ)·m_t) / (√V̂_t + ε)"};
  if (rule == "radam")
    return {first, second, "ρ_t = ρ_∞ − 2t·β2^t/(1−β2^t)", "w_{t+1} = w_t − lr·(ρ_t > 5 ? r_t·m̂_t/(√V̂_t + ε) : m̂_t)"};
  if (rule == "adadelta")
    return {"V_t = ρ·V_{t−1} + (1−ρ)·g_t²", "D_t = √(U_{t−1} + ε)/√(V_t + ε)·g_t", "U_t = ρ·U_{t−1} + (1−ρ)·D_t²",
            "w_{t+1} = w_t − lr·D_t"};
  if (rule == "lion")
    return {"c_t = β1·m_{t−1} + (1−β1)·g_t", "w_{t+1} = w_t − lr·sign(c_t)", "m_t = β2·m_{t−1} + (1−β2)·g_t"};
  if (rule == "lamb")
    return {first, second, "r_t = m̂_t/(√V̂_t + ε) + λ_trust·w_t", "w_{t+1} = w_t − lr·(‖w_t‖/‖r_t‖)·r_t"};
  return {};
}

// What the options do before the rule: maximize and weight decay (the driver's prelude).
Lines prelude(const Opts& o) {
  Lines l;
  if (o.on("maximize")) l.push_back("g_t ← −g_t");
  if (o["weight_decay"] != 0)
    l.push_back(o.on("decoupled_weight_decay") ? "w_t ← (1 − lr·λ)·w_t" : "g_t ← g_t + λ·w_t");
  return l;
}

}  // namespace

std::vector<std::string> formula_lines(std::string_view rule, const std::vector<Optimizer::OptionValue>& options) {
  Opts o;
  for (const auto& v : options) o.value[v.name] = v.value;
  Lines l = prelude(o);
  Lines body = rule == "sgd"       ? sgd(o)
               : rule == "adagrad" ? adagrad(o)
               : rule == "rmsprop" ? rmsprop(o)
               : rule == "adam"    ? adam(o)
               : rule == "adamax"  ? adamax(o)
                                   : fixed(rule);
  l.insert(l.end(), body.begin(), body.end());
  return l;
}

}  // namespace descent::cli
