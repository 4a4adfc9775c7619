#!/usr/bin/python3
"""The tutorial's experiment end to end: PyTorch eager vs `descent compare`.

Iris (shuffled with a fixed seed; first 120 train, last 30 test), one dense layer 4->3 +
softmax, MSE against the one-hot label, batches of 32, lr 0.1, 500 epochs, the five optimizers;
the mean training loss and the test accuracy every epoch. PyTorch runs it eagerly (the way
the course's code does); descent runs `descent compare` with its defaults, which is the same
experiment. Prints both times and the ratio; with --append, adds a section to BENCHMARKS.md.

    /usr/bin/python3 bench/compare_iris.py --descent build/descent --threads 1
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import torch
from sklearn.datasets import load_iris


def torch_experiment(epochs, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y = load_iris(return_X_y=True)
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(150, generator=gen)
    x = torch.tensor(x, dtype=torch.float32)[order]
    y = torch.tensor(y)[order]
    onehot = torch.nn.functional.one_hot(y, 3).float()
    xtr, ytr, xte, yte = x[:120], onehot[:120], x[120:], y[120:]
    makers = {
        "sgd": lambda p: torch.optim.SGD(p, lr=0.1),
        "sgdm": lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.1),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.1, alpha=0.9),
        "adam": lambda p: torch.optim.Adam(p, lr=0.1),
    }
    seconds = {}
    for name, make in makers.items():
        w = torch.nn.Parameter(torch.nn.init.trunc_normal_(torch.empty(4, 3), std=0.1, a=-0.2, b=0.2))
        b = torch.nn.Parameter(torch.zeros(3))
        opt = make([w, b])
        t0 = time.perf_counter()
        for _ in range(epochs):
            losses = []
            for i in range(0, 120, 32):
                opt.zero_grad()
                out = torch.softmax(xtr[i:i + 32] @ w + b, dim=1)
                loss = torch.mean((out - ytr[i:i + 32]) ** 2)
                loss.backward()
                opt.step()
                losses.append(loss.item())
            with torch.no_grad():
                accuracy = (torch.argmax(xte @ w + b, dim=1) == yte).float().mean().item()
        seconds[name] = time.perf_counter() - t0
        print(f"torch {name:>8}: {seconds[name]:.3f} s, final loss {sum(losses) / len(losses):.4f}, "
              f"test accuracy {accuracy:.3f}", flush=True)
    return seconds


def descent_experiment(exe, epochs, threads):
    with tempfile.TemporaryDirectory() as out:
        cmd = [exe, "compare", "--epochs", str(epochs), "--threads", str(threads), "--out", out]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        summary = json.load(open(os.path.join(out, "summary.json")))
    seconds = {r["optimizer"]: r["train_seconds"] for r in summary["runs"]}
    for name, s in seconds.items():
        print(f"descent {name:>8}: {s:.4f} s", flush=True)
    return " ".join(cmd[:-2]), seconds, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--descent", default="build/descent")
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--append", help="append the result as a section of this Markdown file")
    a = ap.parse_args()
    ours_cmd, ours, wall = descent_experiment(a.descent, a.epochs, a.threads)
    theirs = torch_experiment(a.epochs, a.threads)
    t_ours, t_theirs = sum(ours.values()), sum(theirs.values())
    print(f"five optimizers x {a.epochs} epochs: descent {t_ours:.4f} s training ({wall:.3f} s the whole "
          f"process, outputs and plots included), PyTorch eager {t_theirs:.3f} s: {t_theirs / t_ours:.0f}x "
          f"({t_theirs / wall:.1f}x against descent's whole process)")
    if a.append:
        rows = "\n".join(f"| {n} | {ours.get(n, float('nan')):.4f} | {theirs[n]:.3f} | {theirs[n] / ours.get(n, float('nan')):.0f}× |"
                         for n in theirs)
        with open(a.append, "a") as f:
            f.write(f"""
### The tutorial's iris experiment, end to end ({a.epochs} epochs, {a.threads} thread)

`{ours_cmd}` against the same experiment in PyTorch eager (`bench/compare_iris.py`).
descent's whole process, including writing its outputs and plots: {wall:.3f} s.

| optimizer | descent training s | PyTorch eager s | speed-up |
|---|---:|---:|---:|
{rows}
| all five | {t_ours:.4f} | {t_theirs:.3f} | {t_theirs / t_ours:.0f}× |
""")


if __name__ == "__main__":
    main()
