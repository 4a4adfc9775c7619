"""descent's registry of optimizers, as the generator needs it: every optimizer, its options with
their types, ranges and per-convention defaults, read from descent itself so that a new optimizer
or option is covered without touching the generator's lists.

Two sources, normalized to the same list of
  {"name": "sgdm", "rule": "sgd" (None from the CLI), "options": [{"name": "momentum", "type": "real" | "flag",
                                "range": {"lo", "hi", "lo_open", "hi_open"} (reals),
                                "defaults": {"seed": .., "pytorch": .., "keras": ..}}]}
- the JSON of `descent optimizers --format json` (a path), once the registry is data;
- until then, the CLI and the headers: `descent explain NAME --convention C --format json` prints
  every option with that convention's value; the ranges come from each options struct's fields()
  (include/descent/options.hpp, include/descent/rules/*.hpp) and the struct each optimizer is
  built from (src/core/registry.cpp).
"""
import json
import math
import os
import re
import subprocess

CONVENTIONS = ("seed", "pytorch", "keras")
INF = math.inf
RANGES = {  # the helpers of include/descent/options.hpp
    "at_least": lambda x: (x, INF, False, True),
    "greater_than": lambda x: (x, INF, True, True),
    "unit_interval_open_right": lambda: (0.0, 1.0, False, True),
    "unit_interval": lambda: (0.0, 1.0, False, False),
}


def _range(text):
    m = re.fullmatch(r"(\w+)\(([^)]*)\)", text.strip())
    fn = RANGES[m.group(1)]
    lo, hi, lo_open, hi_open = fn(float(m.group(2))) if m.group(2) else fn()
    return {"lo": lo, "hi": hi, "lo_open": lo_open, "hi_open": hi_open}


def _structs(root):
    """Options struct -> (bases, {option: range or None})."""
    out = {}
    files = [os.path.join(root, "include/descent/options.hpp")]
    rules = os.path.join(root, "include/descent/rules")
    files += [os.path.join(rules, f) for f in sorted(os.listdir(rules))]
    for path in files:
        text = open(path).read()
        for m in re.finditer(r"struct (\w+)(?: : ([\w, ]+))? \{(.*?)\n\};", text, re.S):
            fields = {}
            for f in re.finditer(r'f\("(\w+)", \w+(?:, ([^;]*?))?\);', m.group(3)):
                fields[f.group(1)] = _range(f.group(2)) if f.group(2) else None
            bases = [b.strip() for b in (m.group(2) or "").split(",") if b.strip()]
            out[m.group(1)] = (bases, fields)
    return out


def _fields(structs, name):
    bases, own = structs[name]
    out = {}
    for b in bases:
        out.update(_fields(structs, b))
    out.update(own)
    return out


def from_descent(descent, root):
    """`descent optimizers --format json` where the CLI has it, else from_cli()."""
    r = subprocess.run([descent, "optimizers", "--format", "json"], capture_output=True, text=True)
    if r.returncode == 0:
        path = os.path.join(os.path.dirname(os.path.abspath(descent)), "registry.json")
        with open(path, "w") as f:
            f.write(r.stdout)
        return from_json(path), "descent optimizers --format json"
    return from_cli(descent, root), "descent explain --format json + headers"


def from_cli(descent, root):
    help_text = subprocess.run([descent, "explain", "--help"], capture_output=True, text=True, check=True).stdout
    names = re.search(r"optimizer TEXT:\{([^}]*)\}", help_text).group(1).split(",")
    registry_cpp = open(os.path.join(root, "src/core/registry.cpp")).read()
    structs = _structs(root)
    out = []
    for name in names:
        struct = re.search(r'name == "%s"\) return with\.template operator\(\)<\w+>\((\w+)::' % name,
                           registry_cpp).group(1)
        ranges = _fields(structs, struct)
        values = {}
        for c in CONVENTIONS:
            r = subprocess.run([descent, "explain", name, "--grads", "0", "--convention", c, "--format", "json"],
                               capture_output=True, text=True, check=True)
            values[c] = json.loads(r.stdout)["options"]
        options = []
        for opt, v in values["seed"].items():
            flag = isinstance(v, bool)
            spec = {"name": opt, "type": "flag" if flag else "real",
                    "defaults": {c: values[c][opt] for c in CONVENTIONS}}
            if not flag:
                spec["range"] = ranges[opt]
            options.append(spec)
        out.append({"name": name, "options": options})
    return out


def from_json(path):
    """`descent optimizers --format json`, normalized to the list above. Accepts defaults as
    {"seed": .., ..} or [seed, pytorch, keras] (Convention's order), and a range as
    {"lo", "hi", "lo_open", "hi_open"} or as the text Range::to_string() prints ("[0, 1)")."""
    data = json.load(open(path))
    rows = data["optimizers"] if isinstance(data, dict) else data
    out = []
    for row in rows:
        options = []
        for o in row["options"]:
            flag = o["type"] == "flag"
            d = o["defaults"]
            d = dict(zip(CONVENTIONS, d)) if isinstance(d, list) else {c: d[c] for c in CONVENTIONS}
            spec = {"name": o["name"], "type": "flag" if flag else "real",
                    "defaults": {c: bool(v) if flag else float(v) for c, v in d.items()}}
            if not flag:
                spec["range"] = _json_range(o["range"])
            options.append(spec)
        out.append({"name": row["name"], "rule": row.get("rule"), "options": options})
    return out


def _num(x):
    if x is None:
        return INF
    return float(x) if not isinstance(x, str) else float(x.strip())  # "inf", "-inf"


def _json_range(r):
    if isinstance(r, str):
        m = re.fullmatch(r"\s*([\[(])\s*([^,]+),\s*([^\])]+)([\])])\s*", r)
        return {"lo": _num(m.group(2)), "hi": _num(m.group(3)), "lo_open": m.group(1) == "(",
                "hi_open": m.group(4) == ")"}
    return {"lo": _num(r["lo"]) if r.get("lo") is not None else -INF, "hi": _num(r.get("hi")),
            "lo_open": bool(r["lo_open"]), "hi_open": bool(r["hi_open"])}
