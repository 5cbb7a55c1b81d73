"""Argument checks that name the argument, the bad value and what is allowed."""

from __future__ import annotations

import math
import numbers
import os

import numpy as np

#: The largest step count (and other step-like integer) a kernel accepts: its
#: loops run ``t`` over ``range(steps + 1)`` in int64 and frame steps are
#: ``f * record_every`` in int64, so 2**62 leaves room for both.
MAX_STEPS = 2**62
#: Seeds are scrambled into one 64-bit key: larger seeds would alias smaller ones.
MAX_SEED = 2**64 - 1
#: Environment variable that overrides the memory the size checks allow (bytes,
#: or with a K/M/G/T suffix); for tests and for machines where
#: ``/proc/meminfo`` misleads (containers).
MEMORY_ENV = "LANDSCAPE_MEMORY_LIMIT"


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def real(name: str, value, *, finite: bool = True) -> float:
    """``value`` as a float; it must be a real number (finite unless told)."""
    if not _is_real(value):
        raise ValueError(f"{name} must be a real number, got {_short(value)}")
    try:
        v = float(value)
    except OverflowError:  # an int beyond float range
        raise ValueError(f"{name} must be finite, got {int_text(int(value))}") from None
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


#: The most contour levels a map draws (renderers and recipes check against it).
MAX_CONTOUR_LEVELS = 1000


def integer(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An int (numpy ints accepted), optionally in ``[minimum, maximum]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {_short(value)}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {int_text(maximum)}, got {int_text(v)}")
    return v


def flag(name: str, value) -> bool:
    """A bool (numpy bools accepted); strings such as ``"no"`` are refused, not truthy."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise ValueError(f"{name} must be True or False, got {_short(value)}")


def int_text(v: int) -> str:
    """``v``, as ``2**k`` (or ``2**k - 1``) when it is one, else its digits (or its size)."""
    for off, suffix in ((0, ""), (1, " - 1")):
        w = v + off
        if w >= 2**20 and w & (w - 1) == 0:  # 4096 reads better as itself
            return f"2**{w.bit_length() - 1}{suffix}"
    if abs(v).bit_length() > 128:
        return f"about {'-' if v < 0 else ''}2**{abs(v).bit_length() - 1}"
    return str(v)


def _short(value) -> str:
    text = safe_text(repr(value))
    return text if len(text) <= 80 else text[:77] + "..."


def safe_text(text) -> str:
    """``text`` with control characters escaped, for echoing user text in messages."""
    text = str(text)
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode("ascii")
        for c in text
    )


def real_array(name: str, value) -> np.ndarray:
    """``value`` as a float64 array; complex, masked, bool and non-numeric input is refused."""
    if isinstance(value, np.ma.MaskedArray):
        raise ValueError(
            f"{name} must be a plain array of real numbers, got a masked array; "
            "fill or drop the masked entries first (e.g. value.filled(...) or value.compressed())"
        )
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be an array of real numbers, got {type(value).__name__}"
        ) from None
    kind = raw.dtype.kind
    if kind == "c":
        raise ValueError(f"{name} must be real, got a complex array ({raw.dtype})")
    if kind == "b":
        raise ValueError(f"{name} must be numbers, got a bool array; convert it to floats first")
    if kind not in "iuf":
        try:
            raw = raw.astype(np.float64)
        except OverflowError:  # Python ints beyond float range
            raise ValueError(f"{name} must be finite, got an integer beyond float range") from None
        except (TypeError, ValueError):
            raise ValueError(
                f"{name} must be an array of real numbers, got {raw.dtype} values"
            ) from None
        if raw.dtype.kind != "f":  # pragma: no cover - astype gives float64
            raise ValueError(f"{name} must be an array of real numbers")
    return np.asarray(raw, dtype=np.float64)


def _parse_bytes(text: str) -> int:
    units = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = t[-1:] if t[-1:] in units else ""
    number = t[: len(t) - len(unit)] if unit else t
    try:
        value = float(number) * units[unit]
    except ValueError:
        raise ValueError(
            f"{MEMORY_ENV} must be a byte count such as 8G or 500M, got {text!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{MEMORY_ENV} must be a positive byte count, got {text!r}")
    return int(value)


def available_memory() -> int:
    """Bytes the size checks allow: ``$LANDSCAPE_MEMORY_LIMIT``, else available memory.

    Available memory is ``MemAvailable`` from ``/proc/meminfo`` (Linux), else
    free pages times page size from ``os.sysconf``, else 16 GiB.
    """
    env = os.environ.get(MEMORY_ENV)
    if env:
        return _parse_bytes(env)
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return 16 * 2**30


def gib(nbytes: float) -> str:
    """``nbytes`` as a short human size."""
    if nbytes > 2**40 * 10**6:  # beyond float range for some callers' exact ints
        return "more than a million TiB"
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if nbytes >= size:
            return f"{nbytes / size:.3g} {unit}"
    return f"{int(nbytes)} B"


def fits_memory(name: str, nbytes: float, what: str, *, hint: str = "") -> None:
    """Refuse, before allocating, a call whose arrays would need ``nbytes``.

    ``name`` is the argument (or recipe key) to change, ``what`` the arrays
    the estimate counts; the limit is :func:`available_memory`.
    """
    limit = available_memory()
    if nbytes > limit:
        tail = f"; {hint}" if hint else ""
        size = gib(nbytes)
        size = size if size.startswith("more") else f"about {size}"
        raise ValueError(
            f"{name}: {what} would need {size}, more than the {gib(limit)} of "
            f"memory available (set {MEMORY_ENV} to override){tail}"
        )


def vector(name: str, value, dim: int | None = None) -> np.ndarray:
    """A finite 1-D float64 array, of length ``dim`` if given (no complex, bool or masked)."""
    try:
        arr = real_array(name, value)
    except ValueError as exc:
        if "got a" in str(exc) or "complex" in str(exc):
            raise
        raise ValueError(f"{name} must be a sequence of numbers, got {_short(value)}") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if dim is not None and arr.shape[0] != dim:
        raise ValueError(f"{name} must have length {dim}, got length {arr.shape[0]}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {_short(value)}")
    return arr


def choice(name: str, value, allowed) -> str:
    """One of ``allowed`` (a collection of strings)."""
    try:
        ok = value in allowed
    except TypeError:  # unhashable (a list, a dict): certainly not one of them
        ok = False
    if not ok:
        raise ValueError(f"{name} must be one of {sorted(allowed)}, got {_short(value)}")
    return value
