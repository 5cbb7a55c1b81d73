r"""Animation recipes: one TOML file describes one animation or figure.

A recipe names a surface, a set of optimizers, the starting points, the
simulation and the renderer; :func:`load` reads and validates it (every key,
every type, every value, before anything is simulated) and
:meth:`Recipe.run` simulates and renders it.  The gallery's recipes live in
``animations/`` (see :func:`gallery_paths`).

Schema
------
.. code-block:: toml

    title  = "Momentum in an elongated bowl"          # required: figure title
    lesson = "Momentum damps the oscillation ..."     # required: one line
    output = "momentum_bowl.gif"                      # optional: file name (.gif .mp4 .png);
                                                      #   default <recipe name>.gif (.png for stills)
    [surface]                    # name + that surface's parameters (landscape.surfaces)
    name  = "elongated_bowl"
    kappa = 25.0

    [optimizers.gd]              # table name = label in the legend
    kind = "gd"                  # optional when the label is an optimizer name
    lr   = 0.07
    [optimizers."momentum β=0.9"]
    kind = "momentum"
    lr = 0.07
    beta = 0.9
    schedule = { name = "inverse_time", decay = 0.01 }    # optional (landscape.schedules);
                                 # linear_warmup takes then = { name = ..., ... }
    noise = { sigma = 2.0, batch_size = 64 }              # optional: this optimizer's own
                                 # gradient noise (overrides simulate.noise; sigma = 0: none)
    batch_size = 64              # optional, finite-sum surfaces only (linear_regression,
                                 # logistic_regression, tanh_network): real mini-batches of
                                 # 64 examples (1: SGD; "m": the full batch); overrides
                                 # simulate.batch_size

    [starts]                     # kind + that function's arguments (landscape.starts):
    kind = "point"               # point | normal | uniform | grid | sphere | ball
    x = [-2.0, 1.5]              # ... or no kind and x0 = [[x, y], ...]; one number
                                 # (center = 0.0) stands for it in every coordinate
                                 # (x, mean, low, high, center; not grid's)

    [simulate]                   # landscape.simulate's arguments
    steps = 150                  # required
    record_every = 1             # default 1 (0 for the survival renderer)
    record = 64                  # optional: keep frames of the first 64 starts only
    dtype = "float64"
    seed = 0
    diverge_at = 1e6
    noise = { sigma = 0.5, batch_size = 64 }              # optional (landscape.noise.gaussian)
    batch_size = 64              # optional, finite-sum surfaces only: every optimizer's
                                 # mini-batch size (default: the full batch, "m")
    events = { escaped = { kind = "leave_ball", center = [0, 0], radius = 1.0 } }
                                 # leave_ball | enter_ball (center, radius) | loss_below (level);
                                 # center = 0.0: the origin in any dimension

    [render]
    kind = "race"                # race | swarm | surface3d | loss_curves | minibatch | survival
                                 # | ewa | schedules   (see RENDERERS for each one's keys)
    size = [800, 450]            # pixels; dpi = 100; fps = 20 (animations)
    max_frames = 150             # animations: at most this many frames
    trail = 40                   # ... and any other keyword of that renderer

    [schedules."1/(1+t)"]        # only for render.kind = "schedules": label -> schedule
    name = "inverse_time"
    decay = 1.0

    [[claims]]                   # optional, one per clause of the lesson (landscape.claims):
    says = "momentum arrives first"   # the words,
    measure = "first_below"      # a quantity measured on the run that is drawn,
    level = 1e-3                 # its parameters,
    of = "momentum"              # the optimizer label(s) it is about,
    less_than = "gd"             # and the threshold: at_most | at_least | less_than |
    factor = 1.3                 # more_than (x factor) | all_different

Mini-batches: on a finite-sum surface every optimizer runs with its own
``batch_size`` (its key, else ``simulate.batch_size``, else the full batch)
in one launch (:func:`landscape.simulate`'s ``batch_size``); each epoch
draws a fresh shuffle of the examples per trajectory, and schedules count
real epochs (``ceil(m / b)`` steps), so a schedule's ``steps_per_epoch``
must be left out (or agree).  ``noise`` on the other hand only *adds*
Gaussian noise to the gradient, on any surface.

``ewa`` and ``schedules`` recipes simulate nothing and must not have
``[surface]``, ``[optimizers]``, ``[starts]`` or ``[simulate]``.

Every problem raises :class:`RecipeError` (a ``ValueError``) naming the file,
the key and what is allowed, e.g.
``animations/momentum_bowl.toml: optimizers.gd.lr must be > 0, got -0.1``.

Where the gallery is found
--------------------------
:func:`gallery_dir` looks, in order, in ``$LANDSCAPE_ANIMATIONS``, in
``animations/`` beside the package (a source checkout or an editable
install), in ``./animations`` (the current directory: a clone with a
regular ``pip install .``), and in ``<prefix>/share/landscape/animations``
(where a wheel's data files would put them).
"""

from __future__ import annotations

import inspect
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _backend, optim, render, starts, surfaces
from . import _validate as V
from . import claims as _claims
from . import events as _events
from .optim import noise as _noise
from .optim import schedules as _schedules
from .results import Result

__all__ = [
    "RENDERERS",
    "Made",
    "Recipe",
    "RecipeError",
    "check_backend",
    "find",
    "gallery_dir",
    "gallery_paths",
    "load",
    "peek",
    "stage",
]

#: Default output directory of :meth:`Recipe.run` and ``landscape gallery``.
DEFAULT_OUT_DIR = "gallery"
_DEFAULT_SIZE = (960, 540)
_DEFAULT_DPI = 100
_MIN_PIXELS = 16


class RecipeError(ValueError):
    """A recipe that cannot be run; the message names the file and the key."""


# ---------------------------------------------------------------------------
# key paths and error messages
# ---------------------------------------------------------------------------
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _quote(key) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    key = str(key)
    if _BARE.match(key):
        return key
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def keypath(path) -> str:
    """A TOML-style dotted key, e.g. ``optimizers."momentum β=0.9".beta``."""
    out = ""
    for k in path:
        q = _quote(k)
        out += q if (q.startswith("[") or not out) else "." + q
    return out


def _one_line(text: str) -> str:
    # user text (labels, keys) is echoed: escape control characters (ANSI escapes too)
    return V.safe_text(" ".join(str(text).split()))


