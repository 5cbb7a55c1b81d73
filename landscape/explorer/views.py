"""The explorer's Bokeh figures: the map (surface, swarm or trails, start) and the loss panel.

Each figure owns its ``ColumnDataSource``s; :class:`MapView` and
:class:`LossView` take a :class:`~landscape.explorer.session.View` and update
them.  Per frame only the swarm's ``x``/``y`` columns travel to the page
(float32, sent as binary).
"""

from __future__ import annotations

import numpy as np
from bokeh.models import (
    BasicTicker,
    BasicTickFormatter,
    ColumnDataSource,
    CustomJS,
    LinearColorMapper,
    LinearScale,
    LogScale,
    LogTicker,
    LogTickFormatter,
    Range1d,
    Span,
)
from bokeh.plotting import figure

from ..render._maps import BG_COLOURS

__all__ = ["BACKENDS", "LossView", "MapView", "TRAILS_UP_TO"]

#: How the map draws: "canvas" (the browser's 2-D canvas; measured faster for the
#: at most 10,000 points the explorer draws, where WebGL is done in software) or
#: "webgl" (the graphics card, for a browser that has one).
BACKENDS = ("canvas", "webgl")

#: Runs per optimizer drawn as trails (fewer than this); more are a swarm of points.
TRAILS_UP_TO = 16
_TINY = 1e-300


def _palette(colours, n=256) -> list:
    """``n`` hex colours interpolated through ``colours`` (the renderers' map colours)."""
    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colours], float)
    t, u = np.linspace(0, 1, len(colours)), np.linspace(0, 1, n)
    out = np.stack([np.interp(u, t, rgb[:, k]) for k in range(3)], axis=1).round().astype(int)
    return ["#{:02x}{:02x}{:02x}".format(*tuple(row)) for row in out]


MAP_PALETTE = _palette(BG_COLOURS)
_ARRIVED = """
window.__ls_swarm = (window.__ls_swarm || 0) + 1;
window.__ls_swarm_t = performance.now();
const k = window.__ls_swarm;
requestAnimationFrame(() => requestAnimationFrame(() => {
  if (window.__ls_swarm === k) window.__ls_drawn_t = performance.now();
}));
"""


