"""Report formatters (table, JSON, Markdown, HTML): pure, ``format(report) -> str``.

:data:`FORMATTERS` is the registry of report formats: name -> a factory taking the table
style (``width`` in characters, ``color`` on/off; formats other than ``table`` ignore it).
The CLI generates its ``--format`` choices from it; nothing else keeps a list. Factories
import their formatter when called, so importing this package stays cheap.

>>> get_formatter("json").__class__.__name__
'JsonFormatter'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tracker.errors import ReportError

if TYPE_CHECKING:
    from tracker.report.base import Formatter
    from tracker.report.json import JsonFormatter
    from tracker.report.markdown import MarkdownFormatter
    from tracker.report.table import TableFormatter

FormatterFactory = Callable[..., "Formatter"]
"""``factory(*, width: int, color: bool) -> Formatter``."""


def _table(*, width: int = 160, color: bool = False) -> Formatter:
    from tracker.report.table import TableFormatter

    return TableFormatter(width=width, color=color)


def _json(*, width: int = 160, color: bool = False) -> Formatter:
    from tracker.report.json import JsonFormatter

    return JsonFormatter()


def _markdown(*, width: int = 160, color: bool = False) -> Formatter:
    from tracker.report.markdown import MarkdownFormatter

    return MarkdownFormatter()


def _html(*, width: int = 160, color: bool = False) -> Formatter:
    from tracker.report.html import HtmlFormatter

    return HtmlFormatter()


FORMATTERS: Mapping[str, FormatterFactory] = MappingProxyType(
    {"table": _table, "json": _json, "markdown": _markdown, "html": _html}
)
"""The report formats, in help order: name -> factory (see the module docstring)."""

FORMATS: tuple[str, ...] = tuple(FORMATTERS)
"""The names of :data:`FORMATTERS`, in order (what ``--format`` accepts)."""

__all__ = [
    "FORMATS",
    "FORMATTERS",
    "Formatter",
    "JsonFormatter",
    "MarkdownFormatter",
    "TableFormatter",
    "get_formatter",
]


def get_formatter(name: str, *, width: int = 160, color: bool = False) -> Formatter:
    """Return the formatter registered as ``name`` in :data:`FORMATTERS`.

    ``width`` and ``color`` apply to ``table`` only (characters; ANSI colours on/off).

    Raises:
        ReportError: for any other name (names it and lists the valid ones).
    """
    factory = FORMATTERS.get(name)
    if factory is None:
        raise ReportError(
            f"--format: unknown report format {name!r}", f"use one of {', '.join(FORMATS)}"
        )
    return factory(width=width, color=color)


def __getattr__(name: str) -> Any:
    """The formatter classes and the :class:`~tracker.report.base.Formatter` protocol,
    imported on first use (``from tracker.report import ...``): the command line reads
    :data:`FORMATTERS` for ``--format`` without importing the domain objects."""
    modules = {
        "Formatter": "tracker.report.base",
        "TableFormatter": "tracker.report.table",
        "JsonFormatter": "tracker.report.json",
        "MarkdownFormatter": "tracker.report.markdown",
    }
    if name in modules:
        import importlib

        return getattr(importlib.import_module(modules[name]), name)
    raise AttributeError(f"module 'tracker.report' has no attribute {name!r}")
