"""Low-bit optimizer state from Python (docs/lowbit.md): the NumPy API and descent.torch with
state_dtype="bf16" | "q8". Checked against NumPy: the golden of tests/golden/lowbit (NumPy, written
from the papers; the C++ matches it to the last code), the formats re-implemented here from their
definitions, and bit-for-bit resumes."""
import copy
import io
import json
import pathlib

import numpy as np
import pytest

import descent

GOLDEN = pathlib.Path(__file__).resolve().parents[2] / "tests" / "golden" / "lowbit" / "lowbit.json"
BLOCK = 256


def floats(bits):
    return np.array(bits, dtype=np.uint32).view(np.float32)


def f32_bits(x):
    return np.asarray(x, dtype=np.float32).view(np.uint32)


# --- the formats from their definitions (docs/lowbit.md), vectorized ---------------------------
def code_map(signed):
    """Code → value before the block scale: sign bit and E4M3 (signed), E5M3 (unsigned), the top
    binade [1, 2), no subnormals (e = 0 is zero only)."""
    exp_bits, bias = (4, 15) if signed else (5, 31)
    codes, values = [0], [0.0]
    for e in range(1, 2**exp_bits):
        for f in range(8):
            codes.append(e << 3 | f)
            values.append(2.0 ** (e - bias) * (1 + f / 8))
    return np.array(codes), np.array(values)


def block_scale(m):
    """The smallest power of two s >= 2^-95 with m/s < 1.875 (m: a block's max|x|)."""
    s = np.exp2(np.floor(np.log2(m))) if m > 0 else 0.0
    if m > 0 and m / s >= 1.875:
        s *= 2
    return np.float32(max(s, 2.0**-95))


def quantize(x, signed):
    """Block-wise: a power-of-two scale per 256 values (block_scale); each x/scale (exact) to the
    nearest map value (a tie to the larger magnitude), the sign in bit 7 for signed slots."""
    codes_of, mags = code_map(signed)
    x = np.asarray(x, dtype=np.float32)
    codes = np.zeros(x.size, dtype=np.uint8)
    scales = []
    for b in range(0, x.size, BLOCK):
        blk = x[b:b + BLOCK]
        s = block_scale(float(np.max(np.abs(blk))))
        q = blk.astype(np.float64) / float(s)
        d = np.abs(mags[None, :] - np.abs(q)[:, None])
        nearest = d == d.min(axis=1)[:, None]
        pick = mags.size - 1 - np.argmax(nearest[:, ::-1], axis=1)  # the largest of the nearest
        c = codes_of[pick]
        if signed:
            c = c | np.where(np.signbit(q), 0x80, 0)
        codes[b:b + BLOCK] = c
        scales.append(s)
    return codes, np.array(scales, dtype=np.float32)


def dequantize(codes, scales, signed):
    codes_of, mags = code_map(signed)
    table = np.zeros(256)
    table[codes_of] = mags
    if signed:
        table[codes_of | 0x80] = -mags
    block = np.arange(codes.size) // BLOCK
    return table[codes].astype(np.float32) * scales[block]


def bf16(x):
    """Round to nearest even at 8 significant bits, by the binade's ulp (float32 normals)."""
    x = np.asarray(x, dtype=np.float64)
    ulp = np.ldexp(1.0, np.frexp(x)[1] - 8)
    return np.where(x == 0, 0.0, np.rint(x / ulp) * ulp).astype(np.float32)


# --- the NumPy API ----------------------------------------------------------------------------
@pytest.mark.parametrize("entry", ["adam_q8", "adam_q8_stochastic"])
def test_q8_adam_steps_match_the_numpy_golden_to_the_last_code(entry):
    g = json.loads(GOLDEN.read_text())[entry]
    w = floats(g["w0_bits"]).copy()
    grad = np.zeros_like(w)
    rounding = dict(state_rounding="stochastic", state_seed=g["seed"]) if "seed" in g else {}
    opt = descent.Adam([("w", w, grad)], **g["options"], state_dtype="q8", state_min_size=0, **rounding)
    assert opt.state_dtype("w") == "q8"
    for k in (1, 2):
        grad[...] = floats(g[f"g{k}_bits"])
        opt.step()
        assert np.array_equal(f32_bits(w), g[f"w{k}_bits"]), f"w after step {k}"
        slots = opt.state_dict()["params"][0]["slots"]
        for slot in ("m", "v"):
            assert np.array_equal(slots[slot]["codes"], g[f"{slot}{k}_codes"]), f"{slot} codes after step {k}"
            assert np.array_equal(f32_bits(slots[slot]["scales"]), g[f"{slot}{k}_scales_bits"])
        # state() decodes: map value of each code times its block's scale
        assert np.array_equal(opt.state("w")["m"], dequantize(slots["m"]["codes"], slots["m"]["scales"], True))


