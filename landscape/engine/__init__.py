"""Simulation engines: the fused CPU kernel (fused_cpu), its CUDA twin (fused_cuda) and
the batched engine for BLAS-shaped high-dimensional surfaces (batched)."""

from .simulate import simulate

__all__ = ["simulate"]
