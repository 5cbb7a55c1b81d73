"""Dtype-following constants for kernels.

Numba types a float literal as float64, and ``float32 * float64`` is float64,
so a literal inside a float32 kernel silently doubles the work (half the SIMD
width).  ``cst(X, 2.0)`` gives the constant in ``X``'s dtype (``X`` an array
or a scalar), so code written once runs natively in float32 and float64.
"""

from __future__ import annotations

from numba import types
from numba.extending import overload


def cst(like, value):  # pragma: no cover - replaced inside compiled code
    """``value`` cast to the dtype of ``like`` (array or scalar); Python fallback."""
    import numpy as np

    dtype = like.dtype if hasattr(like, "dtype") else np.asarray(like).dtype
    return dtype.type(value)


@overload(cst, inline="always", target="generic")
def _cst_impl(like, value):
    dt = like.dtype if isinstance(like, types.Array) else like

    def impl(like, value):
        return dt(value)

    return impl
