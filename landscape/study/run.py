"""Running a study as Dask tasks and storing it in Zarr as the tasks finish.

Each task runs one launch cell on one chunk of trajectories
(:func:`run_task`, a pure function of the study, the cell and the chunk);
the client writes its arrays into their region of the Zarr store and then
marks the task done, so an interrupted study resumes without recomputing
finished tasks, and a task lost with its worker is simply run again.
"""

from __future__ import annotations

import inspect
import os
import sys
from concurrent.futures import CancelledError
from pathlib import Path

import numpy as np

from .. import _validate as V
from .. import events as _events
from .. import optim, starts, surfaces
from ..engine import simulate
from ..optim import noise
from .spec import Study, StudyError

__all__ = [
    "check_cell",
    "make_optimizers",
    "make_surface",
    "open_result",
    "run",
    "run_task",
    "stored_tasks",
]


def make_surface(study: Study, cell: dict):
    """The surface of a launch cell (its surface-parameter axes over the fixed ones)."""
    params = {k: v for k, v in study.surface.items() if k != "name"}
    params.update(
        {k: v for k, v in cell.items() if k not in ("noise", "batch_size", "seed", "radius")}
    )
    return getattr(surfaces, study.surface["name"])(**params)


def make_optimizers(study: Study) -> list:
    """Every optimizer setting of the grid, in :meth:`Study.optimizer_cells` order."""
    out = []
    for cell in study.optimizer_cells():
        hp = {k: v for k, v in study.optimizer.items() if k != "kind"}
        hp.update({k: v for k, v in cell.items() if k != "optimizer"})
        kind = cell.get("optimizer", study.optimizer.get("kind"))
        ctor = getattr(optim, kind)
        names = inspect.signature(ctor).parameters
        out.append(ctor(**{k: v for k, v in hp.items() if k in names}))
    return out


class _key:
    """Turn a ValueError/TypeError raised while building ``what`` into a StudyError naming it."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if (
            kind is not None
            and issubclass(kind, (ValueError, TypeError))
            and not isinstance(exc, StudyError)
        ):
            raise StudyError(f"{self.what}: {exc}") from None
        return False


def _vector(key: str, v, dim: int) -> np.ndarray:
    """A number (the same in every coordinate) or ``dim`` numbers."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return np.full(dim, float(v))
    try:
        arr = np.asarray(v, dtype=float)
    except (TypeError, ValueError):
        arr = None
    if arr is None or arr.shape != (dim,):
        raise StudyError(f"{key} must be a number or {dim} numbers (the surface's dimension), "
                         f"got {v!r}")  # fmt: skip
    return arr


def _prepare(study: Study, cell: dict, first: int, stop: int) -> dict:
    """The arguments of one task's :func:`landscape.simulate` call, each checked under its key."""
    with _key(f"surface with {cell}" if cell else "surface"):
        surf = make_surface(study, cell)
    d = surf.dim
    sp = {k: v for k, v in study.starts.items() if k not in ("kind", "seed")}
    for key in ("x", "mean", "low", "high", "center"):
        if key in sp:
            sp[key] = _vector(f"starts.{key}", sp[key], d)
    if "radius" in cell:
        sp["radius"] = cell["radius"]
    seed_key = "axes.seed" if "seed" in cell else "starts.seed"
    with _key(seed_key):
        seed = V.integer("seed", cell.get("seed", study.starts.get("seed", 0)), minimum=0,
                         maximum=V.MAX_SEED)  # fmt: skip
    with _key("starts" + (f" with radius = {cell['radius']!r} (axes.radius)"
                          if "radius" in cell else "")):  # fmt: skip
        x0 = starts.indexed(study.starts["kind"], stop - first, first=first, seed=seed, **sp)
    evs = {}
    for name, spec in study.events.items():
        spec = dict(spec)
        kind = spec.pop("kind")
        make = getattr(_events, kind)
        if "center" in spec:
            spec["center"] = _vector(f"events.{name}.center", spec["center"], d)
        with _key(f"events.{name}"):
            evs[name] = make(**spec)
            _events.pack({name: evs[name]}, d, np.dtype(study.dtype))
    with _key("axes.noise"):
        sigma = V.nonnegative("noise", cell.get("noise", 0.0))
    kw = {"noise": noise.gaussian(sigma) if sigma > 0 else None}
    if "batch_size" in cell:
        kw["batch_size"] = cell["batch_size"]
    if study.diverge_at is not None:
        kw["diverge_at"] = study.diverge_at
    rec = study.recorded_in(first, stop)
    return dict(surface=surf, x0=x0, steps=study.steps, record_every=study.every if rec else 0,
                record=rec, dtype=study.dtype, seed=seed, events=evs, first_trajectory=first,
                **kw)  # fmt: skip