def test_one_q8_lion_step_from_a_loaded_state_matches_numpy():
    rng = np.random.default_rng(5)
    n = 2 * BLOCK + 88
    w = rng.uniform(-1, 1, n).astype(np.float32)
    grad = (rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 0, n)).astype(np.float32)
    opt = descent.Lion([("w", w, grad)], lr=1e-2, beta1=0.9, beta2=0.99, state_dtype="q8", state_min_size=0)
    sd = opt.state_dict()
    codes_of, _ = code_map(True)
    m_codes = rng.choice(np.concatenate([codes_of, codes_of | 0x80]), n).astype(np.uint8)
    m_scales = rng.uniform(0.01, 1, 3).astype(np.float32)
    sd["params"][0]["slots"]["m"] = {"codes": m_codes, "scales": m_scales}
    sd["groups"][0]["t"] = 4
    opt.load_state_dict(sd)
    w0 = w.copy()
    opt.step()
    # Lion (Chen et al. 2023) in float32, the rule's order: c = β1·m + (1−β1)·g; w −= lr·sign(c);
    # m = β2·m + (1−β2)·g; then m requantized.
    f = np.float32
    m = dequantize(m_codes, m_scales, True)
    c = f(0.9) * m + f(1 - 0.9) * grad
    want_w = w0 - f(1e-2) * np.sign(c).astype(np.float32)
    want_codes, want_scales = quantize(f(0.99) * m + f(1 - 0.99) * grad, True)
    assert np.array_equal(f32_bits(w), f32_bits(want_w))
    got = opt.state_dict()["params"][0]["slots"]["m"]
    assert np.array_equal(got["codes"], want_codes)
    assert np.array_equal(f32_bits(got["scales"]), f32_bits(want_scales))


def _model(seed):
    rng = np.random.default_rng(seed)
    shapes = {"w1": (64, 80), "b1": (80,), "w2": (80, 10)}  # w1: 5120 values, over min_size; b1 under
    values = {k: rng.normal(0, 0.1, s).astype(np.float32) for k, s in shapes.items()}
    grads = {k: np.zeros_like(v) for k, v in values.items()}
    return values, grads


def _stream(grads, steps, seed=1):
    """The gradients of `steps` steps, drawn once: a run and its resumed halves see the same."""
    rng = np.random.default_rng(seed)
    return [{k: (rng.normal(0, 1, g.shape) * 10.0 ** rng.uniform(-3, 0)).astype(np.float32) for k, g in grads.items()}
            for _ in range(steps)]


def _run(opt, grads, stream):
    for step in stream:
        for k, g in grads.items():
            g[...] = step[k]
        opt.step()


def _groups(values, grads):
    return [{"params": [("w1", values["w1"], grads["w1"])], "state_dtype": "q8"},
            {"params": [(k, values[k], grads[k]) for k in ("b1", "w2")], "state_dtype": "bf16",
             "state_rounding": "stochastic", "state_seed": 3, "state_min_size": 0}]


@pytest.mark.parametrize("how", ["state_dict", "checkpoint"])
def test_low_bit_state_resumes_bit_for_bit(tmp_path, how):
    values, grads = _model(0)
    stream = _stream(grads, 6)
    straight = descent.AdamW(_groups(values, grads), lr=1e-2, weight_decay=0.01)
    _run(straight, grads, stream)

    values2, grads2 = _model(0)
    first = descent.AdamW(_groups(values2, grads2), lr=1e-2, weight_decay=0.01)
    _run(first, grads2, stream[:3])
    if how == "state_dict":
        saved = copy.deepcopy(first.state_dict())
    else:
        first.save(tmp_path / "run.ckpt")
    values3, grads3 = _model(99)  # other values, f32 state: all of it must come from the save
    for k in values3:
        values3[k][...] = values2[k]
    resumed = descent.AdamW([(k, values3[k], grads3[k]) for k in values3], lr=1e-2, weight_decay=0.01)
    resumed = descent.AdamW(_groups(values3, grads3), lr=1e-2, weight_decay=0.01)
    if how == "state_dict":
        resumed.load_state_dict(saved)
    else:
        resumed.load(tmp_path / "run.ckpt")
    _run(resumed, grads3, stream[3:])
    for k in values:
        assert np.array_equal(f32_bits(values3[k]), f32_bits(values[k])), k
    a, b = straight.state_dict(), resumed.state_dict()
    assert [g["state"] for g in a["groups"]] == [g["state"] for g in b["groups"]]
    assert [opt.state_dtype(k) for opt in (straight, resumed) for k in ("w1", "b1")] == ["q8", "bf16"] * 2
    for pa, pb in zip(a["params"], b["params"]):
        for slot in pa["slots"]:
            x, y = pa["slots"][slot], pb["slots"][slot]
            if isinstance(x, dict):
                assert np.array_equal(x["codes"], y["codes"]) and np.array_equal(x["scales"], y["scales"])
            else:
                assert x.dtype == y.dtype and np.array_equal(x, y), (pa["name"], slot)


