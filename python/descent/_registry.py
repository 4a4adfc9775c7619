"""The library's registry of optimizers, as Python data: the JSON of `descent optimizers
--format json` (descent::registry_json), read once. Every optimizer, option, default and slot the
Python package knows comes from here."""
from __future__ import annotations

import copy
import json
from functools import lru_cache

from . import _core


@lru_cache(maxsize=None)
def _registry() -> dict:
    return json.loads(_core.registry_json())


def registry() -> dict:
    """The whole registry: {"conventions": [...], "optimizers": [{name, rule, summary, options,
    slots, tutorial, ...}, ...]} (a copy: changing it changes nothing in descent)."""
    return copy.deepcopy(_registry())


def optimizers() -> tuple:
    """Every optimizer of the registry, in its order: name, rule, summary, options (type, range,
    doc, each convention's default), slots (and when each is kept), the tutorial's beta names."""
    return tuple(registry()["optimizers"])


def registry_names() -> list[str]:
    return [o["name"] for o in _registry()["optimizers"]]


def conventions() -> list[str]:
    return list(_registry()["conventions"])


def entry(name: str) -> dict:
    """The registry's row for `name` (not a copy: read it, do not change it)."""
    for o in _registry()["optimizers"]:
        if o["name"] == name:
            return o
    raise KeyError(f"the registry has no optimizer '{name}' (it has {', '.join(registry_names())})")


def defaults(name: str, convention: str = "pytorch") -> dict:
    """Every option of optimizer `name` with its default in `convention`, in the registry's order."""
    if convention not in conventions():
        raise ValueError(f"unknown convention '{convention}' (expected one of {', '.join(conventions())})")
    return {o["name"]: o["defaults"][convention] for o in entry(name)["options"]}


# Python spellings of registry names that are acronyms or CamelCase; any other name is
# capitalized ("adam" -> "Adam"), so a new registry entry gets its class without an edit here.
_SPELLING = {"sgd": "SGD", "sgdm": "SGDM", "rmsprop": "RMSprop", "adamw": "AdamW", "amsgrad": "AMSGrad",
             "nadam": "NAdam", "radam": "RAdam", "lamb": "LAMB"}
_stale = sorted(set(_SPELLING) - set(registry_names()))
if _stale:  # a registry rename must not leave a spelling (and its class name) behind silently
    raise ImportError(f"descent: _SPELLING names {', '.join(_stale)}, which the registry does not have "
                      f"(it has {', '.join(registry_names())})")


def class_name(name: str) -> str:
    return _SPELLING.get(name, name.capitalize())


def options_doc(name: str) -> str:
    """The options of `name` as a docstring block: name, type and range, each convention's
    default, the registry's doc line."""
    lines = []
    for o in entry(name)["options"]:
        kind = o["type"] + (" in " + o["range"]["text"] if "range" in o else "")
        d = ", ".join(f"{c} {json.dumps(v)}" for c, v in o["defaults"].items())
        lines.append(f"    {o['name']} ({kind}; {d}): {o['doc']}")
    return "\n".join(lines)
