#!/usr/bin/python3
"""The tutorial's iris experiment in PyTorch eager, timed beside `descent compare` in the same
run (PERFORMANCE.md: measure the peer in the same run, report ratios).

    /usr/bin/python3 bench/lab_iris_torch.py [path/to/descent]

Same experiment as `descent compare` with no flags: 120 training rows in batches of 32, 32,
32, 24, dense 4->3 + softmax, MSE, lr 0.1, 500 epochs, test accuracy on 30 rows after each
epoch, float32; torch.optim's SGD, SGD(momentum=0.9), Adagrad, RMSprop, Adam. Times the
training loop of each optimizer (the test included, as the tutorial times it), best of 3.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile
import time

import torch

IRIS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv"


def torch_runs():
    rows = list(csv.reader(open(IRIS)))[1:]
    x = torch.tensor([[float(v) for v in r[:4]] for r in rows])
    y = torch.tensor([int(r[4]) for r in rows])
    order = torch.randperm(150, generator=torch.Generator().manual_seed(116))
    x, y = x[order], y[order]
    xtr, ytr, xte, yte = x[:120], y[:120], x[120:], y[120:]
    onehot = torch.nn.functional.one_hot(ytr, 3).float()
    batches = [(xtr[b:b + 32], onehot[b:b + 32]) for b in range(0, 120, 32)]
    makers = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
        "sgdm": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.1),
        "adam": lambda p: torch.optim.Adam(p, lr=0.1),
    }
    seconds = {}
    for name, make in makers.items():
        best = float("inf")
        for _ in range(3):
            gen = torch.Generator().manual_seed(1)
            w = (torch.randn(4, 3, generator=gen) * 0.1).requires_grad_()
            b = (torch.randn(3, generator=gen) * 0.1).requires_grad_()
            opt = make([w, b])
            start = time.perf_counter()
            for _epoch in range(500):
                for xb, yb in batches:
                    opt.zero_grad()
                    loss = torch.mean((yb - torch.softmax(xb @ w + b, dim=1)) ** 2)
                    loss.backward()
                    opt.step()
                with torch.no_grad():
                    (torch.argmax(xte @ w + b, dim=1) == yte).float().mean().item()
            best = min(best, time.perf_counter() - start)
        seconds[name] = best
    return seconds


def descent_runs(cli):
    best = {}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(3):
            subprocess.run([cli, "compare", "--quiet", "--no-plots", "--out", out], check=True)
            for run in json.load(open(os.path.join(out, "summary.json")))["runs"]:
                best[run["optimizer"]] = min(best.get(run["optimizer"], float("inf")), run["train_seconds"])
    return best


def main():
    cli = sys.argv[1] if len(sys.argv) > 1 else "build/descent"
    t = torch_runs()
    d = descent_runs(cli)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; best of 3 per optimizer")
    print(f"{'optimizer':<10} {'pytorch ms':>11} {'descent ms':>11} {'ratio':>8}")
    for name in t:
        print(f"{name:<10} {t[name] * 1e3:>11.1f} {d[name] * 1e3:>11.2f} {t[name] / d[name]:>7.0f}x")
    total_t, total_d = sum(t.values()), sum(d.values())
    print(f"{'all five':<10} {total_t * 1e3:>11.1f} {total_d * 1e3:>11.2f} {total_t / total_d:>7.0f}x")


if __name__ == "__main__":
    main()
