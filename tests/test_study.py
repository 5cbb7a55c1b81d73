"""Studies on Dask into Zarr (issue #17): checked before work, identical however they run."""

import os
import signal
import subprocess
import sys
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


def test_thinned_frames_are_those_of_one_simulate_whatever_the_chunks(tmp_path):
    """keep "frames": every 10th step of the first 250 trajectories, over chunks of 170."""
    import landscape as ls

    s = spec(chunk=170)
    s["keep"] = {"what": ["final_loss", "diverged", "frames"], "every": 10, "recorded": 250}
    ds = S.run(S.load(s), tmp_path / "f.zarr", workers=0).load()
    assert ds.positions.dims == ("noise", "optimizer", "lr", "recorded", "frame", "coord")
    assert ds.positions.shape == (2, 2, 2, 250, 16, 2) and ds.loss.shape == (2, 2, 2, 250, 16)
    assert list(ds.step.values) == list(range(0, 151, 10)) and "event_step" not in ds
    surf = ls.surfaces.strict_saddle(dim=2)
    x0 = ls.starts.indexed("ball", 600, seed=3, center=[0.0, 0.0], radius=0.001)
    opts = [ls.optim.make(k, lr=lr) for k in ("gd", "adam") for lr in (0.01, 0.05)]
    res = ls.simulate(surf, opts, x0, 150, record_every=10, record=250, seed=3,
                      noise=ls.optim.noise.gaussian(0.01))  # fmt: skip
    got = ds.sel(noise=0.01)
    np.testing.assert_array_equal(got.positions.values.reshape(4, 250, 16, 2), res.positions)
    np.testing.assert_array_equal(got.loss.values.reshape(4, 250, 16), res.loss)
    np.testing.assert_array_equal(got.final_loss.values.reshape(4, 600), res.final_loss)


