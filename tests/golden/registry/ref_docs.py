"""The update rules as docs/optimizers.md writes them, with every descent option, in NumPy.

This is the reference where a convention's own library has no counterpart for an option
(lr_in_buffer under pytorch, maximize under keras, LAMB and Lion under pytorch, ...). It is
written from the formulas on that page ("The driver applies these once per element before the
rule's own formula: g <- sign*g + l2*w, w <- keep*w"; each optimizer's section), never from
descent's C++. Where a denominator is exactly 0 the step is 0 (docs/optimizers.md, "Where
V_t = 0"). Every function takes the options as a dict of descent option names (floats and
bools), the initial tensors and the gradients per step, and returns w after every step.
"""
import math

import numpy as np


def ratio(m, d):
    """m / d, and 0 where d == 0 (docs/optimizers.md, "Where V_t = 0")."""
    m = np.asarray(m, dtype=np.float64) * np.ones_like(d)
    out = np.zeros_like(m)
    nz = d != 0
    out[nz] = m[nz] / d[nz]
    return out


def at(o, t):
    """The options of step t: o["lr_scale"], when given, is the schedule's multiplier per step, set
    on the group before the step (lr_0, the option's own lr, stays: docs/optimizers.md, Common)."""
    scale = o.get("lr_scale")
    return dict(o, lr=o["lr"] * scale[t - 1], lr0=o["lr"]) if scale else dict(o, lr0=o["lr"])


def prelude(o, w, g):
    """Options every rule has: maximize, L2 or decoupled decay (Common)."""
    g = -g if o["maximize"] else g
    lam = o["weight_decay"]
    if o["decoupled_weight_decay"]:
        # w <- (1 - lr*lambda)*w; schedule_scaled_decay: (1 - eta_t*lambda)*w, eta_t = lr/lr_0
        eta = o["lr"] / o["lr0"] if o["schedule_scaled_decay"] else o["lr"]
        w = (1.0 - eta * lam) * w
    else:
        g = g + lam * w
    return w, g


def run(step, o, init, grads, state):
    ws = [np.array(x, dtype=np.float64) for x in init]
    sts = [state(x) for x in ws]
    out = []
    for t, gs in enumerate(grads, start=1):
        ot = at(o, t)
        for i, g in enumerate(gs):
            w, g = prelude(ot, ws[i], np.array(g, dtype=np.float64))
            ws[i] = step(ot, t, w, g, sts[i])
        out.append(np.concatenate(ws).tolist())
    return out


def fresh(x):
    return {k: np.zeros_like(x) for k in ("m", "v", "u", "vmax", "gmean", "b")}


def sgd(o, t, w, g, s):
    # m_t = beta*m_{t-1} + gain*g_t, w <- w - lr*m_t; gain = 1-beta (ema) or 1-tau (dampening);
    # buffer_starts_at_grad: m_1 = g_1; lr_in_buffer: m accumulates lr*g and w -= m;
    # nesterov: w <- w - lr*(g + mu*m) (pytorch), w <- w - (lr*g + mu*m) (keras).
    beta = o["momentum"]
    if beta == 0:
        return w - o["lr"] * g
    inside = o["lr"] if o["lr_in_buffer"] else 1.0
    outside = 1.0 if o["lr_in_buffer"] else o["lr"]
    gain = 1.0 - (beta if o["ema"] else o["dampening"])
    if t == 1 and o["buffer_starts_at_grad"]:
        s["m"] = inside * g
    else:
        s["m"] = beta * s["m"] + inside * gain * g
    if o["nesterov"]:
        return w - outside * (inside * g + beta * s["m"])
    return w - outside * s["m"]


def adagrad(o, t, w, g, s):
    # V_t = V_{t-1} + g^2 (V_0 = initial_accumulator_value), lr_t = lr/(1 + (t-1)*lr_decay),
    # w <- w - lr_t*g/(sqrt(V + eps_in) + eps_out)
    if t == 1:
        s["v"] = s["v"] + o["initial_accumulator_value"]
    s["v"] = s["v"] + g * g
    lr_t = o["lr"] / (1.0 + (t - 1) * o["lr_decay"])
    e_in, e_out = (o["eps"], 0.0) if o["eps_inside_sqrt"] else (0.0, o["eps"])
    return w - lr_t * ratio(g, np.sqrt(s["v"] + e_in) + e_out)


def rmsprop(o, t, w, g, s):
    # V_t = beta*V + (1-beta)*g^2; centered: V_t - gmean_t^2; momentum: a buffer of the steps
    # (lr inside it with lr_in_buffer)
    b = o["beta"]
    s["v"] = b * s["v"] + (1 - b) * g * g
    var = s["v"]
    if o["centered"]:
        s["gmean"] = b * s["gmean"] + (1 - b) * g
        var = s["v"] - s["gmean"] * s["gmean"]
    e_in, e_out = (o["eps"], 0.0) if o["eps_inside_sqrt"] else (0.0, o["eps"])
    step = ratio(g, np.sqrt(var + e_in) + e_out)
    if o["momentum"] > 0:
        inside = o["lr"] if o["lr_in_buffer"] else 1.0
        s["b"] = o["momentum"] * s["b"] + inside * step
        return w - (1.0 if o["lr_in_buffer"] else o["lr"]) * s["b"]
    return w - o["lr"] * step


