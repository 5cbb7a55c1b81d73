"""Frame writers: GIF (Pillow), MP4 (ffmpeg) and PNG, all written atomically.

:func:`save_animation` drives a figure through ``n_frames`` calls of
``update(i)`` and streams each frame to an encoder.  ``update`` returns the
artists that change (the *dynamic* artists); the writer then draws the rest of
the figure (the static background: contour map, axes, legend) once, caches it
and per frame only restores that background and draws the dynamic artists
(blitting).  A whole axes may be a dynamic artist (a 3-D axes whose camera
moves: the titles and legends around it stay cached); ``update`` returning
``None`` asks for a full redraw of every frame.

Files are written to a unique temporary file next to ``out`` and moved into
place with :func:`os.replace` when complete (:func:`landscape._atomic.atomic_path`),
so an error mid-render (``KeyboardInterrupt`` included) leaves neither a
half-written output nor a temporary file, and the temporaries that a killed
render left (``.<name>.<random>.part.gif``) are removed by the next render of
the same output once stale.

Animations show at most :data:`DEFAULT_MAX_FRAMES` frames unless the caller
asks for another ``max_frames`` (:func:`frame_indices`): a run that recorded
10⁷ steps is not rendered as 10⁷ frames.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import _validate as V
from .._atomic import atomic_path
from . import options as O
from ._encoders import GifSink, Mp4Sink, PngSink

__all__ = [
    "DEFAULT_MAX_FRAMES",
    "ANIMATION_FORMAT",
    "FORMATS",
    "STILL_FORMAT",
    "Plot",
    "draw_frame",
    "find_ffmpeg",
    "finish",
    "frame_indices",
    "renderer",
    "save_animation",
    "save_figure",
    "save_plot",
]

#: Output formats, chosen by the extension of ``out`` (the one definition: recipes
#: and the CLI read it).
FORMATS = (".gif", ".mp4", ".png")
#: The format of an animation when none is asked for.
ANIMATION_FORMAT = ".gif"
#: The only format of a still figure in recipes (the last frame of an animation also).
STILL_FORMAT = ".png"

VIDEO_HINT = 'pip install "landscape[video]"'

#: Frames an animation shows when the caller gives no ``max_frames``.
DEFAULT_MAX_FRAMES = 600

_log = logging.getLogger("landscape.render")


# --------------------------------------------------------------------------
# arguments
# --------------------------------------------------------------------------
def output_path(out) -> tuple[Path, str]:
    """``out`` as a Path and its (lower-case) extension, which must be in FORMATS."""
    if not isinstance(out, (str, os.PathLike)):
        raise ValueError(f"out must be a path ending in one of {FORMATS}, got {out!r}")
    path = Path(out)
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ValueError(
            f"out must end in one of {FORMATS}, got {str(out)!r} (extension {ext or '(none)'!r})"
        )
    return path, ext


def check_out(out) -> tuple[Path, str]:
    """:func:`output_path`, and for ``.mp4`` that ffmpeg is there (before any drawing)."""
    path, ext = output_path(out)
    if ext == ".mp4":
        _require_ffmpeg()
    return path, ext


def find_ffmpeg() -> str | None:
    """The ffmpeg executable: imageio-ffmpeg's if installed, else one on PATH."""
    exe = _imageio_ffmpeg_exe()
    return exe if exe else shutil.which("ffmpeg")


def _imageio_ffmpeg_exe() -> str | None:
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except (RuntimeError, OSError):  # installed without a usable binary
        return None


def _require_ffmpeg() -> str:
    exe = find_ffmpeg()
    if not exe:
        raise ValueError(
            "writing .mp4 needs ffmpeg: install it with "
            + VIDEO_HINT
            + " (or put an ffmpeg executable on PATH), or write .gif instead"
        )
    return exe


