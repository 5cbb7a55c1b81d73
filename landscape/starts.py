"""Starting points: ``(n, d)`` arrays, seeded and reproducible.

:func:`normal`, :func:`uniform`, :func:`sphere` and :func:`ball` draw ``n``
points from one NumPy generator (row ``i`` depends on the rows before it).
:func:`indexed` draws the same distributions with the package's
counter-based generator instead: row ``i`` is a pure function of ``(seed,
first + i)``, so any chunk of a large set of starts can be drawn on its own
(a study split into tasks, issue #17) and equals those rows of the whole.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from ._cache import jit
from ._rng import normal as _std_normal
from ._rng import seed_key_of as _seed_key_of
from ._rng import stream_key as _stream_key
from ._rng import uniform as _unit_uniform

__all__ = ["ball", "grid", "indexed", "normal", "point", "sphere", "uniform"]


def _n(n, d=1, copies=2):
    """``n``, checked (with the ``(n, d)`` arrays the call makes) against available memory."""
    n = V.integer("n", n, minimum=1)
    V.fits_memory("n", copies * 8 * n * max(d, 1), f"{n} starting points in {d}-D", hint="lower n")
    return n


def _rng(seed):
    return np.random.default_rng(V.integer("seed", seed, minimum=0, maximum=V.MAX_SEED))


def point(x, n: int = 1) -> np.ndarray:
    """``n`` copies of one point ``x``."""
    x = V.vector("x", x)
    return np.tile(x, (_n(n, x.shape[0], 1), 1))


def normal(n: int, mean, std=1.0, seed: int = 0) -> np.ndarray:
    r"""``n`` points :math:`\sim N(\text{mean}, \text{std}^2)` per coordinate."""
    mean = V.vector("mean", mean)
    std = _std(std, mean.shape)
    n = _n(n, mean.shape[0], 3)
    return mean + std * _rng(seed).standard_normal((n, mean.shape[0]))


def uniform(n: int, low, high, seed: int = 0) -> np.ndarray:
    """``n`` points uniform in the box ``[low, high]`` (per coordinate)."""
    low, high = _box(low, high)
    n = _n(n, low.shape[0], 3)
    return low + (high - low) * _rng(seed).random((n, low.shape[0]))


def _std(std, shape) -> np.ndarray:
    """A standard deviation (one, or one per coordinate): finite and >= 0."""
    try:
        out = np.broadcast_to(np.asarray(std, dtype=np.float64), shape)
    except (TypeError, ValueError):
        raise ValueError(f"std must be a number or {shape[0]} numbers, got {std!r}") from None
    if not np.all(np.isfinite(out)) or np.any(out < 0):
        raise ValueError(f"std must be finite and >= 0, got {std!r}")
    return out


def _box(low, high) -> tuple[np.ndarray, np.ndarray]:
    """The corners of a box: two vectors of one length, ``high >= low``."""
    low = V.vector("low", low)
    high = V.vector("high", high, low.shape[0])
    if np.any(high < low):
        raise ValueError(f"high must be >= low, got low={low.tolist()} high={high.tolist()}")
    return low, high


def grid(num, low, high) -> np.ndarray:
    """A regular grid with ``num`` points per axis (``num**d`` points in all)."""
    low = V.vector("low", low)
    high = V.vector("high", high, low.shape[0])
    num = V.integer("num", num, minimum=1)
    d = low.shape[0]
    # the meshgrid's d arrays of num**d points, their ravelled copies and the stack
    V.fits_memory(
        "num",
        3 * 8 * num**d * d,
        f"a grid of {num}**{d} = {V.int_text(num**d)} points in {d}-D",
        hint="lower num",
    )
    axes = [np.linspace(lo, hi, num) for lo, hi in zip(low, high, strict=True)]
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)


def sphere(n: int, center, radius: float, seed: int = 0) -> np.ndarray:
    """``n`` points uniform on the sphere of ``radius`` around ``center``."""
    center = V.vector("center", center)
    r = V.positive("radius", radius)
    z = _rng(seed).standard_normal((_n(n, center.shape[0], 3), center.shape[0]))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    return center + r * z


def ball(n: int, center, radius: float, seed: int = 0) -> np.ndarray:
    """``n`` points uniform in the ball of ``radius`` around ``center``."""
    center = V.vector("center", center)
    r = V.positive("radius", radius)
    rng = _rng(seed)
    d = center.shape[0]
    n = _n(n, d, 3)
    z = rng.standard_normal((n, d))
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    rad = r * rng.random(n) ** (1.0 / d)
    return center + rad[:, None] * z


#: Salt of the starts' streams (apart from the noise and shuffle streams of the same seed).
_STARTS_SALT = np.uint64(0xD1B54A32D192ED03)
#: The kinds :func:`indexed` draws, and their parameters (besides ``n``, ``first``, ``seed``).
INDEXED = {
    "point": ("x",),
    "normal": ("mean", "std"),
    "uniform": ("low", "high"),
    "sphere": ("center", "radius"),
    "ball": ("center", "radius"),
}


def indexed(kind: str, n: int, *, first: int = 0, seed: int = 0, **params) -> np.ndarray:
    r"""Starts ``first .. first + n - 1`` of an endless seeded sequence of ``kind``.

    ``kind`` is one of ``point``, ``normal`` (``mean``, ``std=1``),
    ``uniform`` (``low``, ``high``), ``sphere`` and ``ball`` (``center``,
    ``radius``), with the same distributions as the functions of those names.
    Row ``i`` depends only on ``(seed, first + i)`` (the counter-based
    generator of :mod:`landscape._rng`, on a stream of its own), so

    >>> whole = indexed("ball", 1000, center=[0, 0], radius=1e-3, seed=5)   # doctest: +SKIP
    >>> part = indexed("ball", 100, first=300, center=[0, 0], radius=1e-3, seed=5)  # doctest: +SKIP
    >>> (part == whole[300:400]).all()                                           # doctest: +SKIP
    True

    whatever the chunking.  (The sequences differ from :func:`normal` etc.,
    which draw from NumPy's generator.)
    """
    if kind not in INDEXED:
        raise ValueError(f"kind must be one of {', '.join(INDEXED)}, got {kind!r}")
    allowed = INDEXED[kind]
    for key in params:
        if key not in allowed:
            raise ValueError(f"{key} is not a parameter of indexed {kind!r} starts (allowed: "
                             f"{', '.join(allowed)})")  # fmt: skip
    for key in allowed:
        if key not in params and key != "std":
            raise ValueError(f"{key} is required for indexed {kind!r} starts")
    first = V.integer("first", first, minimum=0, maximum=2**62)
    seed = V.integer("seed", seed, minimum=0, maximum=V.MAX_SEED)
    if kind == "point":
        return point(params.get("x"), n)
    if kind == "normal":
        mean = V.vector("mean", params.get("mean"))
        std = _std(params.get("std", 1.0), mean.shape)
        z = _counter_draws(seed, first, _n(n, mean.shape[0]), mean.shape[0], "normal")
        return mean + std * z
    if kind == "uniform":
        low, high = _box(params.get("low"), params.get("high"))
        u = _counter_draws(seed, first, _n(n, low.shape[0]), low.shape[0], "uniform")
        return low + (high - low) * u
    center = V.vector("center", params.get("center"))
    r = V.positive("radius", params.get("radius"))
    d = center.shape[0]
    n = _n(n, d, 3)
    z = _counter_draws(seed, first, n, d, "normal")
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    if kind == "sphere":
        return center + r * z
    u = _counter_draws(seed, first, n, 1, "radius")[:, 0]
    return center + (r * u ** (1.0 / d))[:, None] * z


def _counter_draws(seed: int, first: int, n: int, d: int, what: str) -> np.ndarray:
    """``(n, d)`` standard normals or uniforms of rows ``first ..`` (counter-based)."""
    key = _seed_key_of(seed) ^ _STARTS_SALT
    out = np.empty((n, d))
    _fill(key, first, {"normal": 0, "uniform": 1, "radius": 2}[what], out)
    return out


#: The radius of a ball start is a uniform from this slot on (no direction uses it).
_RADIUS_SLOT = 1 << 20


@jit
def _fill(key, first, what, out):
    """Row ``i`` of ``out``: standard normals (``what`` 0) or uniforms (1, or 2 for a radius)."""
    n, d = out.shape
    for i in range(n):
        k = _stream_key(key, first + i, 0)
        for c in range(d):
            if what == 0:
                out[i, c] = _std_normal(k, c)
            elif what == 1:
                out[i, c] = _unit_uniform(k, c)
            else:
                out[i, c] = _unit_uniform(k, _RADIUS_SLOT + c)
