"""``landscape.simulate``: validate, pack as data, run the fused kernel."""

from __future__ import annotations

import os
import sys

import numpy as np

from .. import _backend, _config
from .. import _validate as V
from .. import events as _events
from .._rng import seed_key_of
from ..optim.noise import Noise
from ..optim.optimizers import Optimizer
from ..optim.schedules import R_SPE
from ..results import Result
from ..surfaces import Surface
from ..surfaces.finite_sum import MODELS
from . import batched as _batched
from . import fused_cpu
from .plan import Outputs, plan

__all__ = ["named_optimizers", "simulate"]

_DTYPES = {"float32": np.float32, "float64": np.float64}


def named_optimizers(optimizers):
    """``(names, optimizers)`` from an Optimizer, a list or a dict; duplicate names get ``#2``, ``#3``."""
    if isinstance(optimizers, Optimizer):
        items = [(optimizers.label, optimizers)]
    elif isinstance(optimizers, dict):
        items = list(optimizers.items())
    elif isinstance(optimizers, (list, tuple)):
        items = [(o.label if isinstance(o, Optimizer) else repr(o), o) for o in optimizers]
    else:
        raise ValueError(
            "optimizers must be an Optimizer, a list of them or a dict name -> Optimizer, "
            f"got {type(optimizers).__name__}"
        )
    if not items:
        raise ValueError("optimizers must not be empty")
    names, seen = [], {}
    for name, opt in items:
        if not isinstance(opt, Optimizer):
            raise ValueError(
                f"optimizers[{name!r}] must be a landscape.optim.Optimizer, got {opt!r}"
            )
        if not isinstance(name, str):
            raise ValueError(f"optimizer names must be strings, got {name!r}")
        count = seen.get(name, 0)
        seen[name] = count + 1
        names.append(name if count == 0 else f"{name}#{count + 1}")
    return names, [o for _, o in items]


def _starts(x0, dim):
    try:
        arr = V.real_array("x0", x0)
    except ValueError as exc:
        if "got a" in str(exc) or "complex" in str(exc):
            raise
        raise ValueError(
            f"x0 must be an (n, {dim}) array of numbers, got {type(x0).__name__}"
        ) from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim or arr.shape[0] < 1:
        raise ValueError(
            f"x0 must have shape (n, {dim}) for this {dim}-D surface, got shape {np.shape(x0)}"
        )
    if not np.all(np.isfinite(arr)):
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise ValueError(f"x0 must be finite, got {arr[bad].tolist()} in row {bad}")
    return arr


def _batch_sizes(batch_size, names, surface):
    """Batch size per optimizer (0: full batch) and the data's size ``m`` (0: not a finite sum)."""
    fs = surface.finite_sum
    n_opt = len(names)
    if fs is None:
        if batch_size is not None:
            raise ValueError(
                f"batch_size needs a finite-sum surface ({', '.join(MODELS)}; see "
                f"landscape.surfaces.finite_sum), got batch_size={batch_size!r} "
                f"for {surface.name}; for additive gradient noise use "
                "landscape.noise.gaussian(sigma, batch_size)"
            )
        return np.zeros(n_opt, dtype=np.int64), 0
    m = fs.m
    if batch_size is None:
        sizes = [m] * n_opt
    elif isinstance(batch_size, dict):
        unknown = sorted(set(batch_size) - set(names))
        if unknown:
            raise ValueError(
                f"batch_size has no optimizer named {unknown[0]!r}; optimizers are {names}"
            )
        sizes = [batch_size.get(nm, m) for nm in names]
    elif isinstance(batch_size, (list, tuple, np.ndarray)):
        if len(batch_size) != n_opt:
            raise ValueError(
                f"batch_size must give one size per optimizer ({n_opt}), got {len(batch_size)}"
            )
        sizes = list(batch_size)
    else:
        sizes = [batch_size] * n_opt
    out = np.empty(n_opt, dtype=np.int64)
    for i, (nm, b) in enumerate(zip(names, sizes, strict=True)):
        label = "batch_size" if not isinstance(batch_size, (dict, list, tuple, np.ndarray)) \
            else f"batch_size[{nm!r}]"  # fmt: skip
        b = V.integer(label, b, minimum=1)
        if b > m:
            raise ValueError(f"{label} must be between 1 and m = {m} (the examples), got {b}")
        out[i] = b
    return out, m


