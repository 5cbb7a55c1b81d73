"""Formula text to SymPy, read as mathematics: nothing of it is ever run as Python.

The text is parsed by Python's own parser (:func:`ast.parse`, which only
builds a syntax tree) and the tree is walked with a whitelist: numbers,
names (coordinates, parameters, ``pi``, ``e``, ``d``), ``+ - * / **``, calls
of the functions in :data:`FUNCTIONS` and ``sum(body, i)``, subscripts
``x[k]`` / ``x[i + k]``.  Anything else (attribute access, lambdas,
comprehensions, strings, keywords, statements, ``__import__``) is refused
with one error naming it.  SymPy objects are built directly from the walk;
``sympy.sympify``/``parse_expr`` (which ``eval``) are never called.

Coordinates, in one of three spellings (not mixed):

- ``x, y`` (2-D) or ``x, y, z`` (3-D);
- ``x1, x2, ..., xd`` (1-based, as in textbooks);
- ``x[k]`` (0-based, as in NumPy) and, inside ``sum(body, i)``,
  ``x[i]``, ``x[i + 1]``, ``x[i - 1]``: a sum over every ``i`` for which
  all of the body's coordinates exist (``sum((x[i+1] - x[i]**2)**2, i)``
  runs ``i = 0 .. d-2``).  The body may use ``i`` itself and ``d``.
"""

from __future__ import annotations

import ast
import dataclasses

import sympy as sp

__all__ = ["FUNCTIONS", "Parsed", "SumTerm", "parse"]

#: The functions a formula may call: name -> builder of the SymPy expression.
FUNCTIONS = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "tanh": sp.tanh,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "atan": sp.atan,
    "arctan": sp.atan,
    "sigmoid": lambda z: 1 / (1 + sp.exp(-z)),
    "softplus": lambda z: sp.log(1 + sp.exp(z)),
}
_CONSTANTS = {"pi": sp.pi, "e": sp.E}
_RESERVED = set(FUNCTIONS) | set(_CONSTANTS) | {"sum", "d", "x", "y", "z"}
_NOT_SMOOTH = {"abs": "sqrt(u**2 + eps)", "max": "softplus", "min": "-softplus(-u)",
               "relu": "softplus", "sign": "tanh(u / eps)"}  # fmt: skip
MAX_LENGTH = 20_000


class FormulaError(ValueError):
    """A formula that cannot be a surface (the message says why)."""


@dataclasses.dataclass(frozen=True)
class SumTerm:
    """``sum(body, i)``: ``body`` in the placeholders ``offsets[c] -> x[i + c]``, ``index`` (float i) and ``d``."""

    symbol: sp.Symbol  # stands for the sum's value in the outer expression
    body: sp.Expr
    offsets: dict  # int offset c -> placeholder Symbol for x[i + c]
    index: sp.Symbol


@dataclasses.dataclass(frozen=True)
class Parsed:
    """A parsed formula: ``expr`` in fixed coordinates, parameters, ``d`` and sum symbols."""

    expr: sp.Expr
    coords: dict  # coordinate index k -> Symbol
    params: dict  # parameter name -> Symbol
    sums: tuple  # SumTerm, in order of appearance
    dim_symbol: sp.Symbol
    spelling: str  # "xy", "numbered", "indexed" or "none"
    min_dim: int  # the smallest dimension the coordinates used allow


def _fail(node, what: str):
    col = getattr(node, "col_offset", None)
    where = f" (at character {col + 1})" if col is not None else ""
    raise FormulaError(f"expression: {what}{where}")


