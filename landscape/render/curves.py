"""Line figures of a Result: loss quantile bands, mini-batch cost, survival curves."""

from __future__ import annotations

import warnings

import numpy as np

from .. import _validate as V
from . import _style as S
from . import _writers as W

__all__ = ["loss_curves", "minibatch_curves", "survival_curves"]


def _finite(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isfinite(a), a, np.nan)


def _band_verts(x, lo, hi) -> np.ndarray:
    ok = np.isfinite(lo) & np.isfinite(hi)
    x, lo, hi = x[ok], lo[ok], hi[ok]
    if x.size == 0:
        return np.zeros((0, 2))
    return np.concatenate([np.column_stack([x, lo]), np.column_stack([x[::-1], hi[::-1]])])


def _finish(fig, update, n_shown, out, *, animate, fps, dpi, progress):
    """Animated: reveal frame by frame; static: draw the last state once."""
    if animate:
        return W.save_animation(fig, update, n_shown, out, fps=fps, dpi=dpi, progress=progress)
    for artist in update(n_shown - 1):
        if isinstance(artist, _text_type()):
            artist.set_visible(False)  # no step counter on a static figure
    return W.save_figure(fig, out, dpi=dpi, fps=fps)


def _loss_of_first(result) -> np.ndarray:
    """Loss of recorded trajectory 0 of each optimizer, ``(n_optimizers, n_frames)``."""
    surface = getattr(result, "surface", None)
    if surface is not None and hasattr(surface, "value"):
        with np.errstate(all="ignore"):  # only trajectory 0: no need for the full result.loss
            return surface.value(np.asarray(result.positions[:, 0], dtype=np.float64))
    return np.asarray(result.loss)[:, 0, :]


def _text_type():
    from matplotlib.text import Text

    return Text


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


