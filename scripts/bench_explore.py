"""Explorer latency benchmark (issue #16): from a change to new data, on the server and in the page.

Targets, after the kernel is compiled: <= 150 ms from a change to new data for
1,000 trajectories x 500 steps, <= 1 s for 10,000 x 1,000.

What is measured:

1. **server**: :meth:`landscape.explorer.session.Session.run` (validate,
   simulate, reduce to float32 frames and loss quantiles) on Rosenbrock for
   1,000 x 500 and 10,000 x 1,000 trajectories x steps, with 1 optimizer (gd)
   and 3 (gd, momentum, adam; the explorer's default).  One warm-up run
   compiles (or loads) the kernel; then ``--repeat`` runs, each with a new
   learning rate (as a slider gives), report the median of ``simulate``,
   ``prepare`` and the whole call ("total").
2. **browser** (Debian's chromium driven by Playwright; ``--no-browser``
   skips it, and so does a machine without chromium or Playwright): the
   explorer served by a thread of this process, one page per size (3
   optimizers), the gd learning-rate slider moved by ``--repeat`` key presses,
   each awaited.  "key -> data" is the median time in the page from a
   ``performance.now()`` taken just before the key press to the arrival of
   the new swarm positions (``window.__ls_swarm_t``), "->drawn" to the
   paint two animation frames later (``window.__ls_drawn_t``: the frame that
   shows them; the target is checked on it); each is measured for the map
   drawn on the 2-D canvas and with WebGL (``--draw``); "scrub" is the median
   time from setting the frame player's value in the page to that frame's
   positions arriving.

Both count Numba compilations (the ``numba:compile`` event) during the
timed changes: a change of learning rate must compile nothing.

    python scripts/bench_explore.py                    # both sizes, server and browser
    python scripts/bench_explore.py --no-browser --repeat 9
    python scripts/bench_explore.py --quick            # small sizes, 2 repeats, no browser
    python scripts/bench_explore.py --json explore.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from landscape._cache import compiles  # noqa: E402
from landscape.explorer.session import LIMITS, Session  # noqa: E402
from landscape.explorer.state import State  # noqa: E402

#: (trajectories, steps, target seconds from a change to new data)
SIZES = [(1000, 500, 0.150), (10000, 1000, 1.0)]
QUICK_SIZES = [(200, 100, 0.150)]


def state_of(n: int, steps: int, optimizers: int = 3) -> State:
    """The explorer's default state (Rosenbrock) with ``n`` starts, ``steps`` steps, 1 or 3 optimizers."""
    state = State()
    state.set_starts(n=n)
    state.set(("simulate", "steps"), steps)
    if optimizers == 1:
        state.data["optimizers"] = {"gd": state.data["optimizers"]["gd"]}
    return state


def _ms(xs) -> float:
    return round(statistics.median(xs) * 1e3, 2)


def server(sizes, repeat: int) -> list[dict]:
    """Median timings of ``Session.run`` per size and optimizer count (after a warm-up run)."""
    rows = []
    session = Session()
    for n, steps, target in sizes:
        for n_opt in (1, 3):
            state = state_of(n, steps, n_opt)
            t = time.perf_counter()
            session.run(state)  # compiles (or loads) the kernel and the map
            warm_up = time.perf_counter() - t
            sims, preps, totals = [], [], []
            with compiles() as counter:
                for r in range(repeat):
                    state.set(("optimizers", "gd", "lr"), round(10 ** (-3 + 0.01 * (r + 1)), 6))
                    t = time.perf_counter()
                    view = session.run(state)
                    totals.append(time.perf_counter() - t)
                    sims.append(view.timings["simulate"])
                    preps.append(view.timings["prepare"])
            rows.append({"n": n, "steps": steps, "optimizers": n_opt, "repeat": repeat,
                         "warm_up_s": round(warm_up, 3), "simulate_ms": _ms(sims),
                         "prepare_ms": _ms(preps), "total_ms": _ms(totals),
                         "total_min_ms": round(min(totals) * 1e3, 2), "compiles": counter.n,
                         "target_ms": target * 1e3, "ok": statistics.median(totals) <= target})  # fmt: skip
    session.close()
    return rows


