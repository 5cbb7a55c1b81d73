"""Event constructors (landscape.events): argument validation. Event times
are tested where the kernel records them (test_engine.py: reference runs,
saddle escape times)."""

from __future__ import annotations

import pytest

import landscape as ls

BAD = [
    (lambda: ls.events.leave_ball([0, 0], 0.0), "radius"),
    (lambda: ls.events.enter_ball([0, float("nan")], 1.0), "center"),
    (lambda: ls.events.loss_below(float("nan")), "level"),
]


@pytest.mark.parametrize("call,match", BAD, ids=[f"{i}-{m}" for i, (_, m) in enumerate(BAD)])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

