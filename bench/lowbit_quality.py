#!/usr/bin/python3
"""Training quality with low-bit optimizer state (issue 14, docs/lowbit.md "Training quality").

Runs `descent compare` with Adam, AdamW, SGDM and Lion on the tutorial's iris experiment (no other
flags: the tutorial's settings) and on the digits MLP of docs/lab.md (--dataset digits --hidden 64
--loss ce; and the same with --convention pytorch --epochs 30, before it memorizes), each with f32, bf16 (round to nearest), bf16 (stochastic rounding), q8 (nearest) and q8
(stochastic) state, the same seed throughout, and prints a Markdown table of each run's test
accuracy and final training loss beside f32's, with the issue's bounds: within 0.5 percentage
points of f32's test accuracy and within 2% of its final loss; and how settled each run ends (the
range of its test accuracy over the last 50 epochs, the first epoch whose training loss is exactly
0), which says whether the last epoch's numbers can be compared at that precision at all.

Every run passes --state-min-size 0: iris's tensors (4x3 and 3 values) and most of the MLP's
(64x10, the biases) are smaller than the default min_size of 4096, and would keep f32 state, so
the table would compare f32 with f32. With min_size 0 every tensor's state is low-bit.

Usage: bench/lowbit_quality.py [--descent build/descent] [--out build/lowbit_quality]
       bench/lowbit_quality.py --weights
       bench/lowbit_quality.py --seeds 10
--weights compares bf16 weights (--dtype bf16: rounded to nearest, with --master-weights, and
rounded stochastically; f32 state) with float32 weights instead, on iris (the tutorial's five
optimizers) and digits-pytorch-30.
The second form judges the bounds over seeds: per optimizer and state, the mean and range of the
paired differences (each seed's low-bit run against f32's with that seed) on iris and
digits-pytorch-30, and how many seeds are within both bounds; one test sample is 3.3 pp of iris's
test set and 0.28 pp of digits', so one seed cannot tell a 0.5 pp bound from noise.
Standard library only; run with /usr/bin/python3 from the repository's root.

       build/venv/bin/python bench/lowbit_quality.py --v-probe
The probe behind the table's explanation instead (the Python package, `make python`): Adam's
V_t after the same 2000 shrinking gradients into 12 values, each low-bit form against float32.
"""
import argparse
import csv
import json
import os
import shlex
import subprocess
import sys

OPTIMIZERS = ["adam", "adamw", "sgdm", "lion"]
DIGITS = ["--dataset", "digits", "--hidden", "64", "--loss", "ce"]
# (name, flags, the epochs over which the last column's accuracy range is taken)
EXPERIMENTS = [("iris", [], 50), ("digits", DIGITS, 50),
               # Before the MLP memorizes its training set (the seed convention's lr 0.1 and ε = 0
               # drive the loss to exactly 0): PyTorch's defaults (Adam's lr 1e-3, ε 1e-8), 30 epochs.
               ("digits-pytorch-30", DIGITS + ["--convention", "pytorch", "--epochs", "30"], 10)]
STATES = [("f32", "f32", "nearest"), ("bf16 nearest", "bf16", "nearest"), ("bf16 stochastic", "bf16", "stochastic"),
          ("q8", "q8", "nearest"), ("q8 stochastic", "q8", "stochastic")]
ACC_BOUND_PP = 0.5  # percentage points of test accuracy
LOSS_BOUND = 0.02  # relative difference of the final training loss


# --weights: the weights' precision (docs/lowbit.md, "In the command line's lab"), f32 state.
# (name, flags, what summary.json's config must then say)
WEIGHTS = [("f32", ["--dtype", "f32"], {"dtype": "f32"}),
           ("bf16", ["--dtype", "bf16"], {"dtype": "bf16", "master_weights": False, "state_rounding": "nearest"}),
           ("bf16 master weights", ["--dtype", "bf16", "--master-weights"], {"dtype": "bf16", "master_weights": True}),
           ("bf16 stochastic", ["--dtype", "bf16", "--state-rounding", "stochastic"],
            {"dtype": "bf16", "master_weights": False, "state_rounding": "stochastic"})]
TUTORIAL = ["sgd", "sgdm", "adagrad", "rmsprop", "adam"]


def run(descent, out, experiment, flags, state, dtype, rounding, seed=None):
    """One `descent compare` of OPTIMIZERS with the state stored as asked (every tensor low-bit)."""
    asked = {"state_dtype": dtype, "state_rounding": rounding, "state_min_size": 0}
    state_flags = ["--state-dtype", dtype, "--state-rounding", rounding, "--state-min-size", "0"]
    return compare(descent, out, experiment, flags + state_flags, state, asked, OPTIMIZERS, seed)


