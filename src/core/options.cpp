#include "descent/options.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "descent/detail/names.hpp"
#include "descent/detail/parse.hpp"

namespace descent {

namespace {
constexpr detail::Names<Convention, 3> convention_names{
    {{Convention::seed, "seed"}, {Convention::pytorch, "pytorch"}, {Convention::keras, "keras"}}};
}  // namespace

Convention parse_convention(std::string_view s) { return detail::parse_name(convention_names, s, "convention"); }

const char* to_string(Convention c) { return detail::name_of(convention_names, c); }

bool Range::contains(double x) const {
  if (std::isnan(x)) return false;
  if (lo_open ? !(x > lo) : !(x >= lo)) return false;
  if (hi_open ? !(x < hi) : !(x <= hi)) return false;
  return true;
}

std::string format_number(double x) {
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  if (std::isnan(x)) return "nan";
  // The shortest %g text that reads back to x (std::to_chars for double is missing from
  // emscripten's libc++, and the library builds there too).
  char buf[32];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

std::string Range::to_string() const {
  return std::string(lo_open ? "(" : "[") + format_number(lo) + ", " + format_number(hi) + (hi_open ? ")" : "]");
}

void throw_out_of_range(std::string_view rule, std::string_view option, double value, const Range& range) {
  throw OptionError(std::string(rule) + ": option " + std::string(option) + " = " + format_number(value) +
                    " is out of range " + range.to_string());
}

void parse_option_value(std::string_view rule, std::string_view name, std::string_view text, double& out,
                        const Range& range) {
  double x = 0;
  if (!detail::parse_double(text, x))
    throw OptionError(std::string(rule) + ": option " + std::string(name) + " = '" + std::string(text) +
                      "' is not a number (allowed range " + range.to_string() + ")");
  out = x;
}

void parse_option_value(std::string_view rule, std::string_view name, std::string_view text, bool& out) {
  if (text == "true" || text == "1" || text == "on")
    out = true;
  else if (text == "false" || text == "0" || text == "off")
    out = false;
  else
    throw OptionError(std::string(rule) + ": option " + std::string(name) + " = '" + std::string(text) +
                      "' is not true or false");
}

}  // namespace descent
