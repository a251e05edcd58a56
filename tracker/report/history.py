"""Text for ``tracker history``: run-by-run changes and how long open findings have been open.

Pure: it reads only the runs it is given (:class:`tracker.history.RunChanges`), never the
store. The open-findings table is laid out by :func:`tracker.report.table.fit_table` (fits
the width; drop order: role, then where; the finding message wraps between words and gives
up width last).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from rich.console import RenderableType
from rich.text import Text

from tracker.history import FindingKey, FindingRef, RunChanges, VersionChange, days_open, first_seen
from tracker.models import ComponentReport
from tracker.report.table import (
    SEVERITY_SHORT,
    SEVERITY_STYLE,
    Cell,
    Column,
    fit_table,
    legend_line,
    render,
    safe,
)
from tracker.text import for_terminal

HISTORY_COLUMNS: tuple[Column, ...] = (
    Column("component", soft_min=14, hard_min=10, shrink=2),
    Column("role", drop=1),
    Column("where", drop=2, drop_last=True, soft_min=16, hard_min=10, shrink=1),
    Column("finding", wrap=True, soft_min=24, shrink=3),
    Column("severity", short_header="sev"),
    Column(
        "days open",
        short_header="days",
        justify="right",
        legend="days open: since the first run that saw the finding",
    ),
)
"""The open-findings table (see :mod:`tracker.report.table` for the fitting steps)."""


def _where(row: ComponentReport) -> str:
    c = row.component
    return "/".join(p for p in (c.namespace, c.workload) if p)


def _who(row: ComponentReport) -> str:
    c = row.component
    where = _where(row)
    return f"{c.component} {c.role.value}" + (f" ({where})" if where else "")


def _finding(ref: FindingRef) -> str:
    return f"{_who(ref.row)}: {ref.finding.message}"


def _change(change: VersionChange) -> str:
    c = change.current.component
    before = change.previous.current or change.previous.component.raw_version or "?"
    after = change.current.current or c.raw_version or "?"
    return f"{_who(change.current)}: {before} -> {after}"


def _open_rows(runs: Sequence[RunChanges], today: date, keep: set[str] | None) -> list[list[Cell]]:
    seen = first_seen(runs)
    opened = days_open(seen, seen, today)
    rows: list[list[Cell]] = []
    for row in runs[0].open_rows:
        c = row.component
        if keep is not None and c.component not in keep:
            continue
        for finding in row.findings:
            key = FindingKey.of(row, finding)
            style = SEVERITY_STYLE[finding.severity]
            rows.append(
                [
                    safe(c.component),
                    Text(c.role.value),
                    safe(_where(row)),
                    safe(finding.message),
                    (
                        Text(finding.severity.value, style=style),
                        Text(SEVERITY_SHORT[finding.severity], style=style),
                    ),
                    Text(str(opened.get(key, 0))),
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
    """Render each cluster's runs (newest first) and its open findings with days open.

    Args:
        histories: cluster -> runs as :func:`tracker.workflows.query.cluster_history` returns them.
        component: only changes and findings of this catalogue id (None: all).
        today: the day "days open" counts up to. A finding already open in the oldest run
            kept counts from that run (a lower bound: raise ``limit`` to look further back).
        width: console width in characters (80 to 250 tested; every line fits it).
        color: ANSI colours (severity); off by default.
    """
    keep = None if component is None else {component}

    def kept(name: str) -> bool:
        return keep is None or name in keep

    parts: list[RenderableType] = [
        Text(
            "legend: + new finding, - resolved finding (as it read then), ^ upgraded, "
            "v downgraded, ? not scanned (that run did not read its namespace or source: "
            "not resolved)"
        )
    ]
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
            stamp = f"{run.scanned_at:%Y-%m-%d %H:%M} UTC"
            if not run.namespaces.everything:
                stamp += f" ({for_terminal(run.namespaces.describe(limit=5))})"
            if run.changes is None:
                parts.append(
                    Text(f"  {stamp}  first run kept: {len(run.open_rows)} rows with findings")
                )
                continue
            ch = run.changes
            lines = (
                [f"+ {_finding(r)}" for r in ch.new if kept(r.row.component.component)]
                + [f"- {_finding(r)}" for r in ch.resolved if kept(r.row.component.component)]
                + [f"^ {_change(v)}" for v in ch.upgraded if kept(v.current.component.component)]
                + [f"v {_change(v)}" for v in ch.downgraded if kept(v.current.component.component)]
            )
            unread = [
                f"? {_finding(r)} (not scanned)"
                for r in ch.not_scanned
                if kept(r.row.component.component)
            ]
            count = f"{len(lines)} change{'' if len(lines) == 1 else 's'}" if lines else "no change"
            if unread:
                count += f", {len(unread)} not scanned"
            parts.append(Text(f"  {stamp}  {count}"))
            parts += [Text(f"    {for_terminal(line)}") for line in (*lines, *unread)]
        table, legend = fit_table(
            HISTORY_COLUMNS,
            _open_rows(runs, today, keep),
            width,
            title=f"{for_terminal(cluster)}: open findings",
        )
        parts.append(table)
        line = legend_line(legend, width)
        if line is not None:
            parts.append(line)
    return render(parts, width=width, color=color)
