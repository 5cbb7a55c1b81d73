"""Reading a recipe file: every key checked before anything runs."""

from __future__ import annotations

from pathlib import Path

from .. import render
from ..render import RENDERERS, RunFacts
from ._recipe import Recipe
from ._schema import Ctx, choice, display, nonempty_string, read_toml, require, table, unknown
from ._sections import (
    batch_sizes,
    check_sim_memory,
    read_claims,
    read_optimizers,
    read_render,
    read_schedule,
    read_simulate,
    read_starts,
    read_surface,
    run_facts,
)

__all__ = ["from_dict", "load"]

#: The top-level keys of a recipe.
_TOP = [
    "title",
    "lesson",
    "claims",
    "output",
    "surface",
    "optimizers",
    "starts",
    "simulate",
    "render",
    "schedules",
]


def load(path) -> Recipe:
    """Read and validate the recipe at ``path``; raise :class:`RecipeError` if it is wrong."""
    path = Path(path)
    ctx = Ctx(display(path))
    return _read(ctx, read_toml(path, ctx), path, path.stem)


def from_dict(data, name: str = "recipe", *, source: str | None = None, surfaces=None) -> Recipe:
    """Validate a recipe given as the table its TOML would load to (what the explorer edits).

    ``name`` is the recipe's name (its default output is ``<name>.gif``);
    errors name ``source`` (default ``<name>``) where they would name a file.
    ``surfaces``: an optional dict that caches the built surfaces by their
    table, so that a caller re-validating edits keeps one surface object (and
    its compiled kernels) per surface table.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be an identifier (letters, digits, _), got {name!r}")
    source = f"<{name}>" if source is None else str(source)
    ctx = Ctx(source)
    if not isinstance(data, dict):
        raise ctx.file_error(f"must be a table (a dict), got {type(data).__name__}")
    return _read(ctx, data, Path(source), name, surfaces)


def _read(ctx, data: dict, path: Path, name: str, surface_cache=None) -> Recipe:
    """The :class:`Recipe` of the loaded table ``data`` (every key checked)."""
    unknown(ctx, (), data, _TOP, what="top-level key")
    for key in ("title", "lesson"):
        require(ctx, (), data, key)
        nonempty_string(ctx, (key,), data[key])
    require(
        ctx, (), data, "render", f" (a [render] table with kind = one of {', '.join(RENDERERS)})"
    )
    rtab = table(ctx, ("render",), data["render"])
    require(ctx, ("render",), rtab, "kind", f" (one of {', '.join(RENDERERS)})")
    kind = choice(ctx, ("render", "kind"), rtab["kind"], RENDERERS)
    spec = RENDERERS[kind]

    surf, opts, noises, batches, x0, sim, scheds = None, {}, {}, {}, None, {}, {}
    facts = RunFacts()
    draws_schedules = [k for k, d in RENDERERS.items() if "schedules" in d.inputs]
    only_for = f"is only used by render.kind = {' or '.join(map(repr, draws_schedules))}"
    if spec.simulates:
        for key in ("surface", "optimizers", "starts", "simulate"):
            require(ctx, (), data, key, f" (render.kind = {kind!r} simulates)")
        if "schedules" in data:
            raise ctx.error(("schedules",), only_for)
        surf = read_surface(ctx, data["surface"], surface_cache)
        if spec.needs_2d and surf.dim != 2:
            raise ctx.error(
                ("render", "kind"),
                f"= {kind!r} draws a 2-D surface, but surface {surf.name} has dim = {surf.dim}",
            )
        opts, noises, own_batches = read_optimizers(ctx, data["optimizers"])
        x0 = read_starts(ctx, data["starts"], surf.dim, surf)
        sim = read_simulate(ctx, data["simulate"], surf.dim, len(x0), int(spec.needs_frames), surf)
        check_sim_memory(ctx, sim, len(opts), len(x0), surf.dim)
        batches = batch_sizes(ctx, surf, data, opts, own_batches, sim.pop("batch_size", None))
        if spec.needs_frames and sim["record_every"] == 0:
            raise ctx.error(
                ("simulate", "record_every"),
                f"must be >= 1: render.kind = {kind!r} draws recorded frames",
            )
        facts = run_facts(sim, len(x0), surf)
    else:
        for key in ("surface", "optimizers", "starts", "simulate"):
            if key in data:
                raise ctx.error(
                    (key,),
                    f"is not used by render.kind = {kind!r} (it simulates nothing); remove it",
                )
        if "schedules" in spec.inputs:
            require(ctx, (), data, "schedules", " (a table label -> { name = ..., ... })")
            stab = table(
                ctx, ("schedules",), data["schedules"], "a table label -> { name = ..., ... }"
            )
            if not stab:
                raise ctx.error(("schedules",), "must name at least one schedule")
            scheds = {lb: read_schedule(ctx, ("schedules", lb), s) for lb, s in stab.items()}
        elif "schedules" in data:
            raise ctx.error(("schedules",), only_for)

    kind, ropts = read_render(ctx, rtab, facts)
    animated = spec.is_animated(ropts)
    claims = read_claims(ctx, data.get("claims", []), kind, list(opts), sim, scheds, surf)

    default_output = name + (render.ANIMATION_FORMAT if animated else render.STILL_FORMAT)
    output = default_output
    if "output" in data:
        output = nonempty_string(ctx, ("output",), data["output"])
        if Path(output).name != output or output in (".", ".."):
            raise ctx.error(("output",), f"must be a file name without directories, got {output!r}")
        allowed = render.FORMATS if animated else (render.STILL_FORMAT,)
        if Path(output).suffix.lower() not in allowed:
            still = "" if animated else " (this renderer draws a still figure)"
            raise ctx.error(("output",), f"must end in {', '.join(allowed)}{still}, got {output!r}")
    return Recipe(
        path=path,
        name=name,
        title=data["title"],
        lesson=data["lesson"],
        output=output,
        kind=kind,
        render_options=ropts,
        animated=animated,
        surface=surf,
        optimizers=opts,
        optimizer_noise=noises,
        batch_sizes=batches,
        x0=x0,
        simulate_options=sim,
        schedules=scheds,
        claims=claims,
    )
