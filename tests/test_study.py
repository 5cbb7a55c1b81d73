"""Studies on Dask into Zarr (issue #17): checked before work, identical however they run."""

import os
import signal
import time

import numpy as np
import pytest

pytest.importorskip("dask.distributed")
pytest.importorskip("xarray")

from _helpers import ctrl_c, default_sigint  # noqa: E402
from _study_helpers import spec  # noqa: E402

from landscape import study as S  # noqa: E402

VARS = ("final_loss", "diverged", "event_step")


def _same(a, b):
    for v in VARS:
        np.testing.assert_array_equal(a[v].values, b[v].values, err_msg=v)


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """The study in this process, one task per launch cell (chunk = all trajectories)."""
    out = tmp_path_factory.mktemp("seq") / "s.zarr"
    return S.run(S.load(spec()), out, workers=0).load()


def test_the_dataset_is_labelled_by_the_axes(sequential):
    ds = sequential
    assert dict(ds.sizes) == {"noise": 2, "optimizer": 2, "lr": 2, "trajectory": 600, "event": 1,
                              "chunk": 1}  # fmt: skip
    assert list(ds.optimizer.values) == ["gd", "adam"] and list(ds.lr.values) == [0.01, 0.05]
    assert int(ds.done.sum()) == 2
    # the grid's cells are the simulations they name (common starts and noise across optimizers)
    esc = (ds.event_step.sel(event="escaped") >= 0).mean("trajectory")
    assert float(esc.sel(noise=0.0, optimizer="adam", lr=0.05)) == 1.0
    assert (ds.diverged.values == -1).all()


def test_a_local_cluster_with_other_chunks_gives_identical_data(sequential, tmp_path):
    ds = S.run(S.load(spec(chunk=170)), tmp_path / "c.zarr", workers=2).load()
    _same(ds, sequential)
    assert int(ds.done.sum()) == 2 * 4  # 2 launch cells x 4 chunks


def test_an_interrupted_study_resumes_without_recomputing(sequential, tmp_path):
    st = S.load(spec(chunk=200))
    written = []

    def stop_after_two(cell, chunk):
        written.append((cell, chunk))
        if len(written) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        S.run(st, tmp_path / "r.zarr", workers=0, callback=stop_after_two)
    again = []
    ds = S.run(
        st, tmp_path / "r.zarr", workers=0, callback=lambda c, k: again.append((c, k))
    ).load()
    assert len(again) == 2 * 3 - 2 and not set(again) & set(written)
    _same(ds, sequential)


def test_a_killed_worker_is_retried_and_the_data_is_identical(sequential, tmp_path):
    from dask.distributed import Client, LocalCluster

    st = S.load(spec(chunk=100))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one(cell, chunk):
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        ds = S.run(st, tmp_path / "k.zarr", client=client, callback=kill_one).load()
    assert killed
    _same(ds, sequential)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda s: s["axes"].update(momentum=[0.9]), "axes.momentum is not a study axis"),
        (lambda s: s["axes"].update(lr=[]), "axes.lr must be a non-empty array"),
        (lambda s: s["axes"].update(optimizer=["gd", "adamm"]), "kind must be one of"),
        (lambda s: s["axes"].update(k=[1, 5]), "surface with"),
        (lambda s: s["run"].update(chunk=10**13, trajectories=10**13), "run.chunk"),
        (lambda s: s["starts"].update(kind="grid"), "starts.kind must be one of"),
        (lambda s: s.update(extra={}), "extra is not a study table"),
    ],
)
def test_bad_studies_are_refused_before_any_work(change, words):
    s = spec()
    change(s)
    with pytest.raises(S.StudyError, match=words):
        S.load(s)


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path):
    t = time.monotonic()
    with pytest.raises(S.StudyError, match="cannot reach"):
        S.run(S.load(spec()), tmp_path / "u.zarr", scheduler="tcp://127.0.0.1:9")
    assert time.monotonic() - t < 30


def test_a_store_of_another_study_is_not_overwritten(sequential, tmp_path):
    S.run(S.load(spec(trajectories=50, chunk=50)), tmp_path / "o.zarr", workers=0)
    with pytest.raises(S.StudyError, match="holds another study"):
        S.run(S.load(spec()), tmp_path / "o.zarr", workers=0)


def _spec_text(axes, run, events=False) -> str:
    """A study file: adam and gd at lr 0.01 escaping the 2-D strict saddle, over ``axes``."""
    from landscape.explorer.state import to_toml

    d = {"surface": {"name": "strict_saddle", "dim": 2}, "axes": axes, "optimizer": {"lr": 0.01},
         "starts": {"kind": "ball", "center": 0.0, "radius": 0.001}, "run": run}  # fmt: skip
    if events:
        d["events"] = {"escaped": {"kind": "leave_ball", "center": 0.0, "radius": 0.5}}
    return to_toml(d)


