"""The explorer page: controls made from the state, the views, exports (Panel).

:class:`Explorer` owns one :class:`~landscape.explorer.state.State`, one
:class:`~landscape.explorer.session.Session` and the page built from them.
Every control edits the state and submits it; the worker's view (or its
error, shown next to the field it names) comes back on the page's event
loop.  Controls whose choices depend on the state (optimizers, the surface's
parameters, a schedule's parameters) are rebuilt when its structure changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import html
import io
import math
import os
import tempfile
import time

import panel as pn
from bokeh.events import Tap

from .. import optim, recipes
from ..optim import schedules as _schedules
from .session import Session
from .state import (
    START_KINDS,
    State,
    explorable_surfaces,
    hyperparameters,
    schedule_parameters,
    surface_parameters,
)
from .views import LossView, MapView

__all__ = ["Explorer"]

FORMULA = "formula (type your own)"
_EVENT_KINDS = ["none", "leave_ball", "enter_ball", "loss_below"]
#: Surface parameters that change its dimension: not offered when the figure is a 2-D map.
_DIMENSION_KEYS = ("dim", "features", "hidden")


def _fast(cls, debounce=5):
    """``cls`` with Panel's 50 ms wait before a browser event is handled cut to ``debounce`` ms.

    ``_debounce`` is Panel's own (private) setting; the explorer's budget is
    150 ms from a change to new data on screen, so the hot widgets wait less.
    """
    return type(f"Fast{cls.__name__}", (cls,), {"_debounce": debounce})


FastSlider = _fast(pn.widgets.FloatSlider)
FastPlayer = _fast(pn.widgets.Player)


class Explorer:
    """One explorer page (a server session or a notebook cell)."""

    def __init__(self, state: State | None = None, backend: str = "canvas"):
        self.state = state if state is not None else State()
        self.session = Session(on_view=self._from_worker, on_error=self._from_worker)
        self.map = MapView(backend=backend)
        self.loss = LossView()
        self.map.fig.on_event(Tap, self._on_tap)
        self.current = None  # the last View shown
        self.failed = None  # the last error shown
        self._notice = None  # a message the first run must not clear (a damaged link)
        self.t_change = None
        self._doc = None
        self._quiet = False  # while controls are rebuilt / filled by code
        self._errors: dict = {}  # section key -> Alert pane
        self.status = pn.pane.Markdown("", css_classes=["ls-status"], sizing_mode="stretch_width")
        self.counters = pn.pane.HTML("", css_classes=["ls-counters"])
        self.claims = pn.pane.HTML("", css_classes=["ls-claims"], sizing_mode="stretch_width")
        self.lesson = pn.pane.Markdown("", sizing_mode="stretch_width")
        self.general = self._alert("general")
        self.player = FastPlayer(start=0, end=0, value=0, interval=60, loop_policy="once",
                                 label="frame", width=430, show_loop_controls=False)  # fmt: skip
        self.player.param.watch(self._on_frame, "value")
        self.link = pn.widgets.TextInput(label="link to this state", css_classes=["ls-link"],
                                         sizing_mode="stretch_width", disabled=False)  # fmt: skip
        self.controls = pn.Column(width=330, css_classes=["ls-controls"], scroll=True, height=900)
        self.toml = pn.widgets.TextAreaInput(label="recipe (TOML): edit and apply", height=300,
                                             sizing_mode="stretch_width", css_classes=["ls-toml"])  # fmt: skip
        apply = pn.widgets.Button(label="Apply the TOML", color="primary", css_classes=["ls-apply"])
        apply.on_click(self._on_apply_toml)
        self.toml_error = pn.pane.Alert("", alert_type="danger", visible=False,
                                        css_classes=["ls-error", "ls-error-toml"])  # fmt: skip
        self.figure = pn.pane.PNG(None, sizing_mode="stretch_width", visible=False)
        self.exports = pn.Row(
            *(
                pn.widgets.FileDownload(
                    callback=call,
                    filename=f"{self.state.name}.{fmt}",
                    label=label,
                    css_classes=[f"ls-export-{fmt}"],
                    **({"color": "primary"} if fmt == "toml" else {}),
                )  # fmt: skip
                for fmt, label, call in [
                    ("toml", "Export recipe (TOML)", self._export_toml),
                    ("gif", "GIF", functools.partial(self._export_in_background, "gif")),
                    ("mp4", "MP4", functools.partial(self._export_in_background, "mp4")),
                ]
            )
        )
        self._map_pane, self._loss_pane = pn.pane.Bokeh(self.map.fig), pn.pane.Bokeh(self.loss.fig)
        self._run_views = pn.Row(self._map_pane, self._loss_pane)
        self._player_row = pn.Row(self.player, self.counters)
        self.page = pn.Row(
            self.controls,
            pn.Column(
                self.lesson,
                self.general,
                self._run_views,
                self.figure,
                self._player_row,
                self.status,
                self.claims,
                self.exports,
                self.link,
                pn.Column(self.toml, apply, self.toml_error, sizing_mode="stretch_width"),
                sizing_mode="stretch_width",
            ),
            sizing_mode="stretch_width",
        )
        self._rebuild()

    @contextlib.contextmanager
    def _quietly(self):
        """Set controls from code without their watchers editing the state."""
        self._quiet = True
        try:
            yield
        finally:
            self._quiet = False

    # -- the page ------------------------------------------------------------------
    def panel(self):
        """The page (a Panel layout); in a server session, also reads and writes the URL."""
        self._doc = pn.state.curdoc
        loc = pn.state.location if self._doc is not None and self._doc.session_context else None
        if loc is not None:
            q = loc.query_params.get("s")
            if q:
                try:
                    self.state = State.from_query(q)
                    self._rebuild()
                except ValueError as exc:
                    self._notice = f"the link could not be read: {exc}; showing the default"
                    self._show_error("general", self._notice)
            pn.state.on_session_destroyed(lambda ctx: self.session.close())
            # the first run once the page is up: it arrives as every later one does
            # (an update the page draws), not inside the first document
            pn.state.onload(self.submit)
        else:
            self.submit()
        return self.page

    def submit(self) -> None:
        """Re-simulate the current state (on the worker; synchronously in a notebook)."""
        self.t_change = time.perf_counter()
        self._mark_start()
        try:
            self.toml.value = self.state.to_toml()
        except ValueError as exc:  # a value no recipe can hold; the controls prevent most
            self._show_error("general", f"not run: {exc}")
            return
        self._show_views(self.state.simulates)
        if not self.state.simulates:
            self._show_static()
            return
        if self._served():
            self.status.object = "running ..."
            self.session.submit(self.state)
        else:  # a notebook: the kernel's own thread
            try:
                self._apply(self.session.run(self.state))
            except ValueError as exc:
                self._apply(exc)

    def _served(self) -> bool:
        return self._doc is not None and self._doc.session_context is not None

    def _from_worker(self, outcome) -> None:
        doc = self._doc
        if doc is not None and doc.session_context is not None:
            doc.add_next_tick_callback(lambda: self._apply(outcome))
        else:
            self._apply(outcome)

    def _apply(self, outcome) -> None:
        """Show a new View, or the error next to the field it names."""
        if isinstance(outcome, Exception):
            self.failed = outcome
            key = getattr(outcome, "key", None) or ()
            msg = getattr(outcome, "detail", None) or str(outcome)
            if not isinstance(outcome, ValueError):
                msg = f"{type(outcome).__name__}: {msg}"
            self._show_error(self._section_of(key), msg)
            self.status.object = "not run: fix the value marked in red"
            return
        view = outcome
        self.failed = None
        self._clear_errors()
        if self._notice:  # shown with the first run, gone with the next change
            self._show_error("general", self._notice)
            self._notice = None
        if view.field is not None:
            self.map.set_field(view.field, view.axes)
        slice_note = (
            "" if view.dim == 2 else f"x1, x2 of {view.dim}-D runs over the slice through the start"
        )
        self.map.set_note("; ".join(x for x in (slice_note, view.note) if x))
        self.current = view
        self.map.set_view(view)
        self.loss.set_view(view)
        last = len(view.steps) - 1
        with self._quietly():
            self.player.end = max(last, 1)
            self.player.value = last
        self.loss.show(view.steps[last])
        self.counters.object = _counters_html(view)
        self.claims.object = _claims_html(view.verdicts)
        self._show_lesson(view.verdicts)
        t = view.timings
        ms = (time.perf_counter() - self.t_change) * 1e3 if self.t_change else float("nan")
        every = int(view.steps[1] - view.steps[0]) if len(view.steps) > 1 else 1
        drawn = "" if every == 1 else f" (every {every}th step drawn)"
        self.status.object = (
            f"update {self.session.runs} · {view.n:,} trajectories × {view.total_steps:,} steps{drawn}"
            f" × {len(view.names)} optimizers · simulate {t['simulate'] * 1e3:.0f} ms, prepare "
            f"{t['prepare'] * 1e3:.0f} ms · change to data {ms:.0f} ms"
        )
        self._push_notebook()
        if self._served():
            try:
                q = self.state.to_query()
                pn.state.location.update_query(s=q)
                loc = pn.state.location
                host = loc.hostname + (f":{loc.port}" if loc.port else "")
                self.link.value = f"{loc.protocol}//{host}{loc.pathname}?s={q}"
            except ValueError as exc:
                self.link.value = str(exc)

    def _show_lesson(self, verdicts) -> None:
        """The recipe's title and lesson; flagged when its claims do not all hold on this run."""
        title, lesson = (html.escape(str(self.state.data.get(k, ""))) for k in ("title", "lesson"))
        flag = ""  # a link's text is never markup (escaped above)
        if verdicts and not all(h is True for _, h, _ in verdicts):
            flag = "*The recipe's lesson; not all of it holds on this run (see its claims below):* "
        self.lesson.object = f"### {title}\n{flag}{lesson}"

    def _push_notebook(self) -> None:
        """In a notebook, edits of the Bokeh models reach the page only when pushed."""
        if not self._served() and (self._map_pane._models or self._loss_pane._models):
            pn.io.push_notebook(self._map_pane, self._loss_pane)

    def _show_views(self, simulated: bool) -> None:
        """The run's views (map, loss, player, counters) for a simulation, the figure otherwise."""
        self._run_views.visible = self._player_row.visible = simulated
        self.figure.visible = not simulated
        if not simulated:
            self.current, self.link.value = None, ""
            self.status.object = ""

    def _show_static(self) -> None:
        """A figure that simulates nothing (EWA, schedules): drawn by its renderer."""
        try:
            rec = self.state.recipe()
            with tempfile.TemporaryDirectory() as tmp:
                made = rec.make(os.path.join(tmp, "figure.png"))
                self.figure.object = made.path.read_bytes()
            self.figure.visible = True
            self.claims.object = _claims_html(
                [(v.claim.says, v.holds, v.text) for v in made.verdicts]
            )
            self._clear_errors()
        except ValueError as exc:
            self._apply(exc)

    # -- controls ------------------------------------------------------------------
    def _alert(self, section: str):
        pane = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["ls-error", f"ls-error-{_css(section)}"],
                             sizing_mode="stretch_width", margin=(0, 5))  # fmt: skip
        self._errors[section] = pane
        return pane

    def _show_error(self, section: str, msg: str) -> None:
        self._clear_errors()
        pane = self._errors.get(section, self.general)
        pane.object, pane.visible = html.escape(msg), True  # values are echoed: never markup

    def _clear_errors(self) -> None:
        for pane in self._errors.values():
            pane.visible = False

    def _section_of(self, key) -> str:
        """The control section an error's key path belongs to."""
        if not key:
            return "general"
        if key[0] == "optimizers" and len(key) > 1 and f"opt:{key[1]}" in self._errors:
            return f"opt:{key[1]}"
        if key[0] == "simulate" and len(key) > 1 and key[1] == "events":
            return "events"
        return key[0] if key[0] in self._errors else "general"

    def _rebuild(self) -> None:
        """Make every control from the state (after a structural change)."""
        with self._quietly():
            self._errors = {"general": self.general}
            self.widgets = {}  # key path -> the control that edits it (tests and notebooks drive these)
            for w in getattr(self, "exports", ()):  # downloads are named after the recipe
                w.filename = f"{self.state.name}.{w.filename.rsplit('.', 1)[-1]}"
            self._show_views(self.state.simulates)
            self._show_lesson(None)
            parts = [self._preset_card()]
            if self.state.simulates:
                parts += [self._surface_card(), self._optimizers_card(), self._starts_card(),
                          self._simulate_card(), self._events_card()]  # fmt: skip
            else:
                parts.append(
                    pn.pane.Markdown(
                        "This figure simulates nothing: edit its TOML below the figure."
                    )
                )
            self.controls[:] = parts

    def _edit(self, path, convert=None):
        """A watcher that sets ``path`` in the state and re-simulates.

        ``convert`` maps the control's value to the recipe's (None: remove the
        key, e.g. no noise); without it an emptied box is an error at its field.
        """

        def cb(event):
            if self._quiet:
                return
            v = event.new
            if convert is None and v is None:
                self._empty(path)
                return
            if convert is not None:
                v = convert(v)
            if v is None:
                self.state.delete(path)
            else:
                self.state.set(path, v)
            self.submit()

        return cb

    def _empty(self, path) -> None:
        """An emptied number box: say so at its field, run nothing."""
        from ..recipes import keypath

        self._show_error(self._section_of(path), f"{keypath(path)} is empty: type a number")
        self.status.object = "not run: fix the value marked in red"

    def _preset_card(self):
        names = ["(default)"] + [p.stem for p in recipes.gallery_paths()]
        sel = pn.widgets.Select(label="open a gallery recipe", options=names, css_classes=["ls-preset"],
                                value=self.state.name if self.state.name in names else "(default)")  # fmt: skip

        def pick(event):
            if self._quiet:
                return
            self.state = State() if event.new == "(default)" else State.from_recipe(event.new)
            self._rebuild()
            self.submit()

        sel.param.watch(pick, "value")
        self.widgets[("preset",)] = sel
        return pn.Card(sel, title="Preset", collapsible=False, sizing_mode="stretch_width")

    def _surface_card(self):
        surf = self.state.data.get("surface", {})
        fams = explorable_surfaces()
        current = FORMULA if "expression" in surf else surf.get("name", "rosenbrock")
        options = (
            fams + [FORMULA] if current in fams or current == FORMULA else [current, *fams, FORMULA]
        )
        sel = pn.widgets.Select(
            label="surface", options=options, value=current, css_classes=["ls-surface"]
        )
        sel.param.watch(self._on_surface, "value")
        self.widgets[("surface",)] = sel
        rows = [sel]
        if current == FORMULA:
            text = pn.widgets.TextInput(label="formula of x, y (e.g. x**2 - y**2 + 0.25*(x**4 + y**4))",
                                        value=str(surf.get("expression", "")), css_classes=["ls-formula"])  # fmt: skip
            text.param.watch(self._edit(("surface", "expression")), "value")
            self.widgets[("surface", "expression")] = text
            rows.append(text)
            for k, v in (surf.get("params") or {}).items():
                w = pn.widgets.FloatInput(label=k, value=_num(v), width=140)
                w.param.watch(self._edit(("surface", "params", k)), "value")
                rows.append(w)
        else:
            params = surface_parameters(current) or {}
            if recipes.RENDERERS[self._render_kind()].needs_2d:  # a map: the surface stays 2-D
                params = {k: v for k, v in params.items() if k not in _DIMENSION_KEYS}
            for k, default in params.items():
                v = surf.get(k, default)
                if not isinstance(v, (int, float)) or isinstance(v, bool):
                    continue
                cls = pn.widgets.IntInput if isinstance(default, int) else pn.widgets.FloatInput
                w = cls(label=k, value=v, width=140, css_classes=[f"ls-surface-{k}"])
                w.param.watch(self._edit(("surface", k)), "value")
                self.widgets[("surface", k)] = w
                rows.append(w)
        rows.append(self._alert("surface"))
        return pn.Card(*rows, title="Surface", sizing_mode="stretch_width")

    def _on_surface(self, event):
        if self._quiet:
            return
        if event.new == FORMULA:
            table = {"expression": "x**2 - y**2 + 0.25*(x**4 + y**4)", "bounds": [-2.5, 2.5]}
        else:
            table = {"name": event.new}
            if "dim" in (surface_parameters(event.new) or {}):
                table["dim"] = 2
        box = None  # the starts go inside the new surface's box
        if "bounds" in table:
            box = [table["bounds"]] * 2
        else:
            try:  # building a built-in surface compiles nothing (its first run does)
                rec = State({**self.state.data, "surface": table, "claims": []}, self.state.name)
                box = self.session.recipe(rec).surface.bounds
            except ValueError:
                pass
        self.state.set_surface(table, box)
        self._rebuild()
        self.submit()

    def _optimizers_card(self):
        opts = self.state.data.get("optimizers", {})
        finite = self.state.get(("surface", "name")) in ("linear_regression", "logistic_regression",
                                                          "tanh_network")  # fmt: skip
        cards = [self._optimizer_card(label, spec, finite) for label, spec in opts.items()]
        kind = pn.widgets.Select(
            label="add an optimizer", options=optim.names(), value="adam", width=150
        )
        add = pn.widgets.Button(label="Add", color="success", width=80, css_classes=["ls-add"])

        def on_add(_):
            self.state.add_optimizer(kind.value)
            self._rebuild()
            self.submit()

        add.on_click(on_add)
        self.widgets[("optimizers", "add")] = (kind, add)
        return pn.Card(*cards, pn.Row(kind, add), title="Optimizers", sizing_mode="stretch_width")

    def _optimizer_card(self, label, spec, finite):
        kind = spec.get("kind", label)
        known = kind in optim.names()
        name = pn.widgets.TextInput(label="label", value=label, width=130)
        ksel = pn.widgets.Select(
            label="kind", options=optim.names(), value=kind if known else "gd", width=130
        )
        rows = [pn.Row(name, ksel)]
        lr = spec.get("lr", hyperparameters(kind)["lr"] if known else 0.01)
        lrnum = _num(lr, 0.01) if _num(lr, 0.01) > 0 else 0.01
        slider = FastSlider(label=f"log10 lr ({lrnum:.3g})", start=-5, end=1, step=0.01,
                            value=round(math.log10(lrnum), 2), css_classes=["ls-lr"], width=280)  # fmt: skip

        def on_lr(event):
            if self._quiet:
                return
            v = float(f"{10**event.new:.4g}")
            slider.label = f"log10 lr ({v:.3g})"
            self.state.set(("optimizers", label, "lr"), v)
            with self._quietly():  # the box shows the slider's lr (and the slider a typed one)
                lrin.value = v
            self.submit()

        slider.param.watch(on_lr, "value")
        lrin = pn.widgets.FloatInput(label="lr", value=_num(lr, lrnum),
                                     width=130, css_classes=["ls-lr-value"])  # fmt: skip

        def on_lr_typed(event):
            if self._quiet:
                return
            v = event.new
            if v is None:
                self._empty(("optimizers", label, "lr"))
                return
            self.state.set(("optimizers", label, "lr"), v)
            if isinstance(v, (int, float)) and v > 0 and math.isfinite(v):
                slider.label = f"log10 lr ({v:.3g})"
                with self._quietly():
                    slider.value = min(max(round(math.log10(v), 2), slider.start), slider.end)
            self.submit()

        lrin.param.watch(on_lr_typed, "value")
        self.widgets[("optimizers", label, "lr")] = lrin
        self.widgets[("optimizers", label, "log10 lr")] = slider
        rows += [slider, lrin]
        hp = hyperparameters(kind) if known else {}
        inputs = [pn.widgets.FloatInput(label=k, value=_num(spec.get(k, d), d), width=90)
                  for k, d in hp.items() if k != "lr"]  # fmt: skip
        for w in inputs:
            w.param.watch(self._edit(("optimizers", label, w.label)), "value")
            self.widgets[("optimizers", label, w.label)] = w
        if inputs:
            rows.append(pn.Row(*inputs))
        sched = spec.get("schedule")
        sname = (sched if isinstance(sched, str) else (sched or {}).get("name")) or "none"
        ssel = pn.widgets.Select(label="learning-rate schedule", options=["none", *_schedules.names()],
                                 value=sname if sname in _schedules.names() else "none", width=200)  # fmt: skip

        def on_schedule(event):
            if self._quiet:
                return
            if event.new == "none":
                self.state.delete(("optimizers", label, "schedule"))
            else:
                self.state.set(("optimizers", label, "schedule"),
                               {"name": event.new, **schedule_parameters(event.new)})  # fmt: skip
            self._rebuild()
            self.submit()

        ssel.param.watch(on_schedule, "value")
        self.widgets[("optimizers", label, "schedule")] = ssel
        rows.append(ssel)
        if isinstance(sched, dict) and sname in _schedules.names():
            ws = []
            for k, d in schedule_parameters(sname).items():
                v = sched.get(k, d)
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    w = pn.widgets.FloatInput(label=k, value=_num(v), width=90)
                    w.param.watch(self._edit(("optimizers", label, "schedule", k),
                                             lambda x, d=d: int(x) if isinstance(d, int) and x is not None else x), "value")  # fmt: skip
                    ws.append(w)
                    self.widgets[("optimizers", label, "schedule", k)] = w
            if ws:
                rows.append(pn.Row(*ws))
        if finite:
            b = spec.get("batch_size", self.state.get(("simulate", "batch_size"), "m"))
            bs = pn.widgets.IntInput(label="batch size (0: the full batch)", value=0 if b == "m" else _int(b),
                                     width=200)  # fmt: skip
            bs.param.watch(self._edit(("optimizers", label, "batch_size"), lambda x: "m" if not x else int(x)),
                           "value")  # fmt: skip
            rows.append(bs)
            self.widgets[("optimizers", label, "batch_size")] = bs
        remove = pn.widgets.Button(label="Remove", color="danger", width=80,
                                   disabled=len(self.state.data.get("optimizers", {})) < 2)  # fmt: skip

        def on_remove(_):
            self.state.data["optimizers"].pop(label, None)
            self._rebuild()
            self.submit()

        def on_kind(event):
            if self._quiet:
                return
            self.state.set_kind(label, event.new)
            opts = self.state.data["optimizers"]
            if label == event.old and event.new not in opts:  # "gd" now runs rmsprop: call it so
                self.state.rename(label, event.new, claims=False)  # its claims were about gd
            self._rebuild()
            self.submit()

        def on_rename(event):
            if self._quiet:
                return
            try:
                self.state.rename(label, event.new)
            except ValueError as exc:
                self._show_error(f"opt:{label}", f"label: {exc}")
                return
            self._rebuild()
            self.submit()

        remove.on_click(on_remove)
        ksel.param.watch(on_kind, "value")
        name.param.watch(on_rename, "value")
        self.widgets.update({("optimizers", label, "remove"): remove, ("optimizers", label, "kind"): ksel,
                             ("optimizers", label, "label"): name})  # fmt: skip
        rows += [remove, self._alert(f"opt:{label}")]
        return pn.Card(
            *rows,
            title=html.escape(label),
            sizing_mode="stretch_width",
            css_classes=["ls-optimizer", f"ls-opt-{_css(label)}"],
        )

    def _starts_card(self):
        st = self.state
        kind = st.start_kind()
        centre = [_num(c) for c in (st.start_centre() or [0.0, 0.0])] + [0.0]
        ksel = pn.widgets.Select(label="start", options=list(START_KINDS), value=kind if kind in START_KINDS else "point",
                                 css_classes=["ls-start-kind"])  # fmt: skip
        self._cx = pn.widgets.FloatInput(
            label="centre x", value=centre[0], width=100, css_classes=["ls-cx"]
        )
        self._cy = pn.widgets.FloatInput(
            label="centre y", value=centre[1], width=100, css_classes=["ls-cy"]
        )
        try:
            spread_now, count_now = st.start_spread(), st.start_count()
        except (TypeError, ValueError):  # values of the wrong type: the run's message names them
            spread_now, count_now = 0.0, 1
        spread = pn.widgets.FloatInput(label="spread", value=_num(spread_now), width=100)
        label = "points a side" if kind == "grid" else "trajectories"
        n = pn.widgets.IntInput(
            label=label, value=_int(count_now, 1), width=130, css_classes=["ls-n"]
        )

        def change(**kw):
            if self._quiet:
                return
            for key, w in (("x", self._cx), ("y", self._cy), ("spread", spread), ("n", n)):
                if w.value is None:
                    self._empty(("starts", key))
                    return
            dim = self.current.dim if self.current is not None else 2
            c = [self._cx.value, self._cy.value] + [0.0] * (dim - 2)
            self.state.set_starts(centre=c, dim=dim, **kw)
            self.submit()

        ksel.param.watch(lambda e: (change(kind=e.new), self._rebuild()), "value")
        self._cx.param.watch(lambda e: change(), "value")
        self._cy.param.watch(lambda e: change(), "value")
        spread.param.watch(lambda e: change(spread=e.new), "value")
        n.param.watch(lambda e: change(n=e.new), "value")
        self.widgets.update({("starts", "kind"): ksel, ("starts", "x"): self._cx, ("starts", "y"): self._cy,
                             ("starts", "spread"): spread, ("starts", "n"): n})  # fmt: skip
        return pn.Card(ksel, pn.Row(self._cx, self._cy), pn.Row(spread, n), self._alert("starts"),
                       title="Starts (or click on the map)", sizing_mode="stretch_width")  # fmt: skip

    def _simulate_card(self):
        sim = self.state.data.get("simulate", {})
        steps = pn.widgets.IntInput(label="steps", value=_int(sim.get("steps", 100), 100), width=100,
                                    css_classes=["ls-steps"])  # fmt: skip
        steps.param.watch(self._edit(("simulate", "steps")), "value")
        nz = sim.get("noise", {})
        sigma = pn.widgets.FloatInput(label="gradient noise σ", value=_num(nz.get("sigma", 0.0)) if isinstance(nz, dict) else 0.0,
                                      width=120, css_classes=["ls-noise"])  # fmt: skip
        sigma.param.watch(
            self._edit(("simulate", "noise"), lambda x: {"sigma": x} if x else None), "value"
        )
        seed = pn.widgets.IntInput(label="seed", value=_int(sim.get("seed", 0)), width=80)
        seed.param.watch(self._edit(("simulate", "seed")), "value")
        dtype = pn.widgets.Select(
            label="dtype",
            options=["float64", "float32"],
            value=sim.get("dtype") if sim.get("dtype") in ("float64", "float32") else "float64",
            width=100,
        )
        dtype.param.watch(self._edit(("simulate", "dtype")), "value")
        self.widgets.update({("simulate", "steps"): steps, ("simulate", "noise"): sigma,
                             ("simulate", "seed"): seed, ("simulate", "dtype"): dtype})  # fmt: skip
        return pn.Card(pn.Row(steps, sigma), pn.Row(seed, dtype), self._alert("simulate"),
                       title="Simulation", sizing_mode="stretch_width")  # fmt: skip

    def _events_card(self):
        events = self.state.get(("simulate", "events"), {}) or {}
        name, spec = next(iter(events.items()), ("escaped", {"kind": "none"}))
        kind = spec.get("kind", "none") if isinstance(spec, dict) else "none"
        ksel = pn.widgets.Select(label=f"event {name!r}", options=_EVENT_KINDS,
                                 value=kind if kind in _EVENT_KINDS else "none", css_classes=["ls-event"])  # fmt: skip
        rows = [ksel]

        def on_kind(e):
            if self._quiet:
                return
            evs = dict(self.state.get(("simulate", "events"), {}) or {})
            if e.new == "none":
                evs.pop(name, None)
            elif e.new == "loss_below":
                evs[name] = {"kind": "loss_below", "level": 1e-3}
            else:
                c = self.state.start_centre() or [0.0, 0.0]
                evs[name] = {"kind": e.new, "center": c, "radius": 0.5}
            self.state.set(("simulate", "events"), evs) if evs else self.state.delete(
                ("simulate", "events")
            )
            self._rebuild()
            self.submit()

        ksel.param.watch(on_kind, "value")
        self.widgets[("simulate", "events")] = ksel
        if kind in ("leave_ball", "enter_ball"):
            r = pn.widgets.FloatInput(
                label="radius", value=_num(spec.get("radius", 0.5), 0.5), width=100
            )
            r.param.watch(self._edit(("simulate", "events", name, "radius")), "value")
            self.widgets[("simulate", "events", name, "radius")] = r
            rows.append(r)
            c = spec.get("center")
            if isinstance(c, list) and len(c) == 2:
                for i, axis in enumerate("xy"):
                    w = pn.widgets.FloatInput(label=f"centre {axis}", value=_num(c[i]), width=100)

                    def on_c(e, i=i):
                        if self._quiet:
                            return
                        if e.new is None:
                            self._empty(("simulate", "events", name, "center"))
                            return
                        cc = list(self.state.get(("simulate", "events", name, "center")))
                        cc[i] = e.new
                        self.state.set(("simulate", "events", name, "center"), cc)
                        self.submit()

                    w.param.watch(on_c, "value")
                    rows.append(w)
        elif kind == "loss_below":
            lv = pn.widgets.FloatInput(
                label="level", value=_num(spec.get("level", 1e-3), 1e-3), width=120
            )
            lv.param.watch(self._edit(("simulate", "events", name, "level")), "value")
            self.widgets[("simulate", "events", name, "level")] = lv
            rows.append(lv)
        rows.append(self._alert("events"))
        return pn.Card(*rows, title="Event (counted per run)", sizing_mode="stretch_width")

    # -- map, player -----------------------------------------------------------------
    def _on_tap(self, event) -> None:
        dim = self.current.dim if self.current is not None else 2
        c = [round(float(event.x), 4), round(float(event.y), 4)] + [0.0] * (dim - 2)
        self.state.set_starts(centre=c, dim=dim)
        with self._quietly():
            self._cx.value, self._cy.value = c[0], c[1]
        self.submit()

    def _mark_start(self) -> None:
        c = self.state.start_centre()
        evs = self.state.get(("simulate", "events"), {}) or {}
        ring = None
        for spec in evs.values():
            if isinstance(spec, dict) and spec.get("kind") in ("leave_ball", "enter_ball"):
                cc, r = spec.get("center"), spec.get("radius")
                if isinstance(cc, (int, float)) and not isinstance(cc, bool):
                    cc = [cc, cc]
                if isinstance(cc, list) and len(cc) >= 2 and isinstance(r, (int, float)):
                    ring = (float(cc[0]), float(cc[1]), float(r))
                break
        self.map.set_start(c[:2] if c else None, ring)

    def _on_frame(self, event) -> None:
        if self._quiet or self.current is None:
            return
        i = int(event.new)
        self.map.show(i)
        self.loss.show(self.current.steps[min(i, len(self.current.steps) - 1)])
        self._push_notebook()

    # -- exports -----------------------------------------------------------------------
    def export_toml(self) -> str:
        """The state as a recipe file; only the claims that hold on the current run are kept.

        When some of the recipe's claims no longer hold (or no longer
        apply), its lesson is replaced: the file says only what its run shows.
        """
        view = self.current
        if view is None or self.failed is not None or view.state != self.state:
            # the page has not shown this state's run (yet): measure its claims now
            view = self.session.run(self.state)
        verdicts = view.verdicts
        claims = self.state.data.get("claims", []) or []
        keep = [c for c, v in zip(claims, verdicts, strict=False) if v[1] is True]
        data_state = self.state.copy()
        if len(keep) < len(claims):
            data_state.data["lesson"] = (
                f"Explored by hand from {self.state.name}; "
                + (
                    "; ".join(c["says"] for c in keep)
                    if keep
                    else "no claim of the original lesson was kept"
                )
                + "."
            )
        return data_state.to_toml(claims=keep)

    def _export_toml(self):
        try:
            return io.StringIO(self.export_toml())
        except ValueError as exc:  # the state cannot run: say why on the page
            self._show_error(self._section_of(getattr(exc, "key", None) or ()),
                             f"export: {getattr(exc, 'detail', None) or exc}")  # fmt: skip
            raise

    def _export_render(self, fmt: str):
        """The state drawn by its recipe's renderer as ``fmt`` (gif, mp4), as a file object."""
        state = State.from_toml(self.export_toml(), self.state.name)
        rec = state.recipe(self.session.surfaces)
        with tempfile.TemporaryDirectory() as tmp:
            path = rec.make(os.path.join(tmp, f"{self.state.name}.{fmt}")).path
            return io.BytesIO(path.read_bytes())

    async def _export_in_background(self, fmt: str):
        """The download's callback: rendering runs on a thread, the page stays live.

        A failure (e.g. MP4 without ffmpeg) is shown on the page, not only logged.
        """
        self.status.object = (
            f"rendering the {fmt.upper()} (the full recipe, as landscape render draws it) ..."
        )
        try:
            data = await asyncio.to_thread(self._export_render, fmt)
        except Exception as exc:
            self._show_error(
                "general", f"export {fmt.upper()}: {getattr(exc, 'detail', None) or exc}"
            )
            raise
        self.status.object = f"{fmt.upper()} rendered ({len(data.getvalue()):,} bytes)"
        return data

    def _on_apply_toml(self, _) -> None:
        """Replace the state by the TOML text; a text that does not parse changes nothing."""
        self.toml_error.visible = False
        try:
            state = State.from_toml(self.toml.value or "", self.state.name)
        except ValueError as exc:
            self.toml_error.object, self.toml_error.visible = html.escape(str(exc)), True
            return
        self.state = state
        self._rebuild()
        self.submit()
        if self.failed is not None or any(p.visible for p in self._errors.values()):
            self.toml_error.object = "applied; see the message next to the field it names above"
            self.toml_error.visible = True

    def _render_kind(self) -> str:
        kind = self.state.get(("render", "kind"))
        return kind if kind in recipes.RENDERERS else "swarm"