def adam(o, t, w, g, s):
    # w <- w - lr/(1-b1^t) * m/(sqrt(V)/sqrt(1-b2^t) + eps); eps_hat: eps/sqrt(1-b2^t) there
    # (Keras's eps-hat form); amsgrad: the largest V so far.
    b1, b2 = o["beta1"], o["beta2"]
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    v = s["v"]
    if o["amsgrad"]:
        s["vmax"] = np.maximum(s["vmax"], s["v"])
        v = s["vmax"]
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    eps = o["eps"] / math.sqrt(bc2) if o["eps_hat"] else o["eps"]
    return w - o["lr"] / bc1 * ratio(s["m"], np.sqrt(v) / math.sqrt(bc2) + eps)


def adamax(o, t, w, g, s):
    # u_t = max(b2*u, |g| + eps_in), w <- w - lr/(1-b1^t)*m/(u + eps_out)
    b1 = o["beta1"]
    e_in, e_out = (o["eps"], 0.0) if o["eps_inside_max"] else (0.0, o["eps"])
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["u"] = np.maximum(o["beta2"] * s["u"], np.abs(g) + e_in)
    return w - o["lr"] / (1 - b1 ** t) * ratio(s["m"], s["u"] + e_out)


def nadam_mu(o, t):
    return o["beta1"] * (1 - 0.5 * 0.96 ** (t * o["momentum_decay"]))


def nadam(o, t, w, g, s):
    # mu_t = b1*(1 - 0.5*0.96^(t*psi)); d = sqrt(V/(1-b2^t)) + eps;
    # w <- w - lr*(1-mu_t)/(1-prod_{i<=t} mu_i)*g/d - lr*mu_{t+1}/(1-prod_{i<=t+1} mu_i)*m/d;
    # extra_mu: prod_{t+1} = prod_t*mu_t*mu_{t+1} (torch 1.13's single-tensor path)
    b1, b2 = o["beta1"], o["beta2"]
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    prod = 1.0
    for i in range(1, t + 1):
        prod *= nadam_mu(o, i)
    mu_t, mu_next = nadam_mu(o, t), nadam_mu(o, t + 1)
    prod_next = prod * mu_t * mu_next if o["extra_mu"] else prod * mu_next
    d = np.sqrt(s["v"] / (1 - b2 ** t)) + o["eps"]
    return w - o["lr"] * (1 - mu_t) / (1 - prod) * ratio(g, d) - o["lr"] * mu_next / (1 - prod_next) * ratio(s["m"], d)


def radam(o, t, w, g, s):
    # rho_inf = 2/(1-b2) - 1, rho_t = rho_inf - 2t*b2^t/(1-b2^t); rho_t > 5: rectified adaptive
    # step lr/(1-b1^t)*r_t*sqrt(1-b2^t)*m/(sqrt(V) + eps), else lr/(1-b1^t)*m
    b1, b2 = o["beta1"], o["beta2"]
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    bc1, bc2 = 1 - b1 ** t, 1 - b2 ** t
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * b2 ** t / bc2
    if rho_t > 5:
        r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        return w - o["lr"] / bc1 * r * math.sqrt(bc2) * ratio(s["m"], np.sqrt(s["v"]) + o["eps"])
    return w - o["lr"] / bc1 * s["m"]


def adadelta(o, t, w, g, s):
    # V = rho*V + (1-rho)*g^2, D = sqrt(U + eps)/sqrt(V + eps)*g, U = rho*U + (1-rho)*D^2, w -= lr*D
    r, e = o["rho"], o["eps"]
    s["v"] = r * s["v"] + (1 - r) * g * g
    d = np.sqrt(s["u"] + e) / np.sqrt(s["v"] + e) * g
    s["u"] = r * s["u"] + (1 - r) * d * d
    return w - o["lr"] * d


def lion(o, t, w, g, s):
    # c = b1*m + (1-b1)*g, w <- w - lr*sign(c) (decay: the prelude), m = b2*m + (1-b2)*g
    c = o["beta1"] * s["m"] + (1 - o["beta1"]) * g
    s["m"] = o["beta2"] * s["m"] + (1 - o["beta2"]) * g
    return w - o["lr"] * np.sign(c)


def lamb(o, t, w, g, s):
    # r = m_hat/(sqrt(V_hat) + eps) + trust_decay*w, w <- w - lr*(||w||/||r||)*r over the whole
    # tensor (ratio 1 if either norm is 0); w is the (decoupled-)decayed weight
    b1, b2 = o["beta1"], o["beta2"]
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g * g
    r = ratio(s["m"] / (1 - b1 ** t), np.sqrt(s["v"] / (1 - b2 ** t)) + o["eps"]) + o["trust_decay"] * w
    wn, rn = math.sqrt(float(np.sum(w * w))), math.sqrt(float(np.sum(r * r)))
    trust = wn / rn if wn > 0 and rn > 0 else 1.0
    return w - o["lr"] * trust * r


RULES = {"sgd": sgd, "adagrad": adagrad, "rmsprop": rmsprop, "adam": adam, "adamax": adamax, "nadam": nadam,
         "radam": radam, "adadelta": adadelta, "lion": lion, "lamb": lamb}


def reference(rule, o, init, grads):
    return run(RULES[rule], o, init, grads, fresh)
