"""descent over NumPy arrays: in place, against the tutorial's formulas written here in NumPy."""
import math

import numpy as np
import pytest

import descent

RNG = np.random.default_rng(7)
GRADS = RNG.normal(size=(12, 5))  # 12 steps of gradients for a 5-value parameter


def numpy_reference(name, w, grads, **o):
    """The tutorial's five in the pytorch convention, in NumPy: the independent reference."""
    w = w.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if name == "sgd":
            w -= o["lr"] * g
        elif name == "sgdm":  # torch: the buffer starts at the first gradient, no dampening
            m = g.copy() if t == 1 else o["momentum"] * m + g
            w -= o["lr"] * m
        elif name == "adagrad":
            v += g * g
            w -= o["lr"] * g / (np.sqrt(v) + 1e-10)
        elif name == "rmsprop":
            v = o["beta"] * v + (1 - o["beta"]) * g * g
            w -= o["lr"] * g / (np.sqrt(v) + 1e-8)
        elif name == "adam":
            m = o["beta1"] * m + (1 - o["beta1"]) * g
            v = o["beta2"] * v + (1 - o["beta2"]) * g * g
            m_hat = m / (1 - o["beta1"] ** t)
            v_hat = v / (1 - o["beta2"] ** t)
            w -= o["lr"] * m_hat / (np.sqrt(v_hat) + 1e-8)
    return w


FIVE = {
    "sgd": dict(lr=0.1),
    "sgdm": dict(lr=0.05, momentum=0.8),
    "adagrad": dict(lr=0.3),
    "rmsprop": dict(lr=0.01, beta=0.9),
    "adam": dict(lr=0.02, beta1=0.8, beta2=0.99),
}


@pytest.mark.parametrize("name", sorted(FIVE))
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-13), (np.float32, 2e-5)])
def test_tutorial_five_match_numpy_in_place(name, dtype, tol):
    w = np.linspace(-1, 1, 5).astype(dtype)
    g = np.zeros_like(w)
    address = w.ctypes.data
    opt = descent.optimizer(name, [("w", w, g)], **FIVE[name])
    for row in GRADS:
        g[...] = row  # the caller writes its gradient in place; the step reads it there
        opt.step()
    expected = numpy_reference(name, np.linspace(-1, 1, 5), GRADS, **FIVE[name])
    assert w.ctypes.data == address and w.dtype == dtype
    np.testing.assert_allclose(w, expected, rtol=tol, atol=tol)
    assert opt.t() == len(GRADS)


def test_classes_are_the_registry():
    names = [o["name"] for o in descent.optimizers()]
    assert len(names) >= 14
    for n in names:
        cls = getattr(descent, descent.class_name(n))
        assert cls.name == n and issubclass(cls, descent.Optimizer)


@pytest.mark.parametrize("name", [o["name"] for o in descent.optimizers()])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_optimizer_steps_in_place_and_round_trips_its_state(name, dtype, tmp_path):
    w = RNG.normal(size=(3, 4)).astype(dtype)
    g = RNG.normal(size=(3, 4)).astype(dtype)
    before = w.copy()
    opt = descent.optimizer(name, [("w", w, g)], lr=0.01)
    for _ in range(3):
        opt.step()
    assert not np.array_equal(w, before)  # the caller's own array moved
    state = opt.state_dict()
    assert state["groups"][0]["t"] == 3
    # Another optimizer over a copy, loaded with this state, takes the next step identically.
    w2, g2 = w.copy(), g.copy()
    other = descent.optimizer(name, [("w", w2, g2)], lr=0.01)
    other.load_state_dict(state)
    opt.step()
    other.step()
    np.testing.assert_array_equal(w, w2)
    for slot, a in opt.state("w").items():
        assert a.shape == (3, 4) and a.dtype == dtype
        np.testing.assert_array_equal(a, other.state("w")[slot])
    # A checkpoint holds the values and the state; load restores both.
    path = tmp_path / "run.ckpt"
    opt.save(path)
    saved = w.copy()
    opt.step()
    opt.load(path)
    np.testing.assert_array_equal(w, saved)
    assert opt.t() == 4


