"""The on-disk kernel cache (landscape._cache): hits across processes, keys that
see every edit, and a cache that can be corrupt, unwritable or raced without
breaking a run."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import numpy as np
import pytest
from numba.core.registry import CPUDispatcher

import landscape
from landscape import _backend, _cache
from landscape.cli import main


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """An empty cache for this test; 'said once' and 'writes failed' reset."""
    d = tmp_path / "cache"
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(d))
    monkeypatch.delenv("LANDSCAPE_CACHE", raising=False)
    _cache._SAID.clear()
    _cache._WRITES_FAILED.clear()
    yield d
    _cache._SAID.clear()
    _cache._WRITES_FAILED.clear()


def _fresh(src: str, name: str = "f", **glb):
    """A new function from source in a new module object, as a new process would make it."""
    mod = types.ModuleType("landscape_test_fresh")
    sys.modules[mod.__name__] = mod  # Numba rebuilds a cached function's environment by module name
    mod.__dict__.update(np=np, **glb)
    exec(compile(textwrap.dedent(src), f"<{name}>", "exec"), mod.__dict__)  # noqa: S102
    return mod.__dict__[name]


_SQUARE = """
def f(x):
    return x * x + 1.0
"""


# --------------------------------------------------------------------------
# where, and which functions carry the cache
# --------------------------------------------------------------------------
def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "n"))
    assert _cache.cache_root() == tmp_path / "a"
    monkeypatch.delenv("LANDSCAPE_CACHE_DIR")
    assert _cache.cache_root() == tmp_path / "n" / "landscape"
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    if sys.platform.startswith("linux"):
        assert _cache.cache_root() == tmp_path / "x" / "landscape"
    assert _cache.entry_dir().parent.name == f"v{_cache.FORMAT}"
    monkeypatch.setenv("LANDSCAPE_CACHE", "0")
    assert not _cache.enabled()


def test_every_compiled_function_of_the_package_carries_the_cache():
    """No plain ``njit`` left behind: each dispatcher is made by ``_cache.jit``."""
    root = Path(landscape.__file__).parent
    for info in pkgutil.walk_packages([str(root)], "landscape."):
        if info.name.startswith("landscape.render") or info.name == "landscape.__main__":
            continue
        importlib.import_module(info.name)
    checked = 0
    for name, mod in list(sys.modules.items()):
        if not name.startswith("landscape"):
            continue
        for obj in vars(mod).values():
            if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == name:
                inline = obj.targetoptions.get("inline", "never") != "never"
                assert inline or isinstance(obj._cache, _cache.KernelCache), (
                    f"{name}.{obj.__name__}"
                )
                checked += 1
    assert checked > 30
    for path in root.rglob("*.py"):
        if path.name != "_cache.py":
            text = path.read_text()
            assert "import njit" not in text and "numba.njit" not in text, f"{path}: use _cache.jit"


# --------------------------------------------------------------------------
# the key
# --------------------------------------------------------------------------
def test_key_is_the_code_not_the_object():
    a, b = _fresh(_SQUARE), _fresh(_SQUARE)
    assert a is not b and _cache.code_digest(a) == _cache.code_digest(b)
    edited = _fresh(_SQUARE.replace("1.0", "2.0"))
    assert _cache.code_digest(edited) != _cache.code_digest(a)


def test_key_sees_callees_closures_globals_and_options():
    from numba import njit

    src = """
    def f(x):
        return helper(x) + K
    """
    h1 = njit(_fresh("def helper(x):\n    return x\n", "helper"))
    h2 = njit(_fresh("def helper(x):\n    return -x\n", "helper"))
    base = _cache.code_digest(_fresh(src, helper=h1, K=1.0))
    assert _cache.code_digest(_fresh(src, helper=h1, K=1.0)) == base
    assert _cache.code_digest(_fresh(src, helper=h2, K=1.0)) != base  # an edited callee
    assert _cache.code_digest(_fresh(src, helper=h1, K=2.0)) != base  # a global's value
    fm = njit(fastmath=True)(_fresh(_SQUARE))
    assert _cache.code_digest(fm) != _cache.code_digest(njit(_fresh(_SQUARE)))  # target options

    def make(c):
        def g(x):
            return x + c

        return g

    assert _cache.code_digest(make(1.0)) != _cache.code_digest(make(2.0))  # a closure cell
    arr = np.arange(3.0)
    with_arr = _cache.code_digest(_fresh(src, helper=h1, K=arr))
    arr[0] = 5.0
    assert _cache.code_digest(_fresh(src, helper=h1, K=arr)) != with_arr  # a global array's bytes


def test_key_does_not_depend_on_hash_randomisation():
    """fastmath is a set: its order changes between processes; the key must not."""
    code = (
        "from landscape._cache import code_digest; from landscape.optim import _rules;"
        "print(code_digest(_rules.update_lanes))"
    )
    outs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout  # fmt: skip
        for seed in ("1", "2", "3")
    }
    assert len(outs) == 1, outs


# --------------------------------------------------------------------------
# load, save, failures (in process, with a small function)
# --------------------------------------------------------------------------
def _compiled(src=_SQUARE):
    f = _cache.jit(_fresh(src))
    f(3.0)
    return f


def _files(d):
    return sorted(d.rglob("*.nbc"))


def test_a_new_dispatcher_loads_what_an_old_one_saved(cache_dir):
    first = _compiled()
    assert first.stats.cache_misses and not first.stats.cache_hits
    (path,) = _files(cache_dir)
    assert path.name.startswith("landscape_test_fresh.f-") and path.read_bytes()[:4] == _cache.MAGIC
    second = _compiled()
    assert second.stats.cache_hits and not second.stats.cache_misses
    assert _compiled(_SQUARE.replace("1.0", "2.0")).stats.cache_misses  # edited: compiled
    assert len(_files(cache_dir)) == 2


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage", "flip"])
def test_a_damaged_file_is_rebuilt_with_one_warning(cache_dir, damage):
    _compiled()
    (path,) = _files(cache_dir)
    data = path.read_bytes()
    path.write_bytes({
        "truncate": data[: len(data) // 2],
        "empty": b"",
        "garbage": os.urandom(len(data)),
        "flip": data[:-100] + bytes([data[-100] ^ 1]) + data[-99:],
    }[damage])  # fmt: skip
    with pytest.warns(_cache.CacheWarning, match="unreadable kernel cache file"):
        again = _compiled()
    assert again.stats.cache_misses  # compiled, not loaded
    assert path.read_bytes() != b"" and _compiled().stats.cache_hits  # and saved anew


def test_an_unwritable_cache_compiles_in_memory_and_says_so_once(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("LANDSCAPE_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("LANDSCAPE_CACHE", raising=False)
    _cache._SAID.clear()
    try:
        with pytest.warns(_cache.CacheWarning, match="not writable") as record:
            _compiled()
            _compiled(_SQUARE.replace("1.0", "3.0"))
        assert len([w for w in record if issubclass(w.category, _cache.CacheWarning)]) == 1
    finally:
        _cache._SAID.clear()
        _cache._WRITES_FAILED.clear()


def test_switched_off_writes_nothing(cache_dir, monkeypatch):
    monkeypatch.setenv("LANDSCAPE_CACHE", "0")
    assert not _compiled().stats.cache_hits
    assert not cache_dir.exists()


def test_cli_shows_and_clears_the_cache(cache_dir, capsys):
    _compiled()
    assert main(["cache"]) == 0
    out = capsys.readouterr().out
    assert (
        str(cache_dir) in out and "1 compiled kernel(s)" in out and "landscape_test_fresh.f" in out
    )
    assert main(["cache", "clear"]) == 0
    assert "removed 1 compiled kernel(s)" in capsys.readouterr().out
    assert not _files(cache_dir)
    assert main(["cache", "warm", "no_such_surface"]) == 2
    assert "surface must be one of" in capsys.readouterr().err
    assert main(["cache", "warm", "--jobs", "-1"]) == 2
    assert "--jobs must be a whole number" in capsys.readouterr().err


# --------------------------------------------------------------------------
# across processes, with the real kernels
# --------------------------------------------------------------------------
_RUN = """
import json, sys
from numba.core import event
n = [0]
class C(event.Listener):
    def on_start(self, ev): n[0] += 1
    def on_end(self, ev): pass
