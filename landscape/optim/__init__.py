"""Optimizers (``landscape.optim``): constructors returning data records."""

from .optimizers import (
    Optimizer,
    adagrad,
    adam,
    adamw,
    gd,
    heavy_ball,
    make,
    momentum,
    names,
    nesterov,
    rmsprop,
    sgd,
)

__all__ = [
    "Optimizer",
    "adagrad",
    "adam",
    "adamw",
    "gd",
    "heavy_ball",
    "make",
    "momentum",
    "names",
    "nesterov",
    "rmsprop",
    "sgd",
]