def check_cell(study: Study, cell: dict) -> int:
    """Build one launch cell's arguments as a task would, without simulating; its dimension."""
    from ..engine.simulate import _batch_sizes, named_optimizers

    args = _prepare(study, cell, 0, 1)
    if "batch_size" in args:
        names, _ = named_optimizers(make_optimizers(study))
        with _key("axes.batch_size"):
            _batch_sizes(args["batch_size"], names, args["surface"])
    return args["surface"].dim


def run_task(study: Study, cell: dict, first: int, stop: int) -> dict:
    """Simulate one launch cell on trajectories ``first:stop``; the arrays the study keeps."""
    args = _prepare(study, cell, first, stop)
    res = simulate(optimizers=make_optimizers(study), progress=False, **args)
    dt = np.dtype(study.dtype)  # stored in the run's precision
    out = {"final_loss": res.final_loss.astype(dt), "diverged": res.diverged}
    if study.events:
        out["event_step"] = np.stack([res.events[e] for e in study.events], axis=-1)
    if "final" in study.keep:
        out["final"] = res.final.astype(dt)
    if args["record"]:
        out["positions"] = res.positions.astype(dt)
        out["loss"] = res.loss.astype(dt)
    return {k: v for k, v in out.items() if k in study.variables}


# ---------------------------------------------------------------------------
# the store
# ---------------------------------------------------------------------------
def _template(study: Study):
    """The empty dataset: dims (launch axes..., optimizer axes..., trajectory[, event, coord])."""
    import dask.array as da
    import xarray as xr

    la, oa = study.launch_axes, study.optimizer_axes
    dt = np.dtype(study.dtype)  # the run's precision (float32 studies store float32)
    dims = [*la, *oa, "trajectory"]
    shape = (
        [len(study.axes[a]) for a in la] + [len(study.axes[a]) for a in oa] + [study.trajectories]
    )
    chunks = [1] * len(la) + [len(study.axes[a]) for a in oa] + [study.chunk]
    data = {
        "final_loss": (dims, da.full(shape, np.nan, dtype=dt, chunks=chunks)),
        "diverged": (dims, da.full(shape, -2, dtype=np.int64, chunks=chunks)),
    }
    if "event_step" in study.variables:
        e = len(study.events)
        data["event_step"] = (
            [*dims, "event"],
            da.full([*shape, e], -2, dtype=np.int64, chunks=[*chunks, e]),
        )
    if "final" in study.keep or study.every:  # one dimension (checked by load)
        dim = make_surface(study, study.launches()[0]).dim
    if "final" in study.keep:
        data["final"] = ([*dims, "coord"],
                         da.full([*shape, dim], np.nan, dtype=dt, chunks=[*chunks, dim]))  # fmt: skip
    if study.every:
        f = len(study.frame_steps)
        rdims = [*dims[:-1], "recorded", "frame"]
        rshape = [*shape[:-1], study.recorded, f]
        rchunks = [*chunks[:-1], min(study.chunk, study.recorded), f]
        data["positions"] = ([*rdims, "coord"],
                             da.full([*rshape, dim], np.nan, dtype=dt,
                                     chunks=[*rchunks, dim]))  # fmt: skip
        data["loss"] = (rdims, da.full(rshape, np.nan, dtype=dt, chunks=rchunks))
    n_chunks = len(study.chunks())
    # the done flags are written at once (all 0); the rest is filled as the tasks finish
    data["done"] = ([*la, "chunk"],
                    np.zeros([len(study.axes[a]) for a in la] + [n_chunks], dtype=np.int8))  # fmt: skip
    coords = {a: _coord(study.axes[a]) for a in (*la, *oa)}
    coords["trajectory"] = np.arange(study.trajectories)
    if "event_step" in study.variables:
        coords["event"] = np.asarray(list(study.events), dtype=object)
    if study.every:
        coords["recorded"] = np.arange(study.recorded)
        coords["step"] = ("frame", study.frame_steps)
    data = {k: v for k, v in data.items() if k in (*study.variables, "done")}
    return xr.Dataset(data, coords=coords, attrs={"study": study.to_json(), "steps": study.steps})