def compare(descent, out, experiment, flags, form, asked, optimizers, seed=None):
    directory = os.path.join(out, experiment, form.replace(" ", "_"), "" if seed is None else f"seed{seed}")
    seeding = [] if seed is None else ["--seed", str(seed)]
    cmd = [descent, "compare", "--optimizers", ",".join(optimizers), *flags, *seeding, "--out", directory]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"lowbit_quality: {shlex.join(cmd)} exited with {done.returncode}: {done.stderr.strip()}")
    with open(os.path.join(directory, "summary.json")) as f:
        summary = json.load(f)
    config = summary["config"]
    if any(config.get(k) != v for k, v in asked.items()):  # the run must have stored its state as asked
        sys.exit(f"lowbit_quality: {directory}/summary.json's config has "
                 f"{ {k: config.get(k) for k in asked} }, not {asked}")
    cmd[0] = "descent"
    curves = {}
    with open(os.path.join(directory, "metrics.csv")) as f:
        for r in csv.DictReader(f):
            curves.setdefault(r["optimizer"], []).append((int(r["epoch"]), float(r["loss"]), float(r["test_accuracy"])))
    runs = {r["optimizer"]: {**r, "curve": curves[r["optimizer"]]} for r in summary["runs"]}
    return shlex.join(cmd), runs


def settling(curve, last=50):
    """How settled a run ends: its test accuracy's range over the last epochs (min, max, in %),
    and the first epoch whose training loss is exactly 0 (or None)."""
    tail = [100 * a for e, _, a in curve[-last:]]
    zero = next((e for e, loss, _ in curve if loss == 0), None)
    return min(tail), max(tail), zero


def loss_delta(loss, base):
    if base == 0:
        return 0.0 if loss == 0 else float("inf")
    return (loss - base) / base


def v_probe():
    """Adam's V_t (lr 0: the weights do not matter) over 12 values of gradient scales 0.01..1,
    each step's gradient 1 ± 0.3 of its scale times exp(−t/400), as a converging run's shrink."""
    import numpy as np
    import descent

    scale = 10.0 ** np.random.default_rng(0).uniform(-2, 0, 12)
    forms = {"f32": {}, "bf16 nearest": dict(state_dtype="bf16"),
             "bf16 stochastic": dict(state_dtype="bf16", state_rounding="stochastic"), "q8": dict(state_dtype="q8"),
             "q8 stochastic": dict(state_dtype="q8", state_rounding="stochastic")}
    v = {}
    for form, state in forms.items():
        w, g = np.zeros(12, np.float32), np.zeros(12, np.float32)
        opt = descent.Adam([("w", w, g)], lr=0.0, convention="seed", state_min_size=0, **state)
        rng = np.random.default_rng(1)
        for t in range(2000):
            g[...] = scale * rng.normal(1, 0.3, 12) * np.exp(-t / 400)
            opt.step()
        v[form] = opt.state("w")["v"].astype(np.float64)
    for form in list(forms)[1:]:
        r = v[form] / v["f32"]
        print(f"{form}: V_t / f32's after 2000 steps: median {np.median(r):.3g}, min {r.min():.3g}, max {r.max():.3g}")


def weights(args):
    """The weights' precision: the tutorial's iris experiment (its five optimizers, 500 epochs) and
    digits-pytorch-30, each with float32 weights, bf16 weights rounded to nearest, with master
    weights, and rounded stochastically; test accuracy and final loss beside float32's."""
    print("| data | optimizer | weights | test acc (%) | Δ acc (pp) | final loss | Δ loss |")
    print("|---|---|---|---:|---:|---:|---:|")
    commands = []
    for experiment, flags, optimizers in [("iris", [], TUTORIAL), ("digits-pytorch-30", EXPERIMENTS[2][1], OPTIMIZERS)]:
        runs = {}
        for form, form_flags, asked in WEIGHTS:
            command, runs[form] = compare(args.descent, os.path.join(args.out, "weights"), experiment,
                                          flags + form_flags, form, asked, optimizers)
            commands.append(command)
        for o in optimizers:
            base = runs["f32"][o]
            for form, _, _ in WEIGHTS:
                r = runs[form][o]
                acc = 100 * r["final_test_accuracy"]
                d_acc = "" if form == "f32" else f"{acc - 100 * base['final_test_accuracy']:+.2f}"
                d_loss = "" if form == "f32" else f"{100 * loss_delta(r['final_loss'], base['final_loss']):+.1f}%"
                print(f"| {experiment} | {o} | {form} | {acc:.2f} | {d_acc} | {r['final_loss']:.5g} | {d_loss} |")
    print("\nCommands:\n")
    for command in commands:
        print(f"    {command}")


