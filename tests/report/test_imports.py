"""Formatters and notifiers never import anything that reads the store (issue 8 §6)."""

from __future__ import annotations

import ast
from pathlib import Path

import tracker

PACKAGE = Path(tracker.__file__).parent
FORBIDDEN = (
    "tracker.store",
    "tracker.query",
    "tracker.pipeline",
    "tracker.job",
    "tracker.workflows",
)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_report_and_notify_do_not_import_the_store() -> None:
    checked = 0
    for area in ("report", "notify"):
        for path in sorted((PACKAGE / area).rglob("*.py")):
            checked += 1
            bad = [m for m in imported(path) if m.startswith(FORBIDDEN)]
            assert not bad, (path.relative_to(PACKAGE), bad)
    assert checked >= 10
    # and the pure history they use does not either
    assert not [m for m in imported(PACKAGE / "history.py") if m.startswith(FORBIDDEN)]