@pytest.mark.parametrize(
    "change, words",
    [
        (lambda s: s["axes"].update(momentum=[0.9]), "axes.momentum is not a study axis"),
        (lambda s: s["axes"].update(lr=[]), "axes.lr must be a non-empty array"),
        (lambda s: s["axes"].update(optimizer=["gd", "adamm"]), "kind must be one of"),
        (lambda s: s["axes"].update(k=[1, 5]), "surface with"),
        (lambda s: s["run"].update(chunk=10**9, trajectories=10**9), "run.chunk"),
        (lambda s: s["run"].update(chunk=1000, trajectories=10**13), "run.trajectories: a cell"),
        (lambda s: s["starts"].update(kind="grid"), "starts.kind must be one of"),
        (lambda s: s.update(extra={}), "extra is not a study table"),
        (lambda s: s.update(keep={"what": ["frames"], "evry": 5}), "keep.evry is not a keep key"),
        (lambda s: s.update(keep={"every": 5}), 'keep.every needs "frames"'),
        (
            lambda s: s.update(keep={"what": ["frames"], "recorded": 601}),
            "keep.recorded must be <=",
        ),
        (lambda s: s.update(keep={"what": ["frames"], "every": 0}), "keep.every must be >= 1"),
        (lambda s: s.update(keep={"what": "frames"}), "keep.what must be a non-empty array"),
        (lambda s: s.update(keep={"what": ["diverged", "diverged"]}), "keep.what repeats"),
        (lambda s: (s.pop("events"), s.update(keep={"what": ["events"]})), "no \\[events.NAME\\]"),
        # a value that would be silently ignored or overridden
        (lambda s: s["axes"].update(noise=[-0.5, 0.0]), "axes.noise: noise must be >= 0"),
        (
            lambda s: s["axes"].update(optimizer=["adam"], beta=[0.0, 0.9]),
            "axes.beta is not a hyperparameter of adam",
        ),  # fmt: skip
        (lambda s: s.update(optimizer={"betta": 0.5}), "optimizer.betta is not a hyperparameter"),
        (lambda s: s.update(optimizer={"lr": 7.0}), r"lr is set in \[optimizer\] and in \[axes\]"),
        (lambda s: s["axes"].update(dim=[2, 3]), r"dim is set in \[surface\]"),
        (
            lambda s: (
                s["surface"].pop("dim"),
                s["axes"].update(dim=[2, 3]),
                s.update(keep={"what": ["final"]}),
            ),
            r"final or frames needs one dimension; the surfaces of this study have \[2, 3\]",
        ),  # fmt: skip
        (lambda s: s["axes"].update(seed=[1, 2]), r"seed is set in \[starts\]"),
        # mistakes a task would only meet when it runs, named by their key
        (lambda s: s["events"]["escaped"].update(rad=0.5), "events.escaped.rad is not a key"),
        (lambda s: s["events"]["escaped"].update(radius=-0.5), "events.escaped: radius"),
        (lambda s: s["starts"].update(raduis=0.1), "starts.raduis is not a key of ball starts"),
        (lambda s: s["starts"].update(seed="zero"), "starts.seed: seed must be an integer"),
        (
            lambda s: s["starts"].update(center=[0.0, 0.0, 0.0]),
            "starts.center must be a number or 2",
        ),
        (lambda s: s["axes"].update(noise=["a"]), "axes.noise"),
        (
            lambda s: (s["starts"].pop("seed"), s["axes"].update(seed=[-1, 2])),
            "axes.seed: seed must",
        ),
        (lambda s: s["run"].update(diverge_at="big"), "run.diverge_at"),
        (lambda s: s["starts"].update(center="origin"), "starts.center must be a number or 2"),
        (lambda s: s["events"]["escaped"].update(center=[0, "a"]), "events.escaped.center must"),
        (lambda s: s["axes"].update(batch_size=[4]), "axes.batch_size"),
        (lambda s: s["events"].update(escaped=3), "events.escaped must be a table"),
        (lambda s: s["events"].update(low={"kind": "loss_below"}), "events.low.level is required"),
        (lambda s: s.update(optimizer={"kind": "gd"}), "optimizer.kind and axes.optimizer both"),
        (lambda s: s["surface"].update(dimm=3), "surface.dimm is not a parameter of strict_saddle"),
        (
            lambda s: s.update(starts={"kind": "normal", "mean": 0.0, "std": -1.0}),
            "starts: std must be finite and >= 0",
        ),  # fmt: skip
        (
            lambda s: s.update(starts={"kind": "uniform", "low": 1.0, "high": 0.0}),
            "starts: high must be >= low",
        ),  # fmt: skip
    ],
)
def test_bad_studies_are_refused_before_any_work(change, words):
    s = spec()
    change(s)
    with pytest.raises(S.StudyError, match=words):
        S.load(s)


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path):
    t = time.monotonic()
    with pytest.raises(S.StudyError, match="scheduler tcp://127.0.0.1:9: cannot reach"):
        S.run(S.load(spec()), tmp_path / "u.zarr", scheduler="tcp://127.0.0.1:9")
    assert time.monotonic() - t < 30
    assert not (tmp_path / "u.zarr").exists()  # checked before the store is made
    for bad, why in [("foo://bar", "must start with one of tcp, tls, ws, wss://"),
                     ("tcp://", "missing port"), ("127.0.0.1:8786", "Invalid url scheme"),
                     ("tls://127.0.0.1:9", "refused")]:  # fmt: skip
        with pytest.raises(S.StudyError, match=f"scheduler {bad}: cannot reach it .*{why}"):
            S.run(S.load(spec()), tmp_path / "u.zarr", scheduler=bad)


