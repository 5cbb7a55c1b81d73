r"""Learning-rate schedules, as data the kernels read at run time.

Every schedule multiplies the optimizer's base rate :math:`\alpha_0`.  Counting
conventions (the course's):

* ``t`` counts the updates already made (0 for the first update);
* ``epoch = t // steps_per_epoch + 1`` is the course's 1-based ``epoch_num``,
  so :func:`inverse_time` with :math:`\alpha_0 = 0.2`, ``decay = 1`` gives
  0.1, 0.0667, 0.05, 0.04 in epochs 1-4;
* :func:`inverse_sqrt_step` uses the 1-based update number ``t + 1``.

A linear warm-up (:func:`linear_warmup`) multiplies any schedule by
``min(1, (t + 1) / warmup_steps)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from .. import _validate as V
from .._cache import jit
from .._registry import Registry

__all__ = [
    "Schedule",
    "constant",
    "cosine",
    "exponential",
    "inverse_sqrt_epoch",
    "inverse_sqrt_step",
    "inverse_time",
    "linear_warmup",
    "manual",
    "piecewise",
    "staircase",
    "make",
    "names",
]

CONSTANT, INVERSE_TIME, EXPONENTIAL, INV_SQRT_EPOCH, INV_SQRT_STEP, STAIRCASE, COSINE, PIECEWISE = (
    range(8)
)
MAX_PIECES = 16
# row layout
R_SPE, R_WARMUP, R_P0, R_P1, R_NPIECES, R_BOUNDS = 0, 1, 2, 3, 4, 5
R_FACTORS = R_BOUNDS + MAX_PIECES
ROW_SIZE = R_FACTORS + MAX_PIECES + 1


@jit
def factor_at(kind, row, t):
    """Multiplier of the base learning rate for the update after ``t`` updates."""
    spe = row[R_SPE]
    epoch = math.floor(t / spe) + 1.0
    f = 1.0
    if kind == INVERSE_TIME:
        f = 1.0 / (1.0 + row[R_P0] * epoch)
    elif kind == EXPONENTIAL:
        f = row[R_P0] ** epoch
    elif kind == INV_SQRT_EPOCH:
        f = row[R_P0] / math.sqrt(epoch)
    elif kind == INV_SQRT_STEP:
        f = row[R_P0] / math.sqrt(t + 1.0)
    elif kind == STAIRCASE:
        f = row[R_P0] ** math.floor((epoch - 1.0) / row[R_P1])
    elif kind == COSINE:
        T = row[R_P0]
        frac = min(t, T) / T
        f = (1.0 - row[R_P1]) * 0.5 * (1.0 + math.cos(math.pi * frac)) + row[R_P1]
    elif kind == PIECEWISE:
        npieces = int(row[R_NPIECES])
        i = 0
        while i < npieces - 1 and epoch >= row[R_BOUNDS + i]:
            i += 1
        f = row[R_FACTORS + i]
    w = row[R_WARMUP]
    if w > 0.0 and t + 1.0 < w:
        f *= (t + 1.0) / w
    return f


@jit
def _factors(kind, row, ts, out):
    for i in range(ts.shape[0]):
        out[i] = factor_at(kind, row, ts[i])


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: a kind id plus a parameter row (data).

    Call it to evaluate: ``sched(t, lr0)`` gives the learning rate of the
    update after ``t`` updates (``t`` scalar or array).
    """

    name: str
    kind: int
    params: tuple = ()
    steps_per_epoch: float = 1.0
    warmup: int = 0
    pieces: tuple = field(default=((), ()), repr=False)

    def row(self) -> np.ndarray:
        """The float64 parameter row the kernels read."""
        r = np.zeros(ROW_SIZE)
        r[R_SPE] = self.steps_per_epoch
        r[R_WARMUP] = self.warmup
        for i, p in enumerate(self.params):
            r[R_P0 + i] = p
        bounds, factors = self.pieces
        r[R_NPIECES] = len(factors)
        r[R_BOUNDS : R_BOUNDS + len(bounds)] = bounds
        r[R_FACTORS : R_FACTORS + len(factors)] = factors
        return r

    def __call__(self, t, lr0: float = 1.0):
        ts = np.atleast_1d(np.asarray(t, dtype=np.float64))
        out = np.empty_like(ts)
        _factors(self.kind, self.row(), ts, out)
        out *= lr0
        return out if np.ndim(t) else float(out[0])

    def by_epoch(self, epochs, lr0: float = 1.0):
        """Learning rate in (1-based) ``epochs``, at each epoch's first update."""
        e = np.asarray(epochs, dtype=np.float64)
        return self((e - 1.0) * self.steps_per_epoch, lr0)

    @property
    def label(self) -> str:
        """Readable description, e.g. ``inverse_time(decay=1)``."""
        names = _PARAM_NAMES.get(self.name, ())
        parts = [f"{n}={p:g}" for n, p in zip(names, self.params, strict=False)]
        if self.name in ("piecewise", "manual"):
            parts = [f"boundaries={list(self.pieces[0])}", f"factors={list(self.pieces[1])}"]
        if self.steps_per_epoch != 1:
            parts.append(f"steps_per_epoch={self.steps_per_epoch:g}")
        text = f"{self.name}({', '.join(parts)})"
        return f"warmup({self.warmup})+{text}" if self.warmup else text


