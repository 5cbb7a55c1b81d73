"""Files under abuse (issue #12): bad Result files, failed and concurrent saves, CSV, renders.

A table of named cases, each asserting the clear error or the correct
result: :func:`landscape.load` on broken files raises one ``ValueError``
naming the file and what is wrong (before allocating what a header
claims, and without rebuilding the surface); saves and CSV writes are
atomic (two writer processes and a reader: no failed save, no corrupt
read); failed writes leave nothing behind; stale render temporaries are
removed; scenario constructors name a bad argument.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import landscape as ls
from landscape import _atomic
from landscape import _validate as V
from landscape import escape as E
from landscape import results as R
from landscape.render import _writers as W
from landscape.table import Table

K, N, F, D = 2, 3, 4, 2  # optimizers, trajectories, frames, dimension


def _result(value: float = 1.0, names=("gd", "adam")) -> R.Result:
    """A small consistent Result built without simulating (every array = ``value``)."""
    k = len(names)
    return R.Result(
        names=list(names),
        positions=np.full((k, N, F, D), value),
        frame_steps=np.arange(F, dtype=np.int64),
        final=np.full((k, N, D), value),
        final_loss=np.full((k, N), value),
        events={"near": np.full((k, N), -1, dtype=np.int64)},
        diverged=np.full((k, N), -1, dtype=np.int64),
        x0=np.zeros((N, D)),
        config={"steps": 3, "surface": {"name": "elongated_bowl", "params": {"kappa": 5.0}}},
        _loss=np.full((k, N, F), value),
    )


def _arrays(res: R.Result) -> dict:
    """The members Result.save writes (without ``__meta__``)."""
    out = {
        "positions": res.positions,
        "loss": res.loss,
        "frame_steps": res.frame_steps,
        "final": res.final,
        "final_loss": res.final_loss,
        "diverged": res.diverged,
        "x0": res.x0,
    }
    out.update({f"event__{e}": t for e, t in res.events.items()})
    return out


def _meta(res: R.Result, **changes) -> np.ndarray:
    meta = {"names": res.names, "events": list(res.events), "config": res.config, **changes}
    return np.array(json.dumps(meta))


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _valid() -> bytes:
    res = _result()
    return _npz(__meta__=_meta(res), **_arrays(res))


def _without(name: str) -> bytes:
    res = _result()
    arrays = {"__meta__": _meta(res), **_arrays(res)}
    del arrays[name]
    return _npz(**arrays)


def _replaced(**changes) -> bytes:
    res = _result()
    arrays = {"__meta__": _meta(res), **_arrays(res)}
    arrays.update(changes)
    return _npz(**arrays)


def _corrupt_middle() -> bytes:
    data = bytearray(_valid())
    # the bytes of the first member's data (after its local header and .npy header)
    start = data.index(b"\x93NUMPY") + 200
    data[start : start + 64] = bytes(255 - b for b in data[start : start + 64])
    return bytes(data)


def _absurd_header() -> bytes:
    """A valid file whose ``positions`` member claims a 7 TiB array but holds 16 bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, arr in {"__meta__": _meta(_result()), **_arrays(_result())}.items():
            member = io.BytesIO()
            if name == "positions":
                header = {"descr": "<f8", "fortran_order": False, "shape": (2**40 - 1, 1, 1, 1)}
                np.lib.format.write_array_header_1_0(member, header)
                member.write(b"\0" * 16)
            else:
                np.lib.format.write_array(member, np.asarray(arr))
            zf.writestr(f"{name}.npy", member.getvalue())
    return buf.getvalue()


def _zip_of_text() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "not a result")
    return buf.getvalue()


def _npy() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.arange(10.0))
    return buf.getvalue()


def _object_array() -> bytes:
    buf = io.BytesIO()
    res = _result()
    arrays = {"__meta__": _meta(res), **_arrays(res)}
    arrays["x0"] = np.array([{"a": 1}, None], dtype=object)
    np.savez(buf, **arrays)  # pickles the object array
    return buf.getvalue()