class _Ctx:
    """Builds errors that name the recipe file."""

    def __init__(self, file: str):
        self.file = file

    def error(self, path, msg: str) -> RecipeError:
        where = keypath(path)
        return RecipeError(_one_line(f"{self.file}: {where + ' ' if where else ''}{msg}"))

    def file_error(self, msg: str) -> RecipeError:
        return RecipeError(_one_line(f"{self.file}: {msg}"))

    def translate(self, path, exc: Exception, params=()) -> RecipeError:
        """Re-raise a constructor's ``ValueError`` ("lr must be > 0 ...") at ``path``."""
        msg = _one_line(str(exc))
        best = ""
        for p in params:
            if (msg.startswith(p + " ") or msg.startswith(p + "[")) and len(p) > len(best):
                best = p
        if best:
            return RecipeError(
                _one_line(f"{self.file}: {keypath((*path, best))}{msg[len(best) :]}")
            )
        where = keypath(path)
        return RecipeError(_one_line(f"{self.file}: {where + ': ' if where else ''}{msg}"))

    def check(self, fn, path, value, *args, **kw):
        """Run a :mod:`landscape._validate` check, naming ``path`` in its message."""
        try:
            return fn(keypath(path), value, *args, **kw)
        except ValueError as exc:
            raise RecipeError(f"{self.file}: {_one_line(exc)}") from None


def _display(path: Path) -> str:
    """``path`` relative to the current directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


# ---------------------------------------------------------------------------
# small typed readers
# ---------------------------------------------------------------------------
def _table(ctx, path, value, what="a table") -> dict:
    if not isinstance(value, dict):
        raise ctx.error(path, f"must be {what}, got {_tname(value)} {value!r}")
    return value


def _tname(v) -> str:
    return {
        dict: "table",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "float",
    }.get(type(v), type(v).__name__)


def _string(ctx, path, value) -> str:
    if not isinstance(value, str):
        raise ctx.error(path, f"must be a string, got {_tname(value)} {value!r}")
    return value


def _nonempty_string(ctx, path, value) -> str:
    s = _string(ctx, path, value)
    if not s.strip():
        raise ctx.error(path, "must not be empty")
    return s


def _boolean(ctx, path, value) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(path, f"must be true or false, got {_tname(value)} {value!r}")
    return value


def _unknown(ctx, path, table: dict, allowed, what="key") -> None:
    for key in table:
        if key not in allowed:
            raise ctx.error(
                (*path, key), f"is not a known {what}; allowed here: {', '.join(allowed)}"
            )


def _require(ctx, path, table: dict, key, hint: str = "") -> None:
    if key not in table:
        raise ctx.error((*path, key), f"is required{hint}")


def _choice(ctx, path, value, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ctx.error(path, f"must be one of {', '.join(sorted(allowed))}, got {value!r}")
    return value


def _signature(fn):
    """(all parameter names, required parameter names) of a constructor."""
    params = inspect.signature(fn).parameters.values()
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    required = [
        p.name
        for p in params
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    return names, required


def _call(ctx, path, fn, kwargs: dict, skip=()):
    """Call a package constructor with ``kwargs`` read at ``path``; translate its errors."""
    names, required = _signature(fn)
    allowed = [n for n in names if n not in skip]
    for key in required:
        if key not in kwargs and key not in skip:
            raise ctx.error((*path, key), "is required")
    try:
        return fn(**kwargs)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ctx.translate(path, exc, allowed) from None


# ---------------------------------------------------------------------------
# sections
# ---------------------------------------------------------------------------
_STARTS = {
    "point": starts.point,
    "normal": starts.normal,
    "uniform": starts.uniform,
    "grid": starts.grid,
    "sphere": starts.sphere,
    "ball": starts.ball,
}
_EVENTS = {
    "leave_ball": _events.leave_ball,
    "enter_ball": _events.enter_ball,
    "loss_below": _events.loss_below,
}
_DTYPES = ("float32", "float64")


def _build(ctx, path, t: dict, key, registry, what, hint=""):
    """Call the constructor ``registry[t[key]]`` with the other keys of ``t``.

    ``what`` starts the error message of an unknown key (``what`` + the
    choice); ``hint`` follows the list of choices when ``key`` is missing.
    Returns ``(choice, built object)``.
    """
    _require(ctx, path, t, key, f" (one of {', '.join(registry)}){hint}")
    choice = _choice(ctx, (*path, key), t[key], registry)
    fn = registry[choice]
    names, _ = _signature(fn)
    params = {k: v for k, v in t.items() if k != key}
    _unknown(ctx, path, params, [key, *names], what=f"{what}{choice}")
    return choice, _call(ctx, path, fn, params)


def _surface(ctx, raw):
    path = ("surface",)
    t = _table(ctx, path, raw)
    ctors = {name: getattr(surfaces, name) for name in surfaces.names()}
    return _build(ctx, path, t, "name", ctors, "parameter of surface ")[1]


def _schedule(ctx, path, raw):
    if isinstance(raw, str):
        raw = {"name": raw}
    t = _table(ctx, path, raw, "a table { name = ..., ... } or a schedule name")
    _require(ctx, path, t, "name", f" (one of {', '.join(_schedules.names())})")
    name = _choice(ctx, (*path, "name"), t["name"], _schedules.names())
    ctor = getattr(_schedules, name)
    names, _ = _signature(ctor)
    skip = ("name",) if name in ("piecewise",) else ()
    allowed = [n for n in names if n not in skip]
    params = {k: v for k, v in t.items() if k != "name"}
    _unknown(ctx, path, params, ["name", *allowed], what=f"parameter of schedule {name}")
    if "then" in params:
        params["then"] = _schedule(ctx, (*path, "then"), params["then"])
    return _call(ctx, path, ctor, params, skip=skip)


def _noise_of(ctx, path, raw):
    t = _table(ctx, path, raw, "a table { sigma = ..., batch_size = ... }")
    _unknown(ctx, path, t, ["kind", "sigma", "batch_size"], what="noise key")
    if "kind" in t:
        _choice(ctx, (*path, "kind"), t["kind"], ["gaussian"])
    params = {k: v for k, v in t.items() if k != "kind"}
    nz = _call(ctx, path, _noise.gaussian, params)
    return None if nz.scale == 0.0 else nz


def _optimizers(ctx, raw):
    """``(label -> optimizer, label -> own noise, label -> raw batch_size)``."""
    path = ("optimizers",)
    t = _table(ctx, path, raw, "a table of label -> { kind = ..., lr = ... }")
    if not t:
        raise ctx.error(path, "must name at least one optimizer")
    out, noises, batches = {}, {}, {}
    for label, spec in t.items():
        p = (*path, label)
        spec = _table(ctx, p, spec)
        kind = spec.get("kind", label if label in optim.names() else None)
        if kind is None:
            raise ctx.error((*p, "kind"), f"is required (one of {', '.join(optim.names())})")
        kind = _choice(ctx, (*p, "kind"), kind, optim.names())
        ctor = getattr(optim, kind)
        names, _ = _signature(ctor)
        _unknown(
            ctx, p, spec, ["kind", *names, "noise", "batch_size"], what=f"hyperparameter of {kind}"
        )
        hp = {k: v for k, v in spec.items() if k not in ("kind", "noise", "batch_size")}
        if "schedule" in hp:
            hp["schedule"] = _schedule(ctx, (*p, "schedule"), hp["schedule"])
        out[label] = _call(ctx, p, ctor, hp)
        if "noise" in spec:
            noises[label] = _noise_of(ctx, (*p, "noise"), spec["noise"])
        if "batch_size" in spec:
            batches[label] = _batch_value(ctx, (*p, "batch_size"), spec["batch_size"])
    return out, noises, batches


_FINITE_SUMS = "linear_regression, logistic_regression, tanh_network"


def _batch_value(ctx, path, v):
    """A batch size as written: an integer >= 1, or "m" (the full batch)."""
    if v == "m":
        return "m"
    if isinstance(v, str):
        raise ctx.error(path, f'must be an integer >= 1 or "m" (the full batch), got {v!r}')
    return ctx.check(V.integer, path, v, minimum=1)


def _batch_sizes(ctx, surf, data, opts, own, common):
    """label -> mini-batch size for every optimizer ({} when the recipe sets none).

    ``own``: the optimizers' own ``batch_size`` keys; ``common``:
    ``simulate.batch_size`` (None if absent).  Also checks that no schedule
    sets a ``steps_per_epoch`` that disagrees with the data's epochs.
    """
    fs = getattr(surf, "finite_sum", None)
    given = [(("optimizers", lb, "batch_size"), b) for lb, b in own.items()]
    if common is not None:
        given.insert(0, (("simulate", "batch_size"), common))
    if fs is None:
        if given:
            raise ctx.error(
                given[0][0],
                f"needs a finite-sum surface ({_FINITE_SUMS}): surface {surf.name} has no "
                "examples to draw mini-batches from; for gradient noise that stands in for "
                "a batch of b examples use noise = { sigma = ..., batch_size = b }",
            )
        return {}
    m = fs.m
    for path, b in given:
        if b != "m" and b > m:
            raise ctx.error(
                path, f"must be <= m = {m} (the examples of surface {surf.name}), got {b}"
            )
    out = {}
    for lb in opts:
        b = own.get(lb, common if common is not None else "m")
        out[lb] = m if b == "m" else int(b)
    # schedules count real epochs: ceil(m / b) steps each
    for lb in opts:
        spe = -(-m // out[lb])
        sched_path = ("optimizers", lb, "schedule")
        raw = data["optimizers"][lb].get("schedule")
        while isinstance(raw, dict):
            if "steps_per_epoch" in raw and raw["steps_per_epoch"] != spe:
                raise ctx.error(
                    (*sched_path, "steps_per_epoch"),
                    f"= {raw['steps_per_epoch']!r} disagrees with the data: m = {m} examples in "
                    f"batches of {out[lb]} make {spe} steps per epoch; leave steps_per_epoch out "
                    "on a finite-sum surface (epochs are counted from the data)",
                )
            raw, sched_path = raw.get("then"), (*sched_path, "then")
    return out if given else {}


#: Vector arguments that also take one number, broadcast to the surface's dimension
#: (``center = 0.0`` in 100-D): starts kind -> keys, and the ball events' centre.
_BROADCAST_STARTS = {
    "point": ("x",),
    "normal": ("mean",),
    "uniform": ("low", "high"),
    "sphere": ("center",),
    "ball": ("center",),
}
_BROADCAST_EVENTS = {"leave_ball": ("center",), "enter_ball": ("center",)}


def _broadcast(ctx, path, t: dict, kind, table, dim) -> dict:
    """``t`` with each scalar among ``table[kind]``'s keys repeated ``dim`` times."""
    keys = table.get(kind, ()) if isinstance(kind, str) else ()
    out = dict(t)
    for key in keys:
        v = out.get(key)
        if isinstance(v, bool):
            raise ctx.error(
                (*path, key), f"must be a number or an array of {dim} numbers, got {v!r}"
            )
        if isinstance(v, (int, float)):
            out[key] = [ctx.check(V.real, (*path, key), v)] * dim
    return out


