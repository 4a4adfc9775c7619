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

// ---- q8: 8-bit codes scaled by their block's absolute maximum ----
// A value x of a block with absolute maximum s is stored as the code nearest to x/s in a
// non-linear map that is dense near zero. Two maps, chosen by the slot:
//   signed (first moments, which change sign): a sign bit and an unsigned E4M3 minifloat,
//     2^(e−15)·(1 + f/8) for e = 1..15, f·2^−17 for e = 0: 1.0 down to 7.6e−6, 4 bits of precision;
//   unsigned (second moments and other non-negative slots): E5M3,
//     2^(e−31)·(1 + f/8) for e = 1..31, f·2^−33 for e = 0: 1.0 down to 1.2e−10.
// Codes above 1.0 (121..127 per sign, 249..255) are never produced. bitsandbytes' dynamic map is
// the same idea with a unary exponent in powers of ten and its fraction bits shrinking with the
// exponent; these fixed-width binary exponents encode and decode with shifts and one compare.
inline constexpr std::size_t q8_block = 256;

// The map's parameters: exponent bias (its top exponent is 1.0), the subnormals' unit.
template <bool Signed>
struct Q8Map {
  static constexpr std::uint32_t bias = Signed ? 112 : 96;     // float32's exponent of code e: e + bias
  static constexpr std::uint32_t top = Signed ? 120 : 248;     // the code of 1.0
  static constexpr float scale = Signed ? 0x1p112f : 0x1p96f;  // 2^bias
  static constexpr float smallest_normal = Signed ? 0x1p-14f : 0x1p-30f;
  // The power of two whose ulp is the subnormals' unit (2^−17, 2^−33): adding it to a value
  // below the smallest normal rounds the value to a whole number of units.
  static constexpr float units = Signed ? 0x1p6f : 0x1p-10f;
  static constexpr float unit = Signed ? 0x1p-17f : 0x1p-33f;  // the subnormals' unit: code f is f·unit
};

// The value of a code, before the block scale. The code's bits, moved to float32's exponent and
// fraction fields (bits 20..27; the sign to bit 31), are the float32 2^(e−127)·(1 + f/8), or
// for e = 0 the float32 subnormal f·2^−129; one exact multiply by 2^bias moves both to the
// map's range. (A float32 subnormal is an input here: a process that sets the CPU's
// denormals-are-zero flag would decode codes 1..7 as 0.)
template <bool Signed>
inline float q8_decode(std::uint8_t code) {
  using M = Q8Map<Signed>;
  // Signed: the sign-extended code, shifted, keeps bit 7 in bits 27..31; the mask leaves bit 31.
  const std::uint32_t bits =
      Signed ? (std::uint32_t(std::int32_t(std::int8_t(code))) << 20) & 0x87f00000u : std::uint32_t(code) << 20;
  return float_of(bits) * M::scale;
}

// The code nearest to q (|q| ≤ 1 up to rounding), ties to the even code. Above the smallest
// normal, rounding the float32's bits at bit 20 rounds its fraction to 3 bits (a carry moves it to
// the next exponent, which is the next code); below, adding 2^6 (or 2^−10), whose ulp is the
// subnormals' unit, rounds the value to a whole number of units, ties to even, and that number is
// the sum's bits less those of 2^6 (the build keeps -ffp-contract=off).
template <bool Signed>
inline std::uint8_t q8_encode(float q) {
  using M = Q8Map<Signed>;
  const std::uint32_t b = bits_of(q) & 0x7fffffffu;
  const float a = float_of(b);
  // (b + half an ulp − 1 + the kept lowest bit) >> 20, less bias·8: the subtraction first, as
  // one constant (no wrap for b above the smallest normal, and below it the result is unused).
  const std::uint32_t normal = (b + (0x7ffffu - (M::bias << 23)) + ((b >> 20) & 1u)) >> 20;
  const float small = a < M::smallest_normal ? a : 0.0f;  // also keeps a NaN out of the sum's bits
  const std::uint32_t sub = bits_of(small + M::units) - bits_of(M::units);
  std::uint32_t mag = a >= M::smallest_normal ? normal : sub;
  mag = mag < M::top ? mag : M::top;  // x·(1/s) can land an ulp above 1
  if constexpr (Signed) mag |= (bits_of(q) >> 24) & 0x80u;
  return std::uint8_t(mag);
}

