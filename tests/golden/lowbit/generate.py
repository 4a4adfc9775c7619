#!/usr/bin/python3
"""Goldens for descent's low-bit optimizer state (docs/lowbit.md), computed in NumPy from the
formats' definitions, independently of the C++ bit tricks:

- bfloat16 round to nearest, ties to even: x rounded to 8 significant bits by scaling with its
  binade's ulp and np.rint (which rounds half to even), not by adding to its bits;
- block-wise 8-bit quantization (after Dettmers et al. 2022, "8-bit Optimizers via Block-wise
  Quantization"): per block of 256 values a power-of-two scale s, the smallest with
  max|x|/s < 1.875 (the maps' largest value) and at least 2^-95, and each x/s becomes the index of
  the nearest value of a code map, found by searching the whole map (a tie to the larger
  magnitude). The maps are listed value by value from their formulas: a sign bit and E4M3 for
  signed slots, E5M3 for non-negative ones (exponent bias so that the top binade is [1, 2), no
  subnormals: e = 0 is zero only);
- one Adam step (Kingma & Ba 2015, Algorithm 1 with PyTorch's eps outside the root) over q8
  state: dequantize m and v, update in float32 in the order of the rule's code
  (include/descent/rules/adam.hpp), requantize;
- stochastic rounding to the q8 maps (Gupta et al. 2015): the two map values around |q| found
  in the map, x = (|q| − below)/(above − below) computed exactly in float64, and the code of
  floor(x + u) with u = r/2^20, r the element's 20 random bits (so up with probability x): the
  random bits are the library's counter-based stream, mix32((index) ^ key) with the key of
  (seed, step, parameter, slot), re-implemented here from its definition (Wellons' lowbias32,
  SplitMix64's finalizer). Both the codes of one block set and two Adam steps with stochastic q8
  state.

Writes tests/golden/lowbit/lowbit.json. Run with /usr/bin/python3 (Debian's NumPy).
"""
import json
import math
import os

import numpy as np

BLOCK = 256
f32 = np.float32


def bf16_nearest_bits(x):
    """The bfloat16 nearest to float32 x (ties to even), as its 16 bits."""
    x = f32(x)
    if np.isnan(x):
        raise ValueError("no NaN in the goldens")
    if np.isinf(x) or x == 0:
        return int(np.array(x, dtype=np.float32).view(np.uint32)) >> 16
    e = math.frexp(float(x))[1] - 1  # x = m·2^e, 1 <= |m| < 2
    e = max(e, -126)  # subnormals share the smallest normal's ulp
    ulp = 2.0 ** (e - 7)
    r = float(np.rint(float(x) / ulp)) * ulp  # exact in float64: at most 9 significant bits
    bits = int(np.array(f32(r), dtype=np.float32).view(np.uint32))
    assert bits & 0xFFFF == 0, (x, r)
    return bits >> 16


def code_map(signed):
    """Code → value (before the block scale), for every code the quantizer may produce."""
    exp_bits, bias = (4, 15) if signed else (5, 31)
    values = {}
    for e in range(2**exp_bits):
        for f in range(8):
            if e == 0 and f > 0:
                continue  # no subnormals
            mag = 0.0 if e == 0 else 2.0 ** (e - bias) * (1 + f / 8)
            code = e << 3 | f
            values[code] = mag
            if signed:
                values[code | 0x80] = -mag
    return values


def nearest_code(q, signed, table):
    """Index of the map value nearest to q; a tie to the larger magnitude. Signed maps keep q's
    sign."""
    q = float(q)
    neg = signed and math.copysign(1.0, q) < 0
    a = abs(q)
    best = None
    for code, v in table.items():
        if signed and (code & 0x80):
            continue
        d = abs(v - a)
        if best is None or d < best[0] or (d == best[0] and v > best[2]):
            best = (d, code, v)
    return best[1] | (0x80 if neg else 0)


def block_scale(m):
    """The smallest power of two s >= 2^-95 with m/s < 1.875, m a block's max|x| (float64)."""
    e = math.frexp(m)[1] - 1 if m > 0 else -1000  # m = f·2^e, 1 <= f < 2
    s = 2.0**e if m > 0 else 0.0
    if m > 0 and m / s >= 1.875:
        s *= 2
    return max(s, 2.0**-95)