def over_seeds(args):
    """The bounds over seeds: each low-bit run against f32's with the same seed, for the
    experiments a bound can judge (iris; digits before it memorizes), and per optimizer and state
    the mean and range of the paired differences and how many seeds are within both bounds."""
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    print(f"Seeds {seeds.start}..{seeds.stop - 1}, each low-bit run against f32 with the same seed.\n")
    print("| data | optimizer | state | Δ acc (pp), mean | min..max | Δ loss, mean | min..max | seeds within bounds |")
    print("|---|---|---|---:|---|---:|---|---:|")
    for experiment, flags, _ in EXPERIMENTS:
        if experiment == "digits":
            continue  # memorizes its training set in f32 itself (see the table without --seeds)
        runs = {(state, seed): run(args.descent, args.out, experiment, flags, state, dtype, rounding, seed)[1]
                for state, dtype, rounding in STATES for seed in seeds}
        for o in OPTIMIZERS:
            for state, _, _ in STATES[1:]:
                d_acc, d_loss, ok = [], [], 0
                for seed in seeds:
                    base, r = runs[("f32", seed)][o], runs[(state, seed)][o]
                    d_acc.append(100 * (r["final_test_accuracy"] - base["final_test_accuracy"]))
                    d_loss.append(loss_delta(r["final_loss"], base["final_loss"]))
                    ok += abs(d_acc[-1]) <= ACC_BOUND_PP + 1e-9 and abs(d_loss[-1]) <= LOSS_BOUND
                print(f"| {experiment} | {o} | {state} | {sum(d_acc) / len(d_acc):+.2f} | "
                      f"{min(d_acc):+.2f}..{max(d_acc):+.2f} | {100 * sum(d_loss) / len(d_loss):+.1f}% | "
                      f"{100 * min(d_loss):+.1f}%..{100 * max(d_loss):+.1f}% | {ok} of {len(seeds)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--descent", default="build/descent", help="the descent CLI")
    parser.add_argument("--out", default="build/lowbit_quality", help="where the runs write")
    parser.add_argument("--v-probe", action="store_true", help="the V_t probe instead of the table")
    parser.add_argument("--seeds", type=int, default=0, help="the bounds over this many seeds instead of the table")
    parser.add_argument("--first-seed", type=int, default=116, help="the first of --seeds (116: the tutorial's)")
    parser.add_argument("--weights", action="store_true", help="bf16 weights (--dtype bf16) instead of low-bit state")
    args = parser.parse_args()
    if args.v_probe:
        return v_probe()
    if args.weights:
        return weights(args)
    if args.seeds > 0:
        return over_seeds(args)

    rows, commands, misses = [], [], 0
    for experiment, flags, window in EXPERIMENTS:
        runs = {}
        for state, dtype, rounding in STATES:
            command, runs[state] = run(args.descent, args.out, experiment, flags, state, dtype, rounding)
            commands.append(command)
        for state, _, _ in STATES[1:]:
            same = all(runs[state][o]["final_loss"] == runs["f32"][o]["final_loss"] for o in OPTIMIZERS)
            if same:  # every optimizer's loss to the last bit: the state cannot have been low-bit
                sys.exit(f"lowbit_quality: {experiment} with {state} state ends exactly as f32 for every optimizer")
        for o in OPTIMIZERS:
            base = runs["f32"][o]
            for state, _, _ in STATES:
                r = runs[state][o]
                acc = 100 * r["final_test_accuracy"]
                d_acc = acc - 100 * base["final_test_accuracy"]
                d_loss = loss_delta(r["final_loss"], base["final_loss"])
                ok = abs(d_acc) <= ACC_BOUND_PP + 1e-9 and abs(d_loss) <= LOSS_BOUND
                if state != "f32":
                    misses += not ok
                lo, hi, zero = settling(r["curve"], window)
                rows.append((experiment, o, state, f"{acc:.2f}", "" if state == "f32" else f"{d_acc:+.2f}",
                             f"{r['final_loss']:.4g}",
                             "" if state == "f32" else ("inf" if d_loss == float("inf") else f"{100 * d_loss:+.1f}%"),
                             "" if state == "f32" else ("yes" if ok else "**no**"),
                             f"{lo:.2f}–{hi:.2f}", "" if zero is None else str(zero)))

    print("| data | optimizer | state | test acc (%) | Δ acc (pp) | final loss | Δ loss | within bounds |"
          " acc, last 50 (10) epochs (%) | loss 0 from epoch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"\nBounds: |Δ acc| ≤ {ACC_BOUND_PP} pp and |Δ loss| ≤ {100 * LOSS_BOUND:g}% of f32's; "
          f"{misses} of {len(OPTIMIZERS) * len(EXPERIMENTS) * (len(STATES) - 1)} low-bit runs miss them.")
    print("\nCommands:\n")
    for command in commands:
        print(f"    {command}")


if __name__ == "__main__":
    main()
