"""Locate, polish and classify critical points with Newton's method.

Everything here drives a family's own compiled ``vg`` (gradient) and ``hess``
(Hessian), so listed critical points are exact for the code that runs, not for
a separately typed formula.

:func:`refine` polishes rounded literature values (a few Newton steps, each
point must stay where it started); :func:`find` runs Newton from many starts
(e.g. a grid), keeps the converged points, merges duplicates and sorts them
into minima, saddles, maxima and degenerate points by Hessian eigenvalues.
"""

from __future__ import annotations

import numpy as np

__all__ = ["classify", "find", "gradients", "hessians", "newton", "refine", "sort_by_value"]


def gradients(vg, params, pts):
    """Values ``(k,)`` and gradients ``(k, d)`` of the points ``pts`` ``(k, d)``."""
    pts = np.asarray(pts, dtype=np.float64)
    X = np.ascontiguousarray(pts.T)
    G = np.empty_like(X)
    F = np.empty(X.shape[1])
    vg(X, G, F, params)
    return F, np.ascontiguousarray(G.T)


def hessians(hess, params, pts):
    """Hessians ``(k, d, d)`` of the points ``pts`` ``(k, d)``."""
    pts = np.asarray(pts, dtype=np.float64)
    k, d = pts.shape
    out = np.empty((k, d, d))
    for i in range(k):
        hess(np.ascontiguousarray(pts[i]), params, out[i])
    return out


def newton(vg, hess, params, starts, *, steps=40, gtol=1e-14, radius=1e6):
    """Newton's method on the gradient from every row of ``starts`` ``(k, d)``.

    Returns ``(x, gnorm)``: the final points and their gradient max-norms.  A
    point stops early once ``gnorm <= gtol``; one that leaves ``|x| <= radius``
    or turns non-finite is frozen with ``gnorm = inf``.  Singular Hessians use
    the pseudo-inverse.
    """
    x = np.array(starts, dtype=np.float64, copy=True)
    if x.ndim != 2:
        raise ValueError(f"starts must have shape (k, d), got {x.shape}")
    k = x.shape[0]
    gnorm = np.full(k, np.inf)
    active = np.ones(k, dtype=bool)
    with np.errstate(all="ignore"):
        for it in range(steps + 1):
            idx = np.flatnonzero(active)
            if idx.size == 0:
                break
            _, g = gradients(vg, params, x[idx])
            gn = np.max(np.abs(g), axis=1)
            bad = ~np.isfinite(gn) | ~np.all(np.abs(x[idx]) <= radius, axis=1)
            gn[bad] = np.inf
            gnorm[idx] = gn
            done = bad | (gn <= gtol)
            active[idx[done]] = False
            if it == steps:
                break
            move = idx[~done]
            if move.size == 0:
                break
            H = hessians(hess, params, x[move])
            rhs = g[~done][..., None]
            try:
                step = np.linalg.solve(H, rhs)[..., 0]
            except np.linalg.LinAlgError:
                step = (np.linalg.pinv(H) @ rhs)[..., 0]
            x[move] -= step
    return x, gnorm


def refine(vg, hess, params, approx, *, steps=20, gtol=1e-10, max_move=1e-3):
    """Polish approximate critical points ``approx`` ``(k, d)`` by Newton steps.

    Raises ``RuntimeError`` if a point does not reach ``max|grad| <= gtol`` or
    moves farther than ``max_move`` (a wrong literature value, not a user
    error).
    """
    approx = np.asarray(approx, dtype=np.float64)
    if approx.shape[0] == 0:
        return approx.copy()
    x, gnorm = newton(vg, hess, params, approx, steps=steps)
    moved = np.max(np.abs(x - approx), axis=1)
    bad = ~(gnorm <= gtol) | ~(moved <= max_move)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        raise RuntimeError(
            f"critical point near {approx[i]} did not refine: |grad| = {gnorm[i]:.3g}, "
            f"moved {moved[i]:.3g}"
        )
    return x


def classify(hess, params, pts, *, tol=1e-8):
    """Label each point ``"min"``, ``"saddle"``, ``"max"`` or ``"degenerate"``.

    Eigenvalues within ``tol`` times the largest magnitude (or ``tol`` when
    that is below 1) count as zero.  Mixed signs make a saddle whatever the
    zeros; all positive a minimum, all negative a maximum; anything else
    (a zero eigenvalue with no sign change) is degenerate.
    """
    pts = np.asarray(pts, dtype=np.float64)
    labels = []
    for H in hessians(hess, params, pts):
        ev = np.linalg.eigvalsh(0.5 * (H + H.T))
        z = tol * max(1.0, float(np.max(np.abs(ev))))
        pos, neg = np.any(ev > z), np.any(ev < -z)
        zero = np.any(np.abs(ev) <= z)
        if pos and neg:
            labels.append("saddle")
        elif pos and not zero:
            labels.append("min")
        elif neg and not zero:
            labels.append("max")
        else:
            labels.append("degenerate")
    return np.array(labels, dtype=object)


def sort_by_value(vg, params, pts, descending=False):
    """Rows of ``pts`` ordered by value (increasing unless ``descending``)."""
    if pts.shape[0] == 0:
        return pts
    f, _ = gradients(vg, params, pts)
    key = -f if descending else f
    # value first, coordinates break ties so the order is deterministic
    order = np.lexsort(tuple(np.round(pts[:, ::-1].T, 8)) + (np.round(key, 10),))
    return pts[order]


def find(vg, hess, params, starts, *, gtol=1e-10, merge_tol=1e-6, within=None, steps=60):
    """Critical points reached by Newton from ``starts``, merged and classified.

    Parameters
    ----------
    vg, hess, params
        A family's kernels and parameter array.
    starts : array (k, d)
        Starting points, e.g. a grid over the plotting box.
    gtol : float
        Keep only points with ``max|grad| <= gtol``.
    merge_tol : float
        Points closer than this (max-norm) are one point.
    within : array (d, 2), optional
        Keep only points inside this box.

    Returns
    -------
    dict
        ``{"min", "saddle", "max", "degenerate"}`` to ``(m, d)`` arrays; minima
        and saddles sorted by increasing value, maxima by decreasing value.
    """
    x, gnorm = newton(vg, hess, params, starts, steps=steps)
    d = x.shape[1]
    keep = gnorm <= gtol
    if within is not None:
        w = np.asarray(within, dtype=np.float64)
        keep &= np.all((x >= w[:, 0]) & (x <= w[:, 1]), axis=1)
    x = x[keep]
    uniq: list[np.ndarray] = []
    for p in x:
        if not any(np.max(np.abs(p - q)) <= merge_tol for q in uniq):
            uniq.append(p)
    pts = np.array(uniq).reshape(-1, d)
    labels = classify(hess, params, pts)
    out = {}
    for lab in ("min", "saddle", "max", "degenerate"):
        sel = pts[labels == lab] if pts.shape[0] else pts
        out[lab] = sort_by_value(vg, params, sel, descending=(lab == "max"))
    return out
