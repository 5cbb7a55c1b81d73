r"""Update rules: the one source of every optimizer's maths, for every engine.

An optimizer *kind* is data (an integer); this module turns it into a rule
family, a few per-step scalars computed once per step (never per
coordinate) and the per-coordinate update.  The three engines (fused CPU,
fused CUDA, batched) call only the functions at the bottom of this module —
:func:`start`, :func:`next_scalars` and :func:`update_lanes` — and size
their state with :data:`N_STATE`, :data:`N_RUN`, :data:`S_SIZE` and
:data:`HP_SIZE`, so **adding an optimizer touches this module, the
constructors** (:mod:`landscape.optim.optimizers`) **and the test
reference, and no engine**.

==========  ============  ===================================================
kind        rule          per-step scalars
==========  ============  ===================================================
gd          ``RULE_GD``   a = lr_t
momentum    ``RULE_MOM``  a = lr_t, b1 = beta, c1 = 1 - beta (EWA form)
heavy_ball  ``RULE_MOM``  a = lr_t, b1 = beta, c1 = 1 (classic form)
nesterov    ``RULE_NAG``  a = lr_t, b1 = beta
rmsprop     ``RULE_RMS``  a = lr_t, b2 = beta, c2 = 1 - beta, e = eps
adagrad     ``RULE_RMS``  a = lr_t, b2 = 1, c2 = 1, e = eps
adam        ``RULE_ADAM`` a = lr_t / (1-b1^t) * sqrt(1-b2^t), e = eps*sqrt(1-b2^t)
adamw       ``RULE_ADAM`` as adam, and decay = 1 - lr_t * weight_decay
amsgrad     ``RULE_AMS``  as adam (the maximum of v in the denominator)
nadam       ``RULE_NADAM`` a (gradient), an (momentum): PyTorch's mu schedule
==========  ============  ===================================================

Folding Adam's bias corrections into ``a`` and ``e`` is exact algebra:
``lr * mhat / (sqrt(vhat) + eps) = a * m / (sqrt(v) + e)``.

State: every coordinate carries :data:`N_STATE` numbers (``S[0]`` first
moment, ``S[1]`` second moment, ``S[2]`` AMSGrad's running maximum of the
second moment), zero at the start; every optimizer carries :data:`N_RUN`
float64 running products across steps (``b1^t``, ``b2^t``, NAdam's
:math:`\prod \mu_t`), one at the start (:func:`start`).
"""

from __future__ import annotations

import math

from .._cache import jit

# optimizer kinds (data, not code: one kernel serves all of them)
GD, MOMENTUM, HEAVY_BALL, NESTEROV, RMSPROP, ADAGRAD, ADAM, ADAMW, AMSGRAD, NADAM = range(10)
KIND_NAMES = (
    "gd", "momentum", "heavy_ball", "nesterov", "rmsprop", "adagrad", "adam", "adamw", "amsgrad",
    "nadam",
)  # fmt: skip

# rule families
RULE_GD, RULE_MOM, RULE_NAG, RULE_RMS, RULE_ADAM, RULE_AMS, RULE_NADAM = range(7)

# hyperparameter row layout (float64, one row per optimizer)
HP_LR, HP_B1, HP_B2, HP_EPS, HP_WD, HP_PSI = range(6)
HP_SIZE = 6
#: Attribute of :class:`~landscape.optim.optimizers.Optimizer` in each column.
HP_FIELDS = ("lr", "b1", "b2", "eps", "weight_decay", "momentum_decay")

# per-step scalar layout
S_A, S_B1, S_C1, S_B2, S_C2, S_E, S_DECAY, S_AN = range(8)
S_SIZE = 8

#: Per-coordinate state numbers (first moment, second moment, running max of the second).
N_STATE = 3
#: Per-optimizer float64 running products carried across steps.
N_RUN = 3
RUN_B1T, RUN_B2T, RUN_MU = range(N_RUN)


@jit
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
    if kind == AMSGRAD:
        return RULE_AMS
    if kind == NADAM:
        return RULE_NADAM
    return RULE_ADAM


@jit
def start(run):
    """Running products before the first update (``run`` float64, len :data:`N_RUN`)."""
    for i in range(run.shape[0]):
        run[i] = 1.0


