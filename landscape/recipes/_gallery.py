"""The bundled gallery: where its recipes are, finding one by name, listing them.

:func:`gallery_dir` looks, in order, in ``$LANDSCAPE_ANIMATIONS``, in
``animations/`` beside the package (a source checkout or an editable
install), in ``./animations`` (the current directory: a clone with a
regular ``pip install .``), and in ``<prefix>/share/landscape/animations``
(where a wheel's data files would put them).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ._schema import Ctx, RecipeError, display, read_toml

__all__ = ["find", "gallery_dir", "gallery_paths", "peek"]


def peek(path) -> dict:
    """Name, title, lesson and output of a recipe without validating it (for listings)."""
    path = Path(path)
    data = read_toml(path, Ctx(display(path)))
    return {
        "name": path.stem,
        "title": str(data.get("title", "")),
        "lesson": str(data.get("lesson", "")),
        "output": str(data.get("output", "")),
        "kind": str(data.get("render", {}).get("kind", ""))
        if isinstance(data.get("render"), dict)
        else "",
    }


def _candidates():
    """Where the gallery may be, in the order :func:`gallery_dir` tries them."""
    env = os.environ.get("LANDSCAPE_ANIMATIONS")
    if env:
        yield Path(env)
    yield Path(__file__).resolve().parents[2] / "animations"  # beside the package
    yield Path.cwd() / "animations"
    import site

    prefixes = [sys.prefix, sys.base_prefix]
    try:
        prefixes.append(site.getuserbase())
    except Exception:  # pragma: no cover
        pass
    for p in prefixes:
        yield Path(p) / "share" / "landscape" / "animations"


def gallery_dir() -> Path:
    """The directory of the bundled recipes (see the module docstring for the search order)."""
    env = os.environ.get("LANDSCAPE_ANIMATIONS")
    if env and not any(Path(env).glob("*.toml")):
        raise RecipeError(f"LANDSCAPE_ANIMATIONS={env} holds no *.toml recipes")
    for cand in _candidates():
        if cand.is_dir() and any(cand.glob("*.toml")):
            return cand
    raise RecipeError(
        "the gallery's recipes (animations/*.toml) were not found: run from the repository "
        "root or set LANDSCAPE_ANIMATIONS to the animations/ directory"
    )


def gallery_paths() -> list[Path]:
    """The bundled recipes, ``animations/*.toml``, sorted by name."""
    return sorted(gallery_dir().glob("*.toml"))


def find(name_or_path) -> Path:
    """A recipe file: an existing path, or the name of a bundled recipe."""
    p = Path(name_or_path)
    if p.exists() or p.suffix == ".toml" or len(p.parts) > 1:
        return p
    names = {q.stem: q for q in gallery_paths()}
    if str(name_or_path) in names:
        return names[str(name_or_path)]
    raise RecipeError(
        f"recipe must be a .toml file or one of the gallery's: {', '.join(names)}; "
        f"got {str(name_or_path)!r}"
    )
