#!/usr/bin/env python3
"""descent.torch against torch.optim, side by side in one process (BENCHMARKS.md, "From Python").

1. The optimizer step alone, called from Python, on the GPT-2-small shapes of `descent bench`
   (124,439,808 float32 parameters in 148 tensors): descent.torch's SGD, SGD with momentum,
   Adagrad, RMSprop and Adam against torch.optim's for-loop (foreach=False), foreach=True and,
   on torch 2.x, fused=True where torch has it. The implementations step the same parameters
   and gradients in turn, round after round (paired); each figure is a median over rounds.
2. A real training loop: a torch MLP 64-128-10 on digits, batch 32, Adam, one epoch per
   implementation in turn; samples per second, median over rounds.

Run it in the venvs the Makefile makes (`make bench-python`):
    OMP_NUM_THREADS=2 build/venv/bin/python bench/python/bench_torch.py
"""
import argparse
import os
import pathlib
import platform
import statistics
import time

import numpy as np
import torch

import descent.torch as dt

TORCH2 = int(torch.__version__.split(".")[0]) >= 2
ROOT = pathlib.Path(__file__).resolve().parents[2]
BEGIN, END = "<!-- bench/python/bench_torch.py: torch {} -->", "<!-- end of bench/python/bench_torch.py: torch {} -->"


def gpt2_small():
    shapes = [(50257, 768), (1024, 768)]  # the same list as apps/descent/bench.cpp
    for _ in range(12):
        shapes += [(768,), (768,), (2304, 768), (2304,), (768, 768), (768,),
                   (768,), (768,), (3072, 768), (3072,), (768, 3072), (768,)]
    return shapes + [(768,), (768,)]


# name -> (torch.optim class, options, descent.torch class, the variants torch has)
STEPS = {
    "sgd": ("SGD", dict(lr=1e-3)),
    "sgdm": ("SGD", dict(lr=1e-3, momentum=0.9)),
    "adagrad": ("Adagrad", dict()),
    "rmsprop": ("RMSprop", dict()),
    "adam": ("Adam", dict()),
}
FUSED = {"SGD", "Adam", "AdamW", "Adagrad"}  # torch 2.x's CPU fused=True kernels


def variants(cls):
    out = [("torch for-loop", dict(foreach=False)), ("torch foreach", dict(foreach=True))]
    if TORCH2 and cls in FUSED:
        out.append(("torch fused", dict(fused=True)))
    return out


def bench_steps(names, rounds, warmup):
    gen = torch.Generator().manual_seed(0)
    params = []
    for s in gpt2_small():
        p = torch.nn.Parameter(torch.rand(s, generator=gen) * 0.2 - 0.1)
        p.grad = torch.rand(s, generator=gen) * 0.02 - 0.01
        params.append(p)
    n = sum(p.numel() for p in params)
    rows = []
    for name in names:
        cls, options = STEPS[name]
        impls = [("descent.torch", getattr(dt, cls)(params, **options))]
        impls += [(label, getattr(torch.optim, cls)(params, **options, **kw)) for label, kw in variants(cls)]
        times = {label: [] for label, _ in impls}
        with torch.no_grad():
            for r in range(warmup + rounds):
                order = impls[r % len(impls):] + impls[:r % len(impls)]  # rotate who goes first
                for label, opt in order:
                    t0 = time.perf_counter()
                    opt.step()
                    dt_ms = (time.perf_counter() - t0) * 1e3
                    if r >= warmup:
                        times[label].append(dt_ms)
        ours = times["descent.torch"]
        row = {"name": name, "descent.torch": statistics.median(ours)}
        for label, _ in impls[1:]:
            row[label] = statistics.median(times[label])
            row[label + " ratio"] = statistics.median(t / d for t, d in zip(times[label], ours))
        rows.append(row)
        print(f"{name:>8}: " + "  ".join(f"{k} {v:.2f}" for k, v in row.items() if k != "name"), flush=True)
        del impls
    return n, len(params), rows


def digits():
    raw = np.loadtxt(ROOT / "data" / "digits.csv", delimiter=",")
    return torch.tensor(raw[:, :64] / 16.0, dtype=torch.float32), torch.tensor(raw[:, 64], dtype=torch.int64)


