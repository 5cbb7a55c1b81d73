"""Shared test fixtures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def load_script():
    """Import ``scripts/<name>.py`` as a module (the scripts are not a package)."""
    scripts = Path(__file__).resolve().parents[1] / "scripts"

    def load(name):
        spec = importlib.util.spec_from_file_location(f"{name}_script", scripts / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod

    return load


#: A one-start GD race on an elongated bowl: the smallest recipe that simulates;
#: tests append [[claims]] tables to it.
BOWL_RECIPE = """
title = "t"
lesson = "GD converges in a bowl"
[surface]
name = "elongated_bowl"
kappa = 10.0
[optimizers.gd]
lr = 0.05
[starts]
x0 = [[1.0, 1.0]]
[simulate]
steps = 400
[render]
kind = "race"
"""


@pytest.fixture(scope="session")
def bowl_recipe():
    """:data:`BOWL_RECIPE`, the text of a small recipe that tests extend with claims."""
    return BOWL_RECIPE
