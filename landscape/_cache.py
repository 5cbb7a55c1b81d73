"""Compiled kernels kept on disk, so every process after the first starts at once.

Numba's own ``cache=True`` cannot serve landscape: its kernels are built by
factories that close over other compiled functions, and Numba keys a cached
closure on its pickled cells, which hold a dispatcher id that differs in
every process (numba issues #2065, #6264), so it never hits and grows a new
file per process.  This module gives landscape's dispatchers a cache of its
own (:class:`KernelCache`, set as the dispatcher's ``_cache``; Numba's
``Dispatcher.compile`` consults it before compiling and hands it every new
compile) with a key that sees what the kernel's code is made of:

- the **package digest**: the bytes of every ``.py`` file of ``landscape``
  (its ``@overload``/``@intrinsic`` implementations and typing are invisible
  to a walk of the code objects, so any change of the package is a new key);
- a **code walk** of the compiled function and of everything it reaches:
  byte code, constants, names, closure cells, globals, default values,
  attributes of the user's modules it names, the target options of every
  dispatcher it calls (user-defined surfaces and generated code are keyed by
  their code, not by a file);
- the versions of landscape, Numba, llvmlite, NumPy and Python, the machine,
  Numba's code-generation settings (optimisation level, bounds checking,
  debug info, SVML), the signature and the CPU (target triple, CPU name and
  features: ``codegen.magic_tuple()``).

One file per key (``<function>-<key>.nbc``), written to a temporary name and
renamed into place, so concurrent writers never corrupt each other and two
kernels never share an index; while one process compiles a kernel it holds
an ``flock`` on ``locks/<file>.lock``, so the other processes that want the same
kernel (pytest-xdist, the gallery, a sweep) wait and load it instead of
compiling it again.  A file starts with a header (magic, format, metadata,
SHA-256 of the payload) checked before anything is unpickled; a truncated or
corrupt file is deleted and the kernel recompiled, and a cache that cannot
be written is left alone: the run compiles in memory and says so once.

The payload is Numba's own ``CompileResult._reduce()`` (the kernel's object
code with every non-inlined callee linked in), rebuilt with
``CompileResult._rebuild`` — Numba's private API (numba 0.60–0.68 tested);
if it changes, attaching or loading fails quietly and kernels compile in
memory, as before.

Where: ``LANDSCAPE_CACHE_DIR`` if set; else ``$NUMBA_CACHE_DIR/landscape``;
else the user cache directory (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux,
``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows) + ``landscape``.
Entries live under ``v<FORMAT>/<python>-numba<version>-<machine>/`` so that
``landscape cache`` can show, and ``clear`` drop, other environments' files.
``LANDSCAPE_CACHE=0`` turns the cache off.

CUDA kernels take the same cache (:class:`CudaKernelCache`, numba-cuda's
own payload); numba-cuda stores a kernel only once it is bound to a GPU, so
that path is exercised by ``scripts/gpu_check.py`` on a GPU machine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pickle
import platform
import sys
import threading
import time
import types
import uuid
import warnings
from pathlib import Path

__all__ = [
    "CacheWarning",
    "CudaKernelCache",
    "KernelCache",
    "attach",
    "cache_root",
    "clear",
    "compiles",
    "enabled",
    "entries",
    "entry_dir",
    "jit",
]

FORMAT = 1
MAGIC = b"LSKC"
_HEADER = len(MAGIC) + 8  # magic, format (u32), metadata length (u32)
#: Seconds a process waits for another one compiling the same kernel before
#: it compiles the kernel itself.
LOCK_TIMEOUT = 600.0

try:  # Numba's private cache interface (see the module docstring)
    from numba.core.caching import _Cache
except ImportError:  # pragma: no cover - a Numba without it: no disk cache
    _Cache = object

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, writes stay atomic
    fcntl = None


class CacheWarning(RuntimeWarning):
    """The kernel cache could not be used; kernels compile in memory."""


_SAID: set = set()
_SAID_LOCK = threading.Lock()
_WRITES_FAILED = threading.Event()


def _say_once(kind: str, message: str) -> None:
    with _SAID_LOCK:
        if kind in _SAID:
            return
        _SAID.add(kind)
    try:
        warnings.warn(message, CacheWarning, stacklevel=3)
    except Exception:  # warnings turned into errors: still never break the compile
        print(message, file=sys.stderr)


# --------------------------------------------------------------------------
# where
# --------------------------------------------------------------------------
def enabled() -> bool:
    """Whether compiled kernels are kept on disk (``LANDSCAPE_CACHE=0`` turns it off)."""
    flag = os.environ.get("LANDSCAPE_CACHE", "1").strip().lower()
    return flag not in ("0", "off", "no", "false") and _Cache is not object


def cache_root() -> Path:
    """The cache's root directory (see the module docstring for the order)."""
    path = os.environ.get("LANDSCAPE_CACHE_DIR")
    if path:
        return Path(path).expanduser()
    path = os.environ.get("NUMBA_CACHE_DIR")
    if path:
        return Path(path).expanduser() / "landscape"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "landscape"


