"""The :class:`Result` of a simulation, and saving/loading it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["Result", "load"]


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
    surface: object = field(default=None, repr=False)
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

    def save(self, path) -> Path:
        """Write an ``.npz`` file (arrays + JSON config); read it with :func:`load`."""
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
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, __meta__=np.array(json.dumps(meta)), **arrays)
        tmp.replace(path)
        return path


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def load(path) -> Result:
    """Read a :class:`Result` written by :meth:`Result.save`."""
    with np.load(Path(path), allow_pickle=False) as z:
        meta = json.loads(str(z["__meta__"]))
        events = {name: z[f"event__{name}"] for name in meta["events"]}
        return Result(
            names=meta["names"],
            positions=z["positions"],
            _loss=z["loss"],
            frame_steps=z["frame_steps"],
            final=z["final"],
            final_loss=z["final_loss"],
            events=events,
            diverged=z["diverged"],
            x0=z["x0"],
            config=meta["config"],
            surface=_rebuild_surface(meta["config"]),
            batch_loss=z["batch_loss"] if "batch_loss" in z.files else None,
        )


def _rebuild_surface(config: dict):
    """The run's surface rebuilt from its saved parameters (None if impossible)."""
    from . import surfaces

    spec = config.get("surface") or {}
    try:
        return surfaces.make(spec["name"], **spec.get("params", {}))
    except (KeyError, TypeError, ValueError):
        return None
