"""What each renderer takes, declared once beside it.

Every renderer module declares, next to its function, a :class:`Renderer`:
the inputs it draws (``"result"``, ``"surface"``, ``"schedules"``), whether
it animates, and its own options as ``name -> check``.  The options every
renderer shares (size, dpi, title, fps, max_frames, progress) are one
record, :class:`FrameOptions`.  Declarative callers (TOML recipes, the CLI,
docs) read these declarations instead of restating them, and call the
renderer through :meth:`Renderer.call`.

Adding a renderer is one module (its function and its :class:`Renderer`)
plus one line in :data:`landscape.render.RENDERERS` (or, from outside the
package, :func:`landscape.render.register`).

A check is ``check(name, value, facts) -> value``: it returns the value as
the renderer takes it, or raises ``ValueError`` whose message starts with
``name`` and says what is allowed (``render.fps must be >= 1, got 0``);
``facts`` (:class:`RunFacts`) is what is known of the run before it
happens (its events, the recorded trajectories).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from .. import _validate as V

__all__ = [
    "DEFAULT_DPI",
    "DEFAULT_FPS",
    "DEFAULT_SIZE",
    "FRAME_OPTIONS",
    "MAX_COUNT",
    "MAX_FPS",
    "MAX_PIXELS",
    "MIN_PIXELS",
    "FrameOptions",
    "Renderer",
    "RunFacts",
    "array",
    "beta",
    "boolean",
    "bounds",
    "choice",
    "event",
    "frame_size",
    "integer",
    "levels",
    "positive",
    "quantile",
    "real",
    "size",
    "trajectory",
]

#: Frame size in pixels, pixels per inch and frames per second unless told otherwise.
DEFAULT_SIZE = (960, 540)
DEFAULT_DPI = 100
DEFAULT_FPS = 20
#: Smallest and largest side of a frame, in pixels.
MIN_PIXELS = 16
MAX_PIXELS = 7680
#: Upper bounds on declared integers: a typo such as fps = 10**8 is an error
#: when the options are read, not an encoder failure (or hours of rendering) later.
MAX_FPS = 1000
MAX_COUNT = 1_000_000


@dataclass(frozen=True)
class RunFacts:
    """What is known of a run before it happens, for the checks that depend on it.

    ``events``: the event names the run records; ``recorded``: how many
    trajectories it records (None: not known); ``finite_sum``: whether it
    runs on a finite-sum surface (None: not known).
    """

    events: tuple = ()
    recorded: int | None = None
    finite_sum: bool | None = None


Check = Callable[[str, object, RunFacts], object]


# --------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------
def size(name, v, facts=None) -> tuple[int, int]:
    """``[width, height]`` in pixels, integers in [:data:`MIN_PIXELS`, :data:`MAX_PIXELS`].

    Stricter than :func:`frame_size` (what renderers take): a size typed in a
    recipe above :data:`MAX_PIXELS` is a typo, not a request.
    """
    if (
        not isinstance(v, (list, tuple))
        or len(v) != 2
        or not all(isinstance(x, int) and not isinstance(x, bool) for x in v)
    ):
        raise ValueError(f"{name} must be [width, height] in pixels (integers), got {v!r}")
    if min(v) < MIN_PIXELS or max(v) > MAX_PIXELS:
        raise ValueError(f"{name} must be between {MIN_PIXELS} and {MAX_PIXELS} pixels, got {v!r}")
    return tuple(v)


def frame_size(v) -> tuple[int, int]:
    """``(width, height)`` in pixels, two ints >= :data:`MIN_PIXELS` (what renderers take)."""
    try:
        w, h = v
    except (TypeError, ValueError):
        raise ValueError(f"size must be (width, height) in pixels, got {v!r}") from None
    return V.integer("size[0]", w, minimum=MIN_PIXELS), V.integer("size[1]", h, minimum=MIN_PIXELS)


def integer(minimum, maximum=None) -> Check:
    """An integer in ``[minimum, maximum]``."""
    return lambda name, v, facts=None: V.integer(name, v, minimum=minimum, maximum=maximum)


def real(name, v, facts=None) -> float:
    """A finite real number."""
    return V.real(name, v)


def positive(name, v, facts=None) -> float:
    """A real number > 0."""
    return V.positive(name, v)


def beta(name, v, facts=None) -> float:
    """An averaging factor in [0, 1)."""
    return V.beta(name, v)


def quantile(name, v, facts=None) -> float:
    """A number in [0, 1]."""
    return V.in_range(name, v, 0.0, 1.0, closed_high=True)


def boolean(name, v, facts=None) -> bool:
    """``true`` or ``false`` (no truthy strings or numbers)."""
    if not isinstance(v, bool):
        raise ValueError(f"{name} must be true or false, got {v!r}")
    return v


def choice(*allowed) -> Check:
    """One of the strings ``allowed``."""

    def check(name, v, facts=None):
        if not isinstance(v, str) or v not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(sorted(allowed))}, got {v!r}")
        return v

    return check


def array(item: Check, *, min_len: int = 1) -> Check:
    """An array of at least ``min_len`` values, each checked by ``item`` (as ``name[i]``)."""

    def check(name, v, facts=None):
        if not isinstance(v, (list, tuple)) or len(v) < min_len:
            raise ValueError(f"{name} must be an array of at least {min_len} value(s), got {v!r}")
        return tuple(item(f"{name}[{i}]", x, facts) for i, x in enumerate(v))

    return check


def levels(name, v, facts=None) -> int:
    """Contour levels, 2 to :data:`landscape._validate.MAX_CONTOUR_LEVELS`."""
    return V.integer(name, v, minimum=2, maximum=V.MAX_CONTOUR_LEVELS)


def trajectory(name, v, facts=None) -> int:
    """An index among the recorded trajectories."""
    i = V.integer(name, v, minimum=0)
    n = None if facts is None else facts.recorded
    if n is not None and i >= n:
        raise ValueError(f"{name} must be < {n} (the number of recorded starts), got {i}")
    return i


def event(name, v, facts=None) -> str:
    """The name of one of the run's events."""
    names = () if facts is None else facts.events
    if not names:
        raise ValueError(f"{name} names an event, but [simulate] defines no events")
    return choice(*names)(name, v)


