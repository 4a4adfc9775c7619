#include "descent/decay.hpp"

namespace descent {

bool glob_match(std::string_view pattern, std::string_view name) {
  // Iterative matching with one backtrack point for the last '*': linear for ordinary names.
  std::size_t p = 0, n = 0, star = std::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++p;
      ++n;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

DecaySplit split_no_decay(std::vector<Param> params, const std::vector<std::string>& patterns) {
  DecaySplit out;
  for (Param& p : params) {
    bool match = false;
    for (const auto& pattern : patterns) match = match || glob_match(pattern, p.name());
    (match ? out.no_decay : out.decay).push_back(std::move(p));
  }
  return out;
}

}  // namespace descent
