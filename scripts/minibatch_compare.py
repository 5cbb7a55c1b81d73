"""Mini-batch gradient descent on the linear-regression bowl: batch sizes 1, 64, 256 and m.

Plain SGD updates (one learning rate, constant) on the least-squares cost
J(w, b) = 1/(2m) Σ (w x_i + b − y_i)² of ``m`` examples, every trajectory
from the same start: trajectories differ only in how each epoch shuffles the
examples (keyed by seed, trajectory and epoch).  Writes a folder with a
figure (cost vs step, cost vs examples processed, the paths on the bowl's
contours), ``minibatch_compare.csv`` (one row per batch size),
``minibatch_curves.csv`` (the recorded curves) and ``README.md``::

    python scripts/minibatch_compare.py                          # -> minibatch_compare/
    python scripts/minibatch_compare.py -o /tmp/mb --quick       # CI size

Every batch size runs at least ``--steps`` updates (the cost-vs-step panels)
and at least ``--epochs`` epochs (the cost-vs-examples comparison at equal
computation: b = 1 needs epochs·m updates, b = m only ``epochs``).  Batch
sizes that need the same number of updates share one ``ls.simulate`` call;
the rest get their own, with the same starts and seed, so each trajectory
sees the same shuffles as in a single call.  A single call would run every
batch size for SGD's epochs·m updates: b = 256 and b = m for 6144 full or
256-example steps, about 50 s at the defaults on 2 cores instead of a few.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import landscape as ls

#: start = least-squares solution + this offset in (w, b)
START_OFFSET = (-6.0, 4.0)
#: "reached" = J <= J* + TARGET * (J(x0) - J*)
TARGET = 0.01
QUANTILES = (10, 50, 90)

CSV_COLUMNS = [
    "batch_size",
    "steps_per_epoch",
    "steps",
    "epochs_run",
    "budget_steps",
    "budget_examples",
    "cost_at_budget_median",
    "cost_at_budget_q10",
    "cost_at_budget_q90",
    "cost_final_median",
    "cost_final_q10",
    "cost_final_q90",
    "reached_fraction",
    "steps_to_target_median",
    "examples_to_target_median",
]


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------
def _int_at_least(low):
    def parse(s):
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {s!r}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"must be an integer >= {low}, got {v}")
        return v

    return parse


def _positive_float(s):
    try:
        v = float(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {s!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {s!r}")
    return v


# (default, --quick default) of the size options; an explicit value wins over --quick
SIZES = {"m": (2048, 512), "epochs": (3, 2), "trajectories": (16, 4), "steps": (600, 150)}


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="minibatch_compare.py", description=__doc__.splitlines()[0])
    p.add_argument("-o", "--out", default="minibatch_compare", help="output folder")
    p.add_argument("--m", type=_int_at_least(1), help="number of examples (default 2048)")
    p.add_argument("--epochs", type=_int_at_least(1), help="epoch budget (default 3)")
    p.add_argument(
        "--trajectories", type=_int_at_least(1), help="shuffles per batch size (default 16)"
    )
    p.add_argument(
        "--steps",
        type=_int_at_least(1),
        help="updates every batch size runs at least (default 600)",
    )
    p.add_argument("--lr", type=_positive_float, default=0.3, help="learning rate (default 0.3)")
    p.add_argument("--seed", type=_int_at_least(0), default=0, help="data and shuffle seed")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    p.add_argument("--quick", action="store_true", help="tiny sizes (CI)")
    args = p.parse_args(argv)
    for name, (full, quick) in SIZES.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    return args


# --------------------------------------------------------------------------
# simulation
# --------------------------------------------------------------------------
def batch_sizes(m: int) -> list[int]:
    """1, 64, 256 (those below m) and m."""
    return [b for b in (1, 64, 256) if b < m] + [m]


def label(b: int, m: int) -> str:
    if b == m:
        return "b = m (batch GD)"
    return "b = 1 (SGD)" if b == 1 else f"b = {b}"


def _quantiles(a, axis=0):
    return np.percentile(a, QUANTILES, axis=axis)


def run(m, epochs, trajectories, steps, lr, seed, dtype):
    """Simulate every batch size; return the surface, J*, J(x0) and one dict per batch size."""
    surf = ls.surfaces.linear_regression(m=m, seed=seed)
    if len(surf.minima) == 0:
        raise ValueError(f"the generated data (m = {m}) has no unique least-squares solution")
    opt = surf.minima[0]
    start = opt + np.asarray(START_OFFSET)
    x0 = np.tile(start, (trajectories, 1))
    j_star = float(surf.value(opt))
    j0 = float(surf.value(start))
    sizes = batch_sizes(m)
    need = {b: max(steps, epochs * -(-m // b)) for b in sizes}
    curves = {}
    for n_steps in sorted(set(need.values())):
        group = [b for b in sizes if need[b] == n_steps]
        res = ls.simulate(
            surf,
            {label(b, m): ls.optim.sgd(lr) for b in group},
            x0,
            n_steps,
            record_every=1,
            batch_size=group,
            dtype=dtype,
            seed=seed,
        )
        ex = res.examples_processed()
        for k, b in enumerate(group):
            curves[b] = {
                "label": res.names[k],
                "steps": res.frame_steps.copy(),
                "examples": ex[k].copy(),
                "cost": np.asarray(res.loss[k], dtype=np.float64),  # (traj, frames) full J
                "batch_cost": np.asarray(res.batch_loss[k], dtype=np.float64),
                "path": np.asarray(res.positions[k, 0], dtype=np.float64),  # trajectory 0
                "diverged": int((res.diverged[k] >= 0).sum()),
                "steps_per_epoch": int(res.minibatch["steps_per_epoch"][k]),
            }
    return surf, j_star, j0, [curves[b] | {"batch_size": b} for b in sizes]


def summarise(curves, m, epochs, j_star, j0):
    """One CSV row per batch size."""
    target = j_star + TARGET * (j0 - j_star)
    rows = []
    for c in curves:
        cost, steps, ex = c["cost"], c["steps"], c["examples"]
        i_budget = int(np.searchsorted(ex, epochs * m))  # first frame with epochs*m examples
        q_budget = _quantiles(cost[:, i_budget])
        q_final = _quantiles(cost[:, -1])
        hit = cost <= target
        reached = hit.any(axis=1)
        first = np.where(reached, hit.argmax(axis=1), -1)
        s_hit = np.where(reached, steps[first], np.inf)
        e_hit = np.where(reached, ex[first], np.inf)
        rows.append(
            {
                "batch_size": c["batch_size"],
                "steps_per_epoch": c["steps_per_epoch"],
                "steps": int(steps[-1]),
                "epochs_run": float(ex[-1] / m),
                "budget_steps": int(steps[i_budget]),
                "budget_examples": int(ex[i_budget]),
                "cost_at_budget_median": q_budget[1],
                "cost_at_budget_q10": q_budget[0],
                "cost_at_budget_q90": q_budget[2],
                "cost_final_median": q_final[1],
                "cost_final_q10": q_final[0],
                "cost_final_q90": q_final[2],
                "reached_fraction": float(reached.mean()),
                # the median is finite when at least half of the trajectories reached the target
                "steps_to_target_median": float(np.median(s_hit)),
                "examples_to_target_median": float(np.median(e_hit)),
            }
        )
    return rows


# --------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------
def _fmt(v) -> str:
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if math.isinf(v):
        return "inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.10g}"


def write_csv(rows, path: Path):
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(CSV_COLUMNS)
        for r in rows:
            w.writerow([_fmt(r[c]) for c in CSV_COLUMNS])


def write_curves(curves, path: Path):
    """Every recorded frame: full cost quantiles and trajectory 0's mini-batch cost."""
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            ["batch_size", "step", "examples", "cost_q10", "cost_median", "cost_q90",
             "batch_cost_traj0"]
        )  # fmt: skip
        for c in curves:
            q = _quantiles(c["cost"])
            for i in range(len(c["steps"])):
                w.writerow(
                    [c["batch_size"], int(c["steps"][i]), int(c["examples"][i])]
                    + [f"{q[k, i]:.10g}" for k in range(3)]
                    + [f"{c['batch_cost'][0, i]:.10g}"]
                )


