"""Legend labels: each optimizer's kind, learning rate and non-default hyperparameters, once.

``opt_label(result, i)`` builds the label from ``result.config`` (what the
run really used), e.g. ``GD, lr = 0.038``, ``momentum (β = 0.9), lr = 0.38``,
``RMSprop, lr = 0.05, β = 0.99``, ``SGD, lr = 0.1, lr/(1 + 0.5·epoch),
epoch = 10 steps`` or ``mini-batch: SGD, lr = 1.5, b = 64``.  The
optimizer's own name comes first only when it says more than the kind; the
hyperparameters a name restates (``"momentum (β = 0.9)"``) are not repeated.
"""

from __future__ import annotations

import inspect
import re

import numpy as np

from ..optim import optimizers as _optimizers
from ._colours import ALIASES

__all__ = [
    "DISPLAY",
    "kind_display",
    "kind_of",
    "name_prefix",
    "opt_configs",
    "opt_label",
    "result_kinds",
    "schedule_text",
    "surface_label",
]

#: How each kind is written in labels, and the words a name may use for its
#: kind without saying anything more: declared with the constructors.
DISPLAY = _optimizers.DISPLAY
_KIND_WORDS = _optimizers.KIND_WORDS
#: Symbols of the hyperparameters (config keys, as the constructors name them).
_SYMBOLS = {
    "beta": "β",
    "b1": "β₁",
    "b2": "β₂",
    "eps": "ε",
    "weight_decay": "λ",
    "momentum_decay": "ψ",
}
_MOMENTUM_FAMILY = ("momentum", "heavy_ball", "nesterov")

_KIND_RE = re.compile(
    r"^\s*("
    + "|".join(sorted([*_optimizers.DISPLAY, *ALIASES], key=len, reverse=True))
    + r")(?![a-z0-9])",
    re.IGNORECASE,
)


def kind_of(name: str) -> str | None:
    """The optimizer kind a name starts with (``"adam lr=1e-2"`` -> ``"adam"``), or None."""
    m = _KIND_RE.match(str(name))
    if not m:
        return None
    k = m.group(1).lower()
    return ALIASES.get(k, k)


def opt_configs(result) -> list:
    """``result.config["optimizers"]`` (one dict per optimizer; empty dicts if absent)."""
    cfg = (getattr(result, "config", None) or {}).get("optimizers") or []
    return cfg if len(cfg) == len(result.names) else [{} for _ in result.names]


def result_kinds(result) -> list:
    """Kind of each optimizer of a result (config first, then the name)."""
    return [
        c.get("kind") or kind_of(n) for c, n in zip(opt_configs(result), result.names, strict=True)
    ]


def _num(v) -> str:
    """A hyperparameter value: up to 4 significant digits (0.038, 1e-08, 1024)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        return str(v)
    return f"{float(v):.4g}"


def _defaults(kind: str) -> dict:
    """The constructor's default hyperparameters of ``kind`` (``landscape.optim``)."""
    from ..optim import optimizers

    fn = getattr(optimizers, kind, None)
    if fn is None:
        return {}
    return {
        p.name: p.default
        for p in inspect.signature(fn).parameters.values()
        if p.default is not inspect.Parameter.empty
    }


# --------------------------------------------------------------------------
# schedules
# --------------------------------------------------------------------------
_SCHED_RE = re.compile(r"^(?:warmup\((\d+)\)\+)?(\w+)\((.*)\)$")
_PARAM_RE = re.compile(r"(\w+)=(\[[^\]]*\]|[^,]+)")


def _sched_params(text: str) -> dict:
    out = {}
    for key, raw in _PARAM_RE.findall(text):
        raw = raw.strip()
        if raw.startswith("["):
            out[key] = [float(x) for x in raw.strip("[]").split(",") if x.strip()]
        else:
            try:
                out[key] = float(raw)
            except ValueError:
                out[key] = raw
    return out


