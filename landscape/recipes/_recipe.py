"""A loaded recipe: simulating it, rendering it, measuring its claims."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import _backend, render
from .. import _validate as V
from .. import claims as _claims
from ..render import RENDERERS, FrameOptions, Renderer
from ..render.options import FRAME_OPTIONS
from ..results import Result
from ._schema import Ctx, RecipeError, display, one_line

__all__ = ["DEFAULT_OUT_DIR", "Made", "Recipe", "check_backend", "stage"]

#: Default output directory of :meth:`Recipe.run` and ``landscape gallery``.
DEFAULT_OUT_DIR = "gallery"


@dataclass(frozen=True, eq=False)
class Recipe:
    """A validated recipe; :meth:`run` simulates and renders it."""

    path: Path
    name: str
    title: str
    lesson: str
    output: str
    kind: str
    render_options: dict
    animated: bool
    surface: object = None
    optimizers: dict = field(default_factory=dict)
    optimizer_noise: dict = field(default_factory=dict)
    #: label -> mini-batch size on a finite-sum surface ({}: every optimizer uses the full batch)
    batch_sizes: dict = field(default_factory=dict)
    x0: np.ndarray | None = None
    simulate_options: dict = field(default_factory=dict)
    schedules: dict = field(default_factory=dict)
    #: the lesson as measured claims (:mod:`landscape.claims`), checked on every run
    claims: tuple = ()

    @property
    def simulates(self) -> bool:
        """Whether the recipe runs a simulation (all renderers but ewa and schedules)."""
        return self.renderer.simulates

    @property
    def renderer(self) -> Renderer:
        """The declaration of the renderer that draws it (:data:`landscape.render.RENDERERS`)."""
        return RENDERERS[self.kind]

    def __repr__(self) -> str:
        return f"<Recipe {self.name}: {self.kind} -> {self.output}>"

    # -- simulation -------------------------------------------------------------
    def simulate(self, backend: str = "cpu", progress: bool = False):
        """Run the recipe's simulation and return its :class:`~landscape.Result`.

        ``progress``: a tqdm bar for long fused CPU runs (see :func:`landscape.simulate`).

        Optimizers with their own ``noise`` run in separate launches (same
        surface, seed and starts, so no recompilation and common random
        numbers) whose results are joined in the recipe's order.  Mini-batch
        sizes need no separate launches: :func:`landscape.simulate` takes one
        per optimizer.
        """
        from ..engine import simulate

        if not self.simulates:
            raise RecipeError(
                f"{display(self.path)}: render.kind = {self.kind!r} simulates nothing"
            )
        check_backend(backend)
        opts = dict(self.simulate_options)
        base_noise = opts.pop("noise")
        groups: dict = {}
        for label in self.optimizers:
            nz = self.optimizer_noise.get(label, base_noise)
            key = None if nz is None else (nz.sigma, nz.batch_size)
            groups.setdefault(key, (nz, []))[1].append(label)
        parts = []
        for nz, labels in groups.values():
            sizes = {lb: self.batch_sizes[lb] for lb in labels} if self.batch_sizes else None
            try:
                res = simulate(
                    self.surface,
                    {lb: self.optimizers[lb] for lb in labels},
                    self.x0,
                    noise=nz,
                    batch_size=sizes,
                    backend=backend,
                    progress=progress,
                    **opts,
                )
            except RecipeError:
                raise
            except ValueError as exc:  # e.g. the memory estimate: name the file and the table
                raise RecipeError(one_line(f"{display(self.path)}: simulate: {exc}")) from None
            parts.append(res)
        if len(parts) == 1:
            return parts[0]
        return Result.concat(parts, order=list(self.optimizers))

    # -- rendering --------------------------------------------------------------
    def out_path(self, out=None, fmt=None) -> Path:
        """Where :meth:`run` writes.

        ``out`` is a file (its suffix picks the format) or a directory (an
        existing one, one ending in ``/`` or a name without suffix) that
        receives ``output``; by default ``gallery/<output>``.  ``fmt``
        ("gif", "mp4", "png") replaces the suffix of ``output``.
        """
        fmt = None if fmt is None else _fmt(fmt)
        if out is None or _is_dir(out):
            target = Path(DEFAULT_OUT_DIR if out is None else out) / self.output
            if fmt is not None:
                target = target.with_suffix(fmt)
        else:
            target = Path(out)
            if fmt is not None and target.suffix.lower() != fmt:
                raise RecipeError(
                    f"format {fmt[1:]!r} disagrees with the output file {str(target)!r}; "
                    "give one or the other"
                )
        _check_suffix(self, target.suffix)
        return target

    def evidence(self, result=None) -> _claims.Evidence:
        """What the recipe's claims are measured on: ``result`` or the figure's own data."""
        if self.kind == "ewa":
            ro = self.render_options
            days, seed = (ro.get(k, self.renderer.default(k)) for k in ("days", "seed"))
            return _claims.Evidence(ewa={"days": days, "seed": seed})
        if self.kind == "schedules":
            return _claims.Evidence(schedules=self.schedules)
        return _claims.Evidence(result=result, surface=self.surface)

    def check(self, result=None, backend: str = "cpu") -> list:
        """Measure the recipe's claims (simulating first unless ``result`` is given).

        Returns one :class:`landscape.claims.Verdict` per claim, in order.
        """
        if self.simulates and result is None and self.claims:
            result = self.simulate(backend)
        return _claims.check_all(self.claims, self.evidence(result))

    def run(self, out=None, **kw):
        """Simulate (when the renderer needs it), then render; returns the output path.

        Takes the arguments of :meth:`make`; the claims are measured too (use
        :meth:`make` to get them).
        """
        return self.make(out, **kw).path

    def make(
        self,
        out=None,
        *,
        backend: str = "cpu",
        fmt=None,
        scale: float = 1.0,
        max_frames: int | None = None,
        progress: bool = False,
    ) -> Made:
        """Simulate (when the renderer needs it), measure the claims, then render.

        Returns a :class:`Made`: the output path and the claims' verdicts,
        measured on the very Result that was drawn.

        Parameters
        ----------
        out : path, optional
            Output file, or a directory to write ``output`` into (default
            ``gallery/``).  Its suffix picks the format (.gif, .mp4, .png = last frame).
        backend : {"cpu", "cuda", "auto"}
            Simulation backend (``landscape.simulate``'s ``backend``).
        fmt : {"gif", "mp4", "png"}, optional
            Output format (replaces the suffix of ``output``).
        scale : float
            Multiplies the size in pixels (at least 16 a side).
        max_frames : int, optional
            At most this many animation frames (on top of the recipe's own limit).
        progress : bool
            Show progress bars (tqdm) on stderr.
        """
        ctx = Ctx(display(self.path))
        scale = ctx.check(V.positive, ("scale",), scale)
        if max_frames is not None:
            max_frames = ctx.check(V.integer, ("max_frames",), max_frames, minimum=1)
        target = self.out_path(out, fmt)
        spec = self.renderer
        ro = self.render_options
        frame = FrameOptions(
            **{k: ro[k] for k in FRAME_OPTIONS if k in ro}, title=self.title, progress=progress
        )
        frame = frame.scaled(scale).capped(max_frames)
        if self.animated:
            self._check_render_time(spec, frame)
        target.parent.mkdir(parents=True, exist_ok=True)

        if not spec.simulates:
            return Made(spec.call(target, frame, ro, schedules=self.schedules), self.check())
        with stage(f"{self.name}: simulate", progress):
            result = self.simulate(backend, progress)
        verdicts = self.check(result)
        return Made(spec.call(target, frame, ro, result=result, surface=self.surface), verdicts)

    def _check_render_time(self, spec: Renderer, frame: FrameOptions) -> None:
        """Refuse, before simulating, an animation that would take absurdly long to draw.

        The limits are read from the package at call time (tests patch
        ``landscape.recipes.SECONDS_PER_FRAME`` and ``MAX_RENDER_SECONDS``).
        """
        from .. import recipes as settings

        per_frame, limit = settings.SECONDS_PER_FRAME, settings.MAX_RENDER_SECONDS
        if self.simulates:
            every = self.simulate_options.get("record_every") or 1
            recorded = self.simulate_options["steps"] // every + 1
        else:
            recorded = spec.frame_count(self.render_options)
            if recorded is None:
                return
        max_frames, size = frame.max_frames, frame.size
        cap = spec.default("max_frames") or render.DEFAULT_MAX_FRAMES
        shown = min(recorded, cap if max_frames is None else max_frames)
        seconds = shown * per_frame * (size[0] * size[1]) / (800 * 450)
        if seconds > limit:
            raise RecipeError(
                f"{display(self.path)}: render.max_frames = {max_frames} would draw {shown} "
                f"frames of {size[0]}x{size[1]}, about {seconds / 3600:.1f} h at "
                f"{per_frame} s a frame; at most {limit // 60} min is "
                "rendered: lower max_frames (render.max_frames or --max-frames)"
            )


@dataclass(frozen=True)
class Made:
    """What :meth:`Recipe.make` wrote, and its claims measured on the run that was drawn."""

    path: Path
    verdicts: list

    @property
    def holds(self) -> bool:
        """Whether every claim holds."""
        return all(v.holds for v in self.verdicts)


def check_backend(backend) -> None:
    """Raise :class:`RecipeError` unless ``backend`` can run here.

    One of :data:`landscape._backend.BACKENDS`, and ``"cuda"`` only with a
    usable GPU (:func:`landscape._backend.check`).
    """
    try:
        _backend.check(backend)
    except ValueError as exc:
        raise RecipeError(str(exc)) from None


def _is_dir(out) -> bool:
    """``out`` names a directory: an existing one, one ending in ``/``, or no suffix."""
    p = Path(out)
    return p.is_dir() or str(out).endswith(("/", os.sep)) or not p.suffix


def _fmt(fmt) -> str:
    """``"gif"`` or ``".gif"`` (any case) as ``".gif"``, one of the output formats."""
    if not isinstance(fmt, str):
        raise RecipeError(f"format must be a string like 'gif', got {fmt!r}")
    f = fmt.lower()
    f = f if f.startswith(".") else "." + f
    allowed = render.FORMATS
    if f not in allowed:
        raise RecipeError(f"format must be one of {', '.join(a[1:] for a in allowed)}, got {fmt!r}")
    return f


def _check_suffix(recipe, suffix) -> None:
    """Refuse an output suffix the recipe cannot write (stills are only .png)."""
    allowed = render.FORMATS if recipe.animated else (render.STILL_FORMAT,)
    if suffix.lower() not in allowed:
        still = "" if recipe.animated else " (this recipe draws a still figure)"
        raise RecipeError(
            f"{display(recipe.path)}: output format must be one of "
            f"{', '.join(a[1:] for a in allowed)}{still}, got {suffix or 'no suffix'!r}"
        )


class stage:
    """A one-step tqdm bar (elapsed time) around a step that reports no progress.

    ``with stage("momentum_bowl: simulate", enabled): ...``
    """

    def __init__(self, desc, enabled):
        self.desc, self.enabled, self.bar = desc, enabled, None

    def __enter__(self):
        if self.enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=1,
                desc=self.desc,
                leave=False,
                file=sys.stderr,
                bar_format="{desc} ... {elapsed}",
            )
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.update(1)
            self.bar.close()
        return False
