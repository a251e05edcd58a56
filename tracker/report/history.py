"""Text for ``tracker history``: run-by-run changes and how long open findings have been open."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date

from rich.console import Console
from rich.table import Table

from tracker.history import FindingKey, FindingRef, RunChanges, VersionChange, days_open, first_seen
from tracker.models import ComponentReport


def _who(row: ComponentReport) -> str:
    c = row.component
    where = "/".join(p for p in (c.namespace, c.workload) if p)
    return f"{c.component} {c.role.value}" + (f" ({where})" if where else "")


def _finding(ref: FindingRef) -> str:
    return f"{_who(ref.row)}: {ref.finding.message}"


def _change(change: VersionChange) -> str:
    c = change.current.component
    before = change.previous.current or change.previous.component.raw_version or "?"
    after = change.current.current or c.raw_version or "?"
    return f"{_who(change.current)}: {before} -> {after}"


def format_history(
    histories: Mapping[str, Sequence[RunChanges]],
    *,
    component: str | None,
    today: date,
    width: int = 120,
) -> str:
    """Render each cluster's runs (newest first) and its open findings with days open.

    Args:
        histories: cluster -> runs as :func:`tracker.workflows.query.cluster_history` returns them.
        component: only changes and findings of this catalogue id (None: all).
        today: the day "days open" counts up to. A finding already open in the oldest run
            kept counts from that run (a lower bound: raise ``limit`` to look further back).
    """
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False)

    def keep(name: str) -> bool:
        return component is None or name == component

    console.print(
        "legend: + new finding, - resolved finding (as it read then), ^ upgraded, v downgraded",
        markup=False,
    )
    for cluster, runs in histories.items():
        console.print(f"[bold]{cluster}[/bold]: {len(runs)} evaluated run(s)")
        if not runs:
            console.print("  no evaluated run: `tracker run` or `tracker report` evaluates a scan")
            continue
        for run in runs:
            stamp = f"{run.scanned_at:%Y-%m-%d %H:%M} UTC"
            if run.changes is None:
                console.print(f"  {stamp}  first run kept: {len(run.open_rows)} rows with findings")
                continue
            ch = run.changes
            lines = (
                [f"+ {_finding(r)}" for r in ch.new if keep(r.row.component.component)]
                + [f"- {_finding(r)}" for r in ch.resolved if keep(r.row.component.component)]
                + [f"^ {_change(v)}" for v in ch.upgraded if keep(v.current.component.component)]
                + [f"v {_change(v)}" for v in ch.downgraded if keep(v.current.component.component)]
            )
            console.print(
                f"  {stamp}  " + ("no change" if not lines else f"{len(lines)} change(s)")
            )
            for line in lines:
                console.print(f"    {line}", markup=False)
        seen = first_seen(runs)
        opened = days_open(seen, seen, today)
        table = Table(title=f"{cluster}: open findings", title_justify="left")
        for column in ("component", "role", "where", "finding", "severity", "days open"):
            table.add_column(column, overflow="fold")
        newest = runs[0]
        for row in newest.open_rows:
            c = row.component
            if not keep(c.component):
                continue
            for finding in row.findings:
                key = FindingKey.of(row, finding)
                where = "/".join(p for p in (c.namespace, c.workload) if p) or "-"
                table.add_row(
                    c.component,
                    c.role.value,
                    where,
                    finding.message,
                    finding.severity.value,
                    str(opened.get(key, 0)),
                )
        console.print(table)
    return out.getvalue()
