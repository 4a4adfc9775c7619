"""The registry's optimizers over NumPy arrays, updated in place."""
from __future__ import annotations

import os
from typing import Any, Iterable

import numpy as np

from . import _core
from . import _registry
from ._registry import class_name, registry_names

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def check_array(name: str, role: str, a: Any) -> np.ndarray:
    """`a` itself, if descent can update it in place; otherwise a TypeError saying why.

    descent never copies a parameter: an update that lands on a copy is lost work."""
    where = f"parameter '{name}': {role}"
    if not isinstance(a, np.ndarray):
        kind = type(a).__module__ + "." + type(a).__qualname__
        hint = " (for torch tensors use descent.torch)" if kind.startswith("torch.") else ""
        raise TypeError(f"{where} is a {kind}, not a NumPy array{hint}")
    if a.dtype not in _FLOATS:
        raise TypeError(f"{where} has dtype {a.dtype}; descent updates float32 or float64 arrays in place "
                        f"(convert once, e.g. a = a.astype(np.float32), and keep using that array)")
    if not a.flags.c_contiguous:
        raise TypeError(f"{where} is not C-contiguous (a slice or a transpose?); pass "
                        f"np.ascontiguousarray(...) and keep using that array")
    if not a.flags.writeable:
        raise TypeError(f"{where} is read-only")
    return a


def make_param(name: str, value: Any, grad: Any) -> "_core.Param":
    if not isinstance(name, str) or not name:
        raise TypeError(f"parameter name {name!r} is not a non-empty string")
    check_array(name, "value", value)
    check_array(name, "grad", grad)
    if grad.dtype != value.dtype:
        raise TypeError(f"parameter '{name}': grad has dtype {grad.dtype}, its value {value.dtype}")
    if grad.shape != value.shape:
        raise TypeError(f"parameter '{name}': grad has shape {grad.shape}, its value {value.shape}")
    return _core.Param(name, value, grad)


