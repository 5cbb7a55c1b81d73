r"""Mini-batches as the course defines them, exposed for inspection and tests.

Each epoch, every trajectory draws a fresh permutation of the ``m`` examples
and splits it into consecutive mini-batches of ``b`` examples, the last one
smaller when ``b`` does not divide ``m`` (``m = 7, b = 2`` gives sizes 2, 2,
2, 1).  Step ``t`` uses batch ``t mod ceil(m/b)`` of epoch ``t // ceil(m/b)``.
``b = 1`` is stochastic gradient descent, ``b = m`` batch gradient descent
(one batch holding every example, taken in order).

The permutation is a keyed shuffle (:func:`landscape._rng.permute`: a
Feistel network with cycle walking, keyed by ``(seed, trajectory, epoch)``),
so the engine computes the ``s``-th example of an epoch on the spot, on the
CPU and the GPU alike, without storing a permutation per trajectory.  The
functions here return exactly what :func:`landscape.simulate` uses.

>>> import landscape as ls
>>> ls.minibatch.partition(7, 2)
[2, 2, 2, 1]
"""

from __future__ import annotations

import numpy as np

from . import _rng
from . import _validate as V

__all__ = [
    "batch_gradients",
    "batches",
    "partition",
    "permutation",
    "steps_per_epoch",
]


def _mb(m, b):
    m = V.integer("m", m, minimum=1, maximum=V.MAX_STEPS)
    b = V.integer("batch_size", b, minimum=1, maximum=V.MAX_STEPS)
    if b > m:
        raise ValueError(f"batch_size must be between 1 and m = {m}, got {b}")
    return m, b


def steps_per_epoch(m: int, batch_size: int) -> int:
    """Mini-batches (updates) per epoch: ``ceil(m / batch_size)``."""
    m, b = _mb(m, batch_size)
    return -(-m // b)


def partition(m: int, batch_size: int) -> list[int]:
    """Sizes of an epoch's mini-batches: ``b`` each, the last ``m - b * floor(m/b)`` if nonzero."""
    m, b = _mb(m, batch_size)
    V.fits_memory("m", 8 * (m // b + 1), f"a list of the {m // b + 1} batch sizes", hint="lower m")
    sizes = [b] * (m // b)
    if m % b:
        sizes.append(m % b)
    return sizes


def permutation(m: int, *, seed: int = 0, trajectory: int = 0, epoch: int = 0) -> np.ndarray:
    """The order of the ``m`` examples in one epoch of one trajectory (an int64 array)."""
    # the keyed shuffle works on uint64 indices; the array is 8 bytes per example
    m = V.integer("m", m, minimum=1, maximum=V.MAX_STEPS)
    V.fits_memory("m", 8 * m, f"the permutation of {m} examples (int64)", hint="lower m")
    key = _key(seed, trajectory, epoch)
    out = np.empty(m, dtype=np.int64)
    _rng.permutation(key, m, out)
    return out


def batches(
    m: int, batch_size: int, *, seed: int = 0, trajectory: int = 0, epoch: int = 0
) -> list[np.ndarray]:
    """The example indices of each mini-batch of one epoch of one trajectory.

    With ``batch_size == m`` this is one batch of every example in order, as
    the engine runs batch gradient descent.
    """
    m, b = _mb(m, batch_size)
    V.fits_memory("m", 8 * m + 100 * (m // b + 1), f"the batches of {m} examples", hint="lower m")
    if b == m:
        return [np.arange(m, dtype=np.int64)]
    order = permutation(m, seed=seed, trajectory=trajectory, epoch=epoch)
    return [order[i : i + b] for i in range(0, m, b)]


def batch_gradients(surface, theta, batch_size: int, *, seed: int = 0, trajectories=None,
                    steps=None):  # fmt: skip
    r"""Mini-batch cost and gradient at a fixed ``theta``, as the engine computes them.

    Parameters
    ----------
    surface : Surface
        A finite-sum surface (:mod:`landscape.surfaces.finite_sum`).
    theta : array (d,)
        The parameters.
    batch_size : int
    seed : int
        The run's seed.
    trajectories : sequence of int
        Trajectory indices (each draws its own permutations); default ``[0]``.
    steps : sequence of int
        Step numbers (which batch of which epoch); default one epoch,
        ``range(steps_per_epoch)``.

    Returns
    -------
    (cost, grad) : arrays (n_traj, n_steps) and (n_traj, n_steps, d)
        :math:`J^{\{t\}}(\theta)` and its gradient for each trajectory and step.
    """
    fs = getattr(surface, "finite_sum", None)
    if fs is None:
        from .surfaces.finite_sum import MODELS

        raise ValueError(
            f"surface must be a finite-sum surface ({', '.join(MODELS)}), got {surface!r}"
        )
    from .engine.stages import cpu_stage

    m, b = _mb(fs.m, batch_size)
    th = V.vector("theta", theta, surface.dim)
    trajs = np.asarray([0] if trajectories is None else trajectories, dtype=np.int64).reshape(-1)
    if trajs.size == 0 or np.any(trajs < 0):
        raise ValueError(f"trajectories must be non-negative integers, got {trajectories!r}")
    ts = np.arange(-(-m // b)) if steps is None else np.asarray(steps, dtype=np.int64).reshape(-1)
    if ts.size == 0 or np.any(ts < 0):
        raise ValueError(f"steps must be non-negative integers, got {steps!r}")
    stage = cpu_stage(surface)
    key = _rng.seed_key_of(V.integer("seed", seed, minimum=0, maximum=V.MAX_SEED))
    d = surface.dim
    cost = np.empty((trajs.size, ts.size))
    grad = np.empty((trajs.size, ts.size, d))
    # lanes are consecutive trajectories from j0; run one lane per trajectory
    X = np.ascontiguousarray(th[:, None])  # one lane: (d, 1)
    G = np.empty_like(X)
    F = np.empty(1)
    idx = np.empty(1, dtype=np.int64)
    keys = np.empty((3, 1), dtype=np.uint64)
    for a, j in enumerate(trajs):
        for c, t in enumerate(ts):
            stage(X, G, F, surface.params, int(t), int(j), b, key, idx, keys)
            cost[a, c] = F[0]
            grad[a, c] = G[:, 0]
    return cost, grad


def _key(seed, trajectory, epoch):
    seed = V.integer("seed", seed, minimum=0, maximum=V.MAX_SEED)
    trajectory = V.integer("trajectory", trajectory, minimum=0, maximum=V.MAX_STEPS)
    epoch = V.integer("epoch", epoch, minimum=0, maximum=V.MAX_STEPS)
    return np.uint64(_rng.shuffle_key(_rng.seed_key_of(seed), trajectory, epoch))
