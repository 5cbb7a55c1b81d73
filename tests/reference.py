"""Slow, obvious NumPy oracles for the fused engine, written from the definitions.

Nothing here calls landscape's kernels or reuses their algebra (no folded bias
corrections, no structure-of-arrays, no rule families): every optimizer is
its textbook update on one trajectory's coordinate vector, every schedule is
a plain Python function of ``(t, lr0)``, and :func:`run_reference` is a
per-trajectory loop.

Counting conventions (those of ``landscape.optim.schedules``):

* ``t`` counts the updates already made (0 for the first update);
* ``epoch = t // steps_per_epoch + 1`` (1-based);
* Adam's bias-correction exponent is the 1-based update number ``t + 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# --------------------------------------------------------------------------
# schedules: functions (t, lr0) -> learning rate of the update after t updates
# --------------------------------------------------------------------------


def _epoch(t, steps_per_epoch):
    return int(t // steps_per_epoch) + 1


def constant():
    return lambda t, lr0: lr0


def inverse_time(decay=1.0, steps_per_epoch=1):
    return lambda t, lr0: lr0 / (1.0 + decay * _epoch(t, steps_per_epoch))


def exponential(base=0.95, steps_per_epoch=1):
    return lambda t, lr0: base ** _epoch(t, steps_per_epoch) * lr0


def inverse_sqrt_epoch(k=1.0, steps_per_epoch=1):
    return lambda t, lr0: k / math.sqrt(_epoch(t, steps_per_epoch)) * lr0


def inverse_sqrt_step(k=1.0):
    return lambda t, lr0: k / math.sqrt(t + 1) * lr0


def staircase(factor=0.5, every=10, steps_per_epoch=1):
    def f(t, lr0):
        e = _epoch(t, steps_per_epoch)
        return factor ** math.floor((e - 1) / every) * lr0

    return f


def cosine(decay_steps, alpha=0.0):
    T = decay_steps

    def f(t, lr0):
        return lr0 * ((1.0 - alpha) * 0.5 * (1.0 + math.cos(math.pi * min(t, T) / T)) + alpha)

    return f


def piecewise(boundaries, factors, steps_per_epoch=1):
    """factors[i] from epoch boundaries[i-1] (inclusive) to boundaries[i] (exclusive)."""
    assert len(factors) == len(boundaries) + 1

    def f(t, lr0):
        e = _epoch(t, steps_per_epoch)
        piece = sum(1 for b in boundaries if e >= b)
        return factors[piece] * lr0

    return f


manual = piecewise


def linear_warmup(warmup_steps, then=None):
    base = constant() if then is None else then
    return lambda t, lr0: min(1.0, (t + 1) / warmup_steps) * base(t, lr0)


SCHEDULES = {
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
}


def make_schedule(name, **kw):
    return SCHEDULES[name](**kw)


# --------------------------------------------------------------------------
# optimizers
# --------------------------------------------------------------------------
@dataclass
class OptSpec:
    """An optimizer for the reference: kind, hyperparameters, schedule function."""

    kind: str
    lr: float
    beta: float = 0.9  # momentum / heavy_ball / nesterov / rmsprop
    b1: float = 0.9  # adam(w)
    b2: float = 0.999  # adam(w)
    eps: float = 1e-8
    weight_decay: float = 0.0
    momentum_decay: float = 0.004  # nadam
    schedule: object = field(default_factory=constant)


class _State:
    """Per-trajectory optimizer state (vectors over coordinates)."""

    def __init__(self, d):
        self.m = np.zeros(d)  # velocity / first moment
        self.s = np.zeros(d)  # second moment / accumulator
        self.vmax = np.zeros(d)  # amsgrad: running maximum of the second moment
        self.mu_product = 1.0  # nadam
        self.t = 0  # updates made


def update(spec: OptSpec, st: _State, x, g, alpha):
    """One update of ``x`` (a coordinate vector) with learning rate ``alpha``."""
    k = spec.kind
    st.t += 1
    if k in ("gd", "sgd"):
        return x - alpha * g
    if k == "momentum":  # EWA form
        st.m = spec.beta * st.m + (1.0 - spec.beta) * g
        return x - alpha * st.m
    if k == "heavy_ball":
        st.m = spec.beta * st.m + g
        return x - alpha * st.m
    if k == "nesterov":
        st.m = spec.beta * st.m + g
        return x - alpha * (g + spec.beta * st.m)
    if k == "rmsprop":
        st.s = spec.beta * st.s + (1.0 - spec.beta) * g**2
        return x - alpha * g / (np.sqrt(st.s) + spec.eps)
    if k == "adagrad":
        st.s = st.s + g**2
        return x - alpha * g / (np.sqrt(st.s) + spec.eps)
    if k in ("adam", "adamw"):
        st.m = spec.b1 * st.m + (1.0 - spec.b1) * g
        st.s = spec.b2 * st.s + (1.0 - spec.b2) * g**2
        mhat = st.m / (1.0 - spec.b1**st.t)
        vhat = st.s / (1.0 - spec.b2**st.t)
        step = mhat / (np.sqrt(vhat) + spec.eps)
        if k == "adamw":
            return x - alpha * (spec.weight_decay * x + step)
        return x - alpha * step
    if k == "amsgrad":  # Reddi et al. 2018, as torch.optim.Adam(amsgrad=True)
        st.m = spec.b1 * st.m + (1.0 - spec.b1) * g
        st.s = spec.b2 * st.s + (1.0 - spec.b2) * g**2
        st.vmax = np.maximum(st.vmax, st.s)
        mhat = st.m / (1.0 - spec.b1**st.t)
        vhat = st.vmax / (1.0 - spec.b2**st.t)
        return x - alpha * mhat / (np.sqrt(vhat) + spec.eps)
    if k == "nadam":  # Dozat 2016, as torch.optim.NAdam
        mu = spec.b1 * (1.0 - 0.5 * 0.96 ** (st.t * spec.momentum_decay))
        mu_next = spec.b1 * (1.0 - 0.5 * 0.96 ** ((st.t + 1) * spec.momentum_decay))
        st.mu_product *= mu
        st.m = spec.b1 * st.m + (1.0 - spec.b1) * g
        st.s = spec.b2 * st.s + (1.0 - spec.b2) * g**2
        denom = np.sqrt(st.s / (1.0 - spec.b2**st.t)) + spec.eps
        x = x - alpha * (1.0 - mu) / (1.0 - st.mu_product) * g / denom
        return x - alpha * mu_next / (1.0 - st.mu_product * mu_next) * st.m / denom
    raise ValueError(f"unknown kind {k!r}")


# --------------------------------------------------------------------------
# the simulation loop
# --------------------------------------------------------------------------
def _event_hit(ev, x, f):
    kind = ev[0]
    if kind == "leave_ball":
        return np.linalg.norm(x - np.asarray(ev[1], float)) > ev[2]
    if kind == "enter_ball":
        return np.linalg.norm(x - np.asarray(ev[1], float)) < ev[2]
    if kind == "loss_below":
        return f < ev[1]
    raise ValueError(kind)


def run_one(
    value_and_grad,
    spec,
    x0,
    steps,
    record_every,
    noise_fn=None,
    events=None,
    diverge_at=1e6,
    traj_id=0,
):
    """One trajectory.  ``value_and_grad(rows) -> (f (n,), g (n, d))``.

    ``noise_fn(traj_id, t) -> (d,)`` is added to the gradient before update t.
    ``events`` is a dict name -> ("leave_ball", c, r) | ("enter_ball", c, r)
    | ("loss_below", level).
    """
    events = events or {}
    x = np.array(x0, dtype=np.float64)
    d = x.size
    st = _State(d)
    live = True
    diverged = -1
    ev_t = {name: -1 for name in events}
    frames_x, frames_f = [], []
    f = g = None
    for t in range(steps + 1):
        fv, gv = value_and_grad(x[None, :])
        f, g = float(fv[0]), np.array(gv[0], dtype=np.float64)
        if live:
            if (
                not np.all(np.abs(x) <= diverge_at)
                or not math.isfinite(f)
                or not np.all(np.isfinite(g))
            ):
                live = False
                diverged = t
        if live:
            for name, ev in events.items():
                if ev_t[name] < 0 and _event_hit(ev, x, f):
                    ev_t[name] = t
        if record_every and t % record_every == 0:
            frames_x.append(x.copy())
            frames_f.append(f)
        if t == steps:
            break
        if live:
            if noise_fn is not None:
                g = g + noise_fn(traj_id, t)
            x = update(spec, st, x, g, spec.schedule(t, spec.lr))
    return {
        "positions": np.array(frames_x).reshape(len(frames_x), d),
        "loss": np.array(frames_f),
        "final": x,
        "final_loss": f,
        "events": ev_t,
        "diverged": diverged,
    }


def run_reference(
    value_and_grad,
    spec,
    x0,
    steps,
    record_every,
    noise_fn=None,
    events=None,
    diverge_at=1e6,
    traj_ids=None,
):
    """Every row of ``x0`` through :func:`run_one`; arrays stacked over trajectories.

    ``traj_ids`` gives each row's trajectory index (keys the noise); default
    ``0..n-1``.
    """
    x0 = np.atleast_2d(np.asarray(x0, dtype=np.float64))
    ids = range(len(x0)) if traj_ids is None else traj_ids
    with np.errstate(all="ignore"):
        runs = [
            run_one(value_and_grad, spec, x, steps, record_every, noise_fn, events, diverge_at, i)
            for x, i in zip(x0, ids, strict=True)
        ]
    names = list(events or {})
    return {
        "positions": np.stack([r["positions"] for r in runs]),
        "loss": np.stack([r["loss"] for r in runs]),
        "final": np.stack([r["final"] for r in runs]),
        "final_loss": np.array([r["final_loss"] for r in runs]),
        "events": {nm: np.array([r["events"][nm] for r in runs], dtype=np.int64) for nm in names},
        "diverged": np.array([r["diverged"] for r in runs], dtype=np.int64),
    }


def gaussian_noise_table(seed_key, traj_ids, steps, d, sigma, normals):
    """``sigma * xi`` for every (trajectory id, step, coordinate), shape (len(ids), steps, d).

    ``normals(seed_key, trajectories, steps, coords, out)`` is the counter-based
    generator's vector entry point (``landscape._rng.normals``): the reference
    draws the very same numbers, keyed per (trajectory, step, coordinate).
    """
    ids = np.asarray(traj_ids, dtype=np.int64)
    tr, st, co = np.meshgrid(ids, np.arange(steps), np.arange(d), indexing="ij")
    out = np.empty(tr.size)
    normals(seed_key, tr.ravel().copy(), st.ravel().copy(), co.ravel().copy(), out)
    return sigma * out.reshape(len(ids), steps, d)


# --------------------------------------------------------------------------
# exponentially weighted averages
# --------------------------------------------------------------------------
def ewa_loop(theta, beta, bias_correction=False):
    out = []
    v = 0.0
    for t, th in enumerate(theta, start=1):
        v = beta * v + (1.0 - beta) * th
        out.append(v / (1.0 - beta**t) if bias_correction else v)
    return np.array(out)


# --------------------------------------------------------------------------
# mini-batches: the keyed shuffle in Python integers, per-example models in NumPy
# --------------------------------------------------------------------------
_MASK64 = (1 << 64) - 1


def _mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def shuffle_key(seed, trajectory, epoch):
    """The (seed, trajectory, epoch) key, from the generator's definition."""
    golden, salt = 0x9E3779B97F4A7C15, 0x5851F42D4C957F2D
    seed_key = _mix64(seed & _MASK64)
    h = _mix64((seed_key ^ salt) ^ ((trajectory * golden) & _MASK64))
    return _mix64((h + epoch * 0x94D049BB133111EB) & _MASK64)


