"""Startup benchmark (issue #14, "How fast"): cold vs warm kernel cache.

Every measurement runs in a fresh Python process (``sys.executable``), once
with a **cold** cache (``LANDSCAPE_CACHE_DIR`` set to a new, empty
``tempfile.mkdtemp()``) and then ``--repeat`` times **warm** (the same
directory, which the cold run filled).  Each child times itself from its
first statement, imports included, to the end of its work ("time") and
to the end of ``import landscape`` ("import"); the parent also times the
whole process, interpreter start and exit included ("process").  The child counts Numba compilations with Numba's event API
(``numba:compile``): "top" counts the compiles started outside another
compile (one per kernel the run needed), "all" every one, nested helpers
included; a cache hit is not a compile, so a warm run should show 0.

What is measured:

1. the first finished ``ls.simulate`` on a 2-D surface (Rosenbrock,
   float64, 10 starts, 5 Adam steps), import included; target <= 1 s warm;
2. ``landscape render momentum_bowl -q`` (the recipe's own format);
   target <= 5 s warm;
3. ``landscape gallery -q`` over every recipe (``--format png`` by default,
   see ``--gallery-format``); target: warm <= half of cold
   (slow: ``--skip-gallery``);
4. the first simulate per surface family (Rosenbrock float32, other 2-D
   classics, a 100-D Rastrigin, a finite sum with mini-batches, a random
   surface in the batched engine), cold and warm;
5. with ``--suite`` only (very slow): ``python -m pytest -q -x -p
   no:cacheprovider tests`` with the cache off (``LANDSCAPE_CACHE=0``), then
   once with a cold cache directory (which warms it), then warm.

Targets are checked against the slowest warm "time".  The children import
``landscape`` from this checkout (its root goes first on ``PYTHONPATH``) and
inherit the rest of the environment (``NUMBA_NUM_THREADS`` included); the
commands write their files into temporary directories.  Before the cache
exists (``landscape/_cache.py``) both variables are ignored and warm runs
are as slow as cold ones.

    python scripts/bench_startup.py                     # items 1-4, about 5 min on 2 cores
    python scripts/bench_startup.py --skip-gallery --repeat 1
    python scripts/bench_startup.py --quick             # item 1 only, one warm run (smoke test)
    python scripts/bench_startup.py --suite --json startup.json
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The child process: ``python -c _CHILD SPEC RESULT``.  It times itself from
#: its first statement, counts compilations, runs SPEC (a JSON object: a
#: ``simulate`` or a module run as ``python -m``) and writes its numbers as
#: JSON to the file RESULT.
_CHILD = r"""
import time
_t0 = time.perf_counter()
import json
import sys

from numba.core import event as _ev


class _Compiles(_ev.Listener):
    # numba:compile events; nested ones are compiles of callees while typing a caller
    def __init__(self):
        self.depth = self.top = self.all = 0
        self.seconds = 0.0
        self.names = []

    def on_start(self, event):
        if self.depth == 0:
            self.top += 1
            self._start = time.perf_counter()
            func = getattr(event.data["dispatcher"], "py_func", None)
            self.names.append(getattr(func, "__qualname__", "?"))
        self.all += 1
        self.depth += 1

    def on_end(self, event):
        self.depth -= 1
        if self.depth == 0:
            self.seconds += time.perf_counter() - self._start


_compiles = _Compiles()
_ev.register("numba:compile", _compiles)
_spec, _result = json.loads(sys.argv[1]), sys.argv[2]
_status, _engine, _import_seconds = 0, None, None
if _spec.get("import_first", True):
    import landscape

    _import_seconds = time.perf_counter() - _t0
if _spec["kind"] == "simulate":
    import numpy as np

    import landscape as ls

    _surf = ls.surfaces.make(_spec["surface"], **_spec["params"])
    _opt = ls.optim.make(_spec["optimizer"], **_spec["hyper"])
    _x0 = np.zeros((_spec["n"], _surf.dim))
    _res = ls.simulate(_surf, _opt, _x0, _spec["steps"], **_spec["options"])
    _engine = _res.config.get("engine", "fused")