def test_a_failed_scheduler_leaves_this_process_s_dask_as_it_was(tmp_path):
    """A Client that fails to start must not stay the default scheduler: the CI run of
    stop 14 hung on the next in-process study's .load(), waiting on "foo://bar"."""
    import dask
    from dask.distributed import default_client

    before = dask.config.get("scheduler", None)
    for bad in ("foo://bar", "tcp://", "tls://127.0.0.1:9", "tcp://127.0.0.1:9", "inproc://x"):
        with pytest.raises(S.StudyError, match="cannot reach"):
            S.run(S.load(spec()), tmp_path / "u.zarr", scheduler=bad)
        assert dask.config.get("scheduler", None) == before
        with pytest.raises(ValueError, match="No clients found"):
            default_client()
    ds = S.run(S.load(spec(trajectories=20, chunk=20)), tmp_path / "h.zarr", workers=0)
    assert int(ds.done.load().sum()) == ds.done.size


def test_a_port_that_is_not_a_dask_scheduler_is_one_clear_error(monkeypatch, tmp_path):
    """A worker's port, the dashboard's, a silent or a foreign service: one line within the
    time to reach a scheduler, never a hang; the scheduler's own port runs the study."""
    import importlib
    import socket
    import threading

    import dask
    from dask.distributed import LocalCluster, default_client

    run_module = importlib.import_module("landscape.study.run")
    monkeypatch.setattr(run_module, "_REACH_S", 2)
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    foreign = socket.create_server(("127.0.0.1", 0))  # answers in another protocol

    def answer():
        while True:
            try:
                conn, _ = foreign.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n" * 4)

    threading.Thread(target=answer, daemon=True).start()
    st = S.load(spec(trajectories=40, chunk=40))
    with silent, foreign, LocalCluster(n_workers=1, processes=False, protocol="tcp",
                                       dashboard_address="127.0.0.1:0") as cluster:  # fmt: skip
        worker = next(iter(cluster.scheduler_info["workers"]))
        board = "tcp://" + cluster.dashboard_link.split("//")[1].split("/")[0]
        cases = [
            (worker, "a Dask Worker, not a scheduler"),
            (board, "no Dask answer in 2 s"),
            (f"tcp://127.0.0.1:{silent.getsockname()[1]}", "no Dask answer in 2 s"),
            (f"tcp://127.0.0.1:{foreign.getsockname()[1]}", "not (as )?a Dask scheduler"),
        ]
        for address, why in cases:
            t = time.monotonic()
            with pytest.raises(S.StudyError, match=f"scheduler {address}: cannot reach it .*{why}"):
                S.run(st, tmp_path / "u.zarr", scheduler=address)
            assert time.monotonic() - t < 10
            assert dask.config.get("scheduler", None) is None
        assert not (tmp_path / "u.zarr").exists()
        got = S.run(st, tmp_path / "s.zarr", scheduler=cluster.scheduler_address).load()
    with pytest.raises(ValueError, match="No clients found"):
        default_client()
    _same(got, S.run(st, tmp_path / "h.zarr", workers=0).load())


@pytest.mark.parametrize(
    "kw, words",
    [
        ({"workers": -1}, "workers must be >= 0"),
        ({"workers": "2"}, "workers must be an integer"),
        ({"workers": True}, "workers must be an integer"),
        ({"workers": 2, "scheduler": "tcp://127.0.0.1:9"}, "without client or scheduler"),
    ],
)
def test_bad_run_arguments_are_refused_before_any_work(kw, words, tmp_path):
    with pytest.raises(S.StudyError, match=words):
        S.run(S.load(spec()), tmp_path / "w.zarr", **kw)
    assert not (tmp_path / "w.zarr").exists()


def test_an_output_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(S.StudyError, match="is a file, not a study store"):
        S.run(S.load(spec()), tmp_path / "afile", workers=0)
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "notes.txt").write_text("x")
    with pytest.raises(S.StudyError, match="exists and is not a study store"):
        S.run(S.load(spec()), tmp_path / "folder", workers=0)


