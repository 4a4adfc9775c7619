#!/usr/bin/env python3
"""descent train --distributed under mpirun (docs/distributed.md, "From the command line").

Trains the digits MLP in float64 with ddp and zero1 on 2 and 3 ranks and compares the final
weights (--dump-params) and the epoch losses with one process's `descent train` with the same
global batch. Not bit for bit: each rank's gradient is the mean over its part of the batch
times its share of the rows, so the batch's sums are added in another order than one
process's; those roundings (~1e-16 per step) stay far below the 1e-12 relative asked here.
Also: zero1's optimizer state on a rank is about 1/N of ddp's, and the options the
distributed loop does not support are refused with exit 2 and one line (from rank 0 only).

  cli_test.py DESCENT MPIEXEC WORK_DIR
"""
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

descent, mpiexec, work = sys.argv[1:4]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message, file=sys.stderr)


def run(args, ranks=None):
    command = [descent, "train"] + args
    if ranks:
        command = [mpiexec, "-np", str(ranks), "--oversubscribe", "--bind-to", "none"] + command
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def flat(x):
    return [v for y in x for v in flat(y)] if isinstance(x, list) else [x]


def weights(path):
    with open(path) as f:
        params = json.load(f)
    return {name: flat(value) for name, value in params.items()}


def metrics(out, column):  # 2: the epoch losses, 3: the test accuracies
    with open(os.path.join(out, "metrics.csv")) as f:
        return [float(line.split(",")[column]) for line in f.read().splitlines()[1:]]


def losses(out):
    return metrics(out, 2)


def relative(a, b):  # ‖a − b‖ / ‖a‖ over every element
    num = sum((x - y) ** 2 for x, y in zip(a, b))
    den = sum(x * x for x in a)
    return math.sqrt(num / den)


