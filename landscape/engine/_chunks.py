"""How many steps the next chunk of a run takes (fused CPU and CUDA engines alike).

Both engines run a long simulation as a series of kernel calls over chunks of
steps, so that Python (and so Ctrl-C) gets control back every
``target_seconds`` or so; results do not depend on the chunk lengths.
"""

from __future__ import annotations

#: Steps of the first chunk, before any timing is known.
FIRST_STEPS = 16


def next_window(seconds_per_step: float, last_steps: int, target_seconds: float) -> int:
    """Steps for the next chunk: about ``target_seconds`` at the last chunk's pace.

    ``last_steps`` is the length of the last chunk (0: none yet, start with
    :data:`FIRST_STEPS`).  A chunk grows at most 16x over the last one: a first
    timing of a few microseconds is noisy.
    """
    if last_steps == 0:
        return FIRST_STEPS
    want = target_seconds / max(seconds_per_step, 1e-12)
    return int(max(1, min(want, 16 * last_steps, 2**62)))