class _Reader:
    def __init__(self, params):
        self.params = {name: sp.Symbol(f"p_{name}", real=True) for name in params}
        self.coords: dict = {}
        self.spelling: set = set()
        self.sums: list = []
        self.d = sp.Symbol("d_", positive=True)
        self.used_params: set = set()
        self.in_sum = None  # (index name, offsets dict, index Symbol) while reading a sum body

    def coord(self, k: int, node):
        if k < 0:
            _fail(node, f"coordinate index must be >= 0, got {k}")
        return self.coords.setdefault(k, sp.Symbol(f"x_{k}", real=True))

    def read(self, node):  # noqa: C901 - one dispatch over node kinds
        if isinstance(node, ast.Expression):
            return self.read(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                _fail(node, f"only numbers may appear as constants, got {node.value!r}")
            return (
                sp.Integer(node.value)
                if isinstance(node.value, int)
                else sp.Float(repr(node.value))
            )
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return -self.read(node.operand)
            if isinstance(node.op, ast.UAdd):
                return self.read(node.operand)
            _fail(node, f"operator {type(node.op).__name__} is not allowed")
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            # a + b - c + ...: Python nests it to the left; read the chain without recursing
            terms = []
            while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
                terms.append((isinstance(node.op, ast.Sub), node.right))
                node = node.left
            parts = [self.read(node)]
            parts += [-self.read(r) if neg else self.read(r) for neg, r in reversed(terms)]
            return sp.Add(*parts)
        if isinstance(node, ast.BinOp):
            a, b = self.read(node.left), self.read(node.right)
            ops = {ast.Add: sp.Add, ast.Sub: lambda u, v: u - v, ast.Mult: sp.Mul,
                   ast.Div: lambda u, v: u / v, ast.Pow: sp.Pow}  # fmt: skip
            op = ops.get(type(node.op))
            if op is None:
                sym = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@"}.get(type(node.op), "")
                _fail(node, f"operator {sym or type(node.op).__name__} is not allowed "
                            "(use + - * / **)")  # fmt: skip
            if isinstance(node.op, ast.Div) and b == 0:
                _fail(node, "division by zero")
            return op(a, b)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Attribute):
            _fail(node, f"attribute access ('.{node.attr}') is not allowed")
        if isinstance(node, ast.Lambda):
            _fail(node, "lambda is not allowed")
        if isinstance(node, ast.Compare):
            _fail(node, "comparisons are not allowed (a surface must be smooth)")
        if isinstance(node, (ast.BoolOp, ast.IfExp)):
            _fail(node, "conditions are not allowed (a surface must be smooth)")
        kind = type(node).__name__
        _fail(node, f"{kind} is not allowed: a formula is numbers, coordinates, parameters, "
                    "+ - * / ** and functions")  # fmt: skip

    def name(self, node):
        n = node.id
        if self.in_sum is not None and n == self.in_sum[0]:
            return self.in_sum[2]
        if n in self.params:
            self.used_params.add(n)
            return self.params[n]
        if n in _CONSTANTS:
            return _CONSTANTS[n]
        if n == "d":
            return self.d
        if n in ("x", "y", "z"):
            if n == "x" and self.spelling & {"indexed"}:
                _fail(node, "use either x, y (, z) or x[k], not both")
            self.spelling.add("xy")
            return self.coord("xyz".index(n), node)
        if len(n) > 1 and n[0] == "x" and n[1:].isdigit() and not n[1:].startswith("0"):
            self.spelling.add("numbered")
            return self.coord(int(n[1:]) - 1, node)
        if n in FUNCTIONS:
            _fail(node, f"{n} is a function: call it, e.g. {n}(x)")
        if n in _NOT_SMOOTH:
            _fail(node, f"{n} is not smooth; use {_NOT_SMOOTH[n]}")
        known = sorted(self.params)
        hint = f"; parameters: {', '.join(known)}" if known else ""
        _fail(node, f"unknown symbol {n!r} (coordinates: x, y, z or x1..xd or x[k]; "
                    f"constants: pi, e, d{hint})")  # fmt: skip

    def call(self, node):
        if not isinstance(node.func, ast.Name):
            _fail(node, "only plain function names may be called, e.g. sin(x)")
        f = node.func.id
        if node.keywords:
            _fail(node, f"{f}() takes no keyword arguments")
        if any(isinstance(a, ast.Starred) for a in node.args):
            _fail(node, f"{f}() takes no *arguments")
        if f == "sum":
            return self.sum(node)
        if f in _NOT_SMOOTH:
            _fail(node, f"{f}() is not smooth; use {_NOT_SMOOTH[f]}")
        if f not in FUNCTIONS:
            _fail(node, f"unknown function {f!r}; allowed: {', '.join(sorted(FUNCTIONS))}, sum")
        if len(node.args) != 1:
            _fail(node, f"{f}() takes one argument, got {len(node.args)}")
        return FUNCTIONS[f](self.read(node.args[0]))

    def sum(self, node):
        if self.in_sum is not None:
            _fail(node, "nested sums are not supported")
        if len(node.args) != 2 or not isinstance(node.args[1], ast.Name):
            _fail(node, "write sums as sum(body, i): a body and the name of its index")
        idx = node.args[1].id
        if idx in _RESERVED or idx in self.params or idx.startswith("x"):
            _fail(node, f"the sum's index {idx!r} clashes with a name the formula uses")
        if self.spelling & {"xy", "numbered"}:
            _fail(node, "sums use x[i]; write the other coordinates as x[k] too")
        self.spelling.add("indexed")
        k = len(self.sums)
        self.in_sum = (idx, {}, sp.Symbol(f"i_{k}", real=True))
        try:
            body = self.read(node.args[0])
        finally:
            _, offsets, index = self.in_sum
            self.in_sum = None
        if not offsets:
            _fail(node, f"the sum's body does not use x[{idx}]")
        term = SumTerm(sp.Symbol(f"S_{k}", real=True), body, dict(sorted(offsets.items())), index)
        self.sums.append(term)
        return term.symbol

    def subscript(self, node):
        if not (isinstance(node.value, ast.Name) and node.value.id == "x"):
            _fail(node, "only x may be indexed (x[k], or x[i + k] inside a sum)")
        if "xy" in self.spelling or "numbered" in self.spelling:
            _fail(node, "use one spelling of the coordinates: x, y / x1, x2 / x[k]")
        self.spelling.add("indexed")
        sl = node.slice
        if self.in_sum is not None:
            c = self.offset(sl, self.in_sum[0])
            if c is None:
                _fail(node, f"inside a sum, index x only as x[{self.in_sum[0]} + k]")
            offsets = self.in_sum[1]
            if c not in offsets:
                offsets[c] = sp.Symbol(f"u_{len(self.sums)}_{c + 1000}", real=True)
            return offsets[c]
        if (
            isinstance(sl, ast.Constant)
            and isinstance(sl.value, int)
            and not isinstance(sl.value, bool)
        ):
            return self.coord(sl.value, node)
        if isinstance(sl, ast.UnaryOp) and isinstance(sl.op, ast.USub):
            _fail(node, "negative coordinate indices are not allowed")
        _fail(node, "x[k] needs a whole number k (or x[i + k] inside sum(..., i))")

    @staticmethod
    def offset(sl, idx):
        """``c`` of ``i``, ``i + c``, ``i - c`` (c a whole number), else None."""
        if isinstance(sl, ast.Name) and sl.id == idx:
            return 0
        if (isinstance(sl, ast.BinOp) and isinstance(sl.op, (ast.Add, ast.Sub))
                and isinstance(sl.left, ast.Name) and sl.left.id == idx
                and isinstance(sl.right, ast.Constant) and isinstance(sl.right.value, int)
                and not isinstance(sl.right.value, bool)):  # fmt: skip
            return sl.right.value if isinstance(sl.op, ast.Add) else -sl.right.value
        return None


