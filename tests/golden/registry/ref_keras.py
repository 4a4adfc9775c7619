"""Keras 3's update formulas in NumPy, read from keras-team/keras keras/src/optimizers/<rule>.py
(update_step) and base_optimizer.py (_apply_weight_decay: `variable - variable * wd * lr`, before
the update; Keras has no L2 decay and no maximize). Each function names its file.

kwargs-free: a function takes descent's options and raises NoCounterpart for any option whose
value Keras cannot express (descent's pytorch-style eps placement, lr_decay, dampening, ...);
the generator then falls back to ref_docs. Keras writes m += (g - m)*(1 - b1) where this file
writes b1*m + (1 - b1)*g: the same formula, rounded differently (a few 1e-17).
"""
import math

import numpy as np

from ref_docs import at
from ref_torch import NoCounterpart, need


def decay(o, w):
    need(not o["maximize"], "maximize")
    need(not o["schedule_scaled_decay"] or o["weight_decay"] == 0, "schedule_scaled_decay")
    need(o["decoupled_weight_decay"] or o["weight_decay"] == 0, "decoupled_weight_decay")
    return w - w * o["weight_decay"] * o["lr"]


def sgd(o, t, w, g, s):  # sgd.py
    lr, mu = o["lr"], o["momentum"]
    if mu == 0:
        return w - lr * g  # "w = w - learning_rate * g when momentum is 0"
    need(not o["ema"], "ema")
    need(o["dampening"] == 0, "dampening")
    # sgd.py's velocity starts at 0 and holds -lr*g; a buffer started at g_1 with lr outside it
    # is the same trajectory for a constant lr, so both of descent's forms have this reference
    # then; under a schedule only the lr-inside form is Keras's.
    need(o["lr_in_buffer"] or "lr_scale" not in o, "lr_in_buffer")
    s["m"] = mu * s["m"] - lr * g
    if o["nesterov"]:
        return w + mu * s["m"] - lr * g
    return w + s["m"]


def adagrad(o, t, w, g, s):  # adagrad.py
    need(o["eps_inside_sqrt"] or o["eps"] == 0, "eps_inside_sqrt")
    need(o["lr_decay"] == 0, "lr_decay")
    if t == 1:
        s["v"] = s["v"] + o["initial_accumulator_value"]
    s["v"] = s["v"] + g * g
    return w - o["lr"] * g / np.sqrt(s["v"] + o["eps"])


def rmsprop(o, t, w, g, s):  # rmsprop.py
    need(o["eps_inside_sqrt"] or o["eps"] == 0, "eps_inside_sqrt")
    rho = o["beta"]
    s["v"] = rho * s["v"] + (1 - rho) * g * g
    if o["centered"]:
        s["gmean"] = rho * s["gmean"] + (1 - rho) * g
        denominator = s["v"] - s["gmean"] * s["gmean"] + o["eps"]
    else:
        denominator = s["v"] + o["eps"]
    increment = o["lr"] * g / np.sqrt(denominator)
    if o["momentum"] > 0:
        # rmsprop.py's momentum holds lr*g/sqrt(..); with a constant lr that is the trajectory
        # of either of descent's forms (lr_in_buffer true or false), under a schedule of the first
        need(o["lr_in_buffer"] or "lr_scale" not in o, "lr_in_buffer")
        s["b"] = o["momentum"] * s["b"] + increment
        return w - s["b"]
    return w - increment


def adam(o, t, w, g, s):  # adam.py (amsgrad: velocity_hat = max(velocity_hat, v))
    need(o["eps_hat"] or o["eps"] == 0, "eps_hat")
    b1, b2 = o["beta1"], o["beta2"]
    alpha = o["lr"] * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    v = s["v"]
    if o["amsgrad"]:
        s["vmax"] = np.maximum(s["vmax"], s["v"])
        v = s["vmax"]
    return w - s["m"] * alpha / (np.sqrt(v) + o["eps"])


def adamax(o, t, w, g, s):  # adamax.py
    need(not o["eps_inside_max"] or o["eps"] == 0, "eps_inside_max")
    b1 = o["beta1"]
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["u"] = np.maximum(o["beta2"] * s["u"], np.abs(g))
    return w - o["lr"] * s["m"] / ((1 - b1 ** t) * (s["u"] + o["eps"]))


def nadam(o, t, w, g, s):  # nadam.py: u_t = beta_1*(1 - 0.5*0.96^t), u_product updated before the step
    need(o["momentum_decay"] == 1.0, "momentum_decay")
    need(not o["extra_mu"], "extra_mu")
    b1, b2 = o["beta1"], o["beta2"]
    u = [b1 * (1.0 - 0.5 * 0.96 ** i) for i in range(1, t + 2)]
    u_product_t = float(np.prod(u[:t]))
    u_t, u_t_1 = u[t - 1], u[t]
    u_product_t_1 = u_product_t * u_t_1
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    m_hat = u_t_1 * s["m"] / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product_t)
    v_hat = s["v"] / (1 - b2 ** t)
    return w - m_hat * o["lr"] / (np.sqrt(v_hat) + o["eps"])


def adadelta(o, t, w, g, s):  # adadelta.py: rms(x) = sqrt(x + epsilon)
    rho, e = o["rho"], o["eps"]
    s["v"] = rho * s["v"] + (1 - rho) * g * g
    delta = -np.sqrt(s["u"] + e) * g / np.sqrt(s["v"] + e)
    s["u"] = rho * s["u"] + (1 - rho) * delta * delta
    return w + o["lr"] * delta


def lion(o, t, w, g, s):  # lion.py (which refuses beta_1 <= 0)
    need(o["beta1"] > 0, "beta1")
    b1, b2 = o["beta1"], o["beta2"]
    w = w - o["lr"] * np.sign(s["m"] * b1 + g * (1.0 - b1))
    s["m"] = s["m"] * b2 + g * (1.0 - b2)
    return w


def lamb(o, t, w, g, s):  # lamb.py: ratio = w_norm/g_norm if both > 0 else 1, on the decayed w
    need(o["trust_decay"] == 0, "trust_decay")
    b1, b2 = o["beta1"], o["beta2"]
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    update = (s["m"] / (1 - b1 ** t)) / (np.sqrt(s["v"] / (1 - b2 ** t)) + o["eps"])
    w_norm, g_norm = math.sqrt(float(np.sum(w ** 2))), math.sqrt(float(np.sum(update ** 2)))
    r = w_norm / g_norm if w_norm > 0 and g_norm > 0 else 1.0
    return w - r * o["lr"] * update


RULES = {"sgd": sgd, "adagrad": adagrad, "rmsprop": rmsprop, "adam": adam, "adamax": adamax, "nadam": nadam,
         "adadelta": adadelta, "lion": lion, "lamb": lamb}  # Keras 3 has no RAdam


def reference(rule, o, init, grads):
    if rule not in RULES:
        raise NoCounterpart(rule)
    step = RULES[rule]
    ws = [np.array(x, dtype=np.float64) for x in init]
    sts = [{k: np.zeros_like(x) for k in ("m", "v", "u", "vmax", "gmean", "b")} for x in ws]
    out = []
    for t, gs in enumerate(grads, start=1):
        ot = at(o, t)  # Keras reads the schedule's rate every step, its decay too
        for i, g in enumerate(gs):
            ws[i] = step(ot, t, decay(ot, ws[i]), np.array(g, dtype=np.float64), sts[i])
        out.append(np.concatenate(ws).tolist())
    return "keras/src/optimizers/%s.py" % rule, out
