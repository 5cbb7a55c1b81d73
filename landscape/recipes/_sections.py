"""The recipes' sections: each reads and checks one table of a recipe.

``[surface]``, ``[optimizers]`` (with their schedules, noise and
mini-batch sizes), ``[starts]``, ``[simulate]`` (with its events),
``[render]`` (the options its renderer declares, :mod:`landscape.render.options`)
and ``[[claims]]``.  Each builds the package's own objects through their
constructors and re-raises their errors at the key that was wrong.
"""

from __future__ import annotations

import json

import numpy as np

from .. import _validate as V
from .. import claims as _claims
from .. import events as _events
from .. import optim, starts, surfaces
from ..optim import noise as _noise
from ..optim import schedules as _schedules
from ..render import RENDERERS, RunFacts
from ..surfaces.finite_sum import MODELS
from ._schema import build, call, choice, require, signature, table, type_name, unknown

__all__ = [
    "MAX_STARTS",
    "batch_sizes",
    "check_sim_memory",
    "read_claims",
    "read_noise",
    "read_optimizers",
    "read_render",
    "read_schedule",
    "read_simulate",
    "read_starts",
    "read_surface",
    "run_facts",
]

#: The most starts a recipe may simulate (checked before they are drawn).
MAX_STARTS = 1_000_000

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


def read_surface(ctx, raw, cache=None):
    """``[surface]``: the surface its ``name`` and parameters build.

    ``cache``: a dict from the table (as canonical JSON) to the surface built
    from it, consulted and filled (a caller that re-reads edited recipes keeps
    one surface object, so its kernels compile once).
    """
    path = ("surface",)
    t = table(ctx, path, raw)
    if cache is None:
        return _build_surface(ctx, path, t)
    key = json.dumps(t, sort_keys=True, default=repr)
    if key not in cache:
        cache[key] = _build_surface(ctx, path, t)
    return cache[key]


def _build_surface(ctx, path, t):
    """The surface of the ``[surface]`` table ``t``."""
    if "expression" in t:  # a formula: ls.surfaces.expression(text, params, dim, bounds, name)
        keys = ["expression", "params", "dim", "bounds", "name"]
        unknown(ctx, path, t, keys, what="key of an expression surface")
        kwargs = {("text" if k == "expression" else k): v for k, v in t.items()}
        if "params" in kwargs:
            kwargs["params"] = table(ctx, (*path, "params"), kwargs["params"], "a table of numbers")
        return call(ctx, path, surfaces.expression, kwargs)
    ctors = {name: getattr(surfaces, name) for name in surfaces.names()}
    return build(ctx, path, t, "name", ctors, "parameter of surface ")[1]


def read_schedule(ctx, path, raw):
    """A schedule table (or name) at ``path``; ``then`` nests for ``linear_warmup``."""
    if isinstance(raw, str):
        raw = {"name": raw}
    t = table(ctx, path, raw, "a table { name = ..., ... } or a schedule name")
    require(ctx, path, t, "name", f" (one of {', '.join(_schedules.names())})")
    name = choice(ctx, (*path, "name"), t["name"], _schedules.names())
    ctor = getattr(_schedules, name)
    names, _ = signature(ctor)
    skip = ("name",) if name in ("piecewise",) else ()
    allowed = [n for n in names if n not in skip]
    params = {k: v for k, v in t.items() if k != "name"}
    unknown(ctx, path, params, ["name", *allowed], what=f"parameter of schedule {name}")
    if "then" in params:
        params["then"] = read_schedule(ctx, (*path, "then"), params["then"])
    return call(ctx, path, ctor, params, skip=skip)


def read_noise(ctx, path, raw):
    """A ``noise`` table: Gaussian gradient noise, or None for ``sigma = 0``."""
    t = table(ctx, path, raw, "a table { sigma = ..., batch_size = ... }")
    unknown(ctx, path, t, ["kind", "sigma", "batch_size"], what="noise key")
    if "kind" in t:
        choice(ctx, (*path, "kind"), t["kind"], ["gaussian"])
    params = {k: v for k, v in t.items() if k != "kind"}
    nz = call(ctx, path, _noise.gaussian, params)
    return None if nz.scale == 0.0 else nz


