"""SymPy to the two kernels of a surface family: the block ``vg`` and the point ``hess``.

A parsed formula is ``g(x_fixed, S_1 .. S_m)``: fixed coordinates and sums
``S_k = sum_i body_k(x[i + c] for the body's offsets c, i, d)``.  Gradient
and Hessian follow from the chain rule, with every derivative taken by SymPy
and common subexpressions shared (``sympy.cse``):

- ``dF/dx_a = g_{x_a} + sum_k g_{S_k} dS_k/dx_a``, where ``dS_k/dx_{i+c}``
  gathers ``d body_k / d u_c`` over the sum's terms;
- ``H = g_xx + sum_k (g_{x S_k} s_k^T + s_k g_{S_k x}) + sum_km g_{S_k S_m} s_k s_m^T
  + sum_k g_{S_k} H(S_k)``, terms that are zero symbolically left out.

``vg`` keeps lanes innermost: when ``g`` is linear in the sums with
coefficients free of the coordinates (Rosenbrock, Rastrigin, quadratics),
every loop runs over lanes inside the loop over ``i``; otherwise (``exp``
of a sum, as in Ackley) each lane's sums are accumulated first.  Constants
are hoisted as ``cst(X, value)`` and parameters read as ``cst(X, P[k])``, so
a float32 run stays float32; the dimension ``d`` is the run's ``X.shape[0]``,
so one compiled kernel serves every dimension.  ``hess`` runs in float64.
"""

from __future__ import annotations

import math

import sympy as sp

from ._parse import Parsed

__all__ = ["generate"]

T1, T2, T3 = " " * 4, " " * 8, " " * 12  # indentation of generated lines

_FUNCS = {sp.sin: "math.sin", sp.cos: "math.cos", sp.tan: "math.tan", sp.exp: "math.exp",
          sp.log: "math.log", sp.tanh: "math.tanh", sp.sinh: "math.sinh", sp.cosh: "math.cosh",
          sp.atan: "math.atan"}  # fmt: skip


class _Printer:
    """SymPy expression -> Python source; constants through :meth:`const`."""

    def __init__(self, names: dict, typed: bool):
        self.names = names  # Symbol -> source name
        self.typed = typed  # vg: constants as cst(X, v), hoisted; hess: float literals
        self.consts: dict = {}  # value repr -> hoisted name

    def const(self, value) -> str:
        v = complex(sp.N(value, 17))
        if v.imag != 0:
            raise ValueError(f"expression has a non-real constant: {value}")
        if not math.isfinite(v.real):
            raise ValueError(f"expression: the constant {sp.N(value, 4)} is too large for a float "
                             "(overflow)")  # fmt: skip
        text = repr(float(v.real))
        if not self.typed:
            return f"({text})" if text.startswith("-") else text
        if text not in self.consts:
            self.consts[text] = f"k{len(self.consts)}"
        return self.consts[text]

    def __call__(self, e) -> str:  # noqa: C901 - one dispatch over SymPy node kinds
        if e in self.names:
            return self.names[e]
        if e.is_Number or e.is_NumberSymbol or (e.is_number and not e.free_symbols):
            return self.const(e)
        if e.is_Add:
            return "(" + " + ".join(self(a) for a in e.args) + ")"
        if e.is_Mul:
            coef = sp.Mul(*[a for a in e.args if a.is_number])
            rest = [a for a in e.args if not a.is_number]
            if coef == -1:
                return (
                    f"(-{self(sp.Mul(*rest, evaluate=False))})"
                    if len(rest) > 1
                    else f"(-{self(rest[0])})"
                )
            num, den = [], []
            if coef != 1:
                if coef.is_Rational and not coef.is_Integer and coef.p == 1:
                    den.append(self.const(coef.q))
                else:
                    num.append(self.const(coef))
            for a in rest:
                if a.is_Pow and a.exp.is_Integer and a.exp < 0:
                    den.append(self(a.base**-a.exp))
                elif a.is_Rational and not a.is_Integer and a.p == 1:
                    den.append(self.const(a.q))
                else:
                    num.append(self(a))
            top = " * ".join(num) if num else self.const(1)
            return f"({top} / ({' * '.join(den)}))" if den else f"({top})"
        if e.is_Pow:
            b, x = e.base, e.exp
            if x.is_Integer:
                n = int(x)
                if 1 <= n <= 8:
                    return "(" + " * ".join([self(b)] * n) + ")" if n > 1 else self(b)
                if -8 <= n <= -1:
                    return f"({self.const(1)} / {self(b**-n)})"
            if x == sp.Rational(1, 2):
                return f"math.sqrt({self(b)})"
            if x == sp.Rational(-1, 2):
                return f"({self.const(1)} / math.sqrt({self(b)}))"
            if x.is_Rational and x.q == 2:  # b**(k/2) = sqrt(b)**k
                return self(sp.Pow(sp.sqrt(b), x.p, evaluate=False))
            if b == sp.E:
                return f"math.exp({self(x)})"
            return f"({self(b)} ** {self(x)})"
        if e.func in _FUNCS:
            return f"{_FUNCS[e.func]}({self(e.args[0])})"
        raise ValueError(f"cannot generate code for {e.func.__name__} in {e}")