@pytest.mark.parametrize("what", [["frames"], ["final"], ["events"]])
def test_any_single_kept_variable_is_stored(what, tmp_path):
    s = spec(trajectories=60, chunk=25)
    s["keep"] = (
        {"what": what, "every": 50, "recorded": 30} if what == ["frames"] else {"what": what}
    )
    ds = S.run(S.load(s), tmp_path / "k.zarr", workers=0).load()
    names = {"frames": ["positions", "loss"], "final": ["final"], "events": ["event_step"]}
    assert sorted(v for v in ds.data_vars if v != "done") == sorted(names[what[0]])
    assert int(ds.done.sum()) == 2 * 3
    assert not any(np.isnan(ds[v].values).any() for v in ds.data_vars if ds[v].dtype.kind == "f")


def test_a_store_of_another_study_is_not_overwritten(sequential, tmp_path):
    S.run(S.load(spec(trajectories=50, chunk=50)), tmp_path / "o.zarr", workers=0)
    with pytest.raises(S.StudyError, match="holds another study"):
        S.run(S.load(spec()), tmp_path / "o.zarr", workers=0)
    # the same axes in another order are another layout of the store
    swapped = spec(trajectories=50, chunk=50)
    swapped["axes"] = dict(reversed(swapped["axes"].items()))
    with pytest.raises(S.StudyError, match="holds another study"):
        S.run(S.load(swapped), tmp_path / "o.zarr", workers=0)


def _spec_text(axes, run, events=False) -> str:
    """A study file: adam and gd at lr 0.01 escaping the 2-D strict saddle, over ``axes``."""
    from landscape.explorer.state import to_toml

    d = {"surface": {"name": "strict_saddle", "dim": 2}, "axes": axes, "optimizer": {"lr": 0.01},
         "starts": {"kind": "ball", "center": 0.0, "radius": 0.001}, "run": run}  # fmt: skip
    if events:
        d["events"] = {"escaped": {"kind": "leave_ball", "center": 0.0, "radius": 0.5}}
    return to_toml(d)


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "landscape.cli", "sweep", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_the_command_runs_a_spec_file_and_refuses_a_bad_one_in_one_line(tmp_path):
    text = _spec_text(axes={"optimizer": ["gd", "adam"]}, run={"steps": 50, "trajectories": 64})
    (tmp_path / "s.toml").write_text(text)
    r = _cli("s.toml", "-o", "s.zarr", "--workers", "0", "-q", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "sizes optimizer=2, trajectory=64" in r.stdout
    assert S.open_result(tmp_path / "s.zarr").final_loss.shape == (2, 64)
    (tmp_path / "b.toml").write_text(text.replace('optimizer = ["gd", "adam"]', "lrr = [1]"))
    r = _cli("b.toml", "-o", "b.zarr", cwd=tmp_path)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "axes.lrr is not a study axis" in lines[0]
    assert not (tmp_path / "b.zarr").exists()
    for args, words in [
        (["s.txt", "-o", "t.zarr"], "s.txt: no such study file"),
        (
            ["s.toml", "-o", "t.zarr", "--workers", "0", "--scheduler", "tcp://127.0.0.1:9"],
            "give --workers or --scheduler, not both",
        ),  # fmt: skip
    ]:
        r = _cli(*args, cwd=tmp_path)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1 and words in lines[0], r.stderr


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
    with pytest.raises(ValueError, match="it has none: select fewer axes"):
        ls.stats.survival(sequential.sel(noise=0.0, lr=0.05, optimizer="gd"), "escaped")
    # the axis's values as numbers too; a wrong one is named by the axis
    one = sequential.sel(noise=0.0, optimizer="adam")
    assert ls.stats.logrank(one, "escaped", 0.01, 0.05).pvalue == test.pvalue
    with pytest.raises(ValueError, match=r"lr must be one of \['0.01', '0.05'\], got '0.02'"):
        ls.stats.logrank(one, "escaped", 0.01, 0.02)
    # the fractions and the summary table (its first column named by the axis)
    ev = one.event_step.sel(event="escaped").transpose("lr", "trajectory").values
    np.testing.assert_array_equal(ls.stats.escaped_fraction(one, "escaped", 60),
                                  ((ev >= 0) & (ev <= 60)).mean(axis=1))  # fmt: skip
    np.testing.assert_array_equal(ls.stats.diverged_fraction(one), [0.0, 0.0])
    table = str(ls.stats.summary(one, "escaped")).splitlines()
    assert table[1].split()[0] == "lr" and table[3].split()[0] == "0.01"


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
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(root / "scripts" / "bench_study.py"), "--quick"],
                       capture_output=True, text=True, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "ratio study / loop" in r.stdout


