"""bfloat16 parameters in descent.torch against PyTorch itself.

The reference is torch.optim (or, for Lion and LAMB, which torch.optim lacks, each paper's step in
plain torch) over a float32 copy of the weights, fed the bf16 gradients widened:
- without master weights every step starts from the bf16 weights: the reference's float32 weights
  are reset to their bf16 rounding (torch's .to(bfloat16): to nearest, ties to even) after each step;
- with master weights the reference is torch's float32 run, never rounded, and the bf16 parameters
  are it rounded to nearest.
descent's float32 arithmetic is not torch's operation for operation (the rule's order, scalars
folded in double), so a float32 result can differ in its last bit, and its bf16 rounding then
by one bf16 ulp when it lies next to a rounding boundary. The tests allow exactly that: each
bf16 weight is the reference's, or one bf16 ulp from it, or (a weight near zero, where a last-bit
difference of the update's operands is many ulps of the small result) within SCALE_TOL of the
tensor's largest weight; and at most MAX_APART of the weights differ at all (measured: the
summary line "descent.torch parity, worst relative error in bf16 weights (the share that differ)")."""
import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import descent.torch as dt  # noqa: E402

from conftest import record  # noqa: E402

TORCH2 = int(torch.__version__.split(".")[0]) >= 2
BF16 = torch.bfloat16
SHAPES = [(5000,), (7, 13)]  # one tensor above state_min_size's 4096, one below
STEPS = 25
MAX_APART = 0.001  # share of bf16 weights allowed to differ from the reference (measured: at most 1 in 5091)
MASTER_TOL = 1e-5  # relative error of the float32 master weights, as test_torch.py's float32 parity
SCALE_TOL = 1e-5  # a weight's difference relative to its tensor's largest, for weights near zero


def problem(seed=0):
    """bf16 weights and STEPS steps of bf16 gradients, one per tensor of SHAPES."""
    g = torch.Generator().manual_seed(seed)
    w0 = [torch.randn(s, generator=g).to(BF16) for s in SHAPES]
    grads = [[(0.1 * torch.randn(s, generator=g)).to(BF16) for s in SHAPES] for _ in range(STEPS)]
    return w0, grads


def ordered(x: torch.Tensor) -> torch.Tensor:
    """bf16 or float32 values as integers in the order of the values (so |a - b| counts ulps)."""
    bits, mask = (x.view(torch.int16).to(torch.int64), 0x7FFF) if x.dtype == BF16 else \
        (x.view(torch.int32).to(torch.int64), 0x7FFFFFFF)
    return torch.where(bits < 0, -(bits & mask), bits)