event.register("numba:compile", C())
import numpy as np, landscape as ls
{setup}
r = ls.simulate(surface, [ls.optim.adam(0.05), ls.optim.momentum(0.01, beta=0.9)],
                np.full((5, surface.dim), 0.5), 30, record_every=3, seed=7,
                noise=ls.optim.noise.gaussian(0.1){extra})
print(json.dumps({{"compiles": n[0], "final": r.final.tolist(), "pos": r.positions.tolist()}}))
"""


def _run(cache, setup="surface = ls.surfaces.rosenbrock()", extra="", background=False, path=None):
    env = {**os.environ, "LANDSCAPE_CACHE_DIR": str(cache)}
    env.pop("LANDSCAPE_CACHE", None)
    if path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(path), env.get("PYTHONPATH", "")])
    args = [sys.executable, "-c", _RUN.format(setup=setup, extra=extra)]
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    return proc if background else _result(proc)


def _result(proc):
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1]), err


@pytest.fixture(scope="module")
def warm_dir(tmp_path_factory):
    """A cache filled by one cold process (rosenbrock, float64): (dir, its result)."""
    d = tmp_path_factory.mktemp("kernels")
    return d, _run(d)


def test_a_second_process_compiles_nothing_and_gets_the_same_numbers(warm_dir):
    d, (cold, _) = warm_dir
    assert cold["compiles"] > 0
    warm, err = _run(d)
    assert warm["compiles"] == 0, err
    assert warm["final"] == cold["final"] and warm["pos"] == cold["pos"]  # bit-identical


def test_a_truncated_kernel_file_is_detected_and_rebuilt(warm_dir):
    d, (cold, _) = warm_dir
    (kernel,) = [p for p in _files(d) if "fused_cpu" in p.name]
    kernel.write_bytes(kernel.read_bytes()[:1000])
    rebuilt, err = _run(d)
    assert "unreadable kernel cache file" in err and rebuilt["compiles"] > 0
    assert rebuilt["final"] == cold["final"]
    again, _ = _run(d)
    assert again["compiles"] == 0 and again["final"] == cold["final"]


def test_processes_compiling_the_same_kernel_at_once_all_succeed(tmp_path):
    procs = [_run(tmp_path, extra=", dtype='float32'", background=True) for _ in range(3)]
    results = [_result(p)[0] for p in procs]
    assert all(r["final"] == results[0]["final"] for r in results)
    compiled = sum(r["compiles"] > 0 for r in results)
    assert compiled == 1 if _cache.fcntl is not None else compiled >= 1  # the others waited, loaded
    for p in _files(tmp_path):  # every file complete and valid
        _cache._unpack(p.read_bytes())
    assert not list(tmp_path.rglob("*.tmp.*"))
    after, _ = _run(tmp_path, extra=", dtype='float32'")
    assert after["compiles"] == 0 and after["final"] == results[0]["final"]


_USER_SURFACE = """
import numpy as np
from numba import njit
from landscape.surfaces._base import Surface, box


