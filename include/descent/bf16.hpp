#pragma once
// bfloat16, the element type of bf16 parameters and gradients (docs/lowbit.md, "bf16
// parameters"): float32's sign, its 8 exponent bits and the top 7 of its 23 fraction bits. A
// plain 16-bit value with explicit conversions and no arithmetic, so that no computation on it
// rounds silently: descent widens bf16 to float32, computes, and rounds once.
#include <cstdint>
#include <type_traits>

#include "descent/detail/lowbit.hpp"

namespace descent {

struct bf16 {
  std::uint16_t bits = 0;

  bf16() = default;
  explicit bf16(float x) : bits(detail::bf16_nearest(x)) {}  // to nearest, ties to even
  static bf16 from_bits(std::uint16_t b) {
    bf16 h;
    h.bits = b;
    return h;
  }
  explicit operator float() const { return detail::bf16_decode(bits); }  // exact
};
static_assert(sizeof(bf16) == 2 && std::is_trivially_copyable_v<bf16>, "bf16 is two bytes, as in memory");

namespace detail {
// An array of bf16 as its bits, for the codecs (detail/lowbit.hpp).
inline std::uint16_t* bf16_bits(bf16* x) { return reinterpret_cast<std::uint16_t*>(x); }
inline const std::uint16_t* bf16_bits(const bf16* x) { return reinterpret_cast<const std::uint16_t*>(x); }
}  // namespace detail

}  // namespace descent
