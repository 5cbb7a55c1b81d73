"""The ``landscape`` command.

Errors in what the user asked for print one line and exit with status 2.

``landscape render RECIPE`` and ``landscape gallery`` write animations from
TOML recipes (:mod:`landscape.recipes`), by default into ``./gallery/``.
Progress bars go to stderr, only when it is a terminal, ``CI`` is unset and
``--quiet`` is not given.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import __version__, _backend
from ._backend import BACKENDS, CudaUnavailable
from .render import FORMATS, STILL_FORMAT

#: ``--format`` values: the output formats without their dot.
_FORMAT_NAMES = tuple(f.lstrip(".") for f in FORMATS)
_STILL = STILL_FORMAT.lstrip(".")


def _cmd_list(args) -> int:
    from . import compare, optim, schedules, surfaces

    print("surfaces:  " + ", ".join(surfaces.names()))
    print("optimizers: " + ", ".join(optim.names()))
    print("schedules: " + ", ".join(schedules.names()))
    print("scenarios: " + ", ".join(compare.SCENARIOS))
    failed = _list_recipes(measure=not args.no_measure, progress=_show_progress(args))
    return _claims_status(failed)


def _list_recipes(measure: bool, progress: bool) -> int:
    """Print every gallery recipe's lesson (and its claims, measured); returns the failures."""
    from . import recipes

    try:
        paths = recipes.gallery_paths()
    except recipes.RecipeError as exc:
        print(f"recipes:   none found ({exc})")
        return 0
    how = "each lesson's claims measured on a run of the recipe" if measure else "lessons"
    print(f"recipes (landscape render NAME, or landscape gallery for all; {how}):")
    failed = 0
    for path in paths:
        try:
            recipe = recipes.load(path)
        except recipes.RecipeError as exc:
            print(f"  {path.stem}: (invalid: {exc})")
            failed += 1
            continue
        print(f"  {recipe.name}: {recipe.lesson}")
        if measure:
            with recipes.stage(f"{recipe.name}: simulate", progress):
                verdicts = recipe.check()
            failed += _print_verdicts(verdicts)
        else:
            for c in recipe.claims:
                print(f"      - {c.says}")
    return failed


def _print_verdicts(verdicts, indent="      ") -> int:
    """Print each claim's verdict; returns how many do not hold."""
    for v in verdicts:
        print(f"{indent}{v.text}", flush=True)
    return sum(not v.holds for v in verdicts)


def _claims_status(failed: int) -> int:
    if failed:
        print(
            f"landscape: {failed} claim(s) of a lesson do not hold (marked FAILS above)",
            file=sys.stderr,
        )
        return 1
    return 0


def _show_progress(args) -> bool:
    return not args.quiet and sys.stderr.isatty() and not os.environ.get("CI")


def _number(text, flag, kind, minimum=None, positive=False):
    """Parse a numeric option ourselves so a bad value is a one-line error."""
    if text is None:
        return None
    try:
        value = kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{flag} must be {what}, got {text!r}") from None
    if positive and not value > 0:
        raise ValueError(f"{flag} must be > 0, got {text!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{flag} must be >= {minimum}, got {text!r}")
    return value


def _run_options(args) -> dict:
    if args.backend not in BACKENDS:
        raise ValueError(f"--backend must be one of {', '.join(BACKENDS)}, got {args.backend!r}")
    fmt = args.format
    if fmt is not None:
        fmt = fmt.lower().lstrip(".")
        if fmt not in _FORMAT_NAMES:
            allowed = ", ".join(_FORMAT_NAMES)
            raise ValueError(f"--format must be one of {allowed}, got {args.format!r}")
    _backend.check(args.backend)  # cuda without a GPU: fail before any work
    return {
        "backend": args.backend,
        "fmt": fmt,
        "scale": _number(args.scale, "--scale", float, positive=True),
        "max_frames": _number(args.max_frames, "--max-frames", int, minimum=1),
        "progress": _show_progress(args),
    }


