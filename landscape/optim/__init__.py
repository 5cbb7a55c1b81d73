"""Optimizers (``landscape.optim``): constructors returning data records.

Every constructor of :mod:`landscape.optim.optimizers` is re-exported here,
so a new optimizer needs no edit of this file.
"""

from . import optimizers as _optimizers
from .optimizers import *  # noqa: F403 - the constructors, listed in optimizers.__all__

__all__ = list(_optimizers.__all__)
