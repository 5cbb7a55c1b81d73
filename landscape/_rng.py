r"""Counter-based random numbers, identical on CPU and GPU.

Every draw is a pure function of ``(seed, trajectory, step, slot)``: a
SplitMix64-style finaliser (Stafford's "Mix13") is applied to the key chain,
so results never depend on thread count, block size or backend.  A standard
normal uses two 53-bit uniforms (slots ``2c`` and ``2c + 1`` for coordinate
``c``) and the Box-Muller transform.

References
----------
G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom number
generators", OOPSLA 2014 (SplitMix64); J. K. Salmon et al., "Parallel random
numbers: as easy as 1, 2, 3", SC 2011 (counter-based generators); M. Luby,
C. Rackoff, "How to construct pseudorandom permutations from pseudorandom
functions", SIAM J. Comput. 1988 (Feistel networks); J. Black, P. Rogaway,
"Ciphers with arbitrary finite domains", CT-RSA 2002 (cycle walking).

Mini-batch order uses a *keyed shuffle*: :func:`permute` is a bijection of
``{0, .., m-1}`` chosen by a 64-bit key (one key per trajectory and epoch,
:func:`shuffle_key`), so the ``s``-th example of an epoch is computed on the
spot, with no O(m) permutation array per trajectory, identically on CPU and
GPU.
"""

from __future__ import annotations

import math

import numpy as np

from ._cache import jit

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_TWO53_INV = 1.0 / 9007199254740992.0


@jit(inline="always")
def mix64(z):
    """Bijective 64-bit finaliser (SplitMix64 / Mix13)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@jit(inline="always")
def stream_key(seed_key, trajectory, step):
    """Key of one (trajectory, step) stream; ``seed_key = seed_key_of(seed)``."""
    h = mix64(seed_key ^ (np.uint64(trajectory) * _GOLDEN))
    return mix64(h + np.uint64(step) * _M2)


@jit(inline="always")
def uniform(key, slot):
    """Uniform in (0, 1) from a stream key and a slot number (53 bits)."""
    h = mix64(key ^ ((np.uint64(slot) + np.uint64(1)) * _GOLDEN))
    return (float(h >> _S11) + 0.5) * _TWO53_INV


@jit(inline="always")
def normal(key, coord):
    """Standard normal for coordinate ``coord`` of a stream (Box-Muller)."""
    u1 = uniform(key, 2 * coord)
    u2 = uniform(key, 2 * coord + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


_SHUFFLE_SALT = np.uint64(0x5851F42D4C957F2D)
_ONE = np.uint64(1)
_S63 = np.uint64(63)


@jit(inline="always")
def shuffle_key(seed_key, trajectory, epoch):
    """Key of the example order of one (trajectory, epoch); independent of the noise keys."""
    return stream_key(seed_key ^ _SHUFFLE_SALT, trajectory, epoch)


@jit(inline="always")
def half_bits(m):
    """Bits per Feistel half for ``m`` items: the least ``h >= 2`` with ``4**h >= m``."""
    h = 2
    while (1 << (2 * h)) < m:
        h += 1
    return h


@jit(inline="always")
def _rounds(h):
    return 12 if h <= 3 else 8


@jit(inline="always")
def _walk(key, x, hu, mask, mu, rounds):
    """Feistel passes from ``x`` until the value is below ``m``; then the parity bit."""
    while True:
        left = x >> hu
        right = x & mask
        rk = key
        for _ in range(rounds):
            rk += _GOLDEN
            left, right = right, left ^ (mix64(right ^ rk) & mask)
        x = (left << hu) | right
        if x < mu:
            break
    return _parity(key, x, mu)


@jit(inline="always")
def _parity(key, x, mu):
    if (key >> _S63) != 0 and x <= _ONE and mu > _ONE:
        return _ONE - x
    return x


@jit
def permute(key, i, m, h):
    """Position ``i`` of the keyed permutation of ``{0, .., m-1}`` (``h = half_bits(m)``).

    A balanced Feistel network (round function: the 64-bit mixer) permutes
    ``{0, .., 4**h - 1}``; cycle walking (apply it again until the value is
    below ``m``) restricts it to ``{0, .., m-1}`` (``4**h < 4 m`` for m > 16,
    so under 4 passes on average).  Feistel rounds on a domain of ``2**(2h)``
    items are even permutations, which biases the parity of the induced
    permutation; a key bit decides whether the images 0 and 1 are exchanged,
    which removes that bias.  Small domains mix more slowly, so they get 12
    rounds instead of 8 (chosen by chi-square tests of all ``m!``
    permutations for m = 3, 4, 5 and of pair frequencies for m = 100).
    """
    hu = np.uint64(h)
    mask = (_ONE << hu) - _ONE
    return np.int64(_walk(key, np.uint64(i), hu, mask, np.uint64(m), _rounds(h)))


@jit
def permute_lanes(W, i, m, h, out):
    """``out[j] = permute(W[0, j], i, m, h)`` for every lane ``j``, vectorised.

    ``W`` is a ``(3, n)`` uint64 workspace whose first row holds the lanes'
    keys.  The first Feistel pass runs over lanes in lock step (SIMD); the
    lanes whose value lands outside ``{0, .., m-1}`` finish their cycle walk
    one by one.
    """
    n = W.shape[1]
    hu = np.uint64(h)
    mask = (_ONE << hu) - _ONE
    mu = np.uint64(m)
    x0 = np.uint64(i)
    left0 = x0 >> hu
    right0 = x0 & mask
    for j in range(n):
        W[1, j] = left0
        W[2, j] = right0
    c = np.uint64(0)
    for _ in range(_rounds(h)):
        c += _GOLDEN
        for j in range(n):
            t = W[1, j] ^ (mix64(W[2, j] ^ (W[0, j] + c)) & mask)
            W[1, j] = W[2, j]
            W[2, j] = t
    for j in range(n):
        x = (W[1, j] << hu) | W[2, j]
        if x >= mu:
            x = _walk(W[0, j], x, hu, mask, mu, _rounds(h))
        else:
            x = _parity(W[0, j], x, mu)
        out[j] = np.int64(x)


@jit
def permutation(key, m, out):
    """Fill ``out[:m]`` with the whole keyed permutation of ``{0, .., m-1}``."""
    h = half_bits(m)
    for i in range(m):
        out[i] = permute(key, i, m, h)


def seed_key_of(seed: int) -> np.uint64:
    """Scramble a user seed (any int >= 0) into the generator's 64-bit key."""
    return np.uint64(_mix64_py(int(seed) & 0xFFFFFFFFFFFFFFFF))


def _mix64_py(z: int) -> int:
    mask = 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


@jit
def normals(seed_key, trajectories, steps, coords, out):
    """Fill ``out[i]`` with the normal of (trajectories[i], steps[i], coords[i])."""
    for i in range(out.shape[0]):
        out[i] = normal(stream_key(seed_key, trajectories[i], steps[i]), coords[i])
