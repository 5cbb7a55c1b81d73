"""Loss surfaces: ``landscape.surfaces.<name>(**params)`` or :func:`make`."""

from .._registry import Registry
from ._base import Surface
from .classic import (
    ackley,
    beale,
    goldstein_price,
    himmelblau,
    rastrigin,
    rosenbrock,
    six_hump_camel,
    styblinski_tang,
)
from .finite_sum import linear_regression, logistic_regression, tanh_network
from .formula import expression
from .plateau import plateau
from .quadratic import elongated_bowl, quadratic
from .random import (
    energy_per_spin,
    gaussian_field,
    pspin,
    pspin_energies,
    random_quadratic,
    random_strict_saddle,
)
from .saddles import monkey_saddle, saddle, strict_saddle

_REGISTRY = Registry(
    "surface",
    {
        "ackley": ackley,
        "beale": beale,
        "elongated_bowl": elongated_bowl,
        "gaussian_field": gaussian_field,
        "goldstein_price": goldstein_price,
        "himmelblau": himmelblau,
        "linear_regression": linear_regression,
        "logistic_regression": logistic_regression,
        "monkey_saddle": monkey_saddle,
        "plateau": plateau,
        "pspin": pspin,
        "quadratic": quadratic,
        "random_quadratic": random_quadratic,
        "random_strict_saddle": random_strict_saddle,
        "rastrigin": rastrigin,
        "rosenbrock": rosenbrock,
        "saddle": saddle,
        "six_hump_camel": six_hump_camel,
        "strict_saddle": strict_saddle,
        "styblinski_tang": styblinski_tang,
        "tanh_network": tanh_network,
    },
)


def names():
    """Sorted names of every surface constructor."""
    return _REGISTRY.names()


def make(name, **params):
    """Build a surface by name, e.g. ``make("rosenbrock", dim=3)``."""
    return _REGISTRY.make(name, **params)


# every registered surface plus the other public names (tests/test_package.py checks it)
__all__ = [
    "Surface",
    "ackley",
    "beale",
    "elongated_bowl",
    "energy_per_spin",
    "expression",
    "gaussian_field",
    "goldstein_price",
    "himmelblau",
    "linear_regression",
    "logistic_regression",
    "make",
    "monkey_saddle",
    "names",
    "plateau",
    "pspin",
    "pspin_energies",
    "quadratic",
    "random_quadratic",
    "random_strict_saddle",
    "rastrigin",
    "rosenbrock",
    "saddle",
    "six_hump_camel",
    "strict_saddle",
    "styblinski_tang",
    "tanh_network",
]
