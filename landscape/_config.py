"""One place for compile options and launch defaults.

The fastmath flag set keeps NaN/Inf semantics (no ``nnan``/``ninf``), so
divergence checks that rely on comparisons with NaN stay valid inside kernels.
Values here are read at call time, so tests may patch them.
"""

from __future__ import annotations

FASTMATH = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})

#: Trajectories per SIMD block in the fused CPU engine.  Every block holds a
#: single optimizer, so the innermost loop over these lanes has no branch.
CPU_BLOCK = 256

#: Threads per block for CUDA launches (read at call time; tests patch it).
CUDA_THREADS_PER_BLOCK = 128

#: Default divergence radius: a trajectory whose coordinates leave
#: ``|x_k| <= DIVERGE_AT`` (or whose loss or gradient becomes non-finite) is
#: frozen and flagged as diverged.
DIVERGE_AT = 1.0e6

NJIT_OPTIONS = {"fastmath": set(FASTMATH), "error_model": "numpy", "nogil": True}

#: Fraction of free device memory a CUDA launch may use for its inputs and
#: outputs; larger runs are split into chunks of trajectories.
CUDA_MEMORY_FRACTION = 0.5

#: Upper bound on trajectories per CUDA launch (0: no bound beyond memory).
CUDA_MAX_CHUNK = 0
