r"""Escape scenarios, hyperparameter sweeps and theory overlays.

A :class:`Scenario` bundles a surface, a way to draw starts around its
critical point, the first-passage event that measures escape, optional
gradient noise and the theory for the escape step.  Ready scenarios:

* :func:`saddle_2d` — ``f = a x² − b y²``; starts at distance ``delta``
  from the saddle; event ``"escaped"`` = ``leave_ball(0, radius)``.
* :func:`strict_saddle` — the ``dim``-dimensional index-``k`` strict saddle
  (``lam_pos``/``lam_neg`` set the curvature ratio); same event.
* :func:`plateau` — a linear plateau of ``width`` and ``slope`` ending in a
  well; starts within ``delta`` of ``x = 0``; event ``"escaped"`` =
  ``loss_below(0)``: the loss is ``>= 0`` everywhere on the plateau
  (``x_0 <= width``) and drops below 0 right after its edge, so the event
  marks the crossing.

:func:`sweep` runs one scenario over optimizers (any list of specs: ONE
simulate call), and over ``deltas``, noise levels, batch sizes and surface
parameters (each combination a separate call, the same compiled kernel),
and returns a tidy :class:`~landscape.table.Table` (re-exported here as
``landscape.escape.Table``).

Theory
------
* Gradient descent near a strict saddle with most negative Hessian
  eigenvalue :math:`\lambda_{\min}`: the escape component grows by
  :math:`1 + \eta|\lambda_{\min}|` per step, so from distance
  :math:`\delta` it leaves the ball of radius ``r`` after
  :math:`T = \log(r/\delta)/\log(1 + \eta|\lambda_{\min}|)` steps
  (:func:`linearised_escape_time`); the first step with norm ``> r`` is
  ``floor(T) + 1`` (:func:`gd_escape_step`).  For ``saddle(a, b)``
  :math:`|\lambda_{\min}| = 2b`; for ``strict_saddle`` it is ``lam_neg``.
  A start in a random direction has a smaller escape component
  (:math:`\delta|\sin\theta|` in 2-D), so it takes longer:
  :meth:`Scenario.theory_starts` gives the per-start prediction (exact for
  the quadratic saddle, which GD iterates linearly).
* Plateau of length ``w`` and slope ``s``: GD moves :math:`\eta s` per step,
  :math:`T = w/(\eta s)`.  Momentum from rest under a constant gradient:
  :math:`x_t = c\,(t - \beta(1-\beta^t)/(1-\beta))` with :math:`c = \eta s`
  (the course's EWA form) or :math:`\eta s/(1-\beta)` (heavy ball), solved
  for :math:`x_T = w` (heavy ball is :math:`\approx w(1-\beta)/(\eta s)`
  plus a ramp-up of :math:`\beta/(1-\beta)` steps).  Adam's
  bias-corrected step is :math:`\eta s/(s + \epsilon) \approx \eta`, so
  :math:`T \approx w/\eta`, independent of the slope; RMSprop's is at least
  :math:`\eta` (:math:`T \lesssim w/\eta`); AdaGrad's is :math:`\eta/\sqrt t`,
  :math:`T \approx (w / 2\eta)^2`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from . import _validate as V
from . import events as _events
from . import starts as _starts
from . import stats as _stats
from . import surfaces as _surfaces
from .engine import simulate
from .engine.simulate import named_optimizers as _name_optimizers
from .optim.noise import Noise, gaussian
from .optim.optimizers import Optimizer
from .table import Table

__all__ = [
    "Scenario",
    "Table",
    "gd_escape_step",
    "linearised_escape_time",
    "plateau",
    "plateau_crossing_time",
    "saddle_2d",
    "strict_saddle",
    "sweep",
]

EVENT = "escaped"


# --------------------------------------------------------------------------
# theory
# --------------------------------------------------------------------------
def linearised_escape_time(delta: float, radius: float, lr: float, lam: float) -> float:
    r""":math:`\log(r/\delta)/\log(1 + \eta|\lambda_{\min}|)`: GD's linearised escape time."""
    return math.log(radius / delta) / math.log1p(lr * abs(lam))