def _env_tag() -> str:
    import numba

    py = f"py{sys.version_info.major}{sys.version_info.minor}"
    return f"{py}-numba{numba.__version__}-{platform.machine() or 'unknown'}"


def entry_dir() -> Path:
    """The directory of this environment's entries (Python, Numba, machine)."""
    return cache_root() / f"v{FORMAT}" / _env_tag()


# --------------------------------------------------------------------------
# the key
# --------------------------------------------------------------------------
_LIBRARIES = frozenset({"numpy", "numba", "llvmlite", "math", "cmath", "builtins", "scipy"})
_PACKAGE_DIGEST: str | None = None


def package_digest() -> str:
    """SHA-256 of every ``.py`` file of the landscape package (computed once per process)."""
    global _PACKAGE_DIGEST
    if _PACKAGE_DIGEST is None:
        root = Path(__file__).resolve().parent
        h = hashlib.sha256()
        for path in sorted(root.rglob("*.py")):
            h.update(path.relative_to(root).as_posix().encode() + b"\0")
            h.update(path.read_bytes() + b"\0")
        _PACKAGE_DIGEST = h.hexdigest()
    return _PACKAGE_DIGEST


def code_digest(fn) -> str:
    """SHA-256 of the code of ``fn`` (a dispatcher or function) and all it reaches."""
    h = hashlib.sha256()
    _Walk(h).fold(fn)
    return h.hexdigest()


class _Walk:
    """Feeds a process-independent description of objects into a hash.

    Functions by their code (byte code, constants, names, closure cells,
    defaults and the globals they name, recursively); dispatchers by their
    target options and function; numbers, strings and arrays by value;
    sets and dicts in sorted order (their iteration order changes with hash
    randomisation); modules by name; anything else by its qualified type
    name (landscape's own classes and overloads are covered by the package
    digest).
    """

    def __init__(self, h):
        self.h = h
        self.seen: set = set()

    def put(self, tag: bytes, data: bytes = b"") -> None:
        self.h.update(tag + len(data).to_bytes(8, "little") + data)

    def fold(self, obj) -> None:  # noqa: C901 - one dispatch over kinds of objects
        import numpy as np
        from numba.core.dispatcher import Dispatcher

        if isinstance(obj, Dispatcher) or isinstance(
            getattr(obj, "py_func", None), types.FunctionType
        ):
            # a Numba dispatcher of any target (CPU, CUDA device functions): options and code
            self.put(b"D", type(obj).__qualname__.encode())
            self.fold(dict(getattr(obj, "targetoptions", {})))
            obj = obj.py_func
        if isinstance(obj, types.FunctionType):
            if id(obj) in self.seen:
                self.put(b"R", obj.__qualname__.encode())
                return
            self.seen.add(id(obj))
            self.put(b"F", f"{obj.__module__}:{obj.__qualname__}".encode())
            self.code(obj.__code__, obj.__globals__)
            self.fold(obj.__defaults__)
            self.fold(obj.__kwdefaults__)
            for cell in obj.__closure__ or ():
                try:
                    self.fold(cell.cell_contents)
                except ValueError:  # an empty cell
                    self.put(b"E")
        elif obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
            self.put(b"V", repr((type(obj).__name__, obj)).encode())
        elif isinstance(obj, (tuple, list)):
            self.put(b"T", f"{type(obj).__name__}{len(obj)}".encode())
            for x in obj:
                self.fold(x)
        elif isinstance(obj, (set, frozenset)):
            self.put(b"S", str(len(obj)).encode())
            for x in sorted(obj, key=repr):
                self.fold(x)
        elif isinstance(obj, dict):
            self.put(b"M", str(len(obj)).encode())
            for k in sorted(obj, key=repr):
                self.fold(k)
                self.fold(obj[k])
        elif isinstance(obj, np.ndarray):  # a global array is frozen into the code
            self.put(
                b"A", f"{obj.dtype.str}{obj.shape}".encode() + np.ascontiguousarray(obj).tobytes()
            )
        elif isinstance(obj, np.generic):
            self.put(b"N", repr((obj.dtype.str, obj.item())).encode())
        elif isinstance(obj, types.ModuleType):
            self.put(b"m", obj.__name__.encode())
        else:
            kind = obj if isinstance(obj, type) else type(obj)
            name = getattr(obj, "__qualname__", None) or kind.__qualname__
            self.put(b"O", f"{getattr(obj, '__module__', '') or kind.__module__}.{name}".encode())
            if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
                self.fold(dataclasses.astuple(obj))

    def code(self, code: types.CodeType, glb: dict) -> None:
        self.put(b"C", code.co_code)
        self.put(b"n", repr(code.co_names).encode())
        for c in code.co_consts:
            if isinstance(c, types.CodeType):
                self.code(c, glb)
            else:
                self.fold(c)
        for name in code.co_names:
            if name not in glb:
                continue
            value = glb[name]
            self.put(b"G", name.encode())
            self.fold(value)
            if (
                isinstance(value, types.ModuleType)
                and value.__name__.split(".")[0] not in _LIBRARIES
            ):
                # ``helpers.f(x)`` or ``_config.X`` in compiled code: what the attribute holds
                for attr in code.co_names:
                    if hasattr(value, attr):
                        self.put(b"a", attr.encode())
                        self.fold(getattr(value, attr))


