"""Report formatters (table, JSON, Markdown) and the ``--fail-on`` decision.

>>> get_formatter("json").__class__.__name__
'JsonFormatter'
"""

from __future__ import annotations

from tracker.errors import ReportError
from tracker.report.base import FAIL_ON_KINDS, Formatter, fail_on_hit
from tracker.report.json import JsonFormatter
from tracker.report.markdown import MarkdownFormatter
from tracker.report.table import TableFormatter

FORMATS: tuple[str, ...] = ("table", "json", "markdown")
"""The values ``--format`` accepts."""

__all__ = [
    "FAIL_ON_KINDS",
    "FORMATS",
    "Formatter",
    "JsonFormatter",
    "MarkdownFormatter",
    "TableFormatter",
    "fail_on_hit",
    "get_formatter",
]


def get_formatter(name: str, *, width: int = 160, color: bool = False) -> Formatter:
    """Return the formatter for ``name`` (``table``, ``json`` or ``markdown``).

    ``width`` and ``color`` apply to ``table`` only (characters; ANSI colours on/off).

    Raises:
        ReportError: for any other name (names it and lists the valid ones).
    """
    if name == "table":
        return TableFormatter(width=width, color=color)
    if name == "json":
        return JsonFormatter()
    if name == "markdown":
        return MarkdownFormatter()
    raise ReportError(
        f"--format: unknown report format {name!r}", f"use one of {', '.join(FORMATS)}"
    )