def _cmd_render(args) -> int:
    from . import recipes

    opts = _run_options(args)
    recipe = recipes.load(recipes.find(args.recipe))
    if opts["fmt"] is not None and not recipe.animated and opts["fmt"] != _STILL:
        raise ValueError(
            f"{args.recipe}: draws a still figure; --format must be {_STILL}, got {opts['fmt']!r}"
        )
    t0 = time.perf_counter()
    made = recipe.make(args.output, **opts)
    print(f"{made.path}  {time.perf_counter() - t0:.1f} s")
    print(f"  lesson: {recipe.lesson}")
    return _claims_status(_print_verdicts(made.verdicts, "    "))


def _cmd_gallery(args) -> int:
    from . import recipes

    opts = _run_options(args)
    paths = recipes.gallery_paths()
    by_name = {p.stem: p for p in paths}
    if args.only:
        for name in args.only:
            if name not in by_name:
                raise ValueError(
                    f"--only {name!r} is not a gallery recipe; choose from {', '.join(by_name)}"
                )
        paths = [by_name[n] for n in dict.fromkeys(args.only)]
    chosen = [recipes.load(p) for p in paths]  # validate every recipe before rendering any
    out_dir = args.output if args.output is not None else recipes.DEFAULT_OUT_DIR
    if os.path.splitext(str(out_dir))[1] and not os.path.isdir(out_dir):
        raise ValueError(f"-o must be a directory for the gallery, got {out_dir!r}")
    out_dir = os.path.join(out_dir, "")
    t_all = time.perf_counter()
    failed = 0
    for recipe in chosen:
        kw = dict(opts)
        if kw["fmt"] not in (None, _STILL) and not recipe.animated:
            kw["fmt"] = None  # still figures stay .png
        t0 = time.perf_counter()
        made = recipe.make(out_dir, **kw)
        print(f"{made.path}  {time.perf_counter() - t0:.1f} s", flush=True)
        print(f"  lesson: {recipe.lesson}")
        failed += _print_verdicts(made.verdicts, "    ")
    total = time.perf_counter() - t_all
    print(f"{len(chosen)} files in {total:.1f} s -> {out_dir}")
    return _claims_status(failed)


def _add_run_arguments(s) -> None:
    s.add_argument(
        "--backend",
        default="cpu",
        metavar="{" + ",".join(BACKENDS) + "}",
        help="simulation backend (default cpu)",
    )
    s.add_argument(
        "--format",
        default=None,
        metavar="{" + ",".join(_FORMAT_NAMES) + "}",
        help=f"output format ({_STILL}: the last frame); default: the recipe's output",
    )
    s.add_argument(
        "--scale", default="1.0", metavar="S", help="multiply the picture size by S (default 1)"
    )
    s.add_argument("--max-frames", default=None, metavar="N", help="at most N animation frames")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def _cmd_compare(args) -> int:
    from . import compare

    n = _number(args.n, "--n", int, minimum=1)
    seed = _number(args.seed, "--seed", int, minimum=0)
    try:
        results = compare.run(args.scenario, n=n, seed=seed, dtype=args.dtype)
    except ValueError as exc:  # name the option as typed: --n, not n
        msg = str(exc)
        raise ValueError("--n" + msg[1:] if msg.startswith("n: ") else msg) from None
    return _claims_status(sum(not v.holds for _, vs in results.values() for v in vs))


def _cmd_bench(args) -> int:
    from . import bench

    bench.run(args)
    return 0


