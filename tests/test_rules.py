"""The update rules (``landscape.optim._rules``): NAdam and AMSGrad against PyTorch.

PyTorch's ``torch.optim.NAdam`` and ``torch.optim.Adam(amsgrad=True)`` are
the definitions users know; on a convex quadratic, in float64, every iterate
of ``landscape.simulate`` must match theirs to 1e-9 (relative), with
constant and scheduled learning rates.  The learning rates keep every
trajectory above the noise floor of its minimum for the 200 steps: there,
Adam-like steps of size ~lr bounce chaotically and any two implementations
part at the rate of the bouncing, not of their arithmetic (with NAdam at
lr = 0.05 one trajectory reaches it at step ~150 and the paths separate from
1e-15 to 1e-3 by step 200).  (The slow per-coordinate reference,
``tests/reference.py``, checks every kind against the engines in
``test_engine.py``, ``test_batched.py`` and the CUDA simulator tests.)
"""

from __future__ import annotations

import numpy as np
import pytest

import landscape as ls
from landscape.optim import _rules as R

torch = pytest.importorskip("torch")

A = np.array([[4.0, 1.2, 0.0], [1.2, 1.0, -0.3], [0.0, -0.3, 0.25]])  # SPD, kappa ~ 25
X0 = np.array([[1.5, -2.0, 3.0], [-0.7, 0.4, -1.1]])
STEPS = 200


@pytest.fixture(autouse=True)
def _torch_float64():
    """PyTorch keeps NAdam's mu product and the step count in its default dtype: float64 here."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _torch_path(make_opt, x0, steps, lr_at=None):
    """Iterates of a PyTorch optimizer on 0.5 x^T A x (float64), one trajectory."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    At = torch.tensor(A, dtype=torch.float64)
    opt = make_opt([x])
    path = [x.detach().numpy().copy()]
    for t in range(steps):
        if lr_at is not None:
            for group in opt.param_groups:
                group["lr"] = lr_at(t)
        opt.zero_grad()
        loss = 0.5 * x @ At @ x
        loss.backward()
        opt.step()
        path.append(x.detach().numpy().copy())
    return np.array(path)


CASES = {
    "amsgrad": (
        ls.optim.amsgrad(lr=0.05, b1=0.9, b2=0.99, eps=1e-8),
        lambda p, lr=0.05: torch.optim.Adam(p, lr=lr, betas=(0.9, 0.99), eps=1e-8, amsgrad=True),
    ),
    "amsgrad-defaults": (
        ls.optim.amsgrad(),
        lambda p, lr=1e-3: torch.optim.Adam(p, lr=lr, amsgrad=True),
    ),
    "nadam": (
        ls.optim.nadam(lr=0.02, b1=0.9, b2=0.99, eps=1e-8, momentum_decay=0.004),
        lambda p, lr=0.02: torch.optim.NAdam(p, lr=lr, betas=(0.9, 0.99), eps=1e-8,
                                             momentum_decay=0.004),  # fmt: skip
    ),
    "nadam-defaults": (ls.optim.nadam(), lambda p, lr=2e-3: torch.optim.NAdam(p, lr=lr)),
    "nadam-fast-decay": (
        ls.optim.nadam(lr=0.02, b1=0.95, b2=0.999, eps=1e-6, momentum_decay=0.2),
        lambda p, lr=0.02: torch.optim.NAdam(p, lr=lr, betas=(0.95, 0.999), eps=1e-6,
                                             momentum_decay=0.2),  # fmt: skip
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_pytorch_float64(case):
    opt, make_torch = CASES[case]
    res = ls.simulate(ls.surfaces.quadratic(A=A), {case: opt}, X0, STEPS, record_every=1)
    for j, x0 in enumerate(X0):
        want = _torch_path(make_torch, x0, STEPS)
        got = res.positions[0, j]
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"{case} traj {j}")


@pytest.mark.parametrize("kind", ["amsgrad", "nadam"])
def test_scheduled_learning_rate_matches_pytorch(kind):
    """The schedule scales the learning rate as PyTorch's param_groups lr does, step by step."""
    sched = ls.schedules.inverse_time(0.5, steps_per_epoch=10)
    lr0 = 0.05
    opt = ls.optim.make(kind, lr=lr0, schedule=sched)
    res = ls.simulate(ls.surfaces.quadratic(A=A), opt, X0[:1], STEPS, record_every=1)

    def make_torch(p):
        if kind == "nadam":
            return torch.optim.NAdam(p, lr=lr0)
        return torch.optim.Adam(p, lr=lr0, amsgrad=True)

    # the course's epoch_num counts from 1: the first epoch already decays
    want = _torch_path(make_torch, X0[0], STEPS, lr_at=lambda t: lr0 / (1 + 0.5 * (1 + t // 10)))
    np.testing.assert_allclose(res.positions[0, 0], want, rtol=1e-9, atol=1e-12)


def test_amsgrad_differs_from_adam_only_when_v_falls():
    """On a run whose gradients shrink, v falls: AMSGrad then steps less than Adam (max v)."""
    surf = ls.surfaces.quadratic(A=A)
    r = ls.simulate(surf, {"adam": ls.optim.adam(0.05, b2=0.9), "ams": ls.optim.amsgrad(0.05, b2=0.9)},
                    X0, 60, record_every=1)  # fmt: skip
    steps = np.linalg.norm(np.diff(r.positions, axis=2), axis=3)  # (opt, traj, step)
    # the first update is identical (v_1 = max v_1) ...
    np.testing.assert_allclose(steps[0, :, 0], steps[1, :, 0], rtol=1e-12)
    # ... later they part
    assert not np.allclose(r.positions[0], r.positions[1])


def test_nadam_mu_schedule_is_pytorchs():
    """mu_t = b1 (1 - 0.5 * 0.96^(t psi)): mu_1 and its limit b1 for large t."""
    assert R.nadam_mu(0.9, 0.004, 1.0) == pytest.approx(0.9 * (1 - 0.5 * 0.96**0.004), rel=1e-15)
    assert R.nadam_mu(0.9, 0.004, 1e7) == pytest.approx(0.9, rel=1e-12)


def test_constructors_validate():
    with pytest.raises(ValueError, match="momentum_decay"):
        ls.optim.nadam(momentum_decay=-1.0)
    with pytest.raises(ValueError, match="b2"):
        ls.optim.amsgrad(b2=1.0)
    assert ls.optim.nadam().hyperparameters() == {
        "lr": 0.002, "b1": 0.9, "b2": 0.999, "eps": 1e-8, "momentum_decay": 0.004,
    }  # fmt: skip
    assert ls.optim.amsgrad().label == "amsgrad(lr=0.001, b1=0.9, b2=0.999, eps=1e-08)"


def test_sizes_cover_every_kind():
    """Engines size their arrays from the rule module: every kind fits them."""
    assert len(R.KIND_NAMES) == len(set(R.KIND_NAMES))
    assert len(R.HP_FIELDS) == R.HP_SIZE
    assert {R.rule_of(k) for k in range(len(R.KIND_NAMES))} == set(range(R.RULE_NADAM + 1))
    for name in R.KIND_NAMES:
        assert ls.optim.make(name).hp_row().shape == (R.HP_SIZE,)
