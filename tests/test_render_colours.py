"""Colours (landscape.render._colours): hue families, the palette's guarantee, contrast on maps.

No simulation: palettes of names and kinds, colours against the map's colormap.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from landscape import render
from landscape.render import _colours as C
from landscape.render import _maps as M

KINDS = list(C.KIND_COLOURS)
# what palette() may be given: every kind, the sgd alias, and a name of no kind
CHOICES = [*KINDS, "sgd", None]


def _families_distinct(colours) -> bool:
    return all(not C.same_family(a, b) for a, b in itertools.combinations(colours, 2))


def test_hue_family_rule():
    # the old palette's pairs that read as one colour are one family
    assert C.same_family("#0072b2", "#56b4e9")  # Okabe-Ito blue and sky blue
    assert C.same_family("#e69f00", "#d55e00")  # orange and vermillion
    assert C.same_family("#000000", "#777777")  # black and grey: achromatic
    assert not C.same_family("#000000", "#0072b2")
    assert C.hue_family("#ffffff") is None and C.hue_family("#d62728") is not None
    # the rule in numbers: hue angles 35 degrees apart, on the circle
    assert C.lch("#d62728")[2] == pytest.approx(34.3, abs=0.2)
    assert C.lch("#cc3380")[2] == pytest.approx(353.6, abs=0.2)
    assert not C.same_family("#d62728", "#cc3380")  # 40.7 degrees across 0


def test_kind_colours_are_eight_families_without_yellow():
    colours = list(C.KIND_COLOURS.values())
    assert len(set(colours)) == len(KINDS) == 8
    assert _families_distinct(colours)
    assert _families_distinct([*colours, *C.EXTRA_COLOURS])
    for c in colours:
        h = C.hue_family(c)
        assert h is None or not 85 <= h <= 110, f"{c} is a yellow"
    assert _families_distinct(C.SERIES) and len(C.SERIES) == 9
    assert C.series(3) == list(C.SERIES[:3]) and len(set(C.series(12))) == 12


@pytest.mark.parametrize("size", range(1, 7))
def test_palette_every_combination_in_distinct_families(size):
    """Any mix of up to 6 kinds, repeats and unknown names: all pairs in different families."""
    rng = np.random.default_rng(size)
    for combo in itertools.combinations_with_replacement(CHOICES, size):
        combo = list(combo)
        if size >= 4:  # the order of the names must not matter either
            combo = [combo[i] for i in rng.permutation(size)]
        names = [f"{k or 'mine'} #{i}" for i, k in enumerate(combo)]
        pal = render.palette(names, kinds=[k or "unknown" for k in combo])
        assert _families_distinct(list(pal.values())), (combo, pal)
        # the first of each kind has its kind's colour, whatever else is drawn
        seen = set()
        for name, k in zip(names, combo, strict=True):
            k = C.ALIASES.get(k, k)
            if k in C.KIND_COLOURS and k not in seen:
                assert pal[name] == C.KIND_COLOURS[k]
                seen.add(k)


def test_palette_names_alone_and_repeats():
    three = render.palette(["sgd", "sgd b=64", "sgd b=1"])
    assert list(three.values())[0] == C.KIND_COLOURS["gd"]
    assert _families_distinct(three.values())
    common = render.palette(["gd", "momentum", "rmsprop", "adam"])
    assert list(common.values()) == [
        C.KIND_COLOURS[k] for k in ("gd", "momentum", "rmsprop", "adam")
    ]
    # nine series: nine families; more: shades, still all different colours
    nine = render.palette([f"adam {i}" for i in range(9)])
    assert _families_distinct(nine.values())
    assert len(set(render.palette([f"gd {i}" for i in range(20)]).values())) == 20


def _map_colours(n=256):
    from matplotlib.colors import to_hex

    cmap = M.background_cmap()
    return [to_hex(cmap(x)) for x in np.linspace(0.0, 1.0, n)]


def test_every_palette_colour_reads_on_every_level_of_the_map():
    """WCAG contrast >= 3 (graphical objects): colour or halo against every map colour,
    and the colour against its own halo (it reads inside its outline)."""
    background = _map_colours()
    colours = [*C.KIND_COLOURS.values(), *C.EXTRA_COLOURS]
    colours += list(render.palette([f"gd {i}" for i in range(14)]).values())  # shades too
    worst = np.inf
    for c in colours:
        h = C.halo(c)
        assert C.contrast_ratio(c, h) >= C.MIN_CONTRAST, c
        for bg in background:
            best = max(C.contrast_ratio(c, bg), C.contrast_ratio(h, bg))
            worst = min(worst, best)
            assert best >= C.MIN_CONTRAST, (c, h, bg, best)
    assert worst >= 3.0
    # the map is light: its darkest colour still has a relative luminance above 0.3
    assert min(C.relative_luminance(bg) for bg in background) > 0.3


def test_contrast_ratio_is_wcag():
    assert C.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert C.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert C.contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert C.halo("#000000") == C.HALO_LIGHT and C.halo("#e69f00") == C.HALO_DARK


# Machado, Oliveira & Fernandes (2009) simulation matrices, severity 1, on linear sRGB
_CVD = {
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
}  # fmt: skip


def _cvd_lab(colour, m):
    from matplotlib.colors import to_rgb

    c = np.array(to_rgb(colour))
    lin = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    lin = np.clip(m @ lin, 0.0, 1.0)
    srgb = np.where(lin > 0.0031308, 1.055 * lin ** (1 / 2.4) - 0.055, 12.92 * lin)
    return np.asarray(C.lab(tuple(np.clip(srgb, 0.0, 1.0))))


def test_common_kinds_stay_apart_for_red_green_colour_blindness():
    """GD, momentum, classic momentum, Nesterov, RMSprop and Adam: every pair keeps a
    CIELAB distance of at least 15 as a deuteranope or protanope sees it."""
    kinds = ("gd", "momentum", "heavy_ball", "nesterov", "rmsprop", "adam")
    for name, m in _CVD.items():
        for a, b in itertools.combinations(kinds, 2):
            d = np.linalg.norm(_cvd_lab(C.KIND_COLOURS[a], m) - _cvd_lab(C.KIND_COLOURS[b], m))
            assert d >= 15, (name, a, b, d)
