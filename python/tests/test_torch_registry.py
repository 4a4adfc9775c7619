"""descent.torch against the library's registry: each class's defaults are the registry's pytorch
defaults and torch.optim's own, every registry optimizer is reachable, a rename breaks the import."""
import copy
import inspect

import numpy as np
import pytest

import descent
from test_registry import ROWS, defaults

torch = pytest.importorskip("torch")
import descent.torch as dt  # noqa: E402


CLASSES = [getattr(dt, n) for n in dt.__all__]
# What a NumPy optimizer built without state options reports: the library's defaults.
STATE_OPTIONS = descent.SGD([("w", np.zeros(1), np.zeros(1))]).state_options()


def core_options(opt):
    return dict(opt._cohorts[0].core.options(0))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_each_torch_class_defaults_to_its_registry_rows_pytorch_defaults(cls):
    row = ROWS[cls._optimizer]
    sig = inspect.signature(cls.__init__).parameters
    mapped = set()
    for option, arg, index, _ in cls._mapping:
        default = sig[arg].default if index is None else sig[arg].default[index]
        assert default == defaults(row["name"])[option], f"{cls.__name__}({arg}=...) vs the registry's {option}"
        mapped.add(arg)
    # descent's own keyword-only arguments, how the state is stored: the library's StateOptions defaults
    state = {"state_dtype", "state_rounding", "state_seed", "state_min_size"}
    assert all(sig[k].kind is inspect.Parameter.KEYWORD_ONLY for k in state)
    opt = cls([torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))])
    assert {k: sig[k].default for k in state} == STATE_OPTIONS
    # and master_weights (bfloat16 parameters only): keyword-only, off as in the library's StateOptions
    assert sig["master_weights"].kind is inspect.Parameter.KEYWORD_ONLY
    assert sig["master_weights"].default is opt._cohorts[0].core.state_options(0)["master_weights"] is False
    assert core_options(opt) == defaults(row["name"])  # every option, the unmapped ones too
    assert mapped | {"foreach", "fused", "capturable", "differentiable", "master_weights"} | state >= \
        set(sig) - {"self", "params"}


@pytest.mark.parametrize("cls", [c for c in CLASSES if hasattr(torch.optim, c.__name__)], ids=lambda c: c.__name__)
def test_each_torch_class_defaults_to_torch_optims_own(cls):
    ours = inspect.signature(cls.__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, cls.__name__).__init__).parameters
    for arg, p in theirs.items():
        if p.default is inspect.Parameter.empty or arg in ("foreach", "fused"):
            continue  # (foreach and fused choose torch's kernels: test_torch_api checks them)
        if repr(p.default) == "<required parameter>":
            continue  # torch 1.13's SGD had no default lr; the registry's is torch 2's 1e-3
        assert ours[arg].default == p.default, f"{cls.__name__}({arg}=...): {ours[arg].default} vs torch {p.default}"


def torch_class_for(name):
    """The descent.torch class that reaches registry optimizer `name`: its own, or the class of its
    rule (sgdm and nesterov are SGD with momentum, amsgrad is Adam with amsgrad)."""
    own = [c for c in CLASSES if c._optimizer == name]
    return own[0] if own else next(c for c in CLASSES if ROWS[c._optimizer]["rule"] == ROWS[name]["rule"])


@pytest.mark.parametrize("name", list(ROWS))
def test_every_registry_optimizer_is_reachable_from_descent_torch(name):
    cls = torch_class_for(name)
    want = defaults(name)
    kwargs = {}
    for option, arg, index, _ in cls._mapping:
        if index is None:
            kwargs[arg] = want[option]
        else:
            kwargs.setdefault(arg, [None, None])[index] = want[option]
    opt = cls([torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))], **kwargs)
    assert core_options(opt) == want, f"{name} through descent.torch.{cls.__name__}({kwargs})"


def test_a_registry_rename_breaks_the_import_loudly():
    row = copy.deepcopy(ROWS["adam"])
    next(o for o in row["options"] if o["name"] == "beta1")["name"] = "b1"
    with pytest.raises(ImportError, match=r"descent.torch.Adam \(the registry's adam\): torch's argument betas maps "
                                          r"to option beta1, which the registry does not have"):
        dt._derive("Adam", row, dt.Adam._args, dt.Adam._renames, dt.Adam._slots)
    row = copy.deepcopy(ROWS["adam"])
    row["slots"] = [s for s in row["slots"] if s["name"] != "v_max"]
    with pytest.raises(ImportError, match="torch's state 'max_exp_avg_sq' maps to slot v_max, which the registry"):
        dt._derive("Adam", row, dt.Adam._args, dt.Adam._renames, dt.Adam._slots)
