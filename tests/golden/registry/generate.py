#!/usr/bin/python3
"""Every optimizer x convention x option at the ends of its range, against the references, for
tests/registry_walk_test.cpp.

Run with Debian's python3-torch (1.13):  make goldens, or
  /usr/bin/python3 tests/golden/registry/generate.py REGISTRY.json     (`descent optimizers --format json`)
  /usr/bin/python3 tests/golden/registry/generate.py --descent build/descent   (its `optimizers --format
                                                     json`, or where it has none, its explain and the headers)

The optimizers, their options, ranges and per-convention defaults come from descent's registry
(registry_source.py), so a new optimizer or option gets cases here without an edit, or stops the
generator with "no reference for ..." until its formula is added to the references. For each
optimizer x convention: the preset as it is, then each option alone at the low end of its range,
just inside it, a typical value, just inside the high end and the high end (an unbounded end: a
large finite value; an open end: the end itself, which must be rejected), and each flag the other
way. Each case runs a short float64 trajectory (PARAMS, GRADS: two tensors, a zero gradient, sign
changes) through its reference, first match in this order:
  seed:    the tutorial's formulas (ref_tutorial.py), torch.optim 1.13, docs/optimizers.md in NumPy
  pytorch: torch.optim 1.13 (ref_torch.py), docs/optimizers.md in NumPy (ref_docs.py)
  keras:   Keras 3's formulas in NumPy (ref_keras.py), torch.optim for RAdam (Keras has none, its
           keras preset is PyTorch's), docs/optimizers.md in NumPy
The docs fallback is for options the library lacks (lr_in_buffer under pytorch, maximize under
keras, ...); it is written from docs/optimizers.md, never from descent's C++, and every case that
has a library reference is also run through it and must agree (to 1e-10): so the fallback is
itself tested against torch and Keras wherever they overlap. The expected preset of each
convention is presets.py (the libraries' own defaults); where descent's registry says otherwise
the generator prints it, and the cases show it.

A case whose one override would be silently ignored (an option that has no effect given the
preset: dampening, ema, buffer_starts_at_grad or lr_in_buffer with momentum 0, dampening with
ema, nesterov with momentum 0 or dampening > 0, schedule_scaled_decay without decoupled decay)
is written as "must be rejected" with the two option names; the test checks for an OptionError
naming both. An override that makes a *preset's* option moot is no such case: the keras preset of
sgdm keeps lr_in_buffer, and `--momentum 0` on it is plain SGD (Keras's SGD with momentum 0).
Options that only act with a non-zero weight_decay or eps get one (CONTEXT) when the preset has 0.
"""
import argparse
import itertools
import json
import math
import os
import sys

import numpy as np
import torch

import presets
import ref_docs
import ref_keras
import ref_torch
import ref_tutorial
import registry_source
from ref_torch import NoCounterpart

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "../../.."))

# Two tensors (LAMB's norms are per tensor), six steps: zero gradients (b at step 1, where the
# seed convention's V_1 = 0), sign changes, a zero at step 4 for a[0].
PARAMS = [("a", [0.5, -1.5]), ("b", [2.0])]
GRADS = [
    [[0.5, -0.3], [0.0]],
    [[-0.2, 0.0], [0.4]],
    [[0.1, 0.6], [-0.1]],
    [[0.0, -0.4], [0.3]],
    [[-0.3, 0.2], [0.0]],
    [[0.4, -0.1], [-0.5]],
]
# A schedule: the group's lr is lr times this before each step (Optimizer::set_lr; torch's
# param_groups; Keras reads its rate every step). It tells apart an lr kept inside a momentum
# buffer from one outside it, and decay coupled to lr or to the schedule, which a constant lr
# cannot. Scheduled variants: the preset, each flag the other way, and the momentum options.
LR_SCALE = [1.0, 0.5, 0.5, 2.0, 1.0, 0.25]
LARGE = 3e3  # an unbounded end (not 1e3: lr·λ = 1 would decay a weight to exactly 0 in one form and not the other)
INSIDE = 1e-3  # "just inside": this far from a finite end
CONTEXT_WD, CONTEXT_EPS = 0.1, 0.1
DECAY_FLAGS = ("decoupled_weight_decay", "schedule_scaled_decay")
EPS_FLAGS = ("eps_hat", "eps_inside_sqrt", "eps_inside_max")
MOMENTUM_ONLY = ("dampening", "ema", "buffer_starts_at_grad", "lr_in_buffer")  # no effect with momentum 0


def values(spec):
    """(value, reason) for a real option: both ends, just inside each, one typical value."""
    r = spec["range"]
    lo, hi = r["lo"], r["hi"]
    out = [(lo, "low end")]
    out.append((lo + INSIDE * max(1.0, abs(lo)), "just inside the low end"))
    out.append(((lo + hi) / 2 if math.isfinite(hi) else lo + 0.3, "typical"))
    if math.isfinite(hi):
        out.append((hi - INSIDE * max(1.0, abs(hi)), "just inside the high end"))
        out.append((hi, "high end"))
    else:
        out.append((LARGE, "a large finite value (unbounded)"))
    return out


