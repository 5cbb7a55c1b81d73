"""Regenerate the README's pictures (docs/img) from the gallery and the experiment scripts.

    python scripts/docs_images.py                 # the four gallery GIFs of the README
    python scripts/docs_images.py --figures       # also the experiment figures (about 3 min)
    python scripts/docs_images.py -o /tmp/img --scale 0.3 --max-frames 4   # a quick check
    python scripts/docs_images.py --explorer      # also the explorer's screenshot (chromium)

Nothing in docs/img is drawn by hand: the GIFs are the gallery's own recipes
(``animations/*.toml``) rendered by ``landscape.recipes`` — the same
colours, labels and claims as ``landscape gallery`` — and the PNGs are
written by ``scripts/highdim.py``, ``scripts/minibatch_compare.py`` and
``scripts/study_survival.py`` (from a study's Zarr store); the
explorer's screenshot is its page on a gallery recipe, served by
``landscape.explorer`` and taken in headless Chromium (Playwright).  Each
recipe's claims are measured on the run that is drawn; the script stops
with status 1 if one does not hold.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from landscape import recipes

ROOT = Path(__file__).resolve().parent.parent
#: README picture -> the gallery recipe that draws it
GALLERY = {
    "momentum_bowl.gif": "momentum_bowl",
    "adam_rosenbrock.gif": "adam_rosenbrock",
    "saddle_escape.gif": "saddle_escape",
    "ewa_temperature.gif": "ewa_temperature",
    "valley_pass.gif": "valley_pass",
}
#: README picture -> (script, the file it writes into its output folder)
FIGURES = {
    "highdim_saddles.png": ("highdim.py", "saddles.png"),
    "highdim_escape.png": ("highdim.py", "escape.png"),
    "highdim_pspin.png": ("highdim.py", "pspin.png"),
    "minibatch_compare.png": ("minibatch_compare.py", "minibatch_compare.png"),
    "study_survival.png": ("study_survival.py", "survival.png"),
}
#: README picture -> the gallery recipe the explorer shows in it
SCREENSHOTS = {"explorer.png": "saddle_escape"}
#: size of the README's GIFs relative to the recipe's own (the gallery's 800x450)
README_SCALE = 1.0


def _script(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name[:-3], ROOT / "scripts" / name)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def render_gallery(out: Path, scale: float, max_frames=None) -> int:
    """Render the README's GIFs; returns the number of claims that do not hold."""
    failed = 0
    for file, name in GALLERY.items():
        made = recipes.load(recipes.find(name)).make(out / file, scale=scale, max_frames=max_frames)
        print(f"{made.path}")
        for v in made.verdicts:
            print(f"    {v.text}")
        failed += sum(not v.holds for v in made.verdicts)
    return failed


def render_figures(out: Path, quick: bool) -> None:
    """Run the experiment scripts into a temporary folder and copy their figures."""
    with tempfile.TemporaryDirectory() as tmp:
        for script in dict.fromkeys(s for s, _ in FIGURES.values()):
            args = ["-o", str(Path(tmp) / script)] + (["--quick"] if quick else [])
            code = _script(script).main(args)
            if code:
                raise SystemExit(f"{script} exited with status {code}")
        for file, (script, produced) in FIGURES.items():
            shutil.copyfile(Path(tmp) / script / produced, out / file)
            print(out / file)


def screenshot(recipe: str, path: Path, size=(1400, 1000)) -> Path:
    """The explorer's page on ``recipe``, once its runs are drawn, as a PNG (Debian's chromium)."""
    from playwright.sync_api import sync_playwright

    from landscape import explorer

    with explorer.running(recipe) as url:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            raise SystemExit("docs_images: the explorer's screenshot needs Debian's chromium")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.goto(url)
            page.wait_for_selector(".ls-status >> text=/update 1/", timeout=120_000)
            page.wait_for_timeout(1500)  # the paint after the data
            page.screenshot(path=str(path))
            browser.close()
    print(path)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", default=str(ROOT / "docs" / "img"), help="output folder")
    ap.add_argument("--scale", type=float, default=README_SCALE, help="picture size factor")
    ap.add_argument("--max-frames", type=int, default=None, help="at most N frames per GIF")
    ap.add_argument("--figures", action="store_true", help="also the experiment figures")
    ap.add_argument("--quick", action="store_true", help="experiment figures at CI sizes")
    ap.add_argument("--explorer", action="store_true", help="also the explorer's screenshot")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = render_gallery(out, args.scale, args.max_frames)
    if args.figures:
        render_figures(out, args.quick)
    if args.explorer:
        for file, name in SCREENSHOTS.items():
            screenshot(name, out / file)
    if failed:
        print(f"docs_images: {failed} claim(s) do not hold", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