def _num(v, default=0.0) -> float:
    """``v`` if it is a finite real number (a control shows it), else ``default``.

    A recipe or link may hold a string where a number belongs; the control then
    shows ``default`` and the run's message names the field and the bad value.
    """
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    return float(v) if ok else float(default)


def _int(v, default=0) -> int:
    """``v`` if it is an integer (a control shows it), else ``default``."""
    return v if isinstance(v, int) and not isinstance(v, bool) else int(default)


def _css(text: str) -> str:
    """``text`` as a CSS class name: ``opt:momentum β=0.9`` -> ``opt-momentum--0-9``."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in text)


def _counters_html(view) -> str:
    heads = ["optimizer", "diverged"] + [f"{ev} (median step)" for ev in view.events]
    rows = []
    for name, colour, c in zip(view.names, view.colours, view.counters, strict=False):
        cells = [
            f'<span style="color:{colour}">●</span> {html.escape(name)}',
            f"{c['diverged']:.0%}",
        ]
        for ev in view.events:
            frac, med = c[ev]
            cells.append(f"{frac:.0%}" + (f" ({med:.0f})" if med is not None else ""))
        rows.append("<tr>" + "".join(f"<td>{x}</td>" for x in cells) + "</tr>")
    head = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr>"
    return f'<table class="ls-counters-table">{head}{"".join(rows)}</table>'


def _claims_html(verdicts) -> str:
    if not verdicts:
        return ""
    marks = {True: ("✓", "#2a7d2a"), False: ("✗", "#b00020"), None: ("–", "#777")}
    items = []
    for says, holds, text in verdicts:
        m, colour = marks[holds]
        items.append(f'<li style="color:{colour}" title="{html.escape(text)}">{m} {html.escape(says)}'
                     f'<br><small>{html.escape(text)}</small></li>')  # fmt: skip
    return "<b>The lesson's claims, measured on this run</b><ul>" + "".join(items) + "</ul>"