def browser_missing() -> str | None:
    """Why the browser part cannot run here, or None."""
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "no chromium on PATH"
    for mod in ("playwright", "panel", "bokeh"):
        if importlib.util.find_spec(mod) is None:
            return f"{mod} is not installed"
    return None


_SWARM_N = """() => { const d = window.Bokeh && Bokeh.documents.length && Bokeh.documents[0];
  const m = d && d.get_model_by_name('swarm'); if (!m) return 0;
  const x = m.data instanceof Map ? m.data.get('x') : m.data.x; return x ? x.length : 0; }"""
_PLAYER = """(k) => { for (const m of Bokeh.documents[0].all_models) {
    const t = m.constructor.__qualified__ || m.constructor.__name__ || '';
    if (t.endsWith('Player')) { window.__b_c0 = window.__ls_swarm || 0;
      window.__b_t0 = performance.now(); m.value = k; return; } }
  throw new Error('no Player model'); }"""


def _settle(page, quiet=0.5, timeout=60.0) -> None:
    """Wait until no positions arrived for ``quiet`` seconds."""
    end, last, t = time.monotonic() + timeout, None, time.monotonic()
    while time.monotonic() - t < quiet and time.monotonic() < end:
        now = page.evaluate("() => window.__ls_swarm || 0")
        if now != last:
            last, t = now, time.monotonic()
        time.sleep(0.05)


def _arrival(page, timeout_ms=60_000) -> float:
    """Seconds in the page from ``__b_t0`` to the first positions after it."""
    page.wait_for_function("() => (window.__ls_swarm || 0) > window.__b_c0", timeout=timeout_ms,
                           polling=2)  # fmt: skip
    return page.evaluate("() => window.__ls_swarm_t - window.__b_t0") / 1e3


def _drawn(page, timeout_ms=60_000) -> float:
    """Seconds in the page from ``__b_t0`` to the paint after the new positions arrived."""
    page.wait_for_function("() => (window.__ls_drawn_t || 0) >= window.__ls_swarm_t",
                           timeout=timeout_ms, polling=2)  # fmt: skip
    return page.evaluate("() => window.__ls_drawn_t - window.__b_t0") / 1e3


