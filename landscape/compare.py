"""The comparison tables printed by ``landscape compare`` (the CLI's main job).

Each scenario runs several optimizers from the same starts in ONE fused
kernel launch and reports final loss, divergence and first-passage times.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import events, optim, starts, surfaces
from .engine import simulate


@dataclass(frozen=True)
class Scenario:
    """One comparison: what it shows and how to run it."""

    name: str
    lesson: str
    build: object  # callable(n, seed) -> (surface, optimizers, x0, steps, events)


def _rosenbrock(n, seed):
    surf = surfaces.rosenbrock()
    opts = {
        "gd": optim.gd(lr=1e-3),
        "momentum": optim.momentum(lr=1e-3, beta=0.9),
        "rmsprop": optim.rmsprop(lr=1e-3),
        "adam": optim.adam(lr=1e-2),
    }
    x0 = starts.normal(n, mean=[-1.5, 2.0], std=0.1, seed=seed)
    return surf, opts, x0, 3000, {"converged": events.enter_ball([1.0, 1.0], 0.05)}


def _bowl(n, seed):
    surf = surfaces.elongated_bowl(kappa=50.0, angle=0.3)
    L, mu = 50.0, 1.0
    opts = {
        "gd 2/(L+mu)": optim.gd(lr=2.0 / (L + mu)),
        "heavy_ball (Polyak)": optim.heavy_ball(
            lr=4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2,
            beta=((np.sqrt(L / mu) - 1) / (np.sqrt(L / mu) + 1)) ** 2,
        ),
        "momentum 0.9": optim.momentum(lr=2.0 / (L + mu), beta=0.9),
        "adam": optim.adam(lr=0.05),
    }
    x0 = starts.sphere(n, [0.0, 0.0], 2.0, seed=seed)
    return surf, opts, x0, 1000, {"loss<1e-8": events.loss_below(1e-8)}


def _saddle(n, seed):
    surf = surfaces.saddle(a=1.0, b=1.0)
    opts = {
        "gd": optim.gd(lr=0.01),
        "momentum": optim.momentum(lr=0.01, beta=0.9),
        "rmsprop": optim.rmsprop(lr=0.01),
        "adam": optim.adam(lr=0.01),
    }
    x0 = starts.ball(n, [0.0, 0.0], 1e-3, seed=seed)
    return surf, opts, x0, 2000, {"escaped": events.leave_ball([0.0, 0.0], 1.0)}


def _plateau(n, seed):
    surf = surfaces.plateau(width=4.0, slope=0.01)
    opts = {
        "gd": optim.gd(lr=0.1),
        "momentum": optim.momentum(lr=0.1, beta=0.9),
        "rmsprop": optim.rmsprop(lr=0.01),
        "adam": optim.adam(lr=0.01),
    }
    x0 = starts.normal(n, mean=[0.0, 0.5], std=0.05, seed=seed)
    return surf, opts, x0, 6000, {"crossed": events.loss_below(-0.5)}


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("rosenbrock", "adaptive steps follow the curved valley", _rosenbrock),
        Scenario("bowl", "momentum beats GD in an elongated bowl (kappa = 50)", _bowl),
        Scenario("saddle", "how fast each optimizer leaves the saddle x^2 - y^2", _saddle),
        Scenario("plateau", "plateaus slow GD; momentum and Adam leave sooner", _plateau),
    )
}


def run(names=None, n: int = 4096, seed: int = 0, dtype: str = "float64", out=print) -> dict:
    """Run the named scenarios (all by default), print their tables, return Results."""
    chosen = list(SCENARIOS) if not names else list(names)
    for name in chosen:
        if name not in SCENARIOS:
            raise ValueError(f"scenario must be one of {sorted(SCENARIOS)}, got {name!r}")
    results = {}
    for name in chosen:
        sc = SCENARIOS[name]
        surf, opts, x0, steps, evs = sc.build(n, seed)
        t0 = time.perf_counter()
        res = simulate(surf, opts, x0, steps, record_every=0, dtype=dtype, seed=seed, events=evs)
        dt = time.perf_counter() - t0
        out(f"\n== {name}: {sc.lesson}")
        out(
            f"   {surf.label}, {len(opts)} optimizers x {len(x0)} starts x {steps} steps "
            f"in {dt:.2f} s (compile included on first use)"
        )
        out(res.format_table())
        results[name] = res
    return results