def frame_indices(n: int, max_frames=None) -> np.ndarray:
    """Indices of at most ``max_frames`` frames out of ``n``, evenly spread.

    ``max_frames`` None means :data:`DEFAULT_MAX_FRAMES` (600): longer
    recordings are subsampled to that many frames, and a log line (logger
    ``landscape.render``, level INFO) says so; pass ``max_frames=n`` to show
    every frame.  The first and the last frame are always kept (a single
    frame: the last).
    """
    if max_frames is None:
        if n > DEFAULT_MAX_FRAMES:
            _log.info(
                "%d recorded frames: showing %d, evenly spread (the default max_frames; "
                "pass max_frames to change it)", n, DEFAULT_MAX_FRAMES,
            )  # fmt: skip
        max_frames = DEFAULT_MAX_FRAMES
    m = V.integer("max_frames", max_frames, minimum=1)
    if m >= n:
        return np.arange(n)
    if m == 1:
        return np.array([n - 1])
    # floor(x + 0.5) of values spaced >= 1 apart never collides
    return np.floor(np.linspace(0.0, n - 1.0, m) + 0.5).astype(np.int64)


def check_max_frames(max_frames):
    """``None`` (:data:`DEFAULT_MAX_FRAMES`) or an int >= 1."""
    if max_frames is not None:
        V.integer("max_frames", max_frames, minimum=1)
    return max_frames


# --------------------------------------------------------------------------
# drawing
# --------------------------------------------------------------------------
def agg_canvas(fig):
    """The figure's Agg canvas (attached if the figure has another one)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas


def _grab(canvas) -> np.ndarray:
    """The canvas pixels as an (H, W, 4) uint8 view (valid until the next draw)."""
    return np.asarray(canvas.buffer_rgba())


def _full_draw(canvas) -> None:
    import warnings

    with warnings.catch_warnings():
        # tiny figures: constrained layout gives up (the figure is still drawn)
        warnings.filterwarnings("ignore", message=".*constrained_layout not applied.*")
        canvas.draw()


def _frames(fig, update, n_frames, *, bar):
    """Yield the RGBA pixels of frames 0..n_frames-1 (blitting when possible)."""
    canvas = fig.canvas
    dynamic = update(0)
    blit = dynamic is not None
    animated = []
    engine = fig.get_layout_engine()
    try:
        if blit:
            dynamic = list(dynamic)
            animated = [a for a in dynamic if not a.get_animated()]
            for a in animated:
                a.set_animated(True)
            _full_draw(canvas)  # the static background, once
            background = canvas.copy_from_bbox(fig.bbox)
        for i in range(n_frames):
            artists = dynamic if i == 0 else update(i)
            if blit:
                canvas.restore_region(background)
                for a in artists or ():
                    fig.draw_artist(a)
            else:
                _full_draw(canvas)
                if i == 0 and engine is not None:
                    # full redraws: keep the first frame's layout (a moving 3-D
                    # camera would make the panels jitter, and layout is slow)
                    fig.set_layout_engine("none")
            yield _grab(canvas)
            bar.update(1)
    finally:
        for a in animated:
            a.set_animated(False)
        if engine is not None and fig.get_layout_engine() is not engine:
            fig.set_layout_engine(engine)


def _reference_images(fig, update, n_frames):
    """Full draws of the last and the first frame, and the moving artists' colours.

    The GIF palette is built from these, so colours that cover few pixels
    (markers, thin lines, legend swatches) keep their exact value.  When
    ``update`` redraws everything (returns None), the colours of every line
    and legend handle are kept.
    """
    canvas = fig.canvas
    images, keys = [], []
    for i in sorted({n_frames - 1, 0}, reverse=True):
        artists = update(i)
        _full_draw(canvas)
        images.append(_grab(canvas).copy())
        keys += _artist_colours(_lines_of(fig, artists))
    return images, list(dict.fromkeys(keys))


def _lines_of(fig, artists) -> list:
    """``artists``, with a whole axes (or the whole figure: None) replaced by its lines."""
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

    if artists is None:
        return fig.findobj(Line2D)
    out = []
    for a in artists:
        out += a.findobj(Line2D) if isinstance(a, Axes) else [a]
    return out


def _artist_colours(artists) -> list:
    """Opaque RGB (0-255) colours of ``artists`` (faces, edges, lines, markers, text)."""
    from matplotlib.colors import to_rgba_array

    out = []
    for a in artists or ():
        for getter in ("get_facecolor", "get_edgecolor", "get_color", "get_markerfacecolor",
                       "get_markeredgecolor"):  # fmt: skip
            fn = getattr(a, getter, None)
            if fn is None:
                continue
            try:
                rgba = to_rgba_array(fn())
            except (TypeError, ValueError):
                continue
            rgb = np.round(rgba[rgba[:, 3] > 0][:, :3] * 255).astype(int)
            out += [tuple(c) for c in rgb[:16].tolist()]
    return out


# --------------------------------------------------------------------------
# the writer
# --------------------------------------------------------------------------
def save_animation(
    fig, update, n_frames, out, *, fps=O.DEFAULT_FPS, dpi=O.DEFAULT_DPI, progress=False
) -> Path:
    """Render ``n_frames`` frames of ``fig`` and write them to ``out``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure, with its static content already drawn in it.
    update : callable(i) -> sequence of artists or None
        Puts the figure in the state of frame ``i`` (0-based) and returns the
        artists that change from frame to frame; everything else is drawn once
        and cached.  Return the same artists every frame; an axes redraws
        all of it (e.g. a 3-D axes with a moving camera).  Returning ``None``
        redraws the whole figure every frame (slow).
    n_frames : int
        Number of frames (>= 1).
    out : str or Path
        ``.gif`` (Pillow, looping), ``.mp4`` (H.264 through ffmpeg) or ``.png``
        (only the last frame is drawn and saved).  Missing parent directories
        are created.
    fps : float
        Frames per second (GIF keeps delays in 1/100 s, so keep fps <= 50).
    dpi : float
        Pixels per inch: the frames are ``figsize * dpi`` pixels.
    progress : bool
        Show a tqdm bar over the frames.

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    return _save(fig, update, n_frames, out, fps=fps, dpi=dpi, progress=progress)