_PARAM_NAMES = {
    "inverse_time": ("decay",),
    "exponential": ("base",),
    "inverse_sqrt_epoch": ("k",),
    "inverse_sqrt_step": ("k",),
    "staircase": ("factor", "every"),
    "cosine": ("decay_steps", "alpha"),
}


def _spe(steps_per_epoch):
    return V.positive("steps_per_epoch", steps_per_epoch)


def constant() -> Schedule:
    r"""Constant rate: :math:`\alpha_t = \alpha_0`."""
    return Schedule("constant", CONSTANT)


def inverse_time(decay: float = 1.0, steps_per_epoch: float = 1) -> Schedule:
    r""":math:`\alpha = \alpha_0 / (1 + \text{decay} \cdot \text{epoch})`."""
    return Schedule(
        "inverse_time", INVERSE_TIME, (V.nonnegative("decay", decay),), _spe(steps_per_epoch)
    )


def exponential(base: float = 0.95, steps_per_epoch: float = 1) -> Schedule:
    r""":math:`\alpha = \text{base}^{\text{epoch}} \alpha_0` (the course's 0.95)."""
    b = V.in_range("base", base, 0.0, 1.0, closed_high=True)
    if b == 0.0:
        raise ValueError(f"base must be in (0, 1], got {base!r}")
    return Schedule("exponential", EXPONENTIAL, (b,), _spe(steps_per_epoch))


def inverse_sqrt_epoch(k: float = 1.0, steps_per_epoch: float = 1) -> Schedule:
    r""":math:`\alpha = k / \sqrt{\text{epoch}} \cdot \alpha_0`."""
    return Schedule(
        "inverse_sqrt_epoch", INV_SQRT_EPOCH, (V.positive("k", k),), _spe(steps_per_epoch)
    )


def inverse_sqrt_step(k: float = 1.0) -> Schedule:
    r""":math:`\alpha = k / \sqrt{t} \cdot \alpha_0` with the 1-based update number ``t``."""
    return Schedule("inverse_sqrt_step", INV_SQRT_STEP, (V.positive("k", k),))


def staircase(factor: float = 0.5, every: int = 10, steps_per_epoch: float = 1) -> Schedule:
    r"""Discrete staircase: :math:`\alpha = \text{factor}^{\lfloor (\text{epoch}-1)/\text{every} \rfloor} \alpha_0`."""
    f = V.positive("factor", factor)
    n = V.integer("every", every, minimum=1, maximum=V.MAX_STEPS)
    return Schedule("staircase", STAIRCASE, (f, float(n)), _spe(steps_per_epoch))