class MapView:
    """The surface as an image with contour lines, the runs on it, the start and the event."""

    def __init__(self, width=560, height=470, backend="canvas"):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.fig = figure(width=width, height=height, output_backend=backend, name="map",
                          tools="pan,wheel_zoom,reset,save", title="click on the map to move the start",
                          x_range=Range1d(-1, 1), y_range=Range1d(-1, 1))  # fmt: skip
        self.cmap = LinearColorMapper(palette=MAP_PALETTE)
        self.image = ColumnDataSource({"image": [np.zeros((2, 2))], "x": [0.0], "y": [0.0],
                                       "dw": [1.0], "dh": [1.0]}, name="image")  # fmt: skip
        self.fig.image("image", x="x", y="y", dw="dw", dh="dh", source=self.image,
                       color_mapper=self.cmap)  # fmt: skip
        self.contours = ColumnDataSource({"xs": [], "ys": []}, name="contours")
        self.fig.multi_line("xs", "ys", source=self.contours, color="white", alpha=0.55,
                            line_width=0.8)  # fmt: skip
        self.trails = ColumnDataSource({"xs": [], "ys": [], "color": []}, name="trails")
        self.fig.multi_line("xs", "ys", source=self.trails, color="color", line_width=2, alpha=0.9)
        self.swarm = ColumnDataSource({"x": np.zeros(0, np.float32), "y": np.zeros(0, np.float32),
                                       "k": np.zeros(0, np.float32)}, name="swarm")  # fmt: skip
        self.kmap = LinearColorMapper(palette=["#000000"], low=-0.5, high=0.5)
        self.fig.scatter("x", "y", source=self.swarm, size=4, alpha=0.7, line_color="white",
                         line_width=0.3, color={"field": "k", "transform": self.kmap})  # fmt: skip
        self.event = ColumnDataSource({"x": [], "y": [], "r": []}, name="event")
        self.fig.circle("x", "y", radius="r", source=self.event, fill_alpha=0, line_color="black",
                        line_dash="dashed", line_width=1.2)  # fmt: skip
        self.start = ColumnDataSource({"x": [], "y": []}, name="start")
        self.fig.scatter("x", "y", source=self.start, marker="cross", size=16, color="black",
                         line_width=2.5)  # fmt: skip
        # the page records when new positions arrive (the browser test and the benchmark read it)
        # (and, two animation frames later, when the frame that draws them was painted)
        self.swarm.js_on_change("data", CustomJS(code=_ARRIVED))
        self.view = None
        self._trails = False

    def set_field(self, field, axes=("x", "y")) -> None:
        """Draw a new surface map (a :class:`landscape.render._maps.Field`)."""
        b = field.box
        T = np.asarray(field.T, dtype=np.float64)
        fin = T[np.isfinite(T)]
        hi = min(float(field.hi), float(fin.max())) if fin.size else 1.0
        lo = float(fin.min()) if fin.size else 0.0
        img = np.clip(np.nan_to_num(T, nan=hi), lo, hi).astype(np.float32)
        self.image.data = {"image": [img], "x": [float(b[0, 0])], "y": [float(b[1, 0])],
                           "dw": [float(b[0, 1] - b[0, 0])], "dh": [float(b[1, 1] - b[1, 0])]}  # fmt: skip
        self.cmap.low, self.cmap.high = lo, hi if hi > lo else lo + 1.0
        self.contours.data = _contours(field.X, field.Y, img, lo, hi)
        self.fig.x_range.start, self.fig.x_range.end = float(b[0, 0]), float(b[0, 1])
        self.fig.y_range.start, self.fig.y_range.end = float(b[1, 0]), float(b[1, 1])
        self.fig.xaxis.axis_label, self.fig.yaxis.axis_label = axes[0], axes[1]

    def set_note(self, note: str) -> None:
        """The title: what a click does, and what of the run is drawn (thinned, a slice)."""
        self.fig.title.text = "click on the map to move the start" + (f" · {note}" if note else "")

    def set_start(self, centre, event=None) -> None:
        """Mark the start's centre, and the event's circle (``(x, y, r)`` or None)."""
        start = {"x": [float(centre[0])], "y": [float(centre[1])]} if centre else {"x": [], "y": []}
        event = ({"x": [event[0]], "y": [event[1]], "r": [event[2]]} if event
                 else {"x": [], "y": [], "r": []})  # fmt: skip
        # every change calls this: unchanged marks must not make the page redraw the map
        if dict(self.start.data) != start:
            self.start.data = start
        if dict(self.event.data) != event:
            self.event.data = event

    def set_view(self, view) -> None:
        """A new run: colours, and trails or a swarm."""
        self.view = view
        o = len(view.names)
        self._trails = view.recorded < TRAILS_UP_TO
        self.kmap.palette = list(view.colours) if o > 1 else [view.colours[0]] * 2
        self.kmap.high = o - 0.5
        k = np.repeat(np.arange(o, dtype=np.float32), view.recorded)
        x, y = view.frame(len(view.steps) - 1)
        self.swarm.data = {"x": x, "y": y, "k": k}
        self.show(len(view.steps) - 1)

    def show(self, i: int) -> None:
        """Frame ``i`` of the current run: only the positions travel."""
        v = self.view
        if v is None:
            return
        x, y = v.frame(i)
        self.swarm.data.update(x=x, y=y)
        if self._trails:
            i = min(max(int(i), 0), len(v.steps) - 1)
            xs = [v.X[: i + 1, j] for j in range(v.X.shape[1])]
            ys = [v.Y[: i + 1, j] for j in range(v.Y.shape[1])]
            cs = [v.colours[j // v.recorded] for j in range(v.X.shape[1])]
            self.trails.data = {"xs": xs, "ys": ys, "color": cs}
        elif self.trails.data["xs"]:
            self.trails.data = {"xs": [], "ys": [], "color": []}


class LossView:
    """Median and 10-90 % band of the loss per optimizer, over the runs that did not diverge."""

    def __init__(self, width=430, height=470):
        self.fig = figure(width=width, height=height, y_axis_type="log", name="loss",
                          title="loss: median, 10–90 % band (not diverged)",
                          tools="pan,wheel_zoom,reset,save", x_axis_label="step",
                          x_range=Range1d(0, 1), y_range=Range1d(1e-3, 1))  # fmt: skip
        self.bands = ColumnDataSource({"xs": [], "ys": [], "color": []}, name="bands")
        self.medians = ColumnDataSource(
            {"xs": [], "ys": [], "color": [], "label": []}, name="medians"
        )
        self.fig.patches("xs", "ys", source=self.bands, color="color", alpha=0.18, line_alpha=0)
        self.fig.multi_line("xs", "ys", source=self.medians, color="color", line_width=2.5,
                            legend_field="label")  # fmt: skip
        self.fig.legend.location = "bottom_left"  # curves start high on the left
        self.fig.legend.background_fill_alpha = 0.7
        self.step = Span(location=0, dimension="height", line_color="grey", line_dash="dashed")
        self.fig.add_layout(self.step)

    def set_view(self, view) -> None:
        """Draw the run's loss quantiles: a log axis when every value is positive, else linear."""
        steps = view.steps.astype(np.float64)
        lo, med, hi = view.loss
        fin = view.loss[np.isfinite(view.loss)]
        log = bool(fin.size) and float(fin.min()) > 0
        self._scale(log)
        floor = _TINY if log else -np.inf
        bx, by, mx, my = [], [], [], []
        for k in range(len(view.names)):
            ok = np.isfinite(med[k])
            bx.append(np.concatenate([steps[ok], steps[ok][::-1]]))
            by.append(np.maximum(np.concatenate([lo[k][ok], hi[k][ok][::-1]]), floor))
            mx.append(steps[ok])
            my.append(np.maximum(med[k][ok], floor))
        self.bands.data = {"xs": bx, "ys": by, "color": view.colours}
        self.medians.data = {"xs": mx, "ys": my, "color": view.colours, "label": list(view.names)}
        self.fig.x_range.start, self.fig.x_range.end = 0.0, float(max(steps[-1], 1))
        if fin.size:
            top, bottom = float(fin.max()), float(fin.min())
            if log:
                bottom = max(bottom, top * 1e-14, _TINY)
                start, end = bottom / 2, max(top * 2, bottom * 10)
            else:
                pad = 0.05 * (top - bottom) or 0.5
                start, end = bottom - pad, top + pad
            self.fig.y_range.start, self.fig.y_range.end = start, end

    def _scale(self, log: bool) -> None:
        """Switch the loss axis between log and linear (the scale, its ticks and their labels)."""
        if isinstance(self.fig.y_scale, LogScale) == log:
            return
        axis = self.fig.yaxis[0]
        self.fig.y_scale = LogScale() if log else LinearScale()
        axis.ticker = LogTicker() if log else BasicTicker()
        axis.formatter = LogTickFormatter() if log else BasicTickFormatter()

    def show(self, step: float) -> None:
        self.step.location = float(step)


def _contours(X, Y, T, lo, hi, levels=14) -> dict:
    """Contour lines of the shown values (contourpy, which matplotlib brings)."""
    import contourpy

    if not hi > lo:
        return {"xs": [], "ys": []}
    gen = contourpy.contour_generator(X[0], Y[:, 0], T, line_type="Separate")
    xs, ys = [], []
    for level in np.linspace(lo, hi, levels + 2)[1:-1]:
        for seg in gen.lines(level):
            if len(seg) > 1:
                xs.append(seg[:, 0])
                ys.append(seg[:, 1])
    return {"xs": xs, "ys": ys}
