"""descent.torch: drop-ins for torch.optim that step CPU tensors in place with descent's kernels.

Each class is a torch.optim.Optimizer with torch.optim's constructor signature and defaults
(the current torch's; the arguments 1.13 had are accepted too). Every step reads each group's
hyperparameters (so torch's lr_schedulers work unchanged) and each parameter's gradient storage
(zero_grad(set_to_none=True) reallocates it). The state lives in descent; `state` and
`state_dict()` show it in torch.optim's format, and `load_state_dict` takes torch.optim's."""
from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import Any, Callable

import torch

from . import _core

_TORCH2 = int(torch.__version__.split(".")[0]) >= 2
_FLOATS = {torch.float32: _core.DType.f32, torch.float64: _core.DType.f64}


def _scalar_dtype() -> torch.dtype:
    """The dtype torch.optim gives its `step` tensors."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


class _Descent(torch.optim.Optimizer):
    """What every descent.torch optimizer shares; a subclass declares its rule and mapping."""

    _rule = ""                  # the registry's name of the rule
    _slots: dict[str, str] = {}  # torch's state key -> descent's slot, in torch's order
    _has_step = True            # torch keeps state["step"]
    _state_at_init = False      # torch fills the state at construction (Adagrad)
    _int_step_1_13 = False      # torch 1.13 keeps `step` as a Python int (RMSprop, Adadelta)

    def __init__(self, params: Any, defaults: dict[str, Any]):
        for flag in ("capturable", "differentiable"):
            if defaults.get(flag):
                raise ValueError(f"{self._name()}: {flag}=True is not supported: descent steps CPU tensors "
                                 f"outside autograd and CUDA graphs (use torch.optim for it)")
        self._core = None
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
        """(descent's option, value, torch's argument) for one group, in the order to apply."""
        raise NotImplementedError

    def _initial_slot(self, key: str, group: dict, p: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(p, memory_format=torch.contiguous_format)

    def _extra_state(self, entry: dict, group: dict, t: int, p: torch.Tensor) -> None:
        """Adds state torch keeps beyond the slots (NAdam's mu_product)."""

    # --- the state, as torch.optim shows it ------------------------------------------------
    @property
    def state(self):  # type: ignore[override]
        if self._core is not None and (self._mirror_stale or self._mirror is None):
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
        out.pop("_core", None)
        out["state"] = self.state
        return out

    def load_state_dict(self, state_dict: dict) -> None:
        """torch.optim's format (or this optimizer's own state_dict()): all checked and copied
        into descent before anything changes; on an error the optimizer is as it was."""
        saved = (self.param_groups, self._mirror, self._mirror_stale, self._mirror_dirty)
        try:
            super().load_state_dict(state_dict)
            self._sync_structure()
            self._apply_options()
            self._import(self._mirror)
        except Exception:
            self.param_groups, self._mirror, self._mirror_stale, self._mirror_dirty = saved
            self._applied = [dict() for _ in self.param_groups]
            self._apply_options()
            raise

    def _export(self) -> dict:
        s = self._core.export_state()
        out = defaultdict(dict)
        for i, p in enumerate(self._params):
            info = s["params"][i]
            group = self.param_groups[info["group"]]
            t = s["groups"][info["group"]]["t"]
            if t == 0 and not self._state_at_init:
                continue
            entry = self._entry(t, info["slots"], group, p)
            if entry is not None:
                out[p] = entry
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

    def _import(self, mirror: dict) -> None:
        """The torch-format state into the core: all checked first (import_state)."""
        s = {"optimizer": self._core.name, "skipped_steps": self._core.skipped_steps(), "groups": [], "params": []}
        for gi, group in enumerate(self.param_groups):
            steps = set()
            for p in group["params"]:
                entry = mirror.get(p) or {}
                steps.add(self._step_of(entry, gi))
            if len(steps) > 1:
                raise ValueError(f"{self._name()}: the parameters of group {gi} are at different steps "
                                 f"({', '.join(str(t) for t in sorted(steps))}); descent keeps one step "
                                 f"count per group")
            t = steps.pop() if steps else 0
            s["groups"].append({"t": t, "options": dict(self._core.options(gi))})
            for p in group["params"]:
                i = self._index[id(p)]
                entry = mirror.get(p) or {}
                slots = {}
                for key in self._core.kept_slots(i):
                    torch_key = self._torch_key(key)
                    value = entry.get(torch_key)
                    if value is None:
                        if entry and t > 0:
                            raise ValueError(f"{self._name()}: the state of parameter {i} (group {gi}) has no "
                                             f"'{torch_key}' (it has {', '.join(map(str, entry)) or 'nothing'})")
                        value = self._initial_slot(torch_key, group, p)
                    if not torch.is_tensor(value) or value.shape != p.shape:
                        raise ValueError(f"{self._name()}: state '{torch_key}' of parameter {i} (group {gi}) is "
                                         f"not a tensor of the parameter's shape {tuple(p.shape)}")
                    slots[key] = value.detach().to(device="cpu", dtype=p.dtype).contiguous().reshape(-1).numpy()
                s["params"].append({"name": str(i), "group": gi, "dtype": "float32" if p.dtype == torch.float32
                                    else "float64", "shape": self._shape(p), "slots": slots})
        self._core.import_state(s)
        self._mirror_dirty = False

    def _step_of(self, entry: dict, group: int) -> int:
        if not entry:
            return 0
        if not self._has_step:  # SGD: a momentum buffer means at least one step was taken
            return 1 if any(entry.get(k) is not None for k in self._slots) else 0
        step = entry.get("step")
        if step is None:
            raise ValueError(f"{self._name()}: a parameter's state in group {group} has no 'step'")
        value = float(step.item() if torch.is_tensor(step) else step)
        if value < 0 or value != math.floor(value):
            raise ValueError(f"{self._name()}: step = {value} in group {group} is not a whole number >= 0")
        return int(value)

    def _torch_key(self, slot: str) -> str:
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
            raise TypeError(f"{where} has dtype {p.dtype}; descent steps float32 and float64 tensors")
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
        """The core over every group's parameters; the gradients are bound before each step."""
        self._params: list[torch.Tensor] = []
        self._index: dict[int, int] = {}
        self._core = None
        self._applied: list[dict] = []
        self._sync_structure()
        self._apply_options()
        self._mirror_dirty = bool(self._mirror)  # after unpickling: the state to load
        if self._state_at_init and not self._mirror:
            self._import({})  # torch fills it now, from the options as given (Adagrad's initial sum)

    def _core_params(self, gi: int, params: list) -> list:
        out = []
        for p in params:
            i = len(self._params)
            if id(p) in self._index:
                raise ValueError(f"{self._name()}: parameter {self._index[id(p)]} appears in two groups")
            self._check_param(i, gi, p, None)
            # Until the first step binds the gradient, the value stands in for it (never read).
            out.append(_core.param_at(str(i), _FLOATS[p.dtype], p.data_ptr(), p.data_ptr(), p.numel(),
                                      list(self._shape(p))))
            self._index[id(p)] = i
            self._params.append(p)
        return out

    def _sync_structure(self) -> None:
        """Groups added since (add_param_group) join the core; a group's parameters stay."""
        done = 0 if self._core is None else self._core.group_count()
        for gi, group in enumerate(self.param_groups[:done]):
            first = sum(len(g["params"]) for g in self.param_groups[:gi])
            if [id(p) for p in group["params"]] != [id(p) for p in self._params[first:first + len(group["params"])]]:
                raise ValueError(f"{self._name()}: the parameters of group {gi} changed; descent keeps its "
                                 f"groups' parameters (add a group with add_param_group instead)")
        for gi in range(done, len(self.param_groups)):
            params = self._core_params(gi, self.param_groups[gi]["params"])
            if self._core is None:
                self._core = _core.Optimizer(self._rule, params, "pytorch", [], [])
                self._core.set_nonfinite("unchecked")  # as torch.optim: a NaN flows into the weights
            else:
                self._core.add_group(params, 0)
            self._applied.append({})

    def _apply_options(self) -> None:
        """Each group's hyperparameters, as they are now, into the core (only those that changed)."""
        for gi, group in enumerate(self.param_groups):
            applied = self._applied[gi]
            for name, value, torch_name in self._options(group):
                value = float(value) if not isinstance(value, bool) else value
                if applied.get(name) == value and type(applied.get(name)) is type(value):
                    continue
                try:
                    if name == "lr":
                        self._core.set_lr(value, gi)
                    elif isinstance(value, bool):
                        self._core.set_option(name, "true" if value else "false", gi)
                    else:
                        self._core.set_number(name, value, gi)
                except _core.OptionError as e:
                    why = re.sub(r"^.*?option \S+ = \S+ ", "", str(e))
                    raise ValueError(f"{self._name()}: {torch_name} = {value!r} (group {gi}) {why}") from None
                applied[name] = value

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        if getattr(self, "_core", None) is not None:
            self._sync_structure()
            self._apply_options()

    def _bind(self) -> None:
        """Points the core at each parameter's memory and gradient as they are now."""
        values, grads = [], []
        for gi, group in enumerate(self.param_groups):
            for p in group["params"]:
                g = p.grad
                i = len(values)
                if g is None:
                    raise ValueError(f"{self._name()}: parameter {i} (group {gi}, shape {tuple(p.shape)}) has no "
                                     f"gradient; descent steps every parameter of the optimizer together: call "
                                     f"backward() first, or leave parameters without gradients out")
                self._check_param(i, gi, p, g)
                values.append(p.data_ptr())
                grads.append(g.data_ptr())
        self._core.rebind(values, grads)

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        if self._core is None:
            self._build()
        self._sync_structure()
        self._apply_options()
        if self._mirror_dirty:
            self._import(self._mirror)
        self._bind()
        self._core.set_threads(torch.get_num_threads())
        self._core.step()
        self._mirror_stale = True
        return loss


def _betas(group: dict) -> tuple[Any, Any]:
    b = group["betas"]
    return b[0], b[1]


def _common(group: dict, decoupled: bool = False) -> list[tuple[str, Any, str]]:
    return [("lr", group["lr"], "lr"), ("weight_decay", group["weight_decay"], "weight_decay"),
            ("decoupled_weight_decay", bool(decoupled), "decoupled_weight_decay"),
            ("maximize", bool(group.get("maximize", False)), "maximize")]


def _moments(group: dict) -> list[tuple[str, Any, str]]:
    b1, b2 = _betas(group)
    return [("beta1", b1, "betas[0]"), ("beta2", b2, "betas[1]"), ("eps", group["eps"], "eps")]


class SGD(_Descent):
    _rule = "sgd"
    _slots = {"momentum_buffer": "m"}
    _has_step = False

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))

    def _options(self, group):
        return _common(group) + [("momentum", group["momentum"], "momentum"),
                                 ("dampening", group["dampening"], "dampening"),
                                 ("nesterov", bool(group["nesterov"]), "nesterov")]

    def _entry(self, t, slots, group, p):
        if "m" not in slots:  # no momentum: torch 1.13 keeps a None buffer, torch 2 nothing
            return None if _TORCH2 else {"momentum_buffer": None}
        return super()._entry(t, slots, group, p)


