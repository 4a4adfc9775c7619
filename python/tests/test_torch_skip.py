"""Parameters without a gradient at a step: torch.optim skips them (value, state and step count
untouched), and so does descent.torch. Checked against torch.optim itself, step by step."""
import copy

import pytest

torch = pytest.importorskip("torch")
import descent.torch as dt  # noqa: E402

from test_torch import HANDED_OVER, NADAM_PEER, ids, peer, same_state  # noqa: E402

# Which parameters have a gradient at each step: a, b, c in group 0, d in group 1. Part of a
# group (steps 1, 3, 6), a whole group (d until step 5), nothing at all (step 4).
SCHEDULE = ["ab", "abc", "a", "", "abcd", "bcd", "abcd"]


@pytest.fixture(autouse=True)
def float64_scalars():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch.optim's step and mu_product tensors follow it
    yield
    torch.set_default_dtype(old)


def params(dtype=torch.float64):
    g = torch.Generator().manual_seed(5)
    return [torch.nn.Parameter(torch.randn(*s, generator=g, dtype=dtype)) for s in [(4,), (2, 3), (5,), (3,)]]


def gradients(dtype=torch.float64):
    g = torch.Generator().manual_seed(6)
    return [[torch.randn(*s, generator=g, dtype=dtype) for s in [(4,), (2, 3), (5,), (3,)]] for _ in SCHEDULE]


def run(opt, ps, grads, steps):
    for k in steps:
        for p, g, name in zip(ps, grads[k], "abcd"):
            p.grad = g.clone() if name in SCHEDULE[k] else None
        opt.step()


def groups(ps, options):
    return [{"params": ps[:3]}, {"params": ps[3:], **options}]


@pytest.mark.parametrize("case", HANDED_OVER, ids=[ids(c) for c in HANDED_OVER])
def test_parameters_without_gradient_are_skipped_as_torch_optim_skips_them(case):
    name, options = case
    ours, theirs, grads = params(), params(), gradients()
    opt = getattr(dt, name)(groups(ours, options), **options)
    ref = peer(name, groups(theirs, options), options)
    for k in range(len(SCHEDULE)):
        run(opt, ours, grads, [k])
        run(ref, theirs, grads, [k])
        for p, q in zip(ours, theirs):
            torch.testing.assert_close(p, q, rtol=1e-13, atol=0)
        same_state(opt.state_dict(), ref.state_dict(), 1e-12)  # every parameter's own step count too


@pytest.mark.parametrize("case", HANDED_OVER, ids=[ids(c) for c in HANDED_OVER])
@pytest.mark.parametrize("direction", ["torch_to_descent", "descent_to_torch"])
def test_a_state_dict_with_parameters_at_different_steps_hands_over(case, direction):
    name, options = case
    ours, theirs, grads = params(), params(), gradients()
    make = {"descent": lambda ps: getattr(dt, name)(groups(ps, options), **options),
            "torch": lambda ps: peer(name, groups(ps, options), options)}
    first, second = direction.split("_to_")
    ref = make["torch"](theirs)
    run(ref, theirs, grads, range(len(SCHEDULE)))
    a = make[first](ours)
    run(a, ours, grads, range(3))  # a has taken 3 steps, b 2, c 1, d none
    b = make[second](ours)
    b.load_state_dict(copy.deepcopy(a.state_dict()))
    if second == "torch" and name == "NAdam":  # descent's groups say foreach=None: 1.13's double-μ path
        for group in b.param_groups:
            group.update(NADAM_PEER)
    run(b, ours, grads, range(3, len(SCHEDULE)))
    for p, q in zip(ours, theirs):
        torch.testing.assert_close(p, q, rtol=1e-13, atol=0)
    same_state(b.state_dict(), ref.state_dict(), 1e-12)


def test_a_model_with_a_frozen_and_an_unused_layer_trains_as_with_torch_optim():
    def model():
        torch.manual_seed(0)
        m = torch.nn.ModuleDict({"frozen": torch.nn.Linear(6, 8), "head": torch.nn.Linear(8, 2),
                                 "unused": torch.nn.Linear(8, 2)}).double()
        m["frozen"].requires_grad_(False)
        return m

    x = torch.randn(16, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 2, (16,), generator=torch.Generator().manual_seed(2))
    ours, theirs = model(), model()
    for m, opt in [(ours, dt.AdamW(ours.parameters(), lr=1e-2)), (theirs, torch.optim.AdamW(theirs.parameters(), lr=1e-2))]:
        for _ in range(30):
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(m["head"](torch.tanh(m["frozen"](x))), y).backward()
            opt.step()
        assert sorted(opt.state_dict()["state"]) == [2, 3]  # only the head has state, as in torch
    for (n, p), q in zip(ours.named_parameters(), theirs.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-13, atol=0, msg=n)
    assert torch.equal(ours["unused"].weight, model()["unused"].weight)  # weight decay skipped it too
