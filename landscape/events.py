r"""First-passage events, computed inside the kernels.

An event records, per trajectory, the first step ``t`` (number of updates
made, 0 for the start) at which its condition holds for the iterate
:math:`x_t`, or -1 if it never does within the run (right-censored).
Diverged trajectories stop being checked at the step they diverge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _validate as V

__all__ = ["Event", "enter_ball", "leave_ball", "loss_below"]

LEAVE_BALL, ENTER_BALL, LOSS_BELOW = 0, 1, 2
_KIND_NAMES = ("leave_ball", "enter_ball", "loss_below")


@dataclass(frozen=True, eq=False)
class Event:
    """A first-passage condition: kind id, centre (balls) and radius or level."""

    kind: int
    center: np.ndarray
    value: float

    @property
    def name(self) -> str:
        """The constructor's name."""
        return _KIND_NAMES[self.kind]

    def describe(self) -> dict:
        """Plain-data description (for saved configs)."""
        out = {"kind": self.name}
        if self.kind == LOSS_BELOW:
            out["level"] = self.value
        else:
            out["center"] = self.center.tolist()
            out["radius"] = self.value
        return out


def leave_ball(center, radius: float) -> Event:
    r"""First step with :math:`\lVert x_t - c \rVert > r` (e.g. escaping a saddle)."""
    return Event(LEAVE_BALL, V.vector("center", center), V.positive("radius", radius))


def enter_ball(center, radius: float) -> Event:
    r"""First step with :math:`\lVert x_t - c \rVert < r` (e.g. reaching a minimum)."""
    return Event(ENTER_BALL, V.vector("center", center), V.positive("radius", radius))


def loss_below(level: float) -> Event:
    r"""First step with :math:`f(x_t) < \text{level}`."""
    return Event(LOSS_BELOW, np.zeros(0), V.real("level", level))


def pack(events: dict, dim: int, dtype=np.float64):
    """Arrays ``(kinds, centers (E, dim), values)`` for the kernels.

    The kernels compare squared distances with the squared radius (and losses
    with the level) in the run's ``dtype``; a radius whose square underflows
    to zero or overflows there (float32: radius below about 1e-19 or above
    about 1e19), or a level beyond its range, is refused rather than silently
    never (or always) firing.
    """
    info = np.finfo(dtype)
    dname = np.dtype(dtype).name
    n = len(events)
    kinds = np.zeros(n, dtype=np.int64)
    centers = np.zeros((n, dim))
    values = np.zeros(n)
    for i, (name, ev) in enumerate(events.items()):
        if not isinstance(ev, Event):
            raise ValueError(f"events[{name!r}] must be a landscape.events.Event, got {ev!r}")
        kinds[i] = ev.kind
        if ev.kind != LOSS_BELOW:
            if ev.center.shape[0] != dim:
                raise ValueError(
                    f"events[{name!r}] center must have length {dim} (the surface dimension), "
                    f"got length {ev.center.shape[0]}"
                )
            centers[i] = ev.center
            r2 = ev.value * ev.value  # squared radius
            if not float(info.tiny) <= r2 <= float(info.max):
                lo, hi = math.sqrt(float(info.tiny)), math.sqrt(float(info.max))
                raise ValueError(
                    f"events[{V.safe_text(repr(name))}] radius={ev.value!r} cannot be compared in "
                    f"{dname}: its square {'underflows' if r2 < float(info.tiny) else 'overflows'}; "
                    f"use a radius in [{lo:.3g}, {hi:.3g}] or dtype='float64'"
                )
            values[i] = r2
        else:
            if abs(ev.value) > float(info.max):
                raise ValueError(
                    f"events[{V.safe_text(repr(name))}] level={ev.value!r} is beyond the range of "
                    f"{dname} (+-{float(info.max):.3g}); use dtype='float64' or a smaller level"
                )
            values[i] = ev.value
    return kinds, centers, values