class Adam(_Descent):
    _rule = "adam"
    _slots = {"exp_avg": "m", "exp_avg_sq": "v", "max_exp_avg_sq": "v_max"}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      foreach=foreach, maximize=maximize, capturable=capturable,
                                      differentiable=differentiable, fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _options(self, group):
        return (_common(group, group.get("decoupled_weight_decay", False)) + _moments(group)
                + [("amsgrad", bool(group["amsgrad"]), "amsgrad")])


class AdamW(Adam):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def _options(self, group):
        return _common(group, True) + _moments(group) + [("amsgrad", bool(group["amsgrad"]), "amsgrad")]


class Adagrad(_Descent):
    _rule = "adagrad"
    _slots = {"sum": "v"}
    _state_at_init = True

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      foreach=foreach, maximize=maximize, differentiable=differentiable,
                                      fused=fused))

    def _options(self, group):
        return _common(group) + [("eps", group["eps"], "eps"), ("lr_decay", group["lr_decay"], "lr_decay"),
                                 ("initial_accumulator_value", group["initial_accumulator_value"],
                                  "initial_accumulator_value")]

    def _initial_slot(self, key, group, p):
        return torch.full_like(p, float(group["initial_accumulator_value"]), memory_format=torch.contiguous_format)


class RMSprop(_Descent):
    _rule = "rmsprop"
    _slots = {"square_avg": "v", "momentum_buffer": "buffer", "grad_avg": "g_mean"}
    _int_step_1_13 = True

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))

    def _options(self, group):
        return _common(group) + [("beta", group["alpha"], "alpha"), ("eps", group["eps"], "eps"),
                                 ("momentum", group["momentum"], "momentum"),
                                 ("centered", bool(group["centered"]), "centered")]


