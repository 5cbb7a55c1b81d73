"""Colours, labels, scales and figure helpers shared by every renderer."""

from __future__ import annotations

import re

import numpy as np

from .. import _validate as V
from . import _writers as W

__all__ = ["palette"]

# Okabe & Ito (2008) colour-blind-safe set, one colour per optimizer kind in
# the kernels' kind order, so a kind has the same colour in every output.
KIND_COLOURS = {
    "gd": "#0072b2",  # blue
    "momentum": "#e69f00",  # orange
    "heavy_ball": "#cc79a7",  # reddish purple
    "nesterov": "#009e73",  # bluish green
    "rmsprop": "#56b4e9",  # sky blue
    "adagrad": "#f0e442",  # yellow
    "adam": "#d55e00",  # vermillion
    "adamw": "#000000",  # black
}
_ALIASES = {"sgd": "gd"}
# Paul Tol's muted set (colour-blind safe) for names of no known kind
EXTRA_COLOURS = ("#332288", "#117733", "#882255", "#44aa99", "#999933", "#aa4499", "#ddcc77")
# generic series (beta values, schedules): Okabe-Ito without yellow
SERIES = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
# shades for repeated kinds: mix towards black (+) or white (-)
_SHADES = (0.0, 0.35, -0.45, 0.6, -0.7, 0.15, -0.25, 0.5)

_KIND_RE = re.compile(
    r"^\s*("
    + "|".join(sorted([*KIND_COLOURS, *_ALIASES], key=len, reverse=True))
    + r")(?![a-z0-9])",
    re.IGNORECASE,
)


def kind_of(name: str) -> str | None:
    """The optimizer kind a name starts with (``"adam lr=1e-2"`` -> ``"adam"``), or None."""
    m = _KIND_RE.match(str(name))
    if not m:
        return None
    k = m.group(1).lower()
    return _ALIASES.get(k, k)


def _shade(colour: str, amount: float) -> str:
    from matplotlib.colors import to_hex, to_rgb

    rgb = np.array(to_rgb(colour))
    target = np.zeros(3) if amount > 0 else np.ones(3)
    if colour.lower() == "#000000" and amount > 0:  # black cannot darken: lighten instead
        target, amount = np.ones(3), amount
    return to_hex(rgb + abs(amount) * (target - rgb))


def palette(names, kinds=None) -> dict:
    """Colour of each optimizer: the same kind gets the same colour in every output.

    Parameters
    ----------
    names : sequence of str, or a Result
        Optimizer names (a :class:`~landscape.Result` gives its names and the
        kinds recorded in its config).
    kinds : sequence of str, optional
        The optimizer kind of each name; by default read from the start of the
        name (``"adam"``, ``"adam(lr=0.01, ...)"``, ``"momentum 0.9"``).

    Returns
    -------
    dict name -> colour (hex string).  Colours are Okabe-Ito's colour-blind
    safe set, keyed by the kernels' kind order (gd blue, momentum orange,
    heavy_ball purple, nesterov green, rmsprop sky blue, adagrad yellow, adam
    vermillion, adamw black).  The first optimizer of a kind gets the kind's
    colour; further ones of the same kind (a learning-rate grid, say), and
    names of no known kind, get Paul Tol's muted colours, then the colours of
    kinds absent from the output, skipping those too close to a colour already
    used (CIELAB distance under 60: three plain SGDs are blue, green and wine,
    not blue and indigo), so every series stays distinguishable.
    """
    if hasattr(names, "names") and hasattr(names, "config"):
        result = names
        names = list(result.names)
        if kinds is None:
            kinds = result_kinds(result)
    names = [str(n) for n in names]
    if kinds is None:
        kinds = [kind_of(n) for n in names]
    kinds = list(kinds)
    if len(kinds) != len(names):
        raise ValueError(f"kinds must have one entry per name ({len(names)}), got {len(kinds)}")
    # first of a kind: the kind's colour; repeats of a kind and unknown names:
    # Tol's colours, then those of kinds absent here, so every series stays distinct
    present = {_ALIASES.get(k, k) for k in kinds}
    spare = list(EXTRA_COLOURS) + [c for k, c in KIND_COLOURS.items() if k not in present]
    out, seen, rest = {}, set(), []
    for name, kind in zip(names, kinds, strict=True):
        kind = _ALIASES.get(kind, kind)
        if kind in KIND_COLOURS and kind not in seen:
            seen.add(kind)
            out[name] = KIND_COLOURS[kind]
        else:
            rest.append(name)
    for name in rest:
        if spare:
            colour = _distinct(spare, [out[n] for n in out])
            spare.remove(colour)
        else:
            colour = _shade(EXTRA_COLOURS[0], _SHADES[len(out) % len(_SHADES)])
        out[name] = colour
    return {name: out[name] for name in names}


#: CIELAB distance (Delta E 1976) a spare colour keeps from the colours already used
_MIN_DELTA_E = 60.0