def parse(text: str, params) -> Parsed:
    """Read ``text`` with parameter names ``params``; raises :class:`FormulaError`."""
    if not isinstance(text, str):
        raise FormulaError(f"expression must be a string, got {type(text).__name__}")
    if not text.strip():
        raise FormulaError("expression is empty")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"expression is {len(text)} characters long; at most {MAX_LENGTH}")
    for name in params:
        if not (isinstance(name, str) and name.isidentifier()):
            raise FormulaError(f"params: names must be identifiers, got {name!r}")
        if name in _RESERVED or (name[0] == "x" and name[1:].isdigit()):
            raise FormulaError(
                f"params: {name!r} is a reserved name (a coordinate, constant or function)"
            )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(
            f"expression is not a formula: {exc.msg} (at character {exc.offset})"
        ) from None
    except (RecursionError, MemoryError):
        raise FormulaError("expression is nested too deeply for Python's parser (thousands of "
                           "terms in a row? write them as sum(..., i))") from None  # fmt: skip
    r = _Reader(params)
    expr = r.read(tree)  # a RecursionError here is the caller's (formula._build) to handle
    unused = sorted(set(params) - r.used_params)
    if unused:
        raise FormulaError(f"params: {', '.join(map(repr, unused))} not used in the expression")
    if len(r.spelling) > 1:
        raise FormulaError("expression: use one spelling of the coordinates: x, y / x1, x2 / x[k]")
    if not r.coords and not r.sums:
        raise FormulaError("expression does not depend on the coordinates")
    for e in [expr, *(s.body for s in r.sums)]:
        if e.has(sp.I) or e.has(sp.zoo) or e.has(sp.nan) or e.has(sp.oo):
            bad = [a for a in sp.preorder_traversal(e) if a.is_number and not a.is_extended_real]
            what = bad[0] if bad else e
            raise FormulaError(f"expression has a non-real or infinite constant: {what} "
                               "(e.g. log or sqrt of a negative number, division by 0)")  # fmt: skip
    spelling = next(iter(r.spelling)) if r.spelling else "none"
    min_dim = max(r.coords) + 1 if r.coords else 1
    for s in r.sums:  # a sum needs at least one i: offsets span max - min + 1 coordinates
        min_dim = max(min_dim, max(s.offsets) - min(s.offsets) + 1)
    return Parsed(expr, dict(sorted(r.coords.items())), r.params, tuple(r.sums), r.d, spelling,
                  min_dim)  # fmt: skip
