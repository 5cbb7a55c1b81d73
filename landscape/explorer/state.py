"""The explorer's state: a recipe, as the table its TOML loads to, and its edits.

The explorer edits exactly what a recipe file holds (``[surface]``,
``[optimizers]``, ``[starts]``, ``[simulate]``, ``[render]``,
``[[claims]]``), so a state *is* a recipe: :meth:`State.recipe` validates it
with :func:`landscape.recipes.from_dict` (every key, with the key path of the
first wrong one), :meth:`State.to_toml` writes the file that
``landscape render`` reads back, and :meth:`State.to_query` packs the same
table into one URL query value.  No Panel or Bokeh here: the state is
unit-tested in milliseconds.
"""

from __future__ import annotations

import base64
import binascii
import copy
import inspect
import json
import math
import tomllib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .. import optim, recipes, surfaces
from ..optim import schedules as _schedules
from ..recipes import RecipeError

__all__ = [
    "DEFAULT",
    "MAX_QUERY",
    "START_KINDS",
    "State",
    "explorable_surfaces",
    "hyperparameters",
    "schedule_parameters",
    "surface_parameters",
    "to_toml",
]

#: The state of ``landscape explore`` without a recipe: three optimizers and a
#: cloud of 1,000 starts on Rosenbrock's banana valley.
DEFAULT = {
    "title": "Exploring Rosenbrock's valley",
    "lesson": "Explored by hand in landscape explore.",
    "surface": {"name": "rosenbrock"},
    "optimizers": {
        "gd": {"kind": "gd", "lr": 0.001},
        "momentum": {"kind": "momentum", "lr": 0.001, "beta": 0.9},
        "adam": {"kind": "adam", "lr": 0.01},
    },
    "starts": {"kind": "normal", "n": 1000, "mean": [-1.5, 2.0], "std": 0.1, "seed": 0},
    "simulate": {"steps": 500, "record_every": 5},
    "render": {"kind": "swarm", "layout": "overlay"},
}

#: The start kinds the explorer offers, and the key of each one's centre and spread.
START_KINDS = {
    "point": ("x", None),
    "normal": ("mean", "std"),
    "ball": ("center", "radius"),
    "sphere": ("center", "radius"),
    "uniform": (None, None),  # low/high around the centre, half-width = spread
    "grid": (None, None),
}
#: The most characters of the packed state in a URL (browsers keep far more).
MAX_QUERY = 16_000
_MAX_JSON = 1 << 17


