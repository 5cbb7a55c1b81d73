r"""Optimizer constructors: small immutable records the kernels read as data.

Each returns an :class:`Optimizer` (kind id + hyperparameters + schedule).
Optimizers that differ only in hyperparameters, or in kind, run in one kernel
launch without recompiling.

The two momentum forms:

* :func:`momentum` (the course's, exponentially weighted):
  :math:`v \leftarrow \beta v + (1-\beta) g,\ x \leftarrow x - \alpha v`;
* :func:`heavy_ball` (classic, Polyak):
  :math:`v \leftarrow \beta v + g,\ x \leftarrow x - \alpha v`.

They give identical iterates when :math:`\alpha_{\text{classic}} =
(1-\beta)\,\alpha_{\text{EWA}}`: the EWA form needs a learning rate
:math:`1/(1-\beta)` times larger (10x for :math:`\beta = 0.9`) for the same
step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate as V
from .._registry import Registry
from . import _rules as R
from .schedules import Schedule, constant

__all__ = [
    "Optimizer",
    "adagrad",
    "adam",
    "adamw",
    "amsgrad",
    "gd",
    "heavy_ball",
    "make",
    "momentum",
    "nadam",
    "names",
    "nesterov",
    "rmsprop",
    "sgd",
]


@dataclass(frozen=True)
class Optimizer:
    """An optimizer spec: ``kind`` name, hyperparameters and a schedule."""

    kind: str
    lr: float
    b1: float = 0.0
    b2: float = 0.0
    eps: float = 0.0
    weight_decay: float = 0.0
    momentum_decay: float = 0.0
    schedule: Schedule = constant()

    def __post_init__(self):
        # constructors (adam(...), make(...)) validate ranges; this catches a
        # hand-built Optimizer("bogus", ...) before a kernel sees it
        V.choice("kind", self.kind, R.KIND_NAMES)
        for attr in R.HP_FIELDS:
            V.real(attr, getattr(self, attr))
        if not isinstance(self.schedule, Schedule):
            raise ValueError(f"schedule must be a Schedule, got {self.schedule!r}")

    @property
    def kind_id(self) -> int:
        """Integer kind the kernels dispatch on."""
        return R.KIND_NAMES.index(self.kind)

    def hp_row(self) -> np.ndarray:
        """Hyperparameter row (float64, columns :data:`landscape.optim._rules.HP_FIELDS`)."""
        return np.array([float(getattr(self, f)) for f in R.HP_FIELDS])

    def hyperparameters(self) -> dict:
        """The hyperparameters that matter for this kind, by their public names."""
        names = _PUBLIC[self.kind]
        out = {pub: getattr(self, attr) for pub, attr in names}
        if self.schedule.name != "constant" or self.schedule.warmup:
            out["schedule"] = self.schedule.label
        return out

    @property
    def label(self) -> str:
        """E.g. ``adam(lr=0.01, b1=0.9, b2=0.999, eps=1e-08)``."""
        parts = []
        for k, v in self.hyperparameters().items():
            parts.append(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}")
        return f"{self.kind}({', '.join(parts)})"

    def replace(self, **changes) -> Optimizer:
        """A copy with some hyperparameters changed (validated again)."""
        kw = {pub: getattr(self, attr) for pub, attr in _PUBLIC[self.kind]}
        kw["schedule"] = self.schedule
        kw.update(changes)
        return make(self.kind, **kw)


_PUBLIC = {
    "gd": (("lr", "lr"),),
    "momentum": (("lr", "lr"), ("beta", "b1")),
    "heavy_ball": (("lr", "lr"), ("beta", "b1")),
    "nesterov": (("lr", "lr"), ("beta", "b1")),
    "rmsprop": (("lr", "lr"), ("beta", "b2"), ("eps", "eps")),
    "adagrad": (("lr", "lr"), ("eps", "eps")),
    "adam": (("lr", "lr"), ("b1", "b1"), ("b2", "b2"), ("eps", "eps")),
    "adamw": (
        ("lr", "lr"),
        ("b1", "b1"),
        ("b2", "b2"),
        ("eps", "eps"),
        ("weight_decay", "weight_decay"),
    ),
    "amsgrad": (("lr", "lr"), ("b1", "b1"), ("b2", "b2"), ("eps", "eps")),
    "nadam": (
        ("lr", "lr"),
        ("b1", "b1"),
        ("b2", "b2"),
        ("eps", "eps"),
        ("momentum_decay", "momentum_decay"),
    ),
}


#: How each kind is written in figure labels and tables.
DISPLAY = {
    "gd": "GD",
    "momentum": "momentum",
    "heavy_ball": "classic momentum",
    "nesterov": "Nesterov",
    "rmsprop": "RMSprop",
    "adagrad": "AdaGrad",
    "adam": "Adam",
    "adamw": "AdamW",
    "amsgrad": "AMSGrad",
    "nadam": "NAdam",
}
#: Words an optimizer's name may use for its kind without saying anything
#: more (a legend then shows the kind's display name only once).
KIND_WORDS = {
    "gd": {"gd", "sgd", "gradient", "descent", "stochastic", "plain", "vanilla"},
    "momentum": {"momentum", "ewa"},
    "heavy_ball": {"heavy", "ball", "heavyball", "classic", "classical", "polyak", "momentum"},
    "nesterov": {"nesterov", "nag", "accelerated", "momentum"},
    "rmsprop": {"rmsprop", "rms", "prop"},
    "adagrad": {"adagrad"},
    "adam": {"adam"},
    "adamw": {"adamw", "adam", "w"},
    "amsgrad": {"amsgrad", "ams", "grad", "adam"},
    "nadam": {"nadam", "nesterov", "adam"},
}


def _sched(schedule):
    if schedule is None:
        return constant()
    if not isinstance(schedule, Schedule):
        raise ValueError(f"schedule must be a landscape.schedules.Schedule, got {schedule!r}")
    return schedule


def _lr(lr):
    return V.positive("lr", lr)


def gd(lr: float = 0.01, schedule: Schedule | None = None) -> Optimizer:
    r"""Gradient descent: :math:`x \leftarrow x - \alpha g`."""
    return Optimizer("gd", _lr(lr), schedule=_sched(schedule))


def sgd(lr: float = 0.01, schedule: Schedule | None = None) -> Optimizer:
    """Alias of :func:`gd` (stochastic when the run adds gradient noise)."""
    return gd(lr, schedule)


def momentum(lr: float = 0.01, beta: float = 0.9, schedule: Schedule | None = None) -> Optimizer:
    r"""Momentum in the course's EWA form.

    .. math:: v \leftarrow \beta v + (1-\beta) g,\qquad x \leftarrow x - \alpha v
    """
    return Optimizer("momentum", _lr(lr), b1=V.beta("beta", beta), schedule=_sched(schedule))


def heavy_ball(lr: float = 0.01, beta: float = 0.9, schedule: Schedule | None = None) -> Optimizer:
    r"""Classic (Polyak heavy-ball) momentum.

    .. math:: v \leftarrow \beta v + g,\qquad x \leftarrow x - \alpha v

    References
    ----------
    B. T. Polyak, "Some methods of speeding up the convergence of iteration
    methods", USSR Comp. Math. and Math. Physics 4(5), 1964.
    """
    return Optimizer("heavy_ball", _lr(lr), b1=V.beta("beta", beta), schedule=_sched(schedule))


def nesterov(lr: float = 0.01, beta: float = 0.9, schedule: Schedule | None = None) -> Optimizer:
    r"""Nesterov momentum in the form used by PyTorch and optax.

    .. math:: v \leftarrow \beta v + g,\qquad x \leftarrow x - \alpha (g + \beta v)
    """
    return Optimizer("nesterov", _lr(lr), b1=V.beta("beta", beta), schedule=_sched(schedule))


def rmsprop(
    lr: float = 0.001, beta: float = 0.9, eps: float = 1e-8, schedule: Schedule | None = None
) -> Optimizer:
    r"""RMSprop with :math:`\epsilon` in the denominator (the course's form).

    .. math:: S \leftarrow \beta S + (1-\beta) g^2,\qquad
              x \leftarrow x - \alpha\, g / (\sqrt{S} + \epsilon)
    """
    return Optimizer(
        "rmsprop",
        _lr(lr),
        b2=V.beta("beta", beta),
        eps=V.nonnegative("eps", eps),
        schedule=_sched(schedule),
    )


def adagrad(lr: float = 0.01, eps: float = 1e-10, schedule: Schedule | None = None) -> Optimizer:
    r"""Adagrad (as in PyTorch, initial accumulator 0).

    .. math:: G \leftarrow G + g^2,\qquad x \leftarrow x - \alpha\, g / (\sqrt{G} + \epsilon)
    """
    return Optimizer("adagrad", _lr(lr), eps=V.nonnegative("eps", eps), schedule=_sched(schedule))


def _adam_family(kind, lr, b1, b2, eps, schedule, **extra) -> Optimizer:
    """An Adam-like optimizer record, its common hyperparameters validated."""
    return Optimizer(kind, _lr(lr), b1=V.beta("b1", b1), b2=V.beta("b2", b2),
                     eps=V.nonnegative("eps", eps), schedule=_sched(schedule), **extra)  # fmt: skip


def adam(
    lr: float = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    schedule: Schedule | None = None,
) -> Optimizer:
    r"""Adam with bias correction (defaults 0.9, 0.999, 1e-8).

    .. math::
        m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
        x \leftarrow x - \alpha \frac{m/(1-\beta_1^t)}{\sqrt{v/(1-\beta_2^t)} + \epsilon}

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015.
    """
    return _adam_family("adam", lr, b1, b2, eps, schedule)


def adamw(
    lr: float = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    weight_decay: float = 0.01,
    schedule: Schedule | None = None,
) -> Optimizer:
    r"""AdamW: Adam with decoupled weight decay (PyTorch's definition).

    .. math:: x \leftarrow x - \alpha_t\left(\lambda x + \frac{\hat m}{\sqrt{\hat v} + \epsilon}\right)

    References
    ----------
    I. Loshchilov and F. Hutter, "Decoupled Weight Decay Regularization", ICLR 2019.
    """
    return _adam_family("adamw", lr, b1, b2, eps, schedule,
                        weight_decay=V.nonnegative("weight_decay", weight_decay))  # fmt: skip


def amsgrad(
    lr: float = 0.001,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    schedule: Schedule | None = None,
) -> Optimizer:
    r"""AMSGrad: Adam whose denominator uses the running maximum of :math:`v` (PyTorch's
    ``Adam(amsgrad=True)``).

    .. math::
        \hat v_t = \max(\hat v_{t-1}, v_t),\quad
        x \leftarrow x - \alpha \frac{m/(1-\beta_1^t)}{\sqrt{\hat v_t/(1-\beta_2^t)} + \epsilon}

    The effective step never grows because the second moment shrank, which
    fixes Adam's non-convergence on some convex problems.

    References
    ----------
    S. J. Reddi, S. Kale and S. Kumar, "On the Convergence of Adam and Beyond", ICLR 2018.
    """
    return _adam_family("amsgrad", lr, b1, b2, eps, schedule)


def nadam(
    lr: float = 0.002,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    momentum_decay: float = 0.004,
    schedule: Schedule | None = None,
) -> Optimizer:
    r"""NAdam: Adam with Nesterov momentum (PyTorch's ``torch.optim.NAdam``, its defaults).

    .. math::
        \mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{t\psi}\right),\quad
        x \leftarrow x - \alpha\left(\frac{1-\mu_t}{1-\prod_{s\le t}\mu_s}\,g
        + \frac{\mu_{t+1}}{1-\prod_{s\le t+1}\mu_s}\,m\right)
        \Big/ \left(\sqrt{v/(1-\beta_2^t)} + \epsilon\right)

    with Adam's moments :math:`m, v` and :math:`\psi` = ``momentum_decay``.

    References
    ----------
    T. Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop.
    """
    return _adam_family("nadam", lr, b1, b2, eps, schedule,
                        momentum_decay=V.nonnegative("momentum_decay", momentum_decay))  # fmt: skip


_REGISTRY = Registry(
    "optimizer",
    {
        "gd": gd,
        "sgd": sgd,
        "momentum": momentum,
        "heavy_ball": heavy_ball,
        "nesterov": nesterov,
        "rmsprop": rmsprop,
        "adagrad": adagrad,
        "adam": adam,
        "adamw": adamw,
        "amsgrad": amsgrad,
        "nadam": nadam,
    },
)


def names():
    """Sorted names of every optimizer constructor."""
    return _REGISTRY.names()


def make(name, **hyperparameters) -> Optimizer:
    """Build an optimizer by name, e.g. ``make("adam", lr=1e-2)``."""
    V.choice("optimizer", name, _REGISTRY.names())
    return _REGISTRY.make(name, **hyperparameters)