def test_groups_store_their_state_as_declared():
    values, grads = _model(0)
    opt = descent.Adam(_groups(values, grads) + [{"params": [("extra", np.zeros(5000, np.float32),
                                                                np.zeros(5000, np.float32))]}], lr=1e-3)
    assert [opt.state_dtype(k) for k in ("w1", "b1", "w2", "extra")] == ["q8", "bf16", "bf16", "f32"]
    assert opt.state_options(1) == {"state_dtype": "bf16", "state_rounding": "stochastic", "state_seed": 3,
                                    "state_min_size": 0}
    # bytes as stored (Adam's m and v): q8 n + 4·ceil(n/256), bf16 2n, f32 4n
    assert opt.state_bytes == 2 * ((5120 + 4 * 20) + 2 * 80 + 2 * 800 + 4 * 5000)
    sd = opt.state_dict()
    assert sd["params"][1]["slots"]["m"].dtype == np.uint16  # bf16: the bits
    assert sd["params"][3]["slots"]["m"].dtype == np.float32
    # the constructor's state_* apply to every group; a tensor under state_min_size keeps f32
    small = descent.SGDM([("b", np.zeros(80, np.float32), np.zeros(80, np.float32))], lr=0.1, state_dtype="q8")
    assert small.state_dtype("b") == "f32" and small.state_options()["state_dtype"] == "q8"
    small.set_state_options(state_min_size=0)
    assert small.state_dtype("b") == "q8"
    # float64 parameters keep float64 state
    f64 = descent.Adam([("d", np.zeros(5000), np.zeros(5000))], state_dtype="bf16")
    assert f64.state_dtype("d") == "f32"


def test_bf16_state_is_the_float32_state_rounded_to_nearest_even():
    w = np.linspace(-1, 1, 4096, dtype=np.float32)
    g = np.linspace(0.3, -2, 4096, dtype=np.float32)
    low = descent.Adam([("w", w, g)], lr=1e-3, state_dtype="bf16")
    w32, g32 = w.copy(), g.copy()
    full = descent.Adam([("w", w32, g32)], lr=1e-3)
    low.step()
    full.step()  # the first step reads zero state in both: the same m_1, V_1 before rounding
    for slot in ("m", "v"):
        assert np.array_equal(low.state("w")[slot], bf16(full.state("w")[slot]))
        bits = low.state_dict()["params"][0]["slots"][slot]
        assert np.array_equal((bits.astype(np.uint32) << 16).view(np.float32), low.state("w")[slot])


def test_explain_shows_the_stored_state():
    grads = [0.5, -0.2, 0.1, 2.0]
    t = descent.explain("sgdm", grads, state_dtype="bf16")
    m = 0.0
    for k, gk in enumerate(grads):
        m = float(bf16(0.9 * m + 0.1 * gk))
        assert t["m"][k] == m
    assert t.state["min_size"] == 0 and "m_f32" in t and "w_f32" in t
    q = descent.explain("adam", grads, state_dtype="q8")
    # Step 1 by hand: m = 0.05 = 1.6·2^-5 rounds to 1.625·2^-5 (code e = 15, f = 5: 125);
    # V = 0.00025 = 1.024·2^-12 rounds to 2^-12 (e = 31, f = 0: 248).
    assert (q["m_code"][0], q["m"][0], q["m_scale"][0]) == (125, 0.05078125, 2.0**-5)
    assert (q["v_code"][0], q["v"][0], q["v_scale"][0]) == (248, 2.0**-12, 2.0**-12)
    for slot, signed in (("m", True), ("v", False)):  # every step: code's map value times a power of two
        codes_of, mags = code_map(signed)
        value = dict(zip(codes_of.tolist(), mags.tolist()))
        for code, x, scale in zip(q[f"{slot}_code"], q[slot], q[f"{slot}_scale"]):
            assert scale == 2.0 ** np.floor(np.log2(scale))
            assert abs(x) == value[int(code) & (0x7F if signed else 0xFF)] * scale and (x < 0) == (signed and code >= 128)
    with pytest.raises(TypeError, match="state_min_size does not apply"):
        descent.explain("adam", grads, state_dtype="q8", state_min_size=0)