@pytest.fixture(scope="module")
def long_study(tmp_path_factory):
    """A study of 64 tasks (8 launch cells x 16 chunks) long enough to be interrupted; its data."""
    text = _spec_text(axes={"optimizer": ["gd", "adam"], "noise": [0.0, 0.01, 0.02, 0.03]},
                      run={"steps": 3000, "trajectories": 4000, "chunk": 250}, events=True)  # fmt: skip
    whole = S.run(S.load(text), tmp_path_factory.mktemp("long") / "w.zarr", workers=0).load()
    return text, whole


def _wait_for_tasks(proc, path, n: int, within: float = 120) -> None:
    """Until ``n`` tasks of the study ``proc`` runs are stored in ``path``; it must still run."""
    end = time.monotonic() + within
    while S.stored_tasks(path)[0] < n and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.3)
    assert proc.poll() is None, proc.stderr.read()


def _resume_and_compare(tmp_path, whole) -> None:
    """The command again, in this process's way (no cluster): it completes the same data."""
    again = subprocess.run([sys.executable, "-m", "landscape.cli", "sweep", "s.toml", "-o", "s.zarr",
                            "--workers", "0", "-q"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=600)  # fmt: skip
    assert again.returncode == 0, again.stderr
    resumed = S.open_result(tmp_path / "s.zarr").load()
    assert int(resumed.done.sum()) == 4 * 16
    _same(resumed, whole)


def test_ctrl_c_stops_landscape_sweep_and_the_next_run_completes_it(long_study, tmp_path):
    """A real SIGINT to the command on a local cluster; the rerun resumes to the same data."""
    text, whole = long_study
    (tmp_path / "s.toml").write_text(text)
    args = [sys.executable, "-m", "landscape.cli", "sweep", "s.toml", "-o", "s.zarr",
            "--workers", "2", "-q"]  # fmt: skip
    with subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, preexec_fn=default_sigint) as p:  # fmt: skip
        _wait_for_tasks(p, tmp_path / "s.zarr", 3)
        assert ctrl_c(p, within=60) < 60 and p.returncode == 130, p.stderr.read()
        err = p.stderr.read()
    stored = S.stored_tasks(tmp_path / "s.zarr")[0]
    assert 3 <= stored < 4 * 16
    # one line (the workers stop quietly), saying what is kept and what to do
    assert err.strip().splitlines() == [
        f"landscape sweep: interrupted; {stored} of 64 tasks are stored in s.zarr: "
        "run the same command again to resume"
    ], err
    _resume_and_compare(tmp_path, whole)


