"""descent.explain: one optimizer on one scalar parameter, step by step, in the tutorial's
notation (the library's descent::explain, what `descent explain` prints), as NumPy arrays."""
from __future__ import annotations

import warnings
from typing import Any, Iterable

import numpy as np

from . import _core
from ._numpy import _core_name, option_text, split_state, state_core


class Explanation(dict):
    """The step table as columns, one entry per step t = 1, 2, ...: "t", "g" (g_t), "m" (m_t) and
    "v" (V_t) where the optimizer keeps them, "eta" (η_t = w_t − w_{t+1}, the step taken), "w"
    (w_{t+1}), then its other state by slot name ("v_max", "u", ...). A dict of arrays, so
    pandas.DataFrame(table) is the table. Beside the columns: optimizer, convention, options
    (every option as the steps used it), w0, diverged_at (the first step whose w or state is not
    finite, or 0; the columns stop there), state (how the state was stored).

    With state_dtype "bf16" or "q8" the parameter is float32 and, per slot, "m_f32" (the same run
    over float32 state), "m_bits" (bf16) or "m_code" and "m_scale" (q8) follow, then "w_f32"; m
    itself is the state as stored, decoded. explain gives its one value low-bit state whatever
    its size (min_size 0: training keeps f32 state for tensors under state_min_size values)."""

    optimizer: str
    convention: str
    options: dict
    w0: float
    diverged_at: int
    state: dict

    def __repr__(self) -> str:
        return (f"descent.Explanation({self.optimizer}, {self.convention}, {len(self['t'])} steps, "
                f"columns {', '.join(self)})")


def explain(optimizer: str, grads: Iterable[float], *, convention: str = "seed", w0: float = 1.0,
            **options: Any) -> Explanation:
    """Runs `optimizer` ("adam", ...) from w = w0 over the gradients g_1, g_2, ... with the
    convention's defaults ("seed": the tutorial's, as `descent explain`; "pytorch"; "keras") and
    `options` by the library's names (lr=0.1, beta1=0.9, ...), on the plain reference path in
    double. state_dtype="bf16" | "q8" (state_rounding, state_seed) stores the state so
    (Explanation says what it adds). A bad name or value is descent.OptionError; a run that
    diverges warns and returns the steps up to the first non-finite one."""
    name = _core_name(optimizer)
    g = np.asarray(grads, dtype=np.float64)
    if g.ndim != 1 or g.size == 0:
        raise ValueError(f"explain: grads must be a non-empty sequence of numbers, not shape {g.shape}")
    options, state = split_state(options)
    if "state_min_size" in state:
        raise TypeError("explain: state_min_size does not apply (explain's one value always gets the state_dtype)")
    overrides = [(k, option_text(name, k, v)) for k, v in options.items()]
    d = _core.explain(name, convention, overrides, g.tolist(), float(w0), state_core("explain", state))
    table = Explanation(d["columns"])
    table["t"] = table["t"].astype(np.int64)
    table.optimizer, table.convention, table.options = d["optimizer"], d["convention"], d["options"]
    table.w0, table.diverged_at, table.state = d["w0"], d["diverged_at"], d["state"]
    if table.diverged_at:
        warnings.warn(f"{name} diverged at step {table.diverged_at}: w or its state is no longer finite "
                      f"(try a smaller lr)", RuntimeWarning, stacklevel=2)
    return table