// Stochastic rounding to one of the two codes around |q| (below ≤ |q| < above): the code of
// floor(x + u) where x = |q| in code steps and u is uniform on [0, 1) in steps of 2^−20, so it
// rounds up with probability (|q| − below)/(above − below), to 2^−20, and E[decode(code)] = |q|
// (Gupta et al. 2015). Above the smallest normal, the float32's bits less the bias, shifted right
// by 20, are the code truncated (the 3-bit fraction lands in bits 0..2, the exponent above it), and
// the 20 dropped bits are x's fraction exactly, the map being linear between adjacent codes of
// one exponent: adding the 20 random bits and truncating is floor(x + u) (a carry out of the
// fraction moves to the next exponent, which is the next code). Below, |q|/unit·2^20 is x·2^20:
// multiplies by powers of two, exact (the result is below 8·2^20 and a float32), and truncating it
// to an integer before adding the random bits drops only bits that floor(x + u) ignores too.
template <bool Signed>
inline std::uint8_t q8_encode_stochastic(float q, std::uint32_t random) {
  using M = Q8Map<Signed>;
  const std::uint32_t b = bits_of(q) & 0x7fffffffu;
  const float a = float_of(b);
  const std::uint32_t r20 = random & 0xfffffu;
  const std::uint32_t normal = (b - (M::bias << 23) + r20) >> 20;  // unused (wrapped) below the smallest normal
  const float small = a < M::smallest_normal ? a : 0.0f;           // also keeps a NaN out of the conversion
  // x·2^20 < 2^23 converts as a signed int (a vector instruction without AVX-512's unsigned one).
  const std::uint32_t sub = (std::uint32_t(std::int32_t(small * (0x1p20f / M::unit))) + r20) >> 20;
  std::uint32_t mag = a >= M::smallest_normal ? normal : sub;
  mag = mag < M::top ? mag : M::top;  // as in q8_encode (a NaN: code 0, as there)
  if constexpr (Signed) mag |= (bits_of(q) >> 24) & 0x80u;
  return std::uint8_t(mag);
}

// The block's scale: the absolute maximum, as the largest magnitude's bits (non-negative floats
// order as their bits do, and an integer max vectorizes where a float one needs -ffast-math).
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

// Encodes a block whose absolute maximum is `scale`, known already. An all-zero block has scale 0
// and codes 0.
template <bool Signed>
inline void q8_encode_scaled(const float* __restrict x, float scale, std::uint8_t* __restrict codes, std::size_t n) {
  const float inv = scale > 0 ? 1.0f / scale : 0.0f;
  for (std::size_t i = 0; i < n; ++i) codes[i] = q8_encode<Signed>(x[i] * inv);
}

// The same with stochastic rounding: element begin + i's random bits are mix32((begin + i) ^ key),
// as for bf16 (Bf16Stochastic, detail/lowbit_kernel.hpp).
template <bool Signed>
inline void q8_encode_scaled_stochastic(const float* __restrict x, float scale, std::uint8_t* __restrict codes,
                                        std::size_t n, std::uint32_t begin, std::uint32_t key) {
  const float inv = scale > 0 ? 1.0f / scale : 0.0f;
  for (std::size_t i = 0; i < n; ++i)
    codes[i] = q8_encode_stochastic<Signed>(x[i] * inv, mix32((begin + std::uint32_t(i)) ^ key));
}

// Encodes a block and returns its scale.
template <bool Signed>
inline float q8_encode_block(const float* __restrict x, std::uint8_t* __restrict codes, std::size_t n) {
  const float s = absmax(x, n);
  q8_encode_scaled<Signed>(x, s, codes, n);
  return s;
}

}  // namespace descent::detail
