"""High-dimensional landscapes: saddles, not local minima; plateaus; the p-spin sphere.

Four experiments, each a figure, a CSV and a section of ``README.md``::

    python scripts/highdim.py -o highdim_report              # default size
    python scripts/highdim.py -o /tmp/h --quick              # CI size
    python scripts/highdim.py -o /tmp/h --only pspin escape  # some of them

``saddles``
    On Gaussian random fields of growing dimension d: (a) where gradient
    descent stands after a fixed budget (at a minimum, near a saddle, still
    moving), (b) what fraction of all the critical points found (by
    minimising the squared gradient norm from random starts, which converges
    to critical points of every index) are minima.
``index_energy``
    Energy against index (fraction of negative Hessian eigenvalues) of those
    critical points: the lower the critical point, the fewer its descent
    directions (Bray and Dean, PRL 98, 150201, 2007).
``escape``
    Escape times from a randomly rotated strict saddle of index 1 in
    d = 10 .. 1000 dimensions, per optimizer (Kaplan-Meier medians), with the
    linearised theory for gradient descent.
``pspin``
    Energies per spin reached by gradient descent, momentum and Adam on the
    spherical 3-spin glass (projected/retracted steps), against the published
    threshold and ground-state energies.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy import optimize
from scipy import stats as sps

import landscape as ls
from landscape import analysis as A
from landscape import render
from landscape import stats as S
from landscape.surfaces import random as RS

EXPERIMENTS = ("saddles", "index_energy", "escape", "pspin")
# each optimizer kind in its colour of every landscape figure (one hue family each)
COLOURS = render.palette(["gd", "momentum", "heavy_ball", "nesterov", "rmsprop", "adagrad", "adam",
                          "adamw"])  # fmt: skip


def _figure(w=10.0, h=4.2):
    # constrained layout: room for the titles and the legend below the panels
    fig = Figure(figsize=(w, h), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _legend_below(fig, *axes, ncol=None, fontsize=8):
    """One legend for ``axes`` below the panels (entries of the same label once), off the data."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    ncol = ncol or min(len(labels), 4)
    return fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=fontsize,
                      frameon=False)  # fmt: skip


def _save(fig, path: Path) -> str:
    fig.savefig(path)
    return path.name


