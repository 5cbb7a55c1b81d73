"""Your own surface from a formula: ``ls.surfaces.expression("x**2 - y**2 + ...")``.

The text is read as mathematics (:mod:`._parse`: a whitelisted syntax tree,
never ``eval``), SymPy derives the exact gradient and Hessian, and code is
generated for the two kernels every surface family has (:mod:`._codegen`):
the block ``vg`` (lanes innermost, constants in the run's dtype) and the
point ``hess``.  They are compiled like a built-in family's — into the fused
CPU kernel, the CUDA kernel and the disk cache — once per formula:
parameters are data (changing them never recompiles), and the same formula
text reuses the compiled code, in this process and (through the disk cache)
in later ones.  Critical points are found by Newton's method from a grid
(or random starts in higher dimensions) and classified by the Hessian's
eigenvalues.
"""

from __future__ import annotations

import hashlib
import linecache
import sys
import threading
import types

import numpy as np

from ... import _validate as V
from .. import _critical
from .._base import Surface, points

__all__ = ["expression"]

_MODULES: dict = {}
_LOCK = threading.Lock()
#: Critical points are searched in this box when no ``bounds`` are given.
SEARCH_BOX = (-5.0, 5.0)


def _compile(source: str):
    """``(vg, hess)`` of generated ``source``, in a module named after its hash (memoised)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:20]
    with _LOCK:
        mod = _MODULES.get(digest)
        if mod is None:
            name = f"landscape.surfaces.formula._gen_{digest}"
            filename = f"<landscape formula {digest}>"
            mod = types.ModuleType(name)
            mod.__file__ = filename
            # the disk cache rebuilds a kernel's environment by module name; tracebacks read the lines
            sys.modules[name] = mod
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            exec(compile(source, filename, "exec"), mod.__dict__)  # noqa: S102 - generated code
            _MODULES[digest] = mod
    return mod.vg, mod.hess


def _build(text: str, names: list):
    """``(parsed, generated source)`` of a formula with parameter ``names``.

    SymPy is asked not to distribute numbers over sums, so that derivatives
    keep the factored form the formula (and hand-written kernels) use —
    ``200*(y - x**2)``, not ``200*y - 200*x**2`` — which rounds the same
    way.  Some functions' sign rules loop in that mode (``sin(1 - x - y)``);
    such formulas are built in SymPy's default mode instead.  SymPy's cache
    does not know the mode, so it is cleared after each build.
    """
    from sympy.core.cache import clear_cache
    from sympy.core.parameters import distribute

    from ._codegen import generate  # SymPy is imported here, on first use
    from ._parse import FormulaError, parse

    def build():
        parsed = parse(text, names)
        try:
            return parsed, generate(parsed, names)
        except ValueError as exc:
            raise FormulaError(str(exc)) from None

    try:
        with distribute(False):
            return build()
    except RecursionError:
        clear_cache()
        try:
            return build()
        except RecursionError:
            raise FormulaError("expression is nested too deeply") from None
    finally:
        clear_cache()


def _starts(dim: int, box: np.ndarray, seed: int = 0) -> np.ndarray:
    """Newton starts: a grid in 1–3 dimensions, random points (and the centre) above."""
    if dim <= 3:
        per = {1: 401, 2: 41, 3: 15}[dim]
        axes = [np.linspace(lo, hi, per) for lo, hi in box]
        return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, dim)
    rng = np.random.default_rng(seed)
    pts = rng.uniform(box[:, 0], box[:, 1], size=(2000, dim))
    return np.vstack([box.mean(axis=1), pts])


def _plot_box(found: dict, search: np.ndarray) -> np.ndarray:
    """A square box around the critical points found (margin: a quarter of their spread, >= 1.5), within the search box."""
    dim = search.shape[0]
    pts = np.vstack([found[k] for k in ("min", "saddle", "max")]).reshape(-1, dim)
    if pts.shape[0] == 0:
        return np.tile([-2.0, 2.0], (dim, 1))
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    half = float(
        np.max(0.5 * (hi - lo) + np.maximum(0.25 * (hi - lo), 1.5))
    )  # as wide in every coordinate
    mid = 0.5 * (lo + hi)
    return np.stack([np.maximum(mid - half, search[:, 0]), np.minimum(mid + half, search[:, 1])], 1)


def _latex(parsed) -> str:
    import sympy as sp

    names = {x: sp.Symbol(f"x_{{{k + 1}}}") for k, x in parsed.coords.items()}
    if parsed.spelling == "xy":
        names = {x: sp.Symbol("xyz"[k]) for k, x in parsed.coords.items()}
    names.update({p: sp.Symbol(p.name[2:]) for p in parsed.params.values()})
    names[parsed.dim_symbol] = sp.Symbol("d")
    expr = parsed.expr.subs(names)
    for t in parsed.sums:
        i = sp.Symbol("i")
        body = t.body.subs({u: sp.Symbol(f"x_{{i{'+' if c > 0 else ''}{c if c else ''}}}")
                            for c, u in t.offsets.items()}).subs(names).subs(t.index, i)  # fmt: skip
        expr = expr.subs(t.symbol, sp.Sum(body, (i, sp.Symbol("\\ldots"), sp.Symbol("\\ldots"))))
    text = sp.latex(expr)
    return text.replace(r"\sum_{i=\ldots}^{\ldots}", r"\sum_i")


def expression(
    text: str,
    params: dict | None = None,
    *,
    dim: int | None = None,
    bounds=None,
    name: str = "expression",
) -> Surface:
    r"""A surface from a formula in the coordinates and named parameters.

    Parameters
    ----------
    text : str
        The loss, e.g. ``"x**2 - y**2 + 0.25*(x**4 + y**4)"``.  Coordinates
        are ``x, y`` (or ``x, y, z``), ``x1 .. xd`` (1-based) or ``x[k]``
        (0-based); ``sum(body, i)`` sums ``body`` over every ``i`` for
        which its ``x[i + k]`` exist, for any dimension
        (``sum(100*(x[i+1] - x[i]**2)**2 + (1 - x[i])**2, i)`` is
        Rosenbrock).  Functions: sin cos tan exp log sqrt tanh sinh cosh
        atan sigmoid softplus; constants ``pi``, ``e`` and ``d`` (the
        dimension); operators ``+ - * / **``.
    params : dict, optional
        Parameter names and values (real numbers).  Each must appear in
        the formula.  They are data: new values never recompile.
    dim : int, optional
        The dimension: needed above the highest coordinate the formula
        names, e.g. for sums (default: that, and at least 2 for sums).
    bounds : array (dim, 2) or (low, high), optional
        The plotting box, also where critical points are searched; one
        ``(low, high)`` pair stands for every coordinate (default: searched
        in ``[-5, 5]^dim``, the box drawn around the points found).
    name : str
        A name for titles and file names.

    Errors (one ``ValueError`` naming the problem, before anything
    compiles): an unknown symbol or function, a construct that is not
    mathematics (attribute access, lambda, comprehension, statements,
    strings), a parameter missing, unused or not a real number, a
    non-real constant, a dimension that does not fit the coordinates.  A
    formula that is NaN or infinite somewhere (``log`` of a negative value)
    is a divergence of the trajectories that go there, never a crash.
    """
    params = {} if params is None else params
    if not isinstance(params, dict):
        raise ValueError(f"params must be a dict of name -> number, got {type(params).__name__}")
    values = {}
    for key, value in params.items():
        values[key] = V.real(f"params[{key!r}]", value)
    parsed, source = _build(text, list(values))
    name = str(name)
    if parsed.spelling == "xy" and dim is not None and int(dim) != parsed.min_dim:
        raise ValueError(f"dim: the formula uses {'x, y, z'[: 3 * parsed.min_dim - 2]}, "
                         f"so dim must be {parsed.min_dim}, got {dim}")  # fmt: skip
    default = max(parsed.min_dim, 2 if parsed.sums else 1)
    dim = default if dim is None else V.integer("dim", dim, minimum=1)
    if dim < parsed.min_dim:
        raise ValueError(f"dim: the formula needs at least {parsed.min_dim} coordinates, got "
                         f"dim={dim}")  # fmt: skip
    vg, hess = _compile(source)
    P = np.array([values[k] for k in values], dtype=np.float64)
    if bounds is None:
        search = np.tile(SEARCH_BOX, (dim, 1)).astype(float)
    else:
        try:
            search = np.array(bounds, dtype=np.float64)
            if search.shape == (2,):  # one (low, high) for every coordinate
                search = np.tile(search, (dim, 1))
        except (TypeError, ValueError):
            search = np.zeros(0)
        if (
            search.shape != (dim, 2)
            or not np.all(np.isfinite(search))
            or np.any(search[:, 0] >= search[:, 1])
        ):
            raise ValueError(f"bounds must be a ({dim}, 2) array of finite low < high, got "
                             f"{bounds!r}")  # fmt: skip
    found = _critical.find(vg, hess, P, _starts(dim, search), within=search)
    box = search if bounds is not None else _plot_box(found, search)
    return Surface(
        name=name,
        dim=dim,
        params=P,
        vg=vg,
        hess=hess,
        minima=points(found["min"], dim),
        saddles=points(found["saddle"], dim),
        maxima=points(found["max"], dim),
        bounds=box,
        formula=_latex(parsed),
        axes=("x", "y", "z")[:dim] if parsed.spelling == "xy" else (),
        kwargs={"text": text, **({"params": values} if values else {}), "dim": dim},
    )