def option_text(rule: str, name: str, value: Any) -> str:
    """An option's value as the library reads it: exact for floats, true/false for flags."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return repr(float(value))  # the shortest text that reads back as the same double
    raise TypeError(f"{rule}: option {name} = {value!r} is not a number or a bool")


# How a group stores its state (docs/lowbit.md): keyword arguments, per constructor or group,
# and the library's StateOptions field each sets.
STATE_KEYS = {"state_dtype": "dtype", "state_rounding": "rounding", "state_seed": "seed",
              "state_min_size": "min_size"}
STATE_DEFAULTS = {"state_dtype": "f32", "state_rounding": "nearest", "state_seed": 0, "state_min_size": 4096}


def state_core(where: str, state: dict) -> dict:
    """state_dtype=..., ... as the library's StateOptions (a dict by its field names), each
    value checked here so that the message names the argument; the library checks them together
    (stochastic rounding is for bf16 and q8 only)."""
    out = {}
    for key, value in state.items():
        if key in ("state_dtype", "state_rounding"):
            if not isinstance(value, str) or not value:
                raise TypeError(f"{where}: {key} = {value!r} is not a non-empty string")
        else:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < 2**64:
                raise ValueError(f"{where}: {key} = {value!r} is not a whole number in [0, 2^64)")
            value = int(value)
        out[STATE_KEYS[key]] = value
    return out


def split_state(options: dict) -> tuple[dict, dict]:
    """(the optimizer's options, the state_* arguments) of a keyword dict."""
    return ({k: v for k, v in options.items() if k not in STATE_KEYS},
            {k: v for k, v in options.items() if k in STATE_KEYS})


def _groups(params: Any) -> list[tuple[list, dict]]:
    params = list(params)
    if not params:
        raise ValueError("the optimizer got no parameters")
    if all(isinstance(p, dict) for p in params):
        out = []
        for i, g in enumerate(params):
            if "params" not in g:
                raise ValueError(f"parameter group {i} has no 'params'")
            opts = {k: v for k, v in g.items() if k != "params"}
            out.append((list(g["params"]), opts))
        return out
    if any(isinstance(p, dict) for p in params):
        raise TypeError("params mixes groups (dicts) and parameters (name, value, grad)")
    return [(params, {})]


def _triple(p: Any) -> tuple[str, Any, Any]:
    if not isinstance(p, (tuple, list)) or len(p) != 3:
        raise TypeError(f"a parameter is (name, value, grad), not {type(p).__name__} {p!r:.60}")
    return p[0], p[1], p[2]


class Optimizer:
    """One optimizer of the registry over NumPy arrays: `step()` updates every value in place
    from its gradient (read in place too). Options are the library's, by name (docs/python.md)."""

    name = ""  # the registry's name; each generated class sets it

    def __init__(self, params: Iterable, *, convention: str = "pytorch", no_decay: Iterable[str] = (),
                 threads: int | None = None, nonfinite: str | None = None, **options: Any):
        options, state = split_state(options)
        groups = _groups(params)
        no_decay = list(no_decay)
        if no_decay and len(groups) > 1:
            raise ValueError("no_decay splits a flat parameter list; with groups, set weight_decay per group")
        self._arrays = []  # the caller's arrays: alive as long as the optimizer views them
        built = [[make_param(*self._keep(*_triple(p))) for p in ps] for ps, _ in groups]
        base = [(k, option_text(self.name, k, v)) for k, v in options.items()]
        self._core = _core.Optimizer(self.name, built[0], convention, base, no_decay)
        for ps in built[1:]:
            self._core.add_group(ps, 0)
        for g, (_, opts) in enumerate(groups):  # each group's own options, after every group exists
            opts, own_state = split_state(opts)
            for k, v in opts.items():
                self._core.set_option(k, option_text(self.name, k, v), g)
            if state or own_state:
                self._core.set_state_options(state_core(f"{self.name} group {g}", {**state, **own_state}), g)
        if threads is not None:
            self.threads = threads
        if nonfinite is not None:
            self.nonfinite = nonfinite

    @classmethod
    def defaults(cls, convention: str = "pytorch") -> dict[str, Any]:
        """Every option with its default in `convention`, from the library's registry."""
        return _registry.defaults(cls.name, convention)

    def _keep(self, name: str, value: Any, grad: Any) -> tuple[str, Any, Any]:
        self._arrays.append((value, grad))
        return name, value, grad

    def step(self) -> None:
        """One step: every value moves by its gradient; every group's t advances by one."""
        self._core.step()

    # Groups and options
    @property
    def groups(self) -> int:
        return self._core.group_count()

    def t(self, group: int = 0) -> int:
        return self._core.t(group)

    def lr(self, group: int = 0) -> float:
        return self._core.lr(group)

    def set_lr(self, lr: float, group: int = 0) -> None:
        self._core.set_lr(float(lr), group)

    def options(self, group: int = 0) -> dict[str, Any]:
        """Every option of a group by name (flags as bools)."""
        return dict(self._core.options(group))

    def set_options(self, group: int = 0, **options: Any) -> None:
        """Sets options of one group; each is validated, so a bad value changes nothing."""
        for k, v in options.items():
            self._core.set_option(k, option_text(self.name, k, v), group)

    # How the state is stored (docs/lowbit.md)
    def set_state_options(self, group: int = 0, **state: Any) -> None:
        """Sets how a group stores its state: state_dtype ("f32", "bf16", "q8"), state_rounding
        ("nearest", "stochastic": bf16 and q8 only), state_seed, state_min_size (tensors with fewer values
        keep f32 state; 4096 by default). Arguments not given keep their value; the state kept so
        far is re-encoded."""
        unknown = [k for k in state if k not in STATE_KEYS]
        if unknown:
            raise TypeError(f"{self.name}: set_state_options() takes {', '.join(STATE_KEYS)}, not {unknown[0]}")
        self._core.set_state_options(state_core(f"{self.name} group {group}", {**self.state_options(group), **state}),
                                     group)

    def state_options(self, group: int = 0) -> dict[str, Any]:
        """How a group stores its state: {"state_dtype": ..., "state_rounding": ..., ...}."""
        core = self._core.state_options(group)
        return {k: core[f] for k, f in STATE_KEYS.items()}

    def state_dtype(self, param: int | str) -> str:
        """How a parameter's state is stored: its group's state_dtype, or "f32" for a float64
        parameter or one with fewer than state_min_size values."""
        return self._core.state_dtype(self._index(param))

    @property
    def state_bytes(self) -> int:
        """Bytes of every state slot of every parameter as stored (q8: codes and scales)."""
        return self._core.state_bytes()

    # Parameters and state
    @property
    def param_names(self) -> list[str]:
        return [p.name for p in self._core.params()]

    def _index(self, param: int | str) -> int:
        names = self.param_names
        if isinstance(param, str):
            if param not in names:
                raise KeyError(f"no parameter '{param}' (parameters: {', '.join(names)})")
            return names.index(param)
        if not 0 <= param < len(names):
            raise IndexError(f"no parameter {param} ({len(names)} parameters)")
        return param

    def state(self, param: int | str) -> dict[str, np.ndarray]:
        """A copy of every state slot the parameter's group keeps ("m", "v", ...), in its shape;
        low-bit state decoded to float32 (the values the next step reads)."""
        i = self._index(param)
        out = {}
        for slot in self._core.slot_names():
            a = self._core.state(i, slot)
            if a is not None:
                out[slot] = a
        return out

    def state_dict(self) -> dict:
        """The whole state by name (options, t, each group's state options, slots): export, and
        load_state_dict's input. Slots as stored, exactly: f32 state an array of the parameter's
        dtype, bf16 its uint16 bits, q8 {"codes": uint8, "scales": float32 per block of 256}."""
        return self._core.export_state()

    def load_state_dict(self, state: dict) -> None:
        """Loads a state_dict of the same rule over the same parameters; all or nothing."""
        self._core.import_state(state)

    def save(self, path: str | os.PathLike) -> None:
        """A checkpoint (docs/checkpoints.md) of the parameters' values and the optimizer's state,
        written atomically."""
        self._core.save(os.fspath(path))

    def load(self, path: str | os.PathLike) -> None:
        """Restores values and state from save()'s checkpoint; all checked before anything changes."""
        self._core.load(os.fspath(path))

    # Gradients
    def clip_grad_norm(self, max_norm: float, error_if_nonfinite: bool = False) -> float:
        """torch.nn.utils.clip_grad_norm_, folded into the next step (the gradients are not
        written). Returns the global norm before clipping."""
        return self._core.clip_grad_norm(float(max_norm), bool(error_if_nonfinite))

    def clip_grad_value(self, clip: float) -> None:
        """Clamps every gradient to [-clip, clip], in place."""
        self._core.clip_grad_value(float(clip))

    def grad_norm(self) -> float:
        return self._core.global_grad_norm()

    @property
    def threads(self) -> int:
        return self._core.threads()

    @threads.setter
    def threads(self, n: int) -> None:
        self._core.set_threads(int(n))

    @property
    def nonfinite(self) -> str:
        """What a step does with inf/NaN gradients: "error", "skip", "zero" or "unchecked"."""
        return self._core.nonfinite()

    @nonfinite.setter
    def nonfinite(self, policy: str) -> None:
        self._core.set_nonfinite(policy)

    @property
    def skipped_steps(self) -> int:
        return self._core.skipped_steps()

    def __repr__(self) -> str:
        return f"descent.{type(self).__name__}({len(self.param_names)} parameters, {self.groups} group(s))"


class Scheduler:
    """A learning-rate schedule from one line of text, as `descent train --schedule` reads it
    ("cosine:t_max=500", "warmup:steps=50+cosine:t_max=450", docs/lab.md): each step() sets
    every group's lr to the schedule's rate from that group's base rate."""

    def __init__(self, optimizer: Optimizer, spec: str):
        self._optimizer = optimizer
        self._core = _core.Scheduler(optimizer._core, spec)

    def step(self, metric: float | None = None) -> None:
        if metric is None:
            self._core.step()
        else:
            self._core.step_metric(float(metric))

    @property
    def steps(self) -> int:
        return self._core.steps()

    def lr(self, group: int = 0) -> float:
        return self._core.lr(group)


def optimizer(name: str, params: Iterable, **kwargs: Any) -> Optimizer:
    """The optimizer `name` of the registry ("adam", "sgdm", ...) over `params`."""
    return CLASSES[_core_name(name)](params, **kwargs)


def _core_name(name: str) -> str:
    names = registry_names()
    if name not in names:
        raise ValueError(f"unknown optimizer '{name}' (expected one of {', '.join(names)})")
    return name


def _class(name: str) -> type:
    info = _registry.entry(name)
    doc = (f"{info['summary']}: descent's {name} over NumPy arrays (docs/python.md).\n\n"
           f"Options (keyword arguments; the registry's type, range and default per convention):\n"
           f"{_registry.options_doc(name)}")
    return type(class_name(name), (Optimizer,), {"name": name, "__doc__": doc})


CLASSES: dict[str, type] = {n: _class(n) for n in registry_names()}
