r"""Animation recipes: one TOML file describes one animation or figure.

A recipe names a surface, a set of optimizers, the starting points, the
simulation and the renderer; :func:`load` reads and validates it (every key,
every type, every value, before anything is simulated; :func:`from_dict`
does the same for the table a TOML file would load to) and
:meth:`Recipe.run` simulates and renders it.  The gallery's recipes live in
``animations/`` (see :func:`gallery_paths`).

Schema
------
.. code-block:: toml

    title  = "Momentum in an elongated bowl"          # required: figure title
    lesson = "Momentum damps the oscillation ..."     # required: one line
    output = "momentum_bowl.gif"                      # optional: file name (.gif .mp4 .png);
                                                      #   default <recipe name>.gif (.png for stills)
    [surface]                    # name + that surface's parameters (landscape.surfaces)
    name  = "elongated_bowl"
    kappa = 25.0

    [optimizers.gd]              # table name = label in the legend
    kind = "gd"                  # optional when the label is an optimizer name
    lr   = 0.07
    [optimizers."momentum β=0.9"]
    kind = "momentum"
    lr = 0.07
    beta = 0.9
    schedule = { name = "inverse_time", decay = 0.01 }    # optional (landscape.schedules);
                                 # linear_warmup takes then = { name = ..., ... }
    noise = { sigma = 2.0, batch_size = 64 }              # optional: this optimizer's own
                                 # gradient noise (overrides simulate.noise; sigma = 0: none)
    batch_size = 64              # optional, finite-sum surfaces only (linear_regression,
                                 # logistic_regression, tanh_network): real mini-batches of
                                 # 64 examples (1: SGD; "m": the full batch); overrides
                                 # simulate.batch_size

    [starts]                     # kind + that function's arguments (landscape.starts):
    kind = "point"               # point | normal | uniform | grid | sphere | ball
    x = [-2.0, 1.5]              # ... or no kind and x0 = [[x, y], ...]; one number
                                 # (center = 0.0) stands for it in every coordinate
                                 # (x, mean, low, high, center; not grid's)

    [simulate]                   # landscape.simulate's arguments
    steps = 150                  # required
    record_every = 1             # default 1 (0 for the survival renderer)
    record = 64                  # optional: keep frames of the first 64 starts only
    dtype = "float64"
    seed = 0
    diverge_at = 1e6
    noise = { sigma = 0.5, batch_size = 64 }              # optional (landscape.noise.gaussian)
    batch_size = 64              # optional, finite-sum surfaces only: every optimizer's
                                 # mini-batch size (default: the full batch, "m")
    events = { escaped = { kind = "leave_ball", center = [0, 0], radius = 1.0 } }
                                 # leave_ball | enter_ball (center, radius) | loss_below (level);
                                 # center = 0.0: the origin in any dimension

    [render]
    kind = "race"                # race | swarm | surface3d | loss_curves | minibatch | survival
                                 # | ewa | schedules   (RENDERERS: each renderer's declared keys)
    size = [800, 450]            # pixels; dpi = 100; fps = 20 (animations)
    max_frames = 150             # animations: at most this many frames
    trail = 40                   # ... and any other keyword of that renderer

    [schedules."1/(1+t)"]        # only for render.kind = "schedules": label -> schedule
    name = "inverse_time"
    decay = 1.0

    [[claims]]                   # optional, one per clause of the lesson (landscape.claims):
    says = "momentum arrives first"   # the words,
    measure = "first_below"      # a quantity measured on the run that is drawn,
    level = 1e-3                 # its parameters,
    of = "momentum"              # the optimizer label(s) it is about,
    less_than = "gd"             # and the threshold: at_most | at_least | less_than |
    factor = 1.3                 # more_than (x factor) | all_different

Mini-batches: on a finite-sum surface every optimizer runs with its own
``batch_size`` (its key, else ``simulate.batch_size``, else the full batch)
in one launch (:func:`landscape.simulate`'s ``batch_size``); each epoch
draws a fresh shuffle of the examples per trajectory, and schedules count
real epochs (``ceil(m / b)`` steps), so a schedule's ``steps_per_epoch``
must be left out (or agree).  ``noise`` on the other hand only *adds*
Gaussian noise to the gradient, on any surface.

``ewa`` and ``schedules`` recipes simulate nothing and must not have
``[surface]``, ``[optimizers]``, ``[starts]`` or ``[simulate]``.

Every problem raises :class:`RecipeError` (a ``ValueError``) naming the file,
the key and what is allowed, e.g.
``animations/momentum_bowl.toml: optimizers.gd.lr must be > 0, got -0.1``.

Renderers
---------
``[render]`` takes what the renderer of ``kind`` declares beside its code
(:data:`landscape.render.RENDERERS`, :mod:`landscape.render.options`): the
frame options it uses (size, dpi, fps, max_frames) and its own options,
each with its check.  A new renderer is one module plus one registry line
(or :func:`landscape.render.register`); recipes need no change.

Modules
-------
``_schema`` (key paths, errors, typed readers), ``_sections`` (one reader
per table), ``_load`` (:func:`load`), ``_recipe`` (:class:`Recipe`:
simulate, render, claims) and ``_gallery`` (finding the bundled recipes).

Where the gallery is found
--------------------------
:func:`gallery_dir` looks, in order, in ``$LANDSCAPE_ANIMATIONS``, in
``animations/`` beside the package (a source checkout or an editable
install), in ``./animations`` (the current directory: a clone with a
regular ``pip install .``), and in ``<prefix>/share/landscape/animations``
(where a wheel's data files would put them).
"""

from __future__ import annotations

from ..render import RENDERERS
from ._gallery import find, gallery_dir, gallery_paths, peek
from ._load import from_dict, load
from ._recipe import DEFAULT_OUT_DIR, Made, Recipe, check_backend, stage
from ._schema import RecipeError, keypath
from ._sections import MAX_STARTS

__all__ = [
    "DEFAULT_OUT_DIR",
    "MAX_RENDER_SECONDS",
    "MAX_STARTS",
    "RENDERERS",
    "SECONDS_PER_FRAME",
    "Made",
    "Recipe",
    "RecipeError",
    "check_backend",
    "find",
    "from_dict",
    "gallery_dir",
    "gallery_paths",
    "keypath",
    "load",
    "peek",
    "stage",
]

# Read at call time by Recipe.make (patch them here, e.g. in tests).
#: Estimated seconds to draw one 800x450 animation frame (measured on a 2-core
#: machine: 0.01-0.05 s); scaled by the pixel count.
SECONDS_PER_FRAME = 0.05
#: Animations estimated to take longer than this to draw are refused up front.
MAX_RENDER_SECONDS = 1800