@dataclass
class Plot:
    """A figure ready to be written: ``update(i)`` puts it in the state of frame ``i``.

    What every renderer builds before writing (:func:`save_plot`) or drawing
    one frame (:func:`draw_frame`, for tests and notebooks).  ``animated``
    False: a static figure (one state; ``.gif`` one frame, ``.mp4`` a
    1-second still).
    """

    fig: object
    update: Callable
    n_frames: int
    animated: bool = True
    fps: float = 20
    dpi: float = 100
    progress: bool = False


def finish(fig, update, n_shown, *, animate, fps, dpi, progress) -> Plot:
    """The :class:`Plot` of a figure that can be animated or drawn once.

    Animated: ``update`` reveals it frame by frame; static: the state of the
    last frame, drawn once, with its step counter (the texts ``update``
    returns) hidden.  Used by the renderers that take ``animate``.
    """
    if animate:
        return Plot(fig, update, n_shown, fps=fps, dpi=dpi, progress=progress)
    from matplotlib.text import Text

    for artist in update(n_shown - 1):
        if isinstance(artist, Text):
            artist.set_text("")  # no step counter on a static figure
    return Plot(fig, lambda i: [], 1, animated=False, fps=fps, dpi=dpi)


def save_plot(plot: Plot, out) -> Path:
    """Write a :class:`Plot` to ``out`` (its format from the extension)."""
    if plot.animated:
        return save_animation(plot.fig, plot.update, plot.n_frames, out, fps=plot.fps,
                              dpi=plot.dpi, progress=plot.progress)  # fmt: skip
    return save_figure(plot.fig, out, dpi=plot.dpi, fps=plot.fps)


