"""A study: a grid of optimizer settings x surfaces x noise x seeds, and what to keep.

The grid's axes fall in two groups.  **Optimizer axes** (``optimizer``: the
kind, and every hyperparameter: ``lr``, ``beta``, ``b1``, ...) become the
optimizers of one :func:`landscape.simulate` call, so every optimizer
setting of a cell shares one kernel launch.  **Launch axes** (the surface's
parameters, ``noise``, ``batch_size``, ``seed``, ``radius``) each make
separate launches.  A task is one launch's cell and one chunk of
trajectories; its numbers depend only on the seed, the cell and the global
trajectory index (:func:`landscape.starts.indexed`, ``first_trajectory``).
"""

from __future__ import annotations

import itertools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import _validate as V
from .. import events as _events
from .. import optim, surfaces
from ..starts import INDEXED

__all__ = ["LAUNCH_AXES", "Study", "StudyError", "load"]

#: Axes that are not a surface parameter or an optimizer hyperparameter.
LAUNCH_AXES = ("noise", "batch_size", "seed", "radius")
_KEYS = ("surface", "axes", "optimizer", "starts", "run", "events", "keep")
_RUN_KEYS = ("steps", "trajectories", "chunk", "dtype", "diverge_at")
_KEEP_KEYS = ("final_loss", "diverged", "events", "final", "frames")
_KEEP_TABLE = ("what", "every", "recorded")
#: Frames kept by default: about 100 per run, of the first 100 trajectories of each cell.
DEFAULT_FRAMES, DEFAULT_RECORDED = 100, 100


class StudyError(ValueError):
    """A study that cannot run; the message names the key, the value and what is allowed."""