# name -> (file bytes, regex the ValueError must match after the file name)
BAD_FILES = {
    "empty": (lambda: b"", "is empty"),
    "random_bytes": (lambda: np.random.default_rng(0).bytes(4096), "not an .npz archive"),
    "text": (lambda: b"names,positions\ngd,1\n", "not an .npz archive"),
    "truncated_half": (lambda: _valid()[: len(_valid()) // 2], "not an .npz archive"),
    "truncated_tail": (lambda: _valid()[:-10], "not an .npz archive"),
    "corrupt_data": (_corrupt_middle, "corrupt"),
    "npy_not_npz": (_npy, r"single \.npy array"),
    "zip_of_text": (_zip_of_text, r"missing array\(s\)"),
    "missing_meta": (lambda: _without("__meta__"), r"missing array\(s\) \['__meta__'\]"),
    "missing_positions": (lambda: _without("positions"), r"missing array\(s\) \['positions'\]"),
    "missing_event": (lambda: _without("event__near"), "missing the times of event 'near'"),
    "meta_not_json": (lambda: _replaced(__meta__=np.array("{names")), "not valid JSON"),
    "meta_not_object": (lambda: _replaced(__meta__=np.array("[1, 2]")), "JSON object"),
    "meta_not_string": (lambda: _replaced(__meta__=np.arange(3)), "JSON string"),
    "meta_names_not_list": (
        lambda: _replaced(__meta__=_meta(_result(), names="gd")),
        r"\['names'\] must be a list",
    ),
    "meta_names_not_str": (
        lambda: _replaced(__meta__=_meta(_result(), names=[1, 2])),
        r"\['names'\] must hold strings",
    ),
    "meta_no_names": (lambda: _replaced(__meta__=_meta(_result(), names=[])), "is empty"),
    "more_names_than_arrays": (
        lambda: _replaced(__meta__=_meta(_result(), names=["gd", "adam", "sgd"])),
        r"3 optimizer name\(s\) .* first axis",
    ),
    "fewer_names_than_arrays": (
        lambda: _replaced(__meta__=_meta(_result(), names=["gd"])),
        r"1 optimizer name\(s\) .* first axis",
    ),
    "positions_wrong_ndim": (lambda: _replaced(positions=np.zeros((K, N))), "must be 4-D"),
    "final_wrong_shape": (lambda: _replaced(final=np.zeros((K, N + 1, D))), "must have shape"),
    "frames_disagree": (
        lambda: _replaced(frame_steps=np.arange(F + 1)),
        "disagree with frame_steps",
    ),
    "text_array": (lambda: _replaced(x0=np.array([["a", "b"]] * N)), "must be numeric"),
    "object_array": (_object_array, r"Python objects \(pickled data\)"),
    "header_claims_7_TiB": (_absurd_header, r"claims shape .* \(8 TiB\)"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_load_bad_file_raises_one_clear_error(case, tmp_path):
    make, match = BAD_FILES[case]
    path = tmp_path / f"{case}.npz"
    path.write_bytes(make())
    with pytest.raises(ValueError, match=r"^cannot load '.*" + case + r"\.npz': ") as err:
        R.load(path)
    assert err.match(match), str(err.value)


def test_load_refuses_arrays_larger_than_memory(monkeypatch, tmp_path):
    path = tmp_path / "big.npz"
    path.write_bytes(_valid())
    monkeypatch.setenv(V.MEMORY_ENV, "100")
    with pytest.raises(ValueError, match=r"big\.npz'.*more than the 100 B of memory available"):
        R.load(path)


def test_load_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.npz"):
        R.load(tmp_path / "nothere.npz")
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(ValueError, match=r"dir\.npz'.*is a directory"):
        R.load(tmp_path / "dir.npz")


def test_save_load_round_trip_and_lazy_surface(monkeypatch, tmp_path):
    res = _result(2.5)
    path = res.save(tmp_path / "ok")
    assert path.name == "ok.npz"
    calls = []
    rebuild = R._rebuild_surface
    monkeypatch.setattr(R, "_rebuild_surface", lambda cfg: calls.append(cfg) or rebuild(cfg))
    back = R.load(path)
    assert calls == []  # not rebuilt while loading
    for key, arr in _arrays(res).items():
        got = back.events[key[7:]] if key.startswith("event__") else getattr(back, key)
        np.testing.assert_array_equal(got, arr, err_msg=key)
    assert back.names == res.names and back.config == res.config
    repr(back)
    assert calls == []
    assert back.surface.name == "elongated_bowl" and len(calls) == 1
    assert back.surface is back.surface and len(calls) == 1  # built once
    back.surface = None  # still a plain, settable field
    assert back.surface is None


def test_load_does_not_build_a_large_surface(tmp_path):
    res = _result()
    res.config = {"surface": {"name": "random_quadratic", "params": {"dim": 6000}}}
    t0 = time.perf_counter()
    back = R.load(res.save(tmp_path / "rq.npz"))
    assert time.perf_counter() - t0 < 2.0
    assert back.n == N and back.names == res.names


def test_result_constructed_with_surface_keeps_it():
    surf = ls.surfaces.elongated_bowl(kappa=5.0)
    assert _result().surface is None  # only load rebuilds from the config
    res = R.Result(**{**_fields(_result()), "surface": surf})
    assert res.surface is surf
    bare = R.Result(**{**_fields(_result()), "config": {}})
    assert bare.surface is None


def _fields(res):
    return {
        "names": res.names, "positions": res.positions, "frame_steps": res.frame_steps,
        "final": res.final, "final_loss": res.final_loss, "events": res.events,
        "diverged": res.diverged, "x0": res.x0, "config": res.config,
    }  # fmt: skip


# --------------------------------------------------------------------------
# failed writes leave nothing behind; stale temporaries are removed
# --------------------------------------------------------------------------
def _listing(d):
    return sorted(p.name for p in d.iterdir())


def test_save_onto_a_directory(tmp_path):
    (tmp_path / "isdir.npz").mkdir()
    with pytest.raises(ValueError, match=r"isdir\.npz'.*is a directory"):
        _result().save(tmp_path / "isdir.npz")
    assert _listing(tmp_path) == ["isdir.npz"] and _listing(tmp_path / "isdir.npz") == []


def test_to_csv_onto_a_directory(tmp_path):
    (tmp_path / "t.csv").mkdir()
    with pytest.raises(ValueError, match=r"t\.csv'.*is a directory"):
        Table([{"a": 1}], ["a"]).to_csv(tmp_path / "t.csv")
    assert _listing(tmp_path) == ["t.csv"]


@pytest.mark.parametrize(
    "exc", [KeyboardInterrupt, OSError, RuntimeError], ids=lambda e: e.__name__
)
def test_interrupted_save_leaves_the_old_file(exc, monkeypatch, tmp_path):
    path = _result(1.0).save(tmp_path / "r.npz")

    def boom(*args, **kwargs):
        raise exc("stopped")

    monkeypatch.setattr(R.np, "savez", boom)
    with pytest.raises(exc):
        _result(2.0).save(path)
    monkeypatch.undo()
    assert _listing(tmp_path) == ["r.npz"]
    assert R.load(path).positions[0, 0, 0, 0] == 1.0


def test_stale_temporaries_are_removed(tmp_path):
    stale = tmp_path / ".r.npz.abc123.part.npz"
    fresh = tmp_path / ".r.npz.def456.part.npz"
    other = tmp_path / ".q.npz.abc123.part.npz"
    for p in (stale, fresh, other):
        p.write_bytes(b"left by a killed writer")
    old = time.time() - 2 * _atomic.STALE_SECONDS
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    _result().save(tmp_path / "r.npz")
    assert _listing(tmp_path) == sorted([fresh.name, other.name, "r.npz"])


def test_stale_render_temporary_is_removed(tmp_path):
    from matplotlib.figure import Figure

    stale = tmp_path / ".a.gif.xyz.part.gif"
    stale.write_bytes(b"GIF89a killed")
    old = time.time() - 2 * _atomic.STALE_SECONDS
    os.utime(stale, (old, old))
    fig = Figure(figsize=(0.5, 0.5), dpi=40)
    ax = fig.add_subplot()
    (line,) = ax.plot([0, 1], [0, 1])
    W.save_animation(fig, lambda i: [line], 2, tmp_path / "a.gif", dpi=40)
    assert _listing(tmp_path) == ["a.gif"]


def test_frames_capped_by_default(caplog):
    with caplog.at_level(logging.INFO, logger="landscape.render"):
        idx = W.frame_indices(10**7)
    assert len(idx) == W.DEFAULT_MAX_FRAMES == 600
    assert idx[0] == 0 and idx[-1] == 10**7 - 1 and np.all(np.diff(idx) > 0)
    assert "showing 600" in caplog.text
    assert len(W.frame_indices(10**7, 10**7)) == 10**7  # asked for every frame
    assert W.frame_indices(5).tolist() == [0, 1, 2, 3, 4]


# --------------------------------------------------------------------------
# CSV: formula injection
# --------------------------------------------------------------------------
def test_csv_text_cells_are_not_formulas(tmp_path):
    rows = [
        {"name": '=HYPERLINK("x")', "v": -3.5, "k": -2},
        {"name": "+1", "v": float("-inf"), "k": np.int64(-7)},
        {"name": "-cmd|' /C calc'!A0", "v": np.float32(-0.25), "k": None},
        {"name": "@SUM(A1)", "v": 1.0, "k": 3},
        {"name": "gd(lr=0.1)", "v": float("nan"), "k": 0},
    ]
    path = Table(rows, ["name", "v", "k", "=col"]).to_csv(tmp_path / "t.csv")
    with open(path, newline="", encoding="utf-8") as fh:
        back = list(csv.reader(fh))
    assert back[0] == ["name", "v", "k", "'=col"]
    assert [r[0] for r in back[1:]] == [
        "'=HYPERLINK(\"x\")", "'+1", "'-cmd|' /C calc'!A0", "'@SUM(A1)", "gd(lr=0.1)",
    ]  # fmt: skip
    assert [r[1] for r in back[1:]] == ["-3.5", "-inf", "-0.25", "1.0", "nan"]
    assert [r[2] for r in back[1:]] == ["-2", "-7", "", "3", "0"]


# --------------------------------------------------------------------------
# scenario constructors name a bad argument
# --------------------------------------------------------------------------
BAD_ARGUMENTS = {
    "saddle_2d_delta_text": (
        E.saddle_2d,
        {"delta": "abc"},
        "delta must be a real number, got 'abc'",
    ),
    "saddle_2d_delta_nan": (E.saddle_2d, {"delta": float("nan")}, "delta must be finite"),
    "saddle_2d_delta_negative": (E.saddle_2d, {"delta": -1e-3}, "delta must be > 0"),
    "saddle_2d_delta_past_radius": (E.saddle_2d, {"delta": 2.0}, "need delta < radius"),
    "saddle_2d_a_text": (E.saddle_2d, {"a": "1"}, "a must be a real number"),
    "saddle_2d_b_none": (E.saddle_2d, {"b": None}, "b must be a real number"),
    "saddle_2d_radius_list": (E.saddle_2d, {"radius": [1.0]}, "radius must be a real number"),
    "saddle_2d_noise_text": (E.saddle_2d, {"noise": "0.1"}, "noise must be a real number"),
    "saddle_2d_noise_negative": (E.saddle_2d, {"noise": -0.1}, "noise must be >= 0"),
    "saddle_2d_on_axis_text": (E.saddle_2d, {"on_axis": "no"}, "on_axis must be True or False"),
    "strict_saddle_dim_float": (E.strict_saddle, {"dim": 2.5}, "dim must be an integer"),
    "strict_saddle_k_text": (E.strict_saddle, {"k": "1"}, "k must be an integer"),
    "strict_saddle_lam_neg_text": (E.strict_saddle, {"lam_neg": "x"}, "lam_neg must be a real"),
    "strict_saddle_delta_text": (E.strict_saddle, {"delta": "abc"}, "delta must be a real"),
    "strict_saddle_radius_inf": (
        E.strict_saddle,
        {"radius": float("inf")},
        "radius must be finite",
    ),
    "plateau_width_text": (E.plateau, {"width": "4"}, "width must be a real number"),
    "plateau_slope_complex": (E.plateau, {"slope": 1j}, "slope must be a real number"),
    "plateau_delta_text": (E.plateau, {"delta": "abc"}, "delta must be a real number"),
    "plateau_dim_bool": (E.plateau, {"dim": True}, "dim must be an integer"),
}


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS), ids=list(BAD_ARGUMENTS))
def test_scenario_argument_is_named(case):
    build, kwargs, match = BAD_ARGUMENTS[case]
    with pytest.raises(ValueError, match="^" + match.replace("(", r"\(").replace(")", r"\)")):
        build(**kwargs)


# --------------------------------------------------------------------------
# concurrency: two writers and a reader on one path
# --------------------------------------------------------------------------
_WORKER = r"""
import csv, json, os, sys, time
import numpy as np
from landscape.table import Table
from landscape.results import Result, load
role, npz, csv_path, go = sys.argv[1:5]
value = float(role[-1]) if role.startswith("writer") else 0.0
k, n, f, d = 2, 3, 4, 2
result = Result(
    names=["gd", "adam"], positions=np.full((k, n, f, d), value),
    frame_steps=np.arange(f), final=np.full((k, n, d), value),
    final_loss=np.full((k, n), value), events={}, diverged=np.full((k, n), -1),
    x0=np.zeros((n, d)), _loss=np.full((k, n, f), value),
)
table = Table([{"w": value, "i": i} for i in range(200)], ["w", "i"])
counts = {"role": role, "ok": 0, "failed": 0, "corrupt": 0, "errors": []}
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.005)
stop = time.time() + float(open(go).read())
while time.time() < stop:
    for kind in ("npz", "csv"):
        try:
            if role.startswith("writer"):
                result.save(npz) if kind == "npz" else table.to_csv(csv_path)
            elif kind == "npz":
                r = load(npz)
                v = r.positions.flat[0]
                if not (np.all(r.positions == v) and np.all(r.loss == v) and np.all(r.final == v)):
                    raise ValueError("mixed content")
            else:
                with open(csv_path, newline="") as fh:
                    rows = list(csv.reader(fh))
                if len(rows) != 201 or len({r[0] for r in rows[1:]}) != 1:
                    raise ValueError(f"corrupt csv: {len(rows)} rows")
            counts["ok"] += 1
        except Exception as exc:
            counts["failed" if role.startswith("writer") else "corrupt"] += 1
            counts["errors"].append(f"{kind}: {type(exc).__name__}: {exc}")
counts["errors"] = counts["errors"][:3]
print(json.dumps(counts))
"""


def test_two_writers_and_a_reader(tmp_path):
    """Concurrent saves and CSV writes to one path never fail; a reader never sees a torn file."""
    shared = tmp_path / "shared"
    npz, csv_path = shared / "r.npz", shared / "t.csv"
    _result(1.0).save(npz)
    Table([{"w": 1.0, "i": i} for i in range(200)], ["w", "i"]).to_csv(csv_path)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, role, str(npz), str(csv_path), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for role in ("writer1", "writer2", "reader")
    ]
    for p in procs:  # all imported: start together, for 2 s
        assert p.stdout.readline().strip() == "ready", p.communicate(timeout=60)[1]
    staged = tmp_path / "go.tmp"  # the workers poll for `go`: it must appear whole
    staged.write_text("2.0")
    os.replace(staged, go)
    reports = []
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    for rep in reports:
        assert rep["failed"] == 0 and rep["corrupt"] == 0, rep
        assert rep["ok"] > 10, rep
    assert _listing(shared) == ["r.npz", "t.csv"]  # no temporary left
