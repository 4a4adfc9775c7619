#include "explain_print.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "formulas.hpp"

namespace descent::cli {

// Every number in full (17 significant digits): the CSV and JSON are for machines.
static std::string text(double x) { return fmt::format("{:.17g}", x); }

void print_csv(const ExplainTable& t) {
  fmt::print("t,g,m,v,eta,w");
  for (const auto& s : t.extra_names) fmt::print(",{}", s);
  fmt::print("\n");
  for (const ExplainRow& r : t.rows) {
    fmt::print("{},{},{},{},{},{}", r.t, text(r.g), r.m ? text(*r.m) : "", r.v ? text(*r.v) : "", text(r.eta),
               text(r.w));
    for (double x : r.extra) fmt::print(",{}", text(x));
    fmt::print("\n");
  }
}

void print_json(const ExplainTable& t) {
  using json = nlohmann::ordered_json;
  json j;
  j["optimizer"] = t.optimizer;
  j["convention"] = to_string(t.convention);
  j["options"] = json::object();
  for (const auto& o : t.options) j["options"][std::string(o.name)] = o.is_flag ? json(o.value != 0) : json(o.value);
  j["w0"] = t.w0;
  j["steps"] = json::array();
  for (const ExplainRow& r : t.rows) {
    json s;
    s["t"] = r.t;
    s["g"] = r.g;
    s["m"] = r.m ? json(*r.m) : json(nullptr);
    s["v"] = r.v ? json(*r.v) : json(nullptr);
    s["eta"] = r.eta;
    s["w"] = r.w;
    for (std::size_t k = 0; k < t.extra_names.size(); ++k) s[t.extra_names[k]] = r.extra[k];
    j["steps"].push_back(s);
  }
  fmt::print("{}\n", j.dump(2));
}

void print_table(const OptimizerInfo& info, const ExplainTable& t) {
  fmt::print("{} ({} convention): {}\n", info.name, to_string(t.convention), info.summary);
  for (const std::string& line : formula_lines(info.rule, t.options)) fmt::print("  {}\n", line);
  std::string opts;
  for (const auto& o : t.options)
    if (!o.is_flag || o.value != 0) opts += fmt::format(" {}={}", o.name, o.is_flag ? "true" : format_number(o.value));
  fmt::print("  options:{}\n  w_1 = {}\n\n", opts, format_number(t.w0));
  fmt::print("{:>5}  {:>13}  {:>13}  {:>13}  {:>13}  {:>13}", "t", "g_t", "m_t", "V_t", "eta_t", "w_{t+1}");
  for (const auto& s : t.extra_names) fmt::print("  {:>13}", s + "_t");
  fmt::print("\n");
  auto cell = [](const std::optional<double>& x) {
    return x ? fmt::format("{:>13.6g}", *x) : fmt::format("{:>13}", "-");
  };
  for (const ExplainRow& r : t.rows) {
    fmt::print("{:>5}  {:>13.6g}  {}  {}  {:>13.6g}  {:>13.6g}", r.t, r.g, cell(r.m), cell(r.v), r.eta, r.w);
    for (double x : r.extra) fmt::print("  {:>13.6g}", x);
    fmt::print("\n");
  }
}

std::string not_applying(const OptimizerInfo& info, std::string_view argument) {
  if (argument.substr(0, 2) != "--")
    return fmt::format("explain {}: unexpected argument '{}' (descent explain {} --help)", info.name, argument,
                       info.name);
  const std::string flag(argument.substr(0, argument.find('=')));
  return fmt::format("{} does not apply to {} (descent explain {} --help lists its options)", flag, info.name,
                     info.name);
}

std::string optimizer_list(std::string_view what) {
  std::string s = fmt::format("{}: one of", what);
  const char* sep = " ";
  for (const OptimizerInfo& info : optimizers()) {
    s += fmt::format("{}{}", sep, info.name);
    sep = ", ";
  }
  return s + " (descent explain OPTIMIZER --help; descent optimizers lists them with their options)";
}

}  // namespace descent::cli