@dataclass
class State:
    """A recipe being explored: ``data`` is the table its TOML loads to.

    ``name`` is the recipe it came from (its gallery name, or ``"explore"``).
    Every edit goes through the methods below or :meth:`set`; none checks
    values (the explorer shows :meth:`problem`'s message next to the field).
    """

    data: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT))
    name: str = "explore"

    # -- making one -------------------------------------------------------------
    @classmethod
    def from_recipe(cls, recipe) -> State:
        """The state of a gallery recipe (``"momentum_bowl"``) or a recipe file."""
        path = recipes.find(str(recipe)) if not isinstance(recipe, Path) else recipe
        with open(path, "rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise RecipeError(f"{path}: invalid TOML: {exc}") from None
        data.pop("output", None)
        name = Path(path).stem if Path(path).stem.isidentifier() else "explore"
        return cls(data, name)

    @classmethod
    def from_toml(cls, text: str, name: str = "explore") -> State:
        """The state of recipe text (e.g. a file a person pasted)."""
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RecipeError(f"<{name}>: invalid TOML: {exc}") from None
        data.pop("output", None)
        return cls(data, name)

    def copy(self) -> State:
        """An independent copy (the worker simulates a snapshot)."""
        return State(copy.deepcopy(self.data), self.name)

    # -- reading ----------------------------------------------------------------
    @property
    def simulates(self) -> bool:
        """Whether the recipe runs a simulation (all but the ewa and schedules figures)."""
        kind = self.data.get("render", {}).get("kind")
        spec = recipes.RENDERERS.get(kind)
        return spec is None or spec.simulates

    def recipe(self, surface_cache=None) -> recipes.Recipe:
        """The validated :class:`~landscape.recipes.Recipe`; raises :class:`RecipeError`."""
        return recipes.from_dict(
            self.data, self.name, source=f"<{self.name}>", surfaces=surface_cache
        )

    def problem(self, surface_cache=None) -> RecipeError | None:
        """The first thing wrong with the state (its ``key`` names the field), or None."""
        try:
            self.recipe(surface_cache)
        except RecipeError as exc:
            return exc
        return None

    def get(self, path, default=None):
        """The value at the key path ``path`` (a tuple), or ``default``."""
        node = self.data
        for k in path:
            if not isinstance(node, dict) or k not in node:
                return default
            node = node[k]
        return node

    def set(self, path, value) -> None:
        """Set the value at the key path ``path`` (tables on the way are made)."""
        node = self.data
        for k in path[:-1]:
            node = node.setdefault(k, {})
        node[path[-1]] = value

    def delete(self, path) -> None:
        """Remove the key at ``path`` if it is there."""
        parent = self.get(path[:-1])
        if isinstance(parent, dict):
            parent.pop(path[-1], None)

    # -- starts -----------------------------------------------------------------
    def start_kind(self) -> str:
        """``point``, ``normal``, ... or ``x0`` (a list of points)."""
        starts = self.data.get("starts", {})
        return "x0" if "x0" in starts else str(starts.get("kind", "point"))

    def start_centre(self, dim: int = 2) -> list | None:
        """The centre of the starts, as numbers (None if it names a critical point)."""
        s = self.data.get("starts", {})
        kind = self.start_kind()
        if kind == "x0":
            rows = s["x0"]
            return [sum(r[i] for r in rows) / len(rows) for i in range(len(rows[0]))]
        if kind in ("uniform", "grid"):
            lo, hi = _vec(s.get("low"), dim), _vec(s.get("high"), dim)
            return (
                None
                if lo is None or hi is None
                else [(a + b) / 2 for a, b in zip(lo, hi, strict=False)]
            )
        key = START_KINDS.get(kind, ("x", None))[0]
        return _vec(s.get(key), dim)

    def start_spread(self) -> float:
        """The spread of the starts: std, radius or half-width (0 for a point)."""
        s = self.data.get("starts", {})
        kind = self.start_kind()
        if kind in ("uniform", "grid"):
            lo, hi = _vec(s.get("low"), 1), _vec(s.get("high"), 1)
            return 0.0 if lo is None or hi is None else abs(hi[0] - lo[0]) / 2
        key = START_KINDS.get(kind, (None, None))[1]
        return float(s.get(key, 0.0)) if key else 0.0

    def start_count(self) -> int:
        """Starting points (``num`` a side for a grid)."""
        s = self.data.get("starts", {})
        kind = self.start_kind()
        if kind == "x0":
            return len(s["x0"])
        if kind == "grid":
            return int(s.get("num", 1))
        return int(s.get("n", 1))

    def set_starts(self, kind=None, centre=None, spread=None, n=None, dim: int = 2) -> None:
        """Rebuild ``[starts]`` as ``kind`` around ``centre`` (keeping what is not given)."""
        kind = self.start_kind() if kind is None else kind
        if kind == "x0":
            kind = "point"
        if kind not in START_KINDS:
            raise ValueError(f"kind must be one of {', '.join(START_KINDS)}, got {kind!r}")
        centre = centre if centre is not None else self.start_centre(dim)
        if centre is None:  # a critical point by name: keep it (only the point/normal/ball keys)
            centre = self.get(("starts", START_KINDS.get(self.start_kind(), ("x",))[0] or "x"))
        spread = self.start_spread() if spread is None else float(spread)
        if n is None:  # keep the number of runs: a grid's count is per side
            n, was_grid = self.start_count(), self.start_kind() == "grid"
            if was_grid and kind != "grid":
                n = n**dim
            elif kind == "grid" and not was_grid:
                n = max(1, round(n ** (1 / dim)))
        n = int(n)
        seed = self.get(("starts", "seed"), 0)
        if kind == "point":
            new = {"kind": "point", "x": centre, "n": n}
        elif kind in ("uniform", "grid"):
            c = centre if isinstance(centre, list) else [0.0] * dim
            h = spread if spread > 0 else 0.5
            new = {"kind": kind, "low": [v - h for v in c], "high": [v + h for v in c]}
            new["num" if kind == "grid" else "n"] = n
        else:
            ckey, skey = START_KINDS[kind]
            new = {"kind": kind, "n": n, ckey: centre, skey: spread if spread > 0 else 0.1}
        if kind not in ("point", "grid"):
            new["seed"] = seed
        self.data["starts"] = new

    # -- optimizers ---------------------------------------------------------------
    def add_optimizer(self, kind: str = "gd", lr: float | None = None) -> str:
        """Add an optimizer of ``kind`` under a new label; returns the label."""
        if kind not in optim.names():
            raise ValueError(f"kind must be one of {', '.join(optim.names())}, got {kind!r}")
        opts = self.data.setdefault("optimizers", {})
        label, k = kind, 2
        while label in opts:
            label, k = f"{kind} {k}", k + 1
        lr = hyperparameters(kind)["lr"] if lr is None else lr
        opts[label] = {"kind": kind, "lr": lr}
        return label

    def set_kind(self, label: str, kind: str) -> None:
        """Change an optimizer's kind, keeping its lr, schedule, batch size and noise."""
        spec = self.data["optimizers"][label]
        keep = {k: spec[k] for k in ("lr", "schedule", "noise", "batch_size") if k in spec}
        hp = hyperparameters(kind)
        for k, v in spec.items():  # shared hyperparameters (beta, eps, ...) carry over
            if k in hp and k not in keep:
                keep[k] = v
        self.data["optimizers"][label] = {"kind": kind, **keep}

    def rename(self, label: str, new: str, claims: bool = True) -> None:
        """Rename an optimizer, keeping the order; ``claims``: the claims follow the new name.

        (After a change of kind the claims were about the old optimizer: they
        should not follow, and then no longer apply.)
        """
        opts = self.data["optimizers"]
        if new in opts and new != label:
            raise ValueError(f"label {new!r} is already used")
        if not new.strip():
            raise ValueError("label must not be empty")
        spec = opts[label]
        spec.setdefault("kind", label)
        self.data["optimizers"] = {(new if k == label else k): v for k, v in opts.items()}
        for claim in (self.data.get("claims", []) or []) if claims else ():
            if not isinstance(claim, dict):
                continue
            for key in _CLAIM_NAMES:
                v = claim.get(key)
                if v == label:
                    claim[key] = new
                elif isinstance(v, list):
                    claim[key] = [new if x == label else x for x in v]

    # -- surface --------------------------------------------------------------------
    def set_surface(self, table: dict, box=None) -> None:
        """Put a new ``[surface]`` in; ``box`` (its plotting box) re-centres the starts.

        Events and claims that were about the old surface are dropped (and the
        lesson, which they measured, says so), as are mini-batch sizes when the
        new surface is not a finite sum; a figure that needs an event (the
        survival curves) becomes the explorer's swarm.
        """
        if (
            self.data.get("claims")
            or self.data.get("lesson", DEFAULT["lesson"]) != DEFAULT["lesson"]
        ):
            self.data["lesson"] = f"Explored by hand from {self.name}, on another surface."
        self.data["surface"] = dict(table)
        sim = self.data.setdefault("simulate", {})
        sim.pop("events", None)
        self.data.pop("claims", None)
        render = self.data.get("render", {})
        spec = recipes.RENDERERS.get(render.get("kind"))
        if "event" in getattr(spec, "required", ()):
            self.data["render"] = dict(DEFAULT["render"])
            sim["record_every"] = sim.get("record_every") or 1  # a swarm draws frames
        else:  # it named one of the dropped events
            render.pop("event", None)
        if table.get("name") not in _FINITE_SUMS:
            sim.pop("batch_size", None)
            for spec in self.data.get("optimizers", {}).values():
                spec.pop("batch_size", None)
        if box is not None:
            (x0, x1), (y0, y1) = box[0], box[1]
            centre = [round(x0 + 0.2 * (x1 - x0), 4), round(y1 - 0.2 * (y1 - y0), 4)]
            self.set_starts(centre=centre, dim=2)

    # -- files and URLs -------------------------------------------------------------
    def to_toml(self, claims=None) -> str:
        """The recipe file of this state (``landscape render FILE`` draws it).

        ``claims``: the claim tables to write (default: the state's own).
        """
        data = dict(self.data)
        if claims is not None:
            data["claims"] = claims
        if not data.get("claims"):
            data.pop("claims", None)
        return to_toml(data)

    def to_query(self) -> str:
        """The state packed into one URL query value (JSON, zlib, base64url)."""
        raw = json.dumps({"name": self.name, "recipe": self.data}, separators=(",", ":"))
        packed = base64.urlsafe_b64encode(zlib.compress(raw.encode(), 9)).decode().rstrip("=")
        if len(packed) > MAX_QUERY:
            raise ValueError(
                f"the state packs to {len(packed)} characters; at most {MAX_QUERY} fit a URL"
            )
        return packed

    @classmethod
    def from_query(cls, text: str) -> State:
        """The state :meth:`to_query` packed; a damaged value raises ``ValueError``."""
        if not isinstance(text, str) or len(text) > MAX_QUERY:
            raise ValueError(f"the URL's state must be a string of at most {MAX_QUERY} characters")
        try:
            z = zlib.decompressobj()
            raw = z.decompress(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), _MAX_JSON)
            if z.unconsumed_tail:
                raise ValueError("too large")
            if not z.eof:
                raise ValueError("the packed data ends early")
            d = json.loads(raw)
        except (ValueError, binascii.Error, zlib.error, RecursionError) as exc:
            raise ValueError(
                f"the URL's state cannot be read ({exc}); it was cut or edited"
            ) from None
        if not isinstance(d, dict) or not isinstance(d.get("recipe"), dict):
            raise ValueError("the URL's state is not a recipe table")
        name = d.get("name", "explore")
        name = name if isinstance(name, str) and name.isidentifier() else "explore"
        return cls(d["recipe"], name)

    def __eq__(self, other) -> bool:
        return isinstance(other, State) and (self.name, self.data) == (other.name, other.data)