DIGITS = ["--dataset", "digits", "--epochs", "3", "--batch-size", "100", "--loss", "ce", "--hidden", "32"]
# (optimizer, extras): a schedule per epoch and one per step, both with the global --clip-norm;
# the weight averages (tested with, so compared through the test accuracies); and batches of 2
# on 3 ranks, where one rank has no rows in every step.
RUNS = [
    ("adam", DIGITS),
    ("adam", DIGITS + ["--schedule", "step:size=1,gamma=0.5", "--clip-norm", "0.3"]),
    ("sgdm", DIGITS + ["--schedule", "cosine:t_max=45", "--schedule-unit", "step", "--clip-norm", "0.5", "--ema", "0.9"]),
    ("lamb", DIGITS + ["--swa"]),
    ("adam", ["--dataset", "iris", "--epochs", "2", "--batch-size", "2"]),
]
worst = 0.0
start = time.monotonic()
for k, (optimizer, extras) in enumerate(RUNS):
    flags = ["--dtype", "f64", "--no-plots", "--optimizer", optimizer] + extras
    one = run(flags + ["-q", "--out", f"one{k}", "--dump-params", f"one{k}.json"])
    if one.returncode != 0:
        fail(f"{optimizer} {extras}: one process exited {one.returncode}: {one.stderr}")
        continue
    w1, l1, a1 = weights(f"one{k}.json"), losses(f"one{k}"), metrics(f"one{k}", 3)
    average = [f for f in extras if f in ("--ema", "--swa")]
    if average:  # the average must show in the accuracies, or comparing them would prove nothing
        cut = extras.index(average[0])
        plain = extras[:cut] + extras[cut + (2 if average[0] == "--ema" else 1):]
        run(["--dtype", "f64", "--no-plots", "--optimizer", optimizer, "-q", "--out", f"plain{k}"] + plain)
        if metrics(f"plain{k}", 3) == a1:
            fail(f"{optimizer} {average[0]}: the one-process test accuracies are those without it")
    for ranks in (2, 3) if "digits" in extras else (3,):
        state = {}
        for mode in ("ddp", "zero1"):
            name = f"{optimizer} {' '.join(extras[1:])} --distributed {mode} on {ranks} ranks"
            out, dump = f"run{k}_{mode}_{ranks}", f"run{k}_{mode}_{ranks}.json"
            r = run(flags + ["--distributed", mode, "--out", out, "--dump-params", dump], ranks)
            if r.returncode != 0:
                fail(f"{name}: exited {r.returncode}: {r.stderr}")
                continue
            report = re.search(rf"^distributed: {mode} on {ranks} ranks; optimizer state (\d+) bytes on rank 0 "
                               r"\((\d+) on all ranks\); rank 0 sent (\d+) bytes$", r.stdout, re.M)
            if not report:
                fail(f"{name}: no report line naming {ranks} ranks: {r.stdout}")
                continue
            state[mode] = int(report.group(1))
            if int(report.group(3)) == 0:
                fail(f"{name}: rank 0 sent nothing")
            if r.stdout.count("\nwrote ") != 1:
                fail(f"{name}: expected one 'wrote' line (rank 0's), got: {r.stdout}")
            with open(os.path.join(out, "summary.json")) as f:
                summary = json.load(f)
            if (summary["config"]["distributed"] != mode or summary["config"]["ranks"] != ranks
                    or not summary["repeat"].startswith(f"mpirun -np {ranks} descent train ")
                    or not summary["repeat"].endswith(f" --distributed {mode}")):
                fail(f"{name}: summary.json does not say how it ran: {summary['config']}, {summary['repeat']}")
            w = weights(dump)
            if w.keys() != w1.keys():
                fail(f"{name}: parameters {list(w)} != {list(w1)}")
                continue
            d = relative(sum(w1.values(), []), sum(w.values(), []))
            dl = max(abs(a - b) / abs(a) for a, b in zip(l1, losses(out)))
            worst = max(worst, d)
            if average and metrics(out, 3) != a1:
                fail(f"{name}: test accuracies {metrics(out, 3)} != one process's {a1}")
            print(f"{name}: weights relative difference {d:.2e}, epoch losses {dl:.2e}")
            if not d <= 1e-12 or not dl <= 1e-12:
                fail(f"{name}: differs from one process by {d:.3e} (weights), {dl:.3e} (losses); allowed 1e-12")
        if "ddp" in state and "zero1" in state and not state["zero1"] <= state["ddp"] * (1 / ranks + 0.02):
            fail(f"{optimizer} on {ranks} ranks: zero1 state {state['zero1']} bytes is over 1/{ranks} + 2% of "
                 f"ddp's {state['ddp']}")
print(f"largest weights difference {worst:.2e}; {time.monotonic() - start:.1f} s")

# Low-bit state under zero1: each rank keeps the codes of its share (cut on q8's blocks of 256),
# and the weights are ddp's, bit for bit (ddp steps whole tensors as one process does; with one
# piece per rank both sum the same gradients).
for form in (["--state-dtype", "q8"], ["--state-dtype", "bf16", "--state-rounding", "stochastic"],
             ["--state-dtype", "q8", "--state-rounding", "stochastic"]):
    flags = ["--dtype", "f32", "--no-plots", "--optimizer", "adam", "--state-min-size", "1000"] + DIGITS + form
    dumps, state = {}, {}
    for mode in ("ddp", "zero1"):
        r = run(flags + ["--distributed", mode, "--out", f"low_{mode}", "--dump-params", f"low_{mode}.json"], 3)
        report = re.search(r"optimizer state (\d+) bytes on rank 0", r.stdout)
        if r.returncode != 0 or not report:
            fail(f"{' '.join(form)} --distributed {mode}: exited {r.returncode}: {r.stderr}")
            break
        dumps[mode], state[mode] = weights(f"low_{mode}.json"), int(report.group(1))
    else:
        if dumps["zero1"] != dumps["ddp"]:
            fail(f"{' '.join(form)}: zero1's weights differ from ddp's")
        if not state["zero1"] <= state["ddp"] * (1 / 3 + 0.11):
            fail(f"{' '.join(form)}: zero1 state {state['zero1']} bytes is over 1/3 + 256 elements of ddp's {state['ddp']}")
        print(f"{' '.join(form)} on 3 ranks: zero1 = ddp bit for bit; state {state['zero1']} of {state['ddp']} bytes")

