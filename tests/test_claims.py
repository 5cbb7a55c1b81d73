"""Lessons as measured claims: each measure against a hand-computed value, validation,
and every gallery recipe's and compare scenario's claims holding at their real settings."""

from __future__ import annotations

import math

import numpy as np
import pytest

import landscape as ls
from landscape import compare, recipes
from landscape.claims import MEASURES, Claim, Evidence, check, claim_from_table
from landscape.results import Result


def hand_result(paths, surface, *, events=None, diverged=None, batch_loss=None, steps=None):
    """A Result whose recorded positions are ``paths`` (n_opt, n, frames, d), one per step."""
    pos = np.asarray(paths, dtype=np.float64)
    k, n, f, _ = pos.shape
    fin = pos[:, :, -1, :]
    return Result(
        names=[f"o{i}" for i in range(k)],
        positions=pos,
        frame_steps=np.arange(f) if steps is None else np.asarray(steps),
        final=fin,
        final_loss=surface.value(fin),
        events=events or {},
        diverged=np.full((k, n), -1) if diverged is None else np.asarray(diverged),
        x0=pos[0, :, 0, :],
        surface=surface,
        batch_loss=batch_loss,
    )


def value(measure, res, of="o0", **kw):
    params = {k: v for k, v in kw.items() if k not in ("stat", "trajectory")}
    extra = {k: v for k, v in kw.items() if k in ("stat", "trajectory")}
    c = Claim("x", measure, of=(of,), params=params, at_least=-math.inf, **extra)
    return check(c, Evidence(result=res, surface=res.surface)).values[of]


BOWL = ls.surfaces.elongated_bowl(kappa=10.0, angle=math.pi / 2)  # steep x2 (L = 10), shallow x1


def test_reversals_count_direction_changes_along_the_steep_axis():
    # x2 alternates sign (a zig-zag: 4 reversals), x1 creeps monotonically (none)
    path = [[-2.0, 1.0], [-1.8, -0.8], [-1.6, 0.6], [-1.4, -0.4], [-1.2, 0.2], [-1.0, 0.1]]
    res = hand_result([[path]], BOWL)
    assert value("reversals", res, axis="steep") == 4
    assert value("reversals", res, axis=1) == 4
    assert value("reversals", res, axis="shallow") == 0
    assert value("reversals", res, axis="steep", steps=2) == 1  # steps 0..2: one reversal
    # standing still (converged) is no reversal
    still = [[0.0, 1.0], [0.0, 0.5], [0.0, 0.5], [0.0, 0.5], [0.0, 0.25]]
    assert value("reversals", hand_result([[still]], BOWL), axis=1) == 0


def test_overshoot_is_the_distance_past_the_minimum_over_the_start_offset():
    path = [[0.0, 2.0], [0.0, 0.5], [0.0, -0.5], [0.0, -0.2], [0.0, 0.0]]
    res = hand_result([[path]], BOWL)
    assert value("overshoot", res, axis=1) == pytest.approx(0.25)
    assert value("overshoot", hand_result([[[[0.0, 2.0], [0.0, 1.0], [0.0, 0.0]]]], BOWL),
                 axis=1) == 0.0  # fmt: skip


def test_first_below_final_loss_loss_at_and_rises():
    path = [[0.0, 1.0], [0.0, 0.5], [0.0, 0.6], [0.0, 0.1], [0.0, 0.01]]
    res = hand_result([[path]], BOWL)
    loss = 5.0 * np.array([1.0, 0.25, 0.36, 0.01, 1e-4])  # ½·L·x2²
    np.testing.assert_allclose(res.loss[0, 0], loss)
    assert value("first_below", res, level=1.0) == 3
    assert value("first_below", res, level=1e-6) == math.inf
    assert value("final_loss", res) == pytest.approx(5e-4)
    assert value("loss_at", res, step=2) == pytest.approx(1.8)
    assert value("rises", res) == pytest.approx(1 / 4)


def test_measures_over_many_trajectories_take_the_statistic():
    paths = [[[0.0, 1.0], [0.0, 0.1]], [[0.0, 1.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 0.2]]]
    res = hand_result([paths], BOWL)
    assert value("first_below", res, level=1.0) == 1  # median of 1, inf, 1
    assert value("first_below", res, level=1.0, stat="max") == math.inf
    assert value("first_below", res, level=1.0, trajectory=1) == math.inf
    assert value("final_loss", res, stat="mean") == pytest.approx(5 * (0.01 + 1 + 0.04) / 3)


def test_divergence_ends_a_trajectory_for_every_measure():
    path = [[0.0, 1.0], [0.0, 0.5], [0.0, 1e-3], [0.0, 1e-4]]
    res = hand_result([[path]], BOWL, diverged=[[2]])  # diverged at step 2
    assert value("first_below", res, level=1e-3) == math.inf  # frames from step 2 are frozen
    assert value("final_loss", res) == math.inf
    assert value("diverged", res) == 1.0
    assert value("late_distance", res, last=2) == math.inf
    assert value("basin", res) == -1