def read_optimizers(ctx, raw):
    """``(label -> optimizer, label -> own noise, label -> raw batch_size)``."""
    path = ("optimizers",)
    t = table(ctx, path, raw, "a table of label -> { kind = ..., lr = ... }")
    if not t:
        raise ctx.error(path, "must name at least one optimizer")
    out, noises, batches = {}, {}, {}
    for label, spec in t.items():
        p = (*path, label)
        spec = table(ctx, p, spec)
        kind = spec.get("kind", label if label in optim.names() else None)
        if kind is None:
            raise ctx.error((*p, "kind"), f"is required (one of {', '.join(optim.names())})")
        kind = choice(ctx, (*p, "kind"), kind, optim.names())
        ctor = getattr(optim, kind)
        names, _ = signature(ctor)
        unknown(
            ctx, p, spec, ["kind", *names, "noise", "batch_size"], what=f"hyperparameter of {kind}"
        )
        hp = {k: v for k, v in spec.items() if k not in ("kind", "noise", "batch_size")}
        if "schedule" in hp:
            hp["schedule"] = read_schedule(ctx, (*p, "schedule"), hp["schedule"])
        out[label] = call(ctx, p, ctor, hp)
        if "noise" in spec:
            noises[label] = read_noise(ctx, (*p, "noise"), spec["noise"])
        if "batch_size" in spec:
            batches[label] = _batch_value(ctx, (*p, "batch_size"), spec["batch_size"])
    return out, noises, batches


def _batch_value(ctx, path, v):
    """A batch size as written: an integer >= 1, or "m" (the full batch)."""
    if v == "m":
        return "m"
    if isinstance(v, str):
        raise ctx.error(path, f'must be an integer >= 1 or "m" (the full batch), got {v!r}')
    return ctx.check(V.integer, path, v, minimum=1)


def batch_sizes(ctx, surf, data, opts, own, common):
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
                f"needs a finite-sum surface ({', '.join(MODELS)}): surface {surf.name} has no "
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


_KINDS = {"minimum": "minima", "saddle": "saddles", "maximum": "maxima"}


def _critical_point(ctx, path, name: str, surface, dim):
    """``"minimum"``, ``"saddle 2"``, ...: the surface's critical point of that kind (1-based, by value)."""
    kind, _, num = name.strip().partition(" ")
    pts = getattr(surface, _KINDS[kind], None) if kind in _KINDS and surface is not None else None
    k = int(num) if num.strip().isdigit() else (1 if not num.strip() else 0)
    if pts is None or k < 1 or k > len(pts):
        have = (
            ", ".join(f"{len(getattr(surface, a))} {a}" for a in _KINDS.values()) if surface else ""
        )
        raise ctx.error(path, f"must be a number, an array of {dim} numbers or a critical point "
                              f"('minimum', 'saddle', 'maximum', 'minimum 2', ...: by value)"
                              + (f"; the surface has {have}" if have else "") + f", got {name!r}")  # fmt: skip
    return [float(v) for v in pts[k - 1]]


def _broadcast(ctx, path, t: dict, kind, table, dim, surface=None) -> dict:
    """``t`` with each scalar among ``table[kind]``'s keys repeated ``dim`` times.

    A string names one of ``surface``'s critical points (:func:`_critical_point`).
    """
    keys = table.get(kind, ()) if isinstance(kind, str) else ()
    out = dict(t)
    for key in keys:
        v = out.get(key)
        if isinstance(v, str):
            out[key] = _critical_point(ctx, (*path, key), v, surface, dim)
            continue
        if isinstance(v, bool):
            raise ctx.error(
                (*path, key), f"must be a number or an array of {dim} numbers, got {v!r}"
            )
        if isinstance(v, (int, float)):
            out[key] = [ctx.check(V.real, (*path, key), v)] * dim
    return out


