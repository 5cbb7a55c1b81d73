"""Line figures of a Result: loss quantile bands, mini-batch cost, survival curves."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _validate as V
from ..averages import ewa_window
from ..surfaces.finite_sum import MODELS
from . import _labels as LB
from . import _layout as Y
from . import _style as S
from . import _writers as W
from . import options as O

__all__ = [
    "LOSS_CURVES",
    "MINIBATCH",
    "SURVIVAL",
    "loss_curves",
    "minibatch_curves",
    "survival_curves",
]


def _finite(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(a), a, np.nan)


def _band_verts(x, lo, hi) -> np.ndarray:
    ok = np.isfinite(lo) & np.isfinite(hi)
    x, lo, hi = x[ok], lo[ok], hi[ok]
    if x.size == 0:
        return np.zeros((0, 2))
    return np.concatenate([np.column_stack([x, lo]), np.column_stack([x[::-1], hi[::-1]])])


def _loss_of_first(result) -> np.ndarray:
    """Loss of recorded trajectory 0 of each optimizer, ``(n_optimizers, n_frames)``."""
    surface = getattr(result, "surface", None)
    if surface is not None and hasattr(surface, "value"):
        with np.errstate(all="ignore"):  # only trajectory 0: no need for the full result.loss
            return surface.value(np.asarray(result.positions[:, 0], dtype=np.float64))
    return np.asarray(result.loss)[:, 0, :]


def _check_quantiles(quantiles) -> np.ndarray:
    try:
        q = np.asarray(quantiles, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"quantiles must be numbers in [0, 1], got {quantiles!r}") from None
    if q.size == 0 or not np.all((q >= 0) & (q <= 1)):
        raise ValueError(
            f"quantiles must be a non-empty sequence of numbers in [0, 1], got {quantiles!r}"
        )
    return np.unique(q)


@W.renderer(out_at=1)
def loss_curves(
    result,
    *,
    quantiles=(0.1, 0.5, 0.9),
    log=None,
    size=O.DEFAULT_SIZE,
    dpi=O.DEFAULT_DPI,
    title=None,
    animate=False,
    fps=O.DEFAULT_FPS,
    max_frames=None,
    progress=False,
):
    """Loss against step per optimizer: quantile bands over the recorded trajectories.

    Pairs of quantiles from the outside in (``q[0]``-``q[-1]``, ...) are
    shaded bands; the middle quantile (odd count) is the line.  Non-finite
    losses are left out of the quantiles.  ``log`` as ``log_loss`` of
    :func:`race`.  ``animate=True`` reveals the curves step by step;
    otherwise the figure is static (``.gif``: one frame, ``.mp4``: a
    1-second still).  The legend is below the axes.
    """
    n_frames = S.check_frames(result)
    q = _check_quantiles(quantiles)
    S.check_choice_bool("log", log)
    animate = S.check_bool("animate", animate)
    size, frames, fs = S.frame_plan(n_frames, size, max_frames)
    cols = S.colours(result)
    x = np.asarray(result.frame_steps, dtype=np.float64)
    L = _finite(result.loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns -> NaN
        Q = np.stack([np.nanquantile(L[k], q, axis=0) for k in range(result.n_optimizers)])

    fig = S.new_figure(size, dpi)
    ax = fig.add_subplot(label="loss")
    vals = S.scale_values(Q, Q[:, :, 0])
    S.apply_scale(ax, S.loss_scale(vals, log), vals)
    ax.set_xlim(x[0], x[-1] if x[-1] > x[0] else x[0] + 1)
    from matplotlib.collections import PolyCollection

    nq = len(q)
    pairs = [(i, nq - 1 - i) for i in range(nq // 2)]
    mid = nq // 2 if nq % 2 else None
    # the axis says what the line and the bands are, whatever the title
    pct = lambda v: f"{100 * v:g}%"  # noqa: E731
    parts = [""]
    if mid is not None:
        parts = ["line: median" if q[mid] == 0.5 else f"line: {pct(q[mid])} quantile"]
    parts += [f"band {pct(q[a])}–{pct(q[b])}" for a, b in pairs]
    n_rec = result.positions.shape[1]
    S.axes_style(ax, fs, "step", f"loss ({'; '.join(p for p in parts if p)} of {n_rec} runs)")
    series = []
    for k in range(result.n_optimizers):
        bands = []
        for depth, (a, b) in enumerate(pairs):
            pc = PolyCollection([np.zeros((0, 2))], facecolors=cols[k], edgecolors="none",
                                alpha=0.12 + 0.1 * depth, zorder=2)  # fmt: skip
            ax.add_collection(pc, autolim=False)
            bands.append((pc, Q[k, a], Q[k, b]))
        line = None
        if mid is not None:
            line = ax.plot([], [], color=cols[k], linewidth=1.8, zorder=3,
                           label=LB.opt_label(result, k))[0]  # fmt: skip
        else:
            bands[-1][0].set_label(LB.opt_label(result, k))
        series.append((bands, line, Q[k, mid] if mid is not None else None))
    Y.figure_legend(fig, ax.get_legend_handles_labels()[0], fs["legend"])
    stamp = S.step_title(ax, fs)
    if title is None:
        qs = ", ".join(f"{v:g}" for v in q)
        what = f"quantiles {qs}" if nq > 1 else f"quantile {qs}"
        title = (f"Loss on {LB.surface_label(result)}: {what} over "
                 f"{result.positions.shape[1]} recorded trajectories")  # fmt: skip
    fig.suptitle(Y.wrapped_title(fig, str(title), fs["title"]), fontsize=fs["title"])
    dynamic = [stamp] + [
        a for bands, line, _ in series for a in [*(b[0] for b in bands), line] if a
    ]

    def update(i):
        f = int(frames[i]) + 1
        for bands, line, med in series:
            for pc, lo, hi in bands:
                pc.set_verts([_band_verts(x[:f], lo[:f], hi[:f])])
            if line is not None:
                line.set_data(x[:f], med[:f])
        stamp.set_text(f"step {int(x[f - 1])}")
        return dynamic

    return W.finish(fig, update, len(frames), animate=animate, fps=fps, dpi=dpi, progress=progress)


_X_AXES = ("step", "examples", "epoch")
_X_LABELS = {
    "step": "step (one mini-batch each)",
    "examples": "examples processed",
    "epoch": "epoch (passes over the m examples)",
}


def _x_of(result, x_axis) -> np.ndarray:
    """The x values of each optimizer's frames, ``(n_optimizers, n_frames)``."""
    steps = np.asarray(result.frame_steps, dtype=np.float64)
    if x_axis == "step":
        return np.broadcast_to(steps, (result.n_optimizers, steps.size))
    if getattr(result, "minibatch", None) is None:
        raise ValueError(
            f"x_axis={x_axis!r} needs a run on a finite-sum surface ({', '.join(MODELS)}), "
            "where each step uses examples; use 'step'"
        )
    if x_axis == "examples":
        return np.asarray(result.examples_processed(), dtype=np.float64)
    return np.asarray(result.epochs(), dtype=np.float64)


