"""Gradient stages and device twins: how the engines evaluate a surface each step.

A surface describes a loss (its ``vg``; for a finite sum, a per-example
accumulator, :mod:`landscape.surfaces.finite_sum`).  The engine decides how
to evaluate it per step, through a *stage*
``stage(X, G, F, P, t, j0, b, seed_key, idx, keys)``: for an ordinary
surface just ``vg(X, G, F, P)``; for a finite sum the mean over the
mini-batch that lane ``j`` (trajectory ``j0 + j``) uses at step ``t`` with
batch size ``b`` (:func:`minibatch_stage`).

The same Python source serves both targets: :func:`device_version`
re-compiles a Numba CPU function's source as a ``cuda.jit(device=True)``
function, with every Numba function it calls (by bare name) replaced by its
device twin, recursively; :func:`device_stage` builds a surface's stage for
the GPU that way.
"""

from __future__ import annotations

import types as _pytypes

from numba.core.registry import CPUDispatcher

from .. import _backend
from .._cache import jit
from .._rng import half_bits, permute_lanes, shuffle_key
from ..surfaces.finite_sum import H_M, cpu_functions, sum_functions

__all__ = [
    "cpu_stage",
    "device_stage",
    "device_version",
    "family_of",
    "inline_twin",
    "minibatch_stage",
    "needs_nrt",
    "plain_stage",
]

_STAGES: dict = {}
_MINIBATCH: dict = {}
_DEVICE: dict = {}
_DEVICE_STAGES: dict = {}
_TWINS: dict = {}


def minibatch_stage(acc, jit, twins=None, sums=None):
    """The mini-batch stage of accumulator ``acc``, compiled with decorator ``jit``.

    ``stage(X, G, F, P, t, j0, b, seed_key, idx, keys)``: the mean over the
    examples that lane ``j`` (trajectory ``j0 + j``) uses at step ``t`` with
    batch size ``b`` — a fresh keyed permutation per (trajectory, epoch),
    consecutive batches, the last one smaller; ``b <= 0`` or ``b >= m``: the
    full batch, in order, so batch gradient descent is exactly the surface.
    ``idx`` is an int64 ``(n,)`` and ``keys`` a uint64 ``(3, n)`` workspace.
    ``sums`` are the ``(zero_out, scale, all_examples)`` of
    :func:`landscape.surfaces.finite_sum.sum_functions` for ``jit``'s target,
    ``twins`` the shuffle's helpers for it (CUDA device functions).
    """
    tw = twins or {}
    _permute_lanes = tw.get(permute_lanes, permute_lanes)
    _shuffle_key = tw.get(shuffle_key, shuffle_key)
    _half_bits = tw.get(half_bits, half_bits)
    zero_j, scale_j, all_j = sums if sums is not None else sum_functions(acc, jit)

    def minibatch(X, G, F, P, t, j0, b, seed_key, idx, keys):
        m = int(P[H_M])
        if b <= 0 or b >= m:
            all_j(X, G, F, P, idx)
            return
        n = X.shape[1]
        nb = (m + b - 1) // b  # batches per epoch, the last one smaller
        epoch = t // nb
        start = (t - epoch * nb) * b
        size = min(b, m - start)
        h = _half_bits(m)
        for j in range(n):
            keys[0, j] = _shuffle_key(seed_key, j0 + j, epoch)
        zero_j(X, G, F)
        for s in range(size):
            _permute_lanes(keys, start + s, m, h, idx)
            acc(X, G, F, P, idx)
        scale_j(X, G, F, size)

    return jit(minibatch)


def plain_stage(vg):
    """The CPU stage of an ordinary surface: its ``vg``, nothing else (memoised).

    A Numba ``vg`` is recompiled from its source with ``inline="always"``, so
    the kernel's step loop holds the surface's maths itself instead of a call
    per step (its lane loops then vectorise together with the rest).
    """
    stage = _STAGES.get(vg)
    if stage is None:
        vg_in = vg
        if isinstance(vg, CPUDispatcher):
            vg_in = jit(inline="always")(vg.py_func)

        @jit(inline="always")
        def stage(X, G, F, P, t, j0, b, seed_key, idx, keys):
            vg_in(X, G, F, P)

        _STAGES[vg] = stage
    return stage


