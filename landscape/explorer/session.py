"""The explorer's engine: validate a state, simulate it, reduce the run to what is drawn.

No Panel or Bokeh here.  :class:`Session` keeps one surface object per
``[surface]`` table (so kernels compile once per surface and never for a
change of learning rate, kind, schedule, start, noise or steps: they are
data of the fused kernel) and runs the newest state on one worker thread
("latest wins": changes that arrive during a run collapse into one more
run).  :func:`prepare` turns a :class:`~landscape.Result` into float32 frames,
loss quantiles and counters (:class:`View`).
"""

from __future__ import annotations

import math
import threading
import time
import traceback
from dataclasses import dataclass
from dataclasses import field as _field

import numpy as np

from .. import claims as _claims
from ..recipes import RecipeError
from ..recipes._schema import Ctx, _error
from ..recipes._sections import read_claims
from ..render import palette
from ..render._maps import anchor_of, check_bounds, coord_names, surface_field
from .state import State

__all__ = ["LIMITS", "Session", "View", "live_data", "prepare"]

#: What one explorer run may cost (checked before it starts, named in the message).
LIMITS = {
    # trajectories x steps x optimizers: 10,000 x 1,000 x 10 (about 2-5 s on 2 cores)
    "work": 100_000_000,
    # frames shown per run (record_every is raised to keep under it)
    "frames": 200,
    # bytes of recorded positions (``record`` is lowered to keep under it)
    "frame_bytes": 160 * 2**20,
    # runs drawn, all optimizers together (as the swarm renderer's max_points); the
    # counters count every run, the loss band the runs drawn
    "points": 10_000,
}
#: Quantiles of the loss band (lower, median, upper).
QUANTILES = (0.1, 0.5, 0.9)
#: One live run at a time in the process (runs share the cores; a GIF/MP4 export runs beside them).
_SIM_LOCK = threading.Lock()


@dataclass
class View:
    """What the views draw of one run (arrays are float32 unless noted)."""

    names: list
    colours: list
    n: int  # trajectories per optimizer
    recorded: int  # trajectories per optimizer with frames
    dim: int
    steps: np.ndarray  # (frames,) int: step of each frame
    X: np.ndarray  # (frames, optimizers * recorded): first coordinate
    Y: np.ndarray  # (frames, optimizers * recorded): second coordinate
    loss: np.ndarray  # (3, optimizers, frames) float64: quantiles QUANTILES over non-diverged runs
    counters: list  # per optimizer: {"diverged": fraction, event: (fraction, median step)}
    events: list  # event names
    verdicts: list  # (says, holds or None, text) per claim of the recipe
    timings: dict  # seconds: simulate, prepare
    field: object = None  # the map (render._maps.Field) when the surface changed, else None
    axes: tuple = ("x", "y")
    note: str = ""  # what was adjusted for the live view (thinned frames, ...)
    state: object = None  # the State that ran (Session.run sets it)
    total_steps: int = 0  # the steps each run was given (the last frame may be before it)
    extras: dict = _field(default_factory=dict)

    def frame(self, i: int):
        """``(x, y)`` of frame ``i`` (clipped to the last)."""
        i = min(max(int(i), 0), len(self.steps) - 1)
        return self.X[i], self.Y[i]