def _cli(*args, cwd):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "landscape.cli", "sweep", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_the_command_runs_a_spec_file_and_refuses_a_bad_one_in_one_line(tmp_path):
    text = _spec_text(axes={"optimizer": ["gd", "adam"]}, run={"steps": 50, "trajectories": 64})
    (tmp_path / "s.toml").write_text(text)
    r = _cli("s.toml", "-o", "s.zarr", "--workers", "0", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "optimizer 2, trajectory 64" in r.stdout
    assert S.open_result(tmp_path / "s.zarr").final_loss.shape == (2, 64)
    (tmp_path / "b.toml").write_text(text.replace('optimizer = ["gd", "adam"]', "lrr = [1]"))
    r = _cli("b.toml", "-o", "b.zarr", cwd=tmp_path)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "axes.lrr is not a study axis" in lines[0]
    assert not (tmp_path / "b.zarr").exists()


def test_stats_work_on_the_stored_dataset_along_any_axis(sequential):
    import landscape as ls

    cell = sequential.sel(noise=0.0, lr=0.05)
    curves = ls.stats.survival(cell, "escaped")
    assert list(curves) == ["gd", "adam"]
    med = ls.stats.quantiles(sequential.sel(noise=0.0, optimizer="adam"), "escaped", ps=(0.5,))
    assert list(med) == ["0.01", "0.05"] and med["0.05"][0.5].value < med["0.01"][0.5].value
    test = ls.stats.logrank(sequential.sel(noise=0.0, optimizer="adam"), "escaped", "0.01", "0.05")
    assert test.pvalue < 1e-6
    with pytest.raises(ValueError, match="one axis left"):
        ls.stats.survival(sequential.sel(noise=0.0), "escaped")


def test_stats_of_a_result_and_of_its_dataset_agree():
    import landscape as ls

    surf = ls.surfaces.strict_saddle(dim=2)
    x0 = ls.starts.ball(200, [0.0, 0.0], 1e-3, seed=0)
    res = ls.simulate(surf, {"gd": ls.optim.gd(0.05), "adam": ls.optim.adam(0.01)}, x0, 150,
                      record_every=0, events={"escaped": ls.events.leave_ball([0.0, 0.0], 0.5)})  # fmt: skip
    a, b = ls.stats.times(res, "escaped"), ls.stats.times(res.to_xarray(), "escaped")
    assert list(a) == list(b)
    for k in a:
        np.testing.assert_array_equal(a[k].time, b[k].time)
        np.testing.assert_array_equal(a[k].observed, b[k].observed)


def test_the_overhead_benchmark_runs():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(root / "scripts" / "bench_study.py"), "--quick"],
                       capture_output=True, text=True, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "ratio study / loop" in r.stdout


def test_ctrl_c_stops_landscape_sweep_and_the_next_run_completes_it(tmp_path):
    """A real SIGINT to the command on a local cluster; the rerun resumes to the same data."""
    import subprocess
    import sys

    import xarray as xr

    text = _spec_text(axes={"optimizer": ["gd", "adam"], "noise": [0.0, 0.01, 0.02, 0.03]},
                      run={"steps": 3000, "trajectories": 4000, "chunk": 250}, events=True)  # fmt: skip
    (tmp_path / "s.toml").write_text(text)
    args = [sys.executable, "-m", "landscape.cli", "sweep", "s.toml", "-o", "s.zarr",
            "--workers", "2", "-q"]  # fmt: skip
    with subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, preexec_fn=default_sigint) as p:  # fmt: skip
        end = time.monotonic() + 120
        while True:  # until some tasks are stored
            time.sleep(0.3)
            try:
                done = int(xr.open_zarr(tmp_path / "s.zarr", consolidated=False)["done"].sum())
            except (OSError, KeyError, ValueError):
                done = 0
            if done >= 3 or p.poll() is not None or time.monotonic() > end:
                break
        assert p.poll() is None, p.stderr.read()
        assert ctrl_c(p, within=60) < 60 and p.returncode == 130, p.stderr.read()
    stored = int(xr.open_zarr(tmp_path / "s.zarr", consolidated=False)["done"].sum())
    assert 3 <= stored < 4 * 16
    again = subprocess.run([*args[:-3], "--workers", "0", "-q"], cwd=tmp_path, capture_output=True,
                           text=True, timeout=600)  # fmt: skip
    assert again.returncode == 0, again.stderr
    resumed = S.open_result(tmp_path / "s.zarr").load()
    assert int(resumed.done.sum()) == 4 * 16
    whole = S.run(S.load(text), tmp_path / "w.zarr", workers=0).load()
    _same(resumed, whole)