def _lab(colour) -> np.ndarray:
    """CIELAB coordinates of an sRGB colour (D65)."""
    from matplotlib.colors import to_rgb

    c = np.array(to_rgb(colour))
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ c / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def _distinct(spare, used) -> str:
    """The first spare colour at least ``_MIN_DELTA_E`` from every used one (gd's blue
    and Tol's indigo are hard to tell apart as thin lines), else the farthest one."""
    if not used:
        return spare[0]
    labs = [_lab(c) for c in used]
    dist = [min(float(np.linalg.norm(_lab(c) - u)) for u in labs) for c in spare]
    for c, d in zip(spare, dist, strict=True):
        if d >= _MIN_DELTA_E:
            return c
    return spare[int(np.argmax(dist))]


# --------------------------------------------------------------------------
# result metadata
# --------------------------------------------------------------------------
def _opt_configs(result) -> list:
    cfg = (getattr(result, "config", None) or {}).get("optimizers") or []
    return cfg if len(cfg) == len(result.names) else [{} for _ in result.names]


def result_kinds(result) -> list:
    """Kind of each optimizer of a result (config first, then the name)."""
    return [
        c.get("kind") or kind_of(n) for c, n in zip(_opt_configs(result), result.names, strict=True)
    ]


def colours(result) -> list:
    """Palette colour of each optimizer of ``result``, in order."""
    pal = palette(result)
    return [pal[str(n)] for n in result.names]


def _fmt_value(v) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return f"{float(v):g}"
    return str(v)


def opt_label(result, i: int) -> str:
    """Legend label of optimizer ``i``: its name and the hyperparameters it ran with."""
    name = str(result.names[i])
    cfg = _opt_configs(result)[i]
    hp = {k: v for k, v in cfg.items() if k not in ("name", "kind")}
    mb = (getattr(result, "config", None) or {}).get("minibatch")
    if hp and mb and len(mb.get("batch_size", ())) == len(result.names):
        hp["b"] = mb["batch_size"][i]  # real mini-batches: the batch size
    if not hp or "(" in name:  # auto-named from the label: already lists them
        return name
    inner = ", ".join(f"{k}={_fmt_value(v)}" for k, v in hp.items())
    kind = cfg.get("kind")
    head = name if kind is None or kind == name else f"{name} [{kind}]"
    return f"{head}: {inner}"


def surface_label(result, surface=None) -> str:
    """``surface.label`` or a label rebuilt from the result's config."""
    surface = surface if surface is not None else getattr(result, "surface", None)
    if surface is not None and hasattr(surface, "label"):
        return surface.label
    spec = dict((getattr(result, "config", None) or {}).get("surface") or {})
    name = spec.pop("name", "surface")
    spec.pop("dim", None)
    params = spec.pop("params", None) or spec
    if not params:
        return str(name)
    return f"{name}(" + ", ".join(f"{k}={_fmt_value(v)}" for k, v in params.items()) + ")"


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------
def check_size(size) -> tuple[int, int]:
    """``(width, height)`` in pixels, two ints >= 16."""
    try:
        w, h = size
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height) in pixels, got {size!r}") from None
    return V.integer("size[0]", w, minimum=16), V.integer("size[1]", h, minimum=16)


def check_frames(result, what: str = "result") -> int:
    """Number of recorded frames; raises if the result recorded none."""
    pos = result.positions
    n_frames = pos.shape[2] if pos.ndim == 4 else 0
    if n_frames == 0 or pos.shape[1] == 0:
        raise ValueError(
            f"{what} has no recorded frames (positions shape {tuple(pos.shape)}); run "
            "landscape.simulate with record_every > 0 (and record > 0)"
        )
    return n_frames


def check_items(name: str, value, what: str) -> list:
    """``value`` as a non-empty list; ``what`` names its items in the error message."""
    try:
        items = list(value)
    except TypeError:
        raise ValueError(f"{name} must be a sequence of {what}, got {value!r}") from None
    if not items:
        raise ValueError(f"{name} must not be empty")
    return items