@jit
def nadam_mu(b1, psi, u):
    r"""NAdam's momentum coefficient :math:`\mu_u = \beta_1 (1 - \tfrac12 0.96^{u\psi})` (PyTorch)."""
    return b1 * (1.0 - 0.5 * math.pow(0.96, u * psi))


@jit
def next_scalars(kind, hp, lr_t, t, run, out):
    """Advance ``run`` to update ``t + 1`` and write the per-step scalars into ``out``.

    ``t`` is the 0-based step (the update number is ``t + 1``); ``run``
    holds the running products (one multiply per step instead of ``pow``
    calls); ``out`` (len :data:`S_SIZE`) may have any float dtype: storing
    casts, so kernels read the scalars in their own precision.
    """
    b1 = hp[HP_B1]
    b2 = hp[HP_B2]
    run[RUN_B1T] *= b1
    run[RUN_B2T] *= b2
    a = lr_t
    an = 0.0
    c1 = 1.0 - b1
    c2 = 1.0 - b2
    e = hp[HP_EPS]
    decay = 1.0
    if kind == HEAVY_BALL:
        c1 = 1.0
    elif kind == ADAGRAD:
        b2 = 1.0
        c2 = 1.0
    elif kind == ADAM or kind == ADAMW or kind == AMSGRAD:
        sbc2 = math.sqrt(1.0 - run[RUN_B2T])
        a = lr_t * sbc2 / (1.0 - run[RUN_B1T])
        e = e * sbc2
        if kind == ADAMW:
            decay = 1.0 - lr_t * hp[HP_WD]
    elif kind == NADAM:
        u = t + 1.0
        mu = nadam_mu(b1, hp[HP_PSI], u)
        mu_next = nadam_mu(b1, hp[HP_PSI], u + 1.0)
        run[RUN_MU] *= mu
        sbc2 = math.sqrt(1.0 - run[RUN_B2T])
        a = lr_t * (1.0 - mu) / (1.0 - run[RUN_MU]) * sbc2
        an = lr_t * mu_next / (1.0 - run[RUN_MU] * mu_next) * sbc2
        e = e * sbc2
    out[S_A] = a
    out[S_B1] = b1
    out[S_C1] = c1
    out[S_B2] = b2
    out[S_C2] = c2
    out[S_E] = e
    out[S_DECAY] = decay
    out[S_AN] = an


# --------------------------------------------------------------------------
# one coordinate
# --------------------------------------------------------------------------
@jit(inline="always")
def gd(x, g, a):
    r"""Gradient descent: :math:`x \leftarrow x - \alpha g`."""
    return x - a * g


@jit(inline="always")
def momentum(x, g, m, a, b1, c1):
    r"""Momentum :math:`m \leftarrow \beta m + c g,\ x \leftarrow x - \alpha m`.

    ``c = 1 - beta`` is the course's EWA form, ``c = 1`` the classic
    heavy-ball form; the two coincide with ``lr_classic = lr_ewa * (1 - beta)``.
    """
    m = b1 * m + c1 * g
    return x - a * m, m


@jit(inline="always")
def nesterov(x, g, m, a, b1):
    r"""Nesterov (framework form): :math:`m \leftarrow \beta m + g,\ x \leftarrow x - \alpha (g + \beta m)`."""
    m = b1 * m + g
    return x - a * (g + b1 * m), m


@jit(inline="always")
def rms(x, g, v, a, b2, c2, e):
    r"""RMSprop/Adagrad: :math:`v \leftarrow b v + c g^2,\ x \leftarrow x - \alpha g / (\sqrt{v} + \epsilon)`."""
    v = b2 * v + c2 * g * g
    return x - a * g / (math.sqrt(v) + e), v


@jit(inline="always")
def adam(x, g, m, v, a, b1, c1, b2, c2, e, decay):
    r"""Adam/AdamW with bias correction folded into ``a`` and ``e``.

    .. math:: m \leftarrow \beta_1 m + (1-\beta_1) g,\quad
              v \leftarrow \beta_2 v + (1-\beta_2) g^2,\quad
              x \leftarrow \delta x - a\, m / (\sqrt{v} + e)
    """
    m = b1 * m + c1 * g
    v = b2 * v + c2 * g * g
    return decay * x - a * m / (math.sqrt(v) + e), m, v


