"""The explorer in a real browser: Playwright driving Debian's chromium (issue #16).

One server in this process (the default state: Rosenbrock, 1,000 starts x 500
steps x gd / momentum / adam), one headless chromium.  The page is driven as a
person would: a key press on the gd learning-rate slider, a click on the map,
a bad learning rate typed into its box, the recipe exported, the page's own
link opened in a new tab.  Never ``playwright install``: the browser is the
system's (``.ci/run`` installs Debian's ``chromium``); without one, or
without Playwright, these tests are skipped.
"""

from __future__ import annotations

import importlib.util
import shutil
import time
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no chromium binary on PATH (apt-get install chromium)", allow_module_level=True)
if importlib.util.find_spec("playwright") is None:
    pytest.skip("playwright is not importable (pip install playwright)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

from landscape import explorer, recipes  # noqa: E402
from landscape.explorer.state import State  # noqa: E402

#: A column of a named Bokeh source in the page, as a plain array (null before the page is up).
COLUMN_JS = """([name, col]) => {
  const docs = window.Bokeh && window.Bokeh.documents;
  if (!docs || !docs.length) return null;
  const m = docs[0].get_model_by_name(name);
  if (!m) return null;
  const v = m.data instanceof Map ? m.data.get(col) : m.data[col];
  return v ? Array.from(v) : null;
}"""
#: The page pixel of the map's data point (x, y).
MAP_PIXEL_JS = """([x, y]) => {
  const fig = Bokeh.documents[0].get_model_by_name('map');
  const view = Bokeh.index.find_one(fig);
  const r = view.canvas_view.el.getBoundingClientRect();
  return [r.left + view.frame.x_scale.compute(x), r.top + view.frame.y_scale.compute(y)];
}"""
#: Console lines that are not problems of the page: SwiftShader's WebGL performance notes.
HARMLESS = ("GPU stall", "GL Driver Message")


@pytest.fixture(scope="module")
def url():
    """The explorer of the default state, served by a thread of this process."""
    with explorer.running(State()) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def problems():
    """Console errors and warnings, and uncaught page errors, of the pages a test opens."""
    return []


def _open(browser, problems, address):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)

    def console(msg):
        if msg.type in ("error", "warning") and not any(h in msg.text for h in HARMLESS):
            problems.append(f"console {msg.type}: {msg.text}")

    page.on("console", console)
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.goto(address)
    return page


def _swarm_x(page):
    return page.evaluate(COLUMN_JS, ["swarm", "x"])


def _first_data(page, timeout=60_000):
    """Wait for the first run's positions (they may come with the page: no change event)."""
    page.wait_for_function(f"() => {{ const x = ({COLUMN_JS})(['swarm', 'x']); return x && x.length > 0; }}",
                           timeout=timeout, polling=20)  # fmt: skip
    return _swarm_x(page)


def _changes(page) -> int:
    return page.evaluate("() => window.__ls_swarm || 0")


def _new_data(page, count, before, timeout=30_000):
    """Wait until the swarm data changed after change ``count`` and differs from ``before``."""
    page.wait_for_function("(c) => (window.__ls_swarm || 0) > c", arg=count, timeout=timeout,
                           polling=10)  # fmt: skip
    end = time.monotonic() + timeout / 1e3
    while (x := _swarm_x(page)) == before:
        assert time.monotonic() < end, "the swarm data did not change"
        time.sleep(0.05)
    return x


def _settle(page, quiet=0.4, timeout=30.0):
    """Wait until no swarm data arrived for ``quiet`` seconds (a run may be followed by one more)."""
    end = time.monotonic() + timeout
    last = _changes(page)
    t = time.monotonic()
    while time.monotonic() - t < quiet:
        assert time.monotonic() < end, "the page kept changing"
        time.sleep(0.05)
        if (now := _changes(page)) != last:
            last, t = now, time.monotonic()
    return _swarm_x(page)


def _text(page, css: str) -> str:
    """The text of a Panel pane (it lives in the pane's shadow root)."""
    return page.locator(css).first.evaluate(
        "(el) => [...(el.shadowRoot || el).children].filter((c) => !['STYLE', 'LINK']"
        ".includes(c.tagName)).map((c) => c.innerText).join('')"
    )


def _lr_box(page):
    return page.locator(".ls-opt-gd .ls-lr-value input").first


def _type_lr(page, value: str) -> None:
    box = _lr_box(page)
    box.fill(value)
    box.press("Enter")