def _coord(values):
    if all(isinstance(v, str) for v in values):
        return np.asarray(values, dtype=object)
    return np.asarray(values)


#: The stored variables, in the order that fixes the order of the dimensions.
_VARIABLES = ("final_loss", "diverged", "event_step", "final", "positions", "loss", "done")


def open_result(path):
    """The stored study as an :class:`xarray.Dataset` (lazily loaded).

    Its dimensions come in a fixed order: the launch axes, the optimizer
    axes, ``trajectory``, ``event`` (and ``coord``), ``chunk`` (a store lists
    its arrays in no particular order).
    """
    import xarray as xr

    ds = xr.open_zarr(path, consolidated=False)
    return ds[[v for v in _VARIABLES if v in ds]]


def _check_store(study: Study, path: Path):
    """The done flags of an existing store of this very study, or else the empty dataset to
    create (once there is room for it); refuse a store of another study, a file, a folder of
    other things."""
    import xarray as xr

    if (path / "zarr.json").exists() or (path / ".zgroup").exists():
        ds = xr.open_zarr(path, consolidated=False)
        if ds.attrs.get("study") != study.to_json():
            raise StudyError(f"{path} holds another study; give a new output path or remove it")
        return ds["done"].values
    if path.exists() and not path.is_dir():
        raise StudyError(f"output {path} is a file, not a study store; give a new output path")
    if path.exists() and any(path.iterdir()):
        raise StudyError(f"output {path} exists and is not a study store; give a new output path")
    tmpl = _template(study)
    _check_disk(tmpl, path)
    return tmpl


def _prepare_store(path: Path, found) -> np.ndarray:
    """The done flags: those :func:`_check_store` found, or all 0 in the store it now creates
    from the empty dataset it gave."""
    if isinstance(found, np.ndarray):
        return found
    tmpl = found
    try:
        # one Zarr chunk per done flag: each task marks its own
        tmpl.to_zarr(path, compute=False, consolidated=False, mode="w",
                     encoding={"done": {"chunks": (1,) * tmpl["done"].ndim}})  # fmt: skip
    except OSError as exc:
        raise StudyError(f"output {path}: cannot create the store ({exc})") from None
    return np.zeros(tmpl["done"].shape, dtype=np.int8)


def _check_disk(tmpl, path: Path) -> None:
    """The store (uncompressed: an upper bound) must fit in the free space where it goes."""
    import shutil

    need = sum(v.size * v.dtype.itemsize for v in tmpl.data_vars.values())
    where = path.absolute()
    while not where.exists():
        where = where.parent
    try:
        free = shutil.disk_usage(where).free
    except OSError as exc:
        raise StudyError(f"output {path}: {exc}") from None
    if need > free:
        raise StudyError(f"output {path}: the study needs up to {V.gib(need)} (uncompressed), "
                         f"more than the {V.gib(free)} free there; lower run.trajectories or "
                         "the axes' values, or store it elsewhere")  # fmt: skip