# Refused: exit 2 and one line, from rank 0 only (mpirun adds its own notice).
SMALL = ["--epochs", "1", "--no-plots", "-q"]


def small(args):  # SMALL, the digits data and --out refused unless args say otherwise
    return SMALL + ([] if "--dataset" in args else ["--dataset", "digits"]) + \
        ([] if "--out" in args else ["--out", "refused"]) + args


with open("a-file", "w") as f:
    f.write("not a directory\n")
REFUSED = [
    (["--distributed", "zero1", "--clip-value", "1"], "--clip-value is not supported with --distributed (yet)"),
    (["--distributed", "ddp", "--clip-norm-per-tensor", "1"],
     "--clip-norm-per-tensor is not supported with --distributed (yet)"),
    (["--distributed", "ddp", "--save", "run.ckpt"], "--save is not supported with --distributed (yet)"),
    (["--distributed", "ddp", "--resume", "run.ckpt"], "--resume is not supported with --distributed (yet)"),
    (["--distributed", "zero1", "--dtype", "bf16"], "--dtype bf16 is not supported with --distributed (yet)"),
    (["--distributed", "zero1", "--nonfinite", "skip"],
     "--nonfinite skip is not supported with --distributed zero1 (each rank sees only its share of the gradient)"),
    (["--distributed", "ddp", "--dataset", "no-such.csv"], "--dataset 'no-such.csv': not iris, digits or a readable file"),
    # Only rank 0 makes the outputs, so only rank 0 fails; the others end with it.
    (["--distributed", "zero1", "--out", "a-file/out"], None),
]
for args, message in REFUSED:
    r = run(small(args), 2)
    lines = [line for line in r.stderr.splitlines() if line.startswith("descent:")]
    if message is None and len(lines) == 1 and lines[0].startswith("descent: error: --out a-file/out"):
        message = lines[0][len("descent: error: "):]
    if r.returncode != 2 or lines != ["descent: error: " + str(message)]:
        fail(f"{' '.join(args)}: expected exit 2 and 'descent: error: {message}' once; got {r.returncode}, {lines}")
    if os.path.exists("refused"):
        fail(f"{' '.join(args)}: a refused run left its --out directory")
# An error during training (here a NaN gradient on every rank) ends the job through MPI_Abort.
for mode in ("ddp", "zero1"):
    began = time.monotonic()
    r = run(small(["--optimizer", "sgd", "--lr", "1e300", "--distributed", mode]), 3)
    took = time.monotonic() - began
    if r.returncode == 0 or took > 30 or not re.search(r"^descent: rank [012] of 3: non-finite gradient: ", r.stderr, re.M):
        fail(f"NaN under {mode}: expected the job to end with 'descent: rank R of 3: non-finite gradient'; got exit "
             f"{r.returncode} after {took:.1f} s: {r.stderr}")
    if os.path.exists("refused/metrics.csv"):
        fail(f"NaN under {mode}: the failed run wrote metrics.csv")
    shutil.rmtree("refused", ignore_errors=True)
for args, message in [(["--bucket-bytes", "4096"], "--bucket-bytes needs --distributed"),
                      (["--timeout", "5"], "--timeout needs --distributed")]:
    r = run(small(args))  # one process, no mpirun
    if r.returncode != 2 or r.stderr.strip() != "descent: error: " + message:
        fail(f"{' '.join(args)}: expected exit 2 and '{message}'; got {r.returncode}, {r.stderr!r}")

print(f"{len(failures)} failures; {time.monotonic() - start:.1f} s in all")
sys.exit(1 if failures else 0)