def feistel_permutation(key, m):
    """The keyed permutation of range(m): Feistel + cycle walking + parity bit."""
    golden = 0x9E3779B97F4A7C15
    h = 2
    while 4**h < m:
        h += 1
    mask = (1 << h) - 1
    rounds = 12 if h <= 3 else 8
    out = []
    for i in range(m):
        x = i
        while True:
            left, right = x >> h, x & mask
            rk = key
            for _ in range(rounds):
                rk = (rk + golden) & _MASK64
                left, right = right, left ^ (_mix64((right ^ rk) & _MASK64) & mask)
            x = (left << h) | right
            if x < m:
                break
        if key >> 63 and x <= 1 and m > 1:
            x = 1 - x
        out.append(x)
    return np.array(out, dtype=np.int64)


def example_value_and_grad(model, theta, x, y, hidden=1, l2=0.0):
    """Loss and gradient of one example for the finite-sum models, from their formulas."""
    theta = np.asarray(theta, dtype=np.float64)
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    p = x.size
    if model == "linear":
        w, b = theta[:p], theta[p]
        r = w @ x + b - y
        return 0.5 * r * r, np.concatenate([r * x, [r]])
    if model == "logistic":
        w, b = theta[:p], theta[p]
        z = w @ x + b
        sig = 1.0 / (1.0 + math.exp(-z))
        loss = math.log1p(math.exp(z)) - y * z + 0.5 * l2 * (w @ w)
        return loss, np.concatenate([(sig - y) * x + l2 * w, [sig - y]])
    if model == "tanh":
        W = theta[: hidden * p].reshape(hidden, p)
        a = theta[hidden * p :]
        t = np.tanh(W @ x)
        r = a @ t - y
        gW = (r * a * (1.0 - t**2))[:, None] * x[None, :]
        return 0.5 * r * r, np.concatenate([gW.ravel(), r * t])
    raise ValueError(model)