def live_data(state: State, surface_dim: int) -> tuple[dict, str]:
    """The recipe table the explorer simulates, and a note on what it changed.

    The recipe's own ``record_every`` is kept unless it gives more than
    ``LIMITS["frames"]`` frames; ``record`` is lowered so that the frames fit
    ``LIMITS["frame_bytes"]`` and at most ``LIMITS["points"]`` runs are drawn; claims are measured separately
    (:meth:`Session.run`) so that a claim about a renamed optimizer never
    blocks the run.
    """
    data = {k: v for k, v in state.data.items() if k != "claims"}
    sim = dict(data.get("simulate", {}))
    steps = sim.get("steps")
    notes = []
    if isinstance(steps, int) and not isinstance(steps, bool) and steps >= 1:
        every = sim.get("record_every", 1)
        every = every if isinstance(every, int) and every >= 1 else 1
        need = math.ceil(steps / LIMITS["frames"])
        if every < need:
            notes.append(f"every {need}th step drawn")
            every = need
        sim["record_every"] = every
        n = state.start_count() ** (surface_dim if state.start_kind() == "grid" else 1)
        n_opt = max(1, len(data.get("optimizers", {})))
        item = 4 if sim.get("dtype") == "float32" else 8
        frames = steps // every + 1
        fit = max(1, LIMITS["frame_bytes"] // (frames * n_opt * max(surface_dim, 1) * item))
        own = sim.get("record", n) if isinstance(sim.get("record"), int) else n
        rec = min(n, own, fit, max(1, LIMITS["points"] // n_opt))
        if rec < n:
            sim["record"] = rec
            notes.append(f"the first {rec:,} of {n:,} runs of each optimizer drawn")
    data["simulate"] = sim
    return data, "; ".join(notes)


def prepare(result, recipe, field=None, verdicts=(), note="") -> View:
    """Reduce ``result`` (of ``recipe``) to a :class:`View`."""
    o = result.n_optimizers
    pos = result.positions  # (o, rec, frames, d)
    rec, nf = pos.shape[1], pos.shape[2]
    X = np.ascontiguousarray(pos[..., 0].transpose(2, 0, 1).reshape(nf, o * rec), np.float32)
    Y = np.ascontiguousarray(pos[..., 1].transpose(2, 0, 1).reshape(nf, o * rec), np.float32)
    with np.errstate(all="ignore"):
        L = np.asarray(result.loss, dtype=np.float64)  # (o, rec, frames)
    band = np.full((len(QUANTILES), o, nf), np.nan)
    for k in range(o):
        ok = result.diverged[k, :rec] < 0
        rows = L[k][ok]
        rows = rows[np.isfinite(rows).all(axis=1)]
        if len(rows):
            idx = [min(len(rows) - 1, int(round(q * (len(rows) - 1)))) for q in QUANTILES]
            band[:, k, :] = np.partition(rows, idx, axis=0)[idx]
    counters = []
    for k in range(o):
        c = {"diverged": float((result.diverged[k] >= 0).mean())}
        for ev, times in result.events.items():
            hit = times[k] >= 0
            c[ev] = (float(hit.mean()), float(np.median(times[k][hit])) if hit.any() else None)
        counters.append(c)
    colours = palette(result)
    surf = recipe.surface
    try:
        axes = tuple(_plain(a) for a in coord_names(surf))
    except Exception:  # noqa: BLE001 - labels are cosmetic
        axes = ("x", "y")
    return View(
        names=list(result.names),
        colours=[colours[nm] for nm in result.names],
        n=result.n,
        recorded=rec,
        dim=surf.dim,
        steps=np.asarray(result.frame_steps, dtype=np.int64),
        X=X,
        Y=Y,
        loss=band,
        counters=counters,
        events=list(result.events),
        verdicts=list(verdicts),
        timings={},
        field=field,
        axes=tuple(axes),
        note=note,
    )


_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _plain(label: str) -> str:
    """A mathtext axis label as plain text: ``$x_1$`` -> ``x₁``, ``$W_{12}$`` -> ``W₁₂``."""
    text = label.replace("$", "").replace("\\", "")
    out, i = "", 0
    while i < len(text):
        if text[i] == "_":
            j = text.index("}", i) + 1 if text[i + 1 : i + 2] == "{" else i + 2
            out += text[i + 1 : j].strip("{}").translate(_SUB)
            i = j
        else:
            out += text[i]
            i += 1
    return out


#: Surfaces (and maps) a session keeps: the most recently used ones.
KEEP_SURFACES = 12


def map_field(recipe, n: int = 200):
    """The map of ``recipe``'s surface: its ``render.bounds`` box if it gives one, else its bounds."""
    surf = recipe.surface
    box = None
    b = recipe.render_options.get("bounds")
    if b is not None and not isinstance(b, str):
        box = check_bounds(b)
    anchor = anchor_of(surf, recipe.x0.mean(axis=0)) if surf.dim > 2 else None
    return surface_field(surf, anchor=anchor, n=n, box=box)


def _trim(cache: dict) -> None:
    """Drop the oldest entries beyond :data:`KEEP_SURFACES` (dicts keep insertion order)."""
    while len(cache) > KEEP_SURFACES:
        cache.pop(next(iter(cache)))


class Session:
    """One explorer page's engine: its surfaces, its worker, its latest view.

    ``on_view(view)`` / ``on_error(exc)`` are called from the worker thread
    (the app moves them onto the page's event loop).  :meth:`run` is the
    same work, synchronously (tests, notebooks, the benchmark).
    """

    def __init__(self, on_view=None, on_error=None):
        self.on_view = on_view
        self.on_error = on_error
        self.surfaces: dict = {}  # [surface] table (JSON) -> Surface (recipes.from_dict's cache)
        self._surfaces_lock = threading.RLock()  # the worker, the page's loop and exports share it
        self._field_of: dict = {}  # id(surface), box -> map Field
        self._shown_field = None
        self._pending: State | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.runs = 0
        self.busy = False

    # -- synchronous --------------------------------------------------------------
    def recipe(self, state: State):
        """``state``'s validated recipe, its surface from (and kept in) this session's cache."""
        with self._surfaces_lock:
            rec = state.recipe(self.surfaces)
            _trim(self.surfaces)
            return rec

    def validate(self, state: State):
        """``(recipe to simulate, note)`` or raise :class:`RecipeError` naming the field."""
        # the whole recipe, claims aside: a claim naming a renamed optimizer must not block the run
        bare = type(state)({k: v for k, v in state.data.items() if k != "claims"}, state.name)
        rec = self.recipe(bare)
        dim = rec.surface.dim if rec.surface is not None else 2
        if not rec.simulates:
            return rec, ""
        data, note = live_data(state, dim)
        live = self.recipe(type(state)(data, state.name))
        n_opt, n = len(live.optimizers), len(live.x0)
        work = n * n_opt * live.simulate_options["steps"]
        if work > LIMITS["work"]:
            raise _error(
                f"starts.n: {n} runs x {n_opt} optimizers x {live.simulate_options['steps']} steps "
                f"= {work:.3g} steps; the explorer runs at most {LIMITS['work']:.0e} at a time "
                "(render the recipe with landscape render for more)",
                ("starts", "n"),
            )
        return live, note

    def run(self, state: State) -> View:
        """Validate, simulate and prepare ``state``; raises :class:`RecipeError` on a bad value."""
        state = state.copy()
        recipe, note = self.validate(state)
        if not recipe.simulates:
            raise RecipeError(
                f"<{state.name}>: render.kind = {recipe.kind!r} simulates nothing; "
                "the explorer shows its figure (see the recipe file)"
            )
        t0 = time.perf_counter()
        with _SIM_LOCK:
            result = recipe.simulate()
        t1 = time.perf_counter()
        key = (id(recipe.surface), repr(recipe.render_options.get("bounds")), recipe.surface.dim)
        owner, fld = self._field_of.pop(key, (None, None))
        if owner is not recipe.surface:  # (an id can be reused once a surface is dropped)
            fld = map_field(recipe)
        self._field_of[key] = (recipe.surface, fld)  # most recent last
        _trim(self._field_of)
        new_field = fld if fld is not self._shown_field else None
        self._shown_field = fld
        verdicts = self.verdicts(state, recipe, result)
        view = prepare(result, recipe, new_field, verdicts, note)
        view.timings = {"simulate": t1 - t0, "prepare": time.perf_counter() - t1}
        view.state, view.total_steps = state, int(recipe.simulate_options["steps"])
        self.runs += 1
        return view

    def verdicts(self, state: State, recipe, result) -> list:
        """``(says, holds, text)`` of each claim of the state, measured on ``result``.

        ``holds`` is None for a claim that no longer applies (it names an
        optimizer or event the state no longer has); the text says why.
        """
        out = []
        ctx = Ctx(f"<{state.name}>")
        labels = list(recipe.optimizers)
        for i, t in enumerate(state.data.get("claims", []) or []):
            says = t.get("says", "?") if isinstance(t, dict) else "?"
            try:
                (c,) = read_claims(ctx, [t], recipe.kind, labels, recipe.simulate_options,
                                   {}, recipe.surface)  # fmt: skip
                v = _claims.check(c, recipe.evidence(result))
                out.append((says, bool(v.holds), v.text))
            except (RecipeError, ValueError) as exc:
                text = getattr(exc, "detail", None) or str(exc)
                if text.startswith("claims[0]"):  # it was read alone: name its place in the list
                    text = f"claims[{i}]{text[len('claims[0]') :]}"
                out.append((says, None, text))
        return out

    # -- latest wins ----------------------------------------------------------------
    def submit(self, state: State) -> None:
        """Run ``state`` on the worker (replacing any state still waiting)."""
        with self._cond:
            if self._closed:
                return
            self._pending = state.copy()
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="landscape-explore",
                                                daemon=True)  # fmt: skip
                self._thread.start()
            self._cond.notify()

    def _loop(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                state, self._pending = self._pending, None
                self.busy = True
            try:
                view = self.run(state)
            except RecipeError as exc:
                self._emit(self.on_error, exc)
            except Exception as exc:  # noqa: BLE001 - the page lives on; the message says what
                traceback.print_exc()
                self._emit(self.on_error, exc)
            else:
                self._emit(self.on_view, view)
            finally:
                with self._cond:
                    self.busy = self._pending is not None
                    self._cond.notify_all()

    def _emit(self, fn, arg) -> None:
        if fn is None or self._closed:
            return
        try:
            fn(arg)
        except Exception:  # noqa: BLE001 - a broken page callback must not stop the worker
            traceback.print_exc()

    def wait(self, timeout: float = 60.0) -> bool:
        """Block until nothing is pending or running; False on timeout."""
        end = time.monotonic() + timeout
        with self._cond:
            while self._pending is not None or self.busy:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        """Stop the worker (after the run in progress, if any)."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify_all()