def _starts(ctx, raw, dim):
    path = ("starts",)
    t = _table(ctx, path, raw)
    if "x0" in t:
        _unknown(ctx, path, t, ["x0"], what="key next to x0")
        x0 = t["x0"]
        if not isinstance(x0, list) or not x0 or not all(isinstance(r, list) for r in x0):
            raise ctx.error((*path, "x0"), f"must be an array of points [[x, y], ...], got {x0!r}")
        for i, row in enumerate(x0):
            ctx.check(V.vector, (*path, "x0", i), row, dim)
        arr = np.asarray(x0, dtype=np.float64)
    else:
        t = _broadcast(ctx, path, t, t.get("kind"), _BROADCAST_STARTS, dim)
        _count_before_building(ctx, path, t, dim)
        _, arr = _build(
            ctx, path, t, "kind", _STARTS, "argument of starts.", hint=", or give x0 = [[...]]"
        )
        if arr.shape[1] != dim:
            raise ctx.error(path, f"gives {arr.shape[1]}-D points but the surface is {dim}-D")
    if arr.shape[0] > MAX_STARTS:
        raise ctx.error(path, f"gives {arr.shape[0]} starts; at most {MAX_STARTS} for an animation")
    return arr


def _count_before_building(ctx, path, t, dim):
    """Refuse more than :data:`MAX_STARTS` starts from the arguments, before drawing them."""
    if t.get("kind") == "grid":
        num = t.get("num")
        if isinstance(num, int) and not isinstance(num, bool) and num >= 1:
            if num**dim > MAX_STARTS:
                raise ctx.error(
                    (*path, "num"),
                    f"= {num} gives {num}**{dim} = {V.int_text(num**dim)} starts; at most "
                    f"{MAX_STARTS} for an animation",
                )
    else:
        n = t.get("n")
        if isinstance(n, int) and not isinstance(n, bool) and n > MAX_STARTS:
            raise ctx.error(
                (*path, "n"), f"must be <= {MAX_STARTS} for an animation, got {V.int_text(n)}"
            )


