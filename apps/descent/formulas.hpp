#pragma once
// The update an optimizer runs, written out for people in the tutorial's notation — from the
// options it actually has, so each convention (a preset of options) and each override shows
// its own formula. Display text, so it lives in the CLI, not in the library.
#include <string>
#include <string_view>
#include <vector>

#include "descent/optimizer.hpp"

namespace descent::cli {

std::vector<std::string> formula_lines(std::string_view rule, const std::vector<Optimizer::OptionValue>& options);

}  // namespace descent::cli
