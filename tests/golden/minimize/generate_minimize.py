#!/usr/bin/python3
"""Trajectories of torch.optim on Rosenbrock and Beale, for tests/minimize_test.cpp.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 tests/golden/minimize/generate_minimize.py
Writes FUNCTION.csv beside this script: optimizer,lr,step,x,y, with step 0 the start point.
The gradient comes from autograd, so the test checks descent's hand-written gradients and its
update rules (PyTorch convention) against torch's at once.
"""
import os

import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 100


def rosenbrock(p):
    x, y = p[0], p[1]
    return 100 * (y - x * x) ** 2 + (1 - x) ** 2


def beale(p):
    x, y = p[0], p[1]
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2 + (2.625 - x + x * y ** 3) ** 2


# Learning rates chosen so that every optimizer moves a visible distance without diverging.
CASES = {
    "rosenbrock": (rosenbrock, [-1.2, 1.0], {"sgd": 1e-3, "sgdm": 1e-4, "adagrad": 0.1, "rmsprop": 1e-2, "adam": 5e-2}),
    "beale": (beale, [1.0, 1.5], {"sgd": 1e-2, "sgdm": 1e-3, "adagrad": 0.1, "rmsprop": 1e-2, "adam": 5e-2}),
}


def make(name, params, lr):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "sgdm":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    return torch.optim.Adam(params, lr=lr)


def main():
    for fname, (f, start, lrs) in CASES.items():
        lines = ["optimizer,lr,step,x,y"]
        for opt_name, lr in lrs.items():
            p = torch.tensor(start, requires_grad=True)
            opt = make(opt_name, [p], lr)
            for step in range(STEPS + 1):
                x, y = p.detach().tolist()
                lines.append(f"{opt_name},{lr!r},{step},{x!r},{y!r}")
                opt.zero_grad()
                f(p).backward()
                opt.step()
        with open(os.path.join(HERE, fname + ".csv"), "w") as out:
            out.write("\n".join(lines) + "\n")
    print("torch", torch.__version__)


if __name__ == "__main__":
    main()
