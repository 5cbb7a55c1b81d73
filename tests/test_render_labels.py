"""Legend labels (landscape.render._labels): kind, lr and non-default hyperparameters, once each.

Configs are built as :func:`landscape.simulate` records them (no simulation),
plus one real run on rosenbrock (compiled by tests/test_render.py as well).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

import landscape as ls
from landscape.render import _labels as L

# every kind with non-default hyperparameters, and the symbols they must show
NON_DEFAULT = {
    "gd": ({"lr": 0.038}, {}),
    "momentum": ({"lr": 0.38, "beta": 0.8}, {"β": "0.8"}),
    "heavy_ball": ({"lr": 0.1, "beta": 0.95}, {"β": "0.95"}),
    "nesterov": ({"lr": 0.1, "beta": 0.5}, {"β": "0.5"}),
    "rmsprop": ({"lr": 0.05, "beta": 0.99, "eps": 1e-6}, {"β": "0.99", "ε": "1e-06"}),
    "adagrad": ({"lr": 0.5, "eps": 1e-3}, {"ε": "0.001"}),
    "adam": (
        {"lr": 0.1, "b1": 0.8, "b2": 0.99, "eps": 1e-4},
        {"β₁": "0.8", "β₂": "0.99", "ε": "0.0001"},
    ),  # fmt: skip
    "adamw": ({"lr": 0.01, "weight_decay": 0.1}, {"λ": "0.1"}),
    "amsgrad": ({"lr": 0.02, "b2": 0.99}, {"β₂": "0.99"}),
    "nadam": ({"lr": 0.02, "momentum_decay": 0.01}, {"ψ": "0.01"}),
}
DEFAULTS = {k: ls.optim.make(k, lr=0.01) for k in NON_DEFAULT}


def test_every_kind_is_in_the_table():
    """A new optimizer kind is labelled (its display name comes with its constructor)."""
    assert set(NON_DEFAULT) == set(ls.optim._rules.KIND_NAMES) == set(L.DISPLAY)


def fake(opts, *, noise=None, minibatch=None):
    """A Result-like object with the config simulate() records."""
    names = list(opts)
    config = {
        "optimizers": [{"name": n, "kind": o.kind, **o.hyperparameters()} for n, o in opts.items()],
        "noise": noise,
        "minibatch": minibatch,
    }
    return SimpleNamespace(names=names, config=config)


def label(opt, name=None, **kw):
    name = opt.label if name is None else name
    return L.opt_label(fake({name: opt}, **kw), 0)


def _count(text, sub) -> int:
    return len(re.findall(re.escape(sub) + r"(?![0-9])", text))


@pytest.mark.parametrize("kind", list(NON_DEFAULT))
@pytest.mark.parametrize("style", ["auto", "kind", "display", "upper", "custom", "restating"])
def test_label_states_kind_lr_and_non_default_hyperparameters_once(kind, style):
    hp, shown = NON_DEFAULT[kind]
    opt = ls.optim.make(kind, **hp)
    display = L.DISPLAY[kind]
    name = {
        "auto": opt.label,  # adam(lr=0.1, b1=0.8, ...): what simulate calls it
        "kind": kind,
        "display": display,
        "upper": display.upper(),
        "custom": "my run",
        "restating": f"{display} (lr = {hp['lr']:g})",
    }[style]
    text = label(opt, name)
    assert _count(text, display) >= 1
    assert _count(text, f"lr = {hp['lr']:g}") == 1, text
    assert text.count("lr =") == 1, text
    for sym, value in shown.items():
        assert _count(text, f"{sym} = {value}") == 1, (text, sym)
    assert text.startswith("my run: ") == (style == "custom"), text
    # defaults are left out, except β of the momentum family (the lesson depends on it)
    plain = label(DEFAULTS[kind], kind)
    assert ("β" in plain) == (kind in ("momentum", "heavy_ball", "nesterov")), plain
    assert "ε" not in plain and "λ" not in plain and "β₁" not in plain, plain


def test_the_courses_labels():
    opt = ls.optim
    assert label(opt.gd(0.038), "gd") == "GD, lr = 0.038"
    assert label(opt.momentum(0.038, beta=0.9), "momentum") == "momentum (β = 0.9), lr = 0.038"
    assert label(opt.adam(0.1), "Adam") == "Adam, lr = 0.1"
    assert label(opt.rmsprop(0.05, beta=0.99), "rmsprop") == "RMSprop, lr = 0.05, β = 0.99"
    assert label(opt.heavy_ball(0.1), "momentum (classic, β = 0.9, lr = 0.1)") == (
        "classic momentum (β = 0.9), lr = 0.1"
    )
    assert label(opt.gd(0.1), "gradient descent (lr = 0.1)") == "GD, lr = 0.1"
    # a schedule, in short, under noisy gradients (SGD); a name that restates it is dropped
    sched = ls.schedules.inverse_time(0.5, steps_per_epoch=10)
    noisy = {"kind": "gaussian", "sigma": 2.0}
    for name in ("decaying", "lr = 0.1/(1 + 0.5·epoch), 10 steps an epoch"):
        text = label(opt.gd(0.1, schedule=sched), name, noise=noisy)
        head = "decaying: " if name == "decaying" else ""
        assert text == head + "SGD, lr = 0.1, lr/(1 + 0.5·epoch), epoch = 10 steps"
    # "constant lr = 0.1": the value is not repeated
    assert label(opt.gd(0.1), "constant lr = 0.1", noise=noisy) == "constant: SGD, lr = 0.1"


def test_batch_sizes_shown_when_they_differ():
    opts = {"batch GD (b = m = 1024)": ls.optim.sgd(1.5), "mini-batch (b = 64)": ls.optim.sgd(1.5),
            "SGD (b = 1)": ls.optim.sgd(1.5)}  # fmt: skip
    mb = {"m": 1024, "batch_size": [1024, 64, 1], "steps_per_epoch": [1, 16, 1024]}
    r = fake(opts, minibatch=mb)
    assert [L.opt_label(r, i) for i in range(3)] == [
        "batch GD: SGD, lr = 1.5, b = 1024",
        "mini-batch: SGD, lr = 1.5, b = 64",
        "SGD, lr = 1.5, b = 1",
    ]
    same = fake(opts, minibatch={**mb, "batch_size": [64, 64, 64]})
    assert all("b =" not in L.opt_label(same, i) for i in range(3))


@pytest.mark.parametrize(
    ("text", "short"),
    [
        ("exponential(base=0.95)", "0.95^epoch·lr"),
        ("inverse_sqrt_epoch(k=1)", "lr/√epoch"),
        ("inverse_sqrt_step(k=2)", "2·lr/√t"),
        ("staircase(factor=0.5, every=10)", "lr×0.5 every 10 epochs"),
        ("cosine(decay_steps=100, alpha=0.1)", "cosine decay to 0.1·lr in 100 steps"),
        (
            "piecewise(boundaries=[10.0, 20.0], factors=[1.0, 0.1, 0.01])",
            "lr×1, ×0.1 from epoch 10, ×0.01 from epoch 20",
        ),  # fmt: skip
        ("warmup(5)+exponential(base=0.9)", "5-step warm-up, then 0.9^epoch·lr"),
        ("warmup(10)+constant()", "10-step warm-up"),
        ("constant()", ""),
        ("something else", "something else"),
    ],
)
def test_schedule_text(text, short):
    assert L.schedule_text(text) == short


def test_name_prefix():
    assert L.name_prefix("adam(lr=0.01, b1=0.9, b2=0.999, eps=1e-08)", "adam") is None
    assert L.name_prefix("adam(lr=0.01)#2", "adam") is None
    assert L.name_prefix("momentum (β = 0.9)", "momentum") is None
    assert L.name_prefix("SGD (b = 1)", "gd") is None
    assert L.name_prefix("heavy_ball", "heavy_ball") is None
    assert L.name_prefix("batch GD (b = m = 1024)", "gd") == "batch GD"
    assert L.name_prefix("gd big", "gd") == "gd big"
    assert L.name_prefix("adam(lr=0.01)", "gd") == "adam"  # not its own kind: shown, lr once


def test_labels_of_a_real_run_and_without_config():
    surf = ls.surfaces.rosenbrock()
    opts = [ls.optim.gd(1e-3), ls.optim.momentum(1e-3), ls.optim.adam(1e-2, b2=0.99)]
    res = ls.simulate(surf, opts, ls.starts.point([-1.5, 2.0]), steps=3, record_every=1)
    assert [L.opt_label(res, i) for i in range(3)] == [
        "GD, lr = 0.001",
        "momentum (β = 0.9), lr = 0.001",
        "Adam, lr = 0.01, β₂ = 0.99",
    ]
    bare = SimpleNamespace(names=["mine"], config={})
    assert L.opt_label(bare, 0) == "mine"