def _block(printer, exprs, prefix, indent):
    """``(lines, outputs)``: CSE assignments for ``exprs`` and their source."""
    syms = sp.numbered_symbols(prefix)
    repl, reduced = sp.cse(exprs, symbols=syms, order="none")
    lines = []
    for s, ex in repl:
        printer.names[s] = str(s)
        lines.append(f"{indent}{s} = {printer(ex)}")
    return lines, [printer(r) for r in reduced]


def _range(term, D="D"):
    """Every ``i`` for which all of the body's ``x[i + c]`` exist: ``-min c <= i < D - max c``."""
    lo, hi = -min(term.offsets), max(term.offsets)
    end = f"{D} - {hi}" if hi > 0 else (f"{D} + {-hi}" if hi < 0 else D)
    return f"range({lo}, {end})"


class _Analysis:
    """Derivatives of a parsed formula, shared by both kernels."""

    def __init__(self, parsed: Parsed):
        self.p = parsed
        g = parsed.expr
        self.g = g
        S = [t.symbol for t in parsed.sums]
        X = list(parsed.coords.values())
        self.gS = [sp.diff(g, s) for s in S]
        self.gx = {k: sp.diff(g, x) for k, x in parsed.coords.items()}
        moving = set(S) | set(X)
        self.linear = all(not (c.free_symbols & moving) for c in self.gS)
        self.g0 = g.subs({s: 0 for s in S}) if self.linear else None
        self.body_grad = [
            {c: sp.diff(t.body, u) for c, u in t.offsets.items()} for t in parsed.sums
        ]
        self.body_hess = [
            {(c1, c2): sp.diff(t.body, u1, u2) for c1, u1 in t.offsets.items()
             for c2, u2 in t.offsets.items()}
            for t in parsed.sums
        ]  # fmt: skip
        self.gSS = [[sp.diff(gs, s) for s in S] for gs in self.gS]
        self.gxS = {k: [sp.diff(gx, s) for s in S] for k, gx in self.gx.items()}
        self.gxx = {(a, b): sp.diff(self.gx[a], xb) for a in parsed.coords
                    for b, xb in parsed.coords.items()}  # fmt: skip

    def uses(self, sym) -> bool:
        exprs = [self.g, *(t.body for t in self.p.sums)]
        return any(sym in e.free_symbols for e in exprs)


def _names(parsed: Parsed) -> dict:
    names = {x: f"x_{k}" for k, x in parsed.coords.items()}
    names.update({p: p.name for p in parsed.params.values()})
    names[parsed.dim_symbol] = "d_"
    for t in parsed.sums:
        names[t.symbol] = t.symbol.name
        names[t.index] = t.index.name
        names.update({u: u.name for u in t.offsets.values()})
    return names


def _header(a: _Analysis, params: list, typed: bool, ind: str) -> list:
    lines = []
    for k, name in enumerate(params):
        src = f"P[{k}]"
        lines.append(f"{ind}p_{name} = {f'cst(X, {src})' if typed else src}")
    if a.uses(a.p.dim_symbol):
        lines.append(f"{ind}d_ = {'cst(X, D)' if typed else 'float(D)'}")
    return lines