def ulps(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (ordered(a) - ordered(b)).abs()


def check_rounded(case: str, got: list, want: list) -> None:
    """bf16 weights against the reference's, as the module's docstring says."""
    apart = 0
    for g, w in zip(got, want):
        g = g.detach()
        u, near = ulps(g, w), (g.float() - w.float()).abs() <= SCALE_TOL * float(w.float().abs().max())
        bad = (u > 1) & ~near
        assert not bool(bad.any()), f"{case}: {int(bad.sum())} weights more than 1 ulp apart, e.g. " \
                                    f"{g[bad][0].item()} vs {w[bad][0].item()}"
        apart += int((u > 0).sum())
    share = apart / sum(w.numel() for w in want)
    record("bf16 weights (the share that differ)", case, share)
    assert share <= MAX_APART, case


def reference(make, w0, grads, master):
    """(bf16 weights, float32 weights) of torch optimizer `make` over float32 copies."""
    ws = [w.float().requires_grad_() for w in w0]
    opt = make(ws)
    for gs in grads:
        for w, g in zip(ws, gs):
            w.grad = g.float()
        opt.step()
        if not master:
            with torch.no_grad():
                for w in ws:
                    w.copy_(w.to(BF16))  # the next step starts from the bf16 weights
    return [w.detach().to(BF16) for w in ws], [w.detach() for w in ws]


def descent_run(cls, kwargs, w0, grads, **extra):
    ws = [w.clone().requires_grad_() for w in w0]
    opt = cls(ws, **kwargs, **extra)
    for gs in grads:
        for w, g in zip(ws, gs):
            w.grad = g.clone()
        opt.step()
    return ws, opt


class LionRef(torch.optim.Optimizer):
    """Lion (Chen et al. 2023, Algorithm 2) in float32 torch, decoupled decay."""

    def __init__(self, params, lr, betas, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            (b1, b2), lr, wd = group["betas"], group["lr"], group["weight_decay"]
            for w in group["params"]:
                m = self.state[w].setdefault("m", torch.zeros_like(w))
                c = b1 * m + (1 - b1) * w.grad
                w.mul_(1 - lr * wd).add_(torch.sign(c), alpha=-lr)
                m.mul_(b2).add_(w.grad, alpha=1 - b2)


class LambRef(torch.optim.Optimizer):
    """LAMB (You et al. 2020, Algorithm 2) in float32 torch, per-tensor trust ratio."""

    def __init__(self, params, lr, betas, eps, weight_decay):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            (b1, b2), lr = group["betas"], group["lr"]
            for w in group["params"]:
                s = self.state[w]
                if not s:
                    s.update(t=0, m=torch.zeros_like(w), v=torch.zeros_like(w))
                s["t"] += 1
                t, g = s["t"], w.grad
                s["m"].mul_(b1).add_(g, alpha=1 - b1)
                s["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
                r = (s["m"] / (1 - b1 ** t)) / ((s["v"] / (1 - b2 ** t)).sqrt() + group["eps"])
                r = r + group["weight_decay"] * w
                w_norm, r_norm = w.double().norm(), r.double().norm()
                trust = float(w_norm / r_norm) if w_norm > 0 and r_norm > 0 else 1.0
                w.sub_(lr * trust * r)


# (name, descent class, its peer's constructor, options): every optimizer of descent.torch.
# torch 1.13's NAdam multiplies mu twice in its default path (test_torch.py); its foreach path is right.
NADAM_PEER = {} if TORCH2 else {"foreach": True}
CASES = [
    ("SGD", dt.SGD, torch.optim.SGD, dict(lr=0.1)),
    ("SGD momentum", dt.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    ("SGD nesterov", dt.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    ("Adam", dt.Adam, torch.optim.Adam, dict(lr=1e-2)),
    ("Adam amsgrad", dt.Adam, torch.optim.Adam, dict(lr=1e-2, amsgrad=True, weight_decay=1e-2)),
    ("AdamW", dt.AdamW, torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.1)),
    ("Adagrad", dt.Adagrad, torch.optim.Adagrad, dict(lr=0.05, initial_accumulator_value=0.1)),
    ("RMSprop", dt.RMSprop, torch.optim.RMSprop, dict(lr=1e-2)),
    ("RMSprop centered", dt.RMSprop, torch.optim.RMSprop, dict(lr=1e-3, centered=True, momentum=0.9)),
    ("NAdam", dt.NAdam, lambda p, **k: torch.optim.NAdam(p, **k, **NADAM_PEER), dict(lr=1e-2)),
    ("RAdam", dt.RAdam, torch.optim.RAdam, dict(lr=5e-2)),  # its first 5 steps are SGD's: visible at 5e-2
    ("Adamax", dt.Adamax, torch.optim.Adamax, dict(lr=1e-2)),
    ("Adadelta", dt.Adadelta, torch.optim.Adadelta, dict(lr=1.0)),
    ("Lion", dt.Lion, LionRef, dict(lr=1e-2, betas=(0.9, 0.99), weight_decay=0.1)),
    ("LAMB", dt.LAMB, LambRef, dict(lr=1e-2, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01)),
]


def test_every_optimizer_has_a_case():
    assert {c[1] for c in CASES} == {getattr(dt, n) for n in dt.__all__}


@pytest.mark.parametrize("name,cls,peer,kwargs", CASES, ids=[c[0] for c in CASES])
def test_each_step_is_torchs_float32_step_rounded_once(name, cls, peer, kwargs):
    w0, grads = problem()
    want, _ = reference(lambda ws: peer(ws, **kwargs), w0, grads, master=False)
    got, opt = descent_run(cls, kwargs, w0, grads)
    assert all(w.dtype == BF16 for w in got)
    check_rounded(name, got, want)
    # The case means something: its updates move most bf16 weights (lost updates would stay put in both runs)
    assert sum(int((w.detach() != w_0).sum()) for w, w_0 in zip(got, w0)) > 0.5 * sum(w.numel() for w in w0)
    for entry in opt.state.values():  # the state is float32, not the parameters' bf16
        assert all(v.dtype == torch.float32 for k, v in entry.items() if torch.is_tensor(v) and k != "step")


@pytest.mark.parametrize("name,cls,peer,kwargs", CASES, ids=[c[0] for c in CASES])
def test_master_weights_are_torchs_float32_run(name, cls, peer, kwargs):
    w0, grads = problem()
    want, want32 = reference(lambda ws: peer(ws, **kwargs), w0, grads, master=True)
    got, opt = descent_run(cls, kwargs, w0, grads, master_weights=True)
    for w, w32 in zip(got, want32):
        master = opt.state[w]["master"]
        assert master.dtype == torch.float32 and master.shape == w.shape
        assert float((master - w32).abs().max() / w32.abs().max()) <= MASTER_TOL, name
        record("bf16 parameters' float32 master weights", name, float((master - w32).abs().max() / w32.abs().max()))
        assert torch.equal(w.detach(), master.to(BF16)), name  # the weights are the master rounded to nearest
    check_rounded(name + " master", got, want)


def test_master_weights_keep_updates_below_half_a_bf16_ulp():
    # Adam at lr 3e-4 with the same gradient every step moves a weight by about 3e-4 a step,
    # below half the ulp (2^-8) of a weight of magnitude >= 1: without master weights the bf16
    # weights never move; with them the float32 master accumulates the 25 steps (7.5e-3) and
    # the weights follow torch's float32 run.
    w0, grads = problem()
    grads = [grads[0]] * STEPS
    lost, _ = descent_run(dt.Adam, dict(lr=3e-4), w0, grads)
    kept, opt = descent_run(dt.Adam, dict(lr=3e-4), w0, grads, master_weights=True)
    _, want32 = reference(lambda ws: torch.optim.Adam(ws, lr=3e-4), w0, grads, master=True)
    big = w0[0].float().abs() >= 1
    assert torch.equal(lost[0].detach()[big], w0[0][big])
    assert int((kept[0].detach()[big] != w0[0][big]).sum()) > 0.3 * int(big.sum())
    assert float((opt.state[kept[0]]["master"] - want32[0]).abs().max()) <= MASTER_TOL


def test_a_mixed_group_steps_each_dtype_like_torch():
    # One group over a bf16 tensor and a float32 one: each in its own dtype, against torch.optim.
    w0, grads = problem()
    f0 = torch.randn(300, generator=torch.Generator().manual_seed(9))
    fgrads = [torch.randn(300, generator=torch.Generator().manual_seed(10 + t)) for t in range(STEPS)]
    a, b = w0[0].clone().requires_grad_(), f0.clone().requires_grad_()
    opt = dt.Adam([a, b], lr=1e-2)
    ra, rb = w0[0].float().requires_grad_(), f0.clone().requires_grad_()
    ref = torch.optim.Adam([ra, rb], lr=1e-2)
    for t in range(STEPS):
        a.grad, b.grad = grads[t][0].clone(), fgrads[t].clone()
        ra.grad, rb.grad = grads[t][0].float(), fgrads[t].clone()
        opt.step()
        ref.step()
        with torch.no_grad():
            ra.copy_(ra.to(BF16))
    check_rounded("Adam mixed group", [a], [ra.detach().to(BF16)])
    assert b.dtype == torch.float32 and float((b - rb).detach().abs().max() / rb.detach().abs().max()) <= MASTER_TOL


def test_a_mixed_model_trains(digits_data):
    # The first layer in bf16 with master weights, the second in float32, as two groups: the
    # model learns digits as well as torch.optim's float32 run of the same model (the runs differ
    # in their bits from the first bf16 forward on, so the test compares losses, not weights).
    x, y = torch.tensor(digits_data[0], dtype=torch.float32), torch.tensor(digits_data[1])
    idx = torch.tensor(np.random.default_rng(1).integers(0, len(y), (150, 32)))

    def model(dtype):
        torch.manual_seed(0)
        return torch.nn.Linear(64, 32).to(dtype), torch.nn.Linear(32, 10)

    def loss_of(l1, l2, xb, yb):
        return torch.nn.functional.cross_entropy(l2(torch.tanh(l1(xb.to(l1.weight.dtype))).float()), yb)

    def train(l1, l2, opt):
        for i in idx:
            opt.zero_grad()
            loss_of(l1, l2, x[i], y[i]).backward()
            opt.step()
        with torch.no_grad():
            return float(loss_of(l1, l2, x, y))

    l1, l2 = model(BF16)
    before = float(loss_of(l1, l2, x, y))
    opt = dt.Adam([{"params": l1.parameters(), "master_weights": True}, {"params": l2.parameters()}], lr=1e-2)
    after = train(l1, l2, opt)
    assert l1.weight.dtype == BF16 and opt.state[l1.weight]["master"].dtype == torch.float32
    r1, r2 = model(torch.float32)
    peer = train(r1, r2, torch.optim.Adam([*r1.parameters(), *r2.parameters()], lr=1e-2))
    # seen: 2.33 before, 0.1200 after, torch.optim's float32 run 0.1200
    assert after < 0.1 * before and after < 1.1 * peer, (before, after, peer)


def test_a_parameter_without_gradient_keeps_its_weights_and_master():
    # torch.optim skips a parameter whose grad is None (its step count stays); descent splits its
    # group there, and each part keeps its master weights.
    w0, grads = problem()
    ws = [w.clone().requires_grad_() for w in w0]
    opt = dt.Adam(ws, lr=1e-2, master_weights=True)
    refs = [w.float().requires_grad_() for w in w0]
    peer = torch.optim.Adam(refs, lr=1e-2)
    for t, gs in enumerate(grads):
        skip = 1 if t % 3 == 1 else None  # the second tensor misses every third step
        for k, (w, r, g) in enumerate(zip(ws, refs, gs)):
            w.grad = None if k == skip else g.clone()
            r.grad = None if k == skip else g.float()
        opt.step()
        peer.step()
    for w, r in zip(ws, refs):
        assert float((opt.state[w]["master"] - r).abs().max() / r.abs().max()) <= MASTER_TOL
        assert float(opt.state[w]["step"]) == float(peer.state[r]["step"])
    check_rounded("Adam master, skipped steps", ws, [r.detach().to(BF16) for r in refs])


def test_master_weights_turned_on_during_a_run_start_at_the_weights():
    # Three steps without master weights, then the group's master_weights on: the master starts
    # as the bf16 weights and runs in float32 from there, as torch's float32 run from those weights.
    w0, grads = problem()
    ws = [w.clone().requires_grad_() for w in w0]
    opt = dt.Adam(ws, lr=1e-2)
    refs = [w.float().requires_grad_() for w in w0]
    peer = torch.optim.Adam(refs, lr=1e-2)
    for t, gs in enumerate(grads[:8]):
        if t == 3:
            assert "master" not in opt.state[ws[0]]
            opt.param_groups[0]["master_weights"] = True
        for w, r, g in zip(ws, refs, gs):
            w.grad, r.grad = g.clone(), g.float()
        opt.step()
        peer.step()
        if t < 3:
            with torch.no_grad():
                for r in refs:
                    r.copy_(r.to(BF16))
    for w, r in zip(ws, refs):
        assert float((opt.state[w]["master"] - r).abs().max() / r.abs().max()) <= MASTER_TOL
        assert torch.equal(w.detach(), opt.state[w]["master"].to(BF16))
    check_rounded("Adam, master weights from step 4", ws, [r.detach().to(BF16) for r in refs])


# --- state_dict -----------------------------------------------------------------------------

RESUME = [
    ("Adam", dt.Adam, dict(lr=1e-2)),
    ("Adam master", dt.Adam, dict(lr=1e-2, master_weights=True)),
    ("AdamW master bf16 state", dt.AdamW, dict(lr=1e-2, master_weights=True, state_dtype="bf16",
                                                state_rounding="stochastic", state_seed=3, state_min_size=0)),
    ("Adam q8 state", dt.Adam, dict(lr=1e-2, state_dtype="q8", state_min_size=0)),
    ("SGD stochastic", dt.SGD, dict(lr=0.1, state_rounding="stochastic", state_seed=5)),
    ("SGD momentum master", dt.SGD, dict(lr=0.05, momentum=0.9, master_weights=True)),
    ("SGD master", dt.SGD, dict(lr=0.01, master_weights=True)),
    ("Lion stochastic", dt.Lion, dict(lr=1e-2, state_rounding="stochastic", state_seed=1)),
    ("Adagrad master", dt.Adagrad, dict(lr=0.05, initial_accumulator_value=0.1, master_weights=True)),
]


def steps(opt, ws, grads):
    for gs in grads:
        for w, g in zip(ws, gs):
            w.grad = g.clone()
        opt.step()


@pytest.mark.parametrize("name,cls,kwargs", RESUME, ids=[c[0] for c in RESUME])
def test_state_dict_resumes_bit_for_bit(name, cls, kwargs):
    w0, grads = problem()
    half = STEPS // 2
    whole = [w.clone().requires_grad_() for w in w0]
    opt = cls(whole, **kwargs)
    steps(opt, whole, grads)

    first = [w.clone().requires_grad_() for w in w0]
    opt1 = cls(first, **kwargs)
    steps(opt1, first, grads[:half])
    buf = io.BytesIO()
    torch.save(opt1.state_dict(), buf)
    saved = opt1.state_dict()
    if kwargs.get("master_weights"):
        assert all(saved["state"][k]["master"].dtype == torch.float32 for k in saved["state"])
    second = [w.detach().clone().requires_grad_() for w in first]
    opt2 = cls(second, **kwargs)
    buf.seek(0)
    opt2.load_state_dict(torch.load(buf))
    for k, entry in opt2.state_dict()["state"].items():  # as saved: float32 state stays float32
        assert entry.keys() == saved["state"][k].keys()
        for key, v in entry.items():
            if torch.is_tensor(v):
                assert v.dtype == saved["state"][k][key].dtype and torch.equal(v, saved["state"][k][key]), key
    steps(opt2, second, grads[half:])
    for a, b in zip(second, whole):
        assert torch.equal(a.detach().view(torch.int16), b.detach().view(torch.int16)), name
    end, want = opt2.state_dict()["state"], opt.state_dict()["state"]
    for k in want:
        for key, v in want[k].items():
            if torch.is_tensor(v):
                assert torch.equal(end[k][key], v), (name, key)


def test_loads_torch_optims_state_of_bf16_parameters():
    # torch.optim keeps a bf16 parameter's state in bf16; descent reads it exactly (widened), and
    # master weights absent from it start as the bf16 weights.
    w0, grads = problem()
    ws = [w.clone().requires_grad_() for w in w0]
    peer = torch.optim.Adam(ws, lr=1e-2)
    steps(peer, ws, grads[:3])
    mine = [w.detach().clone().requires_grad_() for w in ws]
    opt = dt.Adam(mine, lr=1e-2, master_weights=True)
    opt.load_state_dict(peer.state_dict())
    for w, p in zip(mine, ws):
        s = opt.state[w]
        assert s["exp_avg"].dtype == torch.float32 and torch.equal(s["exp_avg"], peer.state[p]["exp_avg"].float())
        assert torch.equal(s["master"], w.detach().float()) and float(s["step"]) == 3


def test_torch_optim_loads_the_state_dict_and_a_deepcopy_continues():
    import copy

    w0, grads = problem()
    ws = [w.clone().requires_grad_() for w in w0]
    opt = dt.Adam(ws, lr=1e-2, master_weights=True)
    steps(opt, ws, grads[:5])
    # torch.optim over the same bf16 parameters: its own load casts the state to bf16 (its way),
    # and it ignores "master"
    theirs = [w.detach().clone().requires_grad_() for w in ws]
    peer = torch.optim.Adam(theirs, lr=1e-2)
    peer.load_state_dict(opt.state_dict())
    for w, p in zip(ws, theirs):
        assert torch.equal(peer.state[p]["exp_avg"], opt.state[w]["exp_avg"].to(BF16))
    steps(peer, theirs, grads[5:6])
    # a deepcopy (as pickling) carries the master weights and continues as the original
    twin = copy.deepcopy(opt)
    ws2 = [p for g in twin.param_groups for p in g["params"]]
    steps(opt, ws, grads[5:])
    steps(twin, ws2, grads[5:])
    for a, b in zip(ws, ws2):
        assert torch.equal(a.detach(), b.detach()) and torch.equal(opt.state[a]["master"], twin.state[b]["master"])


# --- errors ---------------------------------------------------------------------------------

def one_line(e) -> str:
    text = str(e.value)
    assert "\n" not in text
    return text


def test_master_weights_only_over_bf16_parameters():
    f32, b = torch.zeros(3, requires_grad=True), torch.zeros(3, dtype=BF16, requires_grad=True)
    with pytest.raises(ValueError) as e:
        dt.Adam([f32], master_weights=True)
    assert one_line(e) == ("descent.torch.Adam: master_weights = True (group 0) applies to bfloat16 parameters only; "
                           "parameter 0 is torch.float32 (put it in a group without master_weights)")
    with pytest.raises(ValueError, match=r"master_weights = True \(group 0\) .* parameter 1 is torch.float32") as e:
        dt.SGD([b, f32], lr=0.1, master_weights=True)  # a mixed group
    one_line(e)
    opt = dt.Adam([{"params": [b], "master_weights": True}])
    with pytest.raises(ValueError, match=r"master_weights = True \(group 1\) .* parameter 1 is torch.float32") as e:
        opt.add_param_group({"params": [f32], "master_weights": True})
    one_line(e)
    with pytest.raises(TypeError) as e:
        dt.Adam([b], master_weights="yes")
    assert one_line(e) == "descent.torch.Adam: master_weights = 'yes' (group 0) is not True or False"


def test_bf16_errors_name_the_problem():
    b = torch.zeros(3, dtype=BF16, requires_grad=True)
    with pytest.raises(TypeError, match="has dtype torch.float16; descent steps float32, float64 and bfloat16") as e:
        dt.Adam([torch.zeros(3, dtype=torch.float16, requires_grad=True)])
    one_line(e)
    # stochastic rounding has nothing to round with master weights over float32 state
    with pytest.raises(ValueError, match="rounding 'stochastic'.*without master_weights") as e:
        dt.Adam([b], state_rounding="stochastic", master_weights=True)
    one_line(e)
