#include "explain_print.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "formulas.hpp"

namespace descent::cli {

// Every number in full (17 significant digits): the CSV and JSON are for machines.
using namespace std::string_literals;

static std::string text(double x) { return fmt::format("{:.17g}", x); }

void print_csv(const ExplainTable& t) {
  fmt::print("t,g,m,v,eta,w");
  for (const auto& s : t.extra_names) fmt::print(",{}", s);
  const bool q8 = t.state.dtype == StateDType::q8;
  for (const auto& s : t.stored_names) fmt::print(",{0}_f32,{0}_{1}", s, q8 ? "code,"s + s + "_scale" : "bits"s);
  if (!t.stored_names.empty()) fmt::print(",w_f32");
  fmt::print("\n");
  for (const ExplainRow& r : t.rows) {
    fmt::print("{},{},{},{},{},{}", r.t, text(r.g), r.m ? text(*r.m) : "", r.v ? text(*r.v) : "", text(r.eta),
               text(r.w));
    for (double x : r.extra) fmt::print(",{}", text(x));
    for (const ExplainStored& s : r.stored) {
      fmt::print(",{},{}", text(s.f32), s.code);
      if (q8) fmt::print(",{}", text(s.scale));
    }
    if (!t.stored_names.empty()) fmt::print(",{}", text(r.w_f32));
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
  j["state"] = {{"dtype", to_string(t.state.dtype)},
                {"rounding", to_string(t.state.rounding)},
                {"seed", t.state.seed},
                {"min_size", t.state.min_size}};
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
    if (!t.stored_names.empty()) {  // low-bit state: each slot as stored, and float32 state's run
      for (std::size_t k = 0; k < t.stored_names.size(); ++k) {
        const ExplainStored& x = r.stored[k];
        json stored = {{"f32", x.f32}, {t.state.dtype == StateDType::q8 ? "code" : "bits", x.code}};
        if (t.state.dtype == StateDType::q8) stored["scale"] = x.scale;
        s["stored"][t.stored_names[k]] = stored;
      }
      s["w_f32"] = r.w_f32;
    }
    j["steps"].push_back(s);
  }
  fmt::print("{}\n", j.dump(2));
}

// The tutorial's name of a slot's column: m_t, V_t, u_t, ...
static std::string column(std::string_view slot) { return slot == "v" ? "V_t" : std::string(slot) + "_t"; }

static std::string cell(const std::optional<double>& x) {
  return x ? fmt::format("{:>13.6g}", *x) : fmt::format("{:>13}", "-");
}

// What a learner needs to read the low-bit columns: what is stored, and why the one value of
// explain gets low-bit state at all (training keeps f32 state for small tensors).
static void print_state_note(const ExplainTable& t) {
  if (t.state.dtype == StateDType::bf16)
    fmt::print("  state: bf16 (float32's top 16 bits), rounded {}; w is float32\n",
               t.state.rounding == Rounding::nearest ? "to nearest, ties to even"
                                                     : fmt::format("stochastically (seed {})", t.state.seed));
  else
    fmt::print(
        "  state: q8, an 8-bit code times its block's scale (the largest magnitude among 256 values); w is float32\n"
        "  a block of one value is its own scale (|value|; --format csv or json shows it), so every code\n"
        "  is +-1.0 (signed slots 120 = +1, 248 = -1; unsigned slots 248 = +1): exact to float32. In a\n"
        "  tensor each value is coded relative to its block's largest, with 4 significant bits (docs/lowbit.md)\n");
  fmt::print(
      "  min_size 0: the one value gets the low-bit state that training gives only to tensors of at least\n"
      "  --state-min-size values (4096 by default); smaller ones keep float32 state\n"
      "  each slot as stored, decoded: what the next step reads (this step's w_{{t+1}} used it before rounding);\n"
      "  then (f32): the same run over float32 state\n\n");
}

static void print_lowbit_rows(const ExplainTable& t) {
  const bool q8 = t.state.dtype == StateDType::q8;
  fmt::print("{:>5}  {:>13}", "t", "g_t");
  for (const auto& s : t.stored_names) {
    fmt::print("  {:>13}  {:>13}", column(s), "(f32)");
    if (q8) fmt::print("  {:>5}", "code");
  }
  fmt::print("  {:>13}  {:>13}  {:>13}\n", "eta_t", "w_{t+1}", "(f32)");
  for (const ExplainRow& r : t.rows) {
    fmt::print("{:>5}  {:>13.6g}", r.t, r.g);
    std::size_t extra = 0;
    for (std::size_t k = 0; k < t.stored_names.size(); ++k) {
      const std::string& s = t.stored_names[k];
      const std::optional<double> value = s == "m" ? r.m : s == "v" ? r.v : std::optional(r.extra[extra++]);
      fmt::print("  {}  {:>13.6g}", cell(value), r.stored[k].f32);
      if (q8) fmt::print("  {:>5}", r.stored[k].code);
    }
    fmt::print("  {:>13.6g}  {:>13.6g}  {:>13.6g}\n", r.eta, r.w, r.w_f32);
  }
}

void print_table(const OptimizerInfo& info, const ExplainTable& t) {
  fmt::print("{} ({} convention): {}\n", info.name, to_string(t.convention), info.summary);
  for (const std::string& line : formula_lines(info.rule, t.options)) fmt::print("  {}\n", line);
  std::string opts;
  for (const auto& o : t.options)
    if (!o.is_flag || o.value != 0) opts += fmt::format(" {}={}", o.name, o.is_flag ? "true" : format_number(o.value));
  fmt::print("  options:{}\n  w_1 = {}\n", opts, format_number(t.w0));
  if (t.state.dtype != StateDType::f32) {
    print_state_note(t);
    print_lowbit_rows(t);
    return;
  }
  fmt::print("\n{:>5}  {:>13}  {:>13}  {:>13}  {:>13}  {:>13}", "t", "g_t", "m_t", "V_t", "eta_t", "w_{t+1}");
  for (const auto& s : t.extra_names) fmt::print("  {:>13}", column(s));
  fmt::print("\n");
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
