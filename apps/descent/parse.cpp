#include "parse.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "descent/detail/parse.hpp"
#include "descent/error.hpp"
#include "descent/options.hpp"

namespace descent::cli {
namespace {

[[noreturn]] void out_of_range(std::string_view flag, std::string_view text, const std::string& range) {
  throw OptionError(fmt::format("{} {} is out of range {}", flag, text, range));
}

bool all_digits(std::string_view t) {
  return !t.empty() && t.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string shown(std::string_view text) { return text.empty() ? "''" : std::string(text); }

// A decimal number too large or too small for a double: from_chars refuses both as "out of
// range", which would otherwise read as "not a number"; strtod (same syntax once from_chars has
// matched all of it) tells the two apart.
const char* beyond_double(std::string_view text) {
  double x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc::result_out_of_range || end != text.data() + text.size()) return nullptr;
  return std::isinf(std::strtod(std::string(text).c_str(), nullptr)) ? "beyond a double's range (±1.8e308)"
                                                                     : "closer to 0 than a double holds (4.9e-324)";
}

}  // namespace

std::int64_t parse_integer(std::string_view flag, std::string_view text, std::int64_t lo, std::int64_t hi) {
  const std::string range = fmt::format("[{}, {}]", lo, hi);
  const std::string_view digits = text.substr(!text.empty() && text[0] == '-' ? 1 : 0);
  if (!all_digits(digits))
    throw OptionError(
        fmt::format("{} {}: not an integer (decimal digits; allowed range {})", flag, shown(text), range));
  std::int64_t k = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (ec != std::errc() || end != text.data() + text.size() || k < lo || k > hi) out_of_range(flag, text, range);
  return k;
}

std::uint64_t parse_unsigned(std::string_view flag, std::string_view text, std::uint64_t hi) {
  const std::string range = fmt::format("[0, {}]", hi);
  if (!text.empty() && text[0] == '-' && all_digits(text.substr(1))) out_of_range(flag, text, range);
  if (!all_digits(text))
    throw OptionError(
        fmt::format("{} {}: not an integer (decimal digits; allowed range {})", flag, shown(text), range));
  std::uint64_t k = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (ec != std::errc() || end != text.data() + text.size() || k > hi) out_of_range(flag, text, range);
  return k;
}

double parse_real(std::string_view flag, std::string_view text, double lo, double hi, bool below_hi) {
  double x = 0;
  if (!detail::parse_double(text, x)) {
    if (const char* why = beyond_double(text)) throw OptionError(fmt::format("{} {}: {}", flag, text, why));
    throw OptionError(fmt::format("{} {}: not a number", flag, shown(text)));
  }
  if (!std::isfinite(x)) throw OptionError(fmt::format("{} {}: not a finite number", flag, text));
  constexpr double max = std::numeric_limits<double>::max();
  const std::string range = (lo == -max ? "(-inf" : "[" + format_number(lo)) + ", " +
                            (hi == max ? "inf)" : format_number(hi) + (below_hi ? ")" : "]"));
  if (x < lo || x > hi || (below_hi && x == hi)) out_of_range(flag, text, range);
  return x;
}

std::vector<std::string> parse_list(std::string_view flag, std::string_view text) {
  if (text.empty()) throw OptionError(fmt::format("{} '': an empty list", flag));
  std::vector<std::string> items;
  for (std::size_t at = 0;;) {
    const std::size_t comma = text.find(',', at);
    const std::string_view item = text.substr(at, comma == std::string_view::npos ? text.npos : comma - at);
    if (item.empty()) throw OptionError(fmt::format("{} '{}': item {} is empty", flag, text, items.size() + 1));
    items.emplace_back(item);
    if (comma == std::string_view::npos) return items;
    at = comma + 1;
  }
}

std::vector<double> parse_real_list(std::string_view flag, std::string_view text) {
  std::vector<double> values;
  for (const std::string& item : parse_list(flag, text)) {
    double x = 0;
    if (!detail::parse_double(item, x) || !std::isfinite(x))
      throw OptionError(
          fmt::format("{} '{}': item {} ('{}') is not a finite number", flag, text, values.size() + 1, item));
    values.push_back(x);
  }
  return values;
}

std::string parse_word(std::string_view flag, std::string_view text) {
  if (text.empty()) throw OptionError(fmt::format("{} '': an empty value", flag));
  return std::string(text);
}

std::string flag_of(const std::string& name) { return name.substr(0, name.find(',')); }

CLI::Option* add_unsigned(CLI::App* cmd, const std::string& name, std::uint64_t& target, std::uint64_t hi,
                          const std::string& doc) {
  return cmd
      ->add_option_function<std::string>(
          name, [&target, flag = flag_of(name), hi](const std::string& t) { target = parse_unsigned(flag, t, hi); },
          doc)
      ->default_str(std::to_string(target));
}

CLI::Option* add_real(CLI::App* cmd, const std::string& name, double& target, double lo, double hi,
                      const std::string& doc, bool below_hi) {
  return cmd->add_option_function<std::string>(
      name,
      [&target, flag = flag_of(name), lo, hi, below_hi](const std::string& t) {
        target = parse_real(flag, t, lo, hi, below_hi);
      },
      doc);
}

CLI::Option* add_list(CLI::App* cmd, const std::string& name, std::vector<std::string>& target,
                      const std::string& doc) {
  return cmd->add_option_function<std::string>(
      name, [&target, flag = flag_of(name)](const std::string& t) { target = parse_list(flag, t); }, doc);
}

CLI::Option* add_word(CLI::App* cmd, const std::string& name, std::string& target, const std::string& doc) {
  return cmd->add_option_function<std::string>(
      name, [&target, flag = flag_of(name)](const std::string& t) { target = parse_word(flag, t); }, doc);
}

StateOptions parse_state_flags(const std::string& dtype, const std::string& rounding, bool rounds_weights) {
  StateOptions o;
  o.dtype = parse_named("--state-dtype", dtype, parse_state_dtype);
  o.rounding = parse_named("--state-rounding", rounding, parse_rounding);
  if (o.rounding == Rounding::stochastic && o.dtype == StateDType::f32 && !rounds_weights)
    throw OptionError("--state-rounding stochastic applies to --state-dtype bf16 and q8 only, not " + dtype);
  return o;
}

}  // namespace descent::cli