def gd_escape_step(delta: float, radius: float, lr: float, lam: float) -> int:
    """First step with escape component ``> radius``: ``floor(T) + 1`` (T linearised time)."""
    return math.floor(linearised_escape_time(delta, radius, lr, lam)) + 1


def _constant(opt: Optimizer) -> bool:
    return opt.schedule.name == "constant" and not opt.schedule.warmup


def plateau_crossing_time(opt: Optimizer, width: float, slope: float) -> float | None:
    """Predicted steps for ``opt`` to cross a linear plateau (None: no formula for it).

    See the module docstring; constant learning rate only, no noise.
    """
    if not _constant(opt):
        return None
    lr = opt.lr
    if opt.kind == "gd":
        return width / (lr * slope)
    if opt.kind in ("momentum", "heavy_ball"):
        # constant gradient s from v = 0: x_t = c (t - b(1 - b^t)/(1 - b)), with
        # c = lr s (EWA form) or lr s/(1 - b) (classic form); solve x_t = width
        b = opt.b1
        c = lr * slope / (1.0 - b) if opt.kind == "heavy_ball" else lr * slope
        return _solve_ramp(width / c, b)
    if opt.kind in ("adam", "adamw", "rmsprop") and opt.weight_decay == 0.0:
        return width * (slope + opt.eps) / (lr * slope)
    if opt.kind == "adagrad":
        return (width / (2.0 * lr)) ** 2
    return None


def _solve_ramp(target: float, b: float) -> float:
    """The ``t`` with ``t - b(1 - b^t)/(1 - b) = target`` (increasing in t; bisection)."""

    def f(t):
        return t - b * (1.0 - b**t) / (1.0 - b) - target

    lo, hi = 0.0, target + b / (1.0 - b) + 1.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Scenario:
    """A surface, starts around its critical point, the escape event and its theory.

    Build with :func:`saddle_2d`, :func:`strict_saddle` or :func:`plateau`;
    :meth:`replace` rebuilds with other parameters (``delta``, ``noise``,
    surface parameters).  The event is named ``"escaped"``.
    """

    name: str
    surface: object
    events: dict
    params: dict
    noise: Noise | None = None
    _builder: object = field(default=None, repr=False)
    _starts: object = field(default=None, repr=False)
    _theory: object = field(default=None, repr=False)
    _theory_starts: object = field(default=None, repr=False)

    event = EVENT

    @property
    def delta(self) -> float:
        """Distance of the starts from the critical point."""
        return float(self.params["delta"])

    def starts(self, n: int, seed: int = 0) -> np.ndarray:
        """``(n, dim)`` starting points (reproducible for a seed)."""
        return self._starts(n, seed)

    def theory(self, optimizer: Optimizer) -> float | None:
        """Predicted escape step for ``optimizer`` from distance ``delta`` (None: none known).

        For the saddles: GD's linearised time from a start ON the escape
        direction; for the plateau: :func:`plateau_crossing_time`.
        """
        return self._theory(optimizer)

    def theory_starts(self, optimizer: Optimizer, x0) -> np.ndarray | None:
        """Per-start prediction (float array, ``inf`` if never), None if none known."""
        if self._theory_starts is None:
            return None
        return self._theory_starts(optimizer, np.asarray(x0, dtype=np.float64))

    def replace(self, **changes) -> Scenario:
        """The same scenario with some parameters changed (``delta``, ``noise``, ...)."""
        kw = dict(self.params)
        kw["noise"] = self.noise
        kw.update(changes)
        return self._builder(**kw)

    def run(
        self,
        optimizers,
        n: int,
        steps: int,
        *,
        seed: int = 0,
        dtype: str = "float64",
        record_every: int = 0,
        **kwargs,
    ):
        """``simulate`` this scenario (events only by default) from ``starts(n, seed)``."""
        return simulate(
            self.surface,
            optimizers,
            self.starts(n, seed),
            steps,
            record_every=record_every,
            dtype=dtype,
            seed=seed,
            noise=self.noise,
            events=self.events,
            **kwargs,
        )


def _noise(noise):
    """A Noise, or None, from a Noise, a sigma or None."""
    if noise is None or isinstance(noise, Noise):
        return noise
    return gaussian(V.nonnegative("noise", noise))


