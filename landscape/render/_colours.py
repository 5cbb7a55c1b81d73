"""Colours: one per optimizer kind, hue families, halos and contrast (WCAG 2.x).

A *hue family* is measured in CIELAB's LCh coordinates (D65): colours whose
chroma is under :data:`ACHROMATIC_CHROMA` (black, greys, white) form one
family, and two chromatic colours are in different families when their hue
angles differ by at least :data:`HUE_FAMILY_DEG` degrees.  Every figure keeps
its series in different families (:func:`palette`), so no two optimizers are
"two blues" or "two oranges".

Lines and markers drawn over the contour map get a *halo* (an outline in
near-black or white, whichever contrasts more with the colour), so each
colour reads on every level of the map: the tests check the WCAG contrast of
colour or halo against every colour of the map's colormap.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "ACHROMATIC_CHROMA",
    "EXTRA_COLOURS",
    "HUE_FAMILY_DEG",
    "KIND_COLOURS",
    "MIN_CONTRAST",
    "SERIES",
    "contrast_ratio",
    "halo",
    "hue_family",
    "lab",
    "lch",
    "palette",
    "relative_luminance",
    "same_family",
    "series",
]

#: Two chromatic colours are in different hue families when their CIELAB hue
#: angles differ by at least this many degrees.
HUE_FAMILY_DEG = 35.0
#: CIELAB chroma under which a colour is achromatic (black, grey, white: one family).
ACHROMATIC_CHROMA = 12.0
#: WCAG contrast (SC 1.4.11, graphical objects) a colour or its halo keeps
#: against every colour of the map, and a colour against its halo.
MIN_CONTRAST = 3.0

# One colour per optimizer kind, eight hue families (LCh hue in degrees):
# Okabe & Ito's blue and orange, Paul Tol's green and teal (bright/vibrant
# sets), a red, a violet and a magenta between them, and black.  No yellow:
# thin yellow lines vanish on light backgrounds.  Each chromatic colour is at
# least 39 degrees from its neighbours, and dark enough (relative luminance
# >= 0.15) to stand inside a dark halo.
KIND_COLOURS = {
    "gd": "#0072b2",  # blue, h 266
    "momentum": "#e69f00",  # orange, h 78
    "heavy_ball": "#9b64ff",  # bright violet, h 308 (told from GD blue under deuteranopia)
    "nesterov": "#228833",  # green, h 142
    "rmsprop": "#009988",  # teal, h 181
    "adagrad": "#cc3380",  # magenta, h 354
    "adam": "#d62728",  # red, h 34
    "adamw": "#000000",  # black (achromatic)
}
ALIASES = {"sgd": "gd"}
#: A ninth family (cyan, h 220, between teal and blue) for repeats and names of no kind.
EXTRA_COLOURS = ("#00a0b8",)
#: Generic series (betas, schedules): every family, most distinct first.
SERIES = ("#0072b2", "#d62728", "#228833", "#e69f00", "#9b64ff", "#009988", "#cc3380",
          "#000000", "#00a0b8")  # fmt: skip

#: Halo colours: near-black around light and mid colours, white around dark ones.
HALO_DARK = "#111111"
HALO_LIGHT = "#ffffff"


# --------------------------------------------------------------------------
# colour science
# --------------------------------------------------------------------------
def _srgb_linear(colour) -> np.ndarray:
    from matplotlib.colors import to_rgb

    c = np.array(to_rgb(colour))
    return np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)


def lab(colour) -> np.ndarray:
    """CIELAB coordinates ``(L, a, b)`` of an sRGB colour (D65 white)."""
    c = _srgb_linear(colour)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ c / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16.0 / 116.0)
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def lch(colour) -> tuple[float, float, float]:
    """CIELAB lightness, chroma and hue angle (degrees in [0, 360)) of a colour."""
    if isinstance(colour, str):
        return _lch_of_name(colour.lower())
    L, a, b = lab(colour)
    return float(L), float(np.hypot(a, b)), float(np.degrees(np.arctan2(b, a)) % 360.0)


@functools.lru_cache(maxsize=512)
def _lch_of_name(colour: str) -> tuple[float, float, float]:
    L, a, b = lab(colour)
    return float(L), float(np.hypot(a, b)), float(np.degrees(np.arctan2(b, a)) % 360.0)


def hue_family(colour) -> float | None:
    """The colour's hue angle, or None for an achromatic colour (its own family)."""
    _, c, h = lch(colour)
    return None if c < ACHROMATIC_CHROMA else h


def _hue_gap(h1, h2) -> float:
    """Angular distance of two hues (None: achromatic; achromatic vs chromatic = 180)."""
    if h1 is None or h2 is None:
        return 0.0 if h1 is None and h2 is None else 180.0
    d = abs(h1 - h2) % 360.0
    return min(d, 360.0 - d)


