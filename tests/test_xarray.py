"""Result.to_xarray: the run in labelled form (the form sweeps store, issue #17)."""

import sys

import numpy as np
import pytest

import landscape as ls

xr = pytest.importorskip("xarray")


@pytest.fixture(scope="module")
def res():
    opts = {"gd": ls.optim.gd(lr=1e-3), "momentum": ls.optim.momentum(lr=1e-3, beta=0.9)}
    x0 = ls.starts.normal(5, mean=[-1.5, 2.0], std=0.2, seed=0)
    return ls.simulate(
        ls.surfaces.rosenbrock(), opts, x0, steps=20, record_every=10, record=3, seed=1,
        events={"near": ls.events.enter_ball([-1.0, 1.0], 0.6)},
    )  # fmt: skip


def test_every_array_is_there_with_its_labels(res):
    ds = res.to_xarray()
    assert list(ds.optimizer.values) == res.names and list(ds.kind.values) == ["gd", "momentum"]
    assert ds.sizes == {"optimizer": 2, "trajectory": 5, "coord": 2, "event": 1, "recorded": 3,
                        "frame": 3}  # fmt: skip
    assert list(ds.step.values) == [0, 10, 20] and list(ds.event.values) == ["near"]
    np.testing.assert_array_equal(ds.final.values, res.final)
    np.testing.assert_array_equal(ds.final_loss.values, res.final_loss)
    np.testing.assert_array_equal(ds.diverged.values, res.diverged)
    np.testing.assert_array_equal(ds.event_step.sel(event="near").values, res.events["near"])
    np.testing.assert_array_equal(ds.positions.values, res.positions)
    np.testing.assert_allclose(ds.loss.values, res.loss)
    assert ds.attrs["steps"] == 20 and '"rosenbrock"' in ds.attrs["config"]
    # labelled selection reads like the question
    assert ds.final_loss.sel(optimizer="momentum").shape == (5,)


def test_zarr_round_trip_is_identical(res, tmp_path):
    ds = res.to_xarray()
    ds.to_zarr(tmp_path / "run.zarr", consolidated=False)
    back = xr.open_zarr(tmp_path / "run.zarr", consolidated=False).load()
    assert back.identical(ds)


def test_without_xarray_the_error_names_the_extra(res, monkeypatch):
    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(ImportError, match=r"landscape\[sweep\]"):
        res.to_xarray()
