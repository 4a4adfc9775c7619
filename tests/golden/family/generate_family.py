#!/usr/bin/python3
"""Golden trajectories for the optimizer family, from torch 1.13's own implementations.

Run with the system Python that has torch (/usr/bin/python3 generate_family.py); it rewrites
optimizers.txt, schedules.txt and clip.txt next to itself. The C++ tests (tests/rules/, family_*.cpp)
read them. The formats are plain whitespace-separated text (see each writer below) so the tests
need no parser library. Numbers are printed with 17 significant digits (exact for double).
"""
import math
import os

import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))


def num(x):
    return repr(float(x))


def gradients(steps, n, seed):
    # Deterministic, varied gradients: a few signs, scales over decades, one exact zero.
    gen = torch.Generator().manual_seed(seed)
    out = []
    for t in range(steps):
        g = torch.randn(n, generator=gen) * torch.logspace(-2, 1, n)
        g[1] = 0.0 if t % 3 == 0 else g[1]
        out.append(g)
    return out


# (case name, descent optimizer name, torch class, torch kwargs, descent options)
OPTIMIZER_CASES = [
    # extra_mu: torch 1.13's single-tensor NAdam multiplies mu_t into the next product twice.
    ("nadam", "nadam", torch.optim.NAdam, dict(lr=2e-3), dict(extra_mu=True)),
    ("nadam_wd", "nadam", torch.optim.NAdam,
     dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, momentum_decay=1e-2),
     dict(lr=1e-2, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.1, momentum_decay=1e-2, extra_mu=True)),
    ("radam", "radam", torch.optim.RAdam, dict(lr=1e-2), dict(lr=1e-2)),
    ("radam_wd", "radam", torch.optim.RAdam, dict(lr=1e-2, betas=(0.9, 0.9), weight_decay=0.05),
     dict(lr=1e-2, beta2=0.9, weight_decay=0.05)),
    ("adamax", "adamax", torch.optim.Adamax, dict(lr=2e-3), {}),
    ("adamax_wd_max", "adamax", torch.optim.Adamax,
     dict(lr=1e-2, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.1, maximize=True),
     dict(lr=1e-2, beta1=0.5, beta2=0.9, eps=1e-3, weight_decay=0.1, maximize=True)),
    ("adadelta", "adadelta", torch.optim.Adadelta, dict(), {}),
    ("adadelta_wd", "adadelta", torch.optim.Adadelta, dict(lr=0.5, rho=0.95, eps=1e-4, weight_decay=0.1),
     dict(lr=0.5, rho=0.95, eps=1e-4, weight_decay=0.1)),
    ("adamw", "adamw", torch.optim.AdamW, dict(), {}),
    ("adamw_amsgrad", "adamw", torch.optim.AdamW, dict(lr=1e-2, weight_decay=0.5, amsgrad=True),
     dict(lr=1e-2, weight_decay=0.5, amsgrad=True)),
    ("amsgrad", "amsgrad", torch.optim.Adam, dict(amsgrad=True), {}),
    ("nesterov", "nesterov", torch.optim.SGD, dict(lr=1e-2, momentum=0.9, nesterov=True), dict(lr=1e-2)),
]


