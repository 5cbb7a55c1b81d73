"""Studies: grids of optimizer settings, surfaces, noise and seeds, run as Dask tasks (issue #17).

:func:`load` reads a study (TOML or dict) and checks every axis and value
before any work; :func:`run` runs it on a Dask cluster (a local one by
default) into a Zarr store, resumable; the stored dataset has one labelled
dimension per axis plus ``trajectory`` (and ``event``; thinned frames add
``recorded``, ``frame`` and ``coord``).  Needs
``pip install "landscape[sweep]"``.
"""

from .run import open_result, run, run_task, stored_tasks
from .spec import LAUNCH_AXES, Study, StudyError, load

__all__ = [
    "LAUNCH_AXES",
    "Study",
    "StudyError",
    "load",
    "open_result",
    "run",
    "run_task",
    "stored_tasks",
]
