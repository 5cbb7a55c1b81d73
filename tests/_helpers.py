"""Helpers shared by test files: the same optimizer and schedule built for
landscape and for the NumPy reference (tests/reference.py)."""

from __future__ import annotations

import landscape as ls

try:  # tests/ as a package or as a plain directory on sys.path
    from . import reference as ref
    from . import reference_surfaces as refsurf
except ImportError:
    import reference as ref
    import reference_surfaces as refsurf


def vg_of(surf):
    """Reference value-and-gradient (NumPy, rows) of a surface."""
    return lambda x: refsurf.value_and_grad(surf, x)


def build_schedule(desc):
    """``desc`` = None | (name, kwargs); 'then' may itself be a desc.

    Returns (landscape Schedule or None, reference function).
    """
    if desc is None:
        return None, ref.constant()
    name, kw = desc
    kw = dict(kw)
    if "then" in kw:
        ls_then, ref_then = build_schedule(kw.pop("then"))
        return ls.schedules.make(name, then=ls_then, **kw), ref.make_schedule(
            name, then=ref_then, **kw
        )
    return ls.schedules.make(name, **kw), ref.make_schedule(name, **kw)


def build_opt(kind, hp, sched=None):
    """The same optimizer for landscape and for the reference."""
    ls_s, ref_s = build_schedule(sched)
    opt = ls.optim.make(kind, **hp, schedule=ls_s)
    spec_kind = "gd" if kind == "sgd" else kind
    spec = ref.OptSpec(spec_kind, schedule=ref_s, **hp)
    return opt, spec


def default_sigint():
    """``preexec_fn`` of a child that must get Ctrl-C as a user's shell delivers it.

    Where these tests run with SIGINT ignored (a background job of a
    non-interactive shell, ``nohup``), an ignored signal stays ignored across
    exec and Python then installs no KeyboardInterrupt.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ctrl_c(proc, within: float) -> float:
    """Send SIGINT to ``proc``, wait at most ``within`` s (then kill it); the seconds it took."""
    import signal
    import time

    t = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=within)
    finally:
        proc.kill()
    return time.monotonic() - t
