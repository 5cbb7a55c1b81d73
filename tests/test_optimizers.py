"""Optimizer constructors (landscape.optim.optimizers): defaults, replace,
make by name, and argument validation."""

from __future__ import annotations

import pytest

import landscape as ls


def test_optimizer_defaults_and_replace():
    a = ls.optim.adam()
    assert (a.lr, a.b1, a.b2, a.eps) == (0.001, 0.9, 0.999, 1e-8)
    assert ls.optim.adamw().weight_decay == 0.01
    assert ls.optim.make("sgd", lr=0.3).kind == "gd"
    assert set(ls.optim.names()) >= {"gd", "sgd", "momentum", "heavy_ball", "nesterov",
                                     "rmsprop", "adagrad", "adam", "adamw"}
    b = a.replace(lr=0.1)
    assert b.lr == 0.1 and b.b2 == 0.999 and a.lr == 0.001
    sched = ls.schedules.cosine(10)
    c = ls.optim.gd(0.1, schedule=sched).replace(lr=0.2)
    assert c.schedule == sched


BAD = [
    (lambda: ls.optim.gd(lr=0.0), "lr"),
    (lambda: ls.optim.gd(lr=-1e-3), "lr"),
    (lambda: ls.optim.adam(lr=float("nan")), "lr"),
    (lambda: ls.optim.sgd(lr=float("inf")), "lr"),
    (lambda: ls.optim.momentum(beta=1.0), "beta"),
    (lambda: ls.optim.heavy_ball(beta=-0.1), "beta"),
    (lambda: ls.optim.nesterov(beta=1.5), "beta"),
    (lambda: ls.optim.rmsprop(beta=1.0), "beta"),
    (lambda: ls.optim.adam(b1=1.0), "b1"),
    (lambda: ls.optim.adam(b2=-0.1), "b2"),
    (lambda: ls.optim.adamw(b2=1.0), "b2"),
    (lambda: ls.optim.adam(eps=-1e-8), "eps"),
    (lambda: ls.optim.rmsprop(eps=-1.0), "eps"),
    (lambda: ls.optim.adagrad(eps=-1e-10), "eps"),
    (lambda: ls.optim.adamw(weight_decay=-0.1), "weight_decay"),
    (lambda: ls.optim.gd(0.1, schedule="cosine"), "schedule"),
    (lambda: ls.optim.make("adamm"), "optimizer"),
    (lambda: ls.optim.make("adam", lrr=0.1), "lrr"),
    (lambda: ls.optim.make("gd", beta=0.9), "beta"),
    (lambda: ls.optim.make("momentum", lr=0.0), "lr"),
    (lambda: ls.optim.adam().replace(b1=1.0), "b1"),
]


@pytest.mark.parametrize("call,match", BAD, ids=[f"{i}-{m}" for i, (_, m) in enumerate(BAD)])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()