def _ewa_prefix(raw, beta) -> np.ndarray:
    """Bias-corrected EWA of each row up to its first non-finite value (NaN after)."""
    from ..averages import ewa

    smooth = np.full_like(raw, np.nan)
    for k in range(raw.shape[0]):
        ok = np.isfinite(raw[k])
        n_ok = int(np.argmin(ok)) if not ok.all() else ok.size  # finite prefix
        if n_ok:
            smooth[k, :n_ok] = ewa(raw[k, :n_ok], beta, bias_correction=True)
    return smooth


@W.renderer(out_at=1)
def minibatch_curves(
    result,
    *,
    smooth_beta=0.9,
    x_axis="step",
    log=None,
    log_x=False,
    full_cost=True,
    layout="overlay",
    size=O.DEFAULT_SIZE,
    dpi=O.DEFAULT_DPI,
    title=None,
    animate=False,
    fps=O.DEFAULT_FPS,
    max_frames=None,
    progress=False,
):
    r"""The noisy cost of (mini-batch) gradient descent: trajectory 0 of each optimizer.

    On a finite-sum surface (``result.batch_loss`` is not None), as in the
    course: thin lines are the mini-batch cost :math:`J^{\{t\}}` of the batch
    each recorded step used (noisy: it changes batch every step), bold lines
    the full cost :math:`J` on all ``m`` examples at the same iterate, dashed
    lines the bias-corrected exponentially weighted average of
    :math:`J^{\{t\}}` (``beta = smooth_beta``: what one watches while
    training, when :math:`J` is too costly to evaluate).  With
    ``full_cost=False`` the EWA is the bold line and :math:`J` is not drawn.
    On other surfaces thin lines are ``result.loss[k, 0]`` and bold lines
    their EWA.

    Parameters
    ----------
    smooth_beta : float in [0, 1), or None
        The EWA's β (window about ``1 / (1 - β)`` recorded frames, shown in
        steps in the legend); None: no EWA
        (finite-sum runs with ``full_cost``).
    x_axis : {"step", "examples", "epoch"}
        The x axis: the step (one mini-batch each), the examples processed
        (:meth:`Result.examples_processed`: compares batch sizes at equal
        computation) or the epoch; the last two need a finite-sum run.
    log : None, True or False
        y scale, as ``log_loss`` of :func:`race` (None: log when the curves
        span decades).
    log_x : bool
        Logarithmic x axis (symlog, linear below the first nonzero x), useful
        with ``x_axis="examples"`` when batch sizes differ by orders of magnitude.
    full_cost : bool
        Draw the full cost :math:`J` (finite-sum runs only).
    layout : {"overlay", "panels"}
        All optimizers on one axes, or one panel each (side by side, same
        axes), as the course compares batch and mini-batch cost curves.

    The legend (each optimizer, then what each line style shows) is below the axes.
    """
    n_frames = S.check_frames(result)
    batch = getattr(result, "batch_loss", None)
    full_cost = S.check_bool("full_cost", full_cost) and batch is not None
    if smooth_beta is None and not full_cost:
        raise ValueError(
            "smooth_beta must be a number in [0, 1) unless the full cost is drawn "
            "(a finite-sum run with full_cost=True), got None"
        )
    beta = None if smooth_beta is None else V.beta("smooth_beta", smooth_beta)
    x_axis = V.choice("x_axis", x_axis, _X_AXES)
    S.check_choice_bool("log", log)
    log_x = S.check_bool("log_x", log_x)
    layout = V.choice("layout", layout, ("overlay", "panels"))
    animate = S.check_bool("animate", animate)
    size, frames, fs = S.frame_plan(n_frames, size, max_frames)
    cols = S.colours(result)
    xs = _x_of(result, x_axis)
    steps = np.asarray(result.frame_steps, dtype=np.float64)
    full = _finite(_loss_of_first(result))  # J at the iterates of trajectory 0
    raw = full if batch is None else _finite(np.asarray(batch)[:, 0, :])
    smooth = None if beta is None else _ewa_prefix(raw, beta)

    from matplotlib.lines import Line2D

    thin_style = {"linewidth": 0.7, "alpha": 0.45, "zorder": 2}
    bold_style = {"linewidth": 2.0, "zorder": 4}
    dash_style = {"linewidth": 1.3, "linestyle": (0, (4, 2)), "zorder": 3}
    per_step = "per-step cost" if batch is None else r"mini-batch cost $J^{\{t\}}$"
    # (values, style, legend entry) of each series, drawn for every optimizer
    series = [(raw, thin_style, per_step)]
    if beta is not None:
        # the EWA runs over recorded frames: its window in steps is frames x record_every
        fs_ = np.asarray(result.frame_steps)
        every = int(fs_[1] - fs_[0]) if len(fs_) > 1 else 1
        window = f"~{ewa_window(beta) * every:.0f} steps"
        ewa_label = f"EWA β={beta:g} ({window})"
        if batch is not None:
            ewa_label = r"EWA of $J^{\{t\}}$" + f", β={beta:g} ({window})"
    if full_cost:
        m = (getattr(result, "minibatch", None) or {}).get("m", "m")
        series.append((full, bold_style, f"full cost $J$ (all {m} examples)"))
        if beta is not None:
            series.append((smooth, dash_style, ewa_label))
    else:
        series.append((smooth, bold_style, ewa_label))

    fig = S.new_figure(size, dpi)
    n_opt = result.n_optimizers
    if layout == "panels":
        axes = list(np.atleast_1d(fig.subplots(1, n_opt, sharex=True, sharey=True)))
        for k, a in enumerate(axes):
            a.set_label(f"cost {k}")
    else:
        axes = [fig.add_subplot(label="cost")]
    ax = axes[0]
    if batch is None:
        vals = S.scale_values(raw, raw[:, 0])
    else:
        # a mini-batch cost may dip far below J (one example can be fitted exactly)
        # and spike far above it: the range follows J, the averages and the
        # mini-batch costs' 5th to 98th percentiles (so SGD's jumps of orders of
        # magnitude show); rarer dips and spikes leave the axes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows
            low, top = np.nanquantile(raw, [0.05, 0.98], axis=1)
        parts = [full.ravel(), low, top] + ([smooth.ravel()] if smooth is not None else [])
        vals = S.scale_values(np.concatenate(parts), full[:, 0])
    S.apply_scale(ax, S.loss_scale(vals, log), vals)
    xf = xs[np.isfinite(xs)]
    x0, x1 = (float(xf.min()), float(xf.max())) if xf.size else (0.0, 1.0)
    if log_x:
        pos = xf[xf > 0]
        ax.set_xscale("symlog", linthresh=float(pos.min()) if pos.size else 1.0)
    ax.set_xlim(x0, x1 if x1 > x0 else x0 + 1)
    xlabel = x_axis if batch is None else _X_LABELS[x_axis]
    ylabel = "cost (loss of trajectory 0)" if batch is None else "cost (trajectory 0)"
    for i, a in enumerate(axes):
        S.axes_style(a, fs, xlabel, ylabel if i == 0 else "")
    lines = []
    panel_w = (size[0] - 60.0) / n_opt - 8.0
    for k in range(n_opt):
        a = axes[k] if layout == "panels" else ax
        for values, style, _ in series:
            label = LB.opt_label(result, k) if style is bold_style else None
            artist = a.plot([], [], color=cols[k], label=label, **style)[0]
            lines.append((artist, xs[k], values[k]))
        if layout == "panels":
            a.set_title(Y.wrap_text(fig, LB.opt_label(result, k), panel_w, fs["legend"]),
                        fontsize=fs["legend"])  # fmt: skip
    handles = [] if layout == "panels" else ax.get_legend_handles_labels()[0]
    handles += [Line2D([], [], color="0.3", label=lab, **{**st, "zorder": 0})
                for _, st, lab in series]  # fmt: skip
    for h in handles[-len(series) :]:
        if h.get_alpha() is not None:
            h.set_alpha(0.7)
    Y.figure_legend(fig, handles, fs["legend"])
    stamp = S.step_title(axes[-1], fs, loc="right")
    if title is None:
        if batch is None:
            title = (f"Cost per step on {LB.surface_label(result)} (trajectory 0) and its "
                     f"bias-corrected EWA, β={beta:g}")  # fmt: skip
        else:
            surface = getattr(result, "surface", None)
            name = getattr(surface, "name", None) or LB.surface_label(result)
            title = (rf"Mini-batch cost $J^{{\{{t\}}}}$ and full cost $J$ on {name} "
                     f"(m = {result.minibatch['m']}), trajectory 0")  # fmt: skip
    fig.suptitle(Y.wrapped_title(fig, str(title), fs["title"]), fontsize=fs["title"])
    dynamic = [stamp] + [ln[0] for ln in lines]

    def update(i):
        f = int(frames[i]) + 1
        for artist, x, y in lines:
            artist.set_data(x[:f], y[:f])
        stamp.set_text(f"step {int(steps[f - 1])}")
        return dynamic

    return W.finish(fig, update, len(frames), animate=animate, fps=fps, dpi=dpi, progress=progress)