def _cmd_formula(args) -> int:
    from . import surfaces

    params = {}
    for item in args.param or []:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(f"--param must be NAME=VALUE, got {item!r}")
        params[key.strip()] = _number(value.strip(), f"--param {key.strip()}", float)
    dim = _number(args.dim, "--dim", int, minimum=1)
    bounds = None
    if args.bounds is not None:
        lo, hi = (_number(v, "--bounds", float) for v in args.bounds)
        if not hi > lo:
            raise ValueError(f"--bounds must be LOW HIGH with LOW < HIGH, got {lo:g} {hi:g}")
        bounds = [lo, hi]
    surf = surfaces.expression(args.text, params, dim=dim, bounds=bounds)
    names = "x, y, z".split(", ") if surf.dim <= 3 else [f"x{k + 1}" for k in range(surf.dim)]
    shown = ", ".join(f"{k}={v:g}" for k, v in params.items()) or "none"
    print(f"{args.text}\n  dimension {surf.dim}; parameters: {shown}")
    box = "  ".join(
        f"{n} in [{lo:.3g}, {hi:.3g}]" for n, (lo, hi) in zip(names, surf.bounds, strict=False)
    )
    print(f"  box: {box}" if surf.dim <= 3 else f"  box (per coordinate): [{surf.bounds[0, 0]:.3g}, "
          f"{surf.bounds[0, 1]:.3g}]")  # fmt: skip
    where = "the given box" if bounds is not None else "[-5, 5] per coordinate"
    print(f"  critical points (Newton's method from many starts in {where}; type by the Hessian):")
    for attr, label in (("minima", "minimum"), ("saddles", "saddle"), ("maxima", "maximum")):
        pts = getattr(surf, attr)
        if len(pts) == 0:
            continue
        values = surf.value(pts)
        for p, f in list(zip(pts, values, strict=True))[:8]:
            at = ", ".join(f"{v:.4g}" for v in p[:6]) + (", ..." if len(p) > 6 else "")
            print(f"    {label:8} ({at})  f = {f:.6g}")
        if len(pts) > 8:
            print(f"    ... {len(pts) - 8} more {attr}")
    if not sum(len(getattr(surf, a)) for a in ("minima", "saddles", "maxima")):
        print("    none found")
    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from .render import _maps

        if surf.dim < 2:
            raise ValueError("-o: a map needs at least 2 coordinates")
        field = _maps.surface_field(surf, _maps.anchor_of(surf, None))
        fig, ax = plt.subplots(figsize=(6, 5), dpi=120)
        handles = _maps.draw_map(ax, surf, field, fontsize=9)
        if handles:
            ax.legend(handles=handles, fontsize=8, loc="upper right")
        ax.set_title(f"${surf.formula}$" if len(surf.formula) < 120 else args.text, fontsize=9)
        fig.tight_layout()
        fig.savefig(args.output)
        plt.close(fig)
        print(f"wrote {args.output}")
    return 0


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def _cmd_cache(args) -> int:
    from . import _cache

    root = _cache.cache_root()
    if args.action == "clear":
        n = len(_cache.entries(root))
        freed = _cache.clear(root)
        print(f"removed {n} compiled kernel(s), {_size(freed)}, from {root}")
        return 0
    if args.action == "warm":
        from . import _warm

        if not _cache.enabled():
            raise ValueError("the kernel cache is off (LANDSCAPE_CACHE=0): nothing to warm")
        dtypes = args.dtype or ["float64"]
        jobs = _positive_int("--jobs", args.jobs)
        todo, skipped = _warm.plan(args.surface)
        print(f"compiling into {_cache.entry_dir()} ({', '.join(dtypes)}):")
        for s in skipped:
            print(f"  skipped {s}")
        failed = _warm.warm(todo, dtypes, jobs=jobs)
        return 1 if failed else 0
    # show
    where = next(
        (f"${v}" for v in ("LANDSCAPE_CACHE_DIR", "NUMBA_CACHE_DIR") if os.environ.get(v)), None
    )
    state = "on" if _cache.enabled() else "off (LANDSCAPE_CACHE=0: kernels compile in memory)"
    print(f"kernel cache: {root}" + (f" (from {where})" if where else ""))
    print(f"state: {state}")
    found = _cache.entries(root)
    here = str(_cache.entry_dir().relative_to(root))
    total = sum(e.size for e in found)
    print(f"{len(found)} compiled kernel(s), {_size(total)}; this environment: {here}")
    groups: dict = {}
    for e in found:
        g = groups.setdefault((e.environment, e.function), [0, 0, 0])
        g[0] += 1
        g[1] += e.size
        g[2] += not e.valid
    for (env, fn), (count, size, bad) in sorted(groups.items()):
        mark = "" if env == here else f"  [{env}]"
        note = f"  ({bad} unreadable)" if bad else ""
        print(f"  {count:4d}  {_size(size):>9}  {fn}{mark}{note}")
    return 0