@dataclass(frozen=True)
class Study:
    """A validated study (see :func:`load` for the TOML form)."""

    surface: dict  # name + fixed parameters
    axes: dict  # axis -> list of values (order kept)
    optimizer: dict  # fixed hyperparameters (and kind, unless an axis)
    starts: dict  # kind + parameters of starts.indexed (radius may be an axis)
    steps: int
    trajectories: int
    chunk: int
    dtype: str = "float64"
    events: dict = field(default_factory=dict)
    keep: tuple = ("final_loss", "events", "diverged")
    diverge_at: float | None = None
    every: int = 0  # with keep "frames": a frame every ``every`` steps (0 = none)
    recorded: int = 0  # ... of the first ``recorded`` trajectories of each cell

    @property
    def variables(self) -> tuple:
        """The stored variables that ``keep.what`` names (``events``: ``event_step``; ``frames``:
        ``positions`` and their ``loss``), in a fixed order."""
        names = {"final_loss": ["final_loss"], "diverged": ["diverged"],
                 "events": ["event_step"] if self.events else [], "final": ["final"],
                 "frames": ["positions", "loss"]}  # fmt: skip
        return tuple(v for k in _KEEP_KEYS if k in self.keep for v in names[k])

    def recorded_in(self, first: int, stop: int) -> int:
        """How many of trajectories ``first:stop`` have their frames kept (the first ones)."""
        return max(0, min(stop, self.recorded) - first) if self.every else 0

    @property
    def frame_steps(self) -> np.ndarray:
        """The steps of the kept frames: 0, every, 2 every, ... <= steps."""
        return np.arange(0, self.steps + 1, self.every) if self.every else np.zeros(0, int)

    # -- the grid --------------------------------------------------------------
    @property
    def optimizer_axes(self) -> list:
        return [a for a in self.axes if _is_optimizer_axis(a)]

    @property
    def launch_axes(self) -> list:
        return [a for a in self.axes if not _is_optimizer_axis(a)]

    def launches(self) -> list[dict]:
        """Every launch cell: launch axis -> value (one dict per cell, in grid order)."""
        names = self.launch_axes
        return [dict(zip(names, vals, strict=True)) for vals in
                itertools.product(*(self.axes[a] for a in names))]  # fmt: skip

    def optimizer_cells(self) -> list[dict]:
        """Every optimizer setting: optimizer axis -> value, in grid order."""
        names = self.optimizer_axes
        return [dict(zip(names, vals, strict=True)) for vals in
                itertools.product(*(self.axes[a] for a in names))]  # fmt: skip

    def chunks(self) -> list[tuple[int, int]]:
        """``(first, stop)`` trajectory ranges of the tasks."""
        n, c = self.trajectories, self.chunk
        return [(a, min(a + c, n)) for a in range(0, n, c)]

    def to_json(self) -> str:
        """The study as canonical JSON (stored with the results: a resumed run must match)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["keep"] = list(d["keep"])
        # the order of the axes and of the events is the order of the stored dimensions
        d["axes"] = [[k, v] for k, v in self.axes.items()]
        d["events"] = [[k, v] for k, v in self.events.items()]
        return json.dumps(d, sort_keys=True, default=str)


def load(spec) -> Study:
    """A :class:`Study` from a TOML file path, TOML text or a dict; raise :class:`StudyError`."""
    if isinstance(spec, str) and "\n" not in spec and "=" not in spec:
        spec = Path(spec)  # a file name (TOML text has a key = value)
    if isinstance(spec, Path):
        try:
            data = tomllib.loads(Path(spec).read_text())
        except FileNotFoundError:
            raise StudyError(f"{spec}: no such study file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise StudyError(f"{spec}: cannot read the study file ({exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise StudyError(f"{spec}: invalid TOML: {exc}") from None
    elif isinstance(spec, str):
        try:
            data = tomllib.loads(spec)
        except tomllib.TOMLDecodeError as exc:
            raise StudyError(f"invalid TOML: {exc}") from None
    elif isinstance(spec, dict):
        data = spec
    else:
        raise StudyError(
            f"spec must be a TOML file, TOML text or a dict, got {type(spec).__name__}"
        )
    return _read(data)


def _read(d: dict) -> Study:
    for k in d:
        if k not in _KEYS:
            raise StudyError(f"{k} is not a study table; allowed: {', '.join(_KEYS)}")
    for k in ("surface", "axes", "starts", "run"):
        if k not in d:
            raise StudyError(f"[{k}] is required")
    surf = dict(_table(d, "surface"))
    name = surf.get("name")
    if name not in surfaces.names():
        raise StudyError(f"surface.name must be one of {', '.join(surfaces.names())}, got {name!r}")
    sparams = set(_params(getattr(surfaces, name)))
    for k in surf:
        if k != "name" and k not in sparams:
            raise StudyError(f"surface.{k} is not a parameter of {name}; allowed: "
                             f"{', '.join(sorted(sparams)) or 'none'}")  # fmt: skip
    opt = dict(_table(d, "optimizer")) if "optimizer" in d else {}
    axes = {}
    for axis, values in _table(d, "axes").items():
        if not isinstance(values, list) or not values:
            raise StudyError(f"axes.{axis} must be a non-empty array of values, got {values!r}")
        if len(set(map(repr, values))) != len(values):
            raise StudyError(f"axes.{axis} repeats a value: {values!r}")
        known = axis in LAUNCH_AXES or axis in sparams or _is_optimizer_axis(axis)
        if not known:
            allowed = sorted(set(LAUNCH_AXES) | sparams | {"optimizer"} | _hyper_names())
            raise StudyError(f"axes.{axis} is not a study axis; allowed: {', '.join(allowed)}")
        if axis in sparams and _is_optimizer_axis(axis):
            raise StudyError(f"axes.{axis} is ambiguous (a surface and an optimizer parameter)")
        axes[axis] = values
    if "optimizer" not in axes and "kind" not in opt:
        raise StudyError("optimizer.kind is required (or an axes.optimizer of kinds)")
    if "optimizer" in axes and "kind" in opt:
        raise StudyError("optimizer.kind and axes.optimizer both set the kind: keep one")
    kinds = axes.get("optimizer", [opt.get("kind")])
    for kind in kinds:
        if kind not in optim.names():
            raise StudyError(
                f"optimizer kind must be one of {', '.join(optim.names())}, got {kind!r}"
            )
    _check_hyperparameters(kinds, opt, axes)
    starts = dict(_table(d, "starts"))
    skind = starts.get("kind")
    if skind not in INDEXED:
        raise StudyError(f"starts.kind must be one of {', '.join(INDEXED)}, got {skind!r}")
    for k in starts:
        if k not in ("kind", "seed", *INDEXED[skind]):
            allowed = ", ".join(("kind", "seed", *INDEXED[skind]))
            raise StudyError(f"starts.{k} is not a key of {skind} starts; allowed: {allowed}")
    for table, fixed in (("surface", surf), ("optimizer", opt), ("starts", starts)):
        for k in fixed:
            if k in axes and k != "kind":
                raise StudyError(f"{k} is set in [{table}] and in [axes]: keep one")
    if "radius" in axes and skind not in ("ball", "sphere"):
        raise StudyError(f"axes.radius needs starts.kind = 'ball' or 'sphere', got {skind!r}")
    run = dict(_table(d, "run"))
    for k in run:
        if k not in _RUN_KEYS:
            raise StudyError(f"run.{k} is not a run key; allowed: {', '.join(_RUN_KEYS)}")
    try:
        steps = V.integer("run.steps", run.get("steps"), minimum=1, maximum=V.MAX_STEPS)
        n = V.integer("run.trajectories", run.get("trajectories"), minimum=1)
        chunk = V.integer("run.chunk", run.get("chunk", min(n, 16384)), minimum=1)
        diverge_at = run.get("diverge_at")
        if diverge_at is not None:
            diverge_at = V.positive("run.diverge_at", diverge_at)
        # the trajectory coordinate and one cell's final losses are held in memory
        V.fits_memory("run.trajectories", 16 * n, f"a cell of {n} trajectories")
    except ValueError as exc:
        raise StudyError(str(exc)) from None
    dtype = run.get("dtype", "float64")
    if dtype not in ("float32", "float64"):
        raise StudyError(f"run.dtype must be float32 or float64, got {dtype!r}")
    keep_table = _table(d, "keep") if "keep" in d else {}
    if "events" not in d and "what" not in keep_table:
        keep_table = {**keep_table, "what": ["final_loss", "diverged"]}
    keep, every, recorded = _read_keep(keep_table, steps, n, bool(d.get("events")))
    events = {}
    for ename, spec in _table(d, "events").items() if "events" in d else ():
        if not isinstance(spec, dict):
            raise StudyError(f"events.{ename} must be a table ([events.{ename}] with a kind), "
                             f"got {spec!r}")  # fmt: skip
        spec = dict(spec)
        kind = spec.pop("kind", None)
        make = {"leave_ball": _events.leave_ball, "enter_ball": _events.enter_ball,
                "loss_below": _events.loss_below}.get(kind)  # fmt: skip
        if make is None:
            raise StudyError(
                f"events.{ename}.kind must be leave_ball, enter_ball or loss_below, got {kind!r}"
            )
        takes = _params(make)
        for k in spec:
            if k not in takes:
                raise StudyError(f"events.{ename}.{k} is not a key of {kind}; allowed: kind, "
                                 f"{', '.join(takes)}")  # fmt: skip
        for k in takes:
            if k not in spec:
                raise StudyError(f"events.{ename}.{k} is required for {kind}")
        events[ename] = {"kind": kind, **spec}
    study = Study(surface=surf, axes=axes, optimizer=opt, starts=starts, steps=steps,
                  trajectories=n, chunk=min(chunk, n), dtype=dtype, events=events, keep=keep,
                  diverge_at=diverge_at, every=every, recorded=recorded)  # fmt: skip
    _check_cells(study)
    return study


def _read_keep(t: dict, steps: int, n: int, has_events: bool) -> tuple:
    """``[keep]``: what (the variables), every and recorded (the frames)."""
    for k in t:
        if k not in _KEEP_TABLE:
            raise StudyError(f"keep.{k} is not a keep key; allowed: {', '.join(_KEEP_TABLE)}")
    keep = t.get("what", ["final_loss", "events", "diverged"])
    if not isinstance(keep, list) or not keep:
        raise StudyError(f"keep.what must be a non-empty array of {', '.join(_KEEP_KEYS)}, "
                         f"got {keep!r}")  # fmt: skip
    for k in keep:
        if k not in _KEEP_KEYS:
            raise StudyError(f"keep.what holds {k!r}; allowed: {', '.join(_KEEP_KEYS)}")
    if len(set(keep)) != len(keep):
        raise StudyError(f"keep.what repeats a value: {keep!r}")
    if "events" in keep and not has_events:
        raise StudyError('keep.what holds "events" but the study has no [events.NAME] table')
    if "frames" not in keep:
        for k in ("every", "recorded"):
            if k in t:
                raise StudyError(f'keep.{k} needs "frames" in keep.what')
        return tuple(keep), 0, 0
    try:
        every = V.integer("keep.every", t.get("every", max(1, steps // DEFAULT_FRAMES)),
                          minimum=1, maximum=steps)  # fmt: skip
        recorded = V.integer("keep.recorded", t.get("recorded", min(n, DEFAULT_RECORDED)),
                             minimum=1, maximum=n)  # fmt: skip
    except ValueError as exc:
        raise StudyError(str(exc)) from None
    return tuple(keep), every, recorded


def _check_memory(study: Study, dim: int) -> None:
    """A task's arrays (one chunk x every optimizer setting, in ``dim``-D) must fit in memory."""
    n_opt = len(study.optimizer_cells())
    per = study.chunk * n_opt * (dim + 2 + len(study.events)) * 8 * 4  # state, moments, outputs
    frames = len(study.frame_steps) * study.recorded_in(0, study.chunk)
    per += frames * n_opt * (dim + 1) * 8 * 2  # positions and their loss (and a copy)
    try:
        V.fits_memory("run.chunk", per, f"a task of {study.chunk} trajectories x {n_opt} optimizer "
                      f"settings in {dim}-D", hint="lower run.chunk")  # fmt: skip
    except ValueError as exc:
        raise StudyError(str(exc)) from None


