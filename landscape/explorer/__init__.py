"""The explorer (``landscape.explore``): turn a knob, watch thousands of trajectories re-run (issue #16).

``landscape explore [RECIPE]`` serves it on 127.0.0.1 and opens a browser
tab; :func:`explore` shows the same page inline in Jupyter.  The page edits a
recipe (:mod:`.state`), every change re-simulates it with the fused kernel
(:mod:`.session`: one worker, latest change wins, no recompilation for
hyperparameters, kinds, schedules, starts, noise or steps) and redraws it
with Bokeh in the browser (:mod:`.views`, :mod:`.app`).

Panel and Bokeh are an optional extra: ``pip install "landscape[explore]"``.
:mod:`.state` and :mod:`.session` need neither.
"""

from __future__ import annotations

__all__ = ["Explorer", "State", "explore", "running", "serve"]

_MISSING = 'the explorer needs Panel and Bokeh: pip install "landscape[explore]" ({})'


def _require():
    try:
        import bokeh  # noqa: F401
        import panel  # noqa: F401
    except ImportError as exc:
        raise ImportError(_MISSING.format(exc)) from None


def _state(recipe=None):
    from .state import State

    if recipe is None:
        return State()
    if isinstance(recipe, State):
        return recipe.copy()
    return State.from_recipe(recipe)


def explore(recipe=None, *, backend: str = "canvas"):
    """The explorer page for ``recipe`` (a gallery name, a recipe file or a State), for Jupyter.

    ``backend``: how the map draws, ``"canvas"`` or ``"webgl"`` (:data:`.views.BACKENDS`).

    >>> import landscape as ls
    >>> ls.explore("momentum_bowl")          # doctest: +SKIP  (the last line of a cell shows it)
    """
    _require()
    import panel as pn

    from .app import Explorer

    pn.extension()
    return Explorer(_state(recipe), backend=backend).panel()


def serve(recipe=None, *, port: int = 5006, address: str = "127.0.0.1", show: bool = True,
          threaded: bool = False, backend: str = "canvas"):  # fmt: skip
    """Serve the explorer at ``http://address:port/explore`` (one process; blocks unless ``threaded``)."""
    _require()
    from ._server import serve as _serve
    from .views import BACKENDS

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    return _serve(_state(recipe), port=port, address=address, show=show, threaded=threaded,
                  backend=backend)  # fmt: skip


def running(recipe=None, *, port: int = 0, backend: str = "canvas"):
    """A context manager: the explorer served on a thread, yielding its URL (tests, scripts)."""
    _require()
    from ._server import running as _running

    return _running(_state(recipe), port=port, backend=backend)


def __getattr__(name):
    if name == "State":
        from .state import State

        return State
    if name == "Explorer":
        _require()
        from .app import Explorer

        return Explorer
    raise AttributeError(f"module 'landscape.explore' has no attribute {name!r}")