def test_decades_use_the_minibatch_cost():
    path = [[[0.0, 1.0]] * 4]
    bl = np.array([[[1.0, 1e-3, 10.0, 0.5]]])
    res = hand_result([path], BOWL, batch_loss=bl)
    assert value("decades", res, loss="batch_loss") == pytest.approx(4.0)
    assert value("decades", res, loss="batch_loss", after=2) == pytest.approx(math.log10(20))
    assert value("rises", res, loss="batch_loss") == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="finite-sum"):
        value("decades", hand_result([path], BOWL))


def test_basins_and_disagreement():
    him = ls.surfaces.himmelblau()
    m = him.minima
    ends_a = [m[0], m[1], m[2], m[3], m[0]]
    ends_b = [m[0], m[1], m[2], m[2], m[0]]
    paths = [[[e + 0.1, e] for e in ends_a], [[e + 0.1, e] for e in ends_b]]
    res = hand_result(paths, him)
    assert value("basins", res) == 4 and value("basins", res, of="o1") == 3
    assert (
        value("basin", res, trajectory=3) == 3 and value("basin", res, of="o1", trajectory=3) == 2
    )
    assert value("basin_disagreement", res, of="o1", other="o0") == pytest.approx(0.2)
    assert value("late_distance", res, last=1) == pytest.approx(0.0)


def test_event_step_is_the_kaplan_meier_median_and_reached_by_counts():
    path = [[[0.0, 1.0]] * 2] * 4
    ev = {"e": np.array([[3, 5, -1, 9]])}
    res = hand_result([path], BOWL, events=ev, steps=[0, 10])
    assert value("event_step", res, event="e") == 5  # KM median of 3, 5, 9, censored at 10
    assert value("reached_by", res, event="e", step=5) == 0.5
    with pytest.raises(ValueError, match="event"):
        value("event_step", res, event="nope")


def test_ewa_measures_agree_with_theory():
    ev = Evidence(ewa={"days": 365, "seed": 0})

    def one(measure, **params):
        return check(Claim("x", measure, params=params, at_least=-math.inf), ev).values[""]

    # the first n weights of an EWA hold 1 - beta^n of the total: 1 - 1/e at n = -1/ln(beta)
    for beta in (0.5, 0.9, 0.98):
        assert one("ewa_window", beta=beta) == pytest.approx(-1.0 / math.log(beta))
    # phase lag of an EWA on the yearly sine: atan(b sin w / (1 - b cos w)) / w days
    w = 2 * math.pi / 365
    for beta in (0.9, 0.98):
        lag = math.atan(beta * math.sin(w) / (1 - beta * math.cos(w))) / w
        assert one("ewa_lag", beta=beta) == pytest.approx(lag, abs=2.5)
    # uncorrected, v_t = sum (1-b) b^(t-i) theta_i: its first week falls short of the data
    theta = ls.datasets.temperature()
    v = ls.ewa(theta, 0.98)
    assert one("ewa_start_shortfall", beta=0.98) == pytest.approx(
        1 - v[:7].mean() / theta[:7].mean()
    )
    assert theta[:7].mean() > 30  # the course's °F: the year starts far from 0
    corrected = one("ewa_start_shortfall", beta=0.98, bias_correction=True)
    assert abs(corrected) < 0.1
    assert one("ewa_roughness", beta=0.5) > 3 * one("ewa_roughness", beta=0.9)


def test_lr_fraction_reads_the_schedule():
    ev = Evidence(schedules={"inv": ls.schedules.inverse_time(decay=1.0)})
    c = Claim("x", "lr_fraction", of=("inv",), params={"epoch": 3}, at_most=0.25)
    v = check(c, ev)
    assert v.values["inv"] == pytest.approx(0.25) and v.holds


def test_comparisons_factor_and_all_different():
    path = lambda y: [[0.0, 1.0], [0.0, y]]  # noqa: E731
    res = hand_result([[path(0.1)], [path(0.5)]], BOWL)
    ev = Evidence(result=res)
    fl = lambda **kw: check(Claim("s", "final_loss", **kw), ev)  # noqa: E731
    assert fl(of=("o0",), less_than="o1").holds
    assert fl(of=("o0",), less_than="o1", factor=20).holds  # 0.05 * 20 < 1.25
    assert not fl(of=("o0",), less_than="o1", factor=30).holds
    assert fl(of=("o1",), more_than="o0", factor=20).holds
    assert not fl(of=("o1",), less_than="o0").holds
    assert fl(of=("o0", "o1"), all_different=True).holds
    v = fl(of=("o0",), at_most=0.1, at_least=0.01)
    assert v.holds and "in [0.01, 0.1]" in v.text and v.text.endswith("[holds]")
    bad = fl(of=("o0",), at_most=0.01)
    assert not bad.holds and bad.text.endswith("[FAILS]") and "0.05 ≤ 0.01" in bad.text


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"measure": "nope"}, "measure must be one of"),
        ({"params": {"level": 1.0}, "measure": "final_loss"}, "level is not a parameter"),
        ({"measure": "first_below"}, "level is required"),
        ({"of": ()}, "of is required"),
        ({"at_least": None}, "needs a threshold"),
        ({"less_than": "a", "more_than": "b"}, "only one of"),
        ({"all_different": True}, "at least two"),
        ({"stat": "mode"}, "stat must be one of"),
        ({"factor": -1.0}, "factor must be > 0"),
        ({"says": " "}, "says must be a non-empty"),
        ({"measure": "ewa_lag", "params": {"beta": 0.9}}, "gives one number"),
        ({"measure": "reversals", "params": {"axis": "stepe"}}, 'axis must be "steep"'),
        ({"measure": "reversals", "params": {"axis": -1}}, "axis must be >= 0"),
        ({"measure": "first_below", "params": {"level": "low"}}, "level must be a real"),
        ({"measure": "rises", "params": {"loss": "J"}}, 'loss must be "loss"'),
        ({"measure": "late_distance", "params": {"last": 0}}, "last must be >= 1"),
    ],
)
def test_bad_claims_name_the_field(kw, match):
    base = {"says": "s", "measure": "final_loss", "of": ("a",), "at_least": 0.0}
    with pytest.raises(ValueError, match=match):
        Claim(**{**base, **kw})