def _codegen_settings() -> tuple:
    from numba.core import config

    return tuple(
        getattr(config, k, None) for k in ("OPT", "BOUNDSCHECK", "DEBUGINFO_DEFAULT", "USING_SVML")
    )


# --------------------------------------------------------------------------
# the cache
# --------------------------------------------------------------------------
class KernelCache(_Cache):
    """Numba's cache interface for one dispatcher, keyed as the module docstring says."""

    def __init__(self, dispatcher, label: str = ""):
        self._dispatcher = dispatcher
        fn = dispatcher.py_func
        name = f"{fn.__module__}.{fn.__qualname__}".replace("<locals>.", "")
        self._name = "".join(c if c.isalnum() or c in "._-" else "_" for c in name)
        self._label = label
        self._base: str | None = None
        self._enabled = True

    # the interface Numba's Dispatcher uses ---------------------------------
    @property
    def cache_path(self):
        return str(entry_dir())

    def enable(self):
        self._enabled = True

    def disable(self):
        self._enabled = False

    def flush(self):
        pass

    def load_overload(self, sig, target_context):
        if not self.active:
            return None
        try:
            path = self.path(sig, target_context.codegen())
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            _say_once(
                "read", f"landscape: cannot read the kernel cache ({exc}); compiling in memory"
            )
            return None
        try:
            return self._rebuild(_unpack(data), target_context)
        except Exception as exc:  # truncated, corrupt, or another Numba's file
            _say_once(
                "corrupt",
                f"landscape: ignoring the unreadable kernel cache file {path} "
                f"({type(exc).__name__}: {exc}); recompiling it",
            )
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def save_overload(self, sig, cres):
        if not self.writable:
            return
        if not self._cacheable(cres):
            return  # code that holds process addresses cannot be reused
        path = self.path(sig, cres.codegen)
        tmp = path.with_name(f"{path.name}.tmp.{os.getpid()}.{uuid.uuid4().hex[:8]}")
        try:
            meta = {
                "function": f"{self._name} ({self._label})" if self._label else self._name,
                "signature": str(sig),
                "created": time.time(),
                "pid": os.getpid(),
            }
            blob = _pack(pickle.dumps(self._reduce(cres), protocol=pickle.HIGHEST_PROTOCOL), meta)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(blob)
            os.replace(tmp, path)
        except Exception as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if isinstance(exc, OSError):
                _say_once(
                    "write",
                    f"landscape: the kernel cache at {entry_dir()} is not writable "
                    f"({type(exc).__name__}: {exc}); compiling in memory",
                )
                _WRITES_FAILED.set()
            else:
                _say_once(
                    "save", f"landscape: could not cache a kernel ({type(exc).__name__}: {exc})"
                )

    # what is stored: Numba's own serialised form of a compile ---------------
    def _cacheable(self, cres) -> bool:
        return all(x.can_cache for x in cres.lifted) and not cres.library.has_dynamic_globals

    def _reduce(self, cres):
        return cres._reduce()

    def _rebuild(self, payload, target_context):
        from numba.core.compiler import CompileResult

        target_context.refresh()  # installs what cached code links against (NRT, BLAS, ...)
        return CompileResult._rebuild(target_context, *payload)

    # ----------------------------------------------------------------------
    @property
    def active(self) -> bool:
        """Whether this dispatcher loads from the cache."""
        return self._enabled and enabled()

    @property
    def writable(self) -> bool:
        """Whether it saves to the cache (not once a write has failed in this process)."""
        return self.active and not _WRITES_FAILED.is_set()

    def base_key(self) -> str:
        """The part of the key that does not depend on the signature (computed once)."""
        if self._base is None:
            import llvmlite
            import numba
            import numpy

            from . import __version__

            parts = (
                FORMAT,
                __version__,
                numba.__version__,
                llvmlite.__version__,
                numpy.__version__,
                sys.version,
                platform.machine(),
                package_digest(),
                code_digest(self._dispatcher),
                _codegen_settings(),
            )
            self._base = hashlib.sha256(repr(parts).encode()).hexdigest()
        return self._base

    def path(self, sig, codegen) -> Path:
        """The file of the kernel compiled for ``sig`` on this CPU."""
        key = repr((self.base_key(), str(sig), codegen.magic_tuple()))
        return entry_dir() / f"{self._name}-{hashlib.sha256(key.encode()).hexdigest()[:32]}.nbc"

    @contextlib.contextmanager
    def lock(self, sig):
        """Hold the kernel's compile lock (best effort: no lock where none can be had)."""
        if fcntl is None or not self.writable:
            yield
            return
        try:
            path = self.path(sig, self._dispatcher.targetctx.codegen())
            locks = path.parent / "locks"
            locks.mkdir(parents=True, exist_ok=True)
            fd = os.open(locks / f"{path.stem}.lock", os.O_CREAT | os.O_RDWR, 0o644)
        except Exception:
            yield
            return
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        break  # a stuck holder: compile without the lock
                    time.sleep(0.02)
            yield
        finally:
            os.close(fd)  # releases the lock