@W.renderer(out_at=2)
def survival_curves(
    result, event, *, size=O.DEFAULT_SIZE, dpi=O.DEFAULT_DPI, title=None, log_x=False
):
    """Fraction of trajectories that have not yet reached ``event``, against the step.

    Exact empirical survival curves: every trajectory runs to the end, so the
    only censoring is at the last step (a trajectory that diverged never
    reaches the event afterwards, and counts as not reached).  The median
    first-passage step is marked where a curve crosses 1/2; dotted curves
    show the fraction diverged so far, and the legend states the final
    fractions.  The legend is below the axes.  Static figure (``.gif``: one
    frame, ``.mp4``: a 1-second still).
    """
    if event is None:
        raise ValueError(f"event must be one of {sorted(result.events)}, got None")
    S.check_event(result, event)
    log_x = S.check_bool("log_x", log_x)
    size = S.check_size(size)
    fs = S.font_sizes(size)
    cols = S.colours(result)
    times = np.asarray(result.events[event])
    div = np.asarray(result.diverged)
    n = times.shape[1]
    last = max(int(result.steps or 0), int(times.max(initial=0)), int(div.max(initial=0)), 1)
    frame_steps = np.asarray(getattr(result, "frame_steps", np.zeros(0)))
    if frame_steps.size:
        last = max(last, int(frame_steps.max()))

    fig = S.new_figure(size, dpi)
    ax = fig.add_subplot(label="survival")
    ax.axhline(0.5, color="0.5", linewidth=0.6, linestyle=":", zorder=1)
    any_div = False
    for k in range(result.n_optimizers):
        t = np.sort(times[k][times[k] >= 0])
        u, c = np.unique(t, return_counts=True)
        surv = 1.0 - np.cumsum(c) / n
        xs = np.concatenate([[0], u, [last]])
        ys = np.concatenate([[1.0], surv, [surv[-1] if surv.size else 1.0]])
        frac_div = float((div[k] >= 0).mean())
        if surv.size and surv[-1] <= 0.5:
            med = int(u[np.argmax(surv <= 0.5)])
            note = f"median {med} steps"
            ax.plot([med], [0.5], "o", color=cols[k], markeredgecolor="k", markersize=6, zorder=5)
            ax.plot([med, med], [0.0, 0.5], color=cols[k], linewidth=0.8, linestyle="--", zorder=2)
        else:
            note = f"median > {last} steps ({100 * (1 - ys[-1]):.1f}% reached)"
        label = f"{LB.opt_label(result, k)}; {note}, {100 * frac_div:.1f}% diverged"
        ax.step(xs, ys, where="post", color=cols[k], linewidth=1.8, zorder=3, label=label)
        if frac_div > 0:
            any_div = True
            d = np.sort(div[k][div[k] >= 0])
            du, dc = np.unique(d, return_counts=True)
            dx = np.concatenate([[0], du, [last]])
            dy = np.concatenate([[0.0], np.cumsum(dc) / n, [dc.sum() / n]])
            ax.step(dx, dy, where="post", color=cols[k], linewidth=1.2, linestyle=":", zorder=3)
    if log_x:
        ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlim(0, last)
    ax.set_ylim(-0.02, 1.02)
    S.axes_style(ax, fs, "step", f"fraction not yet {event}")
    handles, _ = ax.get_legend_handles_labels()
    if any_div:
        from matplotlib.lines import Line2D

        handles.append(
            Line2D([], [], color="0.3", linestyle=":", label="dotted: fraction diverged")
        )
    Y.figure_legend(fig, handles, fs["legend"])
    if title is None:
        title = f"Time to '{event}' on {LB.surface_label(result)}: {n} trajectories per optimizer"
    fig.suptitle(Y.wrapped_title(fig, str(title), fs["title"]), fontsize=fs["title"])
    return W.Plot(fig, lambda i: [], 1, animated=False, dpi=dpi)


def _x_axis(name, v, facts=None) -> str:
    """``x_axis`` of :func:`minibatch_curves`: examples and epochs need a finite sum."""
    v = O.choice(*_X_AXES)(name, v)
    if v != "step" and facts is not None and facts.finite_sum is False:
        raise ValueError(
            f"{name} = {v!r} needs a finite-sum surface ({', '.join(MODELS)}), where "
            'steps use examples; use "step"'
        )
    return v


#: The renderers of this module for declarative callers (recipes): inputs and options.
LOSS_CURVES = O.Renderer(
    loss_curves,
    options={"quantiles": O.array(O.quantile), "log": O.boolean, "animate": O.boolean},
    animated=None,
)
MINIBATCH = O.Renderer(
    minibatch_curves,
    options={
        "smooth_beta": O.beta,
        "x_axis": _x_axis,
        "log": O.boolean,
        "log_x": O.boolean,
        "full_cost": O.boolean,
        "layout": O.choice("overlay", "panels"),
        "animate": O.boolean,
    },
    animated=None,
)
SURVIVAL = O.Renderer(
    survival_curves,
    inputs=("result", "event"),
    options={"event": O.event, "log_x": O.boolean},
    animated=False,
    needs_frames=False,
    required=("event",),
)
