"""The CUDA backend without a GPU: simulator agreement, PTX compilation, errors.

* ``tests/cuda_sim`` runs the CUDA kernels under numba's simulator in its own
  process (``NUMBA_ENABLE_CUDASIM=1`` must be set before numba.cuda loads);
* the kernels of every surface family compile to real PTX for sm_90 when the
  NVVM compiler is installed (``pip install "landscape[cuda]"``);
* without a GPU, ``backend="cuda"`` says why and ``"auto"`` falls back once.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import landscape as ls
from landscape import _backend, _cache, _rng
from landscape.engine.plan import Outputs, plan
from landscape.optim import _rules as R
from landscape.optim import schedules as S

HERE = Path(__file__).parent


def test_cuda_kernels_agree_with_cpu_under_the_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(HERE / "cuda_sim")],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and "skipped" not in proc.stdout.splitlines()[-1], tail


def test_importing_landscape_does_not_import_cuda():
    code = "import sys, landscape; print('numba.cuda' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


needs_no_gpu = pytest.mark.skipif(_backend.cuda_status()[0], reason="a GPU is usable here")


@needs_no_gpu
def test_cuda_backend_without_gpu_says_why():
    surf = ls.surfaces.rosenbrock()
    with pytest.raises(ls.CudaUnavailable, match="backend='cuda' is not usable here: .+"):
        ls.simulate(surf, ls.optim.adam(), [[0.0, 0.0]], 2, backend="cuda")


@needs_no_gpu
def test_auto_falls_back_to_cpu_and_says_so_once(monkeypatch, caplog):
    monkeypatch.setitem(_backend._STATE, "warned", False)
    surf = ls.surfaces.rosenbrock()
    with caplog.at_level(logging.WARNING, logger="landscape"):
        r1 = ls.simulate(surf, ls.optim.adam(), [[0.0, 0.0]], 2, backend="auto")
        r2 = ls.simulate(surf, ls.optim.adam(), [[0.0, 0.0]], 2, backend="auto")
    assert r1.config["backend"] == r2.config["backend"] == "cpu"
    msgs = [r.getMessage() for r in caplog.records if "runs on the CPU" in r.getMessage()]
    assert len(msgs) == 1


def test_unknown_backend_is_a_value_error():
    with pytest.raises(ValueError, match="backend"):
        ls.simulate(ls.surfaces.rosenbrock(), ls.optim.adam(), [[0.0, 0.0]], 2, backend="tpu")


def _nvvm_available() -> bool:
    """NVVM (the compiler) and NVRTC (asked for the supported architectures) both load."""
    try:
        from cuda.pathfinder import load_nvidia_dynamic_lib

        load_nvidia_dynamic_lib("nvvm")
        load_nvidia_dynamic_lib("nvrtc")
        return True
    except Exception:  # noqa: BLE001 - any failure means no compiler here
        return False


def _host_state(n_opt, n_pad, d, n_ev, dt):
    """Host arrays shaped like the CUDA engine's carried state (for typing only)."""
    return (
        np.zeros((n_opt, d, n_pad), dt), np.zeros((n_opt, R.N_STATE, d, n_pad), dt),
        np.zeros((n_opt, n_pad), np.bool_), np.zeros((n_opt, n_ev, n_pad), np.int64),
        np.zeros((n_opt, n_pad), np.int64), np.zeros((n_opt, R.N_RUN, n_pad)),
    )  # fmt: skip


@pytest.mark.skipif(
    not _nvvm_available(), reason="NVVM/NVRTC not installed (pip install 'landscape[cuda]')"
)
def test_every_surface_family_compiles_to_ptx(monkeypatch):
    """Real CUDA compilation (no GPU needed): kernels and all device functions."""
    import numba
    import numba.cuda.dispatcher as cuda_dispatcher

    from landscape.engine import fused_cuda

    class _Hopper:
        compute_capability = (9, 0)

    # device functions ask the current device for its compute capability
    monkeypatch.setattr(cuda_dispatcher, "get_current_device", lambda: _Hopper())
    cases = [(name, np.float64) for name in ls.surfaces.names()] + [("rosenbrock", np.float32)]
    formulas = {  # generated code compiles to PTX like a built-in family's
        "formula": ("sum(100*(x[i+1] - x[i]**2)**2 + (1 - x[i])**2, i)", 3),
        "formula_exp": ("-exp(-sum(x[i]**2, i)/d) + 0.1*x[0]*tanh(x[1])", 3),
    }
    cases += [(name, dt) for name in formulas for dt in (np.float64, np.float32)]
    for name, dt in cases:
        if name in formulas:
            text, dim = formulas[name]
            surf = ls.surfaces.expression(text, dim=dim)
        else:
            surf = ls.surfaces.make(name, **({"A": np.eye(3)} if name == "quadratic" else {}))
        if surf.batched is not None:  # BLAS surfaces run in the CPU batched engine
            continue
        d, n, n_opt, E = surf.dim, 4, 2, 1
        out = Outputs(
            pos=np.zeros((n_opt, 3, 4, d), dt), bloss=np.zeros((n_opt, 3, 4), dt),
            final=np.zeros((n_opt, n, d), dt), final_loss=np.zeros((n_opt, n), dt),
            ev_t=np.zeros((n_opt, n, E), np.int64), div_t=np.zeros((n_opt, n), np.int64),
        )  # fmt: skip
        run_plan = plan(
            np.zeros(n_opt, np.int64), np.zeros((n_opt, R.HP_SIZE)), np.zeros(n_opt, np.int64),
            np.zeros((n_opt, S.ROW_SIZE)), np.zeros(n_opt, np.int64), surf.params, 10, 1, 4, 0.0,
            _rng.seed_key_of(0),
            (np.zeros(E, np.int64), np.zeros((E, d)), np.zeros(E)), 1e6, False, out,
        )  # fmt: skip
        state = _host_state(n_opt, 32, d, E, dt)
        args = (0, 10, np.zeros((n, d), dt), 0, 32, run_plan, state)
        family, finite_sum = fused_cuda.family_of(surf)
        kern = fused_cuda.kernel_for(family, d, dt, finite_sum)
        sig = tuple(numba.typeof(a) for a in args)
        ptx, _ = fused_cuda.cuda.compile_ptx(kern.py_func, sig, cc=(9, 0))
        assert ".entry" in ptx and "sm_90" in ptx, name
        assert isinstance(kern._cache, _cache.CudaKernelCache)  # kept on disk once bound to a GPU