def test_a_killed_scheduler_ends_landscape_sweep_in_one_line_and_the_next_run_completes_it(
    long_study, tmp_path
):
    """A scheduler and a worker of our own (``dask scheduler``, ``dask worker``); the scheduler
    is killed by pid mid-study: the command says so in one line, and the rerun resumes."""
    import socket

    text, whole = long_study
    (tmp_path / "s.toml").write_text(text)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                  "127.0.0.1", "--port", str(port), "--no-dashboard"], **quiet)  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                               "--nworkers", "1", "--nthreads", "1", "--no-dashboard"], **quiet)  # fmt: skip
    try:
        with subprocess.Popen([sys.executable, "-m", "landscape.cli", "sweep", "s.toml", "-o",
                               "s.zarr", "--scheduler", address, "-q"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:  # fmt: skip
            _wait_for_tasks(p, tmp_path / "s.zarr", 3)
            os.kill(scheduler.pid, signal.SIGKILL)
            _, err = p.communicate(timeout=120)
        lines = err.strip().splitlines()
        assert p.returncode == 2 and len(lines) == 1, err
        assert f"lost the Dask scheduler {address} after" in lines[0], err
        assert "run the same study again to resume" in lines[0]
    finally:
        for proc in (scheduler, worker):
            proc.kill()
            proc.wait(timeout=60)
    assert 3 <= S.stored_tasks(tmp_path / "s.zarr")[0] < 4 * 16
    _resume_and_compare(tmp_path, whole)


def _readme_study_section() -> str:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index("## Studies on a cluster")
    return text[start : text.index("\n## ", start + 1)]


def test_the_readme_shows_the_study_file_and_its_python_form():
    import ast
    from pathlib import Path

    from landscape.starts import INDEXED

    section = _readme_study_section()
    path = Path(__file__).resolve().parents[1] / "scripts" / "saddle_study.toml"
    block = section.split("```toml\n")[1].split("```")[0]
    assert block == path.read_text(encoding="utf-8")
    code = section.split("```python\n")[1].split("```")[0]
    tree = ast.parse(code)
    spec_dict = next(ast.literal_eval(n.value) for n in tree.body
                     if isinstance(n, ast.Assign) and n.targets[0].id == "spec")  # fmt: skip
    assert S.load(spec_dict).to_json() == S.load(str(path)).to_json()
    # the table of keys names every start kind with its parameters, and every keep variable
    row = next(r for r in section.splitlines() if r.startswith("| `[starts]`"))
    for kind, params in INDEXED.items():
        assert f"`{kind}`" in row and all(f"`{p}`" in row for p in params), kind
    row = next(r for r in section.splitlines() if r.startswith("| `[keep]`"))
    assert all(f"`{k}`" in row for k in ("final_loss", "diverged", "events", "final", "frames"))


def test_the_survival_script_draws_its_claim_from_the_store(load_script, tmp_path):
    mod = load_script("study_survival")
    assert mod.main(["-o", str(tmp_path), "--quick"]) == 0
    assert (tmp_path / "survival.png").read_bytes()[:4] == b"\x89PNG"
    ds = S.open_result(tmp_path / "saddle.zarr").load()
    rows = mod.measure(ds)
    assert mod.claim_holds(rows) and "holds." in (tmp_path / "README.md").read_text()
    med = {(r["dim"], r["lr"], r["beta"]): r["median"] for r in rows}
    assert med[(20, 0.05, 0.0)] == 169 and med[(20, 0.05, 0.9)] == 47  # as the README says
    # a claim that does not hold is not drawn: the title falls back, the status is 1
    flipped = [{**r, "median": -r["median"]} for r in rows]
    assert not mod.claim_holds(flipped)


def test_a_store_that_would_not_fit_on_the_disk_is_refused(tmp_path, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**6, 10**6 - 1000, 1000))
    with pytest.raises(S.StudyError, match="needs up to .* more than the .* free there"):
        S.run(S.load(spec()), tmp_path / "d.zarr", workers=0)
    assert not (tmp_path / "d.zarr").exists()


def test_a_float32_study_is_stored_in_float32(tmp_path):
    s = spec(trajectories=40, chunk=40, dtype="float32")
    s["keep"] = {"what": ["final_loss", "diverged", "final", "frames"], "every": 50}
    ds = S.run(S.load(s), tmp_path / "f.zarr", workers=0).load()
    assert {ds[v].dtype.name for v in ("final_loss", "final", "positions", "loss")} == {"float32"}
    assert not np.isnan(ds.final_loss.values).any()
