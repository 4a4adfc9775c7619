"""descent.explain against the tutorial's formulas, written out here step by step."""
import math

import numpy as np
import pytest

import descent

GRADS = [0.5, -0.2, 0.1]


def test_adam_in_the_tutorials_notation():
    lr, b1, b2 = 0.1, 0.9, 0.999  # the seed convention: the tutorial's Adam, no epsilon
    table = descent.explain("adam", GRADS)
    # Step 1 by hand: m_1 = 0.1·0.5, V_1 = 0.001·0.25; both corrections give m̂ = 0.5, V̂ = 0.25,
    # so the step is lr·0.5/sqrt(0.25) = lr.
    assert (table["m"][0], table["v"][0], table["eta"][0], table["w"][0]) == pytest.approx(
        (0.05, 0.00025, 0.1, 0.9), rel=1e-15)
    m = v = 0.0
    w = 1.0
    for t, g in enumerate(GRADS, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        step = lr * (m / (1 - b1 ** t)) / math.sqrt(v / (1 - b2 ** t))
        w -= step
        i = t - 1
        assert table["t"][i] == t and table["g"][i] == g
        assert table["m"][i] == pytest.approx(m, rel=1e-15, abs=0)
        assert table["v"][i] == pytest.approx(v, rel=1e-15, abs=0)
        assert table["eta"][i] == pytest.approx(step, rel=1e-13, abs=0)
        assert table["w"][i] == pytest.approx(w, rel=1e-15, abs=0)
    assert list(table) == ["t", "g", "m", "v", "eta", "w"]
    assert table.options["beta1"] == b1 and table.options["eps"] == 0.0 and table.options["amsgrad"] is False
    assert table.convention == "seed" and table.w0 == 1.0 and table.diverged_at == 0


def tutorial(name, grads, w, lr, beta):
    """The rest of the tutorial's five (seed convention), one scalar: rows (m or V, η, w)."""
    acc, rows = 0.0, []
    for g in grads:
        if name == "sgd":
            step = lr * g
        elif name == "sgdm":  # an EMA buffer: m_t = β·m + (1 − β)·g_t
            acc = beta * acc + (1 - beta) * g
            step = lr * acc
        elif name == "adagrad":  # V_t = V + g_t²
            acc += g * g
            step = lr * g / math.sqrt(acc)
        elif name == "rmsprop":  # V_t = β·V + (1 − β)·g_t²
            acc = beta * acc + (1 - beta) * g * g
            step = lr * g / math.sqrt(acc)
        w -= step
        rows.append((acc, step, w))
    return rows


@pytest.mark.parametrize("name,column,options", [
    ("sgd", None, dict(lr=0.3)),
    ("sgdm", "m", dict(lr=0.2, momentum=0.8)),
    ("adagrad", "v", dict(lr=0.05)),
    ("rmsprop", "v", dict(lr=0.01, beta=0.7)),
])
def test_the_other_four_of_the_tutorial(name, column, options):
    beta = options.get("momentum", options.get("beta"))
    table = descent.explain(name, GRADS, w0=-2.0, **options)
    for i, (acc, step, w) in enumerate(tutorial(name, GRADS, -2.0, options["lr"], beta)):
        if column:
            assert table[column][i] == pytest.approx(acc, rel=1e-15)
        assert table["eta"][i] == pytest.approx(step, rel=1e-13)
        assert table["w"][i] == pytest.approx(w, rel=1e-15)
    assert ("m" in table) == (column == "m") and ("v" in table) == (column == "v")


def test_extra_slots_and_the_pytorch_convention():
    # AMSGrad in PyTorch's form: v_max = max(v_max, V_t), the step lr/(1−β1^t)·m / (sqrt(v_max)/sqrt(1−β2^t) + ε).
    grads = [1.0, 0.01, 0.01]  # V falls after the first step: g² < V
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    table = descent.explain("amsgrad", grads, convention="pytorch", w0=0.0)
    m = v = v_max = w = 0.0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = max(v_max, v)
        w -= lr / (1 - b1 ** t) * m / (math.sqrt(v_max) / math.sqrt(1 - b2 ** t) + eps)
        assert table["v_max"][t - 1] == pytest.approx(v_max, rel=1e-15)
        assert table["w"][t - 1] == pytest.approx(w, rel=1e-13)
    assert table["v_max"][2] > table["v"][2]  # the max holds the first, larger V
    assert isinstance(table["w"], np.ndarray) and table["w"].dtype == np.float64
    assert table.options["eps"] == eps and table.options["amsgrad"] is True


def test_divergence_warns_and_keeps_the_steps_up_to_it():
    with pytest.warns(RuntimeWarning, match="sgd diverged at step 2"):
        table = descent.explain("sgd", [1e308, 1e308, 1.0], lr=1.0)  # w_3 = 1 − 2e308
    assert table.diverged_at == 2 and len(table["w"]) == 2 and not math.isfinite(table["w"][1])


@pytest.mark.parametrize("call,error,message", [
    (lambda: descent.explain("adamm", GRADS), ValueError, "unknown optimizer 'adamm'"),
    (lambda: descent.explain("adam", []), ValueError, "grads must be a non-empty sequence"),
    (lambda: descent.explain("adam", [0.1, float("nan")]), descent.OptionError, "gradient 2 = nan is not a finite"),
    (lambda: descent.explain("adam", GRADS, lr=-1), descent.OptionError, r"lr = -1 is out of range \[0, inf\)"),
    (lambda: descent.explain("adam", GRADS, beta=0.5), descent.OptionError, "beta"),
    (lambda: descent.explain("adam", GRADS, convention="tf"), descent.Error, "tf"),
    (lambda: descent.explain("adam", GRADS, w0=math.inf), descent.OptionError, "w0 = inf is not a finite number"),
])
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