def test_bad_state_options_name_what_is_wrong():
    w, g = np.zeros(10, np.float32), np.zeros(10, np.float32)
    with pytest.raises(descent.OptionError, match="unknown state dtype 'q4'"):
        descent.Adam([("w", w, g)], state_dtype="q4")
    with pytest.raises(descent.OptionError, match="stochastic' applies to bf16 and q8 state only, not f32"):
        descent.Adam([("w", w, g)], state_dtype="f32", state_rounding="stochastic")
    with pytest.raises(ValueError, match=r"state_min_size = -1 is not a whole number"):
        descent.Adam([("w", w, g)], state_min_size=-1)
    with pytest.raises(TypeError, match="state_dtype = '' is not a non-empty string"):
        descent.Adam([{"params": [("w", w, g)], "state_dtype": ""}])
    opt = descent.Adam([("w", w, g)])
    with pytest.raises(TypeError, match="takes state_dtype, .* not dtype"):
        opt.set_state_options(dtype="q8")
    sd = opt.state_dict()
    sd["params"][0]["slots"]["m"] = np.zeros(10, np.uint16)  # bf16 bits for an f32 group
    with pytest.raises(descent.Error, match="stored as bf16, its group's state options give f32"):
        opt.load_state_dict(sd)


# --- descent.torch ----------------------------------------------------------------------------
torch = pytest.importorskip("torch")
import descent.torch as dt  # noqa: E402

from conftest import digits  # noqa: E402


def _mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 80), torch.nn.Tanh(), torch.nn.Linear(80, 10))


def _batches(steps, seed=1):
    x, y = digits()
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    idx = torch.tensor(np.random.default_rng(seed).integers(0, len(y), (steps, 32)))
    return [(x[i], y[i]) for i in idx]


def _train(model, opt, batches):
    for xb, yb in batches:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()


@pytest.mark.parametrize("cls,state", [("Adam", dict(state_dtype="q8", state_min_size=0)),
                                       ("Lion", dict(state_dtype="q8")),
                                       ("Adam", dict(state_dtype="q8", state_rounding="stochastic", state_seed=4,
                                                     state_min_size=0)),
                                       ("SGD", dict(state_dtype="bf16", state_rounding="stochastic", state_seed=9,
                                                    state_min_size=0))])
def test_torch_state_dict_resumes_bit_for_bit(cls, state):
    kwargs = dict(lr=1e-2, momentum=0.9) if cls == "SGD" else dict(lr=1e-3)
    batches = _batches(40)
    straight = _mlp()
    opt = getattr(dt, cls)(straight.parameters(), **kwargs, **state)
    _train(straight, opt, batches)

    first = _mlp()
    opt1 = getattr(dt, cls)(first.parameters(), **kwargs, **state)
    _train(first, opt1, batches[:20])
    buf = io.BytesIO()
    torch.save({"model": first.state_dict(), "opt": opt1.state_dict()}, buf)
    buf.seek(0)
    saved = torch.load(buf)
    resumed = _mlp(seed=5)
    resumed.load_state_dict(saved["model"])
    opt2 = getattr(dt, cls)(resumed.parameters(), **kwargs)  # f32: the state options come from the save
    opt2.load_state_dict(saved["opt"])
    assert opt2.param_groups[0]["state_dtype"] == state["state_dtype"]
    _train(resumed, opt2, batches[20:])
    for p, q in zip(straight.parameters(), resumed.parameters()):
        assert torch.equal(p, q)
    form = {"codes", "scales"} if state["state_dtype"] == "q8" else {"bits"}
    low = [e["lowbit"] for e in opt2.state.values() if "lowbit" in e]
    assert low and all(set(part) == form for e in low for k, part in e.items() if k != "step")
    assert all(int(e["step"]) == 40 for e in low)  # the count stochastic rounding is keyed by


