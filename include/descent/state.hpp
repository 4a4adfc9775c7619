#pragma once
// An optimizer's whole state as a plain value: what a checkpoint stores and what a resumed run
// loads. Everything is keyed by name (options, parameters, slots), never by position in memory,
// so a checkpoint can be checked against the optimizer it is loaded into.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "descent/param.hpp"

namespace descent {

// How a group stores its state slots (docs/lowbit.md). Fewer bytes per slot is fewer bytes
// moved per step, and the step is bound by memory traffic.
enum class StateDType : std::uint8_t {
  f32 = 1,   // full precision: the parameter's own dtype (float32, or float64 for double parameters)
  bf16 = 2,  // bfloat16: float32's 8 exponent bits and 7 of its 23 fraction bits
  q8 = 3,    // 8-bit codes, one float32 scale (a power of two) per block of 256 values
};
StateDType parse_state_dtype(std::string_view s);  // "f32", "bf16", "q8"; throws OptionError
const char* to_string(StateDType d);

// How bf16 state rounds the float32 result of an update.
enum class Rounding : std::uint8_t {
  nearest = 1,     // to nearest, ties to even
  stochastic = 2,  // up with probability (x − down)/(up − down): unbiased on average
};
Rounding parse_rounding(std::string_view s);  // "nearest", "stochastic"; throws OptionError
const char* to_string(Rounding r);

// A group's state storage. Low-bit state applies to float32 and bfloat16 parameters of at least
// min_size values; smaller tensors and float64 parameters keep full-precision state (as
// bitsandbytes does: a small tensor's state is a negligible share of the memory, and its updates
// matter). The state of a bfloat16 parameter is float32 unless dtype says otherwise.
struct StateOptions {
  StateDType dtype = StateDType::f32;
  Rounding rounding = Rounding::nearest;  // bf16 state, and bfloat16 parameters without master weights
  std::uint64_t seed = 0;                 // stochastic rounding's random stream
  std::uint64_t min_size = 4096;
  // bfloat16 parameters only: the optimizer keeps a float32 copy of the weights (slot "master",
  // whatever the size) and steps it; the bf16 parameter is the master rounded to nearest after
  // each step. Checkpoints store the copy (format 2: a slot of its own, so older files read).
  bool master_weights = false;

  bool operator==(const StateOptions&) const = default;
};

// The storage one slot of one parameter gets under a group's StateOptions.
StateDType slot_dtype(const StateOptions& o, DType param, std::size_t size);
// Bytes of one slot of `size` values stored as `d` (q8: the codes, then one float32 per block).
std::size_t slot_bytes(StateDType d, DType param, std::size_t size);

// The name of the master weights' slot in state() and OptimizerState (never a rule's slot name).
inline constexpr std::string_view master_slot = "master";

struct OptimizerState {
  struct Group {
    std::int64_t t = 0;                                   // the group's step counter
    std::vector<std::pair<std::string, double>> options;  // every option (flags as 0 or 1)
    StateOptions state;                                   // version 1 files: the defaults (f32)
  };
  struct Slot {
    std::string name;  // "m", "v", ...
    // f32: size() values of the parameter's dtype (float32 for bfloat16 parameters); bf16: size()
    // uint16; q8: size() codes, then ceil(size()/256) float32 scales. Native byte order.
    std::vector<unsigned char> bytes;
    StateDType dtype = StateDType::f32;
  };
  struct Param {
    std::string name;
    std::size_t group = 0;
    DType dtype = DType::f64;
    Shape shape;
    std::vector<Slot> slots;  // exactly the slots the group keeps, then "master" (master_weights)
  };

  std::string optimizer;           // Optimizer::name(): the rule ("sgd" for SGD and SGDM)
  std::int64_t skipped_steps = 0;  // steps skipped for non-finite gradients (NonFinite::skip)
  std::vector<Group> groups;
  std::vector<Param> params;
};

}  // namespace descent