def _cell(r, prefix):
    return f"{r[prefix + '_median']:.5f} ({r[prefix + '_q10']:.5f}-{r[prefix + '_q90']:.5f})"


def table_lines(rows, epochs, markdown=False):
    heads = [
        "batch",
        "steps/epoch",
        "steps",
        f"J after {epochs} epochs (q10-q90)",
        "J final (q10-q90)",
        "steps to 1%",
        "examples to 1%",
    ]
    body = []
    for r in rows:
        cells = [
            str(r["batch_size"]),
            str(r["steps_per_epoch"]),
            str(r["steps"]),
            _cell(r, "cost_at_budget"),
            _cell(r, "cost_final"),
            _fmt(r["steps_to_target_median"]),
            _fmt(r["examples_to_target_median"]),
        ]
        body.append(cells)
    if markdown:
        out = ["| " + " | ".join(heads) + " |", "|" + "|".join("---:" for _ in heads) + "|"]
        return out + ["| " + " | ".join(c) + " |" for c in body]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(heads)]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return [line(heads)] + [line(c) for c in body]


def _positive(a, floor):
    return np.maximum(a, floor)


def batch_colours(curves, m) -> list:
    """The gallery's colours per batch size: SGD (b = 1), the first mini-batch size and
    batch GD (b = m) as in ``batch_vs_minibatch``; other sizes after them."""
    from landscape.render import palette

    sizes = [c["batch_size"] for c in curves]
    rest = sorted(b for b in sizes if b not in (1, m))
    order = [b for b in (1,) if b in sizes] + rest[:1] + [b for b in (m,) if b in sizes] + rest[1:]
    pal = palette([f"b = {b}" for b in order], kinds=["sgd"] * len(order))
    return [pal[f"b = {b}"] for b in sizes]