class NAdam(_Descent):
    _rule = "nadam"
    _slots = {"exp_avg": "m", "exp_avg_sq": "v"}

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      foreach=foreach, maximize=maximize, capturable=capturable,
                                      differentiable=differentiable))

    def _options(self, group):
        return (_common(group, group.get("decoupled_weight_decay", False)) + _moments(group)
                + [("momentum_decay", group["momentum_decay"], "momentum_decay")])

    def _entry(self, t, slots, group, p):
        # torch's order: step, mu_product, exp_avg, exp_avg_sq. mu_product is Π μ_i as torch
        # multiplies it (in its scalar dtype); descent recomputes Π from t, so loading ignores it.
        entry = super()._entry(t, slots, group, p)
        b1, psi = float(_betas(group)[0]), float(group["momentum_decay"])
        product = torch.tensor(1.0, dtype=_scalar_dtype())
        for i in range(1, t + 1):
            product *= b1 * (1.0 - 0.5 * 0.96 ** (i * psi))
        return {"step": entry.pop("step"), "mu_product": product, **entry}


class RAdam(_Descent):
    _rule = "radam"
    _slots = {"exp_avg": "m", "exp_avg_sq": "v"}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, foreach=foreach,
                                      maximize=maximize, capturable=capturable, differentiable=differentiable))

    def _options(self, group):
        return _common(group, group.get("decoupled_weight_decay", False)) + _moments(group)