def schedule_text(label) -> str:
    """A short readable form of a schedule's label (``Schedule.label`` text).

    ``inverse_time(decay=0.5, steps_per_epoch=10)`` ->
    ``lr/(1 + 0.5·epoch), epoch = 10 steps``; ``exponential(base=0.95)`` ->
    ``0.95^epoch·lr``; ``staircase(factor=0.5, every=10)`` -> ``lr×0.5 every
    10 epochs``; ``warmup(5)+constant()`` -> ``5-step warm-up``.  Unknown
    forms are returned as they are; ``constant()`` is the empty string.
    """
    label = str(getattr(label, "label", label))
    m = _SCHED_RE.match(label.strip())
    if not m:
        return label
    warm, name, p = m.group(1), m.group(2), _sched_params(m.group(3))
    g = lambda key, default=1.0: _num(p.get(key, default))  # noqa: E731
    if name == "constant":
        body = ""
    elif name == "inverse_time":
        body = f"lr/(1 + {g('decay')}·epoch)"
    elif name == "exponential":
        body = f"{g('base', 0.95)}^epoch·lr"
    elif name == "inverse_sqrt_epoch":
        body = "lr/√epoch" if p.get("k", 1.0) == 1.0 else f"{g('k')}·lr/√epoch"
    elif name == "inverse_sqrt_step":
        body = "lr/√t" if p.get("k", 1.0) == 1.0 else f"{g('k')}·lr/√t"
    elif name == "staircase":
        body = f"lr×{g('factor', 0.5)} every {g('every', 10)} epochs"
    elif name == "cosine":
        body = f"cosine decay to {g('alpha', 0.0)}·lr in {g('decay_steps')} steps"
    elif name in ("piecewise", "manual"):
        b, f = p.get("boundaries", []), p.get("factors", [])
        steps = [f"×{_num(f[0])}"] if f else []
        steps += [f"×{_num(fi)} from epoch {_num(bi)}" for bi, fi in zip(b, f[1:], strict=False)]
        body = "lr" + ", ".join(steps) if steps else name
    else:
        return label
    spe = p.get("steps_per_epoch")
    if body and spe is not None and spe != 1.0 and "epoch" in body:
        body += f", epoch = {_num(spe)} steps"
    if warm:
        body = f"{warm}-step warm-up" + (f", then {body}" if body else "")
    return body


# --------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
# "lr = 0.1", "β=0.9", "b = m = 1024", "lr = 0.1/(1 + 0.5·epoch)"
_STATED = re.compile(
    r"(?:\b|(?<=[\s(,]))(?:lr|α₀?|alpha|learning[ _]rate|β[₁₂12]?|beta[12]?|b[12]?|ε|eps"
    r"|λ|weight[ _]decay|wd|batch[ _]size|b|m)(?:\s*=\s*(?:lr|α₀?|b|m)\b)*\s*=\s*"
    + _NUMBER
    + r"(?:\s*/\s*\([^)]*\)|\s*/\s*√\s*\w+|·\S+|\s*\^\s*\w+)?",
    re.IGNORECASE,
)
_EPOCH_LEN = re.compile(r"\b\d+\s*steps?\s*(?:an|a|per|/|each)\s*epoch\b", re.IGNORECASE)
_AUTO_RE = re.compile(r"^(\w+)\(.*\)$")


def name_prefix(name, kind) -> str | None:
    """What an optimizer's name says beyond its kind and hyperparameters, or None.

    None when the name is the automatic one of :func:`landscape.simulate`
    (``adam(lr=0.01, ...)``), or, once the hyperparameters it states (``lr =
    0.1``, ``β = 0.9``, ``b = m = 1024``, ``10 steps an epoch``) are taken
    out, only words for its kind (``"gradient descent"``, ``"momentum (β =
    0.9)"``, ``"SGD (b = 1)"``).  Otherwise the name without those
    statements: ``"batch GD (b = m = 1024)"`` -> ``"batch GD"``.
    """
    name = re.sub(r"#\d+$", "", str(name)).strip()
    m = _AUTO_RE.match(name)
    if m and ALIASES.get(m.group(1).lower(), m.group(1).lower()) == kind:
        return None
    rest = _EPOCH_LEN.sub("", _STATED.sub("", name))
    # tidy what the statements leave: empty brackets, doubled separators
    for _ in range(3):
        rest = re.sub(r"\(\s*[,;:]*\s*\)|\[\s*[,;:]*\s*\]", "", rest)
        rest = re.sub(r"\(\s*[,;]\s*", "(", rest)
        rest = re.sub(r"\s*[,;]\s*\)", ")", rest)
        rest = re.sub(r"\s*([,;])\s*(?:[,;]\s*)+", r"\1 ", rest)
    rest = re.sub(r"\s+", " ", rest).strip(" ,;:·-–—=")
    words = {w for w in re.split(r"[^0-9a-zα-ωβ]+", rest.lower()) if w}
    if not words or words <= _KIND_WORDS.get(kind, {str(kind).lower()}):
        return None
    return rest


