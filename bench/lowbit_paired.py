#!/usr/bin/env python3
"""Paired step times of low-bit state against float32 state (docs/lowbit.md, issue 14's targets).

The memory bus is shared and its bandwidth drifts by 2x within minutes, so absolute times from
separate runs do not compare. Each round runs `descent bench` once per state form back to back
(the order rotating from round to round), and gives one ratio f32 time / form time per form; the
figures are the medians of those ratios. Each run also times its own roofline (a plain pass over
the same bytes, alternating with the steps), so "of roofline" is the form's fraction of the
bandwidth limit for its own byte count.

  /usr/bin/python3 bench/lowbit_paired.py --descent build/descent --optimizer adam \\
      --preset gpt2-small --threads 2 --steps 7 --rounds 7
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

FORMS = {
    "f32": ["--state-dtype", "f32"],
    "bf16": ["--state-dtype", "bf16"],
    "bf16-stochastic": ["--state-dtype", "bf16", "--state-rounding", "stochastic"],
    "q8": ["--state-dtype", "q8"],
    "q8-stochastic": ["--state-dtype", "q8", "--state-rounding", "stochastic"],
}


def bench(args, form):
    cmd = [args.descent, "bench", "--optimizer", args.optimizer, "--preset", args.preset, "--threads",
           str(args.threads), "--steps", str(args.steps), "--warmup", "2", "--nonfinite", args.nonfinite,
           "--format", "json"] + FORMS[form]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--descent", default="build/descent")
    p.add_argument("--optimizer", default="adam")
    p.add_argument("--preset", default="gpt2-small")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=7)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--nonfinite", default="unchecked", help="descent bench --nonfinite (unchecked: no extra read of g)")
    p.add_argument("--forms", default=",".join(FORMS))
    args = p.parse_args()
    forms = args.forms.split(",")
    if "f32" not in forms or any(f not in FORMS for f in forms):
        sys.exit(f"lowbit_paired.py: --forms must include f32 and be some of {', '.join(FORMS)}")
    if args.rounds < 1 or args.steps < 1:
        sys.exit("lowbit_paired.py: --rounds and --steps must be at least 1")

    print(f"command: {' '.join(sys.argv)}")
    print(f"load average at the start: {os.getloadavg()[0]:.1f}")
    rows = {f: [] for f in forms}
    for r in range(args.rounds):
        order = forms[r % len(forms):] + forms[:r % len(forms)]
        for f in order:
            rows[f].append(bench(args, f))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}\n")

    med = statistics.median
    print(f"| state | bytes/param | state / f32 state | ms/step (median) | roofline ms (median) | of own roofline "
          f"(median) | speed vs f32 (median of {args.rounds} paired ratios) | min..max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for f in forms:
        ratios = [a["ms_per_step"] / b["ms_per_step"] for a, b in zip(rows["f32"], rows[f])]
        x = rows[f]
        print(f"| {f} | {x[0]['bytes_per_param']:.3f} | {x[0]['state_fraction']:.4f} "
              f"| {med(r['ms_per_step'] for r in x):.2f} | {med(r['roofline_ms_per_step'] for r in x):.2f} "
              f"| {med(r['fraction_of_roofline'] for r in x):.3f} | {med(ratios):.3f}× "
              f"| {min(ratios):.2f}..{max(ratios):.2f} |", flush=True)


if __name__ == "__main__":
    main()
