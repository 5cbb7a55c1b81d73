"""The batched protocol of the random surfaces: its checks, chunking and work buffers.

``value_and_grad(X, G) -> F`` for ``X``, ``G`` of shape ``(n, d)``, C order,
both float32 or both float64 (see :mod:`landscape.surfaces.random`).  Rows
are processed in chunks so that no intermediate exceeds :data:`WORK_BYTES`
(read at call time: patch ``protocol.WORK_BYTES`` to change it).
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["DTYPES", "WORK_BYTES", "Batched", "check_batch", "rowdot", "rows_per_chunk"]

#: Largest intermediate (bytes) a batched call builds; larger batches are chunked.
WORK_BYTES = 256 * 2**20

#: The dtypes a batch may have.
DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def check_batch(X, G, dim):
    """The batched contract: ``X``, ``G`` of shape ``(n, dim)``, one float dtype, C order."""
    if not (isinstance(X, np.ndarray) and isinstance(G, np.ndarray)):
        raise ValueError(
            f"X and G must be numpy arrays, got {type(X).__name__}, {type(G).__name__}"
        )
    if X.ndim != 2 or X.shape[1] != dim or G.shape != X.shape:
        raise ValueError(
            f"X and G must have the same shape (n, {dim}), got {X.shape} and {G.shape}"
        )
    if X.dtype not in DTYPES or G.dtype != X.dtype:
        raise ValueError(
            f"X and G must both be float32 or both float64, got {X.dtype} and {G.dtype}"
        )
    if not (G.flags.c_contiguous and G.flags.writeable):
        raise ValueError("G must be a writeable C-contiguous array")
    if np.may_share_memory(X, G):
        raise ValueError("X and G must not overlap")
    return X.dtype


def rows_per_chunk(row_bytes):
    """Rows per chunk so that one ``row_bytes``-wide intermediate stays within :data:`WORK_BYTES`."""
    return max(1, int(WORK_BYTES // max(1, int(row_bytes))))


def rowdot(A, B):
    """Row-wise dot products ``sum_j A[i, j] B[i, j]`` in the arrays' dtype."""
    return np.einsum("ij,ij->i", A, B)


class Batched:
    """Base of the batched objects: float32 copies and a reusable work buffer."""

    manifold = None

    def __init__(self, dim):
        self.dim = int(dim)
        self._f32 = {}
        self._work = {}
        self._lock = threading.Lock()

    def _cast(self, name, dtype):
        """Attribute ``name`` in ``dtype`` (the float32 copy is made once and kept)."""
        arr = getattr(self, name)
        if dtype == np.float64:
            return arr
        out = self._f32.get(name)
        if out is None:
            out = np.ascontiguousarray(arr, dtype=np.float32)
            self._f32[name] = out
        return out

    def _buffer(self, key, dtype, rows, cols, held):
        """A C-contiguous ``(rows, cols)`` work array, kept for the next call when ``held``."""
        if not held:  # another thread is inside value_and_grad: use a private buffer
            return np.empty((rows, cols), dtype)
        k = (key, np.dtype(dtype).name, cols)
        buf = self._work.get(k)
        if buf is None or buf.shape[0] < rows:
            buf = np.empty((rows, cols), dtype)
            self._work[k] = buf
        return buf[:rows]

    def clear_workspace(self):
        """Free the work buffers kept between calls (at most :data:`WORK_BYTES` each)."""
        self._work.clear()

    def value_and_grad(self, X, G):
        """Values (returned, shape ``(n,)``) and gradients (written into ``G``) of rows ``X``."""
        dtype = check_batch(X, G, self.dim)
        F = np.empty(X.shape[0], dtype)
        if X.shape[0] == 0:
            return F
        held = self._lock.acquire(blocking=False)
        try:
            self._vg(X, G, F, dtype, held)
        finally:
            if held:
                self._lock.release()
        return F

    def hvp(self, x, v):
        """Hessian-vector product at one point (float64)."""
        return self.hessian(x) @ np.asarray(v, dtype=np.float64)