def cosine(decay_steps: int, alpha: float = 0.0) -> Schedule:
    r"""Cosine decay to ``alpha * lr0`` over ``decay_steps`` updates, then flat.

    .. math:: \alpha_t = \alpha_0\left[(1-a)\tfrac12\bigl(1+\cos(\pi \min(t,T)/T)\bigr) + a\right]
    """
    T = V.integer("decay_steps", decay_steps, minimum=1, maximum=V.MAX_STEPS)
    a = V.in_range("alpha", alpha, 0.0, 1.0, closed_high=True)
    return Schedule("cosine", COSINE, (float(T), a))


def piecewise(boundaries, factors, steps_per_epoch: float = 1, name: str = "piecewise") -> Schedule:
    r"""Piecewise-constant (manual) decay by epoch.

    ``factors[i]`` multiplies :math:`\alpha_0` from epoch ``boundaries[i-1]``
    (inclusive) up to ``boundaries[i]``; ``len(factors) == len(boundaries) + 1``.
    E.g. ``piecewise([10, 20], [1, 0.1, 0.01])``: epochs 1-9 at
    :math:`\alpha_0`, 10-19 at :math:`0.1\alpha_0`, then :math:`0.01\alpha_0`.
    """
    for arg, value in (("boundaries", boundaries), ("factors", factors)):
        if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
            raise ValueError(f"{arg} must be a list of numbers, got {value!r}")
    if len(boundaries) > MAX_PIECES:
        raise ValueError(
            f"boundaries must have at most {MAX_PIECES - 1} entries, got {len(boundaries)}"
        )
    b = [
        float(V.integer(f"boundaries[{i}]", x, minimum=1, maximum=V.MAX_STEPS))
        for i, x in enumerate(boundaries)
    ]
    f = [V.positive(f"factors[{i}]", x) for i, x in enumerate(factors)]
    if len(f) != len(b) + 1:
        raise ValueError(
            f"factors must have len(boundaries) + 1 = {len(b) + 1} entries, got {len(f)}"
        )
    if len(f) > MAX_PIECES:
        raise ValueError(f"factors must have at most {MAX_PIECES} entries, got {len(f)}")
    if any(x >= y for x, y in zip(b, b[1:], strict=False)):
        raise ValueError(f"boundaries must be strictly increasing, got {list(boundaries)}")
    return Schedule(name, PIECEWISE, (), _spe(steps_per_epoch), pieces=(tuple(b), tuple(f)))


def manual(boundaries, factors, steps_per_epoch: float = 1) -> Schedule:
    """The course's *manual* decay: :func:`piecewise` under another name."""
    return piecewise(boundaries, factors, steps_per_epoch, name="manual")


def linear_warmup(warmup_steps: int, then: Schedule | None = None) -> Schedule:
    r"""Linear warm-up over ``warmup_steps`` updates, then ``then`` (default constant).

    .. math:: \alpha_t = \min\bigl(1, (t+1)/W\bigr)\, \alpha^{\text{then}}_t
    """
    w = V.integer("warmup_steps", warmup_steps, minimum=1, maximum=V.MAX_STEPS)
    base = constant() if then is None else then
    if not isinstance(base, Schedule):
        raise ValueError(f"then must be a Schedule, got {then!r}")
    return replace(base, warmup=w)


_REGISTRY = Registry(
    "schedule",
    {
        "constant": constant,
        "inverse_time": inverse_time,
        "exponential": exponential,
        "inverse_sqrt_epoch": inverse_sqrt_epoch,
        "inverse_sqrt_step": inverse_sqrt_step,
        "staircase": staircase,
        "cosine": cosine,
        "piecewise": piecewise,
        "manual": manual,
        "linear_warmup": linear_warmup,
    },
)


def names():
    """Sorted names of every schedule constructor."""
    return _REGISTRY.names()


def make(name, **params) -> Schedule:
    """Build a schedule by name, e.g. ``make("exponential", base=0.95)``."""
    V.choice("schedule", name, _REGISTRY.names())
    return _REGISTRY.make(name, **params)
