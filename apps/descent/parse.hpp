#pragma once
// The CLI's values, read strictly: a flag's text is all of it a decimal number in range, or a
// list without empty items, or a non-empty word; anything else is a one-line descent::OptionError
// that names the flag, repeats the value as the user wrote it and gives the allowed range.
// CLI11's own conversions accept hex (0x10), wrap negative numbers into unsigned ones and read
// an empty list as [0]; every command registers its values through these instead.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "descent/error.hpp"
#include "descent/state.hpp"

namespace descent::cli {

// An integer in [lo, hi], decimal digits with an optional '-' only.
std::int64_t parse_integer(std::string_view flag, std::string_view text, std::int64_t lo, std::int64_t hi);
std::uint64_t parse_unsigned(std::string_view flag, std::string_view text, std::uint64_t hi);
// A finite real in [lo, hi], or [lo, hi) when `below_hi` (from_chars: no hex, no leading '+'
// or space). hi = the largest double reads as "inf)".
double parse_real(std::string_view flag, std::string_view text, double lo = -std::numeric_limits<double>::max(),
                  double hi = std::numeric_limits<double>::max(), bool below_hi = false);
// Comma-separated items, none empty ("a,,b", "a," and "" are errors).
std::vector<std::string> parse_list(std::string_view flag, std::string_view text);
std::vector<double> parse_real_list(std::string_view flag, std::string_view text);
// Text that must not be empty.
std::string parse_word(std::string_view flag, std::string_view text);

// A name the library reads (a state dtype, a rounding, a convention): the library's parser and
// its error, prefixed with the flag, so that every command words it alike.
template <class Parse>
auto parse_named(std::string_view flag, const std::string& text, const Parse& parse) {
  try {
    return parse(text);
  } catch (const OptionError& e) {
    if (!e.option().empty()) throw;  // main names the flag
    throw OptionError(std::string(flag) + ": " + e.what());
  }
}

// --state-dtype and --state-rounding, read and checked together, for every command that takes
// them (docs/lowbit.md); the caller sets min_size and the seed.
// rounds_weights: bf16 weights without master weights, which round as the state does.
StateOptions parse_state_flags(const std::string& dtype, const std::string& rounding, bool rounds_weights = false);

// Options that store through the parsers above. `name` is CLI11's ("--steps" or "--seed,-s"),
// whose flag_of is the flag the messages name ("--seed").
std::string flag_of(const std::string& name);
template <class Int>
CLI::Option* add_integer(CLI::App* cmd, const std::string& name, Int& target, std::int64_t lo, std::int64_t hi,
                         const std::string& doc) {
  const std::string flag = flag_of(name);
  CLI::Option* o = cmd->add_option_function<std::string>(
      name, [&target, flag, lo, hi](const std::string& t) { target = Int(parse_integer(flag, t, lo, hi)); }, doc);
  if constexpr (std::is_arithmetic_v<Int>) o->default_str(std::to_string(target));
  return o;
}
CLI::Option* add_unsigned(CLI::App* cmd, const std::string& name, std::uint64_t& target, std::uint64_t hi,
                          const std::string& doc);
CLI::Option* add_real(CLI::App* cmd, const std::string& name, double& target, double lo, double hi,
                      const std::string& doc, bool below_hi = false);
CLI::Option* add_list(CLI::App* cmd, const std::string& name, std::vector<std::string>& target, const std::string& doc);
CLI::Option* add_word(CLI::App* cmd, const std::string& name, std::string& target, const std::string& doc);
// A name checked by parse_named(parse) as it is read; `target` keeps the text.
template <class Parse>
CLI::Option* add_named(CLI::App* cmd, const std::string& name, std::string& target, Parse parse,
                       const std::string& doc) {
  const std::string flag = flag_of(name);
  CLI::Option* o = cmd->add_option_function<std::string>(
      name,
      [&target, flag, parse](const std::string& t) {
        parse_named(flag, t, parse);
        target = t;
      },
      doc);
  o->default_str(target);
  return o;
}

}  // namespace descent::cli
