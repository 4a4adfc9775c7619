"""torch.optim 1.13 as the reference, wherever torch has every knob a case sets.

kwargs(rule, o) maps descent options to a torch class and its arguments, or raises NoCounterpart
naming the option torch cannot express; the generator then falls back to ref_docs. NAdam is not
here: torch 1.13 keeps its momentum product in a float32 tensor even for float64 parameters
(torch/optim/nadam.py), about 1e-7 relative, too coarse for a 1e-12 comparison; the generator
checks ref_docs's NAdam against it at 1e-6 instead (sanity_nadam).
"""
import numpy as np
import torch


class NoCounterpart(Exception):
    pass


def need(cond, option):
    if not cond:
        raise NoCounterpart(option)


def common(o, cls_has_maximize=True):
    need(not o["schedule_scaled_decay"] or o["weight_decay"] == 0, "schedule_scaled_decay")
    need(not o["decoupled_weight_decay"] or o["weight_decay"] == 0, "decoupled_weight_decay")
    kw = {"lr": o["lr"], "weight_decay": o["weight_decay"]}
    if cls_has_maximize:
        kw["maximize"] = o["maximize"]
    else:
        need(not o["maximize"], "maximize")
    return kw


def kwargs(rule, o):
    if rule == "sgd":
        kw = common(o)
        if o["momentum"] > 0:
            need(not o["ema"], "ema")
            need(not o["lr_in_buffer"], "lr_in_buffer")
            # m_0 = 0 and m_1 = g_1 agree when g enters the buffer unscaled (dampening 0)
            need(o["buffer_starts_at_grad"] or o["dampening"] == 0, "buffer_starts_at_grad")
            kw.update(momentum=o["momentum"], dampening=o["dampening"], nesterov=o["nesterov"])
        return "SGD", kw
    if rule == "adagrad":
        need(not o["eps_inside_sqrt"] or o["eps"] == 0, "eps_inside_sqrt")
        kw = common(o)
        kw.update(lr_decay=o["lr_decay"], initial_accumulator_value=o["initial_accumulator_value"], eps=o["eps"])
        return "Adagrad", kw
    if rule == "rmsprop":
        need(not o["eps_inside_sqrt"] or o["eps"] == 0, "eps_inside_sqrt")
        need(not o["lr_in_buffer"] or o["momentum"] == 0, "lr_in_buffer")
        kw = common(o)
        kw.update(alpha=o["beta"], eps=o["eps"], momentum=o["momentum"], centered=o["centered"])
        return "RMSprop", kw
    if rule == "adam":
        need(not o["eps_hat"] or o["eps"] == 0, "eps_hat")
        decoupled = o["decoupled_weight_decay"] and o["weight_decay"] > 0
        need(not o["schedule_scaled_decay"] or not decoupled, "schedule_scaled_decay")
        kw = {"lr": o["lr"], "weight_decay": o["weight_decay"], "maximize": o["maximize"],
              "betas": (o["beta1"], o["beta2"]), "eps": o["eps"], "amsgrad": o["amsgrad"]}
        return ("AdamW" if decoupled else "Adam"), kw
    if rule == "adamax":
        need(o["eps_inside_max"] or o["eps"] == 0, "eps_inside_max")
        kw = common(o)
        kw.update(betas=(o["beta1"], o["beta2"]), eps=o["eps"])
        return "Adamax", kw
    if rule == "radam":
        kw = common(o, cls_has_maximize=False)
        kw.update(betas=(o["beta1"], o["beta2"]), eps=o["eps"])
        return "RAdam", kw
    if rule == "adadelta":
        kw = common(o)
        kw.update(rho=o["rho"], eps=o["eps"])
        return "Adadelta", kw
    raise NoCounterpart(rule)  # nadam (see above), lion, lamb: not in torch 1.13


def run(cls, kw, init, grads, scale):
    params = [torch.tensor(x, dtype=torch.float64) for x in init]
    opt = getattr(torch.optim, cls)(params, foreach=False, **kw)
    out = []
    for t, gs in enumerate(grads):
        if scale:
            opt.param_groups[0]["lr"] = kw["lr"] * scale[t]  # a schedule: set on the group before the step
        for p, g in zip(params, gs):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(np.concatenate([p.detach().numpy().copy() for p in params]).tolist())
    return out


def reference(rule, o, init, grads):
    cls, kw = kwargs(rule, o)
    return "torch.optim." + cls, run(cls, kw, init, grads, o.get("lr_scale"))


def nadam(o, init, grads, single_tensor):
    """torch's NAdam, for the generator's sanity check of ref_docs (not a golden: see above)."""
    kw = {"lr": o["lr"], "betas": (o["beta1"], o["beta2"]), "eps": o["eps"], "weight_decay": o["weight_decay"],
          "momentum_decay": o["momentum_decay"]}
    params = [torch.tensor(x, dtype=torch.float64) for x in init]
    opt = torch.optim.NAdam(params, foreach=not single_tensor, **kw)
    out = []
    for gs in grads:
        for p, g in zip(params, gs):
            p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        out.append(np.concatenate([p.detach().numpy().copy() for p in params]).tolist())
    return out