def _table(rows, cols) -> str:
    def cell(v):
        if isinstance(v, float):
            return "–" if not math.isfinite(v) else f"{v:.4g}"
        return str(v)

    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    out += ["| " + " | ".join(cell(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def _csv(rows, cols, path: Path) -> str:
    with open(path, "w") as fh:
        fh.write(",".join(cols) + "\n")
        for r in rows:
            fh.write(",".join(str(r[c]) for c in cols) + "\n")
    return path.name


# --------------------------------------------------------------------------
# critical points of every index: minimise |grad f|^2 / 2, then Newton
# --------------------------------------------------------------------------
def critical_points(surf, starts, *, gtol=1e-9, merge=1e-5):
    """Distinct critical points reached from ``starts`` (rows), any index."""

    def fun(x):
        _, g = surf.value_and_grad(x)
        return 0.5 * float(g @ g), surf.hvp(x, g)  # d/dx |g|^2/2 = H g

    found = []
    for x0 in starts:
        res = optimize.minimize(fun, x0, jac=True, method="L-BFGS-B",
                                options={"maxiter": 3000, "gtol": 1e-12, "ftol": 1e-16})  # fmt: skip
        x = res.x
        for _ in range(30):  # Newton polish on the gradient
            _, g = surf.value_and_grad(x)
            if np.max(np.abs(g)) < gtol:
                break
            try:
                x = x - np.linalg.solve(surf.hessian(x), g)
            except np.linalg.LinAlgError:
                break
        _, g = surf.value_and_grad(x)
        if not np.all(np.isfinite(x)) or np.max(np.abs(g)) >= gtol:
            continue  # a local minimum of |g| that is not a critical point
        if not any(np.max(np.abs(x - y)) < merge for y in found):
            found.append(x)
    return np.array(found).reshape(-1, surf.dim)


# colours in different hue families (landscape.render's rule: no two of one family in a figure)
GD_CATEGORIES = (
    ("min", "#228833", "converged to a minimum"),
    ("saddle", "#D62728", "converged to a saddle"),
    ("moving_negative", "#E69F00", "still moving, negative curvature (saddle region)"),
    ("moving_convex", "0.7", "still moving, locally convex"),
)


def _gd_category(label, index):
    if label in ("min", "saddle"):
        return label
    if label == "not critical":
        return "moving_negative" if index > 0 else "moving_convex"
    return "other"


def exp_saddles(args, out: Path):
    gd_dims = [2, 8, 32] if args.quick else [2, 4, 8, 16, 32, 64, 128]
    crit_dims = [1, 2, 3] if args.quick else [1, 2, 3, 4, 5, 6, 8]
    n_gd = 32 if args.quick else 256
    n_crit = 15 if args.quick else 150
    steps = 300 if args.quick else 3000
    gd_rows, crit_rows = [], []
    for d in gd_dims:
        surf = ls.surfaces.gaussian_field(dim=d, features=args.features, seed=args.seed + d)
        x0 = ls.starts.uniform(n_gd, -2.0 * np.ones(d), 2.0 * np.ones(d), seed=args.seed)
        lr = 0.5 / math.sqrt(d)  # Hessian eigenvalues grow like sqrt(d)
        res = ls.simulate(surf, {"gd": ls.optim.gd(lr)}, x0, steps, record_every=0)
        tab = A.classify(surf, res.final[0], gtol=1e-4)
        cats = [_gd_category(lab, idx) for lab, idx in zip(tab.column("label"), tab.column("index"), strict=True)]
        row = {"dim": d, "lr": round(lr, 4)}
        for key, _, _ in GD_CATEGORIES:
            row[key] = float(np.mean([c == key for c in cats]))
        row["median_loss"] = float(np.median(res.final_loss[0]))
        gd_rows.append(row)
        print(f"  saddles: GD d={d}: " + ", ".join(f"{k} {row[k]:.2f}" for k, _, _ in GD_CATEGORIES), flush=True)
    for d in crit_dims:
        surf = ls.surfaces.gaussian_field(dim=d, features=args.features, seed=args.seed + 100 + d)
        starts = ls.starts.uniform(n_crit, -3.0 * np.ones(d), 3.0 * np.ones(d), seed=args.seed + 1)
        crit = critical_points(surf, starts)
        tab = A.classify(surf, crit, gtol=1e-6)
        lab = np.array(tab.column("label"))
        idx = np.array(tab.column("index"), dtype=float)
        n_min = int(np.sum(lab == "min"))
        frac = n_min / max(len(lab), 1)
        # a 95% Wilson interval for the fraction of minima
        z, k = 1.96, max(len(lab), 1)
        centre = (frac + z * z / (2 * k)) / (1 + z * z / k)
        half = z * math.sqrt(frac * (1 - frac) / k + z * z / (4 * k * k)) / (1 + z * z / k)
        crit_rows.append({"dim": d, "critical_points": int(len(lab)), "minima": n_min,
                          "maxima": int(np.sum(lab == "max")), "saddles": int(np.sum(lab == "saddle")),
                          "min_fraction": frac, "min_low": max(0.0, centre - half),
                          "min_high": min(1.0, centre + half), "mean_index": float(idx.mean()) if len(idx) else float("nan")})  # fmt: skip
        print(f"  saddles: critical points d={d}: {len(lab)} found, {n_min} minima", flush=True)
    fig = _figure(11.0, 4.3)
    ax1, ax2 = fig.subplots(1, 2)
    x = np.arange(len(gd_dims))
    bottom = np.zeros(len(gd_dims))
    for key, colour, label in GD_CATEGORIES:
        v = np.array([r[key] for r in gd_rows])
        ax1.bar(x, v, bottom=bottom, color=colour, label=label)
        bottom += v
    ax1.set_xticks(x, [str(d) for d in gd_dims])
    ax1.set_xlabel("dimension d")
    ax1.set_ylabel("fraction of GD endpoints")
    ax1.set_ylim(0, 1.02)
    ax1.set_title(f"(a) gradient descent after {steps} steps (lr = 0.5/√d)", fontsize=10)
    dd = np.array([r["dim"] for r in crit_rows])
    fr = np.array([r["min_fraction"] for r in crit_rows])
    lo = np.array([r["min_low"] for r in crit_rows])
    hi = np.array([r["min_high"] for r in crit_rows])
    ax2.fill_between(dd, np.maximum(lo, 1e-3), hi, color="#0072B2", alpha=0.2, lw=0)
    ax2.semilogy(dd, np.where(fr > 0, fr, np.nan), "o-", color="#0072B2", label="minima (95% Wilson band)")
    ax2.semilogy(dd, [r["mean_index"] for r in crit_rows], "s--", color="#8855BB", label="mean index (fraction of descent directions)")
    ax2.set_ylim(1e-3, 1.2)
    ax2.set_xlabel("dimension d")
    ax2.set_ylabel("fraction")
    ax2.set_title("(b) all critical points found (min ½|∇f|² from random starts)", fontsize=10)
    ax2.grid(alpha=0.3)
    _legend_below(fig, ax1, ax2, ncol=3)
    fig.suptitle(f"Gaussian random fields (RFF, K = {args.features}, ℓ = 1): saddles take over as d grows", fontsize=11)
    gd_cols = list(gd_rows[0])
    crit_cols = list(crit_rows[0])
    files = [_save(fig, out / "saddles.png"), _csv(gd_rows, gd_cols, out / "saddles_gd.csv"),
             _csv(crit_rows, crit_cols, out / "saddles_critical.csv")]  # fmt: skip
    text = (
        "## Minima or saddles as the dimension grows\n\n"
        f"Gaussian random fields `gaussian_field(dim=d, features={args.features})`.\n\n"
        f"(a) {n_gd} gradient-descent runs from uniform starts in [−2, 2]^d, {steps} steps with "
        "lr = 0.5/√d (the Hessian's eigenvalues grow like √d), classified by `ls.analysis.classify` "
        "(converged: gradient norm below 1e-4; the Hessian's index at the endpoint). In low "
        "dimension gradient descent ends in a minimum; in high dimension, after the same number of "
        "steps, most runs are still moving through regions of negative curvature: the plateaus "
        "around saddles are what slows them, not bad local minima.\n\n"
        + _table(gd_rows, gd_cols)
        + f"\n\n(b) The distinct critical points reached from {n_crit} starts in [−3, 3]^d by "
        "minimising ½|∇f|² (L-BFGS, then Newton), which converges to critical points of every "
        "index. The fraction of minima falls roughly exponentially with d (1/2 in one dimension, "
        "about 1/4 in two), and the typical critical point is a saddle with about half its "
        "directions descending.\n\n" + _table(crit_rows, crit_cols) + "\n\n![saddles](saddles.png)\n"
    )
    return text, files


def exp_index_energy(args, out: Path):
    d = 3 if args.quick else 6
    n_crit = 30 if args.quick else 300
    surf = ls.surfaces.gaussian_field(dim=d, features=args.features, seed=args.seed + 1000 + d)
    starts = ls.starts.uniform(n_crit, -3.0 * np.ones(d), 3.0 * np.ones(d), seed=args.seed + 7)
    crit = critical_points(surf, starts)
    tab = A.classify(surf, crit, gtol=1e-6)
    cval = np.array(tab.column("value"), dtype=float)
    cidx = np.array(tab.column("index"), dtype=float)
    clab = np.array(tab.column("label"))
    rho, pval = sps.spearmanr(cval, cidx) if len(cval) > 2 else (float("nan"), float("nan"))
    slope, intercept = np.polyfit(cval, cidx, 1) if len(cval) > 2 else (float("nan"),) * 2
    rows = [{"value": float(v), "index": float(i), "label": str(lab)} for v, i, lab in zip(cval, cidx, clab, strict=True)]
    fig = _figure(6.5, 4.5)
    ax = fig.add_subplot()
    for lab, colour, marker in (("min", "#228833", "o"), ("saddle", "#D62728", "s"), ("max", "#0072B2", "^")):
        sel = clab == lab
        if sel.any():
            ax.scatter(cval[sel], cidx[sel], s=16, color=colour, marker=marker, label=f"{lab} ({sel.sum()})")
    if math.isfinite(slope):
        xs = np.linspace(cval.min(), cval.max(), 50)
        ax.plot(xs, slope * xs + intercept, "k--", lw=1, label=f"linear fit (Spearman ρ = {rho:.2f})")
    ax.set_xlabel("f at the critical point (energy)")
    ax.set_ylabel("index (fraction of negative eigenvalues)")
    ax.set_title(f"Index–energy relation, Gaussian random field d = {d}", fontsize=10)
    ax.grid(alpha=0.3)
    _legend_below(fig, ax, ncol=2)
    files = [_save(fig, out / "index_energy.png"), _csv(rows, ["value", "index", "label"], out / "index_energy.csv")]
    text = (
        "## Energy against index of critical points\n\n"
        f"{len(cval)} distinct critical points of `gaussian_field(dim={d})` (from {n_crit} starts). "
        f"Spearman rank correlation between value and index ρ = {rho:.3f} (p = {pval:.2g}); "
        f"linear fit index ≈ {slope:.3f}·f + {intercept:.3f}. Low critical points have few "
        "descent directions, high ones many: a point with a low loss and a zero gradient is "
        "almost surely a minimum, one with a high loss almost surely a saddle.\n\n"
        "![index-energy](index_energy.png)\n"
    )
    return text, files


def exp_escape(args, out: Path):
    dims = [10, 100] if args.quick else [10, 100, 1000]
    n = 60 if args.quick else 200
    steps = 400 if args.quick else 600
    delta = 1e-3
    level = -0.125  # half way from the saddle (0) down to the minima (-1/4)
    radius = math.sqrt(1.0 - math.sqrt(0.5))  # |y_1| where -y^2/2 + y^4/4 first reaches the level
    opts = {
        "gd": ls.optim.gd(0.1),
        "momentum": ls.optim.momentum(0.1, beta=0.9),
        "heavy_ball": ls.optim.heavy_ball(0.1, beta=0.9),
        "rmsprop": ls.optim.rmsprop(0.01),
        "adam": ls.optim.adam(0.01),
    }
    rows, curves = [], {}
    for d in dims:
        surf = ls.surfaces.random_strict_saddle(dim=d, index=1, seed=args.seed + d)
        x0 = ls.starts.sphere(n, np.zeros(d), delta, seed=args.seed)
        res = ls.simulate(surf, opts, x0, steps, record_every=0,
                          events={"escape": ls.events.loss_below(level)})  # fmt: skip
        summ = {r["optimizer"]: r for r in S.summary(res, "escape")}
        curves[d] = S.survival(res, "escape")
        # linearised GD theory: the start's component along the escape direction grows
        # by (1 + lr * lam_neg) per step; its size is delta * |u_1|, u uniform on the sphere
        Q = surf.batched.rotation if hasattr(surf.batched, "rotation") else None
        if Q is not None:
            y1 = np.abs(x0 @ Q[:, 0])
            t_gd = np.log(radius / y1) / np.log(1.0 + 0.1 * 1.0)
            gd_theory = float(np.median(t_gd))
        else:
            gd_theory = float("nan")
        for name in opts:
            r = summ[name]
            rows.append({"dim": d, "optimizer": name, "median": r.get("median", float("nan")),
                         "escaped": r.get("escaped", float("nan")),
                         "gd_theory_median": gd_theory if name == "gd" else float("nan")})  # fmt: skip
        print(f"  escape d={d}: " + ", ".join(f"{k} {summ[k].get('median')}" for k in opts), flush=True)
    fig = _figure()
    ax1, ax2 = fig.subplots(1, 2)
    dmax = dims[-1]
    for name, curve in curves[dmax].items():
        xs, ys, lo, hi = curve.steps()
        ax1.step(xs, ys, where="post", color=COLOURS[name], label=name)
        ax1.fill_between(xs, lo, hi, step="post", color=COLOURS[name], alpha=0.15, lw=0)
    ax1.set_xlabel("step")
    ax1.set_ylabel("fraction still near the saddle")
    ax1.set_title(f"(a) survival, d = {dmax} (Kaplan–Meier)", fontsize=10)
    ax1.grid(alpha=0.3)
    for name in opts:
        med = [r["median"] for r in rows if r["optimizer"] == name]
        ax2.plot(dims, med, "o-", color=COLOURS[name], label=name)
    th = [r["gd_theory_median"] for r in rows if r["optimizer"] == "gd"]
    ax2.plot(dims, th, "k--", lw=1, label="GD, linearised theory")
    ax2.set_xscale("log")
    ax2.set_xlabel("dimension d")
    ax2.set_ylabel("median escape step")
    ax2.set_title(f"(b) median escape step (start radius {delta:g}, escape: f < {level:g})", fontsize=10)
    ax2.grid(alpha=0.3)
    _legend_below(fig, ax1, ax2, ncol=6)
    fig.suptitle("Leaving a strict saddle of index 1, randomly rotated, in d dimensions", fontsize=11)
    cols = ["dim", "optimizer", "median", "escaped", "gd_theory_median"]
    files = [_save(fig, out / "escape.png"), _csv(rows, cols, out / "escape.csv")]
    text = (
        "## Escape times per optimizer in high dimension\n\n"
        f"`random_strict_saddle(dim=d, index=1)`: one descent direction among d, randomly "
        f"rotated; {n} starts uniform on the sphere of radius {delta:g} around the saddle (value 0); "
        f"escape is the first step with f < {level:g}, half way down to the minima (−1/4). A random start's component along the "
        "single escape direction shrinks like 1/√d, so gradient descent needs "
        f"about log(r/|y₁|)/log(1 + ηλ) steps with r = {radius:.3f} (where the escape coordinate "
        "alone gives f = −1/8), growing like ½·log d (dashed line: that linearised formula "
        "evaluated on the actual starts; the quartic wall makes the last steps a little slower). RMSprop and Adam divide by the gradient's running size, "
        "so the tiny escape component is amplified at full speed from the start; classic momentum "
        "(heavy ball, v = βv + ∇f, effective step η/(1−β)) grows it by 1.32 per step instead of "
        "GD's 1.1. The course's momentum (v = βv + (1−β)∇f) at the same η is slower than GD here: "
        "its growth factor, the root of z² − (1 + β + (1−β)ηλ)z + β, is 1.065.\n\n" + _table(rows, cols) + "\n\n![escape](escape.png)\n"
    )
    return text, files


def exp_pspin(args, out: Path):
    N = 40 if args.quick else 150
    n = 8 if args.quick else 32
    steps = 300 if args.quick else 3000
    p = 3
    surf = ls.surfaces.pspin(dim=N, p=p, seed=args.seed)
    ref = RS.pspin_energies(p)._asdict()
    ref["reference"] = "Auffinger, Ben Arous and Černý 2013; Crisanti and Sommers 1992"
    x0 = ls.starts.sphere(n, np.zeros(N), math.sqrt(N), seed=args.seed)
    opts = {
        "gd": ls.optim.gd(0.05),
        "momentum": ls.optim.momentum(0.05, beta=0.9),
        "adam": ls.optim.adam(0.01),
    }
    every = max(1, steps // 150)
    res = ls.simulate(surf, opts, x0, steps, record_every=every)
    e = res.loss / N  # energy per spin at the frames
    final = res.final_loss / N
    norms = np.linalg.norm(res.final, axis=2) ** 2 / N
    rows = []
    for i, name in enumerate(res.names):
        lab = np.array(A.classify(surf, res.final[i], gtol=1e-3 * math.sqrt(N)).column("label"))
        rows.append({"optimizer": name, "e_mean": float(final[i].mean()), "e_sd": float(final[i].std()),
                     "e_min": float(final[i].min()),
                     "below_threshold": float(np.mean(final[i] < ref["threshold"])),
                     "local_minima": float(np.mean(lab == "min")),
                     "max_norm_error": float(np.max(np.abs(norms[i] - 1.0)))})  # fmt: skip
    # gradient descent as N grows: the stopping energy moves down towards E_th
    sizes = [20, 40] if args.quick else [50, 100, 200]
    size_rows = []
    for Nk in sizes:
        sk = ls.surfaces.pspin(dim=Nk, p=p, seed=args.seed + Nk)
        xk = ls.starts.sphere(n, np.zeros(Nk), math.sqrt(Nk), seed=args.seed)
        rk = ls.simulate(sk, {"gd": ls.optim.gd(0.05)}, xk, steps, record_every=0)
        ek = rk.final_loss[0] / Nk
        size_rows.append({"N": Nk, "gd_e_mean": float(ek.mean()), "gd_e_sd": float(ek.std())})
    fig = _figure(12.0, 4.4)
    ax1, ax2, ax3 = fig.subplots(1, 3, width_ratios=(1.25, 1.0, 0.7))
    for i, name in enumerate(res.names):
        med = np.median(e[i], axis=0)
        lo, hi = np.quantile(e[i], [0.1, 0.9], axis=0)
        ax1.plot(res.frame_steps, med, color=COLOURS[name], label=name)
        ax1.fill_between(res.frame_steps, lo, hi, color=COLOURS[name], alpha=0.2, lw=0)
        ax2.hist(final[i], bins=12, alpha=0.6, color=COLOURS[name], label=name)
    for ax in (ax1,):
        ax.set_xscale("symlog", linthresh=10)
    for ax, orient in ((ax1, "h"), (ax2, "v")):
        line = ax.axhline if orient == "h" else ax.axvline
        line(ref["threshold"], color="k", ls="--", lw=1, label=f"threshold {ref['threshold']:.3f}")
        if ref.get("ground_state") is not None:
            line(ref["ground_state"], color="k", ls=":", lw=1, label=f"ground state {ref['ground_state']:.3f}")
    ax1.set_xlabel("step")
    ax1.set_ylabel("energy per spin H/N")
    ax1.set_ylim(min(ref.get("ground_state") or ref["threshold"], float(e.min())) - 0.05, 0.2)
    ax1.set_title(f"(a) descent on the sphere, N = {N} (median, 10–90%)", fontsize=10)
    ax1.grid(alpha=0.3)
    ax2.set_xlabel("final energy per spin")
    ax2.set_ylabel("trajectories")
    ax2.set_title(f"(b) after {steps} steps", fontsize=10)
    # (c) was an inset over the histogram; its own panel covers no data
    ax3.errorbar([r["N"] for r in size_rows], [r["gd_e_mean"] for r in size_rows],
                 yerr=[r["gd_e_sd"] for r in size_rows], fmt="o-", color=COLOURS["gd"], ms=4,
                 label="gd: mean ± sd over the starts")  # fmt: skip
    ax3.axhline(ref["threshold"], color="k", ls="--", lw=1)
    ax3.set_xscale("log")
    ax3.set_xlabel("N (spins)")
    ax3.set_ylabel("final energy per spin")
    ax3.set_title(f"(c) GD after {steps} steps vs N", fontsize=10)
    ax3.grid(alpha=0.3)
    _legend_below(fig, ax1, ax2, ax3, ncol=6)
    fig.suptitle(f"Spherical {p}-spin glass: optimizers stop above the threshold energy, far from the ground state", fontsize=11)
    cols = list(rows[0])
    files = [_save(fig, out / "pspin.png"), _csv(rows, cols, out / "pspin.csv"),
             _csv(size_rows, list(size_rows[0]), out / "pspin_sizes.csv")]  # fmt: skip
    text = (
        f"## Energies reached on the spherical {p}-spin glass\n\n"
        f"`pspin(dim={N}, p={p})`, {n} random starts on the sphere |σ|² = N, {steps} projected/"
        "retracted steps each. Published values per spin in this normalisation: threshold "
        f"E_th = −2√((p−1)/p) = {ref['threshold']:.4f}, ground state "
        f"E_gs = {ref['ground_state']:.4f} ({ref.get('reference', '')}). As N and the time "
        "grow, gradient dynamics from random starts approach the threshold from above, never the "
        "ground state (Cugliandolo and Kurchan, PRL 71, 173, 1993): below E_th lie exponentially "
        "many local minima that random starts do not reach. At finite N the runs stop on local "
        "minima a little above E_th (`local_minima`: fraction of endpoints whose Riemannian "
        "Hessian is positive definite), and the stopping energy moves down towards E_th as N "
        "grows (panel (c), and the table below). Momentum and Adam change the speed, not the "
        "destination. `max_norm_error` is max |‖σ‖²/N − 1| at the end: the projected/retracted "
        "steps stay on the sphere to rounding.\n\n"
        + _table(rows, cols) + "\n\n" + _table(size_rows, list(size_rows[0]))
        + "\n\n![pspin](pspin.png)\n"
    )
    return text, files


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default="highdim_report", help="output folder")
    ap.add_argument("--only", nargs="+", choices=EXPERIMENTS, help="run only these experiments")
    ap.add_argument("--features", type=int, default=512, help="random Fourier features K")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="small sizes (CI)")
    args = ap.parse_args(argv)
    if args.features < 1:
        ap.error(f"argument --features: must be >= 1, got {args.features}")
    if args.seed < 0:
        ap.error(f"argument --seed: must be >= 0, got {args.seed}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    todo = args.only or list(EXPERIMENTS)
    t0 = time.perf_counter()
    parts = [
        "# High-dimensional landscapes\n\nWritten by `scripts/highdim.py`"
        + (" --quick" if args.quick else "") + f" (seed {args.seed}).\n"
    ]  # fmt: skip
    try:
        if "saddles" in todo:
            parts.append(exp_saddles(args, out)[0])
        if "index_energy" in todo:
            parts.append(exp_index_energy(args, out)[0])
        if "escape" in todo:
            parts.append(exp_escape(args, out)[0])
        if "pspin" in todo:
            parts.append(exp_pspin(args, out)[0])
    except ValueError as exc:
        print(f"highdim.py: error: {exc}", file=sys.stderr)
        return 2
    (out / "README.md").write_text("\n".join(parts))
    print(f"wrote {out / 'README.md'} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
