"""sin / cos for the random features: a compiled, vectorisable kernel."""

from __future__ import annotations

import math

import numpy as np

from ..._cache import jit

__all__ = ["features_kernel"]

# NumPy's float64 np.sin / np.cos are scalar libm calls (about 18 ns per value
# here, twice the cost of the two matrix products); this kernel evaluates both
# with a Cody-Waite reduction by pi/2 and Cephes' minimax polynomials on
# [-pi/4, pi/4] (<= 1 ulp there), which LLVM vectorises.  It is compiled with
# FMA contraction only: 'reassoc' would fold the three-part reduction
# ((z - q P1) - q P2) - q P3 into z - q (P1 + P2 + P3) and lose ~1e-11.
# |q| < 2**19 keeps q * P1 and q * P2 exact (33-bit constants); beyond that
# (|z| > 8e5, a diverging trajectory) the row falls back to math.sin/cos.
_PIO2_1 = 1.5707963267341256  # pi/2 = _PIO2_1 + _PIO2_2 + _PIO2_3 (+1e-37)
_PIO2_2 = 6.077100506303966e-11
_PIO2_3 = 2.0222662487959506e-21
_TWO_OVER_PI = 0.6366197723675814
_Q_MAX = 1 << 19
_Z_FAST = _Q_MAX * 1.5707963267948966
_S0, _S1, _S2 = 1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6
_S3, _S4, _S5 = -1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1
_C0, _C1, _C2 = -1.13585365213876817300e-11, 2.08757008419747316778e-9, -2.75573141792967388112e-7
_C3, _C4, _C5 = 2.48015872888517045348e-5, -1.38888888888730564116e-3, 4.16666666666665929218e-2


@jit(fastmath={"contract"})
def features_kernel(Z, b, ca, F):
    """Row by row: ``z = Z + b``; ``F = sum_k ca_k cos z_k``; ``Z <- -ca * sin z``.

    ``Z`` (float32 or float64) holds ``X @ Omega^T``; ``b`` and ``ca`` are
    float64; the trigonometry runs in float64 and is rounded to ``Z``'s dtype.
    """
    n, K = Z.shape
    ts = np.empty(K)
    tc = np.empty(K)
    for r in range(n):
        wide = 0
        for k in range(K):
            z = np.float64(Z[r, k]) + b[k]
            q = math.floor(z * _TWO_OVER_PI + 0.5)
            t = ((z - q * _PIO2_1) - q * _PIO2_2) - q * _PIO2_3
            t2 = t * t
            s = t + t * t2 * (((((_S0 * t2 + _S1) * t2 + _S2) * t2 + _S3) * t2 + _S4) * t2 + _S5)
            c = (
                1.0
                - 0.5 * t2
                + t2 * t2 * (((((_C0 * t2 + _C1) * t2 + _C2) * t2 + _C3) * t2 + _C4) * t2 + _C5)
            )
            qi = np.int64(q)
            odd = (qi & 1) != 0
            ts[k] = (1.0 - np.float64(qi & 2)) * (c if odd else s)
            tc[k] = (1.0 - np.float64((qi + 1) & 2)) * (s if odd else c)
            wide |= (qi > _Q_MAX) | (qi < -_Q_MAX)
        if wide:  # huge or non-finite arguments: libm for those entries
            for k in range(K):
                z = np.float64(Z[r, k]) + b[k]
                if not abs(z) < _Z_FAST:
                    ts[k] = math.sin(z)
                    tc[k] = math.cos(z)
        a0 = 0.0
        a1 = 0.0
        a2 = 0.0
        a3 = 0.0
        k4 = K - K % 4
        for k in range(0, k4, 4):
            a0 += ca[k] * tc[k]
            a1 += ca[k + 1] * tc[k + 1]
            a2 += ca[k + 2] * tc[k + 2]
            a3 += ca[k + 3] * tc[k + 3]
        for k in range(k4, K):
            a0 += ca[k] * tc[k]
        for k in range(K):
            Z[r, k] = -ca[k] * ts[k]
        F[r] = (a0 + a1) + (a2 + a3)
