"""descent.torch: drop-ins for torch.optim that step CPU tensors in place with descent's kernels.

Each class is a torch.optim.Optimizer with torch.optim's constructor signature and defaults
(the current torch's; the arguments 1.13 had are accepted too). Every step reads each group's
hyperparameters (so torch's lr_schedulers work unchanged) and each parameter's gradient storage
(zero_grad(set_to_none=True) reallocates it). The state lives in descent; `state` and
`state_dict()` show it in torch.optim's format, and `load_state_dict` takes torch.optim's.

bfloat16 parameters (and gradients) step in float32 and are rounded once per step; their state
is float32, and master_weights=True keeps a float32 copy of the weights, state key "master"
(docs/python.md, "bf16 parameters (descent.torch)")."""
from __future__ import annotations

import inspect
import math
import re
from collections import defaultdict
from typing import Any, Callable

import numpy as np
import torch

from . import _core, _registry
from ._numpy import STATE_DEFAULTS, STATE_KEYS, state_core

_TORCH2 = int(torch.__version__.split(".")[0]) >= 2
_FLOATS = {torch.float32: _core.DType.f32, torch.float64: _core.DType.f64, torch.bfloat16: _core.DType.bf16}
_DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64", torch.bfloat16: "bfloat16"}  # the library's
_MASTER = "master"  # the library's slot of the float32 master weights, and its key in `state`


def _state_dtype(p: torch.Tensor) -> torch.dtype:
    """The dtype of a parameter's state as descent keeps it: its own, float32 for bfloat16."""
    return torch.float32 if p.dtype == torch.bfloat16 else p.dtype


