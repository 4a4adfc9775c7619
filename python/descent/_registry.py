"""The library's registry of optimizers, as Python data."""
from __future__ import annotations

from functools import lru_cache

from . import _core

# Python spellings of registry names that are acronyms or CamelCase; any other name is
# capitalized ("adam" -> "Adam"), so a new registry entry gets its class without an edit here.
_SPELLING = {"sgd": "SGD", "sgdm": "SGDM", "rmsprop": "RMSprop", "adamw": "AdamW", "amsgrad": "AMSGrad",
             "nadam": "NAdam", "radam": "RAdam", "lamb": "LAMB"}


def class_name(name: str) -> str:
    return _SPELLING.get(name, name.capitalize())


@lru_cache(maxsize=None)
def optimizers() -> tuple:
    """Every optimizer of the registry: name, rule, summary, the tutorial's beta names."""
    return tuple(_core.optimizers())


def registry_names() -> list[str]:
    return [o["name"] for o in optimizers()]