def loss_curves(
    result,
    out,
    *,
    quantiles=(0.1, 0.5, 0.9),
    log=None,
    size=(960, 540),
    dpi=100,
    title=None,
    animate=False,
    fps=20,
    max_frames=None,
    progress=False,
):
    """Loss against step per optimizer: quantile bands over the recorded trajectories.

    Pairs of quantiles from the outside in (``q[0]``-``q[-1]``, ...) are
    shaded bands; the middle quantile (odd count) is the line.  Non-finite
    losses are left out of the quantiles.  ``log`` as ``log_loss`` of
    :func:`race`.  ``animate=True`` reveals the curves step by step;
    otherwise the figure is static (``.gif``: one frame, ``.mp4``: a
    1-second still).
    """
    path, _ = W.check_out(out)
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
    ax = fig.add_subplot()
    vals = S.scale_values(Q, Q[:, :, 0])
    S.apply_scale(ax, S.loss_scale(vals, log), vals)
    ax.set_xlim(x[0], x[-1] if x[-1] > x[0] else x[0] + 1)
    S.axes_style(ax, fs, "step", "loss")
    from matplotlib.collections import PolyCollection

    nq = len(q)
    pairs = [(i, nq - 1 - i) for i in range(nq // 2)]
    mid = nq // 2 if nq % 2 else None
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
                           label=S.opt_label(result, k))[0]  # fmt: skip
        else:
            bands[-1][0].set_label(S.opt_label(result, k))
        series.append((bands, line, Q[k, mid] if mid is not None else None))
    ax.legend(loc="upper right", fontsize=fs["legend"], framealpha=0.85)
    stamp = S.step_text(ax, size, loc=(0.01, 0.01), ha="left")
    stamp.set_va("bottom")
    if title is None:
        qs = ", ".join(f"{v:g}" for v in q)
        what = f"quantiles {qs}" if nq > 1 else f"quantile {qs}"
        title = (f"Loss on {S.surface_label(result)}: {what} over "
                 f"{result.positions.shape[1]} recorded trajectories")  # fmt: skip
    fig.suptitle(str(title), fontsize=fs["title"])
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

    return _finish(fig, update, len(frames), path, animate=animate, fps=fps, dpi=dpi,
                   progress=progress)  # fmt: skip


def minibatch_curves(
    result,
    out,
    *,
    smooth_beta=0.9,
    size=(960, 540),
    dpi=100,
    title=None,
    animate=False,
    fps=20,
    max_frames=None,
    progress=False,
):
    """Per-step (noisy) cost of trajectory 0 of each optimizer, and its EWA.

    Thin lines: ``result.loss[k, 0]`` at the recorded frames; bold lines:
    their exponentially weighted average with ``beta = smooth_beta``, bias
    corrected (so it does not start at 0).  The y axis is log when the
    losses span decades.
    """
    from ..ewa import ewa, ewa_window

    path, _ = W.check_out(out)
    n_frames = S.check_frames(result)
    beta = V.beta("smooth_beta", smooth_beta)
    animate = S.check_bool("animate", animate)
    size, frames, fs = S.frame_plan(n_frames, size, max_frames)
    cols = S.colours(result)
    x = np.asarray(result.frame_steps, dtype=np.float64)
    raw = _finite(_loss_of_first(result))
    smooth = np.full_like(raw, np.nan)
    for k in range(result.n_optimizers):
        ok = np.isfinite(raw[k])
        n_ok = int(np.argmin(ok)) if not ok.all() else ok.size  # finite prefix
        if n_ok:
            smooth[k, :n_ok] = ewa(raw[k, :n_ok], beta, bias_correction=True)

    fig = S.new_figure(size, dpi)
    ax = fig.add_subplot()
    vals = S.scale_values(raw, raw[:, 0])
    S.apply_scale(ax, S.loss_scale(vals), vals)
    ax.set_xlim(x[0], x[-1] if x[-1] > x[0] else x[0] + 1)
    S.axes_style(ax, fs, "step", "cost (loss of trajectory 0)")
    lines = []
    for k in range(result.n_optimizers):
        thin = ax.plot([], [], color=cols[k], linewidth=0.7, alpha=0.4, zorder=2)[0]
        bold = ax.plot(
            [], [], color=cols[k], linewidth=2.0, zorder=3, label=S.opt_label(result, k)
        )[0]
        lines.append((thin, bold, raw[k], smooth[k]))
    window = ewa_window(beta)
    from matplotlib.lines import Line2D

    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.4", linewidth=0.7, alpha=0.6, label="per-step cost"),
        Line2D([], [], color="0.2", linewidth=2.0, label=f"EWA β={beta:g} (~{window:.0f} frames)"),
    ]
    ax.legend(handles=handles, loc="upper right", fontsize=fs["legend"], framealpha=0.85)
    stamp = S.step_text(ax, size, loc=(0.01, 0.01), ha="left")
    stamp.set_va("bottom")
    if title is None:
        title = (f"Cost per step on {S.surface_label(result)} (trajectory 0) and its "
                 f"bias-corrected EWA, β={beta:g}")  # fmt: skip
    fig.suptitle(str(title), fontsize=fs["title"])
    dynamic = [stamp] + [a for ln in lines for a in ln[:2]]

    def update(i):
        f = int(frames[i]) + 1
        for thin, bold, r, s in lines:
            thin.set_data(x[:f], r[:f])
            bold.set_data(x[:f], s[:f])
        stamp.set_text(f"step {int(x[f - 1])}")
        return dynamic

    return _finish(fig, update, len(frames), path, animate=animate, fps=fps, dpi=dpi,
                   progress=progress)  # fmt: skip


def survival_curves(result, event, out, *, size=(960, 540), dpi=100, title=None, log_x=False):
    """Fraction of trajectories that have not yet reached ``event``, against the step.

    Exact empirical survival curves: every trajectory runs to the end, so the
    only censoring is at the last step (a trajectory that diverged never
    reaches the event afterwards, and counts as not reached).  The median
    first-passage step is marked where a curve crosses 1/2; dotted curves
    show the fraction diverged so far, and the legend states the final
    fractions.  Static figure (``.gif``: one frame, ``.mp4``: a 1-second still).
    """
    path, _ = W.check_out(out)
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
    ax = fig.add_subplot()
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
        label = f"{S.opt_label(result, k)}: {note}, {100 * frac_div:.1f}% diverged"
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
    S.axes_style(ax, fs, "step", f"fraction not yet reached ({event})")
    handles, _ = ax.get_legend_handles_labels()
    if any_div:
        from matplotlib.lines import Line2D

        handles.append(
            Line2D([], [], color="0.3", linestyle=":", label="dotted: fraction diverged")
        )
    ax.legend(handles=handles, loc="best", fontsize=fs["legend"], framealpha=0.85)
    if title is None:
        title = f"Time to '{event}' on {S.surface_label(result)}: {n} trajectories per optimizer"
    fig.suptitle(str(title), fontsize=fs["title"])
    return W.save_figure(fig, path, dpi=dpi)