def in_range(r, x):
    return (x > r["lo"] if r["lo_open"] else x >= r["lo"]) and (x < r["hi"] if r["hi_open"] else x <= r["hi"])


def ignored(rule, o, key, before):
    """The option names of a silently ignored combination made by overriding `key`, or None."""
    if o[key] == before:
        return None  # the preset's own value: nothing asked for
    if rule == "sgd":
        if o["nesterov"] and o["momentum"] == 0:
            return ["nesterov", "momentum"]
        if o["nesterov"] and o["dampening"] > 0:
            return ["nesterov", "dampening"]
        if key in MOMENTUM_ONLY and o["momentum"] == 0:
            return [key, "momentum"]
        if key in ("dampening", "ema") and o["ema"] and o["dampening"] > 0:
            return ["dampening", "ema"]
    if rule == "rmsprop" and key == "lr_in_buffer" and o["momentum"] == 0:
        return ["lr_in_buffer", "momentum"]
    if key == "schedule_scaled_decay" and o[key] and not o["decoupled_weight_decay"]:
        return ["schedule_scaled_decay", "decoupled_weight_decay"]
    return None


def context(key, preset):
    """Overrides that give `key` an effect it would not have in this preset."""
    if key in DECAY_FLAGS and preset["weight_decay"] == 0:
        return {"weight_decay": CONTEXT_WD}
    if key in EPS_FLAGS and preset["eps"] == 0:
        return {"eps": CONTEXT_EPS}
    return {}


def finite(traj):
    return all(math.isfinite(x) for step in traj for x in step)


def reference(name, convention, o):
    rule = presets.RULE[name]
    init = [np.array(v) for _, v in PARAMS]
    grads = [[np.array(g) for g in step] for step in GRADS]
    chain = {"seed": [lambda: ref_tutorial.reference(name, o, init, grads),
                      lambda: ref_torch.reference(rule, o, init, grads)],
             "pytorch": [lambda: ref_torch.reference(rule, o, init, grads)],
             "keras": [lambda: ref_keras.reference(rule, o, init, grads)]
             + ([lambda: ref_torch.reference(rule, o, init, grads)] if rule == "radam" else [])}[convention]
    docs = ref_docs.reference(rule, o, init, grads)
    for attempt in chain:
        try:
            source, traj = attempt()
        except NoCounterpart:
            continue
        if not finite(traj):
            continue  # a zero denominator with eps = 0: the library's 0/0; docs define the step as 0
        worst = max(abs(x - y) / max(1.0, abs(y)) for s, d in zip(traj, docs) for x, y in zip(s, d))
        if worst > 1e-10:
            raise SystemExit("ref_docs disagrees with %s for %s/%s %s: %g" % (source, name, convention, o, worst))
        return source, traj
    return "docs/optimizers.md", docs  # in NumPy: ref_docs.py


def rounded(traj):
    """The trajectory, flattened, to 14 digits: 5e-15 relative, far inside the test's 1e-12, and
    the file a tenth smaller than at 17."""
    return [float("%.14g" % x) for step in traj for x in step]


def text(x):
    if isinstance(x, bool):
        return "true" if x else "false"
    return repr(float(x))


def cases_for(spec, convention, expected):
    name, rule = spec["name"], presets.RULE[spec["name"]]
    registry = {o["name"]: o["defaults"][convention] for o in spec["options"]}
    plan = [("", None, {}, "the preset", False), ("", None, {}, "the preset, under a schedule", True)]
    for o in spec["options"]:
        key = o["name"]
        if o["type"] == "flag":
            plan.append((key, not registry[key], context(key, expected), "the other way", False))
            plan.append((key, not registry[key], context(key, expected), "the other way, under a schedule", True))
        else:
            plan += [(key, v, {}, why, False) for v, why in values(o)]
            if key == "momentum":
                plan.append((key, 0.5, {}, "typical, under a schedule", True))
    out = []
    for key, value, extra, why, scheduled in plan:
        overrides = dict(extra)
        if key:
            overrides[key] = value
        case = {"option": key, "why": why, "overrides": {k: text(v) for k, v in overrides.items()}}
        if scheduled:
            case["schedule"] = True
        spec_of = {o["name"]: o for o in spec["options"]}
        # Rejection is about descent's preset (what the override changes); the trajectory is the
        # reference's (the convention's own preset).
        o = dict(expected, **overrides)
        if key and spec_of[key]["type"] == "real" and not in_range(spec_of[key]["range"], value):
            case["reject"] = [key]
        elif key and ignored(rule, dict(registry, **overrides), key, registry.get(key)):
            case["reject"] = ignored(rule, dict(registry, **overrides), key, registry.get(key))
        elif o.get("nesterov") and o["momentum"] == 0:
            case["reject"] = ["nesterov", "momentum"]  # the convention's own preset forbids it too
        if "reject" in case:
            if not scheduled:  # a schedule changes nothing about a refusal
                out.append(case)
            continue
        if scheduled:
            o["lr_scale"] = LR_SCALE
        case["reference"], traj = reference(name, convention, o)
        case["w"] = rounded(traj)
        out.append(case)
    return out


