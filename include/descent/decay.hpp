#pragma once
// Weight decay per group, with the parameters that should not decay (biases, norm layers'
// scales) picked by name pattern, as PyTorch users build param groups by hand.
#include <string>
#include <string_view>
#include <vector>

#include "descent/param.hpp"

namespace descent {

// Whether the whole of `name` matches `pattern`: '*' any run of characters, '?' any one.
bool glob_match(std::string_view pattern, std::string_view name);

struct DecaySplit {
  std::vector<Param> decay;     // every parameter no pattern matches
  std::vector<Param> no_decay;  // those some pattern matches, in their original order
};
DecaySplit split_no_decay(std::vector<Param> params, const std::vector<std::string>& patterns);

}  // namespace descent
