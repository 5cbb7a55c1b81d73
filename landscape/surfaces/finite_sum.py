r"""Finite-sum losses: a model fitted to a data set, for real mini-batches.

.. math:: J(\theta) = \frac1m \sum_{i=1}^{m} L(\theta; x_i, y_i)

A finite-sum surface is an ordinary :class:`~landscape.surfaces.Surface` (its
``vg`` is the full-batch cost and gradient, its ``hess`` the full-batch
Hessian: contours, critical points and frame losses all see :math:`J`) that
also carries a *per-example accumulator* (``surface.finite_sum.acc``).  Given
``batch_size``, :func:`landscape.simulate` evaluates :math:`J^{\{t\}}` and its
gradient on the mini-batch of step ``t`` instead (see
:mod:`landscape.minibatch`).

Models (``theta`` layout):

``linear_regression``  :math:`L = \tfrac12 (w\cdot x + b - y)^2`, ``theta = (w_1..w_p, b)``
``logistic_regression``  :math:`L = \log(1 + e^{z}) - y z + \tfrac{\lambda}{2}\lVert w\rVert^2`,
    :math:`z = w\cdot x + b`, ``y`` in {0, 1}, ``theta = (w_1..w_p, b)``
``tanh_network``  :math:`L = \tfrac12 (\sum_u a_u \tanh(W_u\cdot x) - y)^2`,
    ``theta = (W_11..W_hp, a_1..a_h)`` (``h`` hidden units): a saddle at the origin

Parameter layout ``P = [m, p, h, lambda, X (m x p, row-major), y (m)]``: the
data are run-time data like any surface parameter, so one compiled kernel per
model serves every data set.

Accumulator signature ``acc(X, G, F, P, idx)``: for every lane ``j`` add
:math:`L(\theta_j; x_{I_j}, y_{I_j})` to ``F[j]`` and its gradient to
``G[:, j]``.  :func:`sum_functions` builds from it the sum over all
examples (the full batch); the engine's mini-batch stage
(:mod:`landscape.engine.stages`) the sum over the mini-batch of a step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _validate as V
from .._cache import jit
from .._typed import cst
from . import _critical as C
from ._base import Surface, points

__all__ = [
    "MODELS",
    "FiniteSum",
    "linear_regression",
    "logistic_regression",
    "sum_functions",
    "tanh_network",
]

#: The finite-sum models, by surface name: the surfaces that mini-batches can draw
#: examples from (error messages and renderers name them from here).
MODELS = ("linear_regression", "logistic_regression", "tanh_network")

# header of the parameter array
H_M, H_P, H_HIDDEN, H_L2, H_DATA = 0, 1, 2, 3, 4
#: float32 holds integers exactly up to 2**24: the example count must stay below
MAX_EXAMPLES = 2**24


@dataclass(frozen=True, eq=False)
class FiniteSum:
    """What makes a surface a finite sum: the model, its data and accumulator."""

    model: str
    acc: object
    X: np.ndarray
    y: np.ndarray
    hidden: int = 0
    l2: float = 0.0

    @property
    def m(self) -> int:
        """Number of examples."""
        return int(self.X.shape[0])


# --------------------------------------------------------------------------
# per-example accumulators (lanes loop outermost: each lane gathers its example)
# --------------------------------------------------------------------------
@jit
def _linear_acc(X, G, F, P, idx):
    d, n = X.shape
    p = d - 1
    m = int(P[H_M])
    half = cst(X, 0.5)
    yo = H_DATA + m * p
    if p == 1:  # one feature: a branch-free lane loop (gathers vectorise)
        for j in range(n):
            i = idx[j]
            xi = cst(X, P[H_DATA + i])
            r = X[1, j] + X[0, j] * xi - cst(X, P[yo + i])
            F[j] += half * r * r
            G[0, j] += r * xi
            G[1, j] += r
        return
    for j in range(n):
        i = idx[j]
        base = H_DATA + i * p
        z = X[p, j]
        for k in range(p):
            z += X[k, j] * cst(X, P[base + k])
        r = z - cst(X, P[yo + i])
        F[j] += half * r * r
        for k in range(p):
            G[k, j] += r * cst(X, P[base + k])
        G[p, j] += r


@jit
def _logistic_acc(X, G, F, P, idx):
    d, n = X.shape
    p = d - 1
    m = int(P[H_M])
    zero = cst(X, 0.0)
    one = cst(X, 1.0)
    half = cst(X, 0.5)
    lam = cst(X, P[H_L2])
    yo = H_DATA + m * p
    if p == 1:  # one feature: a branch-free lane loop (gathers vectorise)
        for j in range(n):
            i = idx[j]
            xi = cst(X, P[H_DATA + i])
            w = X[0, j]
            z = X[1, j] + w * xi
            y = cst(X, P[yo + i])
            e = math.exp(-abs(z))
            s = one / (one + e)
            sig = s if z >= zero else e * s
            F[j] += max(z, zero) + math.log1p(e) - y * z + half * lam * w * w
            r = sig - y
            G[0, j] += r * xi + lam * w
            G[1, j] += r
        return
    for j in range(n):
        i = idx[j]
        base = H_DATA + i * p
        z = X[p, j]
        ww = zero
        for k in range(p):
            z += X[k, j] * cst(X, P[base + k])
            ww += X[k, j] * X[k, j]
        y = cst(X, P[yo + i])
        e = math.exp(-abs(z))  # stable softplus and sigmoid
        s = one / (one + e)
        sig = s if z >= zero else e * s
        F[j] += max(z, zero) + math.log1p(e) - y * z + half * lam * ww
        r = sig - y
        for k in range(p):
            G[k, j] += r * cst(X, P[base + k]) + lam * X[k, j]
        G[p, j] += r


@jit
def _tanh_acc(X, G, F, P, idx):
    d, n = X.shape
    m = int(P[H_M])
    p = int(P[H_P])
    h = int(P[H_HIDDEN])
    zero = cst(X, 0.0)
    one = cst(X, 1.0)
    half = cst(X, 0.5)
    yo = H_DATA + m * p
    ao = h * p
    if h == 1 and p == 1:  # the 2-D network (w, a): a branch-free lane loop
        for j in range(n):
            i = idx[j]
            xi = cst(X, P[H_DATA + i])
            a = X[1, j]
            t = math.tanh(X[0, j] * xi)
            r = a * t - cst(X, P[yo + i])
            F[j] += half * r * r
            G[1, j] += r * t
            G[0, j] += r * a * (one - t * t) * xi
        return
    for j in range(n):
        i = idx[j]
        base = H_DATA + i * p
        f = zero
        for u in range(h):
            z = zero
            for k in range(p):
                z += X[u * p + k, j] * cst(X, P[base + k])
            f += X[ao + u, j] * math.tanh(z)
        r = f - cst(X, P[yo + i])
        F[j] += half * r * r
        for u in range(h):
            z = zero
            for k in range(p):
                z += X[u * p + k, j] * cst(X, P[base + k])
            tu = math.tanh(z)
            G[ao + u, j] += r * tu
            c = r * X[ao + u, j] * (one - tu * tu)
            for k in range(p):
                G[u * p + k, j] += c * cst(X, P[base + k])


# --------------------------------------------------------------------------
# the full-batch sum, written once for both targets (the engine's mini-batch
# stage, landscape.engine.stages, builds on the same pieces)
# --------------------------------------------------------------------------
def sum_functions(acc, jit):
    """``(zero_out, scale, all_examples)`` built from accumulator ``acc`` with decorator ``jit``.

    ``zero_out(X, G, F)`` clears the sums, ``scale(X, G, F, count)`` divides
    them by ``count``, ``all_examples(X, G, F, P, idx)`` is the full-batch
    mean over the examples in order (``idx`` an int64 ``(n,)`` workspace).
    """

    def zero_out(X, G, F):
        d, n = X.shape
        zero = cst(X, 0.0)
        for k in range(d):
            for j in range(n):
                G[k, j] = zero
        for j in range(n):
            F[j] = zero

    def scale(X, G, F, count):
        d, n = X.shape
        inv = cst(X, 1.0) / cst(X, count)
        for k in range(d):
            for j in range(n):
                G[k, j] *= inv
        for j in range(n):
            F[j] *= inv

    zero_j = jit(zero_out)
    scale_j = jit(scale)

    def all_examples(X, G, F, P, idx):
        n = X.shape[1]
        m = int(P[H_M])
        zero_j(X, G, F)
        for i in range(m):
            for j in range(n):
                idx[j] = i
            acc(X, G, F, P, idx)
        scale_j(X, G, F, m)

    return zero_j, scale_j, jit(all_examples)


_CPU: dict = {}


def cpu_functions(acc):
    """``(vg, zero_out, scale, all_examples)`` for the CPU, memoised per model."""
    fns = _CPU.get(acc)
    if fns is None:
        zero_j, scale_j, all_j = sum_functions(acc, jit)

        @jit
        def vg(X, G, F, P):
            idx = np.empty(X.shape[1], np.int64)
            all_j(X, G, F, P, idx)

        fns = (vg, zero_j, scale_j, all_j)
        _CPU[acc] = fns
    return fns


# --------------------------------------------------------------------------
# full-batch Hessians (host side: critical points, analysis)
# --------------------------------------------------------------------------
@jit
def _glm_hess(x, P, H, logistic):
    d = x.shape[0]
    p = d - 1
    m = int(P[H_M])
    for a in range(d):
        for c in range(d):
            H[a, c] = 0.0
    phi = np.empty(d)
    for i in range(m):
        base = H_DATA + i * p
        z = x[p]
        for k in range(p):
            phi[k] = P[base + k]
            z += x[k] * phi[k]
        phi[p] = 1.0
        wgt = 1.0
        if logistic:
            s = 1.0 / (1.0 + math.exp(-z))
            wgt = s * (1.0 - s)
        for a in range(d):
            for c in range(d):
                H[a, c] += wgt * phi[a] * phi[c]
    for a in range(d):
        for c in range(d):
            H[a, c] /= m
    if logistic:
        for k in range(p):
            H[k, k] += P[H_L2]


@jit
def _linear_hess(x, P, H):
    _glm_hess(x, P, H, False)


@jit
def _logistic_hess(x, P, H):
    _glm_hess(x, P, H, True)


@jit
def _tanh_hess(x, P, H):
    d = x.shape[0]
    m = int(P[H_M])
    p = int(P[H_P])
    h = int(P[H_HIDDEN])
    yo = H_DATA + m * p
    ao = h * p
    for a in range(d):
        for c in range(d):
            H[a, c] = 0.0
    J = np.empty(d)
    tu = np.empty(h)
    for i in range(m):
        base = H_DATA + i * p
        f = 0.0
        for u in range(h):
            z = 0.0
            for k in range(p):
                z += x[u * p + k] * P[base + k]
            tu[u] = math.tanh(z)
            f += x[ao + u] * tu[u]
        r = f - P[yo + i]
        for u in range(h):
            su = 1.0 - tu[u] * tu[u]
            J[ao + u] = tu[u]
            for k in range(p):
                J[u * p + k] = x[ao + u] * su * P[base + k]
        # Gauss-Newton part J J^T plus r times the second derivatives of f
        for a in range(d):
            for c in range(d):
                H[a, c] += J[a] * J[c]
        for u in range(h):
            su = 1.0 - tu[u] * tu[u]
            for k in range(p):
                xk = P[base + k]
                # d2 f / (d a_u d W_uk) = s_u x_k
                H[ao + u, u * p + k] += r * su * xk
                H[u * p + k, ao + u] += r * su * xk
                # d2 f / (d W_uk d W_ul) = -2 a_u t_u s_u x_k x_l
                for q in range(p):
                    H[u * p + k, u * p + q] += r * (
                        -2.0 * x[ao + u] * tu[u] * su * xk * P[base + q]
                    )
    for a in range(d):
        for c in range(d):
            H[a, c] /= m


# --------------------------------------------------------------------------
# constructors
# --------------------------------------------------------------------------
def _data(X, y, *, labels01=False, features=None):
    try:
        Xa = np.array(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"X must be an (m, p) array of numbers, got {type(X).__name__}") from None
    if Xa.ndim == 1:
        Xa = Xa[:, None]
    if Xa.ndim != 2 or Xa.shape[0] < 1 or Xa.shape[1] < 1:
        raise ValueError(f"X must have shape (m, p) with m, p >= 1, got shape {np.shape(X)}")
    if features is not None and Xa.shape[1] != features:
        raise ValueError(f"X must have {features} column(s) for this model, got shape {Xa.shape}")
    try:
        ya = np.array(y, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"y must be an (m,) array of numbers, got {type(y).__name__}") from None
    if ya.shape[0] != Xa.shape[0]:
        raise ValueError(
            f"y must have m = {Xa.shape[0]} entries (one per row of X), got {ya.shape[0]}"
        )
    if Xa.shape[0] >= MAX_EXAMPLES:
        raise ValueError(
            f"X must have fewer than {MAX_EXAMPLES} rows (examples), got {Xa.shape[0]}"
        )
    for name, arr in (("X", Xa), ("y", ya)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(
                f"{name} must be finite, got a non-finite entry at {np.argwhere(~np.isfinite(arr))[0].tolist()}"
            )
    if labels01 and not np.all((ya == 0.0) | (ya == 1.0)):
        bad = ya[(ya != 0.0) & (ya != 1.0)][0]
        raise ValueError(f"y must hold class labels 0 or 1 for logistic regression, got {bad!r}")
    return Xa, ya


def _pack(X, y, hidden=0, l2=0.0):
    m, p = X.shape
    return np.concatenate([[float(m), float(p), float(hidden), float(l2)], X.ravel(), y])


def _user_or_generated(X, y, generate):
    if (X is None) != (y is None):
        raise ValueError("X and y must be given together (or neither, to generate a data set)")
    return (X, y) if X is not None else generate()


def _box(center, spread, dim):
    c = np.asarray(center, dtype=np.float64).reshape(dim)
    s = np.maximum(np.asarray(spread, dtype=np.float64).reshape(dim), 1e-3)
    return np.stack([c - s, c + s], axis=1)


def _surface(
    name, model, acc, hess, X, y, hidden, l2, dim, minima, saddles, bounds, formula, kwargs
):
    vg = cpu_functions(acc)[0]
    return Surface(
        name=name,
        dim=dim,
        params=_pack(X, y, hidden, l2),
        vg=vg,
        hess=hess,
        minima=minima,
        saddles=saddles,
        maxima=points([], dim),
        bounds=bounds,
        formula=formula,
        kwargs=kwargs,
        finite_sum=FiniteSum(model, acc, X, y, hidden, l2),
    )


def linear_regression(
    X=None,
    y=None,
    *,
    m: int = 1024,
    features: int = 1,
    weight: float = 3.0,
    bias: float = -1.0,
    scale: float = 0.2,
    noise: float = 0.5,
    seed: int = 0,
) -> Surface:
    r"""Least squares on a data set: an elongated bowl in (w, b).

    .. math:: J(w, b) = \frac{1}{2m}\sum_{i=1}^{m} (w\cdot x_i + b - y_i)^2

    Parameters
    ----------
    X, y : arrays (m, p) and (m,), optional
        Your own data.  Without them a data set is generated by
        :func:`landscape.datasets.regression` from the remaining arguments.
    m, features, weight, bias, scale, noise, seed
        The generated data: ``m`` examples, ``features`` features of standard
        deviation ``scale``, targets ``weight * sum(x) + bias + noise * xi``.

    Notes
    -----
    The features are left unnormalised (default ``scale = 0.2``), so the
    curvature along ``b`` (1) is ~25 times that along ``w`` (about
    ``scale**2``): the course's elongated bowl, where gradient descent
    oscillates along ``b`` and creeps along ``w``.  The minimum is the
    least-squares solution; the Hessian :math:`\frac1m\sum_i \phi_i\phi_i^T`,
    :math:`\phi_i = (x_i, 1)`, is constant.
    """
    from .. import datasets

    kwargs = {"m": m, "features": features, "weight": weight, "bias": bias, "scale": scale,
              "noise": noise, "seed": seed}  # fmt: skip
    if X is not None or y is not None:
        kwargs = {"X": np.asarray(X, dtype=np.float64), "y": np.asarray(y, dtype=np.float64)}
    X, y = _user_or_generated(
        X, y, lambda: datasets.regression(m, features, weight, bias, scale, noise, seed)
    )
    X, y = _data(X, y)
    p = X.shape[1]
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    theta, *_ = np.linalg.lstsq(A, y, rcond=None)
    minima = points([theta], p + 1) if np.linalg.matrix_rank(A) == p + 1 else points([], p + 1)
    spread = np.full(p + 1, 2.0 + 1.5 * float(np.abs(theta).max()))
    return _surface(
        "linear_regression", "linear", _linear_acc, _linear_hess, X, y, 0, 0.0, p + 1,
        minima, points([], p + 1), _box(theta, spread, p + 1),
        r"\frac{1}{2m}\sum_i (w\cdot x_i + b - y_i)^2", kwargs,
    )  # fmt: skip


def logistic_regression(
    X=None,
    y=None,
    *,
    m: int = 1024,
    features: int = 1,
    weight: float = 2.0,
    bias: float = -0.5,
    scale: float = 1.0,
    l2: float = 0.0,
    seed: int = 0,
) -> Surface:
    r"""Logistic regression: the cross-entropy of a linear classifier.

    .. math:: J(w, b) = \frac1m\sum_{i=1}^{m} \big[\log(1+e^{z_i}) - y_i z_i\big]
              + \frac{\lambda}{2}\lVert w\rVert^2

    ``z_i = w . x_i + b``, labels ``y_i`` in {0, 1}.  Without ``X, y`` the data
    come from :func:`landscape.datasets.classification` (labels drawn from the
    logistic model, so the classes overlap and the minimum is finite).  ``l2``
    (:math:`\lambda`) penalises the weights, not the bias.
    """
    from .. import datasets

    l2 = V.nonnegative("l2", l2)
    kwargs = {"m": m, "features": features, "weight": weight, "bias": bias, "scale": scale,
              "l2": l2, "seed": seed}  # fmt: skip
    if X is not None or y is not None:
        kwargs = {
            "X": np.asarray(X, dtype=np.float64),
            "y": np.asarray(y, dtype=np.float64),
            "l2": l2,
        }
    X, y = _user_or_generated(
        X, y, lambda: datasets.classification(m, features, weight, bias, scale, seed)
    )
    X, y = _data(X, y, labels01=True)
    p = X.shape[1]
    P = _pack(X, y, 0, l2)
    vg = cpu_functions(_logistic_acc)[0]
    x, gnorm = C.newton(vg, _logistic_hess, P, np.zeros((1, p + 1)), steps=60, radius=1e4)
    found = bool(gnorm[0] <= 1e-9)
    minima = points([x[0]], p + 1) if found else points([], p + 1)
    center = x[0] if found else np.zeros(p + 1)
    return _surface(
        "logistic_regression", "logistic", _logistic_acc, _logistic_hess, X, y, 0, l2, p + 1,
        minima, points([], p + 1), _box(center, np.full(p + 1, 2.0 + 1.5 * np.abs(center).max()), p + 1),
        r"\frac1m\sum_i \log(1+e^{z_i}) - y_i z_i + \tfrac{\lambda}{2}\lVert w\rVert^2", kwargs,
    )  # fmt: skip


def tanh_network(
    X=None,
    y=None,
    *,
    hidden: int = 1,
    m: int = 512,
    weight: float = 1.5,
    out: float = 2.0,
    noise: float = 0.1,
    seed: int = 0,
) -> Surface:
    r"""A tiny network :math:`\hat y = \sum_u a_u \tanh(W_u\cdot x)`, squared error.

    .. math:: J(W, a) = \frac{1}{2m}\sum_i \Big(\sum_{u=1}^{h} a_u\tanh(W_u\cdot x_i) - y_i\Big)^2

    The origin is always a critical point, and a strict saddle when the data
    correlate with the inputs: its Hessian couples each ``a_u`` with
    ``W_u`` through :math:`-\frac1m\sum_i y_i x_i`, giving eigenvalues of both
    signs.  With one hidden unit (``hidden=1``, ``theta = (w, a)``, the
    default) the minima are the pair ``(w*, a*)`` and ``(-w*, -a*)`` (tanh is
    odd), with the saddle between them.  Without ``X, y`` the data come from
    :func:`landscape.datasets.teacher` (a one-unit teacher
    ``out * tanh(weight * x)`` plus noise).
    """
    from .. import datasets

    hidden = V.integer("hidden", hidden, minimum=1)
    kwargs = {"hidden": hidden, "m": m, "weight": weight, "out": out, "noise": noise, "seed": seed}
    if X is not None or y is not None:
        kwargs = {"X": np.asarray(X, dtype=np.float64), "y": np.asarray(y, dtype=np.float64),
                  "hidden": hidden}  # fmt: skip
    X, y = _user_or_generated(X, y, lambda: datasets.teacher(m, weight, out, noise, seed))
    X, y = _data(X, y)
    p = X.shape[1]
    d = hidden * (p + 1)
    # the critical-point search below holds (d, d) Hessians and 64 starts
    V.fits_memory(
        "hidden",
        4 * 8 * d * d + 64 * 8 * d,
        f"the critical-point search of tanh_network in {d}-D (its Hessians)",
        hint="lower hidden",
    )
    P = _pack(X, y, hidden, 0.0)
    vg = cpu_functions(_tanh_acc)[0]
    # starts: the teacher-like point and its mirror (one unit active), plus a seeded cloud
    rng = np.random.default_rng(12345)
    scale = max(1.0, float(np.std(y)))
    guess = np.zeros((2, d))
    w_ls = float(np.linalg.lstsq(X, y, rcond=None)[0][0])  # X has p >= 1 columns
    guess[0, :p] = 1.0
    guess[0, hidden * p] = w_ls
    guess[1] = -guess[0]
    starts = np.vstack([guess, rng.normal(0.0, scale, size=(62, d))])
    crit = C.find(vg, _tanh_hess, P, starts, gtol=1e-9, merge_tol=1e-5, steps=80)
    minima = crit["min"]
    saddles = crit["saddle"]
    origin = np.zeros((1, d))
    if not any(np.max(np.abs(s)) < 1e-8 for s in saddles):
        if C.classify(_tanh_hess, P, origin)[0] == "saddle":
            saddles = np.vstack([origin, saddles])
    span = np.abs(np.vstack([minima, origin])).max(axis=0) if minima.size else np.ones(d)
    return _surface(
        "tanh_network", "tanh", _tanh_acc, _tanh_hess, X, y, hidden, 0.0, d,
        minima, saddles.reshape(-1, d), _box(np.zeros(d), 1.6 * span + 0.5, d),
        r"\frac{1}{2m}\sum_i (\sum_u a_u\tanh(W_u x_i) - y_i)^2", kwargs,
    )  # fmt: skip
