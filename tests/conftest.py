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
