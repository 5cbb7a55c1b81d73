"""The :class:`Result` of a simulation, and saving/loading it."""

from __future__ import annotations

import html
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import _validate as V
from ._atomic import atomic_path

__all__ = ["Result", "load"]


class _Surface:
    """The ``surface`` field: a Result read by :func:`load` rebuilds it on first use.

    Rebuilding can take long (a large random surface is drawn again from its
    seed), so :func:`load` stores the marker :data:`_FROM_CONFIG` and the
    first read of ``result.surface`` builds it from ``result.config``.
    """

    def __get__(self, obj, owner=None):
        if obj is None:
            return None
        d = obj.__dict__
        if d.get("_surface", _FROM_CONFIG) is _FROM_CONFIG:
            d["_surface"] = _rebuild_surface(obj.config)
        return d["_surface"]

    def __set__(self, obj, value):
        obj.__dict__["_surface"] = None if value is self else value

    def __repr__(self) -> str:  # the default shown by help(Result)
        return "None"


class _FromConfigMarker:
    def __reduce__(self):  # pickled Results keep the one marker
        return "_FROM_CONFIG"


_FROM_CONFIG = _FromConfigMarker()


@dataclass
class Result:
    """Everything a run produced, indexed ``[optimizer, trajectory, ...]``.

    Attributes
    ----------
    names : list of str
        Optimizer names, in order (first axis of every array).
    positions : ndarray, shape (n_optimizers, n_recorded, n_frames, d)
        Recorded iterates; ``n_frames`` is 0 when nothing was recorded, and
        ``n_recorded`` is the first ``record`` trajectories of each optimizer.
    loss : ndarray, shape (n_optimizers, n_recorded, n_frames)
        Loss at the recorded iterates, computed (in float64) from the
        positions on first access and kept.
    frame_steps : ndarray, shape (n_frames,)
        Step number of each frame (updates made before it).
    final, final_loss : ndarray, shapes (n_optimizers, n, d) and (n_optimizers, n)
        Last iterate and its loss (frozen iterate for diverged trajectories).
    events : dict of str to ndarray (n_optimizers, n)
        First step each event's condition held, -1 if never (censored).
    diverged : ndarray (n_optimizers, n)
        Step at which the trajectory diverged (was frozen), -1 if it did not.
    x0 : ndarray (n, d)
        The starting points shared by all optimizers.
    batch_loss : ndarray (n_optimizers, n_recorded, n_frames) or None
        On a finite-sum surface: the mini-batch cost :math:`J^{t}` of the
        batch each recorded step used (the course's noisy cost curve); equal
        to :attr:`loss` for batch gradient descent.  None otherwise.
    config : dict
        The exact configuration (surface, optimizers, seed, dtype, versions).
    surface : Surface or None
        The surface the run was on; for a Result read by :func:`load`,
        rebuilt from ``config`` on first use (None if it cannot be).
    """

    names: list
    positions: np.ndarray
    frame_steps: np.ndarray
    final: np.ndarray
    final_loss: np.ndarray
    events: dict
    diverged: np.ndarray
    x0: np.ndarray
    config: dict = field(default_factory=dict)
    surface: object = field(default=_Surface(), repr=False)
    batch_loss: np.ndarray | None = field(default=None, repr=False)
    _loss: np.ndarray | None = field(default=None, repr=False)

    @property
    def loss(self) -> np.ndarray:
        """Loss at the recorded frames, ``(n_optimizers, n_recorded, n_frames)``."""
        if self._loss is None:
            if self.surface is None:
                raise ValueError("this Result has no surface to compute frame losses from")
            pos = self.positions
            if pos.size == 0:
                self._loss = np.zeros(pos.shape[:3])
            else:
                # evaluate frame-major (contiguous) and hand back the matching view
                fm = np.ascontiguousarray(pos.transpose(0, 2, 1, 3))
                self._loss = self.surface.value(fm).transpose(0, 2, 1)
        return self._loss

    @property
    def n_optimizers(self) -> int:
        """Number of optimizers (first axis)."""
        return len(self.names)

    @property
    def n(self) -> int:
        """Trajectories per optimizer."""
        return self.final.shape[1]

    @property
    def steps(self) -> int:
        """Number of updates each trajectory was given."""
        return int(self.config.get("steps", 0))

    @property
    def minibatch(self) -> dict | None:
        """``{"m", "batch_size", "steps_per_epoch"}`` (per optimizer) on a finite sum, else None."""
        return self.config.get("minibatch")

    def examples_processed(self) -> np.ndarray:
        """Examples used before each frame, ``(n_optimizers, n_frames)``.

        Step ``t`` of an optimizer with batch size ``b`` on ``m`` examples has
        used ``(t // nb) * m + min((t % nb) * b, m)`` examples, ``nb = ceil(m / b)``:
        the x-axis for comparing batch sizes at equal computation.
        """
        mb = self.minibatch
        if mb is None:
            raise ValueError("examples_processed needs a run on a finite-sum surface")
        m = int(mb["m"])
        t = self.frame_steps[None, :]
        b = np.asarray(mb["batch_size"], dtype=np.int64)[:, None]
        nb = -(-m // b)
        return (t // nb) * m + np.minimum((t % nb) * b, m)

    def epochs(self) -> np.ndarray:
        """Epoch (0-based, fractional) at each frame, ``(n_optimizers, n_frames)``."""
        mb = self.minibatch
        if mb is None:
            raise ValueError("epochs needs a run on a finite-sum surface")
        return self.examples_processed() / float(mb["m"])

    def index(self, name: str) -> int:
        """Position of optimizer ``name`` on the first axis."""
        if name not in self.names:
            raise ValueError(f"name must be one of {self.names}, got {name!r}")
        return self.names.index(name)

    def diverged_fraction(self) -> np.ndarray:
        """Fraction of trajectories that diverged, per optimizer."""
        return (self.diverged >= 0).mean(axis=1)

    def reached_fraction(self, event: str) -> np.ndarray:
        """Fraction of trajectories whose ``event`` happened, per optimizer."""
        if event not in self.events:
            raise ValueError(f"event must be one of {sorted(self.events)}, got {event!r}")
        return (self.events[event] >= 0).mean(axis=1)

    def summary(self) -> list[dict]:
        """One row per optimizer: final loss quantiles, diverged and event fractions."""
        rows = []
        for i, name in enumerate(self.names):
            ok = self.diverged[i] < 0
            fl = self.final_loss[i][ok]
            row = {
                "optimizer": name,
                "n": self.n,
                "final_loss_median": float(np.median(fl)) if fl.size else float("nan"),
                "final_loss_min": float(fl.min()) if fl.size else float("nan"),
                "diverged": float(1.0 - ok.mean()),
            }
            for ev, times in self.events.items():
                hit = times[i] >= 0
                row[f"{ev}_fraction"] = float(hit.mean())
                row[f"{ev}_median_step"] = float(np.median(times[i][hit])) if hit.any() else None
            rows.append(row)
        return rows

    def format_table(self) -> str:
        """The :meth:`summary` as an aligned text table."""
        rows = self.summary()
        cols = list(rows[0])
        cells = [[_cell(r[c]) for c in cols] for r in rows]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
        return "\n".join(lines)

    def _facts(self) -> dict:
        """Sizes for the reprs, from the arrays and ``config`` only (never the surface)."""
        surface = self.config.get("surface")
        return {
            "surface": surface.get("name") if isinstance(surface, dict) else None,
            "n": self.n,
            "steps": self.steps,
            "dim": self.final.shape[2],
            "dtype": str(self.config.get("dtype", self.final.dtype)),
            "frames": len(self.frame_steps),
        }

    def __repr__(self) -> str:
        f = self._facts()
        return (
            f"Result(names={list(self.names)!r}, n={f['n']}, steps={f['steps']}, dim={f['dim']}, "
            f"dtype={f['dtype']!r}, frames={f['frames']}, events={list(self.events)!r})"
        )

    def _repr_html_(self) -> str:
        """A compact summary table for Jupyter: one row per optimizer (:meth:`summary`)."""
        f = self._facts()
        on = f" on {html.escape(str(f['surface']))}" if f["surface"] else ""
        caption = (
            f"Result{on}: {self.n_optimizers} optimizer(s) &times; {f['n']} trajectories, "
            f"{f['steps']} steps, dim {f['dim']}, {html.escape(f['dtype'])}, "
            f"{f['frames']} recorded frames"
        )
        events = list(self.events)
        head = ["optimizer", "final loss (median)", "diverged"]
        head += [f"reached {ev}" for ev in events]
        rows = []
        for row in self.summary():
            cells = [row["optimizer"], _cell(row["final_loss_median"]), f"{row['diverged']:.1%}"]
            cells += [f"{row[f'{ev}_fraction']:.1%}" for ev in events]
            rows.append(cells)

        def tr(cells, tag):
            return (
                "<tr>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in cells) + "</tr>"
            )

        return (
            f'<table class="landscape-result"><caption>{caption}</caption>'
            f"<thead>{tr(head, 'th')}</thead>"
            f"<tbody>{''.join(tr(r, 'td') for r in rows)}</tbody></table>"
        )

    @classmethod
    def concat(cls, parts, order=None) -> Result:
        """One Result from runs that differ only in their optimizers.

        The runs must share the surface, the starts ``x0``, the number of
        steps, the recorded frames, the recorded trajectories and the event
        names (e.g. the same recipe run once per noise level, with common
        random numbers); their optimizers are stacked along the first axis.

        Parameters
        ----------
        parts : sequence of Result
            At least one; optimizer names must be distinct across parts.
        order : sequence of str, optional
            The optimizer names of the result, in order (a permutation of
            all the parts' names); default: each part's names in turn.

        Returns
        -------
        Result
            ``config`` is the first part's, with the optimizers (and, on a
            finite sum, the mini-batch sizes) of every part.  Where the parts
            ran with different gradient noise, each optimizer's entry in
            ``config["optimizers"]`` says its own ``noise`` and
            ``config["noise"]`` says so.

        Raises
        ------
        ValueError
            Naming the first part that differs and what differs.
        """
        parts = list(parts)
        if not parts or not all(isinstance(p, Result) for p in parts):
            raise ValueError(f"parts must be a non-empty sequence of Result, got {parts!r}")
        first = parts[0]
        where = {}
        for j, part in enumerate(parts):
            _check_concatenable(first, part, j)
            for i, name in enumerate(part.names):
                if name in where:
                    raise ValueError(
                        f"parts[{j}] repeats the optimizer name {name!r}; names must be distinct"
                    )
                where[name] = (j, i)
        names = list(where) if order is None else list(order)
        if sorted(names) != sorted(where):
            raise ValueError(
                f"order must be a permutation of the parts' names {list(where)}, got {order!r}"
            )

        def stack(get):
            return np.stack([get(parts[where[nm][0]])[where[nm][1]] for nm in names])

        entries, noises = {}, [p.config.get("noise") for p in parts]
        per_noise = any(nz != noises[0] for nz in noises)
        for part, nz in zip(parts, noises, strict=True):
            for i, entry in enumerate(part.config.get("optimizers", [])):
                name = part.names[i]
                entries[name] = {**entry, "noise": nz} if per_noise else entry
        config = dict(first.config)
        if entries:
            config["optimizers"] = [entries[nm] for nm in names]
        if per_noise:
            config["noise"] = "per optimizer (see optimizers[i].noise)"
        if first.minibatch is not None:
            per = {}
            for part in parts:
                mb = part.minibatch
                for i, nm in enumerate(part.names):
                    per[nm] = (mb["batch_size"][i], mb["steps_per_epoch"][i])
            config["minibatch"] = {
                **first.minibatch,
                "batch_size": [per[nm][0] for nm in names],
                "steps_per_epoch": [per[nm][1] for nm in names],
            }
        return cls(
            names=names,
            positions=stack(lambda r: r.positions),
            frame_steps=first.frame_steps,
            final=stack(lambda r: r.final),
            final_loss=stack(lambda r: r.final_loss),
            events={ev: stack(lambda r, ev=ev: r.events[ev]) for ev in first.events},
            diverged=stack(lambda r: r.diverged),
            x0=first.x0,
            config=config,
            surface=first.surface,
            batch_loss=None if first.batch_loss is None else stack(lambda r: r.batch_loss),
        )

    def to_xarray(self, loss: bool = True):
        """The run as a labelled :class:`xarray.Dataset` (``pip install "landscape[sweep]"``).

        Dimensions: ``optimizer`` (the names; coordinate ``kind``),
        ``trajectory`` (0 .. n-1), ``coord`` (0 .. d-1), ``event`` (the event
        names), and for the recorded frames ``recorded`` (the first
        ``record`` trajectories) and ``frame`` (coordinate ``step``).
        Variables: ``x0``, ``final``, ``final_loss``, ``diverged`` and
        ``event_step`` (steps, -1 = never), ``positions`` and, with ``loss``
        and a surface, ``loss`` at the frames.  ``attrs["config"]`` is the
        run's configuration as JSON, so the dataset can be written to Zarr or
        netCDF as it is.  :mod:`landscape.stats` reads ``event_step`` and
        ``diverged`` like the Result's own arrays.
        """
        try:
            import xarray as xr
        except ImportError as exc:
            raise ImportError(
                f'to_xarray needs xarray: pip install "landscape[sweep]" ({exc})'
            ) from None
        kinds = [o.get("kind", "") for o in self.config.get("optimizers", [])]
        if len(kinds) != self.n_optimizers:
            kinds = [""] * self.n_optimizers
        events = list(self.events)
        rec = self.positions.shape[1]
        ev = (
            np.stack([self.events[e] for e in events], axis=-1)
            if events
            else np.zeros((self.n_optimizers, self.n, 0), dtype=np.int64)
        )
        data = {
            "x0": (("trajectory", "coord"), self.x0),
            "final": (("optimizer", "trajectory", "coord"), self.final),
            "final_loss": (("optimizer", "trajectory"), self.final_loss),
            "diverged": (("optimizer", "trajectory"), self.diverged),
            "event_step": (("optimizer", "trajectory", "event"), ev),
            "positions": (("optimizer", "recorded", "frame", "coord"), self.positions),
        }
        if loss and self.positions.size and self.surface is not None:
            data["loss"] = (("optimizer", "recorded", "frame"), self.loss)
        text = lambda v: np.asarray(v, dtype=object)  # noqa: E731 - variable-length strings (Zarr v3 has a spec)
        coords = {
            "optimizer": text(self.names),
            "kind": ("optimizer", text(kinds)),
            "trajectory": np.arange(self.n),
            "recorded": np.arange(rec),
            "coord": np.arange(self.x0.shape[1]),
            "event": text(events),
            "step": ("frame", np.asarray(self.frame_steps, dtype=np.int64)),
        }
        attrs = {"config": json.dumps(self.config, default=str), "steps": self.steps}
        return xr.Dataset(data, coords=coords, attrs=attrs)

    def save(self, path) -> Path:
        """Write an ``.npz`` file (arrays + JSON config); read it with :func:`load`.

        ``.npz`` is appended to ``path`` unless it ends so.  The file is
        written to a unique temporary beside it and moved into place
        (:func:`landscape._atomic.atomic_path`): concurrent saves to one path
        all succeed (the last wins), a concurrent :func:`load` sees the old or
        the new file, never a partial one, and a failed save leaves nothing.
        Saving onto a directory raises ``ValueError``.
        """
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz")
        arrays = {
            "positions": self.positions,
            "loss": self.loss,
            "frame_steps": self.frame_steps,
            "final": self.final,
            "final_loss": self.final_loss,
            "diverged": self.diverged,
            "x0": self.x0,
        }
        if self.batch_loss is not None:
            arrays["batch_loss"] = self.batch_loss
        for name, times in self.events.items():
            arrays[f"event__{name}"] = times
        meta = {"names": list(self.names), "events": list(self.events), "config": self.config}
        with atomic_path(path, ".npz") as tmp, open(tmp, "wb") as fh:
            np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)
        return path


def _check_concatenable(first: Result, part: Result, j: int) -> None:
    """``part`` (``parts[j]``) ran what ``first`` ran, but for its optimizers."""
    what = f"parts[{j}]"
    if part.steps != first.steps:
        raise ValueError(f"{what} ran {part.steps} steps, parts[0] {first.steps}")
    if not np.array_equal(part.frame_steps, first.frame_steps):
        raise ValueError(
            f"{what} recorded frames at other steps than parts[0] "
            f"({len(part.frame_steps)} frames vs {len(first.frame_steps)})"
        )
    if part.x0.shape != first.x0.shape or not np.array_equal(part.x0, first.x0):
        raise ValueError(f"{what} started from other points x0 than parts[0]")
    if part.positions.shape[1:] != first.positions.shape[1:]:
        raise ValueError(
            f"{what} recorded positions of shape {part.positions.shape[1:]} per optimizer, "
            f"parts[0] {first.positions.shape[1:]}"
        )
    s0, s1 = first.config.get("surface"), part.config.get("surface")
    if part.surface is not first.surface and s0 != s1:
        raise ValueError(f"{what} ran on another surface ({s1}) than parts[0] ({s0})")
    if list(part.events) != list(first.events):
        raise ValueError(f"{what} has events {list(part.events)}, parts[0] {list(first.events)}")
    if (part.batch_loss is None) != (first.batch_loss is None):
        raise ValueError(f"{what} and parts[0] must both be mini-batch runs or neither")
    if first.minibatch is not None and part.minibatch["m"] != first.minibatch["m"]:
        raise ValueError(
            f"{what} drew mini-batches from m = {part.minibatch['m']} examples, "
            f"parts[0] from {first.minibatch['m']}"
        )


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


#: The arrays every saved Result holds (``.npy`` members of the archive).
_REQUIRED = ("positions", "loss", "frame_steps", "final", "final_loss", "diverged", "x0")


class _FileError(ValueError):
    """A problem with a file's content (made into one ValueError naming the file)."""


def load(path) -> Result:
    """Read a :class:`Result` written by :meth:`Result.save`.

    The file is checked before any array is read: it must be an ``.npz``
    archive holding every array a save writes plus its JSON metadata, no
    array may hold Python objects (nothing is unpickled), no array header
    may claim more data than its member holds, nor all of them together
    more than the memory available, and every array's shape must agree
    with the optimizer names and with the others.  The surface is not
    rebuilt here: :attr:`Result.surface` rebuilds it from the stored
    configuration on first use (which can take long for a large random
    surface).

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        Anything else wrong with the file (empty, truncated, corrupt, not an
        ``.npz``, arrays missing or inconsistent), in one message naming it.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no Result file at {str(path)!r}")
    try:
        return _load(path)
    except _FileError as exc:
        raise ValueError(f"cannot load {str(path)!r}: {exc}") from None


def _load(path: Path) -> Result:
    if path.is_dir():
        raise _FileError("it is a directory, not a file written by Result.save")
    with open(path, "rb") as fh:
        head = fh.read(6)
    if not head:
        raise _FileError("the file is empty")
    if head == b"\x93NUMPY":
        raise _FileError("it is a single .npy array, not an .npz archive written by Result.save")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise _FileError(f"not an .npz archive (truncated or corrupt?): {exc}") from None
    with zf:
        headers = _member_headers(zf)
        missing = [k for k in ("__meta__", *_REQUIRED) if k not in headers]
        if missing:
            raise _FileError(f"incomplete: missing array(s) {missing}")
        meta = _meta(_read(zf, "__meta__", headers))
        for name in meta["events"]:
            if f"event__{name}" not in headers:
                raise _FileError(f"incomplete: missing the times of event {name!r}")
        keys = [*_REQUIRED, *(f"event__{e}" for e in meta["events"])]
        if "batch_loss" in headers:
            keys.append("batch_loss")
        arrays = {k: _read(zf, k, headers) for k in keys}
    _check_shapes(meta, arrays)
    result = Result(
        names=meta["names"],
        positions=arrays["positions"],
        _loss=arrays["loss"],
        frame_steps=arrays["frame_steps"],
        final=arrays["final"],
        final_loss=arrays["final_loss"],
        events={e: arrays[f"event__{e}"] for e in meta["events"]},
        diverged=arrays["diverged"],
        x0=arrays["x0"],
        config=meta["config"],
        batch_loss=arrays.get("batch_loss"),
        surface=_FROM_CONFIG,
    )
    return result


def _member_headers(zf: zipfile.ZipFile) -> dict:
    """``{array name: (shape, dtype, member)}`` from the ``.npy`` headers, checked."""
    out = {}
    total = 0
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            continue
        name = info.filename[:-4]
        try:
            with zf.open(info) as fp:
                version = np.lib.format.read_magic(fp)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
                else:
                    raise _FileError(f"array {name!r} has unsupported .npy version {version}")
                header_len = fp.tell()
        except _FileError:
            raise
        except Exception as exc:  # noqa: BLE001 - any corruption of the header
            raise _FileError(f"array {name!r} is corrupt: {type(exc).__name__}: {exc}") from None
        if dtype.hasobject:
            raise _FileError(f"array {name!r} holds Python objects (pickled data); refused")
        nbytes = math.prod(shape) * dtype.itemsize
        if nbytes > info.file_size - header_len:
            raise _FileError(
                f"array {name!r} claims shape {shape} of {dtype} ({V.gib(nbytes)}) but its "
                f"member holds {V.gib(max(info.file_size - header_len, 0))} (truncated or corrupt)"
            )
        total += nbytes
        out[name] = (shape, dtype, info)
    limit = V.available_memory()
    if total > limit:
        raise _FileError(
            f"its arrays would need {V.gib(total)}, more than the {V.gib(limit)} of memory "
            f"available (set {V.MEMORY_ENV} to override)"
        )
    return out


def _read(zf: zipfile.ZipFile, name: str, headers: dict) -> np.ndarray:
    try:
        with zf.open(headers[name][2]) as fp:
            return np.lib.format.read_array(fp, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - CRC errors, short reads, zlib errors, ...
        raise _FileError(f"array {name!r} is corrupt: {type(exc).__name__}: {exc}") from None


def _meta(arr: np.ndarray) -> dict:
    if arr.shape != () or arr.dtype.kind != "U":
        raise _FileError(f"__meta__ must be a JSON string, got a {arr.dtype} array {arr.shape}")
    try:
        meta = json.loads(str(arr))
    except ValueError as exc:
        raise _FileError(f"__meta__ is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise _FileError(f"__meta__ must be a JSON object, got {type(meta).__name__}")
    for key, kind in (("names", list), ("events", list), ("config", dict)):
        if not isinstance(meta.get(key), kind):
            raise _FileError(f"__meta__[{key!r}] must be a {kind.__name__}, got {meta.get(key)!r}")
    for key in ("names", "events"):
        if not all(isinstance(v, str) for v in meta[key]):
            raise _FileError(f"__meta__[{key!r}] must hold strings, got {meta[key]!r}")
    if not meta["names"]:
        raise _FileError("__meta__['names'] is empty: a Result has at least one optimizer")
    return meta


def _check_shapes(meta: dict, a: dict) -> None:
    """Every array's shape agrees with the names and with the other arrays."""
    k = len(meta["names"])
    for name, arr in a.items():
        if arr.dtype.kind not in "biuf":
            raise _FileError(f"array {name!r} must be numeric, got {arr.dtype}")
    expect_ndim = {"positions": 4, "loss": 3, "frame_steps": 1, "final": 3, "final_loss": 2,
                   "diverged": 2, "x0": 2, "batch_loss": 3}  # fmt: skip
    for name, arr in a.items():
        ndim = expect_ndim.get(name, 2)  # event__*: (n_optimizers, n)
        if arr.ndim != ndim:
            raise _FileError(f"array {name!r} must be {ndim}-D, got shape {arr.shape}")
        if name not in ("frame_steps", "x0") and arr.shape[0] != k:
            raise _FileError(
                f"{k} optimizer name(s) {meta['names']} but array {name!r} has "
                f"{arr.shape[0]} on its first axis (shape {arr.shape})"
            )
    n, d = a["x0"].shape
    pos = a["positions"]
    want = {
        "final": (k, n, d),
        "final_loss": (k, n),
        "diverged": (k, n),
        "loss": pos.shape[:3],
        **{nm: (k, n) for nm in a if nm.startswith("event__")},
    }
    if "batch_loss" in a:
        want["batch_loss"] = pos.shape[:3]
    for name, shape in want.items():
        if a[name].shape != shape:
            raise _FileError(f"array {name!r} must have shape {shape}, got {a[name].shape}")
    if pos.shape[2] != a["frame_steps"].shape[0] or pos.shape[1] > n or pos.shape[3] != d:
        raise _FileError(
            f"positions {pos.shape} disagree with frame_steps {a['frame_steps'].shape} "
            f"and x0 {a['x0'].shape} (want (n_optimizers, <= n, n_frames, d))"
        )


def _rebuild_surface(config: dict):
    """The run's surface rebuilt from its saved parameters (None if impossible)."""
    from . import surfaces

    spec = config.get("surface") or {}
    try:
        return surfaces.make(spec["name"], **spec.get("params", {}))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