@jit(inline="always")
def amsgrad(x, g, m, v, w, a, b1, c1, b2, c2, e):
    r"""AMSGrad (PyTorch's ``Adam(amsgrad=True)``): Adam with :math:`\hat v_t = \max_{s\le t} v_s`.

    .. math:: w \leftarrow \max(w, v),\quad x \leftarrow x - a\, m / (\sqrt{w} + e)
    """
    m = b1 * m + c1 * g
    v = b2 * v + c2 * g * g
    w = max(w, v)
    return x - a * m / (math.sqrt(w) + e), m, v, w


@jit(inline="always")
def nadam(x, g, m, v, a, an, b1, c1, b2, c2, e):
    r"""NAdam (PyTorch's ``torch.optim.NAdam``) with bias corrections folded into ``a``, ``an``, ``e``.

    .. math:: x \leftarrow x - \frac{a\, g + a_n m}{\sqrt{v} + e},\quad
              a = \alpha\frac{1-\mu_t}{1-\prod_{s\le t}\mu_s}\sqrt{1-\beta_2^t},\quad
              a_n = \alpha\frac{\mu_{t+1}}{1-\prod_{s\le t+1}\mu_s}\sqrt{1-\beta_2^t}
    """
    m = b1 * m + c1 * g
    v = b2 * v + c2 * g * g
    return x - (a * g + an * m) / (math.sqrt(v) + e), m, v


# --------------------------------------------------------------------------
# lanes: what every engine calls
# --------------------------------------------------------------------------
@jit(_nrt=False)
def update_lanes(rule, X, G, S, live, s):
    """Apply ``rule`` to every coordinate ``X[k, j]`` (lane ``j``) with gradient ``G[k, j]``.

    ``S`` holds the :data:`N_STATE` state arrays ``(d, W)`` (a tuple of
    separate arrays in the fused CPU kernel, so LLVM knows they do not
    overlap; an ``(N_STATE, d, W)`` array elsewhere), ``s`` the step's scalars
    (:func:`next_scalars`); lanes with ``live[j]`` False keep their ``X``.
    The loops run over lanes innermost with no branch, so the CPU engine's
    blocks vectorise across trajectories; the CUDA engine calls this with one
    lane per thread and the batched engine with one row as ``(1, d)`` lanes.
    """
    d, W = X.shape
    a, b1, c1, b2, c2, e = s[S_A], s[S_B1], s[S_C1], s[S_B2], s[S_C2], s[S_E]
    M = S[0]
    V = S[1]
    if rule == RULE_GD:
        for k in range(d):
            for j in range(W):
                xn = gd(X[k, j], G[k, j], a)
                X[k, j] = xn if live[j] else X[k, j]
    elif rule == RULE_MOM:
        for k in range(d):
            for j in range(W):
                xn, M[k, j] = momentum(X[k, j], G[k, j], M[k, j], a, b1, c1)
                X[k, j] = xn if live[j] else X[k, j]
    elif rule == RULE_NAG:
        for k in range(d):
            for j in range(W):
                xn, M[k, j] = nesterov(X[k, j], G[k, j], M[k, j], a, b1)
                X[k, j] = xn if live[j] else X[k, j]
    elif rule == RULE_RMS:
        for k in range(d):
            for j in range(W):
                xn, V[k, j] = rms(X[k, j], G[k, j], V[k, j], a, b2, c2, e)
                X[k, j] = xn if live[j] else X[k, j]
    elif rule == RULE_ADAM:
        dec = s[S_DECAY]
        for k in range(d):
            for j in range(W):
                xn, M[k, j], V[k, j] = adam(
                    X[k, j], G[k, j], M[k, j], V[k, j], a, b1, c1, b2, c2, e, dec
                )
                X[k, j] = xn if live[j] else X[k, j]
    elif rule == RULE_AMS:
        Wm = S[2]
        for k in range(d):
            for j in range(W):
                xn, M[k, j], V[k, j], Wm[k, j] = amsgrad(
                    X[k, j], G[k, j], M[k, j], V[k, j], Wm[k, j], a, b1, c1, b2, c2, e
                )
                X[k, j] = xn if live[j] else X[k, j]
    else:
        an = s[S_AN]
        for k in range(d):
            for j in range(W):
                xn, M[k, j], V[k, j] = nadam(
                    X[k, j], G[k, j], M[k, j], V[k, j], a, an, b1, c1, b2, c2, e
                )
                X[k, j] = xn if live[j] else X[k, j]