def quantize_with(x, code):
    """Block-wise quantization of float32 values: one power-of-two scale per block (block_scale)
    and, per value, code(q, i) of q = value / scale (exact), i its index."""
    x = np.asarray(x, dtype=np.float32)
    codes, scales = [], []
    for b in range(0, len(x), BLOCK):
        blk = x[b:b + BLOCK]
        s = block_scale(float(np.max(np.abs(blk))))
        codes += [code(float(v) / s, b + i) for i, v in enumerate(blk)]
        scales.append(s)
    return codes, scales


def quantize(x, signed):
    """Block-wise quantization to the nearest code."""
    table = code_map(signed)
    return quantize_with(x, lambda q, i: nearest_code(q, signed, table))


def dequantize(codes, scales, signed):
    table = code_map(signed)
    return np.array([f32(table[c]) * f32(scales[i // BLOCK]) for i, c in enumerate(codes)], dtype=np.float32)


M32, M64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF


def mix32(x):
    """Wellons' lowbias32 on a 32-bit word (include/descent/detail/lowbit.hpp's random stream)."""
    x &= M32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & M32
    return x ^ (x >> 16)


def mix64(z):
    """SplitMix64's step and finalizer."""
    z = (z + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def rounding_key(seed, t, param, slot):
    """The key of stochastic rounding's stream for (seed, step t, parameter, slot), 32 bits."""
    return mix64(mix64(mix64(seed) ^ t) ^ (param << 8 | slot)) & M32


def stochastic_code(q, signed, mags, r20):
    """The code of |q| rounded stochastically between its two neighbours in the map: with
    x = (|q| − below)/(above − below), up iff x + r20/2^20 >= 1, i.e. with probability x in steps
    of 2^-20. mags: (value, code) of the non-negative codes, by value. Exact in float64: |q| is a
    float32 and below >= |q|/2 or 0 (Sterbenz), above − below is a power of two, and x·2^20 + r20
    needs at most 21 + 23 bits."""
    q = float(q)
    neg = signed and math.copysign(1.0, q) < 0
    a = abs(q)
    sign = 0x80 if neg else 0
    if a >= mags[-1][0]:
        return mags[-1][1] | sign  # not reached: |q| < 1.875 by the block's scale
    k = max(i for i, (v, _) in enumerate(mags) if v <= a)
    below, above = mags[k][0], mags[k + 1][0]
    x = (a - below) / (above - below)
    up = x * 2.0**20 + r20 >= 2.0**20
    return mags[k + 1 if up else k][1] | sign


def quantize_stochastic(x, signed, key):
    """Block-wise quantization with stochastic rounding; element i's random bits are
    mix32(i ^ key)'s low 20."""
    mags = sorted((v, c) for c, v in code_map(signed).items() if not (signed and c & 0x80))
    return quantize_with(x, lambda q, i: stochastic_code(q, signed, mags, mix32(i ^ key) & 0xFFFFF))


def bits(x):
    return [int(b) for b in np.asarray(x, dtype=np.float32).view(np.uint32)]


def adam_step(w, g, m_codes, m_scales, v_codes, v_scales, t, lr, beta1, beta2, eps):
    """One Adam step over q8 state, in float32 in the rule's order of operations: the new w, m
    and v before m and v are quantized."""
    m = dequantize(m_codes, m_scales, True)
    v = dequantize(v_codes, v_scales, False)
    bc1 = 1.0 - beta1**t
    bc2 = 1.0 - beta2**t
    b1, omb1, b2, omb2 = f32(beta1), f32(1.0 - beta1), f32(beta2), f32(1.0 - beta2)
    lr_hat, inv_sqrt_bc2, e = f32(lr / bc1), f32(1.0 / math.sqrt(bc2)), f32(eps)
    w = np.asarray(w, dtype=np.float32).copy()
    g = np.asarray(g, dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        m = b1 * m + omb1 * g  # m_t = β1·m_{t−1} + (1−β1)·g_t
        v = b2 * v + omb2 * g * g  # V_t = β2·V_{t−1} + (1−β2)·g_t²
        d = np.sqrt(v) * inv_sqrt_bc2 + e
        w = w - lr_hat * (m / d)  # w_{t+1} = w_t − lr·m̂_t / (sqrt(V̂_t) + ε)
    return w, m, v


def adam_q8_step(w, g, m_codes, m_scales, v_codes, v_scales, t, lr, beta1, beta2, eps):
    """adam_step with m and v quantized to the nearest codes."""
    w, m, v = adam_step(w, g, m_codes, m_scales, v_codes, v_scales, t, lr, beta1, beta2, eps)
    mc, ms = quantize(m, True)
    vc, vs = quantize(v, False)
    return w, mc, ms, vc, vs


def adam_q8_stochastic_step(w, g, m_codes, m_scales, v_codes, v_scales, t, seed, lr, beta1, beta2, eps):
    """adam_step with m and v quantized stochastically, keyed by (seed, t, parameter 0, slot 0
    for m and 1 for v)."""
    w, m, v = adam_step(w, g, m_codes, m_scales, v_codes, v_scales, t, lr, beta1, beta2, eps)
    mc, ms = quantize_stochastic(m, True, rounding_key(seed, t, 0, 0))
    vc, vs = quantize_stochastic(v, False, rounding_key(seed, t, 0, 1))
    return w, mc, ms, vc, vs


def main():
    rng = np.random.default_rng(20261201)
    out = {"block": BLOCK}

    # bf16: random magnitudes over many binades, exact ties, subnormals, the largest finite.
    xs = list((rng.standard_normal(200) * 10.0 ** rng.uniform(-30, 30, 200)).astype(np.float32))
    ties = [f32(1 + 2**-8), f32(1 + 3 * 2**-8), f32(-(1 + 2**-8)), f32(2**-130), f32(3e38), f32(0.0)]
    xs = [f32(v) for v in xs] + ties
    out["bf16"] = {"x_bits": bits(xs), "nearest": [bf16_nearest_bits(v) for v in xs]}

    # q8: two blocks and a short tail, values over 12 orders of magnitude, exact zeros, the
    # block maximum, values at midpoints between codes (ties, to the larger magnitude), at half
    # the smallest normal code (a tie with 0) and just below it.
    n = 2 * BLOCK + 37
    x = (rng.standard_normal(n) * 10.0 ** rng.uniform(-12, 0, n)).astype(np.float32)
    x[5] = 0
    x[300] = 0
    s0 = block_scale(float(np.max(np.abs(x[:BLOCK]))))
    x[7] = f32(0.5 * (1 + 1.125) * s0)  # a midpoint
    x[8] = f32(-0.5 * (1 + 1.125) * s0)
    x[9] = f32(2.0**-15 * s0)  # half the signed map's smallest normal
    x[10] = np.nextafter(f32(2.0**-15 * s0), f32(0))
    x[11] = f32(2.0**-31 * s0)  # half the unsigned map's smallest normal
    x[12] = np.nextafter(f32(2.0**-31 * s0), f32(0))
    signed_codes, signed_scales = quantize(x, True)
    unsigned_codes, unsigned_scales = quantize(np.abs(x), False)
    out["q8"] = {"x_bits": bits(x), "signed_codes": signed_codes, "signed_scales_bits": bits(signed_scales),
                 "unsigned_codes": unsigned_codes, "unsigned_scales_bits": bits(unsigned_scales)}
    # Every map value, for the decoder.
    out["q8_maps"] = {"signed": {str(c): v for c, v in sorted(code_map(True).items())},
                      "unsigned": {str(c): v for c, v in sorted(code_map(False).items())}}

    # One Adam step over q8 state: state from a first step (quantized), then the second step.
    n = 3 * BLOCK + 11
    w = rng.uniform(-1, 1, n).astype(np.float32)
    g1 = (rng.standard_normal(n) * 10.0 ** rng.uniform(-4, 0, n)).astype(np.float32)
    g2 = (rng.standard_normal(n) * 10.0 ** rng.uniform(-4, 0, n)).astype(np.float32)
    g2[::17] = 0
    opts = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
    z = [0] * n
    zs = [0.0] * ((n + BLOCK - 1) // BLOCK)
    w1, mc, ms, vc, vs = adam_q8_step(w, g1, z, zs, z, zs, 1, **opts)
    w2, mc2, ms2, vc2, vs2 = adam_q8_step(w1, g2, mc, ms, vc, vs, 2, **opts)
    out["adam_q8"] = {"options": opts, "w0_bits": bits(w), "g1_bits": bits(g1), "g2_bits": bits(g2),
                      "w1_bits": bits(w1), "m1_codes": mc, "m1_scales_bits": bits(ms), "v1_codes": vc,
                      "v1_scales_bits": bits(vs), "w2_bits": bits(w2), "m2_codes": mc2,
                      "m2_scales_bits": bits(ms2), "v2_codes": vc2, "v2_scales_bits": bits(vs2)}

    # Stochastic q8, from a stream of its own (the entries above stay as they were): values over
    # 12 orders of magnitude, below both maps' smallest normal (between 0 and it), exact codes
    # (x = 0), values a float32 ulp above a code (x tiny: up with probability ~2^-20), zeros, and
    # the block maximum.
    rng = np.random.default_rng(20261202)
    n = 2 * BLOCK + 37
    x = (rng.standard_normal(n) * 10.0 ** rng.uniform(-12, 0, n)).astype(np.float32)
    x[3] = 0
    s0 = block_scale(float(np.max(np.abs(x[:BLOCK]))))
    for i, c in ((10, 0.75), (11, -0.3125), (12, 2.0**-14), (15, 2.0**-30)):
        x[i] = f32(c * s0)  # a code
    x[13] = np.nextafter(f32(0.5 * s0), f32(1))
    x[14] = f32(3 * 2.0**-17 * (1 + 2.0**-10) * s0)  # below the signed map's smallest normal
    x[16] = f32(0.3 * 2.0**-30 * s0)  # below the unsigned one's
    key_signed, key_unsigned = rounding_key(7, 1, 0, 0), rounding_key(7, 1, 0, 1)
    signed_codes, signed_scales = quantize_stochastic(x, True, key_signed)
    unsigned_codes, unsigned_scales = quantize_stochastic(np.abs(x), False, key_unsigned)
    out["q8_stochastic"] = {"x_bits": bits(x), "signed_key": key_signed, "unsigned_key": key_unsigned,
                            "signed_codes": signed_codes, "signed_scales_bits": bits(signed_scales),
                            "unsigned_codes": unsigned_codes, "unsigned_scales_bits": bits(unsigned_scales)}

    # Two Adam steps with stochastic q8 state from zero state, seed 7.
    n = 3 * BLOCK + 11
    w = rng.uniform(-1, 1, n).astype(np.float32)
    g1 = (rng.standard_normal(n) * 10.0 ** rng.uniform(-4, 0, n)).astype(np.float32)
    g2 = (rng.standard_normal(n) * 10.0 ** rng.uniform(-4, 0, n)).astype(np.float32)
    g2[::17] = 0
    z = [0] * n
    zs = [0.0] * ((n + BLOCK - 1) // BLOCK)
    w1, mc, ms, vc, vs = adam_q8_stochastic_step(w, g1, z, zs, z, zs, 1, 7, **opts)
    w2, mc2, ms2, vc2, vs2 = adam_q8_stochastic_step(w1, g2, mc, ms, vc, vs, 2, 7, **opts)
    out["adam_q8_stochastic"] = {"options": opts, "seed": 7, "w0_bits": bits(w), "g1_bits": bits(g1),
                                 "g2_bits": bits(g2), "w1_bits": bits(w1), "m1_codes": mc,
                                 "m1_scales_bits": bits(ms), "v1_codes": vc, "v1_scales_bits": bits(vs),
                                 "w2_bits": bits(w2), "m2_codes": mc2, "m2_scales_bits": bits(ms2),
                                 "v2_codes": vc2, "v2_scales_bits": bits(vs2)}

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lowbit.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
