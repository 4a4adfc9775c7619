#pragma once
// A number from text, all of it or nothing: std::from_chars's rules (no leading space or '+',
// no hex prefix; "inf" and "nan" are numbers).
#include <charconv>
#include <cstdlib>
#include <string>
#include <string_view>

namespace descent::detail {

inline bool parse_double(std::string_view text, double& x) {
#ifdef __cpp_lib_to_chars
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
#else
  // libc++ before 17 (emscripten's, for web/) has no from_chars for double: strtod in the "C"
  // locale reads the same numbers once what from_chars refuses is refused here first.
  if (text.empty() || text[0] == '+' || text[0] == ' ' || text[0] == '\t' || text[0] == '\n' ||
      text.find_first_of("xX") != std::string_view::npos)
    return false;
  const std::string copy(text);
  char* end = nullptr;
  x = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size();
#endif
}

}  // namespace descent::detail