def _epoch_rows(srows, opts, names, batch, m):
    """Schedules on a finite sum count real epochs: ``ceil(m / b)`` steps each."""
    for i, (o, nm) in enumerate(zip(opts, names, strict=True)):
        spe = -(-m // int(batch[i]))
        given = o.schedule.steps_per_epoch
        if given != 1.0 and given != spe:
            raise ValueError(
                f"optimizers[{nm!r}]: the schedule's steps_per_epoch={given:g} conflicts with the "
                f"data's {spe} steps per epoch (m = {m}, batch_size = {int(batch[i])}); leave "
                "steps_per_epoch at its default on a finite-sum surface"
            )
        srows[i, R_SPE] = float(spe)
    return srows


def simulate(
    surface: Surface,
    optimizers,
    x0,
    steps: int,
    *,
    record_every: int | None = 10,
    record: int | None = None,
    dtype: str = "float64",
    seed: int = 0,
    noise: Noise | None = None,
    batch_size=None,
    events: dict | None = None,
    diverge_at: float | None = None,
    backend: str = "cpu",
    flush_denormals: bool | None = None,
    progress: bool | None = None,
    first_trajectory: int = 0,
) -> Result:
    r"""Run every optimizer from every start on ``surface`` for ``steps`` updates.

    Parameters
    ----------
    surface : Surface
        From :mod:`landscape.surfaces`.  A surface with ``surface.batched``
        (high-dimensional, gradient by matrix products) runs in the batched
        engine (:mod:`landscape.engine.batched`): one BLAS gradient call on
        all trajectories and one fused update kernel per step, on the CPU;
        same arguments and Result.  On a sphere surface the starts are scaled
        onto :math:`\lVert x\rVert^2 = d` and every step is projected and
        retracted.
    optimizers : Optimizer, list of Optimizer, or dict name -> Optimizer
        Any mix of kinds, hyperparameters and schedules: one kernel launch, no
        recompilation (optimizers are data).
    x0 : array (n, d)
        Starting points, shared by all optimizers (see :mod:`landscape.starts`).
    steps : int
        Number of updates (>= 1).
    record_every : int or None
        Keep every ``record_every``-th iterate (frames at steps 0, k, 2k, ...);
        0 or None keeps none (final state and events only).
    record : int or None
        Keep frames only for the first ``record`` trajectories of each optimizer.
    dtype : {"float32", "float64"}
        Precision of the whole run.  float32 runs flush denormals to zero
        (``flush_denormals``) to avoid the 5-10x slowdown of subnormal maths.
    seed : int
        Key of the counter-based generator for gradient noise: the same seed
        gives the same numbers whatever the thread count.
    noise : Noise or None
        Additive gradient noise (:func:`landscape.noise.gaussian`).
    batch_size : int, sequence of int, dict name -> int, or None
        Mini-batch size on a finite-sum surface (:mod:`landscape.minibatch`):
        one for all optimizers, one per optimizer, or by name (others: the
        full batch).  Each epoch every trajectory draws a fresh permutation of
        the ``m`` examples (keyed by ``seed``, trajectory and epoch) and takes
        consecutive batches of ``b``, the last one smaller; ``1`` is SGD,
        ``m`` (or None) batch gradient descent.  Epoch-based schedules count
        these epochs (``ceil(m / b)`` steps each).  The cost of each recorded
        step's mini-batch is kept as :attr:`Result.batch_loss`; ``loss_below``
        events test that mini-batch cost.
    events : dict name -> Event
        First-passage conditions (:mod:`landscape.events`), computed in the kernel.
    diverge_at : float
        A trajectory is frozen and flagged as diverged at the first step where
        a coordinate exceeds this in absolute value, or its loss or gradient is
        not finite (default ``1e6``).
    backend : {"cpu", "cuda", "auto"}
        Where to run: ``"cuda"`` runs the fused CUDA kernels (one thread per
        trajectory; needs ``pip install "landscape[cuda]"`` and an NVIDIA GPU,
        else :class:`landscape.CudaUnavailable` says why); ``"auto"`` uses the
        GPU when one is usable and otherwise the CPU, saying so once.  The
        batched engine runs on the CPU only: ``"cuda"`` raises
        :class:`landscape.CudaUnavailable`, ``"auto"`` runs on the CPU.
    flush_denormals : bool or None
        Flush subnormal numbers to zero in the kernel's threads (default: for
        float32 runs).
    progress : bool or None
        A progress bar (tqdm, on stderr) for fused CPU runs that last more
        than 2 s.  None (default): when stderr is a terminal and ``CI`` is not
        set.  Ctrl-C stops any run within about a step (``KeyboardInterrupt``).
    first_trajectory : int
        Global index of the first start (default 0).  Gradient noise and
        mini-batch shuffles are keyed on the trajectory's global index, so
        ``simulate(..., x0[a:b], first_trajectory=a)`` gives exactly rows
        ``a:b`` of the run of all of ``x0``: a large study can be cut into
        chunks, run anywhere and in any order, with the same numbers.

    Returns
    -------
    Result
    """
    if not isinstance(surface, Surface):
        raise ValueError(f"surface must be a landscape.surfaces.Surface, got {surface!r}")
    is_batched = _check_batched(surface)
    names, opts = named_optimizers(optimizers)
    X0 = _starts(x0, surface.dim)
    if is_batched and getattr(surface.batched, "manifold", None) == "sphere":
        X0 = _batched.retract(X0)
    n, d = X0.shape
    # the kernels count steps in int64 (t in range(steps + 1), frame f * record_every)
    steps = V.integer("steps", steps, minimum=1, maximum=V.MAX_STEPS)
    rec_every = (
        0
        if record_every is None
        else V.integer("record_every", record_every, minimum=0, maximum=V.MAX_STEPS)
    )
    rec_n = n if record is None else min(n, V.integer("record", record, minimum=0))
    first_trajectory = V.integer("first_trajectory", first_trajectory, minimum=0,
                                 maximum=2**62 - n)  # fmt: skip
    if rec_every == 0:
        rec_n = 0
    if isinstance(dtype, type) or isinstance(dtype, np.dtype):
        dtype = np.dtype(dtype).name
    V.choice("dtype", dtype, _DTYPES)
    dt = _DTYPES[dtype]
    seed = V.integer("seed", seed, minimum=0, maximum=V.MAX_SEED)
    if noise is not None and not isinstance(noise, Noise):
        raise ValueError(f"noise must be a landscape.noise.Noise or None, got {noise!r}")
    events = {} if events is None else events
    if not isinstance(events, dict):
        raise ValueError(f"events must be a dict name -> Event, got {type(events).__name__}")
    ev_kind, ev_center, ev_val = _events.pack(events, d, dt)
    bound = _config.DIVERGE_AT if diverge_at is None else V.positive("diverge_at", diverge_at)
    where = _batched_backend(backend) if is_batched else _backend.resolve(backend)
    ftz = (
        (dt == np.float32)
        if flush_denormals is None
        else V.flag("flush_denormals", flush_denormals)
    )

    if progress is None:
        progress = sys.stderr.isatty() and not os.environ.get("CI")
    else:
        progress = V.flag("progress", progress)

    n_opt = len(opts)
    n_frames = steps // rec_every + 1 if rec_every else 0
    batch, m = _batch_sizes(batch_size, names, surface)
    _check_memory(n_opt, n, d, len(events), n_frames, rec_n, rec_every, m, is_batched, dt)
    kinds = np.array([o.kind_id for o in opts], dtype=np.int64)
    hp = np.stack([o.hp_row() for o in opts])
    skinds = np.array([o.schedule.kind for o in opts], dtype=np.int64)
    srows = np.stack([o.schedule.row() for o in opts])
    if m:
        srows = _epoch_rows(srows, opts, names, batch, m)

    # frame-major storage (a frame of a block is one contiguous write); the
    # Result exposes an (optimizer, trajectory, frame, coord) view of it.  The
    # loss of recorded frames is computed on demand from the positions.
    out = Outputs(
        pos=np.empty((n_opt, n_frames, rec_n, d), dtype=dt),
        bloss=np.empty((n_opt, n_frames, rec_n) if m else (n_opt, 0, 0), dtype=dt),
        final=np.empty((n_opt, n, d), dtype=dt),
        final_loss=np.empty((n_opt, n), dtype=dt),
        ev_t=np.empty((n_opt, n, len(events)), dtype=np.int64),
        div_t=np.empty((n_opt, n), dtype=np.int64),
    )
    sigma = noise.scale if noise is not None else 0.0
    X0c = np.ascontiguousarray(X0, dtype=dt)
    run_plan = plan(
        kinds, hp, skinds, srows, batch, surface.params, steps, rec_every, rec_n, sigma,
        seed_key_of(seed), (ev_kind, ev_center, ev_val), bound, ftz, out, first_trajectory,
    )  # fmt: skip
    if is_batched:
        _batched.run(surface, X0c, run_plan)
    elif where == "cuda":
        from . import fused_cuda

        fused_cuda.run(surface, X0c, run_plan)
    else:
        fused_cpu.run(surface, X0c, run_plan, progress=progress)
    pos, bloss, final, final_loss, ev_t, div_t = out
    if m and np.any(batch < m):
        # the kernel's last loss is a mini-batch cost: report the full cost J
        ok = np.isfinite(final).all(axis=2)
        full = np.full(final_loss.shape, np.nan)
        full[ok] = surface.value(final[ok].astype(np.float64))
        final_loss = np.where(ok, full, final_loss).astype(dt)

    config = {
        "surface": {"name": surface.name, "dim": d, "params": _plain(surface.kwargs)},
        "optimizers": [
            {"name": nm, "kind": o.kind, **_plain(o.hyperparameters())}
            for nm, o in zip(names, opts, strict=True)
        ],
        "steps": steps,
        "record_every": rec_every,
        "record": rec_n,
        "dtype": dtype,
        "seed": seed,
        "noise": None if noise is None else noise.describe(),
        "minibatch": None
        if not m
        else {
            "m": m,
            "batch_size": batch.tolist(),
            "steps_per_epoch": [-(-m // int(b)) for b in batch],
        },  # fmt: skip
        "events": {k: e.describe() for k, e in events.items()},
        "diverge_at": bound,
        "backend": where,
        "versions": _versions(),
        **({"first_trajectory": first_trajectory} if first_trajectory else {}),
    }
    if is_batched:
        config["engine"] = "batched"
    return Result(
        names=names,
        positions=pos.transpose(0, 2, 1, 3),
        frame_steps=np.arange(n_frames, dtype=np.int64) * rec_every,
        batch_loss=bloss.transpose(0, 2, 1) if m else None,
        final=final,
        final_loss=final_loss,
        events={name: ev_t[:, :, i].copy() for i, name in enumerate(events)},
        diverged=div_t,
        x0=X0,
        config=config,
        surface=surface,
    )


def _check_memory(n_opt, n, d, n_ev, n_frames, rec_n, rec_every, m, is_batched, dt):
    """Refuse, before allocating, a run whose arrays would not fit in memory.

    Counts what the call holds at once: frames (positions, and mini-batch
    losses on a finite sum), final states and losses, event and divergence
    steps, the float64 and working copies of ``x0``, and the batched
    engine's state (position, gradient and two optimizer moments per
    trajectory of every optimizer).
    """
    item = np.dtype(dt).itemsize
    frames = n_opt * n_frames * rec_n * (d + (1 if m else 0)) * item + n_frames * 8
    final = n_opt * n * (d + 1) * item + n_opt * n * (n_ev + 1) * 8
    starts = n * d * (8 + item)
    state = 4 * n_opt * n * d * item if is_batched else 0
    total = frames + final + starts + state
    if frames > total / 2:
        V.fits_memory(
            "record_every/record",
            total,
            f"{n_frames} frames of {rec_n} trajectories x {n_opt} optimizers in {d}-D "
            f"(record_every={rec_every}), with the final states",
            hint="raise record_every or lower record",
        )
    else:
        V.fits_memory(
            "x0",
            total,
            f"{n} starts x {n_opt} optimizers in {d}-D (final states, events"
            + (", the batched engine's state" if is_batched else "")
            + (f", {n_frames} frames" if frames else "")
            + ")",
            hint="use fewer starts or optimizers",
        )


def _check_batched(surface) -> bool:
    """Whether ``surface`` runs in the batched engine (and that its ``batched`` is usable)."""
    b = surface.batched
    if b is None:
        return False
    if not callable(getattr(b, "value_and_grad", None)):
        raise ValueError(
            f"surface.batched must have a value_and_grad(X, G) method, got {b!r} on {surface.name}"
        )
    manifold = getattr(b, "manifold", None)
    if manifold not in _batched.MANIFOLDS:
        raise ValueError(
            f"surface.batched.manifold must be one of {list(_batched.MANIFOLDS)}, got {manifold!r}"
        )
    if surface.finite_sum is not None:
        raise ValueError(
            f"surface {surface.name} has both finite_sum and batched; the batched engine does not "
            "run mini-batches"
        )
    return True


def _batched_backend(backend) -> str:
    """The batched engine runs on the CPU: ``"auto"`` means the CPU, ``"cuda"`` is refused."""
    if backend not in _backend.BACKENDS:
        raise ValueError(f"backend must be one of {list(_backend.BACKENDS)}, got {backend!r}")
    if backend == "cuda":
        raise _backend.CudaUnavailable(
            "backend='cuda' is not available for this surface: it runs in the batched engine "
            "(BLAS gradients), whose GPU path (cuBLAS via CuPy) is not available; use "
            "backend='cpu' or 'auto'"
        )
    return "cpu"


def _plain(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, np.ndarray):
            v = v.tolist()
        elif isinstance(v, np.generic):
            v = v.item()
        out[k] = v
    return out


def _versions() -> dict:
    import numba

    from .. import __version__

    return {"landscape": __version__, "numba": numba.__version__, "numpy": np.__version__}
