"""Starting points: ``(n, d)`` arrays, seeded and reproducible."""

from __future__ import annotations

import numpy as np

from . import _validate as V

__all__ = ["ball", "grid", "normal", "point", "sphere", "uniform"]


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
    std = np.broadcast_to(np.asarray(std, dtype=np.float64), mean.shape)
    if not np.all(np.isfinite(std)) or np.any(std < 0):
        raise ValueError(f"std must be finite and >= 0, got {std!r}")
    n = _n(n, mean.shape[0], 3)
    return mean + std * _rng(seed).standard_normal((n, mean.shape[0]))


def uniform(n: int, low, high, seed: int = 0) -> np.ndarray:
    """``n`` points uniform in the box ``[low, high]`` (per coordinate)."""
    low = V.vector("low", low)
    high = V.vector("high", high, low.shape[0])
    if np.any(high < low):
        raise ValueError(f"high must be >= low, got low={low.tolist()} high={high.tolist()}")
    n = _n(n, low.shape[0], 3)
    return low + (high - low) * _rng(seed).random((n, low.shape[0]))


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