def in_browser(sizes, repeat: int, draw: str = "canvas") -> list[dict]:
    """Key press -> new positions and one scrubbed frame, in headless chromium, per size."""
    from playwright.sync_api import sync_playwright

    from landscape import explorer

    rows = []
    with explorer.running(State(), backend=draw) as base:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
            for n, steps, target in sizes:
                page = b.new_page(viewport={"width": 1400, "height": 1000})
                t = time.perf_counter()
                page.goto(f"{base}?s={state_of(n, steps).to_query()}")
                shown = 3 * min(n, LIMITS["points"] // 3)  # runs drawn (the counters count all)
                page.wait_for_function(f"() => ({_SWARM_N})() === {shown}", timeout=120_000,
                                       polling=20)  # fmt: skip
                load = time.perf_counter() - t
                handle = page.locator(".ls-lr .noUi-handle").first
                handle.click()  # focus only
                _settle(page)
                keys, drawn, walls = [], [], []
                with compiles() as counter:
                    for _ in range(repeat):
                        page.evaluate("() => { window.__b_c0 = window.__ls_swarm || 0;"
                                      " window.__b_t0 = performance.now(); }")  # fmt: skip
                        t = time.perf_counter()
                        handle.press("ArrowRight")
                        keys.append(_arrival(page))
                        drawn.append(_drawn(page))
                        walls.append(time.perf_counter() - t)
                        _settle(page, quiet=0.3)
                    scrub = []
                    for k in range(10, 10 + 10 * repeat, 10):
                        page.evaluate(_PLAYER, k)
                        scrub.append(_arrival(page))
                        _settle(page, quiet=0.2)
                rows.append({"n": n, "steps": steps, "optimizers": 3, "repeat": repeat, "draw": draw,
                             "load_s": round(load, 2), "key_to_data_ms": _ms(keys),
                             "key_to_data_max_ms": round(max(keys) * 1e3, 1),
                             "key_to_drawn_ms": _ms(drawn),
                             "key_to_data_wall_ms": _ms(walls), "scrub_ms": _ms(scrub),
                             "compiles": counter.n, "target_ms": target * 1e3,
                             "ok": statistics.median(drawn) <= target})  # fmt: skip
                page.close()
            b.close()
    return rows


def machine() -> dict:
    import numba

    return {"cpus": os.cpu_count(), "numba_threads": numba.config.NUMBA_NUM_THREADS,
            "python": platform.python_version(), "numba": numba.__version__,
            "platform": platform.platform()}  # fmt: skip


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--repeat", type=int, default=5, help="timed changes per measurement (default 5)"
    )
    p.add_argument("--no-browser", action="store_true", help="only the server-side timings")
    p.add_argument("--draw", action="append", choices=["canvas", "webgl"],
                   help="how the map draws in the browser (repeatable; default: both)")  # fmt: skip
    p.add_argument("--quick", action="store_true",
                   help="200 x 100 only, 2 repeats, no browser (a smoke test)")  # fmt: skip
    p.add_argument("--json", default=None, metavar="PATH", help="also write the results as JSON")
    args = p.parse_args(argv)
    args.draw = args.draw or ["canvas", "webgl"]
    if args.repeat < 1:
        p.error(f"--repeat must be >= 1, got {args.repeat}")
    sizes, repeat = (QUICK_SIZES, 2) if args.quick else (SIZES, args.repeat)
    info = machine()
    print(f"machine: {info['cpus']} CPUs, numba {info['numba']} with {info['numba_threads']} "
          f"threads, Python {info['python']}, {info['platform']}", flush=True)  # fmt: skip

    rows = server(sizes, repeat)
    print(f"\nserver: Session.run, median of {repeat} changes of lr after a warm-up run")
    print(f"{'n':>6} {'steps':>6} {'opts':>4} | {'warm-up s':>9} | {'simulate ms':>11} | "
          f"{'prepare ms':>10} | {'total ms':>8} | {'target':>6} | compiles")  # fmt: skip
    for r in rows:
        print(f"{r['n']:>6} {r['steps']:>6} {r['optimizers']:>4} | {r['warm_up_s']:>9.2f} | "
              f"{r['simulate_ms']:>11.1f} | {r['prepare_ms']:>10.1f} | {r['total_ms']:>8.1f} | "
              f"{'ok' if r['ok'] else 'MISS':>6} | {r['compiles']}")  # fmt: skip

    why = "--quick" if args.quick else ("--no-browser" if args.no_browser else browser_missing())
    brows = []
    if why is None:
        brows = [r for d in args.draw for r in in_browser(sizes, repeat, d)]
        print(f"\nbrowser: headless chromium, 3 optimizers, median of {repeat} key presses on the "
              "gd lr slider (in-page time from the key press to the new positions, and to the "
              "paint that shows them; the target is on the paint)")  # fmt: skip
        print(f"{'draw':>6} {'n':>6} {'steps':>6} | {'load s':>6} | {'key->data ms':>12} | {'->drawn ms':>10} | "
              f"{'max ms':>6} | {'wall ms':>7} | {'scrub ms':>8} | {'target':>6} | compiles")  # fmt: skip
        for r in brows:
            print(f"{r['draw']:>6} {r['n']:>6} {r['steps']:>6} | {r['load_s']:>6.1f} | {r['key_to_data_ms']:>12.1f} | "
                  f"{r['key_to_drawn_ms']:>10.1f} | "
                  f"{r['key_to_data_max_ms']:>6.0f} | {r['key_to_data_wall_ms']:>7.1f} | "
                  f"{r['scrub_ms']:>8.1f} | {'ok' if r['ok'] else 'MISS':>6} | {r['compiles']}")  # fmt: skip
    else:
        print(f"\nbrowser: skipped ({why})")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": info, "server": rows, "browser": brows,
                                               "browser_skipped": why}, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
