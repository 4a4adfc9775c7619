#pragma once
// An optimizer's whole state as a plain value: what a checkpoint stores and what a resumed run
// loads. Everything is keyed by name (options, parameters, slots), never by position in memory,
// so a checkpoint can be checked against the optimizer it is loaded into.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "descent/param.hpp"

namespace descent {

struct OptimizerState {
  struct Group {
    std::int64_t t = 0;                                   // the group's step counter
    std::vector<std::pair<std::string, double>> options;  // every option (flags as 0 or 1)
  };
  struct Slot {
    std::string name;                  // "m", "v", ...
    std::vector<unsigned char> bytes;  // size() values of the parameter's dtype, native byte order
  };
  struct Param {
    std::string name;
    std::size_t group = 0;
    DType dtype = DType::f64;
    Shape shape;
    std::vector<Slot> slots;  // exactly the slots the group keeps
  };

  std::string optimizer;           // Optimizer::name(): the rule ("sgd" for SGD and SGDM)
  std::int64_t skipped_steps = 0;  // steps skipped for non-finite gradients (NonFinite::skip)
  std::vector<Group> groups;
  std::vector<Param> params;
};

}  // namespace descent
