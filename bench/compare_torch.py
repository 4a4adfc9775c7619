#!/usr/bin/python3
"""descent vs PyTorch vs the memory roofline, in one run, written to BENCHMARKS.md.

For each preset (the shapes of `descent bench`), runs `descent bench --format json` (descent's
step and the roofline pass over the same arrays, timed alternately), then torch.optim on the
same shapes with the same thread count, both its for-loop and its foreach implementation, and
writes one table per preset. Run with Debian's python3-torch:

    /usr/bin/python3 bench/compare_torch.py --descent build/descent --threads 2
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import time

import torch

OPTIMIZERS = ["sgd", "sgdm", "adagrad", "rmsprop", "adam"]
KEEP = "<!-- notes below this line are kept when the script rewrites the file -->"


def preset_shapes(preset):
    if preset == "big":
        return [(1 << 24,)]
    if preset == "many-small":
        return [(1000,)] * 10000
    shapes = [(50257, 768), (1024, 768)]  # gpt2-small: token and position embeddings
    for _ in range(12):
        shapes += [(768,), (768,), (2304, 768), (2304,), (768, 768), (768,),
                   (768,), (768,), (3072, 768), (3072,), (768, 3072), (768,)]
    return shapes + [(768,), (768,)]


def make_torch(name, params, foreach):
    # torch.optim 1.13's defaults, which descent's pytorch convention reproduces.
    if name == "sgd":
        return torch.optim.SGD(params, lr=1e-3, foreach=foreach)
    if name == "sgdm":
        return torch.optim.SGD(params, lr=1e-3, momentum=0.9, foreach=foreach)
    if name == "adagrad":
        return torch.optim.Adagrad(params, foreach=foreach)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, foreach=foreach)
    return torch.optim.Adam(params, foreach=foreach)


def time_torch(name, shapes, foreach, steps, warmup):
    gen = torch.Generator().manual_seed(0)
    params = []
    for s in shapes:
        p = torch.nn.Parameter(torch.rand(s, generator=gen) * 0.2 - 0.1)
        p.grad = torch.rand(s, generator=gen) * 0.02 - 0.01
        params.append(p)
    opt = make_torch(name, params, foreach)
    times = []
    with torch.no_grad():
        for i in range(warmup + steps):
            t0 = time.perf_counter()
            opt.step()
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1e3)
    del opt, params
    return statistics.median(times)


def run_descent(exe, preset, threads, steps, warmup):
    cmd = [exe, "bench", "--optimizer", ",".join(OPTIMIZERS), "--preset", preset, "--threads", str(threads),
           "--steps", str(steps), "--warmup", str(warmup), "--format", "json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return " ".join(cmd), {r["optimizer"]: r for r in json.loads(out)}


def machine():
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    except OSError:
        mem_kb = 0
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
    return (f"{model}, {os.cpu_count()} cores visible, {isa}, {mem_kb / 2**20:.0f} GiB RAM, "
            f"Linux {platform.release()}, PyTorch {torch.__version__}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--descent", default="build/descent", help="the descent executable")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--presets", default="gpt2-small,big,many-small")
    ap.add_argument("--steps", type=int, default=10, help="timed steps (median reported)")
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--out", default="BENCHMARKS.md")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)

    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()[0]
    sections, commands = [], []
    for preset in a.presets.split(","):
        shapes = preset_shapes(preset)
        cmd, ours = run_descent(a.descent, preset, a.threads, a.steps, a.warmup)
        commands.append(cmd)
        rows = []
        for name in OPTIMIZERS:
            loop = time_torch(name, shapes, False, a.steps, a.warmup)
            foreach = time_torch(name, shapes, True, a.steps, a.warmup)
            d = ours[name]
            roof_ms = d["roofline_ms_per_step"]
            best = min(loop, foreach)
            rows.append(f"| {name} | {d['ms_per_step']:.2f} | {roof_ms:.2f} | {d['fraction_of_roofline']:.2f} "
                        f"| {loop:.2f} | {foreach:.2f} | {best / d['ms_per_step']:.1f}× | {best / roof_ms:.1f}× |")
            print(f"{preset:>11} {name:>8}: descent {d['ms_per_step']:8.2f} ms  roofline {roof_ms:8.2f} ms  "
                  f"torch for-loop {loop:8.2f} ms  foreach {foreach:8.2f} ms", flush=True)
        params = sum(torch.Size(s).numel() for s in shapes)
        sections.append(
            f"### {preset}: {params:,} float32 parameters in {len(shapes):,} tensors\n\n"
            "| optimizer | descent ms/step | roofline ms/step | descent / roofline | torch for-loop ms | "
            "torch foreach ms | descent speed-up vs best torch | best torch / roofline |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n")

    load = f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    # Notes written by hand below the marker (peak memory, profiles, repeated runs) survive.
    kept = ""
    if os.path.exists(a.out):
        old = open(a.out).read()
        if KEEP in old:
            kept = "\n" + KEEP + old.split(KEEP, 1)[1]
    with open(a.out + ".tmp", "w") as f:
        f.write(f"""# Benchmarks: descent vs PyTorch vs the memory roofline

Generated by `bench/compare_torch.py` on {started:%Y-%m-%d %H:%M} UTC.

- Machine: {machine()}
- Load average (1 min) of the machine: {load}.
- Threads: {a.threads} for descent (`--threads`) and PyTorch (`torch.set_num_threads`).
- Each figure is the median of {a.steps} timed steps after {a.warmup} untimed ones. The roofline
  is a plain fused pass over the same arrays (read w, g and the state; write w and the state),
  compiled like the kernels, timed alternately with descent's steps in the same process;
  "descent / roofline" is the median of the per-pair ratios (roofline time / step time).
- PyTorch runs torch.optim 1.13 with its defaults (SGD lr 1e-3, SGDM momentum 0.9), once with
  `foreach=False` (the for-loop) and once with `foreach=True`, on the same shapes.
- The machine is shared: absolute times drift from run to run; the ratios within one run are
  the figures to read.

Commands:

<!-- docs-test: skip the benchmarks run for minutes (tests/bench_cli_test.cpp runs descent bench) -->
```
/usr/bin/python3 bench/compare_torch.py --descent {a.descent} --threads {a.threads} --presets {a.presets} --steps {a.steps}
""" + "\n".join(commands) + "\n```\n\n" + "\n".join(sections) + kept)
    os.replace(a.out + ".tmp", a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
