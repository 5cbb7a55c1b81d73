r"""Update rules, written once as scalar functions (CPU lanes and GPU threads).

An optimizer *kind* maps onto one of five rule families plus per-step scalars
computed once per step (never per coordinate):

=========  ===========  =====================================================
kind       rule         per-step scalars
=========  ===========  =====================================================
gd         ``RULE_GD``  a = lr_t
momentum   ``RULE_MOM`` a = lr_t, b1 = beta, c1 = 1 - beta (EWA form)
heavy_ball ``RULE_MOM`` a = lr_t, b1 = beta, c1 = 1 (classic form)
nesterov   ``RULE_NAG`` a = lr_t, b1 = beta
rmsprop    ``RULE_RMS`` a = lr_t, b2 = beta, c2 = 1 - beta, e = eps
adagrad    ``RULE_RMS`` a = lr_t, b2 = 1, c2 = 1, e = eps
adam       ``RULE_ADAM`` a = lr_t / (1-b1^t) * sqrt(1-b2^t), e = eps*sqrt(1-b2^t)
adamw      ``RULE_ADAM`` as adam, and decay = 1 - lr_t * weight_decay
=========  ===========  =====================================================

Folding Adam's bias corrections into ``a`` and ``e`` is exact algebra:
``lr * mhat / (sqrt(vhat) + eps) = a * m / (sqrt(v) + e)``.
"""

from __future__ import annotations

import math

from numba import njit

from .._config import NJIT_OPTIONS

# optimizer kinds (data, not code: one kernel serves all of them)
GD, MOMENTUM, HEAVY_BALL, NESTEROV, RMSPROP, ADAGRAD, ADAM, ADAMW = range(8)
KIND_NAMES = ("gd", "momentum", "heavy_ball", "nesterov", "rmsprop", "adagrad", "adam", "adamw")

# rule families
RULE_GD, RULE_MOM, RULE_NAG, RULE_RMS, RULE_ADAM = range(5)

# hyperparameter row layout (float64, one row per optimizer)
HP_LR, HP_B1, HP_B2, HP_EPS, HP_WD = range(5)
HP_SIZE = 5

# per-step scalar layout
S_A, S_B1, S_C1, S_B2, S_C2, S_E, S_DECAY = range(7)
S_SIZE = 7


@njit(**NJIT_OPTIONS)
def rule_of(kind):
    """Rule family that implements optimizer ``kind``."""
    if kind == GD:
        return RULE_GD
    if kind == MOMENTUM or kind == HEAVY_BALL:
        return RULE_MOM
    if kind == NESTEROV:
        return RULE_NAG
    if kind == RMSPROP or kind == ADAGRAD:
        return RULE_RMS
    return RULE_ADAM


@njit(**NJIT_OPTIONS)
def step_scalars(kind, hp, lr_t, b1t, b2t, out):
    """Per-step scalars into ``out`` (len 7), given ``b1t = b1**t``, ``b2t = b2**t``.

    ``t`` is the 1-based update number; kernels keep the powers as running
    products (one multiply per step instead of two ``pow`` calls).  ``out``
    may have any float dtype: storing casts, so kernels read the scalars in
    their own precision.
    """
    b1 = hp[HP_B1]
    b2 = hp[HP_B2]
    a = lr_t
    c1 = 1.0 - b1
    c2 = 1.0 - b2
    e = hp[HP_EPS]
    decay = 1.0
    if kind == HEAVY_BALL:
        c1 = 1.0
    elif kind == ADAGRAD:
        b2 = 1.0
        c2 = 1.0
    elif kind == ADAM or kind == ADAMW:
        bc1 = 1.0 - b1t
        sbc2 = math.sqrt(1.0 - b2t)
        a = lr_t * sbc2 / bc1
        e = e * sbc2
        if kind == ADAMW:
            decay = 1.0 - lr_t * hp[HP_WD]
    out[S_A] = a
    out[S_B1] = b1
    out[S_C1] = c1
    out[S_B2] = b2
    out[S_C2] = c2
    out[S_E] = e
    out[S_DECAY] = decay


@njit(inline="always", **NJIT_OPTIONS)
def gd(x, g, a):
    r"""Gradient descent: :math:`x \leftarrow x - \alpha g`."""
    return x - a * g


@njit(inline="always", **NJIT_OPTIONS)
def momentum(x, g, m, a, b1, c1):
    r"""Momentum :math:`m \leftarrow \beta m + c g,\ x \leftarrow x - \alpha m`.

    ``c = 1 - beta`` is the course's EWA form, ``c = 1`` the classic
    heavy-ball form; the two coincide with ``lr_classic = lr_ewa * (1 - beta)``.
    """
    m = b1 * m + c1 * g
    return x - a * m, m


@njit(inline="always", **NJIT_OPTIONS)
def nesterov(x, g, m, a, b1):
    r"""Nesterov (framework form): :math:`m \leftarrow \beta m + g,\ x \leftarrow x - \alpha (g + \beta m)`."""
    m = b1 * m + g
    return x - a * (g + b1 * m), m


@njit(inline="always", **NJIT_OPTIONS)
def rms(x, g, v, a, b2, c2, e):
    r"""RMSprop/Adagrad: :math:`v \leftarrow b v + c g^2,\ x \leftarrow x - \alpha g / (\sqrt{v} + \epsilon)`."""
    v = b2 * v + c2 * g * g
    return x - a * g / (math.sqrt(v) + e), v


@njit(inline="always", **NJIT_OPTIONS)
def adam(x, g, m, v, a, b1, c1, b2, c2, e, decay):
    r"""Adam/AdamW with bias correction folded into ``a`` and ``e``.

    .. math:: m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
              v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
              x \leftarrow \delta x - a\, m / (\sqrt{v} + e)
    """
    m = b1 * m + c1 * g
    v = b2 * v + c2 * g * g
    return decay * x - a * m / (math.sqrt(v) + e), m, v


@njit(**NJIT_OPTIONS)
def update_one(rule, x, g, m, v, s):
    """Apply ``rule`` to one coordinate (GPU threads; the CPU uses lane loops)."""
    if rule == RULE_GD:
        return gd(x, g, s[S_A]), m, v
    if rule == RULE_MOM:
        x, m = momentum(x, g, m, s[S_A], s[S_B1], s[S_C1])
        return x, m, v
    if rule == RULE_NAG:
        x, m = nesterov(x, g, m, s[S_A], s[S_B1])
        return x, m, v
    if rule == RULE_RMS:
        x, v = rms(x, g, v, s[S_A], s[S_B2], s[S_C2], s[S_E])
        return x, m, v
    return adam(x, g, m, v, s[S_A], s[S_B1], s[S_C1], s[S_B2], s[S_C2], s[S_E], s[S_DECAY])