def _events_of(ctx, path, raw, dim):
    t = _table(ctx, path, raw, "a table name -> { kind = ..., ... }")
    out = {}
    for name, spec in t.items():
        p = (*path, name)
        spec = _table(ctx, p, spec)
        spec = _broadcast(ctx, p, spec, spec.get("kind"), _BROADCAST_EVENTS, dim)
        kind, ev = _build(ctx, p, spec, "kind", _EVENTS, "argument of events.")
        if kind != "loss_below" and ev.center.shape[0] != dim:
            raise ctx.error(
                (*p, "center"),
                f"must have length {dim} (the surface dimension), got length {ev.center.shape[0]}",
            )
        out[name] = ev
    return out


#: The most starts a recipe may simulate (checked before they are drawn).
MAX_STARTS = 1_000_000

_SIM_KEYS = [
    "steps",
    "record_every",
    "record",
    "dtype",
    "seed",
    "noise",
    "batch_size",
    "events",
    "diverge_at",
]


def _simulate(ctx, raw, dim, n_starts, default_every):
    path = ("simulate",)
    t = _table(ctx, path, raw)
    _unknown(ctx, path, t, _SIM_KEYS, what="simulate key")
    _require(ctx, path, t, "steps")
    k = lambda key: (*path, key)  # noqa: E731
    opts = {"steps": ctx.check(V.integer, k("steps"), t["steps"], minimum=1)}
    opts["record_every"] = ctx.check(
        V.integer,
        k("record_every"),
        t.get("record_every", default_every),
        minimum=0,
        maximum=V.MAX_STEPS,
    )
    if "record" in t:
        opts["record"] = ctx.check(V.integer, k("record"), t["record"], minimum=1)
    opts["dtype"] = _choice(ctx, k("dtype"), t.get("dtype", "float64"), _DTYPES)
    opts["seed"] = ctx.check(V.integer, k("seed"), t.get("seed", 0), minimum=0, maximum=V.MAX_SEED)
    if "diverge_at" in t:
        opts["diverge_at"] = ctx.check(V.positive, k("diverge_at"), t["diverge_at"])
    opts["noise"] = _noise_of(ctx, k("noise"), t["noise"]) if "noise" in t else None
    if "batch_size" in t:
        opts["batch_size"] = _batch_value(ctx, k("batch_size"), t["batch_size"])
    opts["events"] = _events_of(ctx, k("events"), t["events"], dim) if "events" in t else {}
    if opts["steps"] > 10_000_000:
        raise ctx.error(k("steps"), f"must be <= 10000000 for a recipe, got {opts['steps']}")
    try:  # radii and levels the run's dtype can compare
        _events.pack(opts["events"], dim, np.dtype(opts["dtype"]))
    except ValueError as exc:
        raise ctx.error(
            k("events"), f"cannot be used with dtype = {opts['dtype']!r}: {exc}"
        ) from None
    return opts


def _check_sim_memory(ctx, sim, n_opt, n_starts, dim):
    """The recipe's frames and final states, against available memory, naming the key."""
    every = sim["record_every"]
    rec = min(n_starts, sim.get("record", n_starts)) if every else 0
    frames = sim["steps"] // every + 1 if every else 0
    item = np.dtype(sim["dtype"]).itemsize
    nbytes = n_opt * (frames * rec + n_starts) * (dim + 1) * item
    key = ("simulate", "record_every") if frames * rec > n_starts else ("starts",)
    ctx.check(
        V.fits_memory,
        key,
        nbytes,
        f"{frames} frames of {rec} starts x {n_opt} optimizers in {dim}-D",
        hint="raise simulate.record_every or lower simulate.record",
    )


def _claims_of(ctx, raw, kind, labels, sim, scheds, surf) -> tuple:
    """The ``[[claims]]`` array: each claim's measure fits the recipe, its names exist."""
    path = ("claims",)
    if not isinstance(raw, list):
        raise ctx.error(path, f"must be an array of tables [[claims]], got {_tname(raw)}")
    events = list(sim.get("events", {}))
    out = []
    for i, t in enumerate(raw):
        p = (*path, i)
        try:
            c = _claims.claim_from_table(t)
        except ValueError as exc:
            raise ctx.translate(p, exc, _claims.KEYS) from None
        per = _claims.MEASURES[c.measure].per
        fits = {"ewa": c.measure.startswith("ewa_"), "schedules": per == "schedule"}
        if not fits.get(kind, per == "optimizer"):
            raise ctx.error((*p, "measure"), f"= {c.measure!r} does not apply to a {kind} recipe")
        known = list(scheds) if per == "schedule" else labels
        for name in _claims.names_used(c):
            if name not in known:
                what = "schedules" if per == "schedule" else "optimizers"
                raise ctx.error(p, f"names {name!r}, which is not one of the {what}: "
                                f"{', '.join(known)}")  # fmt: skip
        axis = c.params.get("axis")
        if isinstance(axis, int) and surf is not None and axis >= surf.dim:
            raise ctx.error((*p, "axis"), f"must be a coordinate index in [0, {surf.dim}), got "
                            f"{axis}")  # fmt: skip
        if "event" in c.params and c.params["event"] not in events:
            raise ctx.error((*p, "event"), f"must be one of the [simulate] events "
                            f"({', '.join(events) or 'none defined'}), got {c.params['event']!r}")  # fmt: skip
        out.append(c)
    return tuple(out)


# ---------------------------------------------------------------------------
# renderers: the keys each accepts in [render]
# ---------------------------------------------------------------------------
def _v_size(ctx, path, v, rec):
    if (
        not isinstance(v, list)
        or len(v) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in v)
    ):
        raise ctx.error(path, f"must be [width, height] in pixels (integers), got {v!r}")
    if min(v) < _MIN_PIXELS or max(v) > 7680:
        raise ctx.error(path, f"must be between {_MIN_PIXELS} and 7680 pixels, got {v!r}")
    return tuple(v)


def _v_int(minimum, maximum=None):
    return lambda ctx, path, v, rec: ctx.check(V.integer, path, v, minimum=minimum, maximum=maximum)


def _v_real(ctx, path, v, rec):
    return ctx.check(V.real, path, v)


def _v_positive(ctx, path, v, rec):
    return ctx.check(V.positive, path, v)