def test_every_change_reruns_the_page_and_the_link_restores_it(url, browser, problems, tmp_path):
    page = _open(browser, problems, url)
    x = _first_data(page)
    assert len(x) == 3 * 1000  # 1,000 trajectories x 3 optimizers, as points
    x = _settle(page)

    # the gd learning rate slider, by keyboard (a click on the handle only focuses it)
    handle = page.locator(".ls-lr .noUi-handle").first
    handle.click()
    x = _settle(page)
    count = _changes(page)
    handle.press("ArrowRight")
    x = _new_data(page, count, x)
    assert _text(page, ".ls-status").startswith("update ")
    assert float(_lr_box(page).input_value()) == pytest.approx(10**-2.99, rel=1e-3)
    x = _settle(page)

    # a click on the map moves the start there (map coordinates) and re-runs
    target = (-1.0, 1.0)
    px, py = page.evaluate(MAP_PIXEL_JS, list(target))
    count = _changes(page)
    page.mouse.click(px, py)
    page.wait_for_function(
        f"([x, y]) => {{ const s = ({COLUMN_JS})(['start', 'x']), t = ({COLUMN_JS})(['start', 'y']);"
        " return s && s.length && Math.abs(s[0] - x) < 0.05 && Math.abs(t[0] - y) < 0.05; }",
        arg=list(target), timeout=30_000, polling=10)  # fmt: skip
    x = _new_data(page, count, x)
    x = _settle(page)

    # a negative learning rate: the message next to gd's field names lr; nothing runs
    error = page.locator(".ls-error-opt-gd").first
    assert not error.is_visible()
    _type_lr(page, "-0.1")
    error.wait_for(state="visible", timeout=30_000)
    message = page.locator(".ls-error-opt-gd").get_by_text("lr", exact=False).first
    message.wait_for(state="visible", timeout=10_000)
    assert "-0.1" in _text(page, ".ls-error-opt-gd")
    assert "not run" in _text(page, ".ls-status")
    # ... and the page lives on: a good value runs again and clears the message
    count = _changes(page)
    _type_lr(page, "0.002")
    x = _new_data(page, count, x)
    error.wait_for(state="hidden", timeout=10_000)
    x = _settle(page)

    # the recipe file: valid, with the lr and the start set on the page
    with page.expect_download(timeout=30_000) as download:
        page.locator(".ls-export-toml button").first.click()
    data = tomllib.loads(Path(download.value.path()).read_text())
    recipe = recipes.from_dict(data, "explore")
    assert data["optimizers"]["gd"]["lr"] == 0.002
    assert data["starts"]["mean"] == pytest.approx(list(target), abs=0.05)
    assert recipe.optimizers["gd"].lr == 0.002

    # the page's own link, opened in a new tab, brings the same state and the same runs back
    link = page.locator(".ls-link input").first.input_value()
    assert "?s=" in link
    page.wait_for_function("(u) => window.location.href === u", arg=link, timeout=10_000)
    page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
    again = _open(browser, problems, page.url)
    _first_data(again)
    y = _settle(again)
    assert float(_lr_box(again).input_value()) == 0.002
    assert again.evaluate(COLUMN_JS, ["start", "x"]) == pytest.approx([target[0]], abs=0.05)
    assert y == pytest.approx(x, rel=1e-6, abs=1e-6)
    again.close()
    page.close()
    assert not problems, problems


def test_a_damaged_link_shows_the_default_state_and_says_why(url, browser, problems):
    page = _open(browser, problems, url + "?s=not-a-state")
    assert len(_first_data(page)) == 3 * 1000
    page.locator(".ls-error-general").get_by_text("could not be read", exact=False).first.wait_for(
        state="visible", timeout=30_000
    )
    page.close()
    assert not problems, problems


def test_many_quick_changes_and_a_closed_tab_leave_the_server_working(url, browser, problems):
    page = _open(browser, problems, url)
    _first_data(page)
    _settle(page)
    handle = page.locator(".ls-lr .noUi-handle").first
    handle.click()
    _settle(page)
    for _ in range(15):  # faster than the runs: they collapse into a few ("latest wins")
        handle.press("ArrowRight")
    _settle(page, quiet=1.0)
    lr = float(_lr_box(page).input_value())
    assert lr == pytest.approx(10 ** (-3 + 15 * 0.01), rel=2e-3)  # every press landed
    runs = int(_text(page, ".ls-status").split()[1])
    assert 2 <= runs <= 16  # the first run, then at most one per key press
    handle.press("ArrowRight")  # a run in flight when the tab closes
    page.close()
    again = _open(browser, problems, url)
    assert len(_first_data(again)) == 3 * 1000
    again.close()
    assert not problems, problems