def figure(surf, curves, m, epochs, lr, j_star, j0, path: Path, dpi=150):
    fig = Figure(figsize=(15.0, 8.4), dpi=dpi)
    COLOURS = batch_colours(curves, m)  # noqa: N806
    FigureCanvasAgg(fig)
    # fixed margins: bbox_inches="tight" would draw the figure twice (seconds)
    gs = fig.add_gridspec(2, 4, height_ratios=(1.0, 1.2), hspace=0.45, wspace=0.3,
                          left=0.05, right=0.99, top=0.91, bottom=0.07)  # fmt: skip
    bottom = gs[1, :].subgridspec(1, 3, width_ratios=(2.0, 1.45, 1.0), wspace=0.28)
    n_traj = curves[0]["cost"].shape[0]
    target = j_star + TARGET * (j0 - j_star)
    budget = epochs * m

    # (a) cost vs step, one small panel per batch size, shared axes
    y_lo, y_hi = j_star * 0.25, j0 * 2.0
    x_hi = max(int(c["steps"][-1]) for c in curves)
    ax0 = None
    for i, c in enumerate(curves):
        ax = fig.add_subplot(gs[0, i], sharey=ax0, sharex=ax0)
        ax0 = ax0 or ax
        col = COLOURS[i % len(COLOURS)]
        s = c["steps"][1:]
        ax.plot(s, _positive(c["batch_cost"][0, 1:], y_lo * 1e-3), color=col, lw=0.4,
                alpha=0.45, label=r"mini-batch cost $J^{\{t\}}$, trajectory 0")  # fmt: skip
        q = _quantiles(c["cost"][:, 1:])
        ax.fill_between(s, q[0], q[2], color="black", alpha=0.18, lw=0)
        ax.plot(s, q[1], color="black", lw=1.3, label=f"full cost $J$: median, 10–90% of {n_traj}")
        ax.axhline(j_star, color="0.35", ls="--", lw=0.8, label=r"$J^*$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1, x_hi)
        ax.set_ylim(y_lo, y_hi)
        ax.set_title(f"({'abcd'[i]}) {c['label']}", fontsize=10, color=col, loc="left")
        ax.set_xlabel("step (update)")
        if i == 0:
            ax.set_ylabel("cost")
        else:
            ax.tick_params(labelleft=False)
        ax.grid(alpha=0.25, which="major")
    # the legend where no data is: above batch GD's smooth curve (the last panel)
    ax.legend(*ax0.get_legend_handles_labels(), fontsize=7, loc="upper right")

    # (e) excess full cost vs examples processed
    ax = fig.add_subplot(bottom[0])
    floor = (j0 - j_star) * 1e-8
    for i, c in enumerate(curves):
        col = COLOURS[i % len(COLOURS)]
        ex = c["examples"][1:]
        q = _positive(_quantiles(c["cost"][:, 1:]) - j_star, floor * 1e-3)
        ax.fill_between(ex, q[0], q[2], color=col, alpha=0.2, lw=0)
        ax.plot(ex, q[1], color=col, lw=1.6, label=c["label"])
    ax.axvline(budget, color="0.3", ls=":", lw=1.0)
    ax.text(budget * 1.08, (j0 - j_star) * 0.6, f"{epochs} epochs", fontsize=8, color="0.3")
    ax.axhline(target - j_star, color="0.5", ls="--", lw=0.8)
    ax.text(1.3, (target - j_star) * 1.25, f"{TARGET:.0%} of $J(x_0) - J^*$", fontsize=8,
            color="0.4")  # fmt: skip
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(1, max(int(c["examples"][-1]) for c in curves))
    ax.set_ylim(floor, (j0 - j_star) * 3)
    ax.set_xlabel("examples processed")
    ax.set_ylabel(r"excess full cost $J - J^*$  (median, 10–90%)")
    ax.set_title(f"(e) cost vs computation (m = {m})", fontsize=10, loc="left")
    top = ax.secondary_xaxis("top", functions=(lambda e: e / m, lambda ep: ep * m))
    top.set_xlabel("epochs", fontsize=9)
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.25, which="major")

    # (f) the bowl with trajectory 0 of each batch size, (g) zoom on the minimum at the
    # scale of the b = 64 wobble (the second batch size; SGD's cloud is visible in (f))
    opt = surf.minima[0]
    start = curves[0]["path"][0]
    pad = 0.25 * np.abs(start - opt) + 0.2
    lo, hi = np.minimum(start, opt) - pad, np.maximum(start, opt) + pad
    ref = curves[1 if len(curves) > 2 else 0]["path"]
    tail = ref[3 * len(ref) // 4 :]
    half = min(max(3.0 * float(np.abs(tail - opt).max()), 1e-4), 0.1 * float(np.max(hi - lo)))
    for k, (title, box) in enumerate(
        (
            ("(f) trajectory 0 on the bowl", (lo, hi)),
            ("(g) near the minimum (without SGD)", (opt - half, opt + half)),
        )
    ):
        ax = fig.add_subplot(bottom[1 + k])
        w = np.linspace(box[0][0], box[1][0], 121)
        bb = np.linspace(box[0][1], box[1][1], 121)
        W, B = np.meshgrid(w, bb)
        Z = surf.value(np.stack([W, B], axis=-1)) - j_star
        zmax = float(Z.max())
        levels = np.geomspace(max(zmax * 1e-3, 1e-14), zmax, 12)
        ax.contour(W, B, Z, levels=levels, colors="0.7", linewidths=0.6)
        for i, c in enumerate(curves):
            col = COLOURS[i % len(COLOURS)]
            p = c["path"]
            sgd = c["batch_size"] == 1 and len(curves) > 1
            if sgd and k == 1:
                continue  # its cloud would fill the zoom: see (f)
            ax.plot(p[:, 0], p[:, 1], color=col, lw=0.4 if sgd else 1.6 - 0.25 * (len(curves) - i),
                    alpha=0.5 if sgd else 0.9, label=c["label"], zorder=2 + i)  # fmt: skip
        ax.plot(*opt, marker="*", color="black", ms=11, ls="none", label="least squares", zorder=9)
        if k == 0:
            ax.plot(*start, marker="o", color="black", ms=5, ls="none", label="start")
            ax.legend(fontsize=7, loc="upper right")
        ax.set_xlim(box[0][0], box[1][0])
        ax.set_ylim(box[0][1], box[1][1])
        ax.set_aspect("equal")
        ax.set_xlabel("w")
        ax.set_ylabel("b")
        ax.set_title(title, fontsize=10, loc="left")

    fig.suptitle(
        f"Mini-batch gradient descent on least squares, m = {m} examples, SGD update lr = {lr:g}, "
        f"one start, {n_traj} shuffles per batch size",
        fontsize=12,
    )
    fig.savefig(path, dpi=dpi)
    return path.name


def main(argv=None) -> int:
    args = parse_args(argv)
    t_start = time.perf_counter()
    out = Path(args.out)
    try:
        surf, j_star, j0, curves = run(
            args.m, args.epochs, args.trajectories, args.steps, args.lr, args.seed, args.dtype
        )
    except ValueError as e:  # landscape's one-line messages (e.g. too many examples)
        print(f"minibatch_compare.py: error: {e}", file=sys.stderr)
        return 2
    t_sim = time.perf_counter() - t_start
    out.mkdir(parents=True, exist_ok=True)
    rows = summarise(curves, args.m, args.epochs, j_star, j0)
    write_csv(rows, out / "minibatch_compare.csv")
    write_curves(curves, out / "minibatch_curves.csv")
    fig_name = figure(
        surf, curves, args.m, args.epochs, args.lr, j_star, j0, out / "minibatch_compare.png"
    )
    diverged = {c["batch_size"]: c["diverged"] for c in curves if c["diverged"]}
    t_all = time.perf_counter() - t_start

    header = (
        f"m = {args.m}, lr = {args.lr:g} (plain SGD update, constant), {args.trajectories} "
        f"trajectories per batch size from one start, seed {args.seed}, {args.dtype}; "
        f"J* = {j_star:.6g}, J(x0) = {j0:.6g}; '1%' = first step with "
        f"J <= J* + {TARGET:g}·(J(x0) − J*)"
    )
    table = table_lines(rows, args.epochs)
    print(header)
    print("\n".join(table))
    if diverged:
        print(f"diverged trajectories: {diverged}")
    md = [
        "# Mini-batch gradient descent: batch sizes 1, 64, 256 and m",
        "",
        f"Linear-regression bowl J(w, b) = 1/(2m) Σ (w x_i + b − y_i)², m = {args.m} "
        f"examples (seed {args.seed}), least-squares solution (w, b) = "
        f"({surf.minima[0][0]:.4f}, {surf.minima[0][1]:.4f}), J* = {j_star:.6g}. "
        f"Every batch size uses the same update (SGD, lr = {args.lr:g}, constant) from the "
        f"same start (w, b) = ({curves[0]['path'][0][0]:.4f}, {curves[0]['path'][0][1]:.4f}), "
        f"J(x0) = {j0:.6g}; its {args.trajectories} trajectories differ only in the "
        "shuffle of each epoch. Batch GD's trajectories are therefore identical.",
        "",
        f"Each batch size ran max({args.steps}, {args.epochs} epochs) updates. Costs are "
        f"the full cost J (median and 10–90% over trajectories) after {args.epochs} epochs "
        f"(= {args.epochs * args.m} examples, equal computation) and at the last step. "
        f"'to 1%' is the median first step (and examples processed) with "
        f"J ≤ J* + {TARGET:g}·(J(x0) − J*) (inf: fewer than half got there).",
        "",
        *table_lines(rows, args.epochs, markdown=True),
        "",
        f"![mini-batch comparison]({fig_name})",
        "",
        "(a–d) cost vs step: thin, the mini-batch cost J^{t} of the batch each step of "
        "trajectory 0 used; black, the full cost J (median and 10–90% band). "
        "(e) excess full cost vs examples processed (epochs on top). (f, g) trajectory 0 "
        "of each batch size on the contours of J.",
        "",
        "CSV: `minibatch_compare.csv` (this table, full precision), `minibatch_curves.csv` "
        "(every recorded step).",
        "",
        f"_Generated in {t_all:.1f} s (simulation {t_sim:.1f} s)._",
        "",
    ]
    (out / "README.md").write_text("\n".join(md), encoding="utf-8")
    print(f"wrote {out / 'README.md'} ({t_all:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