def _v_beta(ctx, path, v, rec):
    return ctx.check(V.beta, path, v)


def _v_bool(ctx, path, v, rec):
    return _boolean(ctx, path, v)


def _v_choice(*allowed):
    return lambda ctx, path, v, rec: _choice(ctx, path, v, allowed)


def _v_list(item, *, min_len=1):
    def check(ctx, path, v, rec):
        if not isinstance(v, list) or len(v) < min_len:
            raise ctx.error(path, f"must be an array of at least {min_len} value(s), got {v!r}")
        return tuple(item(ctx, (*path, i), x, rec) for i, x in enumerate(v))

    return check


def _v_quantile(ctx, path, v, rec):
    return ctx.check(V.in_range, path, v, 0.0, 1.0, closed_high=True)


def _v_trajectory(ctx, path, v, rec):
    i = ctx.check(V.integer, path, v, minimum=0)
    n = rec.get("recorded")
    if n is not None and i >= n:
        raise ctx.error(path, f"must be < {n} (the number of recorded starts), got {i}")
    return i


def _v_event(ctx, path, v, rec):
    names = rec.get("events", {})
    if not names:
        raise ctx.error(path, "names an event, but [simulate] defines no events")
    return _choice(ctx, path, v, names)


def _v_bias(ctx, path, v, rec):
    if isinstance(v, bool) or v == "both":
        return v
    raise ctx.error(path, f'must be true, false or "both", got {v!r}')


def _v_x_axis(ctx, path, v, rec):
    v = _choice(ctx, path, v, ("step", "examples", "epoch"))
    if v != "step" and rec.get("finite_sum") is False:
        raise ctx.error(
            path,
            f"= {v!r} needs a finite-sum surface ({_FINITE_SUMS}), where steps use "
            'examples; use "step"',
        )
    return v


def _v_levels(ctx, path, v, rec):
    return ctx.check(V.integer, path, v, minimum=2, maximum=V.MAX_CONTOUR_LEVELS)


def _v_bounds(ctx, path, v, rec):
    """``"auto"``, ``"surface"`` or ``[[xmin, xmax], [ymin, ymax]]`` (finite, min < max)."""
    if v in ("auto", "surface"):
        return v
    ok = (
        isinstance(v, list)
        and len(v) == 2
        and all(isinstance(r, list) and len(r) == 2 for r in v)
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for r in v for x in r)
    )
    if ok:
        box = np.array(v, dtype=np.float64)
        ok = bool(np.isfinite(box).all() and (box[:, 0] < box[:, 1]).all())
    if not ok:
        raise ctx.error(
            path,
            'must be "auto", "surface" or [[xmin, xmax], [ymin, ymax]] (finite numbers, '
            f"min < max), got {v!r}",
        )
    return tuple(tuple(float(x) for x in r) for r in v)


#: Upper bounds on renderer integers: a typo such as fps = 10**8 is an error
#: at load, not an encoder failure (or hours of rendering) later.
_MAX_FPS = 1000
_MAX_COUNT = 1_000_000
_ANIM = {"fps": _v_int(1, _MAX_FPS), "max_frames": _v_int(1, _MAX_COUNT)}
_COMMON = {"size": _v_size, "dpi": _v_positive}


@dataclass(frozen=True)
class _Renderer:
    function: str  # name in landscape.render
    simulates: bool  # needs surface/optimizers/starts/simulate
    animated: bool | None  # True, False, or None: the ``animate`` key decides
    keys: dict  # key -> validator(ctx, path, value, context)
    needs_2d: bool = False
    required: tuple = ()


#: ``render.kind`` -> the renderer and the ``[render]`` keys it takes.
RENDERERS = {
    "race": _Renderer(
        "race",
        True,
        True,
        {
            **_COMMON,
            **_ANIM,
            "trajectories": _v_list(_v_trajectory),
            "trail": _v_int(0, _MAX_COUNT),
            "fade": _v_bool,
            "levels": _v_levels,
            "log_loss": _v_bool,
            "show_critical": _v_bool,
            "bounds": _v_bounds,
        },
        needs_2d=True,
    ),
    "swarm": _Renderer(
        "swarm",
        True,
        True,
        {
            **_COMMON,
            **_ANIM,
            "layout": _v_choice("panels", "overlay"),
            "max_points": _v_int(1, _MAX_COUNT),
            "event": _v_event,
            "levels": _v_levels,
            "bounds": _v_bounds,
        },
        needs_2d=True,
    ),
    "surface3d": _Renderer(
        "surface3d",
        True,
        True,
        {
            **_COMMON,
            **_ANIM,
            "trajectories": _v_list(_v_trajectory),
            "elev": _v_real,
            "azim": _v_real,
            "rotate": _v_bool,
            "bounds": _v_bounds,
        },
        needs_2d=True,
    ),
    "loss_curves": _Renderer(
        "loss_curves",
        True,
        None,
        {
            **_COMMON,
            **_ANIM,
            "quantiles": _v_list(_v_quantile),
            "log": _v_bool,
            "animate": _v_bool,
        },
    ),
    "minibatch": _Renderer(
        "minibatch_curves",
        True,
        None,
        {
            **_COMMON,
            **_ANIM,
            "smooth_beta": _v_beta,
            "x_axis": _v_x_axis,
            "log": _v_bool,
            "log_x": _v_bool,
            "full_cost": _v_bool,
            "layout": _v_choice("overlay", "panels"),
            "animate": _v_bool,
        },
    ),
    "survival": _Renderer(
        "survival_curves",
        True,
        False,
        {
            **_COMMON,
            "event": _v_event,
            "log_x": _v_bool,
        },
        required=("event",),
    ),
    "ewa": _Renderer(
        "ewa_figure",
        False,
        None,
        {
            **_COMMON,
            **_ANIM,
            "betas": _v_list(_v_beta),
            "bias_correction": _v_bias,
            "days": _v_int(1, _MAX_COUNT),
            "seed": _v_int(0, V.MAX_SEED),
            "animate": _v_bool,
        },
    ),
    "schedules": _Renderer(
        "schedule_figure",
        False,
        False,
        {
            **_COMMON,
            "lr0": _v_positive,
            "epochs": _v_int(1, _MAX_COUNT),
        },
    ),
}


