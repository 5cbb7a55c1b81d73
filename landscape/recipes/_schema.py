"""The recipes' schema kit: key paths, one-line errors, typed readers, constructor calls.

Every reader takes a :class:`Ctx` (the recipe file, for messages) and the
key path of what it reads, e.g. ``("optimizers", "momentum β=0.9", "beta")``;
a wrong value raises :class:`RecipeError` naming the file, the key
(:func:`keypath`), the value and what is allowed.
"""

from __future__ import annotations

import inspect
import re
import tomllib
from pathlib import Path

from .. import _validate as V

__all__ = [
    "Ctx",
    "RecipeError",
    "build",
    "call",
    "choice",
    "display",
    "keypath",
    "nonempty_string",
    "one_line",
    "read_toml",
    "require",
    "signature",
    "string",
    "table",
    "type_name",
    "unknown",
]


class RecipeError(ValueError):
    """A recipe that cannot be run; the message names the file and the key.

    ``key`` is the key path that was wrong (a tuple such as ``("optimizers",
    "gd", "lr")``; ``()`` for the file as a whole, ``None`` when unknown) and
    ``detail`` the message without the file: what the explorer shows next to
    the field.
    """

    key = None
    detail = None


def _error(msg: str, key=None, file: str = "") -> RecipeError:
    """A :class:`RecipeError` with its ``key`` and ``detail`` set."""
    err = RecipeError(one_line(msg))
    err.key = None if key is None else tuple(key)
    text = str(err)
    err.detail = text[len(file) + 2 :] if file and text.startswith(file + ": ") else text
    return err


# ---------------------------------------------------------------------------
# key paths and error messages
# ---------------------------------------------------------------------------
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _quote(key) -> str:
    if isinstance(key, int):
        return f"[{key}]"
    key = str(key)
    if _BARE.match(key):
        return key
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def keypath(path) -> str:
    """A TOML-style dotted key, e.g. ``optimizers."momentum β=0.9".beta``."""
    out = ""
    for k in path:
        q = _quote(k)
        out += q if (q.startswith("[") or not out) else "." + q
    return out


def one_line(text: str) -> str:
    """``text`` on one line, control characters escaped (user text is echoed)."""
    # user text (labels, keys) is echoed: escape control characters (ANSI escapes too)
    return V.safe_text(" ".join(str(text).split()))


class Ctx:
    """Builds errors that name the recipe file."""

    def __init__(self, file: str):
        self.file = file

    def error(self, path, msg: str) -> RecipeError:
        """``file: key.path msg`` on one line."""
        where = keypath(path)
        return _error(f"{self.file}: {where + ' ' if where else ''}{msg}", path, self.file)

    def file_error(self, msg: str) -> RecipeError:
        """``file: msg`` on one line (no key)."""
        return _error(f"{self.file}: {msg}", (), self.file)

    def translate(self, path, exc: Exception, params=()) -> RecipeError:
        """Re-raise a constructor's ``ValueError`` ("lr must be > 0 ...") at ``path``."""
        msg = one_line(str(exc))
        best = ""
        for p in params:
            if (msg.startswith(p + " ") or msg.startswith(p + "[")) and len(p) > len(best):
                best = p
        if best:
            key = (*path, best)
            return _error(f"{self.file}: {keypath(key)}{msg[len(best) :]}", key, self.file)
        where = keypath(path)
        return _error(f"{self.file}: {where + ': ' if where else ''}{msg}", path, self.file)

    def check(self, fn, path, value, *args, **kw):
        """Run a check ``fn(name, value, ...)``, naming ``path`` in its message.

        ``fn`` is a :mod:`landscape._validate` check or a renderer's option
        check (:mod:`landscape.render.options`); its ``ValueError`` becomes a
        :class:`RecipeError` that names the file.
        """
        try:
            return fn(keypath(path), value, *args, **kw)
        except ValueError as exc:
            raise _error(f"{self.file}: {one_line(exc)}", path, self.file) from None


def display(path: Path) -> str:
    """``path`` relative to the current directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


# ---------------------------------------------------------------------------
# small typed readers
# ---------------------------------------------------------------------------
def table(ctx, path, value, what="a table") -> dict:
    """``value`` if it is a TOML table, else an error saying it must be ``what``."""
    if not isinstance(value, dict):
        raise ctx.error(path, f"must be {what}, got {type_name(value)} {value!r}")
    return value


def type_name(v) -> str:
    """The TOML name of ``v``'s type (table, array, string, ...), for messages."""
    return {
        dict: "table",
        list: "array",
        str: "string",
        bool: "boolean",
        int: "integer",
        float: "float",
    }.get(type(v), type(v).__name__)


def string(ctx, path, value) -> str:
    """``value`` if it is a string."""
    if not isinstance(value, str):
        raise ctx.error(path, f"must be a string, got {type_name(value)} {value!r}")
    return value


def nonempty_string(ctx, path, value) -> str:
    """``value`` if it is a string that is not blank."""
    s = string(ctx, path, value)
    if not s.strip():
        raise ctx.error(path, "must not be empty")
    return s


def unknown(ctx, path, table: dict, allowed, what="key") -> None:
    """Refuse the first key of ``table`` not in ``allowed``, listing what is allowed."""
    for key in table:
        if key not in allowed:
            raise ctx.error(
                (*path, key), f"is not a known {what}; allowed here: {', '.join(allowed)}"
            )


def require(ctx, path, table: dict, key, hint: str = "") -> None:
    """Refuse ``table`` without ``key`` (``hint`` says what it should be)."""
    if key not in table:
        raise ctx.error((*path, key), f"is required{hint}")


def choice(ctx, path, value, allowed) -> str:
    """``value`` if it is one of the strings ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise ctx.error(path, f"must be one of {', '.join(sorted(allowed))}, got {value!r}")
    return value


def signature(fn):
    """(all parameter names, required parameter names) of a constructor."""
    params = inspect.signature(fn).parameters.values()
    names = [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    required = [
        p.name
        for p in params
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    return names, required


def call(ctx, path, fn, kwargs: dict, skip=()):
    """Call a package constructor with ``kwargs`` read at ``path``; translate its errors."""
    names, required = signature(fn)
    allowed = [n for n in names if n not in skip]
    for key in required:
        if key not in kwargs and key not in skip:
            raise ctx.error((*path, key), "is required")
    try:
        return fn(**kwargs)
    except (ValueError, TypeError, OverflowError) as exc:
        raise ctx.translate(path, exc, allowed) from None


def build(ctx, path, t: dict, key, registry, what, hint=""):
    """Call the constructor ``registry[t[key]]`` with the other keys of ``t``.

    ``what`` starts the error message of an unknown key (``what`` + the
    choice); ``hint`` follows the list of choices when ``key`` is missing.
    Returns ``(choice, built object)``.
    """
    require(ctx, path, t, key, f" (one of {', '.join(registry)}){hint}")
    picked = choice(ctx, (*path, key), t[key], registry)
    fn = registry[picked]
    names, _ = signature(fn)
    params = {k: v for k, v in t.items() if k != key}
    unknown(ctx, path, params, [key, *names], what=f"{what}{picked}")
    return picked, call(ctx, path, fn, params)


def read_toml(path: Path, ctx) -> dict:
    """The TOML table at ``path``; a missing or malformed file raises a one-line error."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ctx.file_error("no such recipe file") from None
    except IsADirectoryError:
        raise ctx.file_error("is a directory, not a recipe file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ctx.file_error(f"invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ctx.file_error(f"invalid TOML (not UTF-8): {exc}") from None
