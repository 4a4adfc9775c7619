// Option text as a user types it: a convention, an optimizer name and key=value overrides,
// one per line. Every input must build a valid optimizer or throw descent::Error; a built
// optimizer must pass its own validation and take a step.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "descent/descent.hpp"

using namespace descent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (std::size_t at = 0; at <= text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  try {
    const Convention convention = parse_convention(lines[0]);
    if (lines.size() < 2) return 0;
    std::vector<std::pair<std::string, std::string>> overrides;
    for (std::size_t i = 2; i < lines.size(); ++i) {
      const std::size_t eq = lines[i].find('=');
      if (eq == std::string_view::npos) {
        parse_nonfinite(lines[i]);
        continue;
      }
      overrides.emplace_back(lines[i].substr(0, eq), lines[i].substr(eq + 1));
    }
    std::vector<double> w{1.0, -2.0, 0.5}, g{0.1, 0.0, -0.3};
    auto opt = make_optimizer(lines[1], {Param("w", std::span(w), std::span(g))}, convention, overrides);
    // set_option on the built optimizer takes the same text again, now validated in place.
    for (const auto& [key, value] : overrides) opt->set_option(key, value);
    opt->set_nonfinite(NonFinite::zero);
    for (int s = 0; s < 3; ++s) opt->step();
  } catch (const Error&) {
  }
  return 0;
}