class Adamax(_Descent):
    _rule = "adamax"
    _slots = {"exp_avg": "m", "exp_inf": "u"}

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable, capturable=capturable))

    def _options(self, group):
        return _common(group) + _moments(group)


class Adadelta(_Descent):
    _rule = "adadelta"
    _slots = {"square_avg": "v", "acc_delta": "u"}
    _int_step_1_13 = True

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, foreach=foreach,
                                      capturable=capturable, maximize=maximize, differentiable=differentiable))

    def _options(self, group):
        return _common(group) + [("rho", group["rho"], "rho"), ("eps", group["eps"], "eps")]


class Lion(_Descent):
    """Lion (Chen et al. 2023) in torch.optim's style; not in torch.optim. State: exp_avg."""
    _rule = "lion"
    _slots = {"exp_avg": "m"}
    _has_step = False

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize))

    def _options(self, group):
        b1, b2 = _betas(group)
        return _common(group, True) + [("beta1", b1, "betas[0]"), ("beta2", b2, "betas[1]")]


class LAMB(_Descent):
    """LAMB (You et al. 2020) in torch.optim's style; not in torch.optim. weight_decay is the
    decay inside the trust ratio's update. State: step, exp_avg, exp_avg_sq."""
    _rule = "lamb"
    _slots = {"exp_avg": "m", "exp_avg_sq": "v"}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01, *, maximize=False):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _options(self, group):
        return ([("lr", group["lr"], "lr"), ("maximize", bool(group.get("maximize", False)), "maximize")]
                + _moments(group) + [("trust_decay", group["weight_decay"], "weight_decay")])


__all__ = ["SGD", "Adam", "AdamW", "Adagrad", "RMSprop", "NAdam", "RAdam", "Adamax", "Adadelta", "Lion", "LAMB"]