class CudaKernelCache(KernelCache):
    """The same cache for a numba-cuda kernel: numba-cuda's own payload (PTX and cubin).

    numba-cuda stores a kernel only once it is bound to a device, so this
    path runs, and is checked, only on a machine with a GPU
    (``scripts/gpu_check.py``); the key includes the device's compute
    capability through ``codegen.magic_tuple()``.
    """

    def _cacheable(self, kernel) -> bool:
        return not getattr(kernel, "launch_config_sensitive", False)

    def _reduce(self, kernel):
        return kernel._reduce_states()

    def _rebuild(self, payload, target_context):
        from numba.cuda import utils
        from numba.cuda.dispatcher import _Kernel

        with utils.numba_target_override():
            target_context.refresh()
            return _Kernel._rebuild(**payload)


def _pack(payload: bytes, meta: dict) -> bytes:
    m = json.dumps(meta, sort_keys=True).encode()
    return (
        MAGIC + FORMAT.to_bytes(4, "little") + len(m).to_bytes(4, "little") + m
        + hashlib.sha256(payload).digest() + payload
    )  # fmt: skip


def _read_header(data: bytes) -> tuple[dict, int]:
    if len(data) < _HEADER or data[:4] != MAGIC:
        raise ValueError("not a landscape kernel file")
    fmt = int.from_bytes(data[4:8], "little")
    if fmt != FORMAT:
        raise ValueError(f"format {fmt}, expected {FORMAT}")
    n = int.from_bytes(data[8:12], "little")
    if len(data) < _HEADER + n + 32:
        raise ValueError("truncated header")
    return json.loads(data[_HEADER : _HEADER + n]), _HEADER + n


def _unpack(data: bytes):
    _meta, at = _read_header(data)
    digest, payload = data[at : at + 32], data[at + 32 :]
    if hashlib.sha256(payload).digest() != digest:
        raise ValueError("checksum mismatch (truncated or corrupt)")
    return pickle.loads(payload)


