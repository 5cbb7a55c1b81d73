"""The package's public surface: lazy subpackages, ``ls.ewa`` and its module,
a static ``surfaces.__all__``, and where :class:`Table` is imported from."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import landscape as ls

ROOT = Path(ls.__file__).resolve().parent

# heavy modules that ``import landscape`` must leave for first use
LAZY_MODULES = (
    "landscape.analysis",
    "landscape.claims",
    "landscape.escape",
    "landscape.recipes",
    "landscape.render",
    "landscape.stats",
    "matplotlib",
    "scipy.optimize",
    "scipy.stats",
)


def test_import_landscape_leaves_heavy_modules_alone():
    code = (
        f"import sys, landscape\nprint(','.join(m for m in {LAZY_MODULES!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT.parent
    )
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("name", ["render", "recipes", "analysis", "claims", "escape", "stats"])
def test_lazy_subpackages_are_attributes(name):
    mod = getattr(ls, name)
    assert isinstance(mod, types.ModuleType)
    assert mod is importlib.import_module(f"landscape.{name}")
    assert name in ls.__all__ and name in dir(ls)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_a_module'"):
        ls.not_a_module  # noqa: B018


def test_every_public_name_resolves():
    for mod in (ls, ls.surfaces, ls.analysis, ls.escape, ls.averages, ls.surfaces.random):
        for name in mod.__all__:
            assert getattr(mod, name) is not None, f"{mod.__name__}.{name}"


def test_ewa_is_the_function_and_averages_the_module():
    import landscape.averages

    assert isinstance(landscape.averages, types.ModuleType)
    assert ls.averages is landscape.averages
    assert not isinstance(ls.ewa, types.ModuleType)
    assert ls.ewa is ls.averages.ewa and ls.ewa_window is ls.averages.ewa_window
    np.testing.assert_allclose(ls.ewa([2.0, 2.0], 0.5, bias_correction=True), [2.0, 2.0])
    # importing the renderers and claims (which use the averages) does not rebind ls.ewa
    importlib.import_module("landscape.render")
    importlib.import_module("landscape.claims")
    assert ls.ewa is ls.averages.ewa


def test_ewa_is_not_a_module():
    """landscape/ewa.py became landscape/averages.py; no alias module is left behind."""
    assert "landscape.ewa" not in sys.modules
    with pytest.raises(ModuleNotFoundError, match="landscape.ewa"):
        importlib.import_module("landscape.ewa")
    out = subprocess.run(
        [sys.executable, "-c", "import landscape.ewa"],
        capture_output=True, text=True, cwd=ROOT.parent,
    )  # fmt: skip
    assert out.returncode != 0 and "No module named 'landscape.ewa'" in out.stderr


def _static_all(path):
    """The literal ``__all__`` of a module's source (fails unless it is a list of strings)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert len(found) == 1, f"{path}: one __all__ assignment expected"
    value = found[0]
    assert isinstance(value, ast.List), f"{path}: __all__ must be a list literal"
    assert all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts), (
        f"{path}: __all__ must hold string literals only"
    )
    return [e.value for e in value.elts]


def test_surfaces_all_is_static_and_complete():
    names = _static_all(ROOT / "surfaces" / "__init__.py")
    assert names == list(ls.surfaces.__all__)
    assert len(names) == len(set(names))
    others = {"Surface", "energy_per_spin", "expression", "make", "names", "pspin_energies"}
    assert set(names) == set(ls.surfaces.names()) | others
    assert all(callable(getattr(ls.surfaces, name)) for name in names)


@pytest.mark.parametrize(
    "path",
    ["__init__.py", "analysis/__init__.py", "surfaces/random/__init__.py", "table.py"],
)
def test_package_all_is_static(path):
    module = importlib.import_module(
        "landscape" + "".join(f".{p}" for p in Path(path).with_suffix("").parts if p != "__init__")
    )
    assert _static_all(ROOT / path) == list(module.__all__)


def test_table_import_paths():
    from landscape.escape import Table as EscapeTable
    from landscape.table import Table

    assert EscapeTable is Table  # the re-export of the one table class
    assert "Table" in ls.escape.__all__
    surf = ls.surfaces.quadratic(np.eye(2))
    tab = ls.analysis.classify(surf, np.zeros((1, 2)))
    assert isinstance(tab, Table) and tab.column("label") == ["min"]


def test_old_module_paths_still_import():
    from landscape.surfaces.random import pspin_energies, random_quadratic  # noqa: F401
    from landscape.surfaces.random.spin_glass import energy_per_spin

    assert energy_per_spin is ls.surfaces.energy_per_spin
    assert ls.surfaces.random.random_quadratic is ls.surfaces.random_quadratic
    assert ls.analysis.index is ls.analysis.spectra.index
