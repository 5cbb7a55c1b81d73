r"""The fraction of negative Hessian eigenvalues at very large ``d``: stochastic Lanczos quadrature."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from .. import _validate as V
from ._frame import Frame, check_surface, point
from .spectra import Index

__all__ = ["estimate_index"]


def estimate_index(
    surface,
    x,
    *,
    probes: int = 20,
    steps: int = 60,
    tol: float = 1e-8,
    seed: int = 0,
) -> Index:
    r"""Estimate the fraction of negative eigenvalues by stochastic Lanczos quadrature.

    For each of ``probes`` Rademacher vectors ``v``, ``steps`` Lanczos steps
    (fully reorthogonalised) from ``v`` give Ritz values :math:`\theta_i` and
    weights :math:`\tau_i` (squared first components of the tridiagonal
    matrix's eigenvectors); :math:`\sum_i \tau_i [\theta_i < -z]` estimates
    :math:`v^\top 1[\nabla^2 H < 0] v/|v|^2`, whose mean is the fraction of
    negative eigenvalues.  The estimate has a probe error of about
    ``stderr`` and a quadrature error of order ``1/steps`` (the step function
    is smoothed over the gaps between Ritz values), so it suits the large-``d``
    fraction, not a small index.  ``count`` is ``round(fraction · dim)``;
    ``exact`` is False; ``n_zero`` is 0 (not estimated).

    Memory: ``steps × dim`` floats per probe.
    """
    surface = check_surface(surface)
    probes = V.integer("probes", probes, minimum=1)
    steps = V.integer("steps", steps, minimum=2)
    V.nonnegative("tol", tol)
    V.integer("seed", seed, minimum=0)
    x = point("x", x, surface.dim)
    frame = Frame(surface, x)
    n = frame.n
    if n == 0:
        raise ValueError("the space has dimension 0: no Hessian spectrum")
    rng = np.random.default_rng(seed)
    nodes, weights = [], []
    for _ in range(probes):
        v = rng.integers(0, 2, size=n).astype(np.float64) * 2.0 - 1.0
        th, tau = _lanczos_quadrature(frame.matvec, v, min(steps, n))
        nodes.append(th)
        weights.append(tau)
    scale = max(float(np.max(np.abs(th))) for th in nodes)
    z = tol * max(1.0, scale)
    per = np.array([float(np.sum(tau[th < -z])) for th, tau in zip(nodes, weights, strict=True)])
    frac = float(per.mean())
    se = float(per.std(ddof=1) / math.sqrt(probes)) if probes > 1 else float("nan")
    return Index(
        count=int(round(frac * n)),
        fraction=frac,
        exact=False,
        dim=n,
        n_zero=0,
        threshold=z,
        method="slq",
        stderr=se,
    )


def _lanczos_quadrature(matvec, v, m):
    """Ritz values and Gauss weights of ``m`` Lanczos steps from ``v``."""
    n = v.size
    Q = np.empty((m, n))
    alpha = np.empty(m)
    beta = np.empty(m)
    Q[0] = v / np.linalg.norm(v)
    size = m
    for j in range(m):
        w = matvec(Q[j])
        alpha[j] = float(Q[j] @ w)
        # full reorthogonalisation (twice is enough)
        for _ in range(2):
            w -= Q[: j + 1].T @ (Q[: j + 1] @ w)
        if j == m - 1:
            break
        b = float(np.linalg.norm(w))
        if not b > 1e-12 * max(1.0, float(np.max(np.abs(alpha[: j + 1])))):
            size = j + 1  # invariant subspace found: the quadrature is exact
            break
        beta[j] = b
        Q[j + 1] = w / b
    theta, S = scipy.linalg.eigh_tridiagonal(alpha[:size], beta[: size - 1])
    return theta, S[0] ** 2