def bounds(name, v, facts=None):
    """``"auto"``, ``"surface"`` or ``[[xmin, xmax], [ymin, ymax]]`` (finite, min < max)."""
    if v in ("auto", "surface"):
        return v
    ok = (
        isinstance(v, (list, tuple))
        and len(v) == 2
        and all(isinstance(r, (list, tuple)) and len(r) == 2 for r in v)
        and all(isinstance(x, (int, float)) and not isinstance(x, bool) for r in v for x in r)
    )
    ok = ok and all(math.isfinite(x) for r in v for x in r) and all(r[0] < r[1] for r in v)
    if not ok:
        raise ValueError(
            f'{name} must be "auto", "surface" or [[xmin, xmax], [ymin, ymax]] (finite numbers, '
            f"min < max), got {v!r}"
        )
    return tuple(tuple(float(x) for x in r) for r in v)


#: The frame options a declarative caller may set, with their checks (``title``
#: and ``progress`` come from elsewhere: the recipe's title, the command line).
FRAME_OPTIONS = {
    "size": size,
    "dpi": positive,
    "fps": integer(1, MAX_FPS),
    "max_frames": integer(1, MAX_COUNT),
}


# --------------------------------------------------------------------------
# the shared frame options
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class FrameOptions:
    """The options every renderer shares: how big, how fast, how many frames, what title.

    Checked at construction.  ``title`` None: the renderer's own title;
    ``max_frames`` None: the renderer's own limit.  A renderer gets only
    the fields its function takes (static figures take no fps or
    max_frames) and none that is None (:meth:`keywords`).
    """

    size: tuple = DEFAULT_SIZE
    dpi: float = DEFAULT_DPI
    title: str | None = None
    fps: int = DEFAULT_FPS
    max_frames: int | None = None
    progress: bool = False

    def __post_init__(self):
        set_ = lambda k, v: object.__setattr__(self, k, v)  # noqa: E731 - frozen
        set_("size", frame_size(self.size))
        set_("dpi", positive("dpi", self.dpi))
        set_("fps", FRAME_OPTIONS["fps"]("fps", self.fps))
        if self.max_frames is not None:
            set_("max_frames", FRAME_OPTIONS["max_frames"]("max_frames", self.max_frames))
        if self.title is not None and not isinstance(self.title, str):
            raise ValueError(f"title must be a string or None, got {self.title!r}")
        set_("progress", V.flag("progress", self.progress))

    def scaled(self, scale: float) -> FrameOptions:
        """The same options with the size times ``scale`` (at least :data:`MIN_PIXELS` a side).

        Only the size changes: renderers pick font sizes and line widths from
        the size in pixels at the given dpi.
        """
        scale = V.positive("scale", scale)
        if scale == 1.0:
            return self
        return replace(self, size=tuple(max(MIN_PIXELS, int(round(s * scale))) for s in self.size))

    def capped(self, max_frames: int | None) -> FrameOptions:
        """The same options showing at most ``max_frames`` frames (None: unchanged)."""
        if max_frames is None:
            return self
        own = self.max_frames
        return replace(self, max_frames=max_frames if own is None else min(own, max_frames))

    def keywords(self, renderer: Renderer) -> dict:
        """The fields ``renderer``'s function takes, as keyword arguments (None left out)."""
        params = renderer.parameters
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name in params and getattr(self, f.name) is not None
        }