def bench_training(rounds):
    x, y = digits()
    impls = []
    for label, make in [("descent.torch.Adam", lambda p: dt.Adam(p, lr=1e-3)),
                        ("torch.optim.Adam for-loop", lambda p: torch.optim.Adam(p, lr=1e-3, foreach=False)),
                        ("torch.optim.Adam foreach", lambda p: torch.optim.Adam(p, lr=1e-3, foreach=True))] + (
            [("torch.optim.Adam fused", lambda p: torch.optim.Adam(p, lr=1e-3, fused=True))] if TORCH2 else []):
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
        impls.append((label, model, make(model.parameters())))
    rates = {label: [] for label, _, _ in impls}
    for r in range(rounds + 1):
        order = impls[r % len(impls):] + impls[:r % len(impls)]
        for label, model, opt in order:
            perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(r))
            t0 = time.perf_counter()
            for i in range(0, len(y) - 31, 32):
                idx = perm[i:i + 32]
                opt.zero_grad(set_to_none=True)
                torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
            if r > 0:  # the first epoch warms up
                rates[label].append((len(y) // 32) * 32 / (time.perf_counter() - t0))
    out = {label: statistics.median(v) for label, v in rates.items()}
    ours = rates["descent.torch.Adam"]
    for label in rates:
        if label != "descent.torch.Adam":
            out[label + " ratio"] = statistics.median(d / t for d, t in zip(ours, rates[label]))
    print("digits MLP: " + "  ".join(f"{k} {v:,.0f}" if "ratio" not in k else f"{k} {v:.2f}" for k, v in out.items()))
    return out


def machine():
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    return f"{model}, {os.cpu_count()} cores visible, Linux {platform.release()}, Python {platform.python_version()}"


def report(args, n, tensors, rows, training, started, load):
    cmd = f"OMP_NUM_THREADS={torch.get_num_threads()} {os.path.relpath(os.sys.executable)} bench/python/bench_torch.py " \
          f"--optimizers {args.optimizers} --rounds {args.rounds} --warmup {args.warmup} " \
          f"--training-rounds {args.training_rounds}"
    labels = [k for k in rows[0] if k not in ("name", "descent.torch") and not k.endswith("ratio")]
    head = "| optimizer | descent.torch ms | " + " | ".join(f"{l} ms | {l} / descent" for l in labels) + " |"
    lines = [head, "|---|---:|" + "---:|---:|" * len(labels)]
    for row in rows:
        lines.append(f"| {row['name']} | {row['descent.torch']:.1f} | " + " | ".join(
            f"{row[l]:.1f} | {row[l + ' ratio']:.2f}×" for l in labels) + " |")
    train_lines = ["| implementation | samples/s | descent / it |", "|---|---:|---:|"]
    for k, v in training.items():
        if not k.endswith("ratio"):
            ratio = training.get(k + " ratio")
            train_lines.append(f"| {k} | {v:,.0f} | {'' if ratio is None else f'{ratio:.2f}×'} |")
    return "\n".join([
        BEGIN.format(torch.__version__),
        f"### descent.torch vs torch {torch.__version__} ({started:%Y-%m-%d %H:%M} UTC)",
        "",
        f"- Machine: {machine()}; load average (1 min) {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end.",
        f"- Threads: {torch.get_num_threads()} (torch.set_num_threads; descent.torch uses the same count).",
        f"- Command: `{cmd}`",
        f"- Step alone, GPT-2-small shapes ({n:,} float32 parameters in {tensors} tensors), called from Python,",
        f"  median of {args.rounds} paired rounds after {args.warmup} warm-up rounds; \"X / descent\" is the median",
        "  of the per-round ratios (X's time over descent.torch's): above 1, descent.torch is faster.",
        "",
        *lines,
        "",
        f"- Training loop: MLP 64-128-10 (ReLU) on digits, batch 32, Adam lr 1e-3, float32; one epoch per",
        f"  implementation in turn, median of {args.training_rounds} rounds after one warm-up round;",
        "  \"descent / it\" is the median per-round ratio of samples per second.",
        "",
        *train_lines,
        END.format(torch.__version__),
    ])


def write(path, block, version):
    text = path.read_text() if path.exists() else ""
    begin, end = BEGIN.format(version), END.format(version)
    if begin in text and end in text:
        text = text.split(begin)[0] + block + text.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def main():
    import datetime
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--optimizers", default=",".join(STEPS))
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--training-rounds", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"), help="'-' prints only")
    a = ap.parse_args()
    started, load = datetime.datetime.now(datetime.timezone.utc), os.getloadavg()
    n, tensors, rows = bench_steps(a.optimizers.split(","), a.rounds, a.warmup)
    training = bench_training(a.training_rounds)
    block = report(a, n, tensors, rows, training, started, load)
    if a.out == "-":
        print(block)
    else:
        write(pathlib.Path(a.out), block, torch.__version__)
        print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
