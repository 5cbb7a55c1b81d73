r"""Where the optimizers stopped: classify endpoints and the frames of a trajectory."""

from __future__ import annotations

import numpy as np

from .. import _validate as V
from ..results import Result
from ..table import Table
from ._frame import Frame, check_surface
from .spectra import check_options, frame_spectrum

__all__ = ["LABELS", "classify", "spectra_along"]

#: Every label :func:`classify` gives.
LABELS = ("min", "saddle", "max", "degenerate", "not critical", "diverged")

_COLUMNS = [
    "value",
    "grad_norm",
    "critical",
    "label",
    "index",
    "n_negative",
    "index_exact",
    "lambda_min",
    "lambda_max",
    "dim",
    "method",
]


def _empty_row():
    nan = float("nan")
    return {
        "value": nan,
        "grad_norm": nan,
        "critical": False,
        "label": "diverged",
        "index": nan,
        "n_negative": None,
        "index_exact": None,
        "lambda_min": nan,
        "lambda_max": nan,
        "dim": None,
        "method": None,
    }


def _analyse(surface, pts, flags, opts, keep):
    """Rows (and spectra) for the points ``pts`` ``(m, d)``; ``flags``: diverged already."""
    method, k, which, seed, maxiter, tol, gtol = opts
    ok = ~flags & np.all(np.isfinite(pts), axis=1)
    rows, spectra = [], []
    vals = np.full(pts.shape[0], np.nan)
    grads = np.full(pts.shape, np.nan)
    if np.any(ok):
        with np.errstate(all="ignore"):
            vals[ok], grads[ok] = surface.value_and_grad(pts[ok])
    for i in range(pts.shape[0]):
        row = _empty_row()
        if not ok[i] or not (np.isfinite(vals[i]) and np.all(np.isfinite(grads[i]))):
            rows.append(row)
            spectra.append(None)
            continue
        frame = Frame(surface, np.ascontiguousarray(pts[i]), vals[i], grads[i])
        spec = frame_spectrum(frame, method, k, which, seed, maxiter)
        idx = spec.index(tol)
        gn = frame.grad_norm
        crit = bool(gn <= gtol)
        row.update(
            value=frame.value,
            grad_norm=gn,
            critical=crit,
            label=spec.label(tol) if crit else "not critical",
            index=idx.fraction,
            n_negative=idx.count,
            index_exact=idx.exact,
            lambda_min=spec.lambda_min,
            lambda_max=spec.lambda_max,
            dim=spec.dim,
            method=spec.method,
        )
        rows.append(row)
        spectra.append(spec if keep else None)
    return rows, spectra


def _options(method, k, which, seed, maxiter, tol, gtol):
    check_options(method, which, seed, maxiter)
    tol = V.nonnegative("tol", tol)
    gtol = V.nonnegative("gtol", gtol)
    if k is not None:
        V.integer("k", k, minimum=1)
    return (method, k, which, seed, maxiter, tol, gtol)


def _optimizer(result, optimizer):
    if optimizer is None:
        if result.n_optimizers != 1:
            raise ValueError(
                f"optimizer must be one of {list(result.names)} (the result has "
                f"{result.n_optimizers} optimizers), got None"
            )
        return 0
    if isinstance(optimizer, str):
        if optimizer not in result.names:
            raise ValueError(f"optimizer must be one of {list(result.names)}, got {optimizer!r}")
        return list(result.names).index(optimizer)
    if isinstance(optimizer, (int, np.integer)) and not isinstance(optimizer, bool):
        if 0 <= int(optimizer) < result.n_optimizers:
            return int(optimizer)
        raise ValueError(
            f"optimizer must be a name in {list(result.names)} or a position in "
            f"[0, {result.n_optimizers}), got {optimizer!r}"
        )
    raise ValueError(f"optimizer must be one of {list(result.names)}, got {optimizer!r}")


def _result_surface(surface, result):
    if surface is None:
        surface = result.surface
        if surface is None:
            raise ValueError("surface must be given: this Result has no surface, got None")
    return check_surface(surface)