# ---------------------------------------------------------------------------
# what the controls offer
# ---------------------------------------------------------------------------
_FINITE_SUMS = ("linear_regression", "logistic_regression", "tanh_network")
#: The keys of a claim table that name optimizers (see landscape.claims).
_CLAIM_NAMES = ("of", "less_than", "more_than", "other")
_explorable: list | None = None


def explorable_surfaces() -> list[str]:
    """Surface families that can be drawn as a map: 2-D by default or with ``dim = 2``."""
    global _explorable
    if _explorable is None:
        names = []
        for name in surfaces.names():
            params = surface_parameters(name)
            if params is None:
                continue
            try:
                surf = getattr(surfaces, name)(**({"dim": 2} if "dim" in params else {}))
            except (TypeError, ValueError):
                continue
            if surf.dim == 2:
                names.append(name)
        _explorable = names
    return list(_explorable)


def surface_parameters(name: str) -> dict | None:
    """``name``'s numeric parameters and their defaults (None: it needs arrays, e.g. ``A``)."""
    out = {}
    for p in inspect.signature(getattr(surfaces, name)).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in ("X", "y"):
            continue
        if p.default is p.empty:
            return None
        if isinstance(p.default, bool) or not isinstance(p.default, (int, float)):
            continue  # None / arrays (L, mu, spectrum, center): left to the recipe
        out[p.name] = p.default
    if name in _FINITE_SUMS or "dim" in out:
        out["dim"] = 2 if "dim" in out else None
        out = {k: v for k, v in out.items() if v is not None}
    return out