def _vg(a: _Analysis, params: list) -> str:
    P = a.p
    pr = _Printer(_names(P), typed=True)
    body: list = []
    fixed = sorted(P.coords)
    cover = (max(fixed) + 1) if fixed else 0
    if P.sums:
        body += [f"{T1}for k in range(D):", f"{T2}for j in range(n):", f"{T3}G[k, j] = zero"]
    else:
        body += [f"{T1}for k in range({cover}, D):", f"{T2}for j in range(n):",
                 f"{T3}G[k, j] = zero"]  # fmt: skip
    op = "+=" if P.sums else "="

    def lane_loads(ind):
        return [f"{ind}x_{k} = X[{k}, j]" for k in fixed]

    if not P.sums or a.linear:
        g0 = a.g0 if P.sums else a.g
        lines, outs = _block(pr, [g0, *(sp.diff(g0, P.coords[k]) for k in fixed)], "a", T2)
        body += [f"{T1}for j in range(n):", *lane_loads(T2), *lines, f"{T2}F[j] = {outs[0]}"]
        for k, src in zip(fixed, outs[1:], strict=True):
            body.append(f"{T2}G[{k}, j] {op} {src}")
        if not P.sums:  # coordinates below the highest used one but not named: flat
            body += [f"{T2}G[{k}, j] = zero" for k in range(cover) if k not in P.coords]
        for t, coef, bg in zip(P.sums, a.gS, a.body_grad, strict=True):
            exprs = [coef * t.body, *(coef * bg[c] for c in t.offsets)]
            lines, outs = _block(pr, exprs, f"b{t.symbol.name[2:]}_", T3)
            body += [f"{T1}for i in {_range(t)}:"]
            if t.index in pr.names and any(t.index in e.free_symbols for e in exprs):
                body.append(f"{T2}{t.index.name} = cst(X, i)")
            body += [f"{T2}for j in range(n):",
                     *[f"{T3}{u.name} = X[i + {c}, j]" for c, u in t.offsets.items()],
                     *lines, f"{T3}F[j] += {outs[0]}"]  # fmt: skip
            body += [
                f"{T3}G[i + {c}, j] += {src}" for c, src in zip(t.offsets, outs[1:], strict=True)
            ]
    else:  # g nonlinear in the sums: per lane, sums first, then the chain rule
        body += [f"{T1}for j in range(n):", *lane_loads(T2)]
        for t in P.sums:
            lines, outs = _block(pr, [t.body], f"s{t.symbol.name[2:]}_", T3)
            body += [f"{T2}{t.symbol.name} = zero", f"{T2}for i in {_range(t)}:",
                     f"{T3}{t.index.name} = cst(X, i)",
                     *[f"{T3}{u.name} = X[i + {c}, j]" for c, u in t.offsets.items()],
                     *lines, f"{T3}{t.symbol.name} += {outs[0]}"]  # fmt: skip
        exprs = [a.g, *a.gS, *(a.gx[k] for k in fixed)]
        lines, outs = _block(pr, exprs, "a", T2)
        m = len(P.sums)
        body += [*lines, f"{T2}F[j] = {outs[0]}"]
        body += [f"{T2}gS_{k} = {outs[1 + k]}" for k in range(m)]
        body += [f"{T2}G[{k}, j] += {src}" for k, src in zip(fixed, outs[1 + m :], strict=True)]
        for k, (t, bg) in enumerate(zip(P.sums, a.body_grad, strict=True)):
            gs = sp.Symbol(f"gS_{k}")
            pr.names[gs] = gs.name
            lines, outs = _block(pr, [gs * bg[c] for c in t.offsets], f"c{k}_", T3)
            body += [f"{T2}for i in {_range(t)}:", f"{T3}{t.index.name} = cst(X, i)",
                     *[f"{T3}{u.name} = X[i + {c}, j]" for c, u in t.offsets.items()],
                     *lines]  # fmt: skip
            body += [f"{T3}G[i + {c}, j] += {src}" for c, src in zip(t.offsets, outs, strict=True)]
    head = [
        "@jit",
        "def vg(X, G, F, P):",
        f"{T1}D, n = X.shape",
        f"{T1}zero = cst(X, 0.0)",
        *_header(a, params, True, T1),
        *[f"{T1}{name} = cst(X, {value})" for value, name in pr.consts.items()],
    ]
    return "\n".join(head + body) + "\n"


