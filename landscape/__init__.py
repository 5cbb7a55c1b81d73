"""landscape: make the behaviour of optimization algorithms visible and measurable.

Importing the package compiles nothing; kernels compile on first use.

>>> import landscape as ls
>>> surf = ls.surfaces.rosenbrock()
>>> res = ls.simulate(surf, {"adam": ls.optim.adam(lr=1e-2)},
...                   ls.starts.normal(n=64, mean=[-1.5, 2.0], std=0.1), steps=100)
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

try:
    __version__ = _version("landscape")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.1.0"

from . import averages, datasets, events, minibatch, optim, starts, surfaces
from ._backend import CudaUnavailable
from .averages import ewa, ewa_window
from .engine import simulate
from .optim import noise, schedules
from .results import Result, load

# imported on first use (scipy.stats, scipy.sparse, the renderers): import landscape stays fast
_LAZY = ("analysis", "claims", "escape", "explorer", "recipes", "render", "stats", "study")


def explore(recipe=None):
    """The live explorer of ``recipe`` (a gallery name, a file or None) inline in Jupyter.

    ``landscape explore`` serves the same page in a browser tab; see
    :mod:`landscape.explorer`.  Needs ``pip install "landscape[explore]"``.
    """
    from .explorer import explore as _explore

    return _explore(recipe)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CudaUnavailable",
    "Result",
    "__version__",
    "analysis",
    "averages",
    "claims",
    "datasets",
    "escape",
    "events",
    "ewa",
    "explore",
    "explorer",
    "ewa_window",
    "load",
    "minibatch",
    "noise",
    "optim",
    "recipes",
    "render",
    "schedules",
    "simulate",
    "starts",
    "stats",
    "study",
    "surfaces",
]