def same_family(c1, c2) -> bool:
    r"""Whether two colours are in the same hue family.

    Both achromatic (CIELAB chroma :math:`C^* <` :data:`ACHROMATIC_CHROMA`),
    or both chromatic with hue angles :math:`|h_1 - h_2| <`
    :data:`HUE_FAMILY_DEG` (on the circle).
    """
    return _hue_gap(hue_family(c1), hue_family(c2)) < HUE_FAMILY_DEG


def relative_luminance(colour) -> float:
    r"""WCAG relative luminance :math:`0.2126R + 0.7152G + 0.0722B` of linear sRGB."""
    return float(_srgb_linear(colour) @ np.array([0.2126, 0.7152, 0.0722]))


def contrast_ratio(c1, c2) -> float:
    r"""WCAG 2.x contrast ratio :math:`(L_1 + 0.05) / (L_2 + 0.05)`, lighter over darker (1-21)."""
    a, b = sorted((relative_luminance(c1), relative_luminance(c2)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def halo(colour) -> str:
    """The outline drawn around ``colour`` on maps.

    Near-black when the colour keeps a contrast of :data:`MIN_CONTRAST`
    against it (the outline then reads on the light map and the colour inside
    it), else white (black and other dark colours, which read on the map by
    themselves).
    """
    return HALO_DARK if contrast_ratio(colour, HALO_DARK) >= MIN_CONTRAST else HALO_LIGHT


# --------------------------------------------------------------------------
# the palette
# --------------------------------------------------------------------------
def _pick(spare, used) -> str | None:
    """The spare colour farthest in hue from every used one, if it is in a new family."""
    hues = [hue_family(c) for c in used]
    best, best_gap = None, -1.0
    for c in spare:
        h = hue_family(c)
        gap = min((_hue_gap(h, u) for u in hues), default=360.0)
        if gap > best_gap:
            best, best_gap = c, gap
    return best if best_gap >= HUE_FAMILY_DEG else None


def _shade(colour: str, amount: float) -> str:
    """``colour`` mixed towards white (amount > 0) or black (< 0); black only lightens."""
    from matplotlib.colors import to_hex, to_rgb

    rgb = np.array(to_rgb(colour))
    target = np.ones(3) if amount > 0 or rgb.max() == 0 else np.zeros(3)
    return to_hex(rgb + abs(amount) * (target - rgb))


def palette(names, kinds=None) -> dict:
    """Colour of each optimizer: one hue family per series, the same kind in the same colour.

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
    dict name -> colour (hex string).  The first optimizer of a kind gets
    the kind's colour (:data:`KIND_COLOURS`: gd blue, momentum orange,
    heavy_ball violet, nesterov green, rmsprop teal, adagrad magenta, adam
    red, adamw black), in every output.  Further ones of the same kind (a
    learning-rate or batch-size grid) and names of no known kind get the
    colours of the families not used yet (kinds absent from the figure, then
    a cyan), each time the one farthest in hue from those in use.  So up to
    nine series are in nine different hue families (:func:`same_family`);
    beyond that, lighter and darker shades of the same colours.
    """
    from ._labels import kind_of, result_kinds

    if hasattr(names, "names") and hasattr(names, "config"):
        result = names
        names = list(result.names)
        if kinds is None:
            kinds = result_kinds(result)
    names = [str(n) for n in names]
    if kinds is None:
        kinds = [kind_of(n) for n in names]
    kinds = [ALIASES.get(k, k) for k in kinds]
    if len(kinds) != len(names):
        raise ValueError(f"kinds must have one entry per name ({len(names)}), got {len(kinds)}")
    out, rest = {}, []
    for i, kind in enumerate(kinds):
        if kind in KIND_COLOURS and KIND_COLOURS[kind] not in out.values():
            out[i] = KIND_COLOURS[kind]
        else:
            rest.append(i)
    present = set(kinds)
    spare = [c for k, c in KIND_COLOURS.items() if k not in present] + list(EXTRA_COLOURS)
    n_shaded = 0
    for i in rest:
        colour = _pick(spare, list(out.values()))
        if colour is None:  # every family is taken: shades of the used colours
            base = list(out.values())[n_shaded % len(out)]
            colour = _shade(base, 0.45 if (n_shaded // len(out)) % 2 == 0 else -0.4)
            n_shaded += 1
        else:
            spare.remove(colour)
        out[i] = colour
    return {name: out[i] for i, name in enumerate(names)}


def series(n: int) -> list:
    """``n`` colours for generic series (betas, schedules): distinct families up to nine."""
    return [SERIES[i % len(SERIES)] if i < len(SERIES) else
            _shade(SERIES[i % len(SERIES)], 0.45) for i in range(n)]  # fmt: skip