else:
    import runpy

    sys.argv = [_spec["module"], *_spec["argv"]]
    try:
        runpy.run_module(_spec["module"], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        _status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
_seconds = time.perf_counter() - _t0
with open(_result, "w", encoding="utf-8") as _f:
    json.dump({
        "seconds": _seconds, "import_seconds": _import_seconds, "status": _status,
        "engine": _engine,
        "compiles": _compiles.top, "compiles_all": _compiles.all,
        "compile_seconds": _compiles.seconds, "compiled": _compiles.names,
        "cache_module": "landscape._cache" in sys.modules,
    }, _f)
"""


class ChildFailed(RuntimeError):
    """A child process ended without writing its result."""


@dataclass
class Run:
    """One child process: its own timing and compile counts, and the parent's."""

    seconds: float  # in the child, from its first statement (imports included)
    import_seconds: float | None  # in the child, to the end of `import landscape`
    process: float  # in the parent: process start to exit
    status: int  # the command's exit status (0 for a simulate)
    compiles: int  # top-level numba:compile events
    compiles_all: int  # every numba:compile event, nested ones included
    compile_seconds: float  # time inside top-level compiles
    compiled: list  # qualified names of the top-level compiled functions
    cache_module: bool  # whether landscape._cache was imported
    engine: str | None  # the engine a simulate ran in
    cache_files: int  # files in the cache directory after the run
    cache_bytes: int


@dataclass
class Measurement:
    """What a child runs, and the target its warm runs are checked against."""

    name: str
    section: str
    spec: dict
    target_s: float | None = None  # warm time at most this
    target_vs_cold: float | None = None  # warm time at most this fraction of the cold time
    in_repo: bool = False  # run in the repository root (else in a fresh temporary directory)
    with_disabled: bool = False  # also run once with LANDSCAPE_CACHE=0
    warm_runs: int | None = None  # None: --repeat
    phases: dict = field(default_factory=dict)  # phase -> list of Run
    error: str | None = None


def tree_size(path: Path) -> tuple[int, int]:
    """Number of files under ``path`` and their total size in bytes."""
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def child_env(cache_dir: Path, enabled: bool = True) -> dict:
    """The inherited environment, this checkout first on the path, and the cache's settings."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["LANDSCAPE_CACHE_DIR"] = str(cache_dir)
    if enabled:
        env.pop("LANDSCAPE_CACHE", None)
    else:
        env["LANDSCAPE_CACHE"] = "0"
    return env


def run_child(spec: dict, cache_dir: Path, *, enabled=True, in_repo=False, timeout=None) -> Run:
    """Run ``spec`` in a fresh process against ``cache_dir``; its timing and compile counts."""
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        result = Path(tmp) / "result.json"
        cmd = [sys.executable, "-c", _CHILD, json.dumps(spec), str(result)]
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, cwd=ROOT if in_repo else tmp, env=child_env(cache_dir, enabled),
                capture_output=True, text=True, timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise ChildFailed(f"timed out after {timeout} s") from None
        process = time.perf_counter() - t0
        if not result.exists():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
            raise ChildFailed(f"exit {proc.returncode}: " + " | ".join(tail))
        data = json.loads(result.read_text(encoding="utf-8"))
    files, size = tree_size(cache_dir)
    return Run(process=process, cache_files=files, cache_bytes=size, **data)


def measure(m: Measurement, repeat: int, timeout: float | None) -> None:
    """Fill ``m.phases``: [disabled,] cold in a new directory, then warm in the same one."""
    plan = [("disabled", False, 1)] if m.with_disabled else []
    plan += [("cold", True, 1), ("warm", True, m.warm_runs or repeat)]
    cache_dir = Path(tempfile.mkdtemp(prefix="landscape_cache_"))
    off_dir = Path(tempfile.mkdtemp(prefix="landscape_nocache_"))
    try:
        for phase, enabled, runs in plan:
            for i in range(runs):
                print(f"  {m.name}: {phase} {i + 1}/{runs} ...", end="", flush=True)
                run = run_child(m.spec, cache_dir if enabled else off_dir, enabled=enabled,
                                in_repo=m.in_repo, timeout=timeout)  # fmt: skip
                m.phases.setdefault(phase, []).append(run)
                print(f" {run.seconds:.2f} s, {run.compiles} compiles", flush=True)
    except ChildFailed as exc:
        m.error = str(exc)
        print(f" FAILED: {exc}", flush=True)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
        shutil.rmtree(off_dir, ignore_errors=True)


# --------------------------------------------------------------------------
# what is measured
# --------------------------------------------------------------------------
def simulate_spec(surface, params=None, dtype="float64", **options) -> dict:
    """A first simulate: 10 starts at the origin, 5 Adam steps (lr 0.01)."""
    return {
        "kind": "simulate", "surface": surface, "params": params or {},
        "optimizer": "adam", "hyper": {"lr": 0.01}, "n": 10, "steps": 5,
        "options": {"dtype": dtype, **options},
    }  # fmt: skip


def cli_spec(*argv) -> dict:
    """``landscape ARGV`` (run as ``python -m landscape.cli``)."""
    return {"kind": "module", "module": "landscape.cli", "argv": list(argv)}


def _call(surface, params) -> str:
    return f"{surface}({', '.join(f'{k}={v}' for k, v in params.items())})"


#: The first simulate per surface family: (surface, parameters, dtype, options).
FAMILIES = [
    ("rosenbrock", {}, "float32", {}),
    ("himmelblau", {}, "float64", {}),
    ("beale", {}, "float64", {}),
    ("rastrigin", {"dim": 100}, "float64", {}),
    ("linear_regression", {"m": 50}, "float64", {"batch_size": 5}),
    ("gaussian_field", {"dim": 64, "features": 256}, "float64", {}),
]


def measurements(args) -> list[Measurement]:
    """The measurements the command line asked for, in order."""
    first = "first simulate, import included (10 starts, 5 Adam steps)"
    out = [Measurement("rosenbrock() float64", first, simulate_spec("rosenbrock"), target_s=1.0)]
    if args.quick:
        return out
    for surface, params, dtype, options in FAMILIES:
        name = " ".join([_call(surface, params), dtype, *(f"{k}={v}" for k, v in options.items())])
        out.append(Measurement(name, first, simulate_spec(surface, params, dtype, **options)))
    commands = "landscape command, import included"
    out.append(Measurement(
        "landscape render momentum_bowl -q", commands,
        cli_spec("render", "momentum_bowl", "-o", "out", "-q"), target_s=5.0,
    ))  # fmt: skip
    if not args.skip_gallery:
        fmt = [] if args.gallery_format == "recipe" else ["--format", args.gallery_format]
        out.append(Measurement(
            "landscape gallery -q " + " ".join(fmt), commands,
            cli_spec("gallery", "-o", "out", "-q", *fmt), target_vs_cold=0.5,
        ))  # fmt: skip
    if args.suite:
        out.append(Measurement(
            "python -m pytest -q -x -p no:cacheprovider tests", "test suite",
            {"kind": "module", "module": "pytest",
             "argv": ["-q", "-x", "-p", "no:cacheprovider", "tests"], "import_first": False},
            in_repo=True, with_disabled=True, warm_runs=1,
        ))  # fmt: skip
    return out


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------
def machine_info() -> dict:
    """CPUs, versions, threads, the checkout's commit and whether the cache module exists."""
    import numba
    import numpy

    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            rows = (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
            model = next(rows, "")
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpus": os.cpu_count(), "cpus_usable": affinity, "cpu_model": model,
        "platform": platform.platform(), "python": platform.python_version(),
        "numba": numba.__version__, "numpy": numpy.__version__,
        "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS"),
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "commit": commit, "cache_module_present": (ROOT / "landscape" / "_cache.py").exists(),
        "load_average_start": load_average(),
    }  # fmt: skip


