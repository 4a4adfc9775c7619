// `descent explain` argument parsing: the input is the argument list, one argument per line.
// Every input must parse and run, or end in the CLI's bad-input errors (CLI::ParseError or
// descent::Error, which main() turns into exit code 2); anything else escaping is a finding.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "descent/error.hpp"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!std::freopen("/dev/null", "w", stdout)) return 1;  // explain's tables
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    args.emplace_back(text.substr(at, end - at));
    at = end + 1;
  }
  if (args.size() > 64) return 0;  // long argument lists add nothing but time
  CLI::App app{"descent"};
  app.require_subcommand(1);
  descent::cli::add_explain(app);
  std::vector<std::string> reversed{"explain"};
  reversed.insert(reversed.end(), args.begin(), args.end());
  std::reverse(reversed.begin(), reversed.end());  // CLI11 takes the arguments last-first
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError&) {
  } catch (const descent::Error&) {
  }
  return 0;
}
