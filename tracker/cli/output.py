"""What the CLI prints and where: stdout or ``--output FILE``, warnings and errors on stderr,
the table width, and the ``--format`` / ``--fail-on`` choices.

The choices are GENERATED from the registries (:data:`tracker.report.FORMATTERS`,
:data:`tracker.evaluate.policy.FAIL_ON`); there is no second list to keep in step.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tracker.errors import ReportError, TrackerError
from tracker.evaluate.policy import FAIL_ON, fail_on_counts
from tracker.report import FORMATTERS, get_formatter

LIST_FORMATS: tuple[str, ...] = ("table", "json", "markdown")
"""``--format`` of the listing commands other than ``report`` (``query``, ``history``,
``releases list``): the report formats without ``html``."""

if TYPE_CHECKING:
    from rich.console import Console

    from tracker.models import Report
    from tracker.report.base import Formatter

    FormatChoice = str
    FailOnChoice = str
    ListFormatChoice = str
else:
    FormatChoice = StrEnum("FormatChoice", {name: name for name in FORMATTERS})
    ListFormatChoice = StrEnum("ListFormatChoice", {name: name for name in LIST_FORMATS})
    FailOnChoice = StrEnum("FailOnChoice", {name: name for name in FAIL_ON})

FAIL_ON_METAVAR = f"<{'|'.join(FAIL_ON)}>"
"""How ``--help`` shows ``--fail-on``'s value: the choices, not a Python type."""

EXIT_FAIL_ON = 3
"""The exit code of a ``--fail-on`` hit (design.md §3)."""

_consoles: dict[str, Console] = {}


def _err_console() -> Console:
    """The stderr console, made on first use (importing rich costs start-up time)."""
    if "err" not in _consoles:
        from rich.console import Console

        _consoles["err"] = Console(stderr=True, highlight=False, soft_wrap=True)
    return _consoles["err"]


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@contextmanager
def errors() -> Iterator[None]:
    """Turn a TrackerError into one line on stderr, ``error: <what> (hint: <what to do>)``,
    and its exit code (1). Everything else (a bug) keeps its traceback."""
    try:
        yield
    except TrackerError as exc:
        hint = f" [dim](hint: {_escape(exc.hint)})[/]" if exc.hint else ""
        _err_console().print(f"[bold red]error:[/] {_escape(exc.message)}{hint}", markup=True)
        raise typer.Exit(exc.exit_code) from None


def warn(message: str) -> None:
    """``warning: <message>`` on stderr (the message is escaped: never read as markup)."""
    _err_console().print(f"[yellow]warning:[/] {_escape(message)}", markup=True)


def error(message: str) -> None:
    """``error: <message>`` on stderr, for a failed step the command goes on after."""
    _err_console().print(f"[bold red]error:[/] {_escape(message)}", markup=True)


def note(message: str) -> None:
    """A plain line on stderr (progress, summaries)."""
    _err_console().print(message, markup=False)


def emit(text: str, output: Path | None) -> None:
    """Write ``text`` to stdout, or to ``output``; a missing parent directory is an error
    (never created silently).

    Raises:
        ReportError: the file cannot be written (names it).
    """
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    if not output.parent.is_dir():
        raise ReportError(
            f"cannot write report to {output}: directory {output.parent} does not exist",
            "create it first, or choose another --output",
        )
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write report to {output}: {exc.strerror}") from None
    _err_console().print(f"report written to {output}", markup=False)


class _Style:
    no_color = False


style = _Style()
"""Process-wide output style set by the global options (``--no-color``)."""


def table_style(output: Path | None) -> tuple[int, bool]:
    """``(width, color)`` for a table: ``COLUMNS`` when set, else the terminal's width, else
    120 (piped); colours only on a terminal, never with ``NO_COLOR`` or ``--no-color``;
    written to a file, 200 and no colours (:func:`tracker.report.table.table_width`)."""
    if output is not None:
        return 200, False
    from rich.console import Console

    from tracker.report.table import color_enabled, table_width

    out = Console()
    tty = out.is_terminal
    width = table_width(terminal_width=out.width if tty else None)
    return width, color_enabled(is_terminal=tty, no_color_flag=style.no_color)


def formatter(name: str, output: Path | None) -> Formatter:
    """The registered report formatter ``name`` (tables styled by :func:`table_style`)."""
    width, color = table_style(output)
    return get_formatter(str(name), width=width, color=color)


def exit_on_fail(report: Report, kinds: Iterable[str] | None) -> None:
    """Exit with :data:`EXIT_FAIL_ON` when ``report`` holds a finding of one of ``kinds``,
    saying on stderr which kinds hit and how many rows (``--fail-on hit: critical (3 rows),
    vulnerable (1 row); exit code 3``), so a CI log shows why the job failed."""
    hits = fail_on_counts(report, [str(k) for k in kinds]) if kinds else {}
    if hits:
        said = ", ".join(f"{kind} ({count(n, 'row')})" for kind, n in hits.items())
        _err_console().print(f"--fail-on hit: {said}; exit code {EXIT_FAIL_ON}", markup=False)
        raise typer.Exit(EXIT_FAIL_ON)


def count(n: int, noun: str) -> str:
    """``1 node``, ``2 nodes``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def format_listing(kind: str, format: str, output: Path | None) -> Callable[..., str]:
    """The formatter of listing ``kind`` (``history`` or ``releases``) in ``format`` (one of
    :data:`LIST_FORMATS`); tables are styled by :func:`table_style`. Called with the
    arguments of :func:`tracker.report.history.format_history` /
    :func:`tracker.report.release_list.format_release_list` (without the style)."""
    from functools import partial

    from tracker.report import listings
    from tracker.report.history import format_history
    from tracker.report.release_list import format_release_list

    by_format: dict[str, dict[str, Callable[..., str]]] = {
        "json": {"history": listings.history_document, "releases": listings.releases_document},
        "markdown": {"history": listings.history_markdown, "releases": listings.releases_markdown},
    }
    if format in by_format:
        return by_format[format][kind]
    width, color = table_style(output)
    table: dict[str, Callable[..., str]] = {
        "history": format_history,
        "releases": format_release_list,
    }
    styled: Callable[..., Any] = partial(table[kind], width=width, color=color)
    return styled