def hyperparameters(kind: str) -> dict:
    """``kind``'s numeric hyperparameters (lr first) and their defaults."""
    out = {}
    for p in inspect.signature(getattr(optim, kind)).parameters.values():
        if p.name != "schedule" and isinstance(p.default, (int, float)):
            out[p.name] = p.default
    return out


def schedule_parameters(name: str) -> dict:
    """A schedule's numeric parameters, with its defaults (or a sensible value if required)."""
    out = {}
    for p in inspect.signature(getattr(_schedules, name)).parameters.values():
        if p.name in ("name", "then", "boundaries", "factors"):
            continue
        out[p.name] = 100 if p.default is p.empty else p.default
    return out


def _vec(v, dim):
    """``v`` as a list of floats of length ``dim`` (a number repeats), None if not numbers."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return [float(v)] * dim
    if isinstance(v, list) and v and all(isinstance(a, (int, float)) for a in v):
        return [float(a) for a in v]
    return None


# ---------------------------------------------------------------------------
# TOML writing (the subset recipes use)
# ---------------------------------------------------------------------------
_ORDER = ["title", "lesson", "output", "surface", "optimizers", "starts", "simulate", "render",
          "schedules", "claims"]  # fmt: skip


def to_toml(data: dict) -> str:
    """``data`` (a recipe table) as TOML that :func:`tomllib.loads` reads back equal."""
    out = []
    top = sorted(data, key=lambda k: _ORDER.index(k) if k in _ORDER else len(_ORDER))
    for key in top:
        v = data[key]
        if not isinstance(v, (dict, list)) or (isinstance(v, list) and key != "claims"):
            out.append(f"{_key(key)} = {_value(v)}")
    for key in top:
        v = data[key]
        if key in ("optimizers", "schedules") and isinstance(v, dict):
            for label, spec in v.items():
                out += ["", f"[{key}.{_key(label)}]"]
                out += [f"{_key(k)} = {_value(x)}" for k, x in spec.items()]
        elif isinstance(v, dict):
            out += ["", f"[{_key(key)}]"] + [f"{_key(k)} = {_value(x)}" for k, x in v.items()]
        elif key == "claims" and isinstance(v, list):
            for claim in v:
                out += ["", "[[claims]]"] + [f"{_key(k)} = {_value(x)}" for k, x in claim.items()]
    return "\n".join(out) + "\n"


def _key(k) -> str:
    k = str(k)
    return (
        k
        if k and k.replace("_", "").replace("-", "").isalnum() and k.isascii()
        else json.dumps(k, ensure_ascii=False)
    )


def _value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # JSON string escapes are valid TOML
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise ValueError(
        f"a recipe holds numbers, strings, booleans, arrays and tables, not {type(v).__name__}"
    )