def _render(ctx, raw, context):
    path = ("render",)
    t = _table(ctx, path, raw)
    _require(ctx, path, t, "kind", f" (one of {', '.join(RENDERERS)})")
    kind = _choice(ctx, (*path, "kind"), t["kind"], RENDERERS)
    spec = RENDERERS[kind]
    if "title" in t:
        raise ctx.error((*path, "title"), "is taken from the top-level title; set title = ...")
    _unknown(ctx, path, t, ["kind", *spec.keys], what=f"option of the {kind} renderer")
    for key in spec.required:
        _require(ctx, path, t, key)
    opts = {k: spec.keys[k](ctx, (*path, k), v, context) for k, v in t.items() if k != "kind"}
    return kind, opts


# ---------------------------------------------------------------------------
# the recipe
# ---------------------------------------------------------------------------
_TOP = [
    "title",
    "lesson",
    "claims",
    "output",
    "surface",
    "optimizers",
    "starts",
    "simulate",
    "render",
    "schedules",
]


@dataclass(frozen=True, eq=False)
class Recipe:
    """A validated recipe; :meth:`run` simulates and renders it."""

    path: Path
    name: str
    title: str
    lesson: str
    output: str
    kind: str
    render_options: dict
    animated: bool
    surface: object = None
    optimizers: dict = field(default_factory=dict)
    optimizer_noise: dict = field(default_factory=dict)
    #: label -> mini-batch size on a finite-sum surface ({}: every optimizer uses the full batch)
    batch_sizes: dict = field(default_factory=dict)
    x0: np.ndarray | None = None
    simulate_options: dict = field(default_factory=dict)
    schedules: dict = field(default_factory=dict)
    #: the lesson as measured claims (:mod:`landscape.claims`), checked on every run
    claims: tuple = ()

    @property
    def simulates(self) -> bool:
        """Whether the recipe runs a simulation (all renderers but ewa and schedules)."""
        return RENDERERS[self.kind].simulates

    def __repr__(self) -> str:
        return f"<Recipe {self.name}: {self.kind} -> {self.output}>"

    # -- simulation -------------------------------------------------------------
    def simulate(self, backend: str = "cpu", progress: bool = False):
        """Run the recipe's simulation and return its :class:`~landscape.Result`.

        ``progress``: a tqdm bar for long fused CPU runs (see :func:`landscape.simulate`).

        Optimizers with their own ``noise`` run in separate launches (same
        surface, seed and starts, so no recompilation and common random
        numbers) whose results are joined in the recipe's order.  Mini-batch
        sizes need no separate launches: :func:`landscape.simulate` takes one
        per optimizer.
        """
        from .engine import simulate

        if not self.simulates:
            raise RecipeError(
                f"{_display(self.path)}: render.kind = {self.kind!r} simulates nothing"
            )
        check_backend(backend)
        opts = dict(self.simulate_options)
        base_noise = opts.pop("noise")
        groups: dict = {}
        for label in self.optimizers:
            nz = self.optimizer_noise.get(label, base_noise)
            key = None if nz is None else (nz.sigma, nz.batch_size)
            groups.setdefault(key, (nz, []))[1].append(label)
        parts = []
        for nz, labels in groups.values():
            sizes = {lb: self.batch_sizes[lb] for lb in labels} if self.batch_sizes else None
            try:
                res = simulate(
                    self.surface,
                    {lb: self.optimizers[lb] for lb in labels},
                    self.x0,
                    noise=nz,
                    batch_size=sizes,
                    backend=backend,
                    progress=progress,
                    **opts,
                )
            except RecipeError:
                raise
            except ValueError as exc:  # e.g. the memory estimate: name the file and the table
                raise RecipeError(_one_line(f"{_display(self.path)}: simulate: {exc}")) from None
            parts.append(res)
        if len(parts) == 1:
            return parts[0]
        return Result.concat(parts, order=list(self.optimizers))

    # -- rendering --------------------------------------------------------------
    def out_path(self, out=None, fmt=None) -> Path:
        """Where :meth:`run` writes.

        ``out`` is a file (its suffix picks the format) or a directory (an
        existing one, one ending in ``/`` or a name without suffix) that
        receives ``output``; by default ``gallery/<output>``.  ``fmt``
        ("gif", "mp4", "png") replaces the suffix of ``output``.
        """
        fmt = None if fmt is None else _fmt(fmt)
        if out is None or _is_dir(out):
            target = Path(DEFAULT_OUT_DIR if out is None else out) / self.output
            if fmt is not None:
                target = target.with_suffix(fmt)
        else:
            target = Path(out)
            if fmt is not None and target.suffix.lower() != fmt:
                raise RecipeError(
                    f"format {fmt[1:]!r} disagrees with the output file {str(target)!r}; "
                    "give one or the other"
                )
        _check_suffix(self, target.suffix)
        return target

    def evidence(self, result=None) -> _claims.Evidence:
        """What the recipe's claims are measured on: ``result`` or the figure's own data."""
        if self.kind == "ewa":
            ro = self.render_options
            return _claims.Evidence(ewa={"days": ro.get("days", 365), "seed": ro.get("seed", 0)})
        if self.kind == "schedules":
            return _claims.Evidence(schedules=self.schedules)
        return _claims.Evidence(result=result, surface=self.surface)

    def check(self, result=None, backend: str = "cpu") -> list:
        """Measure the recipe's claims (simulating first unless ``result`` is given).

        Returns one :class:`landscape.claims.Verdict` per claim, in order.
        """
        if self.simulates and result is None and self.claims:
            result = self.simulate(backend)
        return _claims.check_all(self.claims, self.evidence(result))

    def run(self, out=None, **kw):
        """Simulate (when the renderer needs it), then render; returns the output path.

        Takes the arguments of :meth:`make`; the claims are measured too (use
        :meth:`make` to get them).
        """
        return self.make(out, **kw).path

    def make(
        self,
        out=None,
        *,
        backend: str = "cpu",
        fmt=None,
        scale: float = 1.0,
        max_frames: int | None = None,
        progress: bool = False,
    ) -> Made:
        """Simulate (when the renderer needs it), measure the claims, then render.

        Returns a :class:`Made`: the output path and the claims' verdicts,
        measured on the very Result that was drawn.

        Parameters
        ----------
        out : path, optional
            Output file, or a directory to write ``output`` into (default
            ``gallery/``).  Its suffix picks the format (.gif, .mp4, .png = last frame).
        backend : {"cpu", "cuda", "auto"}
            Simulation backend (``landscape.simulate``'s ``backend``).
        fmt : {"gif", "mp4", "png"}, optional
            Output format (replaces the suffix of ``output``).
        scale : float
            Multiplies the size in pixels (at least 16 a side).
        max_frames : int, optional
            At most this many animation frames (on top of the recipe's own limit).
        progress : bool
            Show progress bars (tqdm) on stderr.
        """
        ctx = _Ctx(_display(self.path))
        scale = ctx.check(V.positive, ("scale",), scale)
        if max_frames is not None:
            max_frames = ctx.check(V.integer, ("max_frames",), max_frames, minimum=1)
        target = self.out_path(out, fmt)
        size, dpi = _scaled(self, scale)
        spec = RENDERERS[self.kind]
        fn = getattr(render, spec.function, None)
        if fn is None:  # pragma: no cover
            raise RecipeError(f"landscape.render has no {spec.function}() for {self.kind!r}")

        kw = {k: v for k, v in self.render_options.items() if k not in ("size", "dpi")}
        kw.update(size=size, dpi=dpi, title=self.title)
        if spec.animated is not False:
            if max_frames is not None:
                own = kw.get("max_frames")
                kw["max_frames"] = max_frames if own is None else min(own, max_frames)
            kw["progress"] = progress
            if self.animated:
                self._check_render_time(kw.get("max_frames"), size, render.DEFAULT_MAX_FRAMES)
        target.parent.mkdir(parents=True, exist_ok=True)

        if self.kind == "ewa":
            return Made(Path(fn(target, **kw)), self.check())
        if self.kind == "schedules":
            return Made(Path(fn(self.schedules, target, **kw)), self.check())
        with stage(f"{self.name}: simulate", progress):
            result = self.simulate(backend, progress)
        verdicts = self.check(result)
        if self.kind in ("race", "swarm", "surface3d"):
            return Made(Path(fn(result, self.surface, target, **kw)), verdicts)
        if self.kind == "survival":
            event = kw.pop("event")
            return Made(Path(fn(result, event, target, **kw)), verdicts)
        return Made(Path(fn(result, target, **kw)), verdicts)


    def _check_render_time(self, max_frames, size, default_cap) -> None:
        """Refuse, before simulating, an animation that would take absurdly long to draw."""
        if self.simulates:
            every = self.simulate_options.get("record_every") or 1
            recorded = self.simulate_options["steps"] // every + 1
        else:
            recorded = self.render_options.get("days", 365)
        shown = min(recorded, default_cap if max_frames is None else max_frames)
        seconds = shown * SECONDS_PER_FRAME * (size[0] * size[1]) / (800 * 450)
        if seconds > MAX_RENDER_SECONDS:
            raise RecipeError(
                f"{_display(self.path)}: render.max_frames = {max_frames} would draw {shown} "
                f"frames of {size[0]}x{size[1]}, about {seconds / 3600:.1f} h at "
                f"{SECONDS_PER_FRAME} s a frame; at most {MAX_RENDER_SECONDS // 60} min is "
                "rendered: lower max_frames (render.max_frames or --max-frames)"
            )