def _check_cells(study: Study) -> None:
    """Build every launch's arguments (surface, starts, events, noise, ...) and every optimizer
    once, without simulating: a bad value fails before any work, named by its key."""
    from .run import check_cell, make_optimizers

    dims = [check_cell(study, cell) for cell in study.launches()]
    if ("final" in study.keep or study.every) and len(set(dims)) > 1:
        raise StudyError(f"keep.what = final or frames needs one dimension; the surfaces of "
                         f"this study have {sorted(set(dims))}")  # fmt: skip
    try:
        make_optimizers(study)
    except (ValueError, TypeError) as exc:
        raise StudyError(f"optimizer: {exc}") from None
    _check_memory(study, max(dims))


def _check_hyperparameters(kinds, fixed: dict, axes: dict) -> None:
    """Each fixed hyperparameter and each hyperparameter axis is one of some kind of the study."""
    takes = {k for kind in kinds for k in _params(getattr(optim, kind))}
    takes.discard("schedule")
    of = ", ".join(kinds)
    for k in fixed:
        if k != "kind" and k not in takes:
            raise StudyError(f"optimizer.{k} is not a hyperparameter of {of}; "
                             f"allowed: {', '.join(sorted(takes))}")  # fmt: skip
    for k in axes:
        if k != "optimizer" and _is_optimizer_axis(k) and k not in takes:
            raise StudyError(f"axes.{k} is not a hyperparameter of {of}; "
                             f"allowed: {', '.join(sorted(takes))}")  # fmt: skip


def _table(d, key) -> dict:
    v = d[key]
    if not isinstance(v, dict):
        raise StudyError(f"[{key}] must be a table, got {v!r}")
    return v


def _params(fn) -> list:
    import inspect

    return [p for p in inspect.signature(fn).parameters if p not in ("X", "y")]


def _hyper_names() -> set:
    names = set()
    for k in optim.names():
        names |= set(_params(getattr(optim, k))) - {"schedule"}
    return names


def _is_optimizer_axis(axis: str) -> bool:
    return axis == "optimizer" or axis in _hyper_names()