def batch_value_and_grad(model, theta, X, y, idx, **kw):
    """Mean loss and gradient over the examples ``idx``."""
    parts = [example_value_and_grad(model, theta, X[i], y[i], **kw) for i in idx]
    return np.mean([p[0] for p in parts]), np.mean([p[1] for p in parts], axis=0)


def minibatch_run(
    model, X, y, spec, x0, steps, batch_size, seed, record_every=1, traj_ids=None, **kw
):
    """Mini-batch training of every row of ``x0``: epochs of fresh permutations.

    ``spec.schedule`` is called with the update number; its epoch length must
    already be ``ceil(m / batch_size)`` (the caller builds it so).  Returns
    final points, recorded positions and recorded mini-batch costs.
    """
    m = len(y)
    nb = -(-m // batch_size)
    x0 = np.atleast_2d(np.asarray(x0, dtype=np.float64))
    ids = range(len(x0)) if traj_ids is None else traj_ids
    finals, frames, costs = [], [], []
    for x_start, j in zip(x0, ids, strict=True):
        x = x_start.copy()
        st = _State(x.size)
        fx, fc = [], []
        for t in range(steps + 1):
            epoch, q = divmod(t, nb)
            if batch_size >= m:
                idx = range(m)
            else:
                order = feistel_permutation(shuffle_key(seed, j, epoch), m)
                idx = order[q * batch_size : (q + 1) * batch_size]
            f, g = batch_value_and_grad(model, x, X, y, idx, **kw)
            if record_every and t % record_every == 0:
                fx.append(x.copy())
                fc.append(f)
            if t == steps:
                break
            x = update(spec, st, x, g, spec.schedule(t, spec.lr))
        finals.append(x)
        frames.append(fx)
        costs.append(fc)
    return np.array(finals), np.array(frames), np.array(costs)


# --------------------------------------------------------------------------
# comparing an engine run with a reference run
# --------------------------------------------------------------------------
def assert_run_matches(res, o, want, rows, rec_rows, rtol=1e-10):
    """Optimizer ``o`` of a landscape Result against a reference run.

    ``rows``: the trajectory indices the reference ran (in its order);
    ``rec_rows``: those of them that were recorded.
    """
    scale = max(1.0, float(np.nanmax(np.abs(want["final"]))))
    atol = 1e-12 * scale
    np.testing.assert_array_equal(res.diverged[o, rows], want["diverged"])
    for name, times in want["events"].items():
        np.testing.assert_array_equal(res.events[name][o, rows], times, err_msg=name)
    np.testing.assert_allclose(res.final[o, rows], want["final"], rtol=rtol, atol=atol)
    fl = want["final_loss"]
    np.testing.assert_allclose(
        res.final_loss[o, rows], fl, rtol=rtol, atol=1e-12 * max(1.0, float(np.nanmax(np.abs(fl))))
    )
    sel = [k for k, r in enumerate(rows) if r in rec_rows]
    got_rows = [rows[k] for k in sel]
    np.testing.assert_allclose(
        res.positions[o, got_rows], want["positions"][sel], rtol=rtol, atol=atol
    )
    np.testing.assert_allclose(
        res.loss[o, got_rows],
        want["loss"][sel],
        rtol=rtol,
        atol=1e-12 * max(1.0, float(np.nanmax(np.abs(want["loss"])))),
    )
