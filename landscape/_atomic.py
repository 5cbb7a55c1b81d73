"""Writing a file atomically: a unique temporary beside it, then :func:`os.replace`.

Every writer of the package (:meth:`landscape.Result.save`,
:meth:`landscape.table.Table.to_csv`, the renderers) writes through
:func:`atomic_path`, so

* a reader never sees a half-written file (the replace is atomic on one
  file system, hence the temporary lives in the target's directory);
* several processes may write the same target at once: each has its own
  temporary (:func:`tempfile.mkstemp`), the last replace wins, none fails;
* a failure, ``KeyboardInterrupt`` included, removes the temporary; a
  process killed outright leaves it, and the next write to the same target
  removes temporaries of that target older than :data:`STALE_SECONDS`.

Temporaries are named ``.<name>.<random>.part<suffix>``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
import time
from pathlib import Path

__all__ = ["STALE_SECONDS", "atomic_path", "remove_stale"]

#: A temporary untouched for this long belongs to a killed writer (writers
#: touch theirs at least once per frame or row; an hour leaves a wide margin).
STALE_SECONDS = 3600.0


def _pattern(path: Path, suffix: str) -> str:
    return os.path.join(glob.escape(str(path.parent)), f".{glob.escape(path.name)}.*.part{suffix}")


def remove_stale(path, suffix: str = "", *, older_than: float = STALE_SECONDS) -> list[Path]:
    """Remove temporaries of ``path`` left by killed writers; return those removed."""
    path = Path(path)
    cutoff = time.time() - older_than
    removed = []
    for name in glob.glob(_pattern(path, suffix)):
        try:
            if os.stat(name).st_mtime < cutoff:
                os.unlink(name)
                removed.append(Path(name))
        except OSError:  # gone already, or not ours to remove
            continue
    return removed


@contextlib.contextmanager
def atomic_path(path, suffix: str = ""):
    """Yield a fresh temporary path to write; on success it replaces ``path``.

    ``suffix`` ends the temporary's name (``".npz"``, ``".gif"``: tools that
    pick a format from the extension).  Missing parent directories are
    created.  On any exception the temporary is removed and the exception
    propagates; ``path`` is untouched.

    Raises
    ------
    ValueError
        ``path`` is a directory.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"cannot write {str(path)!r}: it is a directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path, suffix)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".part{suffix}", dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp makes it 0o600; outputs are meant to be shared
        try:
            os.replace(tmp, path)
        except IsADirectoryError:  # became a directory while we wrote
            raise ValueError(f"cannot write {str(path)!r}: it is a directory") from None
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