def write_optimizers(steps=25, n=6):
    lines = ["# case <name> <optimizer> <steps> <n>; option <name> <value>; w0 <n values>;",
             "# then per step: g <n values> / w <n values> (after the step). torch " + torch.__version__]
    for i, (case, name, cls, kwargs, opts) in enumerate(OPTIMIZER_CASES):
        w = torch.linspace(-1.5, 2.0, n).clone().requires_grad_(True)
        lines.append(f"case {case} {name} {steps} {n}")
        for k, v in opts.items():
            lines.append(f"option {k} {('true' if v else 'false') if isinstance(v, bool) else num(v)}")
        lines.append("w0 " + " ".join(num(x) for x in w.detach()))
        opt = cls([w], **kwargs)
        for g in gradients(steps, n, 100 + i):
            w.grad = g.clone()
            opt.step()
            lines.append("g " + " ".join(num(x) for x in g))
            lines.append("w " + " ".join(num(x) for x in w.detach()))
    with open(os.path.join(HERE, "optimizers.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def lr_trace(make, steps, metrics=None, base=0.1):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=base)
    sched = make(opt)
    out = [opt.param_groups[0]["lr"]]
    for i in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        out.append(opt.param_groups[0]["lr"])
    return out


S = torch.optim.lr_scheduler
PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.94, 0.93, 0.92, 0.91, 0.95, 0.96, 0.97, 0.5, 0.6, 0.7, 0.8, 0.9,
                   0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]
# (case name, descent spec in the tests' words, torch factory, steps, metrics)
SCHEDULE_CASES = [
    ("step", lambda o: S.StepLR(o, step_size=3, gamma=0.5), 12, None),
    ("multistep", lambda o: S.MultiStepLR(o, milestones=[2, 5, 9], gamma=0.3), 12, None),
    ("exponential", lambda o: S.ExponentialLR(o, gamma=0.9), 12, None),
    ("cosine", lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.01), 25, None),
    ("warm_restarts", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001), 25, None),
    ("warm_restarts_1", lambda o: S.CosineAnnealingWarmRestarts(o, T_0=4), 13, None),
    ("one_cycle", lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=20), 19, None),
    ("one_cycle_linear", lambda o: S.OneCycleLR(o, max_lr=0.5, total_steps=20, pct_start=0.4,
                                               anneal_strategy="linear", div_factor=10, final_div_factor=100), 19, None),
    ("polynomial", lambda o: S.PolynomialLR(o, total_iters=8, power=2.0), 12, None),
    ("linear", lambda o: S.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5), 10, None),
    ("constant", lambda o: S.ConstantLR(o, factor=0.5, total_iters=4), 8, None),
    ("plateau", lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, threshold=1e-2, cooldown=1),
     30, PLATEAU_METRICS),
    ("plateau_max_abs", lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.1, patience=1, threshold=0.05,
                                                      threshold_mode="abs", min_lr=2e-4),
     30, [-x for x in PLATEAU_METRICS]),
    ("sequential", lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.25, total_iters=4),
                                                S.ExponentialLR(o, gamma=0.8)], milestones=[4]), 12, None),
]


def write_schedules():
    lines = ["# schedule <name> <steps>; lr <steps+1 values: before the first step, then after each>",
             "# base lr 0.1; metrics for plateau cases in the test. torch " + torch.__version__]
    for case, make, steps, metrics in SCHEDULE_CASES:
        lines.append(f"schedule {case} {steps}")
        lines.append("lr " + " ".join(num(x) for x in lr_trace(make, steps, metrics)))
    lines.append("metrics " + " ".join(num(x) for x in PLATEAU_METRICS))
    with open(os.path.join(HERE, "schedules.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_clip():
    # clip_grad_norm_ over three tensors; the gradients before and after, and the returned norm.
    lines = ["# clip <max_norm> <norm_type>; grad <values> (per tensor, before); norm <total>;",
             "# clipped <values> (per tensor, after). torch " + torch.__version__]
    gen = torch.Generator().manual_seed(7)
    for max_norm in (0.5, 3.0, 100.0):
        grads = [torch.randn(n, generator=gen) * s for n, s in ((5, 1.0), (3, 0.1), (7, 2.0))]
        params = [torch.zeros(g.numel(), requires_grad=True) for g in grads]
        for p, g in zip(params, grads):
            p.grad = g.clone()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        lines.append(f"clip {num(max_norm)} 2")
        for g in grads:
            lines.append("grad " + " ".join(num(x) for x in g))
        lines.append("norm " + num(norm))
        for p in params:
            lines.append("clipped " + " ".join(num(x) for x in p.grad))
    with open(os.path.join(HERE, "clip.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    write_optimizers()
    write_schedules()
    write_clip()