#: Estimated seconds to draw one 800x450 animation frame (measured on a 2-core
#: machine: 0.01-0.05 s); scaled by the pixel count.
SECONDS_PER_FRAME = 0.05
#: Animations estimated to take longer than this to draw are refused up front.
MAX_RENDER_SECONDS = 1800


@dataclass(frozen=True)
class Made:
    """What :meth:`Recipe.make` wrote, and its claims measured on the run that was drawn."""

    path: Path
    verdicts: list

    @property
    def holds(self) -> bool:
        """Whether every claim holds."""
        return all(v.holds for v in self.verdicts)


def check_backend(backend) -> None:
    """Raise :class:`RecipeError` unless ``backend`` can run here (:func:`landscape._backend.check`)."""
    try:
        _backend.check(backend)
    except ValueError as exc:
        raise RecipeError(str(exc)) from None


def _is_dir(out) -> bool:
    p = Path(out)
    return p.is_dir() or str(out).endswith(("/", os.sep)) or not p.suffix


def _fmt(fmt) -> str:
    if not isinstance(fmt, str):
        raise RecipeError(f"format must be a string like 'gif', got {fmt!r}")
    f = fmt.lower()
    f = f if f.startswith(".") else "." + f
    allowed = render.FORMATS
    if f not in allowed:
        raise RecipeError(f"format must be one of {', '.join(a[1:] for a in allowed)}, got {fmt!r}")
    return f


def _check_suffix(recipe, suffix) -> None:
    allowed = render.FORMATS if recipe.animated else (render.STILL_FORMAT,)
    if suffix.lower() not in allowed:
        still = "" if recipe.animated else " (this recipe draws a still figure)"
        raise RecipeError(
            f"{_display(recipe.path)}: output format must be one of "
            f"{', '.join(a[1:] for a in allowed)}{still}, got {suffix or 'no suffix'!r}"
        )


def _scaled(recipe, scale):
    """The recipe's size times ``scale`` (at least 16 pixels a side) and its dpi.

    Only the size changes: the renderers pick font sizes and line widths
    from the size in pixels at the given dpi.
    """
    w, h = recipe.render_options.get("size", _DEFAULT_SIZE)
    dpi = recipe.render_options.get("dpi", _DEFAULT_DPI)
    if scale == 1.0:
        return (w, h), dpi
    return (max(_MIN_PIXELS, int(round(w * scale))), max(_MIN_PIXELS, int(round(h * scale)))), dpi


