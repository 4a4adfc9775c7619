#pragma once
// An enum's names, one table per enum: to_string and parse both read it, and the error for an
// unknown name lists every name ("unknown convention 'x' (expected seed, pytorch or keras)").
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "descent/error.hpp"

namespace descent::detail {

template <class E, std::size_t N>
using Names = std::array<std::pair<E, const char*>, N>;

template <class E, std::size_t N>
const char* name_of(const Names<E, N>& names, E value) {
  for (const auto& [e, name] : names)
    if (e == value) return name;
  return "?";
}

// "a, b or c": the names as the error lists them.
template <class E, std::size_t N>
std::string name_list(const Names<E, N>& names) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) out += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(names[i].second);
  return out;
}

// Throws OptionError "unknown <what> '<text>' (expected ...)".
template <class E, std::size_t N>
E parse_name(const Names<E, N>& names, std::string_view text, std::string_view what) {
  for (const auto& [e, name] : names)
    if (text == name) return e;
  throw OptionError("unknown " + std::string(what) + " '" + std::string(text) + "' (expected " + name_list(names) +
                    ")");
}

}  // namespace descent::detail