# --------------------------------------------------------------------------
# labels
# --------------------------------------------------------------------------
def kind_display(kind, *, stochastic=False) -> str:
    """Display name of a kind (``"gd"`` -> ``"GD"``, or ``"SGD"`` when ``stochastic``)."""
    kind = ALIASES.get(kind, kind)
    if kind == "gd" and stochastic:
        return "SGD"
    return DISPLAY.get(kind, str(kind))


def _stochastic(config: dict) -> bool:
    """Whether a run's gradients are stochastic (added noise, or mini-batches)."""
    return bool(config.get("noise")) or bool(config.get("minibatch"))


def opt_label(result, i: int) -> str:
    """Legend label of optimizer ``i``: kind, learning rate, non-default hyperparameters.

    Built from ``result.config["optimizers"][i]`` and
    ``result.config["minibatch"]``:

    * the kind's display name (:data:`DISPLAY`; GD is *SGD* when the run
      adds gradient noise or uses mini-batches), with β in brackets for the
      momentum family (always: the lesson depends on it);
    * ``lr = <value>``, then every other hyperparameter that differs from its
      constructor's default (``β = 0.99``, ``β₁``, ``β₂``, ``ε``, ``λ`` for
      weight decay), the schedule in a short form (:func:`schedule_text`),
      and ``b = <batch size>`` when the batch sizes differ among the
      optimizers;
    * the optimizer's name first (``"batch GD: SGD, ..."``) only when it says
      more than the kind (:func:`name_prefix`).

    Each value appears once.  Without a config, the name itself.
    """
    name = str(result.names[i])
    config = getattr(result, "config", None) or {}
    cfg = opt_configs(result)[i]
    kind = ALIASES.get(cfg.get("kind"), cfg.get("kind"))
    if not cfg or kind is None or "lr" not in cfg:
        return name
    head = kind_display(kind, stochastic=_stochastic(config))
    defaults = _defaults(kind)
    parts = [f"lr = {_num(cfg['lr'])}"]
    for key, value in cfg.items():
        if key in ("name", "kind", "lr", "schedule"):
            continue
        sym = _SYMBOLS.get(key, key)
        if kind in _MOMENTUM_FAMILY and key == "beta":
            head += f" ({sym} = {_num(value)})"
        elif key not in defaults or not np.isclose(float(value), float(defaults[key]),
                                                   rtol=1e-9, atol=0.0):  # fmt: skip
            parts.append(f"{sym} = {_num(value)}")
    if cfg.get("schedule"):
        text = schedule_text(cfg["schedule"])
        if text:
            parts.append(text)
    mb = config.get("minibatch") or {}
    sizes = mb.get("batch_size") or []
    if len(sizes) == len(result.names) and len(set(sizes)) > 1:
        parts.append(f"b = {int(sizes[i])}")
    prefix = name_prefix(name, kind)
    label = ", ".join([head, *parts])
    return f"{prefix}: {label}" if prefix else label


def surface_label(result, surface=None) -> str:
    """``surface.label`` or a label rebuilt from the result's config."""
    surface = surface if surface is not None else getattr(result, "surface", None)
    if surface is not None and hasattr(surface, "label"):
        return surface.label
    spec = dict((getattr(result, "config", None) or {}).get("surface") or {})
    name = spec.pop("name", "surface")
    spec.pop("dim", None)
    params = spec.pop("params", None) or spec
    if not params:
        return str(name)
    return f"{name}(" + ", ".join(f"{k}={_fmt_value(v)}" for k, v in params.items()) + ")"


def _fmt_value(v) -> str:
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return f"{float(v):g}"
    return str(v)