class stage:
    """A one-step tqdm bar (elapsed time) around a step that reports no progress.

    ``with stage("momentum_bowl: simulate", enabled): ...``
    """

    def __init__(self, desc, enabled):
        self.desc, self.enabled, self.bar = desc, enabled, None

    def __enter__(self):
        if self.enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=1,
                desc=self.desc,
                leave=False,
                file=sys.stderr,
                bar_format="{desc} ... {elapsed}",
            )
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.update(1)
            self.bar.close()
        return False


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------
def _read(path: Path, ctx) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ctx.file_error("no such recipe file") from None
    except IsADirectoryError:
        raise ctx.file_error("is a directory, not a recipe file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ctx.file_error(f"invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ctx.file_error(f"invalid TOML (not UTF-8): {exc}") from None


def load(path) -> Recipe:
    """Read and validate the recipe at ``path``; raise :class:`RecipeError` if it is wrong."""
    path = Path(path)
    ctx = _Ctx(_display(path))
    data = _read(path, ctx)
    _unknown(ctx, (), data, _TOP, what="top-level key")
    for key in ("title", "lesson"):
        _require(ctx, (), data, key)
        _nonempty_string(ctx, (key,), data[key])
    _require(
        ctx, (), data, "render", f" (a [render] table with kind = one of {', '.join(RENDERERS)})"
    )
    rtab = _table(ctx, ("render",), data["render"])
    _require(ctx, ("render",), rtab, "kind", f" (one of {', '.join(RENDERERS)})")
    kind = _choice(ctx, ("render", "kind"), rtab["kind"], RENDERERS)
    spec = RENDERERS[kind]

    surf, opts, noises, batches, x0, sim, scheds = None, {}, {}, {}, None, {}, {}
    context: dict = {}
    if spec.simulates:
        for key in ("surface", "optimizers", "starts", "simulate"):
            _require(ctx, (), data, key, f" (render.kind = {kind!r} simulates)")
        if "schedules" in data:
            raise ctx.error(("schedules",), "is only used by render.kind = 'schedules'")
        surf = _surface(ctx, data["surface"])
        if spec.needs_2d and surf.dim != 2:
            raise ctx.error(
                ("render", "kind"),
                f"= {kind!r} draws a 2-D surface, but surface {surf.name} has dim = {surf.dim}",
            )
        opts, noises, own_batches = _optimizers(ctx, data["optimizers"])
        x0 = _starts(ctx, data["starts"], surf.dim)
        sim = _simulate(ctx, data["simulate"], surf.dim, len(x0), 0 if kind == "survival" else 1)
        _check_sim_memory(ctx, sim, len(opts), len(x0), surf.dim)
        batches = _batch_sizes(ctx, surf, data, opts, own_batches, sim.pop("batch_size", None))
        if kind != "survival" and sim["record_every"] == 0:
            raise ctx.error(
                ("simulate", "record_every"),
                f"must be >= 1: render.kind = {kind!r} draws recorded frames",
            )
        context["events"] = list(sim["events"])
        context["recorded"] = min(len(x0), sim.get("record", len(x0)))
        context["finite_sum"] = getattr(surf, "finite_sum", None) is not None
    else:
        for key in ("surface", "optimizers", "starts", "simulate"):
            if key in data:
                raise ctx.error(
                    (key,),
                    f"is not used by render.kind = {kind!r} (it simulates nothing); remove it",
                )
        if kind == "schedules":
            _require(ctx, (), data, "schedules", " (a table label -> { name = ..., ... })")
            stab = _table(
                ctx, ("schedules",), data["schedules"], "a table label -> { name = ..., ... }"
            )
            if not stab:
                raise ctx.error(("schedules",), "must name at least one schedule")
            scheds = {lb: _schedule(ctx, ("schedules", lb), s) for lb, s in stab.items()}
        elif "schedules" in data:
            raise ctx.error(("schedules",), "is only used by render.kind = 'schedules'")

    kind, ropts = _render(ctx, rtab, context)
    animated = spec.animated if spec.animated is not None else bool(ropts.get("animate", False))
    claims = _claims_of(ctx, data.get("claims", []), kind, list(opts), sim, scheds, surf)

    name = path.stem
    default_output = name + (render.ANIMATION_FORMAT if animated else render.STILL_FORMAT)
    output = default_output
    if "output" in data:
        output = _nonempty_string(ctx, ("output",), data["output"])
        if Path(output).name != output or output in (".", ".."):
            raise ctx.error(("output",), f"must be a file name without directories, got {output!r}")
        allowed = render.FORMATS if animated else (render.STILL_FORMAT,)
        if Path(output).suffix.lower() not in allowed:
            still = "" if animated else " (this renderer draws a still figure)"
            raise ctx.error(("output",), f"must end in {', '.join(allowed)}{still}, got {output!r}")
    return Recipe(
        path=path,
        name=name,
        title=data["title"],
        lesson=data["lesson"],
        output=output,
        kind=kind,
        render_options=ropts,
        animated=animated,
        surface=surf,
        optimizers=opts,
        optimizer_noise=noises,
        batch_sizes=batches,
        x0=x0,
        simulate_options=sim,
        schedules=scheds,
        claims=claims,
    )


def peek(path) -> dict:
    """Name, title, lesson and output of a recipe without validating it (for listings)."""
    path = Path(path)
    data = _read(path, _Ctx(_display(path)))
    return {
        "name": path.stem,
        "title": str(data.get("title", "")),
        "lesson": str(data.get("lesson", "")),
        "output": str(data.get("output", "")),
        "kind": str(data.get("render", {}).get("kind", ""))
        if isinstance(data.get("render"), dict)
        else "",
    }


# ---------------------------------------------------------------------------
# the bundled gallery
# ---------------------------------------------------------------------------
def _candidates():
    env = os.environ.get("LANDSCAPE_ANIMATIONS")
    if env:
        yield Path(env)
    yield Path(__file__).resolve().parent.parent / "animations"
    yield Path.cwd() / "animations"
    import site

    prefixes = [sys.prefix, sys.base_prefix]
    try:
        prefixes.append(site.getuserbase())
    except Exception:  # pragma: no cover
        pass
    for p in prefixes:
        yield Path(p) / "share" / "landscape" / "animations"


def gallery_dir() -> Path:
    """The directory of the bundled recipes (see the module docstring for the search order)."""
    env = os.environ.get("LANDSCAPE_ANIMATIONS")
    if env and not any(Path(env).glob("*.toml")):
        raise RecipeError(f"LANDSCAPE_ANIMATIONS={env} holds no *.toml recipes")
    for cand in _candidates():
        if cand.is_dir() and any(cand.glob("*.toml")):
            return cand
    raise RecipeError(
        "the gallery's recipes (animations/*.toml) were not found: run from the repository "
        "root or set LANDSCAPE_ANIMATIONS to the animations/ directory"
    )


def gallery_paths() -> list[Path]:
    """The bundled recipes, ``animations/*.toml``, sorted by name."""
    return sorted(gallery_dir().glob("*.toml"))


def find(name_or_path) -> Path:
    """A recipe file: an existing path, or the name of a bundled recipe."""
    p = Path(name_or_path)
    if p.exists() or p.suffix == ".toml" or len(p.parts) > 1:
        return p
    names = {q.stem: q for q in gallery_paths()}
    if str(name_or_path) in names:
        return names[str(name_or_path)]
    raise RecipeError(
        f"recipe must be a .toml file or one of the gallery's: {', '.join(names)}; "
        f"got {str(name_or_path)!r}"
    )