def test_torch_shows_decoded_state_and_keeps_the_codes():
    model = _mlp()
    opt = dt.Adam(model.parameters(), lr=1e-3, state_dtype="q8", state_min_size=0)
    _train(model, opt, _batches(3))
    for p in model.parameters():
        entry = opt.state[p]
        low = entry["lowbit"]
        codes, scales = low["exp_avg"]["codes"].numpy().reshape(-1), low["exp_avg"]["scales"].numpy()
        assert torch.equal(entry["exp_avg"].reshape(-1), torch.from_numpy(dequantize(codes, scales, True)))
        codes, scales = low["exp_avg_sq"]["codes"].numpy().reshape(-1), low["exp_avg_sq"]["scales"].numpy()
        assert torch.equal(entry["exp_avg_sq"].reshape(-1), torch.from_numpy(dequantize(codes, scales, False)))


def test_torch_groups_and_a_torch_optim_state_dict():
    model = _mlp()
    params = list(model.parameters())
    opt = dt.Adam([{"params": params[:2], "state_dtype": "bf16", "state_min_size": 0}, {"params": params[2:]}],
                  lr=1e-3)
    _train(model, opt, _batches(2))
    assert all("lowbit" in opt.state[p] for p in params[:2])
    assert not any("lowbit" in opt.state[p] for p in params[2:])
    # torch.optim's own state (float32 tensors) into bf16 state: each value rounded to nearest even
    ref_model = _mlp()
    ref = torch.optim.Adam(ref_model.parameters(), lr=1e-3)
    _train(ref_model, ref, _batches(2))
    into = dt.Adam(_mlp().parameters(), lr=1e-3, state_dtype="bf16", state_min_size=0)
    into.load_state_dict(ref.state_dict())
    for p, q in zip(into.param_groups[0]["params"], ref.param_groups[0]["params"]):
        for key in ("exp_avg", "exp_avg_sq"):
            want = torch.from_numpy(bf16(ref.state[q][key].numpy()))
            assert torch.equal(into.state[p][key], want), key


def test_torch_state_edited_in_place_is_encoded_again():
    model = _mlp()
    opt = dt.Adam(model.parameters(), lr=1e-3, state_dtype="q8", state_min_size=0)
    _train(model, opt, _batches(2))
    p = next(iter(model.parameters()))
    opt.state[p]["exp_avg"].zero_()  # torch.optim allows it; the codes beside it are stale now
    other = dt.Adam(_mlp().parameters(), lr=1e-3)
    other.load_state_dict(opt.state_dict())
    q = other.param_groups[0]["params"][0]
    assert torch.count_nonzero(other.state[q]["exp_avg"]) == 0
    assert int(other.state[q]["lowbit"]["exp_avg"]["codes"].count_nonzero()) == 0


def test_torch_bad_state_options():
    with pytest.raises(ValueError, match="stochastic' applies to bf16 and q8 state only, not f32"):
        dt.Adam(_mlp().parameters(), state_dtype="f32", state_rounding="stochastic")
    with pytest.raises(ValueError, match="group 0: state_seed = .x. is not a whole number"):
        dt.Adam(_mlp().parameters(), state_seed="x")


def test_torch_deepcopy_keeps_the_low_bit_state():
    model = _mlp()
    opt = dt.Adam(model.parameters(), lr=1e-3, state_dtype="q8", state_min_size=0)
    batches = _batches(6)
    _train(model, opt, batches[:3])
    twin_model, twin = copy.deepcopy((model, opt))  # pickled: the cores are rebuilt from the mirror
    _train(model, opt, batches[3:])
    _train(twin_model, twin, batches[3:])
    for p, q in zip(model.parameters(), twin_model.parameters()):
        assert torch.equal(p, q)


def test_torch_optim_loads_a_low_bit_state_dict_as_its_decoded_values():
    model = _mlp()
    opt = dt.Adam(model.parameters(), lr=1e-3, state_dtype="q8", state_min_size=0)
    _train(model, opt, _batches(3))
    peer_model = copy.deepcopy(model)
    peer = torch.optim.Adam(peer_model.parameters(), lr=1e-3)
    peer.load_state_dict(opt.state_dict())  # the "lowbit" entries and state_* group keys ride along
    for p, q in zip(model.parameters(), peer_model.parameters()):
        assert torch.equal(peer.state[q]["exp_avg"], opt.state[p]["exp_avg"])
    _train(peer_model, peer, _batches(2, seed=3))  # and torch.optim steps on from them
    assert all(torch.isfinite(q).all() for q in peer_model.parameters())