def _scalar_dtype() -> torch.dtype:
    """The dtype torch.optim gives its `step` tensors."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


# torch.optim's arguments that pick its implementation (or refuse what descent cannot do), not
# the math: no registry option, so their defaults are torch's own.
_IMPLEMENTATION = {"foreach": None, "fused": None, "capturable": False, "differentiable": False}


class _Descent(torch.optim.Optimizer):
    """What every descent.torch optimizer shares. A subclass declares only which registry
    optimizer it is and torch's names: its signature, defaults and option mapping are derived
    from the library's registry when the class is made (`_derive`), so a registry rename breaks
    it at import and a changed default changes it, never silently."""

    _optimizer = ""             # the registry's name of the optimizer ("adam", "adamw", ...)
    _args = ""                  # torch's arguments after params, in torch's order; "*": keyword-only from there
    _renames: dict[str, Any] = {}  # torch's argument -> descent's option (a tuple: betas -> beta1, beta2)
    _slots: dict[str, str] = {}  # torch's state key -> descent's slot, in torch's order
    _has_step = True            # torch keeps state["step"]
    _state_at_init = False      # torch fills the state at construction (Adagrad)
    _int_step_1_13 = False      # torch 1.13 keeps `step` as a Python int (RMSprop, Adadelta)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._signature, cls._mapping = _derive(cls.__name__, _registry.entry(cls._optimizer), cls._args,
                                               cls._renames, cls._slots)
        if "__init__" in cls.__dict__:
            return  # a user's subclass with its own constructor: super().__init__ is its parent's

        def __init__(self, params, *args, **kwargs):
            try:
                bound = cls._signature.bind(self, params, *args, **kwargs)
            except TypeError as e:
                raise TypeError(f"{cls._name()}: {e}") from None
            bound.apply_defaults()
            defaults = {k: v for k, v in bound.arguments.items() if k not in ("self", "params")}
            self._check_arguments(defaults)
            _Descent._setup(self, params, defaults)

        __init__.__signature__ = cls._signature
        __init__.__doc__ = f"torch.optim's signature; the defaults are the registry's {cls._optimizer} (pytorch)."
        cls.__init__ = __init__

    def _check_arguments(self, defaults: dict[str, Any]) -> None:
        """Checks torch.optim makes at construction with its own message (SGD's nesterov)."""

    def _setup(self, params: Any, defaults: dict[str, Any]):
        for flag in ("capturable", "differentiable"):
            if defaults.get(flag):
                raise ValueError(f"{self._name()}: {flag}=True is not supported: descent steps CPU tensors "
                                 f"outside autograd and CUDA graphs (use torch.optim for it)")
        self._cohorts = None
        self._mirror = defaultdict(dict)
        self._mirror_stale = False  # the core has stepped since the mirror was made
        self._mirror_dirty = False  # the mirror may differ from the core (read, written or loaded)
        super().__init__(params, defaults)
        self._build()
        self._mirror_stale, self._mirror_dirty = True, False  # the core holds the state from here

    @classmethod
    def _name(cls) -> str:
        return f"descent.torch.{cls.__name__}"

    # --- what a subclass says ---------------------------------------------------------------
    def _options(self, group: dict) -> list[tuple[str, Any, str]]:
        """(descent's option, value, torch's argument) for one group, in the registry's order."""
        out = []
        for option, arg, index, is_flag in self._mapping:
            value = group.get(arg, self.defaults[arg])
            if index is not None:
                value, arg = value[index], f"{arg}[{index}]"
            out.append((option, bool(value) if is_flag else value, arg))
        return out

    def _initial_slot(self, key: str, group: dict, p: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(p, dtype=_state_dtype(p), memory_format=torch.contiguous_format)

    def _extra_state(self, entry: dict, group: dict, t: int, p: torch.Tensor) -> None:
        """Adds state torch keeps beyond the slots (NAdam's mu_product)."""

    # --- the state, as torch.optim shows it ------------------------------------------------
    @property
    def state(self):  # type: ignore[override]
        if getattr(self, "_cohorts", None) is not None and (self._mirror_stale or self._mirror is None):
            self._mirror = self._export()
            self._mirror_stale = False
        self._mirror_dirty = True  # the caller holds it and may change it, as torch.optim allows
        return self._mirror

    @state.setter
    def state(self, value):
        self._mirror = value
        self._mirror_stale = False
        self._mirror_dirty = True

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        mirror = state.pop("state", None)
        super().__setstate__(state)
        if mirror is not None:
            self.state = mirror
        for group in self.param_groups:
            for k, v in self.defaults.items():
                group.setdefault(k, v)

    def __getstate__(self) -> dict:
        out = super().__getstate__()
        out = dict(out)
        out.pop("_cohorts", None)
        out["state"] = self.state
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """torch.optim's format (or this optimizer's own state_dict()): all checked and copied
        into descent before anything changes; on an error the optimizer is as it was."""
        if getattr(self, "_cohorts", None) is None:
            self._build()  # unpickled (copy.deepcopy, torch.load): the cores are made anew
        saved = (self.param_groups, self._mirror, self._mirror_stale, self._mirror_dirty, self._cohorts)
        try:
            super().load_state_dict(state_dict)
            self._uncast_bf16_state(state_dict)
            self._sync_structure()
            self._import(self._mirror)
        except Exception:
            self.param_groups, self._mirror, self._mirror_stale, self._mirror_dirty, self._cohorts = saved
            for c in self._cohorts:  # the failed load may have set options: the groups' own again
                c.applied = {}
            self._apply_options()
            raise

    def _uncast_bf16_state(self, state_dict: dict) -> None:
        """The state of each bfloat16 parameter as given, not as torch's load_state_dict cast it.
        torch casts every floating-point state tensor to its parameter's dtype (its own state of a
        bf16 parameter is bf16), but descent keeps a bf16 parameter's state, and its master
        weights, in float32: cast to bf16 they would lose 16 bits each, the master weights would
        be the bf16 weights again, and the "lowbit" integers above 256 (bf16 state's bits) would
        change, so a round trip would not resume bit for bit."""
        saved = [k for g in state_dict["param_groups"] for k in g["params"]]  # torch pairs them in order
        params = [p for g in self.param_groups for p in g["params"]]
        for k, p in zip(saved, params):
            if p.dtype == torch.bfloat16 and k in state_dict["state"]:
                self._mirror[p] = dict(state_dict["state"][k])

    def _export(self) -> dict:
        rows = {}
        for c in self._cohorts:
            s = c.core.export_state()
            t = s["groups"][0]["t"]
            if t == 0 and not self._state_at_init:
                continue  # torch.optim: no state before a parameter's first step
            for k, info in enumerate(s["params"]):
                i = int(info["name"])
                stored = c.core.state_dtype(k)
                slots = info["slots"] if stored == "f32" else {n: c.core.state(k, n) for n in info["slots"]}
                group, p = self.param_groups[c.group], self._params[i]
                entry = self._entry(t, slots, group, p)
                if _MASTER in slots:
                    entry = entry or {}
                    entry[_MASTER] = torch.from_numpy(slots[_MASTER]).reshape(p.shape)
                # SGD and Lion keep no step, but stochastic rounding of bf16 weights is keyed by it
                keyed = not self._has_step and p.dtype == torch.bfloat16 and \
                    self._group_state(group)["state_rounding"] == "stochastic"
                if stored != "f32" and (entry is not None or keyed):
                    entry = entry or {}
                    entry["lowbit"] = self._lowbit_entry(stored, t, info["slots"], p)
                elif keyed:
                    entry = entry or {}
                    entry["lowbit"] = {"step": torch.tensor(t, dtype=torch.int64)}
                if entry is not None:
                    rows[i] = entry
        out = defaultdict(dict)
        for i in sorted(rows):
            out[self._params[i]] = rows[i]
        return out

    def _entry(self, t: int, slots: dict, group: dict, p: torch.Tensor) -> dict | None:
        entry: dict[str, Any] = {}
        if self._has_step:
            entry["step"] = t if self._int_step_1_13 and not _TORCH2 else torch.tensor(float(t), dtype=_scalar_dtype())
        for key, slot in self._slots.items():
            if slot in slots:
                entry[key] = torch.from_numpy(slots[slot]).reshape(p.shape)
        self._extra_state(entry, group, t, p)
        return entry

    def _lowbit_entry(self, stored: str, t: int, slots: dict, p: torch.Tensor) -> dict:
        """Low-bit state exactly as stored, beside the decoded tensors torch's format shows: what
        load_state_dict takes back bit for bit. Tensors (torch.load(weights_only=True) reads
        them); torch's load casts them to the parameter's dtype, which keeps their integers. No
        strings: torch 1.13's load_state_dict rebuilds any iterable, a str into another text. The
        keys say the form: q8 {"codes", "scales"}, bf16 {"bits"}."""
        # The step count, which stochastic rounding's random stream is keyed by: torch keeps none
        # for SGD and Lion. "step" is the key torch's load does not cast.
        out: dict[str, Any] = {"step": torch.tensor(t, dtype=torch.int64)}
        for key, slot in self._slots.items():
            if slot not in slots:
                continue
            if stored == "q8":
                out[key] = {"codes": torch.from_numpy(slots[slot]["codes"]).reshape(p.shape),
                            "scales": torch.from_numpy(slots[slot]["scales"])}
            else:  # bf16's 16 bits (torch 1.13 has no uint16)
                out[key] = {"bits": torch.from_numpy(slots[slot].view(np.int16)).reshape(p.shape)}
        return out

    def _stored_slot(self, entry: dict, key: str, i: int) -> tuple[str, Any] | None:
        """Slot `key` of a state entry's "lowbit" part as import_state takes it, or None."""
        lowbit = entry.get("lowbit")
        if not isinstance(lowbit, dict) or not isinstance(lowbit.get(key), dict):
            return None
        where = f"{self._name()}: state 'lowbit' '{key}' of parameter {i}"

        def integers(t: Any, lo: int, hi: int, dtype: Any) -> np.ndarray:
            if not torch.is_tensor(t):
                raise ValueError(f"{where} is not a tensor")
            t = t.detach().cpu().reshape(-1)
            if t.is_floating_point():
                if not bool(torch.all((t == torch.round(t)) & (t >= lo) & (t <= hi))):
                    raise ValueError(f"{where} holds values that are not whole numbers in [{lo}, {hi}]")
                t = t.to(torch.int64)
            return t.to(torch.int64).numpy().astype(dtype)

        part = lowbit[key]
        if set(part) == {"codes", "scales"}:
            scales = part["scales"]
            if not torch.is_tensor(scales):
                raise ValueError(f"{where}: scales are not a tensor")
            return "q8", {"codes": integers(part["codes"], 0, 255, np.uint8),
                          "scales": scales.detach().cpu().to(torch.float32).contiguous().reshape(-1).numpy()}
        if set(part) == {"bits"}:
            return "bf16", integers(part["bits"], -2**15, 2**15 - 1, np.int16).view(np.uint16)
        raise ValueError(f"{where} is not q8 codes and scales or bf16 bits")

    def _import(self, mirror: dict) -> None:
        """The torch-format state into new cohorts, one per group and step count; every one is
        built and checked (import_state) before any replaces the current ones."""
        cohorts = []
        for gi, group in enumerate(self.param_groups):
            by_step: dict[int, list[int]] = {}
            for p in group["params"]:
                by_step.setdefault(self._step_of(mirror.get(p) or {}, gi), []).append(self._index[id(p)])
            for t, members in by_step.items():
                cohorts.append(self._new_cohort(gi, members, t, self._slot_from(mirror, gi, t)))
        self._cohorts = cohorts
        self._mirror_dirty = False
        self._mirror_stale = True  # shown from the cores from here: low-bit state as it was encoded

    def _slot_from(self, mirror: dict, gi: int, t: int) -> Callable[[int, str], Any]:
        """Slot `slot` of parameter i from a torch-format state, checked: (its values as descent
        imports them, its low-bit form (dtype, bytes) if the state has one, else None)."""
        def slot_of(i: int, slot: str):
            if slot == _MASTER:  # float32, never low-bit
                return values_of(i, slot), None
            return values_of(i, slot), self._stored_slot(mirror.get(self._params[i]) or {}, self._torch_key(slot), i)

        def values_of(i: int, slot: str):
            p = self._params[i]
            entry = mirror.get(p) or {}
            torch_key = self._torch_key(slot)
            value = entry.get(torch_key)
            if value is None and slot == _MASTER:
                # A state without master weights (torch.optim's, or a run without them): they start
                # as the bf16 weights, exactly, as when master_weights is turned on during a run.
                value = p.detach().to(torch.float32)
            elif value is None:
                if entry and t > 0:
                    raise ValueError(f"{self._name()}: the state of parameter {i} (group {gi}) has no "
                                     f"'{torch_key}' (it has {', '.join(map(str, entry)) or 'nothing'})")
                value = self._initial_slot(torch_key, self.param_groups[gi], p)
            if not torch.is_tensor(value) or value.shape != p.shape:
                raise ValueError(f"{self._name()}: state '{torch_key}' of parameter {i} (group {gi}) is "
                                 f"not a tensor of the parameter's shape {tuple(p.shape)}")
            return value.detach().to(device="cpu", dtype=_state_dtype(p)).contiguous().reshape(-1).numpy()
        return slot_of

    def _step_of(self, entry: dict, group: int) -> int:
        if not entry:
            return 0
        lowbit = entry.get("lowbit")
        if not self._has_step and isinstance(lowbit, dict) and "step" in lowbit:
            step = lowbit["step"]  # SGD and Lion over low-bit state: the count _lowbit_entry kept
        elif not self._has_step:  # SGD: a momentum buffer (or master weights) means at least one step was taken
            return 1 if any(entry.get(k) is not None for k in (*self._slots, _MASTER)) else 0
        else:
            step = entry.get("step")
        if step is None:
            raise ValueError(f"{self._name()}: a parameter's state in group {group} has no 'step'")
        value = float(step.item() if torch.is_tensor(step) else step)
        if value < 0 or value != math.floor(value):
            raise ValueError(f"{self._name()}: step = {value} in group {group} is not a whole number >= 0")
        return int(value)

    def _torch_key(self, slot: str) -> str:
        if slot == _MASTER:
            return _MASTER
        for k, v in self._slots.items():
            if v == slot:
                return k
        raise KeyError(slot)

    # --- the core: parameters, groups, options ---------------------------------------------
    @staticmethod
    def _shape(p: torch.Tensor) -> tuple:
        return tuple(p.shape) if p.dim() > 0 else (1,)

    def _check_param(self, i: int, gi: int, p: torch.Tensor, g: torch.Tensor | None) -> None:
        where = f"{self._name()}: parameter {i} (group {gi}, shape {tuple(p.shape)})"
        if p.device.type != "cpu":
            raise TypeError(f"{where} is on {p.device}; descent steps CPU tensors (use torch.optim on the GPU)")
        if p.layout != torch.strided:
            raise TypeError(f"{where} is {p.layout}; descent steps dense tensors")
        if p.dtype not in _FLOATS:
            raise TypeError(f"{where} has dtype {p.dtype}; descent steps float32, float64 and bfloat16 tensors")
        if not p.is_contiguous():
            raise TypeError(f"{where} is not contiguous; make it so before building the optimizer "
                            f"(p.data = p.data.contiguous())")
        if g is None:
            return
        if g.layout != torch.strided:
            raise TypeError(f"{where} has a {g.layout} gradient; descent steps dense gradients "
                            f"(nn.Embedding(sparse=False), or torch.optim.SparseAdam)")
        if g.device != p.device or g.dtype != p.dtype or g.shape != p.shape:
            raise TypeError(f"{where}: its gradient is {g.dtype} {tuple(g.shape)} on {g.device}, not like the "
                            f"parameter")
        if not g.is_contiguous():
            raise TypeError(f"{where} has a non-contiguous gradient; descent reads gradients in place")

    def _build(self) -> None:
        """A cohort per group over its parameters; the gradients are bound before each step."""
        self._params: list[torch.Tensor] = []
        self._index: dict[int, int] = {}
        self._group_params: list[list[int]] = []  # each group's parameters, indices into _params
        self._cohorts: list[_Cohort] = []
        self._sync_structure()
        self._mirror_dirty = bool(self._mirror)  # after unpickling: the state to load

    def _param_at(self, i: int) -> "_core.Param":
        # Until a step binds the gradient, the value stands in for it (never read).
        p = self._params[i]
        return _core.param_at(str(i), _FLOATS[p.dtype], p.data_ptr(), p.data_ptr(), p.numel(), list(self._shape(p)))

    def _new_cohort(self, gi: int, members: list[int], t: int, slot_of: Callable[[int, str], Any]) -> "_Cohort":
        """A core over `members` of group gi at step t with the group's options; its slots from
        slot_of(i, slot), unless it is fresh (t = 0: zeros, unless torch starts elsewhere)."""
        core = _core.Optimizer(self._optimizer, [self._param_at(i) for i in members], "pytorch", [], [])
        core.set_nonfinite("unchecked")  # as torch.optim: a NaN flows into the weights
        c = _Cohort(gi, members, core)
        self._apply_to(c)
        if t == 0 and not self._state_at_init:
            return c
        slots = [{s: slot_of(i, s) for s in core.kept_slots(k)} for k, i in enumerate(members)]
        stored = [core.state_dtype(k) for k in range(len(members))]
        state = core.state_options(0)
        # Low-bit state loads as stored when every such slot comes with its bytes, and they decode
        # to the values given (a caller may have changed the tensors of `state`); otherwise the
        # values are encoded again, as set_state_options does.
        # The master weights are float32 whatever the state's storage.
        exact = all(stored[k] == "f32" or s == _MASTER or (pair[1] is not None and pair[1][0] == stored[k])
                    for k in range(len(members)) for s, pair in slots[k].items())
        if exact:
            self._load(core, members, t, state, [{s: v if d == "f32" or s == _MASTER else f[1]
                                                  for s, (v, f) in ks.items()} for ks, d in zip(slots, stored)])
            exact = all(d == "f32" or v is None or np.array_equal(core.state(k, s).reshape(-1), np.ravel(v))
                        for k, (ks, d) in enumerate(zip(slots, stored)) for s, (v, _) in ks.items())
        if not exact:
            self._load(core, members, t, {**state, "dtype": "f32", "rounding": "nearest"},
                       [{s: v for s, (v, _) in ks.items()} for ks in slots])
            core.set_state_options(state, 0)
        return c

    def _load(self, core: "_core.Optimizer", members: list[int], t: int, state: dict, slots: list[dict]) -> None:
        params = []
        for k, i in enumerate(members):
            p = self._params[i]
            params.append({"name": str(i), "group": 0, "dtype": _DTYPE_NAMES[p.dtype],
                           "shape": self._shape(p), "slots": slots[k]})
        core.import_state({"optimizer": core.name, "skipped_steps": 0, "params": params,
                           "groups": [{"t": t, "options": dict(core.options(0)), "state": state}]})

    def _sync_structure(self) -> None:
        """Groups added since (add_param_group) join as a cohort each; a group's parameters stay."""
        done = len(self._group_params)
        for gi, group in enumerate(self.param_groups[:done]):
            if [id(p) for p in group["params"]] != [id(self._params[i]) for i in self._group_params[gi]]:
                raise ValueError(f"{self._name()}: the parameters of group {gi} changed; descent keeps its "
                                 f"groups' parameters (add a group with add_param_group instead)")
        for gi in range(done, len(self.param_groups)):
            members = []
            for p in self.param_groups[gi]["params"]:
                i = len(self._params)
                if id(p) in self._index:
                    raise ValueError(f"{self._name()}: parameter {self._index[id(p)]} appears in two groups")
                self._check_param(i, gi, p, None)
                self._index[id(p)] = i
                self._params.append(p)
                members.append(i)
            self._group_params.append(members)
            # torch fills Adagrad's state now, from the options as given (its initial sum)
            self._cohorts.append(self._new_cohort(gi, members, 0, self._slot_from({}, gi, 0)))

    def _apply_options(self) -> None:
        """Each group's hyperparameters, as they are now, into its cohorts (only those that changed)."""
        for c in self._cohorts:
            self._apply_to(c)

    def _apply_to(self, c: "_Cohort") -> None:
        for name, value, torch_name in self._options(self.param_groups[c.group]):
            value = float(value) if not isinstance(value, bool) else value
            if c.applied.get(name) == value and type(c.applied.get(name)) is type(value):
                continue
            try:
                if name == "lr":
                    c.core.set_lr(value, 0)
                elif isinstance(value, bool):
                    c.core.set_option(name, "true" if value else "false", 0)
                else:
                    c.core.set_number(name, value, 0)
            except _core.OptionError as e:
                why = re.sub(r"^.*?option \S+ = \S+ ", "", str(e))
                raise ValueError(f"{self._name()}: {torch_name} = {value!r} (group {c.group}) {why}") from None
            c.applied[name] = value
        state = self._group_state(self.param_groups[c.group])
        if c.applied.get("state_options") != state:
            where = f"{self._name()}: group {c.group}"
            options = state_core(where, {k: v for k, v in state.items() if k != "master_weights"})
            options["master_weights"] = self._check_master(c.group, state["master_weights"])
            try:
                c.core.set_state_options(options, 0)
            except _core.OptionError as e:
                raise ValueError(f"{where}: {e}") from None
            c.applied["state_options"] = state

    def _group_state(self, group: dict) -> dict:
        """A group's state_* arguments and master_weights, as they are now."""
        defaults = {**STATE_DEFAULTS, "master_weights": False}
        return {k: group.get(k, self.defaults.get(k, v)) for k, v in defaults.items()}

    def _check_master(self, gi: int, value: Any) -> bool:
        """master_weights of group gi: a bool, and True only over bfloat16 parameters (a float32
        master of float32 weights would be the weights twice)."""
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{self._name()}: master_weights = {value!r} (group {gi}) is not True or False")
        if value:
            for p in self.param_groups[gi]["params"]:
                if p.dtype != torch.bfloat16:
                    raise ValueError(f"{self._name()}: master_weights = True (group {gi}) applies to bfloat16 "
                                     f"parameters only; parameter {self._index[id(p)]} is {p.dtype} (put it in a "
                                     f"group without master_weights)")
        return bool(value)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        if getattr(self, "_cohorts", None) is not None:
            self._sync_structure()

    def _gradients(self) -> list:
        """Each parameter's gradient as it is now (None: torch.optim skips the parameter), checked."""
        out = []
        for gi, members in enumerate(self._group_params):
            for i in members:
                p = self._params[i]
                self._check_param(i, gi, p, p.grad)
                out.append(p.grad)
        return out

    def _split(self, grads: list) -> None:
        """A cohort whose parameters part ways at this step (some have a gradient, some not)
        becomes two, each with its state: torch.optim steps only the first, so from here their
        step counts differ, and descent keeps one per core."""
        out = []
        for c in self._cohorts:
            has = [grads[i] is not None for i in c.members]
            if all(has) or not any(has):
                out.append(c)
                continue
            slots = {}
            for k, q in enumerate(c.core.export_state()["params"]):
                d = c.core.state_dtype(k)
                slots[int(q["name"])] = {s: (c.core.state(k, s), None if d == "f32" else (d, form))
                                         for s, form in q["slots"].items()}
            t = c.core.t(0)
            for part in ([i for i, h in zip(c.members, has) if h], [i for i, h in zip(c.members, has) if not h]):
                out.append(self._new_cohort(c.group, part, t, lambda i, s: slots[i][s]))
        self._cohorts = out

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if getattr(self, "_cohorts", None) is None:
            self._build()
        self._sync_structure()
        self._apply_options()
        if self._mirror_dirty:
            self._import(self._mirror)
        grads = self._gradients()
        self._split(grads)
        threads = torch.get_num_threads()
        for c in self._cohorts:
            if grads[c.members[0]] is None:
                continue  # as torch.optim: a parameter without gradient keeps its value and state
            c.core.rebind([self._params[i].data_ptr() for i in c.members], [grads[i].data_ptr() for i in c.members])
            c.core.set_threads(threads)
            c.core.step()
            self._mirror_stale = True
        return loss


class _Cohort:
    """Parameters of one group that have taken the same steps, over one core optimizer: descent
    keeps one step count per group of a core, torch.optim one per parameter (it skips a parameter
    without gradient). A group starts as one cohort and splits only when its parameters part
    ways, so in the usual loop each group is one core, stepped in one call."""

    __slots__ = ("group", "members", "core", "applied")

    def __init__(self, group: int, members: list[int], core: "_core.Optimizer"):
        self.group, self.members, self.core = group, members, core
        self.applied: dict[str, Any] = {}  # the options last set into the core


def _derive(cls: str, info: dict, args: str, renames: dict, slots: dict) -> tuple[inspect.Signature, list]:
    """A class's signature (torch's argument order, the registry's pytorch defaults) and its
    mapping [(descent's option, torch's argument, index in a tuple argument or None, is a flag)]
    in the registry's order. Raises ImportError when torch's names and the registry disagree: an
    argument maps to an option or slot the registry's optimizer does not have."""
    options = {o["name"]: o for o in info["options"]}
    where = f"descent.torch.{cls} (the registry's {info['name']})"
    kind, params = inspect.Parameter.POSITIONAL_OR_KEYWORD, []
    found: dict[str, tuple[str, int | None]] = {}
    for arg in args.split():
        if arg == "*":
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        if arg in _IMPLEMENTATION:
            default = _IMPLEMENTATION[arg]
        else:
            names = renames.get(arg, arg)
            names = names if isinstance(names, tuple) else (names,)
            for i, name in enumerate(names):
                if name not in options:
                    raise ImportError(f"{where}: torch's argument {arg} maps to option {name}, which the registry "
                                      f"does not have (its options: {', '.join(options)})")
                found[name] = (arg, i if len(names) > 1 else None)
            values = tuple(options[n]["defaults"]["pytorch"] for n in names)
            default = values if len(names) > 1 else values[0]
        params.append(inspect.Parameter(arg, kind, default=default))
    for arg, default in STATE_DEFAULTS.items():  # descent's own: how the state is stored (docs/lowbit.md)
        params.append(inspect.Parameter(arg, inspect.Parameter.KEYWORD_ONLY, default=default))
    # descent's own: a float32 copy of bfloat16 weights (docs/python.md, "bf16 parameters")
    params.append(inspect.Parameter("master_weights", inspect.Parameter.KEYWORD_ONLY, default=False))
    registry_slots = [s["name"] for s in info["slots"]]
    for key, slot in slots.items():
        if slot not in registry_slots:
            raise ImportError(f"{where}: torch's state '{key}' maps to slot {slot}, which the registry does not "
                              f"have (its slots: {', '.join(registry_slots)})")
    mapping = [(name, *found[name], options[name]["type"] == "flag") for name in options if name in found]
    first = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
             inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    return inspect.Signature(first + params), mapping


_BETAS = {"betas": ("beta1", "beta2")}


class SGD(_Descent):
    _optimizer = "sgd"
    _args = "lr momentum dampening weight_decay nesterov * maximize foreach differentiable fused"
    _slots = {"momentum_buffer": "m"}
    _has_step = False

    def _check_arguments(self, d):
        if d["nesterov"] and (d["momentum"] <= 0 or d["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _entry(self, t, slots, group, p):
        if "m" not in slots:  # no momentum: torch 1.13 keeps a None buffer, torch 2 nothing
            return None if _TORCH2 else {"momentum_buffer": None}
        return super()._entry(t, slots, group, p)


class Adam(_Descent):
    _optimizer = "adam"
    _args = ("lr betas eps weight_decay amsgrad * foreach maximize capturable differentiable fused "
             "decoupled_weight_decay")
    _renames = _BETAS
    _slots = {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "v_max"}


class AdamW(_Descent):
    """The registry's adamw: Adam with decoupled weight decay (its preset; no argument for it)."""
    _optimizer = "adamw"
    _args = "lr betas eps weight_decay amsgrad * maximize foreach capturable differentiable fused"
    _renames = _BETAS
    _slots = Adam._slots


class Adagrad(_Descent):
    _optimizer = "adagrad"
    _args = "lr lr_decay weight_decay initial_accumulator_value eps foreach * maximize differentiable fused"
    _slots = {"sum": "v"}
    _state_at_init = True

    def _initial_slot(self, key, group, p):
        # In the state's dtype: a bfloat16 parameter's float32 sum starts at the value, not its bf16 rounding
        return torch.full_like(p, float(group["initial_accumulator_value"]), dtype=_state_dtype(p),
                               memory_format=torch.contiguous_format)


class RMSprop(_Descent):
    _optimizer = "rmsprop"
    _args = "lr alpha eps weight_decay momentum centered capturable foreach maximize differentiable"
    _renames = {"alpha": "beta"}
    _slots = {"square_avg": "v", "momentum_buffer": "buffer", "grad_avg": "g_mean"}
    _int_step_1_13 = True


class NAdam(_Descent):
    _optimizer = "nadam"
    _args = ("lr betas eps weight_decay momentum_decay decoupled_weight_decay * foreach maximize capturable "
             "differentiable")
    _renames = _BETAS
    _slots = {"exp_avg": "m", "exp_avg_sq": "v"}

    def _entry(self, t, slots, group, p):
        # torch's order: step, mu_product, exp_avg, exp_avg_sq. mu_product is Π μ_i as torch
        # multiplies it (in its scalar dtype); descent recomputes Π from t, so loading ignores it.
        entry = super()._entry(t, slots, group, p)
        b1, psi = float(group["betas"][0]), float(group["momentum_decay"])
        product = torch.tensor(1.0, dtype=_scalar_dtype())
        for i in range(1, t + 1):
            product *= b1 * (1.0 - 0.5 * 0.96 ** (i * psi))
        return {"step": entry.pop("step"), "mu_product": product, **entry}


class RAdam(_Descent):
    _optimizer = "radam"
    _args = "lr betas eps weight_decay decoupled_weight_decay * foreach maximize capturable differentiable"
    _renames = _BETAS
    _slots = {"exp_avg": "m", "exp_avg_sq": "v"}


class Adamax(_Descent):
    _optimizer = "adamax"
    _args = "lr betas eps weight_decay foreach * maximize differentiable capturable"
    _renames = _BETAS
    _slots = {"exp_avg": "m", "exp_inf": "u"}


class Adadelta(_Descent):
    _optimizer = "adadelta"
    _args = "lr rho eps weight_decay foreach * capturable maximize differentiable"
    _slots = {"square_avg": "v", "acc_delta": "u"}
    _int_step_1_13 = True


class Lion(_Descent):
    """Lion (Chen et al. 2023) in torch.optim's style; not in torch.optim. Decoupled weight decay
    (the registry's preset). State: exp_avg."""
    _optimizer = "lion"
    _args = "lr betas weight_decay * maximize"
    _renames = _BETAS
    _slots = {"exp_avg": "m"}
    _has_step = False


class LAMB(_Descent):
    """LAMB (You et al. 2020) in torch.optim's style; not in torch.optim. weight_decay is the
    decay inside the trust ratio's update (the registry's trust_decay). State: step, exp_avg,
    exp_avg_sq."""
    _optimizer = "lamb"
    _args = "lr betas eps weight_decay * maximize"
    _renames = {**_BETAS, "weight_decay": "trust_decay"}
    _slots = {"exp_avg": "m", "exp_avg_sq": "v"}


# Every class above, in its order (torch's eight peers, then Lion and LAMB).
__all__ = [n for n, c in list(globals().items())
           if isinstance(c, type) and issubclass(c, _Descent) and c is not _Descent]
