"""descent: gradient-descent optimizers, exact to the tutorial, PyTorch and Keras.

NumPy arrays are updated in place (`descent.Adam([("w", w, g)], lr=1e-3)`); `descent.torch` is a
drop-in for torch.optim. See docs/python.md."""
from ._core import CheckpointError, Error, OptionError
from ._explain import Explanation, explain
from ._numpy import CLASSES as _CLASSES
from ._numpy import Optimizer, Scheduler, check_array, optimizer
from ._registry import class_name, conventions, optimizers, registry

globals().update({class_name(n): c for n, c in _CLASSES.items()})

__all__ = ["Error", "OptionError", "CheckpointError", "Optimizer", "Scheduler", "optimizer", "optimizers",
           "registry", "conventions", "explain", "Explanation", "check_array"] + [class_name(n) for n in _CLASSES]
__version__ = "0.1.0"
