#pragma once
// The kinds of value a row of the settings table (run_settings.cpp) holds. Each builder makes a
// Setting whose reader (parse.hpp's strict parsers), flag text and JSON fit its kind.
#include <fmt/core.h>

#include <string>

#include "descent/error.hpp"
#include "parse.hpp"
#include "run_settings.hpp"

namespace descent::cli::setting_kinds {

using json = nlohmann::ordered_json;

std::string join(const auto& list) {
  std::string s;
  for (const auto& x : list) s += fmt::format("{}{}", s.empty() ? "" : ",", x);
  return s;
}
std::string shortest(double x);  // round-trips exactly

// A row with its flag, CLI11 names ("--quiet,-q") and help; the kind fills in the rest.
Setting row(std::string names, std::string help);

// An integer in [lo, hi]; without a default, 0 is unset (the feature is off).
template <class Int>
Setting integer(std::string names, Int LabArgs::*m, std::int64_t lo, std::int64_t hi, std::optional<std::int64_t> dflt,
                std::string help) {
  Setting s = row(std::move(names), std::move(help));
  s.type = "INT";
  if (dflt) s.default_text = std::to_string(*dflt);
  s.assign = [m, lo, hi, flag = s.flag](LabArgs& a, const Text& t) {
    a.*m = t ? Int(parse_integer(flag, *t, lo, hi)) : Int(0);
  };
  s.text = [m, off = !dflt](const LabArgs& a) -> Text {
    return off && a.*m == 0 ? std::nullopt : Text(std::to_string(a.*m));
  };
  s.json = [m](const LabArgs& a) { return json(a.*m); };
  return s;
}

Setting whole(std::string names, std::uint64_t LabArgs::*m, std::uint64_t dflt, std::string help);

// A real that is off at 0 (clipping, averaging).
Setting real(std::string names, double LabArgs::*m, double lo, double hi, bool below_hi, std::string help);

// A real that is the optimizer's own default unless given.
Setting optional_real(std::string names, std::optional<double> LabArgs::*m, std::string help);

// Non-empty text; `check` (optional) refuses a value as the flag's error.
Setting word(std::string names, std::string LabArgs::*m, Text dflt, std::string help,
             std::function<void(const std::string&)> check = {});

// One of `names` (a choice the CLI makes, not the library).
std::function<void(const std::string&)> one_of(std::string flag, std::vector<std::string> names);

Setting list(std::string names, std::vector<std::string> LabArgs::*m, Text dflt, std::string help);

Setting on_off(std::string names, bool LabArgs::*m, std::string help);

// One of a few names, read by the library's parser (its error prefixed with the flag).
template <class Parse>
Setting choice(std::string names, std::string LabArgs::*m, std::string dflt, std::string help, Parse parse) {
  const std::string flag = flag_of(names);
  return word(std::move(names), m, std::move(dflt), std::move(help),
              [flag, parse](const std::string& t) { parse_named(flag, t, parse); });
}

}  // namespace descent::cli::setting_kinds
