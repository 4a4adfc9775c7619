#!/usr/bin/python3
"""Training throughput on digits: an MLP 64->128->10 (ReLU), softmax cross-entropy, batch 32,
Adam, in PyTorch eager and with `descent compare`; samples per second of training.

    /usr/bin/python3 bench/compare_digits.py --descent build/descent --threads 1
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

import torch
from sklearn.datasets import load_digits


def torch_samples_per_s(epochs, threads, train_fraction):
    torch.set_num_threads(threads)
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x, dtype=torch.float32) / 16.0
    y = torch.tensor(y)
    n = int(len(x) * train_fraction)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.perf_counter()
    for _ in range(epochs):
        for i in range(0, n, 32):
            opt.zero_grad()
            loss = loss_fn(model(x[i:i + 32]), y[i:i + 32])
            loss.backward()
            opt.step()
    return epochs * n / (time.perf_counter() - t0)


def descent_samples_per_s(exe, epochs, threads):
    with tempfile.TemporaryDirectory() as out:
        cmd = [exe, "compare", "--dataset", "digits", "--hidden", "128", "--activation", "relu", "--loss", "ce",
               "--batch-size", "32", "--optimizers", "adam", "--lr", "0.001", "--epochs", str(epochs),
               "--threads", str(threads), "--out", out]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        summary = json.load(open(os.path.join(out, "summary.json")))
    run = summary["runs"][0]
    # The number of training samples, from the summary if it says, else from the default split.
    config = summary.get("config", summary.get("configuration", {}))
    train = run.get("train_samples", config.get("train_samples") if isinstance(config, dict) else None)
    if train is None:
        train = int(1797 * 0.8)
        print(f"(summary.json has no train_samples; assuming {train})")
    return " ".join(cmd[:-2]), epochs * train / run["train_seconds"], train / 1797


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--descent", default="build/descent")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--append", help="append the result as a section of this Markdown file")
    a = ap.parse_args()
    cmd, ours, fraction = descent_samples_per_s(a.descent, a.epochs, a.threads)
    theirs = torch_samples_per_s(a.epochs, a.threads, fraction)
    print(f"digits MLP 64-128-10, Adam, batch 32: descent {ours:,.0f} samples/s, PyTorch eager {theirs:,.0f} "
          f"samples/s: {ours / theirs:.1f}x")
    if a.append:
        with open(a.append, "a") as f:
            f.write(f"""
### Digits, MLP 64-128-10, Adam, batch 32 ({a.epochs} epochs, {a.threads} thread)

`{cmd}` against the same model in PyTorch eager (`bench/compare_digits.py`).

| | samples/s |
|---|---:|
| descent | {ours:,.0f} |
| PyTorch eager | {theirs:,.0f} |
| ratio | {ours / theirs:.1f}× |
""")


if __name__ == "__main__":
    main()