def test_claim_tables_are_read_and_checked():
    c = claim_from_table({"says": "s", "measure": "first_below", "level": 1e-3, "of": "gd",
                          "less_than": "momentum", "factor": 2})  # fmt: skip
    assert c.of == ("gd",) and c.params == {"level": 1e-3} and c.factor == 2
    with pytest.raises(ValueError, match="radius is not a known key"):
        claim_from_table({"says": "s", "measure": "final_loss", "of": "gd", "radius": 1})
    with pytest.raises(ValueError, match="says is required"):
        claim_from_table({"measure": "final_loss"})


@pytest.mark.parametrize(
    "claim, match",
    [
        ('measure = "final_loss"\nof = "adam"\nat_most = 1', "names 'adam', which is not one of"),
        (
            'measure = "event_step"\nevent = "x"\nof = "gd"\nat_most = 1',
            r"claims\[0\]\.event must be",
        ),
        ('measure = "ewa_lag"\nbeta = 0.9\nat_most = 1', "does not apply to a race recipe"),
        ('measure = "final_loss"\nof = "gd"', r"claims\[0\]: a claim needs a threshold"),
        ('measure = "nope"\nof = "gd"\nat_most = 1', r"claims\[0\]\.measure must be one of"),
        (
            'measure = "reversals"\naxis = 7\nof = "gd"\nat_most = 1',
            r"claims\[0\]\.axis must be a coordinate index in \[0, 2\), got 7",
        ),
        (
            'measure = "reversals"\naxis = "stepe"\nof = "gd"\nat_most = 1',
            r'claims\[0\]\.axis must be "steep", "shallow"',
        ),
    ],
)
def test_recipe_claims_are_validated_at_load(tmp_path, bowl_recipe, claim, match):
    p = tmp_path / "r.toml"
    p.write_text(bowl_recipe + f'[[claims]]\nsays = "s"\n{claim}\n', encoding="utf-8")
    with pytest.raises(recipes.RecipeError, match=match):
        recipes.load(p)


def test_recipe_make_measures_its_claims_on_the_run_it_draws(tmp_path, bowl_recipe):
    p = tmp_path / "r.toml"
    p.write_text(bowl_recipe + '[[claims]]\nsays = "GD converges"\nmeasure = "final_loss"\n'
                 'of = "gd"\nat_most = 1e-6\n', encoding="utf-8")  # fmt: skip
    made = recipes.load(p).make(tmp_path / "r.png", scale=0.3)
    assert made.path.exists() and made.holds
    assert made.verdicts[0].text.startswith("GD converges: final loss: gd ")


# --------------------------------------------------------------------------
# the gallery and the compare scenarios: every lesson is a claim that holds
# --------------------------------------------------------------------------
GALLERY = recipes.gallery_paths()


@pytest.mark.parametrize("path", GALLERY, ids=[p.stem for p in GALLERY])
def test_every_gallery_lesson_is_a_measured_claim_that_holds(path):
    """Each recipe's simulation at its real settings (no rendering) backs its lesson."""
    recipe = recipes.load(path)
    assert recipe.claims, f"{recipe.name}: its lesson needs [[claims]]"
    verdicts = recipe.check()
    failed = [v.text for v in verdicts if not v.holds]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("name", list(compare.SCENARIOS))
def test_every_compare_heading_is_a_measured_claim_that_holds(name):
    lines = []
    ((res, verdicts),) = compare.run([name], out=lines.append).values()
    assert compare.SCENARIOS[name].claims and verdicts
    assert all(v.holds for v in verdicts), "\n".join(v.text for v in verdicts)
    text = "\n".join(lines)
    assert "[holds]" in text.splitlines()[1]  # the heading itself says it was checked
    for label in compare.SCENARIOS[name].build(2, 0)[1].values():
        assert label.label in text  # the hyperparameters are shown


def test_measures_are_documented():
    doc = ls.claims.__doc__
    for name in MEASURES:
        assert f"``{name}(" in doc, name