def _flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def _distances(delta, radius) -> tuple[float, float]:
    """Checked ``delta`` and ``radius`` (``0 < delta < radius``)."""
    delta = V.positive("delta", delta)
    radius = V.positive("radius", radius)
    if not radius > delta:
        raise ValueError(f"need delta < radius, got delta={delta!r}, radius={radius!r}")
    return delta, radius


def _around(n, dim, delta, seed, on_axis, axes=1):
    """Starts at distance ``delta`` from 0: random directions, or ±delta on axis 0..axes-1."""
    if on_axis:
        x = np.zeros((n, dim))
        sign = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
        x[np.arange(n), np.arange(n) % axes] = sign * delta
        return x
    return _starts.sphere(n, np.zeros(dim), delta, seed=seed)


def saddle_2d(
    a: float = 1.0,
    b: float = 1.0,
    delta: float = 1e-3,
    radius: float = 1.0,
    noise=None,
    on_axis: bool = False,
) -> Scenario:
    r"""Escape from the 2-D saddle ``a x² − b y²`` (escape direction ``y``).

    Starts: uniform on the circle of radius ``delta`` (``on_axis=True``:
    exactly at ``(0, ±delta)``).  Event ``"escaped"``: ``‖x_t‖ > radius``.
    ``noise``: a :class:`~landscape.noise.Noise`, a sigma, or None.

    GD's theory: :func:`linearised_escape_time` with
    :math:`|\lambda_{\min}| = 2b`; :meth:`Scenario.theory_starts` iterates
    GD's linear map exactly (float64) per start.
    """
    a, b = V.real("a", a), V.real("b", b)
    delta, radius = _distances(delta, radius)
    on_axis = _flag("on_axis", on_axis)
    noise = _noise(noise)
    params = {"a": a, "b": b, "delta": delta, "radius": radius, "on_axis": on_axis}
    surf = _surfaces.saddle(a, b)

    def theory(opt):
        if opt.kind != "gd" or not _constant(opt):
            return None
        return linearised_escape_time(delta, radius, opt.lr, 2.0 * b)

    def theory_starts(opt, x0):
        if opt.kind != "gd" or not _constant(opt):
            return None
        return _gd_linear_first_exit(x0, np.array([2.0 * a, -2.0 * b]), opt.lr, radius)

    return Scenario(
        name="saddle_2d",
        surface=surf,
        events={EVENT: _events.leave_ball(np.zeros(2), radius)},
        params=params,
        noise=noise,
        _builder=saddle_2d,
        _starts=lambda n, seed: _on_y(n, delta) if on_axis else _around(n, 2, delta, seed, False),
        _theory=theory,
        _theory_starts=theory_starts,
    )


def _on_y(n, delta):
    x = np.zeros((n, 2))
    x[:, 1] = np.where(np.arange(n) % 2 == 0, delta, -delta)
    return x


def _gd_linear_first_exit(x0, curv, lr, radius, max_steps=1_000_000):
    """First step GD on ``½ Σ curv_i x_i²`` leaves the ball (same float ops as the kernel)."""
    x = np.array(x0, dtype=np.float64, copy=True)
    out = np.full(x.shape[0], np.inf)
    r2 = radius * radius
    alive = np.ones(x.shape[0], dtype=bool)
    hit = np.sum(x * x, axis=1) > r2
    out[hit] = 0
    alive &= ~hit
    grow = np.any(curv < 0)
    for t in range(1, max_steps + 1):
        if not alive.any() or not grow:
            break
        g = curv * x
        x = x - lr * g
        hit = alive & (np.sum(x * x, axis=1) > r2)
        out[hit] = t
        alive &= ~hit
    return out