def _hess(a: _Analysis, params: list) -> str:
    P = a.p
    pr = _Printer(_names(P), typed=False)
    out = ["@jit", "def hess(x, P, H):", f"{T1}D = x.shape[0]", *_header(a, params, False, T1),
           f"{T1}for r in range(D):", f"{T2}for c in range(D):", f"{T3}H[r, c] = 0.0"]  # fmt: skip
    out += [f"{T1}x_{k} = x[{k}]" for k in sorted(P.coords)]
    for k, t in enumerate(P.sums):  # values and gradients of the sums
        lines, outs = _block(pr, [t.body, *a.body_grad[k].values()], f"s{k}_", T2)
        out += [f"{T1}{t.symbol.name} = 0.0", f"{T1}sg_{k} = np.zeros(D)",
                f"{T1}for i in {_range(t)}:", f"{T2}{t.index.name} = float(i)",
                *[f"{T2}{u.name} = x[i + {c}]" for c, u in t.offsets.items()],
                *lines, f"{T2}{t.symbol.name} += {outs[0]}"]  # fmt: skip
        out += [f"{T2}sg_{k}[i + {c}] += {src}" for c, src in zip(t.offsets, outs[1:], strict=True)]
    pairs = [(key, e) for key, e in a.gxx.items() if e != 0]
    mixed = [(xk, k, e) for xk, row in a.gxS.items() for k, e in enumerate(row) if e != 0]
    ss = [(k, m, e) for k, row in enumerate(a.gSS) for m, e in enumerate(row) if e != 0]
    exprs = [e for _, e in pairs] + [e for *_, e in mixed] + [e for *_, e in ss] + list(a.gS)
    lines, outs = _block(pr, exprs, "h", T1)
    out += lines
    it = iter(outs)
    out += [f"{T1}H[{r}, {c}] += {next(it)}" for (r, c), _ in pairs]
    for xk, k, _ in mixed:
        v = next(it)
        out += [f"{T1}for b in range(D):", f"{T2}H[{xk}, b] += {v} * sg_{k}[b]",
                f"{T2}H[b, {xk}] += {v} * sg_{k}[b]"]  # fmt: skip
    for k, m, _ in ss:
        v = next(it)
        out += [f"{T1}for r in range(D):", f"{T2}for c in range(D):",
                f"{T3}H[r, c] += {v} * sg_{k}[r] * sg_{m}[c]"]  # fmt: skip
    for k, t in enumerate(P.sums):
        gk = next(it)
        terms = [(cc, e) for cc, e in a.body_hess[k].items() if e != 0]
        if not terms:
            continue
        out += [f"{T1}gS_{k} = {gk}"]
        lines, outs = _block(pr, [e for _, e in terms], f"q{k}_", T2)
        out += [f"{T1}for i in {_range(t)}:", f"{T2}{t.index.name} = float(i)",
                *[f"{T2}{u.name} = x[i + {c}]" for c, u in t.offsets.items()], *lines]  # fmt: skip
        out += [f"{T2}H[i + {c1}, i + {c2}] += gS_{k} * {src}" for ((c1, c2), _), src in
                zip(terms, outs, strict=True)]  # fmt: skip
    return "\n".join(out) + "\n"


def generate(parsed: Parsed, params: list) -> str:
    """The source of a module defining ``vg`` and ``hess`` for ``parsed``."""
    return _module(_Analysis(parsed), params)


def _module(a: _Analysis, params: list) -> str:
    return (
        "import math\n\nimport numpy as np\n\n"
        "from landscape._cache import jit\nfrom landscape._typed import cst\n\n\n"
        + _vg(a, params) + "\n\n" + _hess(a, params)
    )  # fmt: skip
