#!/usr/bin/python3
"""Golden trajectories from torch.optim for tests/rules/*_test.cpp (torch_golden.hpp).

Run with Debian's python3-torch (1.13):  make goldens   (or /usr/bin/python3 tests/golden/generate.py)

For every option combination of the pytorch convention (issue 2) this runs the torch optimizer
over a fixed gradient sequence, once in float64 and once in float32, and writes one JSON file per
torch optimizer class into this directory:

  {"generator": ..., "torch": "1.13...", "steps": N,
   "cases": [{"name": "momentum_dampening",
              "lr_per_step": [...],                                  # only some cases: a schedule
              "torch": {"class": "SGD", "options": {...}},          # what was run
              "descent": {"optimizer": "sgdm", "overrides": {...}},  # the same, as descent options
              "params": [{"name": "w", "shape": [3, 4], "init": [...],
                          "grads": [[...step 1...], ...],
                          "float64": {"after": [[...after step 1...], ...], "state": {"m": [...]}},
                          "float32": {"after": [...], "state": {...}}}]}]}

The gradients are written into the file, so the C++ test replays exactly these numbers; they and
the initial values are rounded to float32 first, so one sequence serves both precisions. The state
is torch's after the last step, under descent's slot names. Numbers are Python reprs (shortest
round-trip); float32 results are written as the exact doubles they are.
"""
import json
import os
import sys

import numpy as np
import torch

STEPS = 15
SHAPES = [("w", (3, 4)), ("b", (5,)), ("s", ())]  # a matrix, a vector, a 0-d scalar
HERE = os.path.dirname(os.path.abspath(__file__))

# torch's state names -> descent's slot names (include/descent/rules/*.hpp).
STATE_NAMES = {
    "momentum_buffer": None,  # decided per class below
    "sum": "v",
    "square_avg": "v",
    "grad_avg": "g_mean",
    "exp_avg": "m",
    "exp_avg_sq": "v",
    "max_exp_avg_sq": "v_max",
}


def inputs(seed):
    """Initial values and gradients: seeded normal draws, some gradients exactly 0, all float32-exact."""
    rng = np.random.RandomState(seed)
    out = []
    for name, shape in SHAPES:
        init = rng.standard_normal(shape).astype(np.float32).astype(np.float64)
        grads = rng.standard_normal((STEPS,) + shape).astype(np.float32).astype(np.float64)
        grads[rng.uniform(size=grads.shape) < 0.05] = 0.0
        out.append((name, shape, init, grads))
    return out


def run(cls, options, data, dtype, lrs):
    params = [torch.tensor(init, dtype=dtype) for _, _, init, _ in data]
    opt = getattr(torch.optim, cls)(params, **options)
    after = [[] for _ in data]
    for t in range(STEPS):
        if lrs:
            opt.param_groups[0]["lr"] = lrs[t]
        for p, (_, _, _, grads) in zip(params, data):
            p.grad = torch.tensor(grads[t], dtype=dtype)
        opt.step()
        for i, p in enumerate(params):
            after[i].append(p.detach().to(torch.float64).reshape(-1).tolist())
    states = []
    for p in params:
        state = {}
        for key, value in opt.state[p].items():
            if key == "step" or not torch.is_tensor(value):
                continue
            slot = ("buffer" if cls == "RMSprop" else "m") if key == "momentum_buffer" else STATE_NAMES[key]
            state[slot] = value.detach().to(torch.float64).reshape(-1).tolist()
        states.append(state)
    return after, states


