#pragma once
// The update loop over low-bit state (docs/lowbit.md): the same loop as detail/kernel.hpp, with
// the rule's update unchanged between a decode and a rounding store, in one pass over memory.
// bf16 decodes and rounds each value in place; q8 decodes each block of 256 values as the update
// reads them, keeps the new values in an L1 buffer with their absolute maximum, and encodes the
// block with it (to the nearest code, or stochastically with the slot's key).
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "descent/detail/kernel.hpp"
#include "descent/detail/lowbit.hpp"
#include "descent/state.hpp"

namespace descent::detail {

inline constexpr std::size_t max_lowbit_slots = 4;

// One parameter's piece [begin, begin + n) of low-bit state, per slot: the storage from the
// piece's first value, q8's scales from its first block (begin is a multiple of q8_block), and
// stochastic rounding's key per slot with the piece's first index.
struct LowSlots {
  void* data[max_lowbit_slots] = {};
  float* scales[max_lowbit_slots] = {};
  std::uint32_t key[max_lowbit_slots] = {};
  std::uint32_t begin = 0;
};

struct Bf16Nearest {
  using Store = std::uint16_t;
  float load(const std::uint16_t* s, std::size_t i) const { return bf16_decode(s[i]); }
  void store(std::uint16_t* s, std::size_t i, float x, std::size_t) const { s[i] = bf16_nearest(x); }
};

struct Bf16Stochastic {
  using Store = std::uint16_t;
  std::array<std::uint32_t, max_lowbit_slots> key;
  std::uint32_t begin;
  float load(const std::uint16_t* s, std::size_t i) const { return bf16_decode(s[i]); }
  void store(std::uint16_t* s, std::size_t i, float x, std::size_t slot) const {
    s[i] = bf16_stochastic(x, mix32((begin + std::uint32_t(i)) ^ key[slot]));
  }
};

template <class Rule>
constexpr rules::Slots nonnegative_slots() {
  if constexpr (requires { Rule::nonnegative; })
    return Rule::nonnegative;
  else
    return 0;
}

enum class LowFormat { bf16_nearest, bf16_stochastic, q8, q8_stochastic };

// One block of q8 state: the rule's update over values decoded from their codes, as in loop()
// (detail/kernel.hpp), the new values kept in `buf` and their absolute maximum (as magnitude bits,
// absmax()) taken on the way, so that the block is encoded in one more pass over L1 only.
template <class Rule, rules::Slots S, bool Decay, std::size_t... J>
inline void q8_update(const rules::Prelude<float>& p, const typename Rule::template Step<float>& k, float* __restrict w,
                      const float* __restrict g, const std::uint8_t* const* codes, const float* scales,
                      float (*__restrict buf)[q8_block], std::uint32_t* top, std::size_t n, std::index_sequence<J...>) {
  constexpr rules::Slots nonneg = nonnegative_slots<Rule>();
  std::uint32_t m[sizeof...(J) > 0 ? sizeof...(J) : 1] = {};
  for (std::size_t i = 0; i < n; ++i) {
    const float w0 = w[i];
    float gi = g[i], wi = w0;
    if constexpr (Decay) {
      gi = p.sign * gi + p.l2 * w0;
      wi = p.keep * w0;
    }
    float slot[sizeof...(J) > 0 ? sizeof...(J) : 1] = {
        (rules::has(S, J) ? q8_decode<!rules::has(nonneg, J)>(codes[J][i]) * scales[J] : 0.0f)...};
    Rule::template update<S>(k, wi, gi, slot[J]...);
    ((rules::has(S, J) ? void((buf[J][i] = slot[J], m[J] = std::max(m[J], magnitude_bits(slot[J])))) : void()), ...);
    w[i] = wi;
  }
  ((top[J] = m[J]), ...);
}

// Encodes one block of q8 state from its new values and its scale (q8_scale of their absolute
// maximum): to the nearest code, or stochastically with the slot's key and the block's first
// element index.
template <LowFormat F, bool Signed>
inline void q8_store(const float* __restrict x, float scale, std::uint8_t* __restrict codes, std::size_t n,
                     std::uint32_t begin, std::uint32_t key) {
  if constexpr (F == LowFormat::q8_stochastic)
    q8_encode_scaled_stochastic<Signed>(x, scale, codes, n, begin, key);
  else
    q8_encode_scaled<Signed>(x, scale, codes, n);
}

template <class Rule, rules::Slots S, bool Decay, LowFormat F, std::size_t... J>
inline void lowbit_body(const rules::Prelude<float>& p0, const typename Rule::template Step<float>& k0, float* w,
                        const float* g, const LowSlots& ls, std::size_t n, std::index_sequence<J...> seq) {
  const rules::Prelude<float> p = p0;  // local copies, as in fast()
  const typename Rule::template Step<float> k = k0;
  if constexpr (F == LowFormat::bf16_nearest) {
    std::uint16_t* s[sizeof...(J) > 0 ? sizeof...(J) : 1] = {static_cast<std::uint16_t*>(ls.data[J])...};
    loop<Rule, S, Decay>(p, k, w, g, s, n, Bf16Nearest{}, seq);
  } else if constexpr (F == LowFormat::bf16_stochastic) {
    std::uint16_t* s[sizeof...(J) > 0 ? sizeof...(J) : 1] = {static_cast<std::uint16_t*>(ls.data[J])...};
    const Bf16Stochastic c{{ls.key[0], ls.key[1], ls.key[2], ls.key[3]}, ls.begin};
    loop<Rule, S, Decay>(p, k, w, g, s, n, c, seq);
  } else {
    constexpr std::size_t slots = sizeof...(J) > 0 ? sizeof...(J) : 1;
    constexpr rules::Slots nonneg = nonnegative_slots<Rule>();
    alignas(64) float buf[slots][q8_block];
    for (std::size_t b = 0; b < n; b += q8_block) {
      const std::size_t block = b / q8_block;
      const std::uint8_t* codes[slots] = {
          (rules::has(S, J) ? static_cast<const std::uint8_t*>(ls.data[J]) + b : nullptr)...};
      const float scales[slots] = {(rules::has(S, J) ? ls.scales[J][block] : 0.0f)...};
      std::uint32_t top[slots] = {};
      // A whole block has a fixed trip count: no remainder loops around the vectorized one.
      if (n - b >= q8_block)
        q8_update<Rule, S, Decay>(p, k, w + b, g + b, codes, scales, buf, top, q8_block, seq);
      else
        q8_update<Rule, S, Decay>(p, k, w + b, g + b, codes, scales, buf, top, n - b, seq);
      const std::size_t len = std::min(q8_block, n - b);
      ((rules::has(S, J) ? q8_store<F, !rules::has(nonneg, J)>(buf[J], ls.scales[J][block] = q8_scale(top[J]),
                                                               static_cast<std::uint8_t*>(ls.data[J]) + b, len,
                                                               ls.begin + std::uint32_t(b), ls.key[J])
                         : void()),
       ...);
    }
  }
}

template <class Rule, rules::Slots S, bool Decay, LowFormat F>
void lowbit_fast(const rules::Prelude<float>& p, const typename Rule::template Step<float>& k, float* w, const float* g,
                 const LowSlots& s, std::size_t n) {
  at_kernel_level(
      [&] { lowbit_body<Rule, S, Decay, F>(p, k, w, g, s, n, std::make_index_sequence<Rule::slot_names.size()>{}); });
}

template <class Rule, rules::Slots S, bool Decay, LowFormat F>
DESCENT_SCALAR void lowbit_reference(const rules::Prelude<float>& p, const typename Rule::template Step<float>& k,
                                     float* w, const float* g, const LowSlots& s, std::size_t n) {
  lowbit_body<Rule, S, Decay, F>(p, k, w, g, s, n, std::make_index_sequence<Rule::slot_names.size()>{});
}

template <class Step>
using LowKernel = void (*)(const rules::Prelude<float>&, const Step&, float*, const float*, const LowSlots&,
                           std::size_t);

template <class Rule>
LowKernel<typename Rule::template Step<float>> lowbit_kernel_for(LowFormat format, rules::Slots slots, bool decay,
                                                                 bool scalar) {
  static_assert(Rule::slot_names.size() <= max_lowbit_slots, "low-bit state: at most 4 slots per rule");
  LowKernel<typename Rule::template Step<float>> found = nullptr;
  [&]<std::size_t... V>(std::index_sequence<V...>) {
    auto pick = [&]<rules::Slots S, LowFormat F>() {
      if (decay)
        found = scalar ? &lowbit_reference<Rule, S, true, F> : &lowbit_fast<Rule, S, true, F>;
      else
        found = scalar ? &lowbit_reference<Rule, S, false, F> : &lowbit_fast<Rule, S, false, F>;
    };
    auto variant = [&]<rules::Slots S>() {
      if (format == LowFormat::bf16_nearest) pick.template operator()<S, LowFormat::bf16_nearest>();
      if (format == LowFormat::bf16_stochastic) pick.template operator()<S, LowFormat::bf16_stochastic>();
      if (format == LowFormat::q8) pick.template operator()<S, LowFormat::q8>();
      if (format == LowFormat::q8_stochastic) pick.template operator()<S, LowFormat::q8_stochastic>();
    };
    ((slots == Rule::variants[V] ? (variant.template operator()<Rule::variants[V]>(), 0) : 0), ...);
  }
  (std::make_index_sequence<Rule::variants.size()>{});
  return found;
}

// Whole slots, outside the step (set_state_options, state() views, initial values): decode to
// float32, or encode from it with round to nearest. `nonnegative` picks q8's unsigned map.
void decode_slot(StateDType d, bool nonnegative, const void* in, std::size_t n, float* out);
void encode_slot(StateDType d, bool nonnegative, const float* in, std::size_t n, void* out);
// Where q8's scales start in a slot's buffer: after the codes, rounded up to a cache line.
inline std::size_t q8_scales_offset(std::size_t n) { return (n + 63) / 64 * 64; }
// A slot's buffer size (q8: codes, padding, scales).
std::size_t buffer_bytes(StateDType d, DType param, std::size_t n);

}  // namespace descent::detail