def draw_frame(plot: Plot, frame: int = -1):
    """Put ``plot`` in the state of ``frame`` (negative: from the end), draw it, return the figure."""
    n = plot.n_frames if plot.animated else 1
    i = V.integer("frame", frame)
    if not -n <= i < n:
        raise ValueError(f"frame must be in [{-n}, {n}) (the plot has {n} frames), got {frame}")
    if plot.animated:
        plot.update(i % n)
    _full_draw(agg_canvas(plot.fig))
    return plot.fig


def renderer(out_at: int):
    """Make a public renderer from a function that builds a :class:`Plot`.

    The public function takes the same arguments plus ``out`` (the path to
    write, default None) at position ``out_at``.  Given ``out``, it checks
    ``out`` first, builds the plot and writes it, returning the path.
    Without ``out`` it builds the plot and returns it encoded in memory, a
    :class:`landscape.render.Inline` (GIF for an animation, PNG for a still)
    that Jupyter displays.  The builder stays reachable as ``renderer.plot``
    (no file written), e.g. ``render.race.plot(res, surf, trail=40)``.
    """

    def wrap(build):
        sig = inspect.signature(build)
        params = list(sig.parameters.values())
        out_param = inspect.Parameter("out", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
        public_sig = sig.replace(parameters=[*params[:out_at], out_param, *params[out_at:]],
                                 return_annotation="pathlib.Path | landscape.render.Inline")  # fmt: skip

        @functools.wraps(build)
        def public(*args, **kwargs):
            arguments = dict(public_sig.bind(*args, **kwargs).arguments)
            out = arguments.pop("out", None)
            if out is None:
                from ._inline import Inline  # it imports this module

                return Inline.of(build(**arguments))
            path, _ = check_out(out)
            return save_plot(build(**arguments), path)

        public.__signature__ = public_sig  # the public one, with ``out``
        public.plot = build
        return public

    return wrap


def save_figure(fig, out, *, dpi=O.DEFAULT_DPI, fps=O.DEFAULT_FPS) -> Path:
    """Write a static figure: ``.png``; a one-frame ``.gif``; a 1-second still ``.mp4``."""
    path, ext = output_path(out)
    fps = V.positive("fps", fps)
    hold = max(1, int(round(fps))) if ext == ".mp4" else 1
    return _save(fig, lambda i: [], hold, path, fps=fps, dpi=dpi, progress=False)


def _save(fig, update, n_frames, out, *, fps, dpi, progress) -> Path:
    path, ext = output_path(out)
    n_frames = V.integer("n_frames", n_frames, minimum=1)
    fps = V.positive("fps", fps)
    dpi = V.positive("dpi", dpi)
    if not callable(update):
        raise ValueError(f"update must be a callable(frame_index), got {update!r}")
    exe = _require_ffmpeg() if ext == ".mp4" else None

    canvas = agg_canvas(fig)
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    with atomic_path(path, ext) as tmp:
        _encode(fig, canvas, update, n_frames, tmp, ext, fps=fps, exe=exe, progress=progress,
                desc=path.name)  # fmt: skip
    return path


def _encode(fig, canvas, update, n_frames, tmp, ext, *, fps, exe, progress, desc) -> None:
    """Draw the frames into ``tmp`` (the encoder is aborted on any exception)."""
    sink = None
    try:
        if ext == ".png":
            sink = PngSink(tmp)
            update(n_frames - 1)
            _full_draw(canvas)
            sink.add(_grab(canvas))
        else:
            from tqdm import tqdm

            if ext == ".gif":
                sink = GifSink(tmp, fps)
                sink.set_palette(*_reference_images(fig, update, n_frames))
            else:
                w, h = canvas.get_width_height(physical=True)
                sink = Mp4Sink(tmp, fps, exe, (w, h))
            with tqdm(total=n_frames, disable=not progress, desc=desc, unit="frame") as bar:
                for rgba in _frames(fig, update, n_frames, bar=bar):
                    sink.add(rgba)
        sink.close()
        sink = None
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
