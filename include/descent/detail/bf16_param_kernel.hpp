#pragma once
// Steps bfloat16 parameters (docs/lowbit.md, "bf16 parameters"). Block by block, the weights
// (or the optimizer's float32 master copy of them) and the gradients are widened to float32 in
// an L1 buffer, the rule's float32 kernel updates the block (the very kernel float32 parameters
// run, over any state storage: no new instantiation of the rule's loop), and the new weights
// are rounded into bf16 once. Still one pass over memory: each bf16 weight and gradient is read
// once and each weight written once.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "descent/detail/kernel.hpp"
#include "descent/detail/lowbit.hpp"

namespace descent::detail {

// Values per block: 8 KiB of float32 weights and gradients stay in L1, and the per-block call of
// the rule's kernel is amortized over 1024 values. A multiple of q8's 256, so 8-bit state's
// blocks are whole in every block (pieces start at multiples of 256, optimizer.cpp).
inline constexpr std::size_t bf16_block = 1024;
static_assert(bf16_block % q8_block == 0, "a block of weights holds whole blocks of 8-bit state");

// The stochastic rounding key's slot number for the weights, apart from every state slot's.
inline constexpr std::size_t weights_slot = 255;

// Plain loops with __restrict parameters, so that they vectorize at the kernel level.
inline void bf16_widen(const std::uint16_t* __restrict h, float* __restrict out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = bf16_decode(h[i]);
}
inline void bf16_round_nearest(const float* __restrict x, std::uint16_t* __restrict out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = bf16_nearest(x[i]);
}
// The random bits of element `first + i` of the parameter: independent of the blocks and threads.
inline void bf16_round_stochastic(const float* __restrict x, std::uint16_t* __restrict out, std::size_t n,
                                  std::uint32_t key, std::uint32_t first) {
  for (std::size_t i = 0; i < n; ++i) out[i] = bf16_stochastic(x[i], mix32((first + std::uint32_t(i)) ^ key));
}

// One piece [begin, begin + n) of a bf16 parameter, every pointer at the piece's first value.
struct Bf16Piece {
  std::uint16_t* w;        // the parameter's bf16 weights
  const std::uint16_t* g;  // its bf16 gradient
  float* master;           // the float32 master weights, or null: the weights are the bf16 values
  bool stochastic;         // round the weights stochastically (only without master weights)
  std::uint32_t key;       // stochastic rounding's key for (seed, t, parameter, weights_slot)
  std::uint32_t begin;     // the piece's first index into the parameter
};

// Calls update(w, g, offset, len) for every block [offset, offset + len) of the piece: w and g
// are the block's float32 weights and gradients, which update steps by the rule's kernel.
template <class Update>
void step_bf16_piece(const Bf16Piece& p, std::size_t n, const Update& update) {
  alignas(64) float wide_w[bf16_block];
  alignas(64) float wide_g[bf16_block];
  for (std::size_t b = 0; b < n; b += bf16_block) {
    const std::size_t len = std::min(bf16_block, n - b);
    float* w = p.master ? p.master + b : wide_w;
    at_kernel_level([&] {
      if (!p.master) bf16_widen(p.w + b, wide_w, len);
      bf16_widen(p.g + b, wide_g, len);
    });
    update(w, static_cast<const float*>(wide_g), b, len);
    at_kernel_level([&] {
      if (p.stochastic)
        bf16_round_stochastic(w, p.w + b, len, p.key, p.begin + std::uint32_t(b));
      else
        bf16_round_nearest(w, p.w + b, len);
    });
  }
}

}  // namespace descent::detail
