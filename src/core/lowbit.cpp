// Low-bit state outside the step: names, sizes, and whole-slot conversions (docs/lowbit.md).
#include <algorithm>

#include "descent/detail/lowbit_kernel.hpp"
#include "descent/detail/names.hpp"
#include "descent/options.hpp"
#include "descent/state.hpp"

namespace descent {

namespace {
constexpr detail::Names<StateDType, 3> state_dtype_names{
    {{StateDType::f32, "f32"}, {StateDType::bf16, "bf16"}, {StateDType::q8, "q8"}}};
constexpr detail::Names<Rounding, 2> rounding_names{
    {{Rounding::nearest, "nearest"}, {Rounding::stochastic, "stochastic"}}};
}  // namespace

StateDType parse_state_dtype(std::string_view s) { return detail::parse_name(state_dtype_names, s, "state dtype"); }

const char* to_string(StateDType d) { return detail::name_of(state_dtype_names, d); }

Rounding parse_rounding(std::string_view s) { return detail::parse_name(rounding_names, s, "rounding"); }

const char* to_string(Rounding r) { return detail::name_of(rounding_names, r); }

StateDType slot_dtype(const StateOptions& o, DType param, std::size_t size) {
  if (param == DType::f64 || size < o.min_size) return StateDType::f32;
  return o.dtype;
}

std::size_t slot_bytes(StateDType d, DType param, std::size_t size) {
  switch (d) {
    case StateDType::bf16:
      return size * 2;
    case StateDType::q8:
      return size + (size + detail::q8_block - 1) / detail::q8_block * sizeof(float);
    case StateDType::f32:
      break;
  }
  return size * (param == DType::f64 ? sizeof(double) : sizeof(float));  // bfloat16 parameters: float32 state
}

namespace detail {

std::size_t buffer_bytes(StateDType d, DType param, std::size_t n) {
  if (d == StateDType::q8) return q8_scales_offset(n) + (n + q8_block - 1) / q8_block * sizeof(float);
  return slot_bytes(d, param, n);
}

void decode_slot(StateDType d, bool nonnegative, const void* in, std::size_t n, float* out) {
  if (d == StateDType::bf16) {
    const auto* h = static_cast<const std::uint16_t*>(in);
    for (std::size_t i = 0; i < n; ++i) out[i] = bf16_decode(h[i]);
  } else if (d == StateDType::q8) {
    const auto* codes = static_cast<const std::uint8_t*>(in);
    const auto* scales = reinterpret_cast<const float*>(codes + q8_scales_offset(n));
    for (std::size_t b = 0; b < n; b += q8_block) {
      const std::size_t len = std::min(q8_block, n - b);
      if (nonnegative)
        q8_decode_block<false>(codes + b, scales[b / q8_block], out + b, len);
      else
        q8_decode_block<true>(codes + b, scales[b / q8_block], out + b, len);
    }
  } else {
    std::copy_n(static_cast<const float*>(in), n, out);
  }
}

void encode_slot(StateDType d, bool nonnegative, const float* in, std::size_t n, void* out) {
  if (d == StateDType::bf16) {
    auto* h = static_cast<std::uint16_t*>(out);
    for (std::size_t i = 0; i < n; ++i) h[i] = bf16_nearest(in[i]);
  } else if (d == StateDType::q8) {
    auto* codes = static_cast<std::uint8_t*>(out);
    auto* scales = reinterpret_cast<float*>(codes + q8_scales_offset(n));
    for (std::size_t b = 0; b < n; b += q8_block) {
      const std::size_t len = std::min(q8_block, n - b);
      scales[b / q8_block] =
          nonnegative ? q8_encode_block<false>(in + b, codes + b, len) : q8_encode_block<true>(in + b, codes + b, len);
    }
  } else {
    std::copy_n(in, n, static_cast<float*>(out));
  }
}

}  // namespace detail
}  // namespace descent
