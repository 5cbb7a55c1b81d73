"""A study on a local Dask cluster, and its survival curves drawn from the stored dataset.

    python scripts/study_survival.py -o study_report              # a local cluster
    python scripts/study_survival.py -o /tmp/s --workers 0        # in this process (= --quick)
    python scripts/study_survival.py -o /tmp/s --scheduler tcp://host:8786

Runs ``scripts/saddle_study.toml`` (escape from a strict saddle: heavy ball
over learning rate x beta x dimension, 4096 trajectories per cell) into
``OUT/saddle.zarr`` with :func:`landscape.study.run` (an interrupted run
resumes), then reopens the store and draws the Kaplan-Meier survival curves
of the escape step with their 95 % bands (``survival.png``), one panel per
dimension, and writes the medians and log-rank tests (``README.md``).

The figure's title is a claim measured on the stored data: momentum
(beta = 0.9) leaves the saddle sooner than plain gradient descent (beta = 0)
at every learning rate and dimension, by the medians and by a log-rank test
at ``P_MAX``.  The script exits with status 1 if that does not hold.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import landscape as ls
from landscape import render, study

SPEC = Path(__file__).resolve().parent / "saddle_study.toml"
EVENT = "escaped"
#: the log-rank p-value under which "beta = 0.9 leaves sooner" is claimed
P_MAX = 1e-6
#: line style per learning rate (the colour is beta's)
DASHES = ("--", "-", ":", "-.")


def measure(ds) -> list[dict]:
    """Medians (with 95 % intervals) per dimension x lr x beta, and the log-rank p of beta."""
    betas = [str(b) for b in ds.beta.values]
    rows = []
    for d in ds.dim.values:
        for lr in ds.lr.values:
            cell = ds.sel(dim=d, lr=lr)
            med = {b: s.median() for b, s in ls.stats.survival(cell, EVENT).items()}
            p = ls.stats.logrank(cell, EVENT, betas[0], betas[-1]).pvalue
            for b in betas:
                rows.append({"dim": int(d), "lr": float(lr), "beta": float(b),
                             "median": med[b].value, "low": med[b].low, "high": med[b].high,
                             "logrank_p": p})  # fmt: skip
    return rows


def claim_holds(rows) -> bool:
    """beta = max leaves sooner than beta = min in every (dim, lr), by median and log-rank."""
    lo, hi = min(r["beta"] for r in rows), max(r["beta"] for r in rows)
    for r in rows:
        if r["beta"] != hi:
            continue
        other = next(o for o in rows if (o["dim"], o["lr"], o["beta"]) == (r["dim"], r["lr"], lo))
        if not (r["median"] < other["median"] and r["logrank_p"] < P_MAX):
            return False
    return True


def draw(ds, rows, path: Path, holds: bool) -> None:
    """Survival curves with bands, one panel per dimension; legend below."""
    fig = Figure(figsize=(10.0, 4.4), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(ds.dim), sharey=True, squeeze=False)[0]
    betas = [str(b) for b in ds.beta.values]
    colours = render.palette(["gd", "heavy_ball"])
    colour = dict(zip(betas, (colours["gd"], colours["heavy_ball"]), strict=False))
    steps = int(ds.attrs["steps"])
    for ax, d in zip(axes, ds.dim.values, strict=True):
        for j, lr in enumerate(ds.lr.values):
            curves = ls.stats.survival(ds.sel(dim=d, lr=lr), EVENT)
            for b, s in curves.items():
                x, y, low, high = s.steps()
                c = colour.get(b, "0.4")
                ax.fill_between(x, low, high, step="post", color=c, alpha=0.2, linewidth=0)
                m = s.median().value
                label = f"β = {b}, lr = {lr:g}"
                ax.step(x, y, where="post", color=c, linestyle=DASHES[j % len(DASHES)],
                        linewidth=1.6, label=label)  # fmt: skip
                if math.isfinite(m):
                    ax.plot([m], [0.5], "o", color=c, markeredgecolor="k", markersize=5)
        ax.axhline(0.5, color="0.5", linewidth=0.6, linestyle=":")
        ax.set_xlim(0, steps)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"d = {int(d)}", fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(f"fraction not yet {EVENT} (95 % band)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(labels), fontsize=8,
               frameon=False)  # fmt: skip
    n = ds.sizes["trajectory"]
    if holds:
        title = (f"Heavy ball with β = {betas[-1]} leaves the strict saddle sooner than with "
                 f"β = {betas[0]} at every lr and d (log-rank p < {P_MAX:g})")  # fmt: skip
    else:
        title = "Escape from the strict saddle: heavy ball over lr, β and d"
    fig.suptitle(f"{title}\n{n} runs per curve, read from the study's Zarr store; dots: medians",
                 fontsize=10)  # fmt: skip
    fig.savefig(path)


def report(rows, spec_name: str, holds: bool) -> str:
    """The Markdown table of medians."""

    def step(v):
        return f"{v:.0f}" if math.isfinite(v) else "> horizon"

    out = [f"# Escape from a strict saddle: a study\n\nWritten by `scripts/study_survival.py` "
           f"from `{spec_name}`. ![survival](survival.png)\n",
           "| d | lr | β | median escape step | 95 % interval | log-rank p (β) |",
           "|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        ci = f"{step(r['low'])}–{step(r['high'])}" if math.isfinite(r["median"]) else "–"
        p = f"{r['logrank_p']:.2g}" if r["logrank_p"] > 0 else "< 1e-300"
        out.append(f"| {r['dim']} | {r['lr']:g} | {r['beta']:g} | {step(r['median'])} | {ci} | "
                   f"{p} |")  # fmt: skip
    verdict = "holds" if holds else "DOES NOT HOLD"
    out.append(f"\nClaim (β = max leaves sooner everywhere, p < {P_MAX:g}): {verdict}.")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="study_report", help="output folder")
    ap.add_argument("--spec", default=str(SPEC), help="the study file (default: %(default)s)")
    ap.add_argument("--workers", type=int, default=None,
                    help="local cluster size (default: one per core; 0: in this process)")  # fmt: skip
    ap.add_argument("--scheduler", default=None, help="a Dask scheduler address instead")
    ap.add_argument("--quick", action="store_true",
                    help="in this process, as --workers 0 (the same numbers: CI)")  # fmt: skip
    args = ap.parse_args(argv)
    if args.quick:
        args.workers = 0
    if args.workers is not None and args.workers < 0:
        ap.error(f"argument --workers: must be >= 0, got {args.workers}")
    out = Path(args.out)
    t0 = time.perf_counter()
    try:
        st = study.load(args.spec)
        out.mkdir(parents=True, exist_ok=True)
        study.run(st, out / "saddle.zarr", scheduler=args.scheduler, workers=args.workers)
    except ValueError as exc:  # StudyError is a ValueError
        print(f"study_survival.py: error: {' '.join(str(exc).split())}", file=sys.stderr)
        return 2
    ds = study.open_result(out / "saddle.zarr").load()  # everything below reads the store
    rows = measure(ds)
    holds = claim_holds(rows)
    draw(ds, rows, out / "survival.png", holds)
    (out / "README.md").write_text(report(rows, Path(args.spec).name, holds), encoding="utf-8")
    print(
        f"wrote {out / 'survival.png'} and {out / 'README.md'} ({time.perf_counter() - t0:.1f} s)"
    )
    if not holds:
        print("study_survival.py: the claim does not hold on this run", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