def test_state_is_a_copy_and_slots_follow_the_options():
    w, g = np.ones(4), np.full(4, 0.5)
    opt = descent.SGD([("w", w, g)], lr=0.1)
    assert opt.state("w") == {}  # plain SGD keeps nothing
    opt.set_options(momentum=0.9)
    opt.step()
    m = opt.state("w")["m"]
    np.testing.assert_array_equal(m, np.full(4, 0.5))
    m[:] = 7  # a copy: the optimizer's buffer is not touched
    np.testing.assert_array_equal(opt.state(0)["m"], np.full(4, 0.5))


def test_groups_have_their_own_options_and_step_counters():
    a, ga, b, gb = np.ones(2), np.ones(2), np.ones(2), np.ones(2)
    opt = descent.SGD([{"params": [("a", a, ga)], "lr": 0.5}, {"params": [("b", b, gb)]}], lr=0.1)
    assert opt.groups == 2 and opt.lr(0) == 0.5 and opt.lr(1) == 0.1
    opt.step()
    np.testing.assert_array_equal(a, [0.5, 0.5])
    np.testing.assert_array_equal(b, [0.9, 0.9])
    opt.set_lr(0.25, group=1)
    opt.step()
    np.testing.assert_array_equal(b, [0.65, 0.65])


def test_no_decay_puts_matching_names_in_a_group_without_weight_decay():
    w, gw, bias, gb = np.ones(2), np.zeros(2), np.ones(2), np.zeros(2)
    opt = descent.SGD([("layer.weight", w, gw), ("layer.bias", bias, gb)], lr=0.1, weight_decay=0.5,
                      no_decay=["*.bias"])
    opt.step()  # zero gradients: only L2 decay moves w, by lr·λ·w
    np.testing.assert_allclose(w, [0.95, 0.95], rtol=1e-15)
    np.testing.assert_array_equal(bias, [1.0, 1.0])


def test_cosine_schedule_sets_the_rate_each_step():
    w, g = np.zeros(1), np.ones(1)
    opt = descent.SGD([("w", w, g)], lr=1.0)
    sched = descent.Scheduler(opt, "cosine:t_max=10")
    total = 0.0
    for n in range(10):
        total += 0.5 * (1 + math.cos(math.pi * n / 10))  # the rate of step n+1 (CosineAnnealingLR)
        opt.step()
        sched.step()
    assert sched.steps == 10 and opt.lr() == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(w, [-total], rtol=1e-14)


def test_clip_grad_norm_folds_into_the_next_step_without_writing_gradients():
    w, g = np.zeros(2), np.array([3.0, 4.0])
    opt = descent.SGD([("w", w, g)], lr=1.0)
    assert opt.clip_grad_norm(1.0) == pytest.approx(5.0)
    opt.step()
    np.testing.assert_allclose(w, [-3 / (5 + 1e-6), -4 / (5 + 1e-6)], rtol=1e-14)
    np.testing.assert_array_equal(g, [3.0, 4.0])
    opt.clip_grad_value(3.5)
    np.testing.assert_array_equal(g, [3.0, 3.5])


def test_nonfinite_gradients_skip_or_raise():
    w, g = np.ones(2), np.array([1.0, np.nan])
    opt = descent.Adam([("w", w, g)], lr=0.1)
    with pytest.raises(descent.Error, match="non-finite"):
        opt.step()
    np.testing.assert_array_equal(w, [1, 1])
    opt.nonfinite = "skip"
    opt.step()
    assert opt.skipped_steps == 1 and opt.t() == 0


def test_threads_give_the_same_numbers():
    results = []
    for threads in (1, 2):
        w = np.linspace(0, 1, 1 << 17)  # past the library's one-thread threshold (2^15 per share)
        g = np.cos(w)
        opt = descent.Adam([("w", w, g)], lr=0.1, threads=threads)
        assert opt.threads == threads
        for _ in range(3):
            opt.step()
        results.append(w)
    np.testing.assert_array_equal(results[0], results[1])