def text(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    return repr(float(x))


def descent_overrides(cls, options):
    """torch options -> descent option overrides on the pytorch convention's preset."""
    names = {"alpha": "beta"}
    out = {}
    for key, value in options.items():
        if key in ("foreach",):
            continue
        if key == "betas":
            out["beta1"], out["beta2"] = text(value[0]), text(value[1])
        else:
            out[names.get(key, key)] = text(value)
    if cls == "AdamW":
        out["decoupled_weight_decay"] = "true"
        out.setdefault("weight_decay", text(0.01))  # AdamW's default, Adam's is 0
    return out


def schedule(lr):
    """A learning rate that changes every step (a schedule), set on the group before each step."""
    return [lr * (1.0 + 0.5 * np.cos(t)) for t in range(STEPS)]


def case(name, cls, options, seed, optimizer=None, lrs=None):
    data = inputs(seed)
    options = dict(options, foreach=False)  # the single-tensor code path, the documented formulas
    if optimizer is None:
        optimizer = {"SGD": "sgdm" if options.get("momentum", 0) else "sgd", "Adagrad": "adagrad",
                     "RMSprop": "rmsprop", "Adam": "adam", "AdamW": "adam"}[cls]
    torch_options = {k: v for k, v in options.items() if k != "foreach"}
    params = [{"name": n, "shape": list(shape), "init": init.reshape(-1).tolist(),
               "grads": [g.reshape(-1).tolist() for g in grads]} for n, shape, init, grads in data]
    for dtype, key in ((torch.float64, "float64"), (torch.float32, "float32")):
        after, states = run(cls, options, data, dtype, lrs)
        for p, a, s in zip(params, after, states):
            p[key] = {"after": a, "state": s}
    out = {"name": name, "torch": {"class": cls, "options": torch_options},
           "descent": {"optimizer": optimizer, "overrides": descent_overrides(cls, torch_options)},
           "params": params}
    if lrs:
        out["lr_per_step"] = lrs
    return out


def sgd_cases():
    return [
        case("defaults", "SGD", {"lr": 0.1}, 1),
        case("momentum", "SGD", {"lr": 0.05, "momentum": 0.9}, 2),
        case("momentum_dampening", "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}, 3),
        case("nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, 4),
        case("weight_decay", "SGD", {"lr": 0.1, "weight_decay": 0.05}, 5),
        case("momentum_weight_decay", "SGD", {"lr": 0.05, "momentum": 0.7, "weight_decay": 0.1}, 6),
        case("maximize", "SGD", {"lr": 0.1, "maximize": True}, 7),
        case("nesterov_weight_decay_maximize", "SGD",
             {"lr": 0.03, "momentum": 0.5, "nesterov": True, "weight_decay": 0.02, "maximize": True}, 8),
        # torch keeps lr outside the buffer: a new lr scales all past momentum at once.
        case("momentum_dampening_lr_schedule", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1}, 9,
             lrs=schedule(0.05)),
    ]


def adagrad_cases():
    return [
        case("defaults", "Adagrad", {}, 11),
        case("lr_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.05}, 12),
        case("initial_accumulator_value", "Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.3}, 13),
        case("eps", "Adagrad", {"lr": 0.1, "eps": 1e-3}, 14),
        case("weight_decay", "Adagrad", {"lr": 0.1, "weight_decay": 0.1}, 15),
        case("maximize", "Adagrad", {"lr": 0.1, "maximize": True}, 16),
        case("everything", "Adagrad", {"lr": 0.2, "lr_decay": 0.01, "initial_accumulator_value": 0.1,
                                       "eps": 1e-6, "weight_decay": 0.05, "maximize": True}, 17),
        case("lr_decay_lr_schedule", "Adagrad", {"lr": 0.1, "lr_decay": 0.05}, 18, lrs=schedule(0.1)),
    ]


def rmsprop_cases():
    return [
        case("defaults", "RMSprop", {}, 21),
        case("alpha", "RMSprop", {"lr": 0.01, "alpha": 0.9}, 22),
        case("eps", "RMSprop", {"lr": 0.01, "eps": 1e-3}, 23),
        case("centered", "RMSprop", {"lr": 0.01, "centered": True}, 24),
        case("momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}, 25),
        case("centered_momentum", "RMSprop", {"lr": 0.01, "alpha": 0.95, "centered": True, "momentum": 0.8}, 26),
        case("weight_decay", "RMSprop", {"lr": 0.01, "weight_decay": 0.1}, 27),
        case("maximize", "RMSprop", {"lr": 0.01, "maximize": True}, 28),
        case("everything", "RMSprop", {"lr": 0.02, "alpha": 0.9, "eps": 1e-6, "centered": True, "momentum": 0.5,
                                       "weight_decay": 0.05, "maximize": True}, 29),
        case("centered_momentum_lr_schedule", "RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9}, 30,
             lrs=schedule(0.01)),
    ]


def adam_cases():
    return [
        case("defaults", "Adam", {}, 31),
        case("betas_lr", "Adam", {"lr": 0.05, "betas": (0.8, 0.99)}, 32),
        case("eps", "Adam", {"lr": 0.05, "eps": 1e-3}, 33),
        case("amsgrad", "Adam", {"lr": 0.05, "amsgrad": True}, 34),
        case("weight_decay", "Adam", {"lr": 0.05, "weight_decay": 0.1}, 35),
        case("maximize", "Adam", {"lr": 0.05, "maximize": True}, 36),
        case("everything", "Adam", {"lr": 0.02, "betas": (0.85, 0.98), "eps": 1e-6, "amsgrad": True,
                                    "weight_decay": 0.05, "maximize": True}, 37),
        case("amsgrad_lr_schedule", "Adam", {"lr": 0.05, "amsgrad": True}, 38, lrs=schedule(0.05)),
    ]


def adamw_cases():
    return [
        case("defaults", "AdamW", {}, 41),
        case("weight_decay", "AdamW", {"lr": 0.05, "weight_decay": 0.1}, 42),
        case("amsgrad", "AdamW", {"lr": 0.05, "weight_decay": 0.05, "amsgrad": True}, 43),
        case("everything", "AdamW", {"lr": 0.02, "betas": (0.85, 0.98), "eps": 1e-6, "amsgrad": True,
                                     "weight_decay": 0.2, "maximize": True}, 44),
        # the decay factor 1 − lr·λ follows the scheduled lr
        case("weight_decay_lr_schedule", "AdamW", {"lr": 0.05, "weight_decay": 0.1}, 45, lrs=schedule(0.05)),
    ]


def write(name, cases):
    doc = {"generator": "tests/golden/generate.py", "torch": torch.__version__, "steps": STEPS, "cases": cases}
    path = os.path.join(HERE, name + ".json")
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, path)  # never a half-written golden
    print(f"wrote {os.path.relpath(path)}: {len(cases)} cases", file=sys.stderr)


def main():
    torch.set_num_threads(1)
    write("sgd", sgd_cases())
    write("adagrad", adagrad_cases())
    write("rmsprop", rmsprop_cases())
    write("adam", adam_cases())
    write("adamw", adamw_cases())


if __name__ == "__main__":
    main()
