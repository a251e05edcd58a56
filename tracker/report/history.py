"""Text for ``tracker history``: run-by-run changes and how long open findings have been open.

Pure: it reads only the runs it is given (:class:`tracker.history.RunChanges`), never the
store. Made to stay short at 80 columns:

- **Runs**, newest first: one line per run (its time and how many changes), then its
  changes grouped by entry: one heading line per entry (component with its Istio revision,
  role, where: whole, wrapped with a hanging indent when long), then **one line per
  change**: ``^ 1.12.1 -> 1.13.9`` (upgraded), ``v`` (downgraded), ``+``/``-``/``?`` a
  finding new, resolved (as it read then) or not scanned, with its severity and kind and
  its message, cut after a whole word with ``…`` when the line is full (``--format
  json`` keeps every message whole; ``tracker report`` shows the open ones).
- **Open findings**, one row per entry (not per finding), worst first: worst severity,
  component, role, where, and each open finding's kind with its days open (``eol 12d,
  outdated 40d``), worst first. Laid out by :func:`tracker.report.layout.fit_table`: role
  is dropped first, then where folds under the component; nothing a reader needs is cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from rich.console import RenderableType
from rich.text import Text

from tracker.history import FindingKey, FindingRef, RunChanges, VersionChange, days_open, first_seen
from tracker.models import ComponentReport, Finding, severity_rank
from tracker.report.base import component_label, worst_first_key
from tracker.report.layout import Cell, Column, fit_table, legend_line, render
from tracker.report.table import SEVERITY_SHORT, SEVERITY_STYLE, safe, short_kinds, where
from tracker.report.wrap import ITEMS, NAME, WORDS, hanging, shorten
from tracker.text import for_terminal

HISTORY_COLUMNS: tuple[Column, ...] = (
    Column("severity", short_header="sev"),
    Column("component", breaks=WORDS, soft_min=16, hard_min=10),
    Column("role", give_up=1),
    Column("where", give_up=2, fold="component", breaks=NAME, soft_min=24, hard_min=12),
    Column(
        "open findings",
        breaks=ITEMS,
        soft_min=24,
        legend="open findings: kind and days open (since the first run that saw it)",
    ),
)
"""The open-findings table (see :mod:`tracker.report.layout` for the fitting steps)."""

LEGEND = (
    "legend: + new finding, - resolved finding (as it read then), ^ upgraded, v downgraded, "
    "? not scanned (that run did not read its namespace or source: not resolved)"
)
"""The line above the runs explaining their markers."""

CHANGE_INDENT = 6
"""Spaces before a change line (below its entry's heading, indented 4)."""


def _heading(row: ComponentReport, width: int) -> str:
    """``istio rev 1-22-3  data-plane  shop/Deployment/checkout,+1`` (raw: escaped by
    callers), with kubectl's short kinds (``deploy``) when it is wider than ``width``."""
    place = where(row)
    parts = [component_label(row.component), row.component.role.value]
    full = "  ".join(parts + ([place] if place != "-" else []))
    return full if len(full) <= width else "  ".join(parts + [short_kinds(place)] * (place != "-"))


def _finding_line(mark: str, finding: Finding) -> Text:
    style = SEVERITY_STYLE[finding.severity]
    text = Text(f"{mark} ")
    text.append(SEVERITY_SHORT[finding.severity], style=style)
    text.append(f" {finding.kind.value}: {for_terminal(finding.message)}")
    return text


def _version_line(mark: str, change: VersionChange) -> Text:
    before = change.previous.current or change.previous.component.raw_version or "?"
    after = change.current.current or change.current.component.raw_version or "?"
    return Text(f"{mark} {for_terminal(before)} -> {for_terminal(after)}")


def _change_lines(
    run: RunChanges, kept: set[str] | None, width: int
) -> tuple[int, int, dict[str, list[Text]]]:
    """The number of changes of ``run``, the number of its findings not scanned, and per
    entry heading (in first-seen order) its lines: versions first, then new, resolved and
    not-scanned findings."""
    assert run.changes is not None
    ch = run.changes
    items: list[tuple[ComponentReport, Text]] = []
    items += [(v.current, _version_line("^", v)) for v in ch.upgraded]
    items += [(v.current, _version_line("v", v)) for v in ch.downgraded]
    marks: tuple[tuple[str, tuple[FindingRef, ...]], ...] = (("+", ch.new), ("-", ch.resolved))
    for mark, refs in marks:
        items += [(r.row, _finding_line(mark, r.finding)) for r in refs]
    changed = len(items)
    items += [(r.row, _finding_line("?", r.finding)) for r in ch.not_scanned]
    groups: dict[str, list[Text]] = {}
    count = unread = 0
    for n, (row, line) in enumerate(items):
        if kept is not None and row.component.component not in kept:
            continue
        groups.setdefault(_heading(row, width - 4), []).append(line)
        if n < changed:
            count += 1
        else:
            unread += 1
    return count, unread, groups


def _run_parts(run: RunChanges, kept: set[str] | None, width: int) -> list[RenderableType]:
    stamp = f"{run.scanned_at:%Y-%m-%d %H:%M} UTC"
    if not run.namespaces.everything:
        stamp += f" ({for_terminal(run.namespaces.describe(limit=5))})"
    if run.changes is None:
        n = len(run.open_rows)
        return [Text(f"  {stamp}  first run kept: {n} row{'' if n == 1 else 's'} with findings")]
    count, unread, groups = _change_lines(run, kept, width)
    summary = "no change" if not count else f"{count} change{'' if count == 1 else 's'}"
    if unread:
        summary += f", {unread} not scanned"
    parts: list[RenderableType] = [Text(f"  {stamp}  {summary}")]
    for heading, lines in groups.items():
        parts.append(hanging(Text(for_terminal(heading), style="bold"), width, indent=4, more=8))
        for line in lines:
            parts.append(Text(" " * CHANGE_INDENT) + shorten(line, max(1, width - CHANGE_INDENT)))
    return parts


def _findings_cell(row: ComponentReport, opened: Mapping[FindingKey, int]) -> Text:
    ordered = sorted(row.findings, key=lambda f: (-severity_rank(f.severity), f.kind.value))
    text = Text()
    for n, finding in enumerate(ordered):
        if n:
            text.append(", ")
        days = opened.get(FindingKey.of(row, finding), 0)
        text.append(f"{finding.kind.value} {days}d", style=SEVERITY_STYLE[finding.severity])
    return text


def _open_rows(runs: Sequence[RunChanges], today: date, keep: set[str] | None) -> list[list[Cell]]:
    seen = first_seen(runs)
    opened = days_open(seen, seen, today)
    rows: list[list[Cell]] = []
    for row in sorted(runs[0].open_rows, key=worst_first_key):
        c = row.component
        if (keep is not None and c.component not in keep) or row.worst_severity is None:
            continue
        worst = row.worst_severity
        place = where(row)
        rows.append(
            [
                (
                    Text(worst.value, style=SEVERITY_STYLE[worst]),
                    Text(SEVERITY_SHORT[worst], style=SEVERITY_STYLE[worst]),
                ),
                safe(component_label(c), "bold"),
                (Text(c.role.value), Text(c.role.value.split("-")[0])),
                (safe(place), safe(short_kinds(place))),
                _findings_cell(row, opened),
            ]
        )
    return rows


def format_history(
    histories: Mapping[str, Sequence[RunChanges]],
    *,
    component: str | None,
    today: date,
    width: int = 120,
    color: bool = False,
) -> str:
    """Render each cluster's runs (newest first) and its open findings with days open
    (layout: the module docstring).

    Args:
        histories: cluster -> runs as :func:`tracker.workflows.query.cluster_history` returns them.
        component: only changes and findings of this catalogue id (None: all).
        today: the day "days open" counts up to. A finding already open in the oldest run
            kept counts from that run (a lower bound: raise ``limit`` to look further back).
        width: console width in characters (80 to 250 tested; every line fits it).
        color: ANSI colours (severity); off by default.
    """
    keep = None if component is None else {component}
    parts: list[RenderableType] = [hanging(Text(LEGEND), width, indent=0, more=8)]
    for cluster, runs in histories.items():
        head = Text(for_terminal(cluster), style="bold")
        head.append(f": {len(runs)} evaluated run{'' if len(runs) == 1 else 's'}", style="")
        parts.append(head)
        if not runs:
            parts.append(
                Text("  no evaluated run: `tracker run` or `tracker report` evaluates a scan")
            )
            continue
        for run in runs:
            parts += _run_parts(run, keep, width)
        rows = _open_rows(runs, today, keep)
        title = f"{for_terminal(cluster)}: open findings"
        if not rows:
            parts.append(Text(f"{title}: none", style="bold"))
            continue
        table, legend = fit_table(HISTORY_COLUMNS, rows, width, title=title)
        parts.append(table)
        line = legend_line(legend, width)
        if line is not None:
            parts.append(line)
    return render(parts, width=width, color=color)