def cpu_stage(surface):
    """The CPU stage of ``surface`` (mini-batches for a finite sum; memoised per family)."""
    fs = surface.finite_sum
    if fs is None:
        return plain_stage(surface.vg)
    stage = _MINIBATCH.get(fs.acc)
    if stage is None:
        _vg, *sums = cpu_functions(fs.acc)
        stage = minibatch_stage(fs.acc, jit, sums=tuple(sums))
        _MINIBATCH[fs.acc] = stage
    return stage


def needs_nrt(surface) -> bool:
    """Whether the CPU kernel of ``surface`` must keep Numba's allocator (NRT).

    landscape's own surfaces and models allocate nothing per step, so their
    kernels compile without reference counting (faster); a ``vg`` or
    accumulator defined elsewhere (a user's surface) may allocate, so its
    kernel keeps NRT.
    """
    family, _ = family_of(surface)
    fn = getattr(family, "py_func", family)
    return not str(getattr(fn, "__module__", "")).startswith("landscape.")


def family_of(surface):
    """``(family, finite_sum)``: what a surface's compiled code is keyed on.

    ``family`` is the surface's ``vg`` or, for a finite sum, its per-example
    accumulator (one kernel per model serves every data set).
    """
    if surface.finite_sum is not None:
        return surface.finite_sum.acc, True
    return surface.vg, False


def inline_twin(fn):
    """``fn`` recompiled from its source with ``inline="always"`` (memoised).

    The step pieces are ordinary compiled functions; the CPU kernels (fused
    and batched) take their inlined twins, so each step's loops sit in the
    kernel's own code, where LLVM sees the workspaces and vectorises across
    lanes without a call (and its argument unpacking) per piece and step.
    """
    key = fn
    twin = _TWINS.get(key)
    if twin is None:
        twin = jit(inline="always")(fn.py_func)
        _TWINS[key] = twin
    return twin


def device_version(fn):
    """The ``cuda.jit(device=True)`` twin of a Numba CPU function (memoised).

    Non-Numba objects are returned as they are.  The twin's globals see the
    twins of the Numba functions the source names directly.
    """
    if not isinstance(fn, CPUDispatcher):
        return fn
    dev = _DEVICE.get(fn)
    if dev is None:
        cuda = _backend.cuda()
        py = fn.py_func
        glb = dict(py.__globals__)
        for name in py.__code__.co_names:
            obj = glb.get(name)
            if isinstance(obj, CPUDispatcher):
                glb[name] = device_version(obj)
        clone = _pytypes.FunctionType(
            py.__code__, glb, py.__name__, py.__defaults__, py.__closure__
        )
        clone.__qualname__ = py.__qualname__
        dev = cuda.jit(device=True)(clone)
        _DEVICE[fn] = dev
    return dev


def device_stage(family, finite_sum):
    """The device stage ``stage(X, G, F, P, t, j0, b, seed_key, idx, keys)`` of a family (memoised)."""
    key = (family, bool(finite_sum))
    stage = _DEVICE_STAGES.get(key)
    if stage is not None:
        return stage
    cuda = _backend.cuda()
    if finite_sum:
        twins = {f: device_version(f) for f in (permute_lanes, shuffle_key, half_bits)}
        dev_jit = cuda.jit(device=True)
        stage = minibatch_stage(device_version(family), dev_jit, twins,
                                sums=sum_functions(device_version(family), dev_jit))  # fmt: skip
    else:
        vg_d = device_version(family)

        @cuda.jit(device=True)
        def stage(X, G, F, P, t, j0, b, seed_key, idx, keys):
            vg_d(X, G, F, P)

    _DEVICE_STAGES[key] = stage
    return stage