def pair_cases(spec, convention, expected):
    """Two of the rule's flags the other way at once (and, where the preset has no momentum, momentum
    0.5 with each flag): the combinations a user reaches by typing two options. Only the accepted
    ones: which of two refusals comes first is the rule's choice, and each is a single case above."""
    name, rule = spec["name"], presets.RULE[spec["name"]]
    registry = {o["name"]: o["defaults"][convention] for o in spec["options"]}
    flags = [o["name"] for o in spec["options"] if o["type"] == "flag" and o["name"] not in DECAY_FLAGS]
    pairs = [((a, not registry[a]), (b, not registry[b])) for a, b in itertools.combinations(flags, 2)]
    if registry.get("momentum") == 0:
        pairs += [(("momentum", 0.5), (f, not registry[f])) for f in flags]
    out = []
    for (k1, v1), (k2, v2) in pairs:
        overrides = dict(context(k1, expected), **context(k2, expected))
        overrides.update({k1: v1, k2: v2})
        actual, o = dict(registry, **overrides), dict(expected, **overrides)
        if ignored(rule, actual, k1, registry[k1]) or ignored(rule, actual, k2, registry[k2]):
            continue
        if o.get("nesterov") and o["momentum"] == 0:
            continue
        case = {"option": k1, "why": "with " + k2, "overrides": {k: text(v) for k, v in overrides.items()}}
        case["reference"], traj = reference(name, convention, o)
        case["w"] = rounded(traj)
        out.append(case)
    return out


def preset_differences(spec, convention, expected):
    out = []
    for o in spec["options"]:
        have, want = o["defaults"][convention], expected.get(o["name"])
        if want is None:
            raise SystemExit("no reference for %s option %s (add it to presets.py and the references)"
                             % (spec["name"], o["name"]))
        if (have != want) if isinstance(want, bool) else abs(float(have) - want) > 1e-15 * abs(want):
            out.append("%s/%s: descent's preset has %s = %s, the convention's %s" %
                       (spec["name"], convention, o["name"], text(have), text(want)))
    return out


def sanity_nadam():
    """ref_docs's NAdam against torch's, at torch's float32 product's precision."""
    init = [np.array(v) for _, v in PARAMS]
    grads = [[np.array(g) for g in step] for step in GRADS]
    for extra_mu in (True, False):
        o = dict(presets.presets("nadam")["pytorch"], extra_mu=extra_mu)
        mine = ref_docs.reference("nadam", o, init, grads)
        theirs = ref_torch.nadam(o, init, grads, single_tensor=extra_mu)
        worst = max(abs(x - y) / max(1.0, abs(y)) for s, d in zip(mine, theirs) for x, y in zip(s, d))
        if worst > 1e-6:
            raise SystemExit("ref_docs NAdam (extra_mu=%s) disagrees with torch: %g" % (extra_mu, worst))


def main():
    np.seterr(all="ignore")  # a library reference that divides by 0 is skipped (finite())
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("registry", nargs="?", help="`descent optimizers --format json` output")
    ap.add_argument("--descent", help="the descent CLI, when there is no registry JSON")
    ap.add_argument("--out", default=os.path.join(HERE, "cases.json"))
    args = ap.parse_args()
    if args.registry:
        registry, source = registry_source.from_json(args.registry), "descent optimizers --format json"
    elif args.descent:
        registry, source = registry_source.from_descent(args.descent, ROOT)
    else:
        ap.error("give the registry JSON or --descent")
    sanity_nadam()
    groups, differences = [], []
    for spec in registry:
        if spec["name"] not in presets.RULE:
            raise SystemExit("no reference for optimizer %s (add it to presets.py and the references)" % spec["name"])
        if spec.get("rule") not in (None, presets.RULE[spec["name"]]):
            raise SystemExit("%s runs rule %s in the registry, %s in docs/optimizers.md" %
                             (spec["name"], spec["rule"], presets.RULE[spec["name"]]))
        expected = presets.presets(spec["name"])
        for c in registry_source.CONVENTIONS:
            differences += preset_differences(spec, c, expected[c])
            groups.append({"optimizer": spec["name"], "convention": c,
                           "cases": cases_for(spec, c, expected[c]) + pair_cases(spec, c, expected[c])})
    cases = [case for g in groups for case in g["cases"]]
    for d in differences:
        print("preset differs:", d, file=sys.stderr)
    doc = {"generator": "tests/golden/registry/generate.py", "registry": source, "torch": torch.__version__,
           "params": [{"name": n, "init": v} for n, v in PARAMS], "grads": GRADS, "lr_scale": LR_SCALE,
           "groups": groups}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, args.out)
    rejected = sum(1 for c in cases if "reject" in c)
    print("%s: %d cases (%d must be rejected), %d bytes" % (args.out, len(cases), rejected, os.path.getsize(args.out)))


if __name__ == "__main__":
    main()