def strict_saddle(
    dim: int = 10,
    k: int = 1,
    lam_pos: float = 1.0,
    lam_neg: float = 1.0,
    quartic: float = 1.0,
    delta: float = 1e-3,
    radius: float | None = None,
    noise=None,
    on_axis: bool = False,
) -> Scenario:
    r"""Escape from the ``dim``-D strict saddle with ``k`` escape directions.

    Curvature ratio ``lam_pos / lam_neg``; :math:`|\lambda_{\min}| =`
    ``lam_neg``.  Starts uniform on the sphere of radius ``delta``
    (``on_axis=True``: ``±delta`` along escape axis ``i % k``).  Event:
    ``‖x_t‖ > radius``, default half the distance from the saddle to a
    minimum along an escape axis, :math:`\tfrac12\sqrt{\lambda_-/q}`.

    GD's theory is linearised (it ignores the quartic wall, which slows the
    last steps, and the decay of the stable components);
    :meth:`Scenario.theory_starts` uses each start's escape component
    :math:`\lVert x_{0,<k}\rVert` in place of ``delta``.
    """
    dim, k = V.integer("dim", dim), V.integer("k", k)
    lam_pos, lam_neg = V.real("lam_pos", lam_pos), V.real("lam_neg", lam_neg)
    quartic = V.real("quartic", quartic)
    on_axis = _flag("on_axis", on_axis)
    noise = _noise(noise)
    surf = _surfaces.strict_saddle(dim, k, lam_pos, lam_neg, quartic)
    radius_arg = radius  # None stays None: replace(lam_neg=...) recomputes the default
    if radius is None:
        radius = 0.5 * math.sqrt(lam_neg / quartic)
    delta, radius = _distances(delta, radius)
    params = {
        "dim": int(dim),
        "k": int(k),
        "lam_pos": float(lam_pos),
        "lam_neg": float(lam_neg),
        "quartic": float(quartic),
        "delta": float(delta),
        "radius": None if radius_arg is None else float(radius),
        "on_axis": bool(on_axis),
    }

    def theory(opt):
        if opt.kind != "gd" or not _constant(opt):
            return None
        return linearised_escape_time(delta, radius, opt.lr, lam_neg)

    def theory_starts(opt, x0):
        if opt.kind != "gd" or not _constant(opt):
            return None
        comp = np.linalg.norm(x0[:, :k], axis=1)
        with np.errstate(divide="ignore"):
            return np.where(
                comp > 0, np.log(radius / np.maximum(comp, 1e-300)), np.inf
            ) / math.log1p(opt.lr * lam_neg)

    return Scenario(
        name="strict_saddle",
        surface=surf,
        events={EVENT: _events.leave_ball(np.zeros(dim), radius)},
        params=params,
        noise=noise,
        _builder=strict_saddle,
        _starts=lambda n, seed: _around(n, dim, delta, seed, on_axis, axes=k),
        _theory=theory,
        _theory_starts=theory_starts,
    )


def plateau(
    width: float = 4.0,
    slope: float = 0.01,
    depth: float = 1.0,
    well: float = 1.0,
    curvature: float = 1.0,
    dim: int = 2,
    delta: float = 1e-3,
    noise=None,
) -> Scenario:
    """Crossing a linear plateau of ``width`` and ``slope`` (then a well).

    Starts uniform in the ball of radius ``delta`` around the origin (the
    plateau's far end; ``delta`` perturbs both the along-plateau and the
    transverse coordinates).  Event ``"escaped"``: ``loss_below(0)`` —
    reached the end of the plateau (see the module docstring).  Theory:
    :func:`plateau_crossing_time`.
    """
    params = {
        "width": V.real("width", width),
        "slope": V.real("slope", slope),
        "depth": V.real("depth", depth),
        "well": V.real("well", well),
        "curvature": V.real("curvature", curvature),
        "dim": V.integer("dim", dim),
        "delta": V.positive("delta", delta),
    }
    noise = _noise(noise)
    delta, dim = params["delta"], params["dim"]
    surf = _surfaces.plateau(width, slope, depth, well, curvature, dim)
    return Scenario(
        name="plateau",
        surface=surf,
        events={EVENT: _events.loss_below(0.0)},
        params=params,
        noise=noise,
        _builder=plateau,
        _starts=lambda n, seed: _starts.ball(n, np.zeros(dim), delta, seed=seed),
        _theory=lambda opt: plateau_crossing_time(opt, width, slope),
    )


# --------------------------------------------------------------------------
# sweeps
# --------------------------------------------------------------------------
_STAT_COLUMNS = [
    "n",
    "steps",
    "escaped",
    "median",
    "median_low",
    "median_high",
    "q25",
    "q75",
    "mean_escaped",
    "mean_escaped_low",
    "mean_escaped_high",
    "diverged",
    "theory",
]