# Every input descent cannot update in place is a TypeError naming the parameter.
BAD_ARRAYS = [
    (lambda: ([1.0, 2.0], np.zeros(2)), "parameter 'w': value is a builtins.list, not a NumPy array"),
    (lambda: (np.zeros(2, np.int64), np.zeros(2, np.int64)), "parameter 'w': value has dtype int64"),
    (lambda: (np.zeros(2, np.float16), np.zeros(2, np.float16)), "parameter 'w': value has dtype float16"),
    (lambda: (np.zeros((3, 3)).T, np.zeros((3, 3))), "parameter 'w': value is not C-contiguous"),
    (lambda: (np.zeros(6)[::2], np.zeros(3)), "parameter 'w': value is not C-contiguous"),
    (lambda: (np.zeros(2), np.zeros(4)[::2]), "parameter 'w': grad is not C-contiguous"),
    (lambda: (np.broadcast_to(np.zeros(1), (3,)), np.zeros(3)), "parameter 'w': value is (not C-contiguous|read-only)"),
    (lambda: (np.zeros(2), np.zeros(2, np.float32)), "parameter 'w': grad has dtype float32, its value float64"),
    (lambda: (np.zeros(2), np.zeros(3)), r"parameter 'w': grad has shape \(3,\), its value \(2,\)"),
]


@pytest.mark.parametrize("make,message", BAD_ARRAYS)
def test_bad_arrays_are_type_errors(make, message):
    w, g = make()
    with pytest.raises(TypeError, match=message):
        descent.Adam([("w", w, g)])


def test_read_only_arrays_are_refused():
    w = np.zeros(2)
    w.flags.writeable = False
    with pytest.raises(TypeError, match="parameter 'w': value is read-only"):
        descent.SGD([("w", w, np.zeros(2))])


def test_torch_tensors_point_to_descent_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="value is a torch.Tensor, not a NumPy array .for torch tensors use descent.torch."):
        descent.SGD([("w", torch.zeros(2), np.zeros(2))])


@pytest.mark.parametrize("build,error,message", [
    (lambda w, g: descent.Adam([("w", w, g)], lr=-1), descent.OptionError,
     r"^adam: option lr = -1 is out of range \[0, inf\)$"),
    (lambda w, g: descent.Adam([("w", w, g)], beta1=1.0), descent.OptionError, r"beta1 = 1 is out of range \[0, 1\)"),
    (lambda w, g: descent.Adam([("w", w, g)], foo=1), descent.OptionError, "unknown option 'foo' .expected one of lr"),
    (lambda w, g: descent.Adam([("w", w, g)], lr="fast"), TypeError, "option lr = 'fast' is not a number or a bool"),
    (lambda w, g: descent.Adam([("w", w, g)], convention="tf"), descent.OptionError, "convention"),
    (lambda w, g: descent.Adam([("w", w, g), ("w", w, g)]), descent.Error, "parameter 'w' appears twice"),
    (lambda w, g: descent.Adam([]), ValueError, "no parameters"),
    (lambda w, g: descent.Adam([("w", w)]), TypeError, r"a parameter is \(name, value, grad\)"),
    (lambda w, g: descent.optimizer("adamm", [("w", w, g)]), ValueError, "unknown optimizer 'adamm' .expected one of sgd"),
])
def test_bad_options_name_what_is_wrong(build, error, message):
    with pytest.raises(error, match=message):
        build(np.zeros(2), np.zeros(2))


def test_a_bad_option_changes_nothing():
    w, g = np.zeros(2), np.ones(2)
    opt = descent.Adam([("w", w, g)], lr=0.1)
    with pytest.raises(descent.OptionError):
        opt.set_options(beta2=2.0)
    assert opt.options()["beta2"] == 0.999


def test_loading_another_optimizers_state_is_refused_and_changes_nothing(tmp_path):
    w, g = np.ones(2), np.ones(2)
    adam = descent.Adam([("w", w, g)])
    sgd = descent.SGDM([("w", np.ones(2), np.ones(2))])
    sgd.step()
    with pytest.raises(descent.Error, match="sgd"):
        adam.load_state_dict(sgd.state_dict())
    assert adam.t() == 0
    (tmp_path / "bad.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(descent.CheckpointError, match="bad.ckpt"):
        adam.load(tmp_path / "bad.ckpt")