def _write(path: Path, study: Study, li: int, ci: int, arrays: dict) -> None:
    """Write one task's arrays into its region, then mark it done (in that order)."""
    import xarray as xr

    la, oa = study.launch_axes, study.optimizer_axes
    cell_index = np.unravel_index(li, [len(study.axes[a]) for a in la]) if la else ()
    a, b = study.chunks()[ci]
    cell = {ax: slice(int(i), int(i) + 1) for ax, i in zip(la, cell_index, strict=True)}
    shape_opt = [len(study.axes[x]) for x in oa]
    data, frames = {}, {}
    for name, arr in arrays.items():
        # (optimizer, trajectory, ...) -> (1,.., opt axes.., trajectory, ...)
        arr = arr.reshape([1] * len(la) + shape_opt + list(arr.shape[1:]))
        if name in ("positions", "loss"):
            frames[name] = ([*la, *oa, "recorded", "frame", "coord"][: arr.ndim], arr)
        else:
            extra = {"event_step": ["event"], "final": ["coord"]}.get(name, [])
            data[name] = ([*la, *oa, "trajectory", *extra], arr)
    if data:
        region = {**cell, "trajectory": slice(a, b)}
        xr.Dataset(data).to_zarr(path, region=region, consolidated=False, mode="r+")
    if frames:
        rec = frames["loss"][1].shape[len(la) + len(oa)]
        region = {**cell, "recorded": slice(a, a + rec)}
        xr.Dataset(frames).to_zarr(path, region=region, consolidated=False, mode="r+")
    flag = np.ones([1] * (len(la) + 1), dtype=np.int8)
    xr.Dataset({"done": ([*la, "chunk"], flag)}).to_zarr(
        path, region={**cell, "chunk": slice(ci, ci + 1)}, consolidated=False, mode="r+")  # fmt: skip


def run(study: Study, out, *, client=None, scheduler: str | None = None, workers: int | None = None,
        progress: bool = False, callback=None):  # fmt: skip
    """Run ``study`` into the Zarr store ``out``; returns the stored dataset.

    ``client``: a ``distributed.Client`` (any cluster); else ``scheduler``
    (an address ``tcp://host:port``); else a local cluster of ``workers``
    processes (default: one per core; ``workers=0``: every task in this
    process, one after the other).  Finished tasks of an earlier,
    interrupted run of the same study are not run again.  ``callback(cell,
    chunk)`` is called after each task is stored.  Raises
    :class:`StudyError` (one line) for a bad argument, an unusable output
    path or scheduler, before any task runs, and for a scheduler lost
    during the study (the stored tasks stay; the same call resumes).
    """
    if not isinstance(study, Study):
        raise StudyError(f"study must be a landscape.study.Study (study.load), got {study!r}")
    if workers is not None:
        try:
            workers = V.integer("workers", workers, minimum=0)
        except ValueError as exc:
            raise StudyError(str(exc)) from None
        if client is not None or scheduler is not None:
            raise StudyError("workers sizes a local cluster: give it without client or scheduler")
    path = Path(out)
    found = _check_store(study, path)  # before starting or reaching any cluster
    if workers == 0 and client is None and scheduler is None:
        return _run_here(study, path, found, progress, callback)
    from dask.distributed import as_completed
    from distributed.comm.core import CommClosedError

    own = None
    if client is None:
        if scheduler is not None:
            client = own = _connect(scheduler)
        else:
            client = own = _local_client(workers or os.cpu_count() or 1, dashboard=progress)
    bar = None
    try:
        done = _prepare_store(path, found)
        cells, chunks = study.launches(), study.chunks()
        todo = _todo(study, done)
        futures = {client.submit(run_task, study, cells[li], *chunks[ci], pure=False,
                                 retries=2, key=f"study-{li}-{ci}-{os.getpid()}"): (li, ci)
                   for li, ci in todo}  # fmt: skip
        if progress:
            has = "dashboard" in client.scheduler_info().get("services", {})
            link = getattr(client, "dashboard_link", None) if has else None
            if link:
                print(f"Dask dashboard: {link}", file=sys.stderr, flush=True)
            bar = _bar(done.size, int(done.sum()))
        stored, where = 0, getattr(client.scheduler, "address", "")
        for fut in as_completed(futures, loop=client.loop):  # not the default client
            li, ci = futures[fut]
            try:
                arrays = fut.result()
            except (CancelledError, CommClosedError):  # the scheduler is gone: Dask cancels all
                raise StudyError(
                    f"lost the Dask scheduler {where} after {stored} of {len(todo)} tasks "
                    "were stored; run the same study again to resume"
                ) from None
            _store(path, study, li, ci, arrays, callback, bar)
            stored += 1
    finally:
        if bar is not None:
            bar.close()
        if own is not None:
            _close(own)
    return open_result(path)


