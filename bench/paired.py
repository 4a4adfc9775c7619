#!/usr/bin/env python3
"""Paired step-time comparison of two descent builds (docs/performance.md, "Measuring").

The machine's memory bandwidth drifts by 2x within minutes, so absolute times from separate
runs do not compare. This runs `descent bench` of build A and build B back to back, alternating
which goes first, for each optimizer; each round gives one ratio B/A of the median step times,
and the figure is the median of those ratios.

  bench/paired.py --a OLD/descent --b build/descent --optimizers sgd,sgdm,adagrad,rmsprop,adam \
      --preset big --rounds 7 [--bench-args '--state-dtype q8 --nonfinite unchecked']
"""
import argparse
import json
import statistics
import subprocess
import sys


def step_ms(binary, optimizer, preset, threads, steps, extra):
    out = subprocess.run([binary, "bench", "--optimizer", optimizer, "--preset", preset, "--threads", str(threads),
                          "--steps", str(steps), "--warmup", "2", "--format", "json"] + extra,
                         check=True, capture_output=True, text=True).stdout
    row = json.loads(out)[0]
    return row["ms_per_step"], row["fraction_of_roofline"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--a", required=True, help="the baseline descent binary")
    p.add_argument("--b", required=True, help="the descent binary under test")
    p.add_argument("--optimizers", default="sgd,sgdm,adagrad,rmsprop,adam")
    p.add_argument("--preset", default="big")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=7)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--bench-args", default="", help="more flags for both runs, e.g. '--state-dtype q8'")
    args = p.parse_args()
    if args.rounds < 1 or args.steps < 1:
        sys.exit("paired.py: --rounds and --steps must be at least 1")

    print(f"| optimizer | A ms/step (median) | B ms/step (median) | B/A (median of {args.rounds} paired ratios) "
          f"| B/A min..max | A of roofline | B of roofline |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for opt in args.optimizers.split(","):
        a_ms, b_ms, ratios, a_roof, b_roof = [], [], [], [], []
        for r in range(args.rounds):
            order = [("a", args.a), ("b", args.b)] if r % 2 == 0 else [("b", args.b), ("a", args.a)]
            got = {}
            for tag, binary in order:
                got[tag] = step_ms(binary, opt, args.preset, args.threads, args.steps, args.bench_args.split())
            a_ms.append(got["a"][0])
            b_ms.append(got["b"][0])
            a_roof.append(got["a"][1])
            b_roof.append(got["b"][1])
            ratios.append(got["b"][0] / got["a"][0])
        med = statistics.median
        print(f"| {opt} | {med(a_ms):.2f} | {med(b_ms):.2f} | {med(ratios):.3f} | {min(ratios):.2f}..{max(ratios):.2f} "
              f"| {med(a_roof):.2f} | {med(b_roof):.2f} |", flush=True)


if __name__ == "__main__":
    main()
