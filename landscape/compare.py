"""The comparison tables printed by ``landscape compare`` (the CLI's main job).

Each scenario runs several optimizers from the same starts in ONE fused
kernel launch and reports final loss, divergence and first-passage times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import _validate as V
from . import events, optim, starts, surfaces
from .claims import Claim, Evidence, check_all
from .engine import simulate


@dataclass(frozen=True)
class Scenario:
    """One comparison: its heading, how to run it and the claims that make the heading true."""

    name: str
    lesson: str
    build: object  # callable(n, seed) -> (surface, optimizers, x0, steps, events)
    claims: tuple = ()


def _rosenbrock(n, seed):
    surf = surfaces.rosenbrock()
    opts = {
        "gd": optim.gd(lr=1e-3),
        "momentum": optim.momentum(lr=1e-2, beta=0.9),
        "rmsprop": optim.rmsprop(lr=1e-2),
        "adam": optim.adam(lr=0.1),
    }
    x0 = starts.normal(n, mean=[-1.5, 2.0], std=0.1, seed=seed)
    return surf, opts, x0, 3000, {"converged": events.enter_ball([1.0, 1.0], 0.05)}


def _bowl(n, seed):
    surf = surfaces.elongated_bowl(kappa=50.0, angle=0.3)
    L, mu = 50.0, 1.0
    opts = {
        "gd": optim.gd(lr=2.0 / (L + mu)),
        "heavy_ball": optim.heavy_ball(
            lr=4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2,
            beta=((np.sqrt(L / mu) - 1) / (np.sqrt(L / mu) + 1)) ** 2,
        ),
        "momentum": optim.momentum(lr=2.0 / (L + mu), beta=0.9),
        "adam": optim.adam(lr=0.05),
    }
    x0 = starts.sphere(n, [0.0, 0.0], 2.0, seed=seed)
    return surf, opts, x0, 1000, {"loss<1e-8": events.loss_below(1e-8)}


def _saddle(n, seed):
    surf = surfaces.strict_saddle(dim=2, k=1)
    opts = {
        "gd": optim.gd(lr=0.05),
        "momentum": optim.momentum(lr=0.5, beta=0.9),
        "rmsprop": optim.rmsprop(lr=0.01),
        "adam": optim.adam(lr=0.01),
    }
    x0 = starts.ball(n, [0.0, 0.0], 1e-3, seed=seed)
    return surf, opts, x0, 1000, {"escaped": events.leave_ball([0.0, 0.0], 0.5)}


def _plateau(n, seed):
    surf = surfaces.plateau(width=4.0, slope=0.01)
    opts = {
        "gd": optim.gd(lr=0.1),
        "heavy_ball": optim.heavy_ball(lr=0.1, beta=0.9),
        "rmsprop": optim.rmsprop(lr=0.01),
        "adam": optim.adam(lr=0.01),
    }
    x0 = starts.normal(n, mean=[0.0, 0.5], std=0.05, seed=seed)
    return surf, opts, x0, 6000, {"crossed": events.loss_below(-0.5)}


def _c(says, measure, of, **kw):
    params = kw.pop("params", {})
    return Claim(says, measure, of=tuple([of] if isinstance(of, str) else of), params=params, **kw)


SCENARIOS = {
    s.name: s
    for s in (
        Scenario(
            "rosenbrock",
            "in the curved valley momentum and Adam reach the minimum within 1000 steps; "
            "GD and RMSprop (no momentum) do not within 3000",
            _rosenbrock,
            (
                _c("momentum and Adam reach the minimum within 1000 steps", "event_step",
                   ("momentum", "adam"), at_most=1000, params={"event": "converged"}),
                _c("GD and RMSprop do not within 3000 steps", "reached_by", ("gd", "rmsprop"),
                   at_most=0.01, params={"event": "converged", "step": 3000}),
            ),
        ),
        Scenario(
            "bowl",
            "in an elongated bowl (kappa = 50) Polyak's tuned classic momentum reaches "
            "loss 1e-8 several times sooner than GD at its best rate 2/(L + mu), and the "
            "course's momentum at GD's rate sooner too",
            _bowl,
            (
                _c("heavy ball reaches 1e-8 at least 3x sooner than GD", "event_step",
                   "heavy_ball", less_than="gd", factor=3, params={"event": "loss<1e-8"}),
                _c("momentum at GD's rate at least 1.5x sooner", "event_step", "momentum",
                   less_than="gd", factor=1.5, params={"event": "loss<1e-8"}),
            ),
        ),
        Scenario(
            "saddle",
            "from 1e-3 beside a strict saddle GD leaves last; momentum, RMSprop and Adam "
            "several times sooner",
            _saddle,
            (
                _c("the others leave at least 3x sooner than GD", "event_step",
                   ("momentum", "rmsprop", "adam"), less_than="gd", factor=3,
                   params={"event": "escaped"}),
                _c("nothing diverges", "diverged", ("gd", "momentum", "rmsprop", "adam"),
                   at_most=0.0),
            ),
        ),
        Scenario(
            "plateau",
            "plateaus slow GD (width / (lr * slope) steps); classic momentum, RMSprop and "
            "Adam cross several times sooner",
            _plateau,
            (
                _c("GD crosses in about width / (lr * slope) = 4000 steps", "event_step", "gd",
                   at_least=3600, at_most=4600, params={"event": "crossed"}),
                _c("classic momentum, RMSprop and Adam cross at least 5x sooner", "event_step",
                   ("heavy_ball", "rmsprop", "adam"), less_than="gd", factor=5,
                   params={"event": "crossed"}),
            ),
        ),
    )
}  # fmt: skip


def run(names=None, n: int = 4096, seed: int = 0, dtype: str = "float64", out=print) -> dict:
    """Run the named scenarios (all by default), print their tables and claims.

    Returns ``name -> (Result, verdicts)``; each heading is followed by the
    optimizers' hyperparameters, the table and every claim measured on that run.
    """
    chosen = list(SCENARIOS) if not names else list(names)
    for name in chosen:
        V.choice("scenario", name, SCENARIOS)
    n = V.integer("n", n, minimum=1)
    seed = V.integer("seed", seed, minimum=0, maximum=V.MAX_SEED)
    # before any scenario runs: starts, final states, losses and event steps of
    # every optimizer, plus the claims' working copies (about 50 float64 per start)
    V.fits_memory("n", 50 * 8 * n, f"{n} starts per optimizer", hint="lower n")
    results = {}
    for name in chosen:
        sc = SCENARIOS[name]
        surf, opts, x0, steps, evs = sc.build(n, seed)
        t0 = time.perf_counter()
        res = simulate(surf, opts, x0, steps, record_every=0, dtype=dtype, seed=seed, events=evs)
        dt = time.perf_counter() - t0
        verdicts = check_all(sc.claims, Evidence(result=res, surface=surf))
        mark = "holds" if all(v.holds for v in verdicts) else "FAILS"
        out(f"\n== {name}: {sc.lesson}  [{mark}]")
        out(
            f"   {surf.label}, {len(opts)} optimizers x {len(x0)} starts x {steps} steps "
            f"in {dt:.2f} s (compile included on first use)"
        )
        width = max(len(k) for k in opts)
        for label, opt in opts.items():
            out(f"   {label.ljust(width)}  {opt.label}")
        out(res.format_table())
        for v in verdicts:
            out(f"   {v.text}")
        results[name] = (res, verdicts)
    return results
