"""The tutorial's five optimizers, formula by formula (optimizers-tutorial.en.md in the project's
shared reference, rendered from the original Chinese), for the seed convention. The tutorial has
no epsilon, no decay and no variants: a case that sets any of those (or a value other than the
tutorial's form) raises NoCounterpart and gets ref_docs. Where V_t = 0 the tutorial leaves
m_t/sqrt(V_t) undefined; descent defines it as 0 (docs/optimizers.md, "Where V_t = 0"), and so
does this file (ref_docs.ratio).
"""
import math

import numpy as np

from ref_docs import at, ratio
from ref_torch import NoCounterpart, need

# The options each of the five may set, and the value each other option must have.
TUTORIAL_FORM = {
    "sgd": {"momentum": 0.0},
    "sgdm": {"ema": True, "dampening": 0.0, "nesterov": False, "buffer_starts_at_grad": False, "lr_in_buffer": False},
    "adagrad": {"eps": 0.0, "initial_accumulator_value": 0.0, "lr_decay": 0.0},
    "rmsprop": {"eps": 0.0, "centered": False, "momentum": 0.0},
    "adam": {"eps": 0.0, "amsgrad": False},
}
COMMON_FORM = {"weight_decay": 0.0, "maximize": False}


def check(name, o):
    if name not in TUTORIAL_FORM:
        raise NoCounterpart(name)
    for k, v in dict(COMMON_FORM, **TUTORIAL_FORM[name]).items():
        need(o[k] == v, k)


def step(name, o, t, w, g, s):
    lr = o["lr"]
    if name == "sgd":  # w_{t+1} = w_t - lr*g_t
        return w - lr * g
    if name == "sgdm":  # m_t = b*m_{t-1} + (1-b)*g_t, m_0 = 0; w_{t+1} = w_t - lr*m_t
        b = o["momentum"]
        s["m"] = b * s["m"] + (1 - b) * g
        return w - lr * s["m"]
    if name == "adagrad":  # V_t = sum g^2; w_{t+1} = w_t - lr*g_t/sqrt(V_t)
        s["v"] = s["v"] + g * g
        return w - lr * ratio(g, np.sqrt(s["v"]))
    if name == "rmsprop":  # V_t = b*V_{t-1} + (1-b)*g_t^2; w_{t+1} = w_t - lr*g_t/sqrt(V_t)
        b = o["beta"]
        s["v"] = b * s["v"] + (1 - b) * g * g
        return w - lr * ratio(g, np.sqrt(s["v"]))
    # adam: m_hat = m_t/(1-b1^t), V_hat = V_t/(1-b2^t), w_{t+1} = w_t - lr*m_hat/sqrt(V_hat)
    b1, b2 = o["beta1"], o["beta2"]
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    return w - lr * ratio(s["m"] / (1 - b1 ** t), np.sqrt(s["v"] / (1 - b2 ** t)))


def reference(name, o, init, grads):
    check(name, o)
    ws = [np.array(x, dtype=np.float64) for x in init]
    sts = [{"m": np.zeros_like(x), "v": np.zeros_like(x)} for x in ws]
    out = []
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            ws[i] = step(name, at(o, t), t, ws[i], np.array(g, dtype=np.float64), sts[i])
        out.append(np.concatenate(ws).tolist())
    return "the tutorial (%s)" % name, out