def check_bool(name: str, value) -> bool:
    """``value`` must be True or False (a NumPy bool too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_trajectories(trajectories, n_recorded: int) -> list:
    """Indices of recorded trajectories (a non-empty sequence of ints in range)."""
    if isinstance(trajectories, (int, np.integer)) and not isinstance(trajectories, bool):
        trajectories = (trajectories,)
    out = []
    for j in check_items("trajectories", trajectories, "ints"):
        j = V.integer("trajectories", j)
        if not 0 <= j < n_recorded:
            raise ValueError(
                f"trajectories must be in [0, {n_recorded}) (the recorded trajectories), got {j}"
            )
        out.append(j)
    return out


def check_event(result, event):
    """``None`` or a key of ``result.events``."""
    if event is not None and event not in result.events:
        raise ValueError(f"event must be one of {sorted(result.events)} or None, got {event!r}")
    return event


def check_choice_bool(name: str, value, allowed=(None, True, False)):
    """``value`` must be one of ``allowed`` (compared by identity for bools/None)."""
    for a in allowed:
        if value is a or (isinstance(a, str) and value == a):
            return value
    raise ValueError(f"{name} must be one of {list(allowed)}, got {value!r}")


# --------------------------------------------------------------------------
# figures, scales
# --------------------------------------------------------------------------
def new_figure(size, dpi, *, layout="constrained"):
    """A ``Figure`` of exactly ``size`` pixels at ``dpi`` with an Agg canvas (no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w, h = check_size(size)
    dpi = V.positive("dpi", dpi)
    # a hair over so that int(inches * dpi) is never one pixel short
    fig = Figure(figsize=((w + 1e-3) / dpi, (h + 1e-3) / dpi), dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    if layout == "constrained":
        fig.get_layout_engine().set(w_pad=2 / 72, h_pad=2 / 72, wspace=0.02, hspace=0.02)
    return fig


def frame_plan(n_frames: int, size, max_frames) -> tuple[tuple[int, int], np.ndarray, dict]:
    """Checked ``size``, the indices of the frames shown and the font sizes for ``size``.

    ``size`` is checked before ``max_frames``, as every renderer did.
    """
    size = check_size(size)
    frames = W.frame_indices(n_frames, W.check_max_frames(max_frames))
    return size, frames, font_sizes(size)


def axes_style(ax, fs, xlabel, ylabel) -> None:
    """Axis labels, tick labels and a light major grid in the font sizes ``fs``."""
    ax.set_xlabel(xlabel, fontsize=fs["label"], labelpad=1)
    ax.set_ylabel(ylabel, fontsize=fs["label"], labelpad=1)
    ax.tick_params(labelsize=fs["tick"], pad=1)
    ax.grid(True, which="major", alpha=0.3, linewidth=0.5)


def font_sizes(size) -> dict:
    """Font sizes (points) that suit a figure of ``size`` pixels at 100 dpi."""
    w, h = size
    base = float(np.clip(min(w / 96.0, h / 54.0), 6.0, 12.0))
    return {"title": base + 1, "label": base, "tick": base - 1, "legend": base - 1.5}


def loss_scale(values, log=None) -> str:
    """``"linear"``, ``"log"`` or ``"symlog"`` for plotting ``values``.

    ``log=None`` (auto): log when the positive values span more than two
    decades, symlog when negative values are present and the magnitudes span
    more than two decades, else linear.  ``log=True`` forces log (symlog if
    any value is < 0); ``log=False`` linear.
    """
    check_choice_bool("log", log)
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if log is False or v.size == 0:
        return "linear"
    neg = bool((v < 0).any())
    if log is True:
        return "symlog" if neg else "log"
    a = np.abs(v[v != 0])
    span = a.max() / a.min() if a.size else 1.0
    if neg:
        return "symlog" if span > 100 else "linear"
    return "log" if span > 100 else "linear"


def scale_values(values, start) -> np.ndarray:
    """Finite ``values`` that set an axis' range: at most 1000x the largest start value.

    Diverging trajectories reach 1e20 and more; letting them set the range
    would squash every other curve, so they leave the top of the axis instead.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    s = np.asarray(start, dtype=np.float64).ravel()
    s = s[np.isfinite(s)]
    if s.size and v.size:
        top = float(np.abs(s).max())
        if top > 0:
            v = v[v <= 1e3 * top]
    return v


def apply_scale(ax, scale: str, values, axis: str = "y") -> None:
    """Set ``ax``'s y (or x) scale and limits so that ``values`` fit."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    set_scale = ax.set_yscale if axis == "y" else ax.set_xscale
    set_lim = ax.set_ylim if axis == "y" else ax.set_xlim
    if v.size == 0:
        return
    lo, hi = float(v.min()), float(v.max())
    if scale == "log" and (v > 0).any():
        pos = v[v > 0]
        hi = float(pos.max())
        lo = max(float(pos.min()), hi * 1e-15)
        set_scale("log")
        set_lim(lo / 1.6, hi * 1.6)
    elif scale == "symlog":
        a = np.abs(v[v != 0])
        amax = float(a.max()) if a.size else 1.0
        thresh = max(float(a.min()) if a.size else 1.0, amax * 1e-6)
        set_scale("symlog", linthresh=thresh)
        pad = lambda x: x * 1.6 if abs(x) > thresh else x + np.sign(x or 1) * thresh  # noqa: E731
        set_lim(min(pad(lo), -thresh) if lo < 0 else 0.0, pad(hi) if hi > 0 else thresh)
    else:
        span = hi - lo or max(abs(hi), 1.0)
        set_lim(lo - 0.05 * span, hi + 0.05 * span)


def rgba_of(colour, alpha=1.0) -> np.ndarray:
    """An RGBA row for ``colour``."""
    from matplotlib.colors import to_rgba

    return np.array(to_rgba(colour, alpha))


def step_text(ax, size, *, loc=(0.99, 0.99), ha="right"):
    """A text artist for the step counter, boxed so it reads over any background."""
    return ax.text(
        *loc, "", transform=ax.transAxes, ha=ha, va="top", zorder=20,
        fontsize=font_sizes(size)["label"], family="monospace",
        bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": "0.6", "alpha": 0.85},
    )  # fmt: skip