@njit
def vg(X, G, F, P):
    for j in range(X.shape[1]):
        F[j] = 0.5 * (X[0, j] ** 2 + SCALE * X[1, j] ** 2)
        G[0, j] = X[0, j]
        G[1, j] = SCALE * X[1, j]


SCALE = {scale}
surface = Surface("user_bowl", 2, np.zeros(0), vg, None, np.zeros((1, 2)), np.zeros((0, 2)),
                  box(2, -2.0, 2.0))
"""


def test_an_edited_user_surface_recompiles_and_never_loads_the_old_kernel(tmp_path):
    cache = tmp_path / "cache"
    mod = tmp_path / "usersurf.py"
    setup = "from usersurf import surface"
    results = {}
    for scale in ("4.0", "9.0", "4.0"):
        mod.write_text(_USER_SURFACE.format(scale=scale))
        res, err = _run(cache, setup=setup, path=tmp_path)
        results.setdefault(scale, []).append(res)
    (a, a_again), (b,) = results["4.0"], results["9.0"]
    assert a["compiles"] > 0 and b["compiles"] > 0  # the edit compiled anew
    assert a_again["compiles"] == 0 and a_again["final"] == a["final"]  # old text: loaded
    assert b["final"] != a["final"]  # had the old kernel been loaded, these would be equal


def test_the_startup_benchmark_script_runs(load_script, tmp_path):
    """scripts/bench_startup.py --quick: a cold and a warm process; the warm one compiles nothing."""
    out = tmp_path / "startup.json"
    assert load_script("bench_startup").main(["--quick", "--json", str(out)]) == 0
    (m,) = json.loads(out.read_text())["measurements"]
    cold, warm = m["phases"]["cold"][0], m["phases"]["warm"][0]
    assert cold["compiles"] > 0 and warm["compiles"] == 0 and warm["cache_files"] > 0


@pytest.mark.gpu
@pytest.mark.skipif(not _backend.cuda_status()[0], reason="needs a usable CUDA GPU")
def test_a_cuda_kernel_is_loaded_by_a_second_process(load_script, tmp_path):
    child = load_script("gpu_check")._CACHE_CHILD
    env = {**os.environ, "LANDSCAPE_CACHE_DIR": str(tmp_path)}
    runs = [
        json.loads(subprocess.run([sys.executable, "-c", child], env=env, text=True, check=True,
                                  capture_output=True, timeout=600).stdout.splitlines()[-1])
        for _ in range(2)
    ]  # fmt: skip
    assert runs[0]["misses"] > 0 and runs[1]["hits"] > 0 and runs[1]["misses"] == 0
    assert runs[1]["final"] == runs[0]["final"] and runs[1]["pos"] == runs[0]["pos"]


def test_a_formula_surface_is_loaded_by_a_second_process(tmp_path):
    """Generated code is cached like the built-ins: the same formula text compiles once per machine."""
    setup = 'surface = ls.surfaces.expression("(x - a)**2 + 3*y**2 + 0.1*x**4", {"a": 0.5})'
    cold, _ = _run(tmp_path, setup=setup)
    warm, err = _run(tmp_path, setup=setup)
    assert cold["compiles"] > 0 and warm["compiles"] == 0, err
    assert warm["final"] == cold["final"] and warm["pos"] == cold["pos"]
