#!/usr/bin/python3
"""Writes step.json: training steps of the lab's models computed by PyTorch, for
tests/lab_torch_step_test.cpp. Run with Debian's python3-torch:

    /usr/bin/python3 tests/golden/lab/generate_step.py

Each case fixes a model, an initialization and four batches (a whole epoch of 120 iris rows in
a fixed order: 32, 32, 32, 24), then records the loss of every batch and every parameter after
every step. Gradients come from torch.autograd in float64. The "seed" cases apply the
tutorial's update formulas as its code writes them (no epsilon anywhere); the "pytorch" cases
use torch.optim itself. Parameters are stored in the lab's layout: weight is inputs x outputs
(y = x.W + b, the tutorial's), the transpose of torch.nn.Linear.weight.
"""
import csv
import json
import os

import torch

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
IRIS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv"
LR = 0.1


def iris_epoch():
    rows = list(csv.reader(open(IRIS)))[1:]
    x = torch.tensor([[float(v) for v in r[:4]] for r in rows])
    y = torch.tensor([int(r[4]) for r in rows])
    order = torch.randperm(150, generator=torch.Generator().manual_seed(116))[:120]
    x, y = x[order], y[order]
    return [(x[b:b + 32], y[b:b + 32]) for b in range(0, 120, 32)]


def make_params(sizes, gen):
    """Dense layers inputs->outputs: W (in x out) and b, uniform in +-0.5 (any fixed values do)."""
    params = []
    for k, (i, o) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        w = (torch.rand(i, o, generator=gen) - 0.5).requires_grad_()
        b = (torch.rand(o, generator=gen) - 0.5).requires_grad_()
        params += [(f"dense{k}.weight", w), (f"dense{k}.bias", b)]
    return params


def forward(params, x, activation, loss):
    h = x
    layers = [(params[i][1], params[i + 1][1]) for i in range(0, len(params), 2)]
    for n, (w, b) in enumerate(layers):
        h = h @ w + b
        if n + 1 < len(layers):
            h = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid}[activation](h)
    return h


def loss_of(out, y, loss):
    if loss == "mse":  # the tutorial: y = softmax(x.w1 + b1); tf.reduce_mean(tf.square(y_ - y))
        p = torch.softmax(out, dim=1)
        onehot = torch.nn.functional.one_hot(y, p.shape[1]).to(p.dtype)
        return torch.mean((onehot - p) ** 2)
    return torch.nn.functional.cross_entropy(out, y)


class Tutorial:
    """The tutorial's formulas, state per parameter, t the global step (from 1)."""

    def __init__(self, name, params):
        self.name, self.params, self.t = name, params, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def step(self):
        self.t += 1
        beta, beta1, beta2 = 0.9, 0.9, 0.999
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                g = p.grad
                if self.name == "sgd":
                    p -= LR * g
                elif self.name == "sgdm":
                    m.copy_(beta * m + (1 - beta) * g)
                    p -= LR * m
                elif self.name == "adagrad":
                    v += g * g
                    p -= LR * g / torch.sqrt(v)
                elif self.name == "rmsprop":
                    v.copy_(beta * v + (1 - beta) * g * g)
                    p -= LR * g / torch.sqrt(v)
                elif self.name == "adam":
                    m.copy_(beta1 * m + (1 - beta1) * g)
                    v.copy_(beta2 * v + (1 - beta2) * g * g)
                    m_hat = m / (1 - beta1 ** self.t)
                    v_hat = v / (1 - beta2 ** self.t)
                    p -= LR * m_hat / torch.sqrt(v_hat)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


def torch_optimizer(name, params):
    return {
        "sgd": lambda: torch.optim.SGD(params, lr=LR),
        "sgdm": lambda: torch.optim.SGD(params, lr=LR, momentum=0.9),
        "adagrad": lambda: torch.optim.Adagrad(params, lr=LR),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=LR),
        "adam": lambda: torch.optim.Adam(params, lr=LR),
    }[name]()


def case(name, optimizer, convention, hidden, activation, loss, seed, batches):
    gen = torch.Generator().manual_seed(seed)
    named = make_params([4] + hidden + [3], gen)
    init = {n: p.detach().tolist() for n, p in named}
    tensors = [p for _, p in named]
    opt = Tutorial(optimizer, tensors) if convention == "seed" else torch_optimizer(optimizer, tensors)
    steps = []
    for x, y in batches:
        opt.zero_grad()
        l = loss_of(forward(named, x, activation, loss), y, loss)
        l.backward()
        grads = {n: p.grad.detach().clone().tolist() for n, p in named}
        opt.step()
        steps.append({"loss": l.item(), "grads": grads, "params": {n: p.detach().tolist() for n, p in named}})
    return {"name": name, "optimizer": optimizer, "convention": convention, "lr": LR, "hidden": hidden,
            "activation": activation, "loss": loss, "init": init, "steps": steps}


def main():
    batches = iris_epoch()
    cases = []
    for conv in ("seed", "pytorch"):
        for opt in ("sgd", "sgdm", "adagrad", "rmsprop", "adam"):
            cases.append(case(f"tutorial-{opt}-{conv}", opt, conv, [], "relu", "mse", 1, batches))
    cases.append(case("mlp-tanh-ce-adam-pytorch", "adam", "pytorch", [5], "tanh", "ce", 2, batches))
    cases.append(case("mlp-relu-ce-sgdm-seed", "sgdm", "seed", [6, 4], "relu", "ce", 3, batches))
    cases.append(case("mlp-sigmoid-mse-rmsprop-seed", "rmsprop", "seed", [5], "sigmoid", "mse", 4, batches))
    out = {
        "generator": "tests/golden/lab/generate_step.py",
        "torch": torch.__version__,
        "batches": [{"x": x.tolist(), "y": y.tolist()} for x, y in batches],
        "cases": cases,
    }
    with open(os.path.join(HERE, "step.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