def classify(
    surface,
    points,
    *,
    optimizer=None,
    gtol: float = 1e-6,
    tol: float = 1e-8,
    method: str = "auto",
    k: int | None = None,
    which: str = "smallest",
    seed: int = 0,
    maxiter: int | None = None,
    keep_spectra: bool = False,
):
    """Classify endpoints as minima, saddles, maxima, degenerate or not critical.

    Parameters
    ----------
    surface : Surface or None
        None takes the Result's surface.
    points : array (m, d) or (d,), or Result
        The points; a :class:`~landscape.Result` gives the final points of
        ``optimizer`` (its trajectories that diverged are labelled
        ``"diverged"``).
    optimizer : str or int, optional
        With a Result: which optimizer (name or position; optional when
        there is only one).
    gtol : float
        A point is critical when its gradient's Euclidean norm (Riemannian
        on the sphere) is ``<= gtol``.
    tol : float
        Zero threshold for eigenvalues (module docstring).
    method, k, which, seed, maxiter
        As :func:`hessian_spectrum` (per point).
    keep_spectra : bool
        Also return the :class:`Spectrum` of every point (None where
        diverged).

    Returns
    -------
    Table
        One row per point.  Columns: ``point`` (row number) or ``optimizer``
        and ``trajectory``; ``value``, ``grad_norm``, ``critical``, ``label``
        (``"min"``, ``"saddle"``, ``"max"``, ``"degenerate"``, ``"not
        critical"``, or ``"diverged"`` for a diverged trajectory or a
        non-finite point, whose other columns are empty), ``index``
        (fraction of negative eigenvalues), ``n_negative``, ``index_exact``
        (False: a Lanczos lower bound), ``lambda_min``, ``lambda_max``,
        ``dim`` (``d``, or ``d - 1`` on the sphere), ``method``.  A
        non-critical point still gets its index and eigenvalues.  With
        ``keep_spectra=True`` returns ``(table, spectra)``.
    """
    opts = _options(method, k, which, seed, maxiter, tol, gtol)
    if isinstance(points, Result):
        result = points
        surface = _result_surface(surface, result)
        o = _optimizer(result, optimizer)
        pts = np.asarray(result.final[o], dtype=np.float64)
        flags = np.asarray(result.diverged[o]) >= 0
        lead = [{"optimizer": result.names[o], "trajectory": j} for j in range(pts.shape[0])]
        cols = ["optimizer", "trajectory"]
    else:
        surface = check_surface(surface)
        if optimizer is not None:
            raise ValueError(f"optimizer must be None unless points is a Result, got {optimizer!r}")
        try:
            pts = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"points must be an (m, {surface.dim}) array or a Result, got {points!r}"
            ) from None
        if pts.ndim == 1:
            pts = pts.reshape(1, -1)
        if pts.ndim != 2 or pts.shape[1] != surface.dim:
            raise ValueError(
                f"points must have shape (m, {surface.dim}) or ({surface.dim},), got shape "
                f"{np.shape(points)}"
            )
        flags = np.zeros(pts.shape[0], dtype=bool)
        lead = [{"point": i} for i in range(pts.shape[0])]
        cols = ["point"]
    rows, spectra = _analyse(surface, pts, flags, opts, keep_spectra)
    table = Table([{**a, **r} for a, r in zip(lead, rows, strict=True)], cols + _COLUMNS)
    return (table, spectra) if keep_spectra else table


def spectra_along(
    result,
    optimizer=None,
    trajectory: int = 0,
    *,
    every: int = 1,
    surface=None,
    gtol: float = 1e-6,
    tol: float = 1e-8,
    method: str = "auto",
    k: int | None = None,
    which: str = "smallest",
    seed: int = 0,
    maxiter: int | None = None,
    keep_spectra: bool = False,
):
    """Spectrum, index and label at the recorded frames of one trajectory.

    Frames ``0, every, 2·every, ...`` of ``result.positions[o, trajectory]``
    (``simulate`` with ``record_every > 0``; ``trajectory`` below the number
    recorded).  Frames at or after the step the trajectory diverged are
    labelled ``"diverged"``.  Other parameters as :func:`classify`.

    Returns
    -------
    Table
        Columns ``optimizer``, ``trajectory``, ``frame``, ``step``, then
        those of :func:`classify`; ``(table, spectra)`` with
        ``keep_spectra=True`` (e.g. ``np.array([s.smallest for s in
        spectra])`` for the evolution of the smallest eigenvalues).
    """
    if not isinstance(result, Result):
        raise ValueError(f"result must be a landscape Result, got {type(result).__name__}")
    opts = _options(method, k, which, seed, maxiter, tol, gtol)
    surface = _result_surface(surface, result)
    o = _optimizer(result, optimizer)
    n_rec, n_frames = result.positions.shape[1], result.positions.shape[2]
    if n_frames == 0 or n_rec == 0:
        raise ValueError(
            "result must have recorded frames (simulate with record_every > 0), got none"
        )
    trajectory = V.integer("trajectory", trajectory, minimum=0)
    if trajectory >= n_rec:
        raise ValueError(
            f"trajectory must be < {n_rec} (trajectories recorded), got {trajectory!r}"
        )
    every = V.integer("every", every, minimum=1)
    frames = np.arange(0, n_frames, every)
    pts = np.asarray(result.positions[o, trajectory, frames], dtype=np.float64)
    steps = np.asarray(result.frame_steps)[frames]
    div = int(result.diverged[o, trajectory])
    flags = (steps >= div) if div >= 0 else np.zeros(frames.size, dtype=bool)
    rows, spectra = _analyse(surface, pts, flags, opts, keep_spectra)
    lead = [
        {"optimizer": result.names[o], "trajectory": trajectory, "frame": int(f), "step": int(s)}
        for f, s in zip(frames, steps, strict=True)
    ]
    cols = ["optimizer", "trajectory", "frame", "step"] + _COLUMNS
    table = Table([{**a, **r} for a, r in zip(lead, rows, strict=True)], cols)
    return (table, spectra) if keep_spectra else table