# --------------------------------------------------------------------------
# renderer declarations
# --------------------------------------------------------------------------
#: Inputs a renderer may draw that come from the run, not from its options.
PRODUCTS = ("result", "surface", "schedules")


@dataclass(frozen=True)
class Renderer:
    """A renderer's declaration: how declarative callers check its options and call it.

    Attributes
    ----------
    function : callable
        The public renderer, ``function(*inputs, out, **options)`` returning
        the path written.
    inputs : tuple of str
        Its positional parameters before ``out``, each one of
        :data:`PRODUCTS` (``"result"``: it draws a simulation) or the name of
        one of its options (e.g. survival's ``event``).
    options : mapping of str to check
        Its own options (not the frame options), ``name -> check``; defaults
        are the function's (:meth:`default`).
    animated : bool or None
        Whether it draws an animation; None: its ``animate`` option decides.
    needs_2d : bool
        Draws a 2-D surface (a map or a 3-D plot of it).
    needs_frames : bool
        Draws recorded frames (False: only final states and event times).
    required : tuple of str
        Options that must be given.
    frames : callable or None
        For an animation that simulates nothing: the number of frames it
        would draw, from its options (for time estimates).
    """

    function: Callable
    inputs: tuple = ("result",)
    options: Mapping = field(default_factory=dict)
    animated: bool | None = True
    needs_2d: bool = False
    needs_frames: bool = True
    required: tuple = ()
    frames: Callable | None = None

    def __post_init__(self):
        if not callable(self.function):
            raise ValueError(f"function must be a renderer function, got {self.function!r}")
        params = self.parameters
        for name in (*self.options, *self.inputs):
            if name not in params and name not in PRODUCTS:
                raise ValueError(
                    f"{self.name}() has no parameter {name!r} (declared in inputs or options)"
                )
        for name in self.inputs:
            if name not in PRODUCTS and name not in self.options:
                raise ValueError(f"input {name!r} of {self.name}() must be one of {PRODUCTS} "
                                 "or one of its options")  # fmt: skip
        if self.animated is None and "animate" not in self.options:
            raise ValueError(f"{self.name}(): animated=None needs an 'animate' option")

    @property
    def name(self) -> str:
        """The function's name."""
        return getattr(self.function, "__name__", repr(self.function))

    @property
    def parameters(self) -> Mapping:
        """The function's parameters (``inspect.Parameter`` by name)."""
        return inspect.signature(self.function).parameters

    @property
    def simulates(self) -> bool:
        """Whether it draws a simulation's Result."""
        return "result" in self.inputs

    @property
    def keys(self) -> dict:
        """Every option a declarative caller may set: the frame options it takes, then its own."""
        frame = {k: c for k, c in FRAME_OPTIONS.items() if k in self.parameters}
        return {**frame, **self.options}

    def default(self, name: str):
        """The function's default for option ``name`` (None where it has none)."""
        p = self.parameters.get(name)
        return None if p is None or p.default is p.empty else p.default

    def frame_count(self, options: Mapping) -> int | None:
        """Frames it would draw with ``options`` when that does not depend on a run (else None)."""
        if self.frames is None:
            return None
        return self.frames({**{k: self.default(k) for k in self.options}, **options})

    def is_animated(self, options: Mapping) -> bool:
        """Whether it animates with these options."""
        if self.animated is not None:
            return self.animated
        return bool(options.get("animate", self.default("animate")))

    def call(self, out, frame: FrameOptions, options: Mapping, **products) -> Path:
        """Draw into ``out``: inputs from ``products`` (result, surface, ...) or ``options``.

        ``options`` are checked options (each by its check in :attr:`keys`);
        frame options among them are ignored (``frame`` gives them).
        """
        args = []
        for name in self.inputs:
            if name in products:
                args.append(products[name])
            elif name in options:
                args.append(options[name])
            else:
                raise ValueError(f"{self.name}() needs {name!r}")
        kw = {k: v for k, v in options.items() if k not in self.inputs and k not in FRAME_OPTIONS}
        kw.update(frame.keywords(self))
        return Path(self.function(*args, out, **kw))