def _optimizer_list(optimizers):
    """``[(name, Optimizer), ...]`` named as :func:`landscape.simulate` names them."""
    if not isinstance(optimizers, (Optimizer, dict, list, tuple)):
        optimizers = list(optimizers)
    names, opts = _name_optimizers(optimizers)
    return list(zip(names, opts, strict=True))


def sweep(
    scenario: Scenario,
    optimizers,
    *,
    deltas=None,
    noises=None,
    batch_sizes=None,
    params: dict | None = None,
    n: int = 1000,
    steps: int = 1000,
    seed: int = 0,
    dtype: str = "float64",
    confidence: float = 0.95,
    keep_results: bool = False,
):
    """Run ``scenario`` for every optimizer and every (params, delta, noise, batch) group.

    Parameters
    ----------
    optimizers : list of Optimizer or dict name -> Optimizer
        All run in ONE simulate call per group (optimizers are data).
    deltas : list of float, optional
        Start distances (default: the scenario's).
    noises : list of float (sigma; 0 or None = noiseless), optional
        Gradient-noise levels (default: the scenario's noise).
    batch_sizes : list of int, optional
        With ``noises``: scale sigma/sqrt(b) (:func:`landscape.noise.gaussian`);
        a noiseless group ignores it (one group, ``batch_size`` empty).
    params : dict name -> list, optional
        Other scenario parameters to vary, e.g. ``{"dim": [2, 10], "k": [1, 2]}``
        (the surface family is compiled once; each value is a new call).
    n, steps, seed, dtype
        Trajectories per optimizer, updates, seed (the same for every group:
        common random starts and noise), precision.

    Returns
    -------
    Table
        Columns: ``scenario``, ``optimizer`` (kind), ``name``, the
        optimizer's hyperparameters (``lr``, ``beta``, ``b1``, ...), the
        varied scenario parameters, ``delta``, ``noise``, ``batch_size``,
        then the :func:`landscape.stats.summary_row` statistics and
        ``theory`` (predicted escape step, empty where none is known).
        With ``keep_results=True`` returns ``(table, [(group, Result), ...])``.
    """
    opts = _optimizer_list(optimizers)
    names = [nm for nm, _ in opts]
    grid = dict(params or {})
    if deltas is not None:
        grid["delta"] = list(deltas)
    keys = list(grid)
    if noises is None:
        noise_groups = [scenario.noise]
    else:
        noise_groups = []
        for sigma in noises:
            if sigma is None or float(sigma) == 0.0:
                cand = [None]
            else:
                cand = [gaussian(float(sigma), b) for b in (batch_sizes or [None])]
            noise_groups += [c for c in cand if c not in noise_groups]
    hp_cols: list = []
    for _, o in opts:
        for h in o.hyperparameters():
            if h not in hp_cols:
                hp_cols.append(h)
    rows, results = [], []
    for values in itertools.product(*(grid[k] for k in keys)):
        base = scenario.replace(**dict(zip(keys, values, strict=True)))
        for nz in noise_groups:
            sc = base.replace(noise=nz)
            res = sc.run(dict(opts), n, steps, seed=seed, dtype=dtype)
            group = {k: sc.params[k] for k in keys if k != "delta"}
            group.update(
                delta=sc.delta,
                noise=nz.sigma if nz else 0.0,
                batch_size=nz.batch_size if nz else None,
            )
            if keep_results:
                results.append((group, res))
            per = _stats.times(res, EVENT)
            for nm, o in opts:
                row = {"scenario": sc.name, "optimizer": o.kind, "name": nm}
                row.update({h: o.hyperparameters().get(h) for h in hp_cols})
                row.update(group)
                row.update(
                    _stats.summary_row(
                        per[res.names[names.index(nm)]], confidence=confidence, seed=seed
                    )
                )
                row["theory"] = sc.theory(o)
                rows.append(row)
    columns = (
        ["scenario", "optimizer", "name"]
        + hp_cols
        + [k for k in keys if k != "delta"]
        + ["delta", "noise", "batch_size"]
        + _STAT_COLUMNS
    )
    table = Table(rows, columns)
    return (table, results) if keep_results else table