def load_average() -> float | None:
    """The 1-minute load average (other work on the machine slows every number down)."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else None


def span(values, fmt="{:.2f}") -> str:
    """``a`` or ``min–max``."""
    lo, hi = fmt.format(min(values)), fmt.format(max(values))
    return lo if lo == hi else f"{lo}–{hi}"


def verdict(m: Measurement) -> str:
    """The warm runs against the measurement's target ('' when it has none)."""
    warm = m.phases.get("warm")
    if not warm or (m.target_s is None and m.target_vs_cold is None):
        return ""
    worst = max(r.seconds for r in warm)
    if m.target_s is not None:
        limit, words = m.target_s, f"≤ {m.target_s:g} s"
    else:
        limit = m.target_vs_cold * m.phases["cold"][0].seconds
        words = f"≤ {m.target_vs_cold:g}× cold = {limit:.1f} s"
    return f"{words}: {'met' if worst <= limit else 'NOT met'}"


def table(ms: list[Measurement]) -> str:
    """One Markdown table: a row per measurement and phase."""
    head = ["measurement", "cache", "time (s)", "import (s)", "process (s)", "compiles top/all",
            "compiling (s)", "cache files", "target"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    section = None
    for m in ms:
        if m.section != section:
            section = m.section
            lines.append(f"| **{section}** |" + " |" * (len(head) - 1))
        for phase, runs in m.phases.items():
            time_cell = span([r.seconds for r in runs])
            bad = sorted({r.status for r in runs if r.status})
            if bad:
                time_cell += " (exit " + ", ".join(map(str, bad)) + ")"
            engine = runs[0].engine
            label = m.name + (f" [{engine}]" if engine and engine != "fused" else "")
            cells = [
                label if phase == next(iter(m.phases)) else "",
                phase + (f" ×{len(runs)}" if len(runs) > 1 else ""),
                time_cell,
                span([r.import_seconds for r in runs]) if runs[0].import_seconds else "",
                span([r.process for r in runs]),
                f"{span([r.compiles for r in runs], '{}')}/{span([r.compiles_all for r in runs], '{}')}",
                span([r.compile_seconds for r in runs]),
                f"{runs[-1].cache_files} ({runs[-1].cache_bytes / 1e6:.1f} MB)",
                verdict(m) if phase == "warm" else "",
            ]  # fmt: skip
            lines.append("| " + " | ".join(cells) + " |")
        if m.error:
            lines.append(f"| {m.name if not m.phases else ''} | FAILED | {m.error} |" + " |" * 6)
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeat", type=int, default=3, help="warm runs per measurement (default 3)")
    p.add_argument("--skip-gallery", action="store_true", help="leave out `landscape gallery`")
    p.add_argument(
        "--gallery-format", default="png", choices=["png", "gif", "mp4", "recipe"],
        help="the gallery's --format (default png; recipe: each recipe's own)",
    )  # fmt: skip
    p.add_argument("--suite", action="store_true", help="also time the test suite (very slow)")
    p.add_argument("--quick", action="store_true",
                   help="only the first simulate, one warm run (a smoke test)")  # fmt: skip
    p.add_argument("--timeout", type=float, default=1800.0,
                   help="seconds one child may run (default 1800)")  # fmt: skip
    p.add_argument("--json", default=None, metavar="PATH", help="also write the results as JSON")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error(f"--repeat must be >= 1, got {args.repeat}")
    repeat = 1 if args.quick else args.repeat

    info = machine_info()
    threads = info["NUMBA_NUM_THREADS"] or f"unset (numba uses {info['numba_threads']})"
    lines = [
        f"machine: {info['cpus']} CPUs ({info['cpus_usable']} usable) {info['cpu_model']}".rstrip(),
        f"         {info['platform']}, Python {info['python']}, numba {info['numba']}, "
        f"numpy {info['numpy']}, NUMBA_NUM_THREADS {threads}",
        f"landscape: {ROOT} at {info['commit']}; landscape/_cache.py "
        + ("present" if info["cache_module_present"] else "absent (cache not landed: warm = cold)"),
    ]  # fmt: skip
    print("\n".join(lines), flush=True)

    ms = measurements(args)
    t0 = time.perf_counter()
    # one untimed import first: byte-compiles the package and warms the OS file cache
    with tempfile.TemporaryDirectory(prefix="landscape_nocache_") as off:
        try:
            run_child(cli_spec("--version"), Path(off), enabled=False, timeout=args.timeout)
        except ChildFailed as exc:
            print(f"landscape does not start: {exc}", file=sys.stderr)
            return 1
    for m in ms:
        measure(m, repeat, args.timeout)
    used = [r.cache_module for m in ms for runs in m.phases.values() for r in runs]

    print()
    print("\n".join(lines))
    info["load_average_end"] = load_average()
    if info["load_average_end"] is not None:
        print(f"load average (1 min): {info['load_average_start']:.2f} at the start, "
              f"{info['load_average_end']:.2f} at the end, on {info['cpus']} CPUs")  # fmt: skip
    print(f"benchmark: {time.perf_counter() - t0:.0f} s; landscape._cache imported by "
          f"{sum(used)} of {len(used)} runs; 'time' = import + work in the child, "
          "'process' = the whole process; targets are on the slowest warm time\n")  # fmt: skip
    print(table(ms))
    if args.json:
        payload = {
            "machine": info, "repeat": repeat, "gallery_format": args.gallery_format,
            "measurements": [asdict(m) for m in ms],
        }  # fmt: skip
        Path(args.json).write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 1 if any(m.error for m in ms) else 0


if __name__ == "__main__":
    sys.exit(main())