def _run_here(study: Study, path: Path, found, progress: bool, callback):
    """Every task in this process, one after the other (``workers=0``)."""
    done = _prepare_store(path, found)
    cells, chunks = study.launches(), study.chunks()
    bar = _bar(done.size, int(done.sum())) if progress else None
    try:
        for li, ci in _todo(study, done):
            _store(path, study, li, ci, run_task(study, cells[li], *chunks[ci]), callback, bar)
    finally:
        if bar is not None:
            bar.close()
    return open_result(path)


def _todo(study: Study, done: np.ndarray) -> list[tuple[int, int]]:
    """``(launch cell, chunk)`` of every task not yet stored, in grid order."""
    flags = done.reshape(len(study.launches()), len(study.chunks()))
    return [(int(li), int(ci)) for li, ci in np.argwhere(flags == 0)]


def _store(path: Path, study: Study, li: int, ci: int, arrays: dict, callback, bar) -> None:
    """Write a finished task, then tell the caller's callback and the progress bar."""
    _write(path, study, li, ci, arrays)
    if callback is not None:
        callback(li, ci)
    if bar is not None:
        bar.update(1)


def _bar(total: int, stored: int):
    """A progress bar over the study's tasks, starting at those already stored."""
    from tqdm.auto import tqdm

    if stored == total:
        print(f"all {total} tasks are already stored", file=sys.stderr)
    elif stored:
        print(f"resuming: {stored} of {total} tasks are already stored", file=sys.stderr)
    return tqdm(total=total, initial=stored, desc="study")


def _local_client(n: int, dashboard: bool):
    """A local cluster of ``n`` worker processes and its client.

    The workers start with SIGINT ignored: Ctrl-C reaches the whole process
    group, and the study (this process) stops them itself when closing the
    cluster, instead of each worker printing its KeyboardInterrupt traceback.
    """
    import logging
    import signal
    import threading

    from dask.distributed import Client, LocalCluster

    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        # a dashboard (Dask's live view of the tasks) when progress is shown
        # workers log errors only (not the warnings of tasks cancelled when the study stops);
        # each worker's kernels use its share of the cores (not all of them, n times over)
        threads = max(1, (os.cpu_count() or 1) // n)
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=":0" if dashboard else None,
                               silence_logs=logging.ERROR,
                               env={"NUMBA_NUM_THREADS": str(threads)})  # fmt: skip
    finally:
        if main:
            signal.signal(signal.SIGINT, old)
    return Client(cluster, set_as_default=False)


_SCHEMES = ("tcp", "tls", "ws", "wss")
_REACH_S = 10  # seconds to reach a scheduler and hear it answer


