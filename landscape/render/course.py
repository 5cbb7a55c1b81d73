"""The course's figures: EWA of daily temperatures, learning-rate schedules."""

from __future__ import annotations

import numpy as np

from .. import _validate as V
from . import _colours as C
from . import _layout as Y
from . import _style as S
from . import _writers as W
from . import options as O

__all__ = ["EWA", "SCHEDULES", "ewa_figure", "schedule_figure"]

BIAS_CORRECTION = ("both", True, False)


def _check_betas(betas) -> list:
    if isinstance(betas, (int, float, np.floating)):
        betas = (betas,)
    return [V.beta("betas", b) for b in S.check_items("betas", betas, "numbers in [0, 1)")]


@W.renderer(out_at=0)
def ewa_figure(
    *,
    betas=(0.5, 0.9, 0.98),
    bias_correction="both",
    days=365,
    seed=0,
    size=O.DEFAULT_SIZE,
    dpi=O.DEFAULT_DPI,
    title=None,
    animate=False,
    fps=O.DEFAULT_FPS,
    max_frames=None,
    progress=False,
):
    """The course's temperature example: daily values and their EWAs for each beta.

    Dots: ``landscape.datasets.temperature(days, seed)``; a line per beta,
    labelled with its window ``1/(1 - beta)`` (e.g. "β=0.9 (~10 days)").
    ``bias_correction``: True draws the corrected averages, False the
    uncorrected ones (which start near 0), "both" draws both (solid:
    corrected, dashed: uncorrected).  ``animate=True`` reveals the year day
    by day (``max_frames`` to subsample): the whole year's data are shown
    faintly from the first frame, the days seen so far in full and the
    averages up to the current day.  The legend is below the axes.
    """
    from ..averages import ewa, ewa_window
    from ..datasets import temperature

    bs = _check_betas(betas)
    S.check_choice_bool("bias_correction", bias_correction, BIAS_CORRECTION)
    animate = S.check_bool("animate", animate)
    theta = temperature(days, seed)
    days = theta.shape[0]
    size, frames, fs = S.frame_plan(days, size, max_frames)
    t = np.arange(1, days + 1, dtype=np.float64)

    fig = S.new_figure(size, dpi)
    ax = fig.add_subplot(label="temperature")
    S.axes_style(ax, fs, "day", "temperature (°F)")
    ms = float(np.clip(6.0 * 365 / days, 2.0, 12.0))
    # the year faintly from the start; the days seen so far on top of it
    ax.scatter(t, theta, s=ms, color="0.75", linewidths=0, zorder=1)
    dots = ax.scatter(t, theta, s=ms, color="0.4", alpha=0.8, linewidths=0, zorder=2,
                      label="daily temperature θ")  # fmt: skip
    modes = {"both": (True, False), True: (True,), False: (False,)}[bias_correction]
    lines = []
    for colour, b in zip(C.series(len(bs)), bs, strict=True):
        for corrected in modes:
            v = ewa(theta, b, bias_correction=corrected)
            label = f"β={b:g} (~{ewa_window(b):.0f} days)"
            if len(modes) == 2:
                label += "" if corrected else ", no bias correction"
            ln = ax.plot(t, v, color=colour, linewidth=1.8 if corrected else 1.4,
                         linestyle="-" if corrected else "--", zorder=3, label=label)[0]  # fmt: skip
            lines.append((ln, v))
    lo = min(float(theta.min()), *(float(v.min()) for _, v in lines))
    hi = max(float(theta.max()), *(float(v.max()) for _, v in lines))
    pad = 0.05 * (hi - lo or 1.0)
    ax.set_xlim(0, days + 1)
    ax.set_ylim(lo - pad, hi + pad)
    # each beta's lines in one legend column, the data last
    Y.figure_legend(fig, [ln for ln, _ in lines] + [dots], fs["legend"])
    stamp = S.step_title(ax, fs, loc="right", placeholder=f"day {days}")
    if title is None:
        note = {"both": "solid: bias-corrected, dashed: uncorrected",
                True: "bias-corrected", False: "no bias correction"}[bias_correction]  # fmt: skip
        title = (
            rf"Exponentially weighted averages $v_t = \beta v_{{t-1}} + (1-\beta)\theta_t$ ({note})"
        )
    fig.suptitle(Y.wrapped_title(fig, str(title), fs["title"]), fontsize=fs["title"])
    pts = np.column_stack([t, theta])
    dynamic = [dots, stamp] + [ln for ln, _ in lines]

    def update(i):
        f = int(frames[i]) + 1
        dots.set_offsets(pts[:f])
        for ln, v in lines:
            ln.set_data(t[:f], v[:f])
        stamp.set_text(f"day {f}")
        return dynamic

    return W.finish(fig, update, len(frames), animate=animate, fps=fps, dpi=dpi, progress=progress)