def read_starts(ctx, raw, dim, surface=None):
    """``[starts]``: the ``(n, dim)`` starting points (``x0`` or a starts constructor).

    A start's centre (``x``, ``mean``, ``center``) may name a critical point of
    ``surface``: ``"saddle"``, ``"minimum 2"``, ...
    """
    path = ("starts",)
    t = table(ctx, path, raw)
    if "x0" in t:
        unknown(ctx, path, t, ["x0"], what="key next to x0")
        x0 = t["x0"]
        if not isinstance(x0, list) or not x0 or not all(isinstance(r, list) for r in x0):
            raise ctx.error((*path, "x0"), f"must be an array of points [[x, y], ...], got {x0!r}")
        for i, row in enumerate(x0):
            ctx.check(V.vector, (*path, "x0", i), row, dim)
        arr = np.asarray(x0, dtype=np.float64)
    else:
        t = _broadcast(ctx, path, t, t.get("kind"), _BROADCAST_STARTS, dim, surface)
        _count_before_building(ctx, path, t, dim)
        _, arr = build(
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


def read_events(ctx, path, raw, dim, surface=None):
    """``simulate.events``: name -> event, centres broadcast to ``dim`` (or a critical point's name)."""
    t = table(ctx, path, raw, "a table name -> { kind = ..., ... }")
    out = {}
    for name, spec in t.items():
        p = (*path, name)
        spec = table(ctx, p, spec)
        spec = _broadcast(ctx, p, spec, spec.get("kind"), _BROADCAST_EVENTS, dim, surface)
        kind, ev = build(ctx, p, spec, "kind", _EVENTS, "argument of events.")
        if kind != "loss_below" and ev.center.shape[0] != dim:
            raise ctx.error(
                (*p, "center"),
                f"must have length {dim} (the surface dimension), got length {ev.center.shape[0]}",
            )
        out[name] = ev
    return out


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


def read_simulate(ctx, raw, dim, n_starts, default_every, surface=None):
    """``[simulate]``: :func:`landscape.simulate`'s keyword arguments, checked."""
    path = ("simulate",)
    t = table(ctx, path, raw)
    unknown(ctx, path, t, _SIM_KEYS, what="simulate key")
    require(ctx, path, t, "steps")
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
    opts["dtype"] = choice(ctx, k("dtype"), t.get("dtype", "float64"), _DTYPES)
    opts["seed"] = ctx.check(V.integer, k("seed"), t.get("seed", 0), minimum=0, maximum=V.MAX_SEED)
    if "diverge_at" in t:
        opts["diverge_at"] = ctx.check(V.positive, k("diverge_at"), t["diverge_at"])
    opts["noise"] = read_noise(ctx, k("noise"), t["noise"]) if "noise" in t else None
    if "batch_size" in t:
        opts["batch_size"] = _batch_value(ctx, k("batch_size"), t["batch_size"])
    opts["events"] = (
        read_events(ctx, k("events"), t["events"], dim, surface) if "events" in t else {}
    )
    if opts["steps"] > 10_000_000:
        raise ctx.error(k("steps"), f"must be <= 10000000 for a recipe, got {opts['steps']}")
    try:  # radii and levels the run's dtype can compare
        _events.pack(opts["events"], dim, np.dtype(opts["dtype"]))
    except ValueError as exc:
        raise ctx.error(
            k("events"), f"cannot be used with dtype = {opts['dtype']!r}: {exc}"
        ) from None
    return opts


def check_sim_memory(ctx, sim, n_opt, n_starts, dim):
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


def read_claims(ctx, raw, kind, labels, sim, scheds, surf) -> tuple:
    """The ``[[claims]]`` array: each claim's measure fits the recipe, its names exist."""
    path = ("claims",)
    if not isinstance(raw, list):
        raise ctx.error(path, f"must be an array of tables [[claims]], got {type_name(raw)}")
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
# [render]: the options its renderer declares
# ---------------------------------------------------------------------------
def run_facts(sim: dict, n_starts: int, surf) -> RunFacts:
    """What the renderer's option checks may know of the run a recipe describes."""
    return RunFacts(
        events=tuple(sim["events"]),
        recorded=min(n_starts, sim.get("record", n_starts)),
        finite_sum=getattr(surf, "finite_sum", None) is not None,
    )


def read_render(ctx, raw, facts: RunFacts) -> tuple[str, dict]:
    """``(kind, options)`` of ``[render]``, each option checked by its renderer's declaration."""
    path = ("render",)
    t = table(ctx, path, raw)
    require(ctx, path, t, "kind", f" (one of {', '.join(RENDERERS)})")
    kind = choice(ctx, (*path, "kind"), t["kind"], RENDERERS)
    spec = RENDERERS[kind]
    if "title" in t:
        raise ctx.error((*path, "title"), "is taken from the top-level title; set title = ...")
    keys = spec.keys
    unknown(ctx, path, t, ["kind", *keys], what=f"option of the {kind} renderer")
    for key in spec.required:
        require(ctx, path, t, key)
    opts = {k: ctx.check(keys[k], (*path, k), v, facts) for k, v in t.items() if k != "kind"}
    return kind, opts
