"""The NumPy API against the library's registry (descent optimizers --format json), read here
apart from the package's own reading: every optimizer a class, every default the registry's in
every convention (test_torch_registry.py does descent.torch)."""
import json

import numpy as np
import pytest

import descent
from descent import _core

REGISTRY = json.loads(_core.registry_json())  # read here, apart from the package's own reading
ROWS = {o["name"]: o for o in REGISTRY["optimizers"]}


def defaults(name, convention="pytorch"):
    return {o["name"]: o["defaults"][convention] for o in ROWS[name]["options"]}


def test_the_package_shows_the_registry():
    assert [o["name"] for o in descent.optimizers()] == list(ROWS)
    assert descent.conventions() == REGISTRY["conventions"] == ["seed", "pytorch", "keras"]
    descent.optimizers()[0]["options"].clear()  # a copy: the package's registry stays whole
    assert descent.optimizers()[0]["options"]


@pytest.mark.parametrize("name", list(ROWS))
@pytest.mark.parametrize("convention", REGISTRY["conventions"])
def test_every_registry_optimizer_is_a_numpy_class_with_the_registrys_defaults(name, convention):
    cls = getattr(descent, descent.class_name(name))
    assert cls.name == name and descent.optimizer  # by class and by name
    w, g = np.zeros(3), np.zeros(3)
    for opt in (cls([("w", w, g)], convention=convention), descent.optimizer(name, [("w", w, g)],
                                                                             convention=convention)):
        assert opt.options() == defaults(name, convention)
    assert cls.defaults(convention) == defaults(name, convention)
    for o in ROWS[name]["options"]:
        assert o["name"] in cls.__doc__ and o["doc"] in cls.__doc__
