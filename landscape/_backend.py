"""The only module that imports ``numba.cuda``; backend selection.

Importing landscape never imports CUDA.  ``backend="cuda"`` without a usable
GPU raises :class:`CudaUnavailable` saying why; ``"auto"`` falls back to the
CPU and says so once (a ``logging`` warning on the ``landscape`` logger).
"""

from __future__ import annotations

import logging
import os

__all__ = ["BACKENDS", "CudaUnavailable", "check", "cuda", "cuda_status", "resolve"]

#: The simulation backends (``simulate``'s, the recipes' and the CLI's ``backend``).
BACKENDS = ("cpu", "cuda", "auto")
_log = logging.getLogger("landscape")
_STATE = {"warned": False}


class CudaUnavailable(RuntimeError):
    """``backend="cuda"`` was asked for but no usable GPU is there."""


def simulator() -> bool:
    """Whether numba's CUDA simulator is on (``NUMBA_ENABLE_CUDASIM=1``)."""
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def cuda():
    """The ``numba.cuda`` module; raises :class:`CudaUnavailable` if it is missing."""
    try:
        from numba import cuda as _cuda
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise CudaUnavailable(
            f"numba-cuda is not installed ({exc}); install it with pip install 'landscape[cuda]'"
        ) from None
    return _cuda


def cuda_status() -> tuple[bool, str]:
    """``(usable, reason)``: can kernels run on a GPU (or the simulator) here?"""
    try:
        _cuda = cuda()
    except CudaUnavailable as exc:
        return False, str(exc)
    if simulator():
        return True, "numba CUDA simulator (NUMBA_ENABLE_CUDASIM=1)"
    try:
        if not _cuda.is_available():
            return False, _driver_reason(_cuda)
        dev = _cuda.get_current_device()
        name = dev.name.decode() if isinstance(dev.name, bytes) else str(dev.name)
        return True, f"{name} (compute capability {dev.compute_capability})"
    except Exception as exc:  # noqa: BLE001 - any driver failure means "not usable"
        return False, f"the CUDA driver failed: {exc}"


def _driver_reason(_cuda) -> str:
    try:
        _cuda.cudadrv.driver.driver.get_device_count()
    except Exception as exc:  # noqa: BLE001
        lines = [t.strip(" :") for t in str(exc).splitlines() if t.strip(" :")]
        # numba's message: "Error at driver init:", then the reason on its own line
        detail = lines[1] if len(lines) > 1 else (lines[0] if lines else "unknown error")
        return f"no usable NVIDIA driver ({detail})"
    return "no CUDA device was found (the driver reports none)"


def check(backend) -> str:
    """``backend`` if it is one of :data:`BACKENDS` and can run here, before any work.

    Raises ``ValueError`` (one line) for an unknown name, and for ``"cuda"``
    where no usable GPU is there (saying why); ``"auto"`` always passes (it
    falls back to the CPU).  Used by recipes and the CLI to fail before
    simulating or rendering anything.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if backend == "cuda":
        ok, why = cuda_status()
        if not ok:
            raise ValueError(f"backend 'cuda' is not usable here: {why} (use cpu or auto)")
    return backend


def resolve(backend: str) -> str:
    """``"cpu"`` or ``"cuda"`` for a requested backend (validated)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}")
    if backend == "cpu":
        return "cpu"
    ok, reason = cuda_status()
    if ok:
        return "cuda"
    if backend == "cuda":
        raise CudaUnavailable(f"backend='cuda' is not usable here: {reason}")
    if not _STATE["warned"]:
        _STATE["warned"] = True
        _log.warning("landscape: backend='auto' runs on the CPU: %s", reason)
    return "cpu"
