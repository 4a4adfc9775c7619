#!/usr/bin/python3
"""Goldens for bfloat16 parameters (docs/lowbit.md, "bf16 parameters"), computed in NumPy:

- the weights and gradients are bfloat16; each step widens them to float32 (bf16 bits << 16),
  runs the update in float32 in the order of the rule's code (include/descent/rules/adam.hpp,
  sgd.hpp; PyTorch's conventions: Adam with eps outside the root and L2 weight decay, SGD with
  momentum whose buffer starts at g_1), and rounds the new weights once to bfloat16, to nearest
  with ties to even, by bit arithmetic on the float32 bits (checked against a second rounding
  that scales by the binade's ulp and uses np.rint);
- with master weights the update runs on a float32 copy that is never rounded, and the bf16
  weights are that copy rounded: the master is a float32 run fed the same bf16 gradients.

Writes tests/golden/bf16_param/bf16_param.json. Run with /usr/bin/python3 (Debian's NumPy).
"""
import json
import math
import os

import numpy as np

f32 = np.float32
N = 1024 + 37  # one whole block of the C++ kernel (1024 values) and a tail
STEPS = 3


def widen(bits):
    """bfloat16 bits → float32 values (exact)."""
    return (np.asarray(bits, dtype=np.uint32) << np.uint32(16)).view(np.float32)


def round_bits(x):
    """float32 → bfloat16 bits, to nearest, ties to even: add 0x7fff plus the lowest kept bit."""
    b = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    assert not np.any(np.isnan(x))
    return ((b + 0x7FFF + ((b >> 16) & 1)) >> 16).astype(np.uint16)


def round_bits_by_ulp(x):
    """The same rounding from its definition: x scaled by its binade's ulp, np.rint (half to even)."""
    out = []
    for v in np.asarray(x, dtype=np.float32):
        if v == 0 or np.isinf(v):
            out.append(int(np.array(v, dtype=np.float32).view(np.uint32)) >> 16)
            continue
        e = max(math.frexp(float(v))[1] - 1, -126)
        ulp = 2.0 ** (e - 7)
        r = f32(float(np.rint(float(v) / ulp)) * ulp)
        out.append(int(np.array(r, dtype=np.float32).view(np.uint32)) >> 16)
    return np.array(out, dtype=np.uint16)


def rounded(x):
    a, b = round_bits(x), round_bits_by_ulp(x)
    assert np.array_equal(a, b), "the two roundings disagree"
    return a


# Arrays are hex strings, 4 digits per bfloat16 and 8 per float32 (big-endian digits, as the
# bits read), to keep the file small.
def bits32(x):
    return "".join("%08x" % int(b) for b in np.asarray(x, dtype=np.float32).view(np.uint32))


def bits16(x):
    return "".join("%04x" % int(b) for b in x)


def adam_step(w, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    bc1 = 1.0 - beta1**t
    bc2 = 1.0 - beta2**t
    b1, omb1, b2, omb2 = f32(beta1), f32(1.0 - beta1), f32(beta2), f32(1.0 - beta2)
    lr_hat, inv_sqrt_bc2, e = f32(lr / bc1), f32(1.0 / math.sqrt(bc2)), f32(eps)
    g = g + f32(weight_decay) * w  # L2 weight decay: g_t + λ·w_t
    m = b1 * m + omb1 * g  # m_t = β1·m_{t−1} + (1−β1)·g_t
    v = b2 * v + omb2 * g * g  # V_t = β2·V_{t−1} + (1−β2)·g_t²
    w = w - lr_hat * (m / (np.sqrt(v) * inv_sqrt_bc2 + e))  # w − lr·m̂_t / (sqrt(V̂_t) + ε)
    return w, {"m": m, "v": v}


def sgdm_step(w, g, m, t, lr, momentum):
    beta = f32(0.0 if t == 1 else momentum)  # PyTorch: the buffer starts at g_1
    m = beta * m + f32(1.0) * g  # m_t = μ·m_{t−1} + g_t (dampening 0)
    w = w - f32(lr) * m  # w_{t+1} = w_t − lr·m_t
    return w, {"m": m}


def run(optimizer, options, master, w0_bits, grads_bits):
    """STEPS steps: per step the bf16 weights and the float32 weights they are rounded from (with
    master weights: every step's master; without: the first step's), and the last state."""
    w16 = w0_bits
    w_master = widen(w16)
    state = {"m": np.zeros(N, f32), "v": np.zeros(N, f32)}
    out = {"w_bits": [], "w_f32_bits": []}
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for t in range(1, STEPS + 1):
            g = widen(grads_bits[t - 1])
            w = w_master if master else widen(w16)
            if optimizer == "adam":
                w, state = adam_step(w, g, state["m"], state["v"], t, **options)
            else:
                w, new = sgdm_step(w, g, state["m"], t, **options)
                state.update(new)
            w16 = rounded(w)
            if master:
                w_master = w
            out["w_bits"].append(bits16(w16))
            if master or t == 1:  # the master weights; without, the first step's (for stochastic rounding)
                out["w_f32_bits"].append(bits32(w))
    if options.get("lr") != 1e-4:
        out["state_bits"] = {k: bits32(v) for k, v in state.items() if optimizer == "adam" or k == "m"}
    return out


def main():
    rng = np.random.default_rng(20261202)
    w0 = rounded(rng.uniform(-2, 2, N).astype(np.float32))
    w0[:4] = rounded(np.array([1.0, -1.0, 0.5, 3.0], dtype=np.float32))  # round numbers: their ulp is known
    grads = []
    for _ in range(STEPS):
        g = (rng.standard_normal(N) * 10.0 ** rng.uniform(-3, 0, N)).astype(np.float32)
        g[::29] = 0
        grads.append(rounded(g))
    # The overrides as the C++ test passes them to make_optimizer (PyTorch's convention).
    cases = [
        ("adam", "adam", {"lr": 0.01, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01}),
        # An update below half a bf16 ulp of most weights: without master weights they never move.
        ("adam_small_lr", "adam", {"lr": 1e-4, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0}),
        ("sgdm", "sgd", {"lr": 0.05, "momentum": 0.9}),
    ]
    out = {"n": N, "steps": STEPS, "w0_bits": bits16(w0), "grads_bits": [bits16(g) for g in grads],
           "cases": []}
    for name, optimizer, options in cases:
        for master in (False, True):
            r = run("adam" if optimizer == "adam" else "sgdm", options, master, w0, grads)
            out["cases"].append({"name": name, "optimizer": optimizer, "overrides": options, "master": master, **r})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bf16_param.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path)


if __name__ == "__main__":
    main()
