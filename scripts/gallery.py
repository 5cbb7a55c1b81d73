"""Render the gallery (animations/*.toml), or print its table for animations/README.md.

    python scripts/gallery.py                 # same as `landscape gallery` (all options too)
    python scripts/gallery.py --only plateau saddle_escape --scale 0.5
    python scripts/gallery.py --table         # Markdown table: recipe -> output -> lesson

The rendering is ``landscape gallery`` (``landscape.cli``); this script only
adds ``--table``, which keeps animations/README.md in step with the recipes.
"""

from __future__ import annotations

import sys

from landscape import cli, recipes


def table() -> str:
    """The Markdown table of the bundled recipes (validated)."""
    lines = ["| recipe | output | renderer | what it teaches |", "|---|---|---|---|"]
    for path in recipes.gallery_paths():
        rec = recipes.load(path)
        lesson = rec.lesson.replace("|", "\\|")
        lines.append(f"| `{rec.name}` | `{rec.output}` | {rec.kind} | {lesson} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--table" in argv:
        try:
            print(table())
        except ValueError as exc:
            print(f"gallery: error: {exc}", file=sys.stderr)
            return 2
        return 0
    return cli.main(["gallery", *argv])


if __name__ == "__main__":
    sys.exit(main())
