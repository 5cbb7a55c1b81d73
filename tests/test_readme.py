"""README.md runs as written and shows what it says.

Every ```python block of README.md runs, in document order, in ONE
namespace (a later block may use what an earlier one defined), statement by
statement, in a temporary working directory (the files the blocks write go
there).

The README's convention for a line that shows its result: a comment that
ends in ``-> expected`` (``x.shape  # -> (3, 1, 201)`` or
``x.shape  # a remark -> (3, 1, 201)``) states what the statement evaluates
to (its ``repr``, as at the interactive prompt) and/or prints.  It is
compared with doctest's checker with ``ELLIPSIS`` (``...`` matches any text)
and ``NORMALIZE_WHITESPACE``.  A ``# -> ...`` comment on a line of its own
belongs to the statement above it; the comment lines right after a ``->``
comment whose text starts in the same column continue the expected output
(for tables).  NumPy prints scalars as plain numbers (``legacy="1.25"``).

The blocks depend on each other: run this file whole (``-k`` on one block
leaves the names of the earlier blocks undefined).
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
_ARROW = re.compile(r"#\s*(?:.*?\s)?->\s+(?P<want>\S.*)$")


@dataclass(frozen=True)
class Block:
    """One ```python block: the heading above it, its first line in README.md, its code."""

    heading: str
    line: int
    code: str


@dataclass(frozen=True)
class Expected:
    """What a ``->`` comment states, for the statement ending at or above ``line`` (1-based)."""

    line: int
    want: str


def python_blocks(text: str) -> list[Block]:
    """The ```python blocks of a Markdown text, in order, with the heading above each."""
    blocks, heading, fence, code, start = [], "", None, [], 0
    for i, line in enumerate(text.splitlines(), 1):
        if fence is None:
            if line.startswith("#"):
                heading = line.lstrip("#").strip()
            elif line.startswith("```"):
                fence, code, start = line[3:].strip(), [], i + 1
        elif line.strip() == "```":
            if fence == "python":
                blocks.append(Block(heading, start, "\n".join(code) + "\n"))
            fence = None
        else:
            code.append(line)
    assert fence is None, f"unterminated ```{fence} block"
    return blocks


def expected_outputs(code: str) -> list[Expected]:
    """The ``->`` comments of a block, continuation lines joined."""
    lines = code.splitlines()
    out, taken = [], set()
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        row, col = tok.start
        if tok.type != tokenize.COMMENT or row in taken:
            continue
        m = _ARROW.match(tok.string)
        if m is None:
            continue
        at = col + m.start("want")
        want = [m["want"].rstrip()]
        for nxt in range(row, len(lines)):  # lines[nxt] is line nxt + 1
            text = lines[nxt]
            if len(text) <= at or text[:at].strip() != "#" or text[col] != "#":
                break
            want.append(text[at:].rstrip())
            taken.add(nxt + 1)
        out.append(Expected(row, "\n".join(want)))
    return out


def owner(statements: list[ast.stmt], line: int) -> int:
    """Index of the statement a ``->`` comment on ``line`` belongs to."""
    on = [i for i, s in enumerate(statements) if s.lineno <= line <= s.end_lineno]
    above = [i for i, s in enumerate(statements) if s.end_lineno < line]
    if on:
        return on[-1]
    if above:
        return above[-1]
    raise AssertionError(f"line {line}: a '->' comment before any statement")


def run_statement(stmt: ast.stmt, namespace: dict) -> str:
    """Execute one statement; what it prints, then the repr of its value if an expression."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        if isinstance(stmt, ast.Expr):
            code = compile(ast.Expression(stmt.value), str(README), "eval")
            value = eval(code, namespace)
        else:
            exec(compile(ast.Module([stmt], type_ignores=[]), str(README), "exec"), namespace)
            value = None
    return buf.getvalue() + ("" if value is None else repr(value) + "\n")


def matches(want: str, got: str) -> bool:
    """doctest's comparison with ELLIPSIS and NORMALIZE_WHITESPACE."""
    return doctest.OutputChecker().check_output(want + "\n", got, FLAGS)


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def namespace(tmp_path_factory):
    """One namespace for the whole README, in a temporary working directory."""
    with pytest.MonkeyPatch.context() as mp, contextlib.ExitStack() as stack:
        mp.chdir(tmp_path_factory.mktemp("readme"))
        if int(np.__version__.split(".")[0]) >= 2:
            stack.enter_context(np.printoptions(legacy="1.25"))  # 1.5, not np.float64(1.5)
        yield {"__name__": "__readme__"}


def _block_id(i: int, block: Block) -> str:
    return f"{i}-" + re.sub(r"\W+", "-", block.heading).strip("-")


@pytest.mark.parametrize("block", BLOCKS, ids=[_block_id(i, b) for i, b in enumerate(BLOCKS)])
def test_block_runs_and_shows_what_it_says(block, namespace):
    tree = ast.parse(block.code)
    ast.increment_lineno(tree, block.line - 1)  # tracebacks point into README.md
    statements = tree.body
    wants = {}
    for e in expected_outputs(block.code):
        i = owner(statements, e.line + block.line - 1)
        assert i not in wants, f"README.md:{e.line + block.line - 1}: two '->' for one statement"
        wants[i] = e.want
    wrong = []
    for i, stmt in enumerate(statements):
        got = run_statement(stmt, namespace)
        if i in wants and not matches(wants[i], got):
            wrong.append(f"README.md:{stmt.lineno}: expected\n{wants[i]}\ngot\n{got}")
    assert not wrong, "\n\n".join(wrong)


def test_expected_output_convention():
    code = (
        "x = [1, 2]\n"
        "x  # -> [1, 2]\n"
        "len(x)   # its length -> 2\n"
        "print('a  b')\n"
        "# -> a b\n"
        "print('row 1\\nrow 2')\n"
        "# -> row 1\n"
        "#    row 2\n"
        "# a comment after the output, not part of it\n"
        "y = (1,\n"
        "     2)   # no arrow here\n"
    )
    found = expected_outputs(code)
    assert [(e.line, e.want) for e in found] == [
        (2, "[1, 2]"),
        (3, "2"),
        (5, "a b"),
        (7, "row 1\nrow 2"),
    ]
    statements = ast.parse(code).body
    assert [owner(statements, e.line) for e in found] == [1, 2, 3, 4]
    ns = {}
    got = [run_statement(s, ns) for s in statements]
    assert got == ["", "[1, 2]\n", "2\n", "a  b\n", "row 1\nrow 2\n", ""]
    assert matches("[1, 2]", got[1]) and matches("a b", got[3]) and matches("row 1\nrow 2", got[4])
    assert matches("0.195...", "0.1953125\n") and not matches("0.2", "0.1953125\n")


def test_readme_has_checked_blocks():
    assert len(BLOCKS) >= 7
    assert sum(len(expected_outputs(b.code)) for b in BLOCKS) >= 20
