#pragma once
// Low-bit state codecs (docs/lowbit.md): bfloat16 with round-to-nearest-even or stochastic
// rounding, and block-wise 8-bit codes. Every encode and decode is integer and float arithmetic
// on the value's bits, with no table lookups, so the update loop stays one vectorized pass:
// a table (bitsandbytes' dynamic map searched for the nearest code) would cost a gather per
// value and slot, several times the step's whole memory budget on a CPU core.
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace descent::detail {

// std::bit_cast by memcpy: the same code, and headers that consumers' compilers (clang 14 with
// some standard libraries lacks std::bit_cast) can include.
inline std::uint32_t bits_of(float x) {
  std::uint32_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}
inline float float_of(std::uint32_t b) {
  float x;
  std::memcpy(&x, &b, sizeof x);
  return x;
}

// ---- bfloat16: the top 16 bits of a float32 ----

inline float bf16_decode(std::uint16_t h) { return float_of(std::uint32_t(h) << 16); }

// To nearest, ties to even: add half an ulp of bf16 less one, plus the kept lowest bit. A NaN
// stays a (quiet) NaN: the carry could otherwise turn it into an infinity.
inline std::uint16_t bf16_nearest(float x) {
  const std::uint32_t b = bits_of(x);
  const std::uint32_t r = (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
  return std::uint16_t(x != x ? (b >> 16) | 0x40u : r);
}

// Stochastic: add 16 uniform random bits below the kept ones and truncate, so x rounds away
// from zero with probability (dropped bits)/2^16: E[bf16(x)] = x (Gupta et al. 2015).
inline std::uint16_t bf16_stochastic(float x, std::uint32_t random) {
  const std::uint32_t b = bits_of(x);
  const std::uint32_t r = (b + (random & 0xffffu)) >> 16;
  return std::uint16_t(x != x ? (b >> 16) | 0x40u : r);
}

// A counter-based generator: the random bits of an element are a hash of its index and of a
// key for (seed, step, parameter, slot), so they do not depend on which thread runs it.
// mix32 is Wellons' "lowbias32" integer hash (a bijection of 32-bit words); the key comes from
// SplitMix64's finalizer (Steele et al. 2014).
inline std::uint32_t mix32(std::uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}
inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
inline std::uint32_t rounding_key(std::uint64_t seed, std::int64_t t, std::size_t param, std::size_t slot) {
  return std::uint32_t(mix64(mix64(mix64(seed) ^ std::uint64_t(t)) ^ (std::uint64_t(param) << 8 | slot)));
}

// ---- q8: 8-bit codes scaled by their block's power of two ----
// A value x of a block with scale s (a power of two, q8_scale) is stored as the code nearest to
// x/s in a non-linear map that is dense near zero. Two maps, chosen by the slot:
//   signed (first moments, which change sign): a sign bit and an unsigned E4M3 minifloat,
//     2^(e−15)·(1 + f/8) for e = 1..15, and 0: 1.875 down to 6.1e−5, 4 bits of precision;
//   unsigned (second moments and other non-negative slots): E5M3,
//     2^(e−31)·(1 + f/8) for e = 1..31, and 0: 1.875 down to 4.7e−10.
// Codes 1..7 (per sign) are not produced: codes without subnormals, and scales that are powers of
// two, make the encode one integer pass over x's bits (docs/lowbit.md, "Why this map"), which is
// what lets the step keep up with the memory bus. bitsandbytes' dynamic map is the same idea with
// a unary exponent in powers of ten and its fraction bits shrinking with the exponent; these
// fixed-width binary exponents encode and decode with shifts and compares.
inline constexpr std::size_t q8_block = 256;

// The map's parameters: exponent bias (float32's exponent field of code exponent e is e + bias),
// the exponent of its top binade [1, 2), its largest code (1.875), its smallest normal value.
template <bool Signed>
struct Q8Map {
  static constexpr std::uint32_t bias = Signed ? 112 : 96;
  static constexpr std::uint32_t top_exponent = 127 - bias;  // 1.0's exponent field less the bias
  static constexpr std::uint32_t top = Signed ? 127 : 255;
  static constexpr float scale = Signed ? 0x1p112f : 0x1p96f;  // 2^bias
  static constexpr float smallest_normal = Signed ? 0x1p-14f : 0x1p-30f;
};

// The value of a code, before the block scale. The code's bits, moved to float32's exponent and
// fraction fields (bits 20..27; the sign to bit 31), are the float32 2^(e−127)·(1 + f/8); one
// exact multiply by 2^bias moves it to the map's range. (Codes 1..7, no longer produced, are
// float32 subnormals here, f·2^−17 or f·2^−33 after the multiply, as the first encoder wrote them.)
template <bool Signed>
inline float q8_decode(std::uint8_t code) {
  using M = Q8Map<Signed>;
  // Signed: the sign-extended code, shifted, keeps bit 7 in bits 27..31; the mask leaves bit 31.
  const std::uint32_t bits =
      Signed ? (std::uint32_t(std::int32_t(std::int8_t(code))) << 20) & 0x87f00000u : std::uint32_t(code) << 20;
  return float_of(bits) * M::scale;
}

// The block's scale from its absolute maximum's bits: the smallest power of two s with
// max|x|/s < 1.875, the map's largest value, so that every x/s rounds to a code (1.875·2^e and
// above carry into the next exponent), and at least 2^−95: below that a float32 subnormal x would
// have a code of its own, and x's bits are not its exponent and fraction (q8_code). So a block of
// zeros has scale 2^−95 and codes 0.
inline constexpr std::uint32_t q8_least_scale_bits = 32u << 23;  // 2^−95
inline float q8_scale(std::uint32_t absmax_bits) {
  const std::uint32_t s = (absmax_bits + 0x100000u) & 0x7f800000u;
  return float_of(s > q8_least_scale_bits ? s : q8_least_scale_bits);
}

// What a block of scale s (a power of two, q8_scale) encodes with: x's bits less `shift`, >> 20, are
// the code of x/s truncated, plus half a code step (x's float32 exponent less s's is q's; the
// shift moves s's exponent to the map's top one); values below `half` (half the smallest normal
// code's value) round to 0.
struct Q8Shift {
  std::int32_t shift, half;
};
template <bool Signed>
inline Q8Shift q8_shift(float s) {
  const std::int32_t half = std::int32_t(bits_of(s)) - std::int32_t(Q8Map<Signed>::top_exponent << 23);
  return {half - 0x80000, half};
}

// The code nearest to x/s, ties away from zero, from x's bits: a carry out of the fraction moves it
// to the next exponent, which is the next code. From half the smallest normal value up to it, the
// smallest normal is the nearest code.
template <bool Signed>
inline std::uint8_t q8_code(std::uint32_t x_bits, Q8Shift k) {
  using M = Q8Map<Signed>;
  const std::int32_t b = std::int32_t(x_bits & 0x7fffffffu);
  const std::int32_t u = (b - k.shift) >> 20;
  std::int32_t mag = b < k.half ? 0 : (u < 8 ? 8 : u);
  mag = mag < std::int32_t(M::top) ? mag : std::int32_t(M::top);  // only a NaN or an infinity gets there
  std::uint32_t code = std::uint32_t(mag);
  if constexpr (Signed) code |= (x_bits >> 24) & 0x80u;  // as in q8_encode_stochastic
  return std::uint8_t(code);
}

// The code nearest to q, as a block of scale 1 stores it.
template <bool Signed>
inline std::uint8_t q8_encode(float q) {
  return q8_code<Signed>(bits_of(q), q8_shift<Signed>(1.0f));
}

// Stochastic rounding to one of the two codes around |q| (below ≤ |q| < above; |q| < 1.875): the
// code of floor(x + u) where x = |q| in code steps and u is uniform on [0, 1) in steps of 2^−20, so
// it rounds up with probability (|q| − below)/(above − below), to 2^−20, and E[decode(code)] = |q|
// (Gupta et al. 2015). Above the smallest normal, the float32's bits less the bias, shifted right
// by 20, are the code truncated (the 3-bit fraction lands in bits 0..2, the exponent above it), and
// the 20 dropped bits are x's fraction exactly, the map being linear between adjacent codes of
// one exponent: adding the 20 random bits and truncating is floor(x + u) (a carry out of the
// fraction moves to the next exponent, which is the next code). Below, between 0 and the smallest
// normal value n, |q|/n·2^20 is x·2^20: a multiply by a power of two, exact (below 2^20), and
// truncating it to an integer before adding the random bits drops only bits floor(x + u) ignores.
template <bool Signed>
inline std::uint8_t q8_encode_stochastic(float q, std::uint32_t random) {
  using M = Q8Map<Signed>;
  const std::uint32_t b = bits_of(q) & 0x7fffffffu;
  const float a = float_of(b);
  const std::uint32_t r20 = random & 0xfffffu;
  const std::uint32_t normal = (b - (M::bias << 23) + r20) >> 20;  // unused (wrapped) below the smallest normal
  const float small = a < M::smallest_normal ? a : 0.0f;           // also keeps a NaN out of the conversion
  // x·2^20 < 2^20 converts as a signed int (a vector instruction without AVX-512's unsigned one).
  const std::uint32_t sub = ((std::uint32_t(std::int32_t(small * (0x1p20f / M::smallest_normal))) + r20) >> 20) << 3;
  std::uint32_t mag = a >= M::smallest_normal ? normal : sub;
  mag = mag < M::top ? mag : M::top;  // as in q8_code
  if constexpr (Signed) mag |= (bits_of(q) >> 24) & 0x80u;
  return std::uint8_t(mag);
}

// The block's absolute maximum, as the largest magnitude's bits (non-negative floats order as
// their bits do, and an integer max vectorizes where a float one needs -ffast-math).
inline std::uint32_t magnitude_bits(float x) { return bits_of(x) & 0x7fffffffu; }
inline float absmax(const float* x, std::size_t n) {
  std::uint32_t m = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t b = magnitude_bits(x[i]);
    m = b > m ? b : m;
  }
  return float_of(m);
}

template <bool Signed>
inline void q8_decode_block(const std::uint8_t* __restrict codes, float scale, float* __restrict out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = q8_decode<Signed>(codes[i]) * scale;
}

// Encodes a block whose scale (q8_scale) is known already.
template <bool Signed>
inline void q8_encode_scaled(const float* __restrict x, float scale, std::uint8_t* __restrict codes, std::size_t n) {
  const Q8Shift k = q8_shift<Signed>(scale);
  for (std::size_t i = 0; i < n; ++i) codes[i] = q8_code<Signed>(bits_of(x[i]), k);
}

// The same with stochastic rounding: element begin + i's random bits are mix32((begin + i) ^ key),
// as for bf16 (Bf16Stochastic, detail/lowbit_kernel.hpp).
template <bool Signed>
inline void q8_encode_scaled_stochastic(const float* __restrict x, float scale, std::uint8_t* __restrict codes,
                                        std::size_t n, std::uint32_t begin, std::uint32_t key) {
  const float inv = 1.0f / scale;  // exact: a power of two
  for (std::size_t i = 0; i < n; ++i)
    codes[i] = q8_encode_stochastic<Signed>(x[i] * inv, mix32((begin + std::uint32_t(i)) ^ key));
}

inline float q8_block_scale(const float* x, std::size_t n) { return q8_scale(bits_of(absmax(x, n))); }

// Encodes a block and returns its scale.
template <bool Signed>
inline float q8_encode_block(const float* __restrict x, std::uint8_t* __restrict codes, std::size_t n) {
  const float s = q8_block_scale(x, n);
  q8_encode_scaled<Signed>(x, s, codes, n);
  return s;
}

}  // namespace descent::detail
