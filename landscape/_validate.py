"""Argument checks that name the argument, the bad value and what is allowed."""

from __future__ import annotations

import math
import numbers

import numpy as np


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def real(name: str, value, *, finite: bool = True) -> float:
    """``value`` as a float; it must be a real number (finite unless told)."""
    if not _is_real(value):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if finite and not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return v


def positive(name: str, value) -> float:
    """A finite float > 0."""
    v = real(name, value)
    if not v > 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def nonnegative(name: str, value) -> float:
    """A finite float >= 0."""
    v = real(name, value)
    if not v >= 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return v


def in_range(name: str, value, low: float, high: float, *, closed_high: bool = False) -> float:
    """A float in ``[low, high)`` (or ``[low, high]`` if ``closed_high``)."""
    v = real(name, value)
    ok = low <= v <= high if closed_high else low <= v < high
    if not ok:
        interval = f"[{low:g}, {high:g}{']' if closed_high else ')'}"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return v


def beta(name: str, value) -> float:
    """An averaging coefficient in ``[0, 1)``."""
    return in_range(name, value, 0.0, 1.0)


def integer(name: str, value, *, minimum: int | None = None) -> int:
    """An int (numpy ints accepted), optionally >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return v


def vector(name: str, value, dim: int | None = None) -> np.ndarray:
    """A finite 1-D float64 array, of length ``dim`` if given."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers, got {value!r}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if dim is not None and arr.shape[0] != dim:
        raise ValueError(f"{name} must have length {dim}, got length {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def choice(name: str, value, allowed) -> str:
    """One of ``allowed`` (a collection of strings)."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {value!r}")
    return value