def _positive_int(name: str, value) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = -1
    if n < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``landscape`` command."""
    p = argparse.ArgumentParser(
        prog="landscape",
        description="Make the behaviour of optimization algorithms visible and measurable.",
    )
    p.add_argument("--version", action="version", version=f"landscape {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "list",
        help="list surfaces, optimizers, schedules, scenarios and recipes with their lessons "
        "(each claim measured on a run of the recipe)",
    )
    s.add_argument(
        "--no-measure",
        action="store_true",
        help="list the lessons and claims without simulating the recipes",
    )
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(func=_cmd_list)

    s = sub.add_parser("compare", help="simulate optimizer comparisons and print tables")
    s.add_argument("scenario", nargs="*", help="scenarios to run (default: all)")
    # parsed in _cmd_compare: a bad value is one line, not argparse's usage block
    s.add_argument("--n", default="4096", help="starts per optimizer (default 4096)")
    s.add_argument("--seed", default="0")
    s.add_argument("--dtype", default="float64", choices=["float32", "float64"])
    s.set_defaults(func=_cmd_compare)

    s = sub.add_parser("bench", help="benchmark the fused engine against NumPy and JAX")
    from .bench import add_arguments

    add_arguments(s)
    s.set_defaults(func=_cmd_bench)

    s = sub.add_parser("render", help="simulate and render one recipe (animations/*.toml)")
    s.add_argument("recipe", help="a recipe file, or the name of a gallery recipe")
    s.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="OUT",
        help="output file (its suffix picks the format) or directory "
        "(default: gallery/<the recipe's output>)",
    )
    _add_run_arguments(s)
    s.set_defaults(func=_cmd_render)

    s = sub.add_parser("gallery", help="render every gallery recipe (animations/*.toml)")
    s.add_argument(
        "-o", "--output", default=None, metavar="DIR", help="output directory (default: gallery/)"
    )
    s.add_argument(
        "--only",
        nargs="+",
        default=None,
        metavar="NAME",
        help="render only these recipes (names as in `landscape list`)",
    )
    _add_run_arguments(s)
    s.set_defaults(func=_cmd_gallery)

    s = sub.add_parser(
        "formula",
        help="a surface from your formula: its critical points, and a map (-o FILE.png)",
        description="Read a formula as a surface (see README, 'Your own surfaces'): print its "
        "dimension, plotting box and critical points; -o draws its contour map. To race "
        'optimizers on it, put it in a recipe: [surface] expression = "...".',
    )
    s.add_argument("text", help='the formula, e.g. "x**2 - y**2 + 0.25*(x**4 + y**4)"')
    s.add_argument(
        "--param", action="append", metavar="NAME=VALUE", help="a parameter (repeatable)"
    )
    s.add_argument("--dim", default=None, help="dimension (for sums over x[i])")
    s.add_argument("--bounds", nargs=2, default=None, metavar=("LOW", "HIGH"),
                   help="the box of every coordinate (default: around the critical points)")  # fmt: skip
    s.add_argument("-o", "--output", default=None, metavar="FILE.png", help="draw the contour map")
    s.set_defaults(func=_cmd_formula)

    s = sub.add_parser(
        "cache",
        help="show where compiled kernels are kept and what is there; clear or warm it",
        description="Compiled kernels are kept on disk so that later runs start at once. "
        "`landscape cache` shows where, how much and what; `clear` empties it; `warm` "
        "compiles the built-in surfaces ahead of time (e.g. after install).",
    )
    s.add_argument("action", nargs="?", default="show", choices=["show", "clear", "warm"])
    s.add_argument(
        "surface", nargs="*", help="warm: surfaces to compile (default: every built-in surface)"
    )
    s.add_argument(
        "--dtype",
        action="append",
        choices=["float32", "float64"],
        help="warm: precision to compile for (repeatable; default float64)",
    )
    s.add_argument("--jobs", default="0", help="warm: worker processes (default: one per CPU core)")
    s.set_defaults(func=_cmd_cache)

    s = sub.add_parser(
        "explore",
        help="the live explorer in your browser: change a knob, watch the runs re-simulate",
        description="Serve the explorer on this machine (http://127.0.0.1:PORT/explore) and "
        "open it. RECIPE: a gallery recipe to start from (e.g. momentum_bowl) or a recipe "
        'file. Needs the explore extra: pip install "landscape[explore]". Ctrl-C stops it.',
    )
    s.add_argument("recipe", nargs="?", default=None, help="gallery recipe name or recipe file")
    s.add_argument("--port", default="5006", help="port (default 5006)")
    s.add_argument("--address", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only)")  # fmt: skip
    s.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    s.add_argument("--draw", default="canvas", choices=["canvas", "webgl"],
                   help="how the map draws: the 2-D canvas (default) or WebGL (a graphics card)")  # fmt: skip
    s.set_defaults(func=_cmd_explore)

    s = sub.add_parser(
        "sweep",
        help="run a study (a grid of optimizers, hyperparameters, surfaces, noise, seeds) on "
        "Dask into a Zarr store",
        description="Run the study SPEC.toml (see README, 'Studies on a cluster') as Dask tasks "
        "and store it in OUT.zarr as they finish; an interrupted study resumes. Needs the sweep "
        'extra: pip install "landscape[sweep]".',
    )
    s.add_argument("spec", help="the study file (TOML)")
    s.add_argument("-o", "--output", required=True, metavar="OUT.zarr", help="the Zarr store")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a Dask scheduler, e.g. tcp://host:8786 (default: a local cluster)")  # fmt: skip
    s.add_argument("--workers", default=None,
                   help="local cluster: worker processes (default: one per core; 0: this process)")  # fmt: skip
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=_cmd_sweep)
    return p


def _cmd_sweep(args) -> int:
    """``landscape sweep``: check the study, then run it."""
    workers = None if args.workers is None else _positive_int("--workers", args.workers)
    try:
        from . import study
    except ImportError as exc:
        raise ImportError(f'landscape sweep needs pip install "landscape[sweep]" ({exc})') from None
    if workers is not None and args.scheduler is not None:
        raise ValueError("--workers sizes a local cluster: give --workers or --scheduler, not both")
    st = study.load(Path(args.spec))
    try:
        ds = study.run(st, args.output, scheduler=args.scheduler, workers=workers,
                       progress=not args.quiet)  # fmt: skip
    except KeyboardInterrupt:
        stored, total = study.stored_tasks(args.output)
        print(f"landscape sweep: interrupted; {stored} of {total} tasks are stored in "
              f"{args.output}: run the same command again to resume", file=sys.stderr)  # fmt: skip
        return 130
    sizes = ", ".join(f"{k}={v}" for k, v in ds.sizes.items() if k != "chunk")
    print(f"{args.output}: sizes {sizes}")
    return 0


def _cmd_explore(args) -> int:
    """``landscape explore``: check everything, then serve until Ctrl-C."""
    port = _positive_int("--port", args.port)
    if not 1 <= port <= 65535:
        raise ValueError(f"--port must be in 1..65535, got {args.port!r}")
    from . import explorer

    explorer._require()
    state = explorer._state(args.recipe)  # a bad recipe name or file: one line, before serving
    problem = state.problem()
    if problem is not None:
        raise problem
    print(f"landscape explorer: http://{args.address}:{port}/explore  (Ctrl-C stops it)",
          flush=True)  # fmt: skip
    explorer.serve(state, port=port, address=args.address, show=not args.no_browser,
                   backend=args.draw)  # fmt: skip
    return 0


def main(argv=None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ValueError, OSError, CudaUnavailable, ImportError) as exc:
        msg = " ".join(str(exc).split())
        print(f"landscape {args.command}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("landscape: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
