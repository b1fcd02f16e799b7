"""One definition per rule, checked in the source: the pending mark and the shown balance."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import zinv_tui

PACKAGE = Path(zinv_tui.__file__).parent
SOURCES = sorted(PACKAGE.rglob("*.py"))


def _offenders(pattern: re.Pattern[str], allowed: set[str]) -> list[str]:
    found = []
    for path in SOURCES:
        name = path.relative_to(PACKAGE).as_posix()
        if name in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the string constants that are docstrings (they may show the mark in prose)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _strings_with(text: str, allowed: set[str]) -> list[str]:
    found = []
    for path in SOURCES:
        name = path.relative_to(PACKAGE).as_posix()
        if name in allowed:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and text in node.value
                and id(node) not in docstrings
            ):
                found.append(f"{name}:{node.lineno}: {node.value!r}")
    return found


def test_the_pending_mark_is_written_in_one_place() -> None:
    # The mark's character appears only where it is defined; every screen takes it from there.
    assert _strings_with("\u29d7", {"ui/marks.py"}) == []


def test_the_shown_balance_is_worked_out_in_one_place() -> None:
    # Zettle's balance plus the movements not yet acknowledged is StockRow.shown_balance.
    pattern = re.compile(r"\.balance\s*\+\s*\w+\.pending\b")
    assert _offenders(pattern, {"service/rows.py"}) == []