# --------------------------------------------------------------------------
# attaching
# --------------------------------------------------------------------------
def attach(dispatcher, label: str = ""):
    """Give a CPU dispatcher the disk cache (and its compile lock); returns it.

    ``label`` says what a factory-built function was made for (e.g. the
    surface family of a fused kernel), shown by ``landscape cache``.
    Inlined functions (``inline="always"``) never compile on their own and
    are left as they are; their code is part of their callers' keys.
    """
    try:
        options = dispatcher.targetoptions
        compile_ = dispatcher.compile
        dispatcher.targetctx  # noqa: B018 - the simulator's kernels have none: not cached
        cuda = type(dispatcher).__module__.startswith("numba.cuda")
    except Exception:
        return dispatcher
    if _Cache is object or options.get("inline", "never") != "never" or options.get("device"):
        return dispatcher
    if dispatcher.py_func.__module__ is None:  # exec'd without a module: cannot be reloaded
        return dispatcher
    cache = (CudaKernelCache if cuda else KernelCache)(dispatcher, label)
    dispatcher._cache = cache

    def compile(sig):
        from numba.core import sigutils
        from numba.core.compiler_lock import global_compiler_lock

        args, _ = sigutils.normalize_signature(sig)
        if tuple(args) in dispatcher.overloads:
            return compile_(sig)
        # the process's compiler lock first: then at most one thread here waits for a file lock
        with global_compiler_lock, cache.lock(sig):
            return compile_(sig)

    dispatcher.compile = compile
    return dispatcher


def jit(fn=None, **options):
    """``numba.njit`` with landscape's options (:data:`landscape._config.NJIT_OPTIONS`) and the disk cache.

    ``jit(f)``, ``@jit`` or ``@jit(inline="always", _nrt=False, ...)``;
    options given here override the defaults; ``label=`` is :func:`attach`'s.
    """
    from numba import njit

    from . import _config

    label = options.pop("label", "")

    def wrap(f):
        return attach(njit(**{**_config.NJIT_OPTIONS, **options})(f), label)

    return wrap if fn is None else wrap(fn)


# --------------------------------------------------------------------------
# the CLI's view: what is stored, and emptying it
# --------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Entry:
    """One stored kernel."""

    path: Path
    environment: str
    function: str
    signature: str
    size: int
    created: float
    valid: bool


def entries(root: Path | None = None) -> list[Entry]:
    """Every kernel file under the cache root (all environments), newest first."""
    root = cache_root() if root is None else root
    found = []
    for path in root.glob("v*/*/*.nbc"):
        try:
            with path.open("rb") as f:
                head = f.read(1 << 16)
            st = path.stat()
        except OSError:
            continue
        try:
            meta, _ = _read_header(head)
            valid = True
        except Exception:
            meta, valid = {}, False
        found.append(
            Entry(
                path=path,
                environment=f"{path.parent.parent.name}/{path.parent.name}",
                function=meta.get("function", path.stem.rsplit("-", 1)[0]),
                signature=meta.get("signature", "?"),
                size=st.st_size,
                created=float(meta.get("created", st.st_mtime)),
                valid=valid,
            )
        )
    return sorted(found, key=lambda e: -e.created)


def clear(root: Path | None = None) -> int:
    """Delete every kernel file (all environments) under the root; returns how many bytes were freed."""
    root = cache_root() if root is None else root
    freed = 0
    for pattern in ("v*/*/*.nbc", "v*/*/*.tmp.*", "v*/*/locks/*.lock"):
        for path in root.glob(pattern):
            with contextlib.suppress(OSError):
                size = path.stat().st_size
                path.unlink()
                freed += size
    for d in [*root.glob("v*/*/locks"), *root.glob("v*/*"), *root.glob("v*")]:
        with contextlib.suppress(OSError):
            d.rmdir()
    return freed


def compiles():
    """Count Numba compilations (the ``numba:compile`` event, any thread) in a ``with`` block.

    >>> with compiles() as c:                 # doctest: +SKIP
    ...     simulate(...)
    >>> c.n                                   # compiled nothing: it came from the cache
    0
    """
    from numba.core import event

    class Count(event.Listener):
        n = 0

        def on_start(self, ev):
            self.n += 1

        def on_end(self, ev):
            pass

    return _installed(event, Count())


@contextlib.contextmanager
def _installed(event, listener):
    with event.install_listener("numba:compile", listener):
        yield listener
