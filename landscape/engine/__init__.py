"""Simulation engines (the fused CPU kernel; CUDA and batched engines later)."""

from .simulate import simulate

__all__ = ["simulate"]