@W.renderer(out_at=1)
def schedule_figure(
    schedules, *, lr0=0.2, epochs=30, size=O.DEFAULT_SIZE, dpi=O.DEFAULT_DPI, title=None
):
    """Learning rate against (1-based) epoch for each schedule.

    ``schedules``: dict label -> :class:`~landscape.schedules.Schedule`; each
    is evaluated with ``Schedule.by_epoch(range(1, epochs + 1), lr0)`` (the
    rate of each epoch's first update).  The legend, below the axes, gives
    each schedule's parameters.  Static figure (``.gif``: one frame,
    ``.mp4``: a 1-second still).
    """
    from ..optim.schedules import Schedule

    if not isinstance(schedules, dict) or not schedules:
        raise ValueError(
            f"schedules must be a non-empty dict label -> Schedule, got {type(schedules).__name__}"
        )
    for label, sched in schedules.items():
        if not isinstance(sched, Schedule):
            raise ValueError(f"schedules[{label!r}] must be a landscape Schedule, got {sched!r}")
    lr0 = V.positive("lr0", lr0)
    epochs = V.integer("epochs", epochs, minimum=1)
    size = S.check_size(size)
    fs = S.font_sizes(size)
    e = np.arange(1, epochs + 1, dtype=np.float64)

    fig = S.new_figure(size, dpi)
    ax = fig.add_subplot(label="schedules")
    S.axes_style(ax, fs, "epoch", "learning rate α")
    top = 0.0
    for colour, (label, sched) in zip(C.series(len(schedules)), schedules.items(), strict=True):
        lr = np.asarray(sched.by_epoch(e, lr0), dtype=np.float64)
        top = max(top, float(np.nanmax(lr)))
        text = sched.label if str(label) in (sched.label, sched.name) else f"{label}: {sched.label}"
        # the rate of an epoch holds for the whole epoch: a staircase from its start
        ax.plot(np.append(e, epochs + 1), np.append(lr, lr[-1]), color=colour, linewidth=1.6,
                drawstyle="steps-post", label=text)  # fmt: skip
        ax.plot(e, lr, color=colour, marker="o", markersize=3, linestyle="none")
    ax.set_xlim(0.5, epochs + 1.5)
    ax.set_ylim(0, 1.05 * top if top > 0 else 1.0)
    Y.figure_legend(fig, ax.get_legend_handles_labels()[0], fs["legend"])
    if title is None:
        title = f"Learning-rate schedules (α₀ = {lr0:g})"
    fig.suptitle(Y.wrapped_title(fig, str(title), fs["title"]), fontsize=fs["title"])
    return W.Plot(fig, lambda i: [], 1, animated=False, dpi=dpi)


def _bias_correction(name, v, facts=None):
    if isinstance(v, bool) or v == "both":
        return v
    raise ValueError(f'{name} must be true, false or "both", got {v!r}')


#: The course's figures for declarative callers (recipes): inputs and options.
EWA = O.Renderer(
    ewa_figure,
    inputs=(),
    options={
        "betas": O.array(O.beta),
        "bias_correction": _bias_correction,
        "days": O.integer(1, O.MAX_COUNT),
        "seed": O.integer(0, V.MAX_SEED),
        "animate": O.boolean,
    },
    animated=None,
    frames=lambda options: options["days"],
)
SCHEDULES = O.Renderer(
    schedule_figure,
    inputs=("schedules",),
    options={"lr0": O.positive, "epochs": O.integer(1, O.MAX_COUNT)},
    animated=False,
)