def _connect(scheduler: str):
    """A client of the Dask scheduler at ``scheduler``, or one :class:`StudyError` line.

    Before a ``Client`` is made, the address is parsed, its port tried and
    the service there asked who it is (Dask's ``identity``), each within
    ``_REACH_S`` seconds: a Client that fails while starting stays the
    process's default Dask scheduler (distributed 2026.8, "foo://bar"), so
    every later dask computation of the process would wait on it, and one
    pointed at another service (the dashboard's port) waits forever.  Ours
    is never the default (``set_as_default=False``): the study submits to
    it explicitly.
    """
    import socket

    from dask.distributed import Client
    from distributed.comm import parse_address, parse_host_port

    def refuse(why):
        return StudyError(f"scheduler {scheduler}: cannot reach it ({why})")

    try:
        scheme, where = parse_address(scheduler, strict=True)
        if scheme not in _SCHEMES:
            raise ValueError(f"the address must start with one of {', '.join(_SCHEMES)}://")
        host, port = parse_host_port(where)
        if not 1 <= port <= 65535:
            raise ValueError(f"the port must be 1-65535, got {port}")
    except (TypeError, ValueError) as exc:
        raise refuse(exc) from None
    try:  # a refused port fails at once (Dask would retry it until its timeout)
        socket.create_connection((host, port), timeout=_REACH_S).close()
    except OSError as exc:
        raise refuse(exc) from None
    why = _why_not_a_scheduler(scheduler)
    if why is not None:
        raise refuse(why)
    try:
        return Client(scheduler, timeout=f"{_REACH_S}s", set_as_default=False)
    except Exception as exc:  # noqa: BLE001 -- any failure to start is the one line
        raise refuse(exc) from None


def _why_not_a_scheduler(address: str) -> str | None:
    """None if a Dask scheduler answers Dask's ``identity`` at ``address`` within
    ``_REACH_S`` seconds, else why not (a worker, another service, no answer).

    Asked on a daemon thread of its own, with its own event loop, so that it
    works from inside a running loop too (a Jupyter cell) and Ctrl-C stops
    the wait at once.
    """
    import asyncio
    import threading

    from distributed.core import rpc
    from distributed.security import Security

    async def ask():
        args = Security().get_connection_args("client")  # tls:// as Dask's config says
        async with rpc(address, timeout=_REACH_S, connection_args=args) as r:
            return await r.identity()

    def run():
        try:
            ident = asyncio.run(asyncio.wait_for(ask(), _REACH_S))
        except TimeoutError:  # asyncio.wait_for (before OSError: TimeoutError is one)
            return f"no Dask answer in {_REACH_S} s: is it the scheduler's port?"
        except OSError as exc:  # closed, reset, a TLS failure
            return f"not a Dask scheduler ({type(exc).__name__}: {exc})"
        except Exception:  # noqa: BLE001 -- another protocol's bytes read as Dask's
            return "it answers, but not as a Dask scheduler: is it the scheduler's port?"
        kind = ident.get("type") if isinstance(ident, dict) else None
        return None if kind == "Scheduler" else f"a Dask {kind or 'service'}, not a scheduler"

    answer = []  # the thread's one result
    asking = threading.Thread(target=lambda: answer.append(run()), daemon=True,
                              name="landscape-dask-identity")  # fmt: skip
    asking.start()
    asking.join()
    return answer[0]


def stored_tasks(out) -> tuple[int, int]:
    """``(stored, total)`` tasks of the study store ``out`` ((0, 0) if there is none)."""
    try:
        done = open_result(out)["done"].values
    except (OSError, KeyError, ValueError):
        return 0, 0
    return int(done.sum()), int(done.size)


def _close(client) -> None:
    """Close a client we made (and its local cluster), without Dask's logged tracebacks.

    After a lost scheduler, closing cancels the client's reconnection, which
    Dask logs as an error with a traceback; the study has already said what
    happened in one line.
    """
    import logging

    logs = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)
            if n == "distributed" or n.startswith("distributed.")]  # fmt: skip
    levels = [log.level for log in logs]
    for log in logs:
        log.setLevel(logging.CRITICAL)
    try:
        cluster = getattr(client, "cluster", None)
        client.close()
        if cluster is not None:
            cluster.close()
    finally:
        for log, level in zip(logs, levels, strict=True):
            log.setLevel(level)
