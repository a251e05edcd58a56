"""The fleet view: one table of component x cluster, worst first (``report --all-clusters``).

One row per (component, role), e.g. ``istio / data-plane``; one column per cluster. A cell
holds each version of that component running in that cluster with how far behind it is,
``1.18.2 (minor, 412d)`` (``behind``, ``days_behind`` in days), ``1.24.1`` when up to date,
``0.6 (pre-1.0)`` for other flags, ``1.0 (unknown)`` when it cannot be compared, and ``-``
when the cluster does not run it.
Rows are ordered by their worst cell (:func:`tracker.report.base.worst_first_key`: severity,
then major > minor > patch, then days behind). When the clusters do not fit in ``width``,
the table is split into several tables of clusters, each repeating the row labels.

:func:`fleet_to_dict` is the same view as JSON-ready data. Both are pure (no I/O).
"""

from __future__ import annotations

from io import StringIO
from typing import Any

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from tracker.models import ComponentReport, Flag, Report, Severity, Status
from tracker.report.base import cluster_names, count_text, rfc3339, worst_first_key
from tracker.report.json import cluster_to_dict

FLEET_SCHEMA_VERSION = 1
"""``schema_version`` of :func:`fleet_to_dict`; a change of keys or meanings bumps it."""

CELL_WIDTH = 22
"""Characters reserved per cluster column (``1.18.2 (minor, 412d)`` plus padding)."""

MAX_VERSIONS_PER_CELL = 3
"""Versions listed in one cell before ``+N more``."""

_LABEL_WIDTHS = {"component": 24, "role": 13, "latest": 12}
_STYLE = {Severity.CRITICAL: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}

RowKey = tuple[str, str]
"""(component id, role), e.g. ``("istio", "data-plane")``."""


def cell_text(row: ComponentReport) -> str:
    """One version in a cell: ``1.18.2 (minor, 412d)``, ``1.24.1``, ``latest (unknown)``.

    >>> from tracker.models import Behind, Component, Role
    >>> c = Component("istio", Role.DATA_PLANE, "1.18.2", "istio/istio")
    >>> r = ComponentReport("prod", c, "1.18.2", "1.24.1", "1.18.7", Status.OUTDATED,
    ...     Behind.MINOR, 23, 412, (Flag.OUTDATED,), ())
    >>> cell_text(r)
    '1.18.2 (minor, 412d)'
    """
    version = row.current or row.component.raw_version or "?"
    if row.status is Status.UNKNOWN:
        return f"{version} (unknown)"
    if row.behind is not None:
        days = f", {count_text(row, row.days_behind)}d" if row.days_behind is not None else ""
        return f"{version} ({row.behind.value}{days})"
    flags = [f.value for f in row.flags if f is not Flag.OUTDATED]
    return f"{version} ({', '.join(flags)})" if flags else version


def _key(row: ComponentReport) -> RowKey:
    return (row.component.component, row.component.role.value)


def fleet_grid(report: Report) -> list[tuple[RowKey, dict[str, list[ComponentReport]]]]:
    """Group the report's rows by (component, role), then by cluster; worst row first.

    Returns:
        ``[((component, role), {cluster: [rows worst first]}), ...]`` ordered by each
        group's worst row (:func:`worst_first_key`), then component and role.
    """
    groups: dict[RowKey, dict[str, list[ComponentReport]]] = {}
    for row in sorted(report.components, key=worst_first_key):
        groups.setdefault(_key(row), {}).setdefault(row.cluster, []).append(row)

    def order(item: tuple[RowKey, dict[str, list[ComponentReport]]]) -> tuple[Any, ...]:
        worst = min((rows[0] for rows in item[1].values()), key=worst_first_key)
        return (*worst_first_key(worst)[:3], *item[0])

    return sorted(groups.items(), key=order)


def _latest(cells: dict[str, list[ComponentReport]]) -> str | None:
    return next((r.latest for rows in cells.values() for r in rows if r.latest), None)


def _cell(rows: list[ComponentReport] | None) -> Text:
    if not rows:
        return Text("-", style="dim")
    text = Text()
    seen: list[str] = []
    for row in rows:
        value = cell_text(row)
        if value in seen:
            continue
        seen.append(value)
        if len(seen) > MAX_VERSIONS_PER_CELL:
            continue
        worst = row.worst_severity
        style = _STYLE[worst] if worst is not None else ""
        if row.status is Status.UP_TO_DATE and worst is None:
            style = "green"
        if len(seen) > 1:
            text.append("\n")
        text.append(value, style=style)
    if len(seen) > MAX_VERSIONS_PER_CELL:
        text.append(f"\n+{len(seen) - MAX_VERSIONS_PER_CELL} more", style="dim")
    return text


def _table(
    grid: list[tuple[RowKey, dict[str, list[ComponentReport]]]], clusters: list[str]
) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    # Fixed widths: rich skips measuring every cell (the fleet table has thousands).
    for title, width in _LABEL_WIDTHS.items():
        table.add_column(title, width=width, overflow="fold")
    for name in clusters:
        table.add_column(name, width=CELL_WIDTH, overflow="fold")
    for (component, role), cells in grid:
        table.add_row(
            Text(component, style="bold"),
            Text(role),
            Text(_latest(cells) or "-"),
            *(_cell(cells.get(name)) for name in clusters),
        )
    return table


def _clusters_per_table(width: int) -> int:
    labels = sum(_LABEL_WIDTHS.values()) + 2 * len(_LABEL_WIDTHS)
    return max(1, (width - labels) // (CELL_WIDTH + 2))


def format_fleet(report: Report, *, width: int = 160, color: bool = False) -> str:
    """Render the fleet table (see the module docstring) as text.

    Args:
        report: evaluated latest scans of several clusters.
        width: console width in characters; clusters that do not fit go to further tables.
        color: ANSI colours by severity (off: plain text, safe for files and mail).

    Raises:
        ReportError: a naive timestamp in the report.
    """
    out = StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        soft_wrap=False,
    )
    names = cluster_names(report)
    generated = rfc3339(report.generated_at, field="generated_at")
    parts: list[RenderableType] = [
        Text(f"tracker fleet report, generated {generated}: {len(names)} clusters", style="bold")
    ]
    parts += [Text(f"warning: {w}", style="yellow") for w in report.warnings]
    grid = fleet_grid(report)
    if not names:
        parts.append(Text("No clusters in this report."))
    elif not grid:
        parts.append(Text("No components identified."))
    step = _clusters_per_table(width)
    for start in range(0, len(names) if grid else 0, step):
        parts.append(Text(""))
        parts.append(_table(grid, names[start : start + step]))
    if report.clusters:
        parts.append(Text(""))
        parts.append(_cluster_list(report))
    for part in parts:
        console.print(part)
    return out.getvalue()


def _cluster_list(report: Report) -> Text:
    text = Text("Clusters:", style="bold")
    for c in report.clusters:
        scanned = rfc3339(c.scanned_at, field=f"clusters[{c.name}].scanned_at")
        where = f", server {c.server}" if c.server else ""
        text.append(
            f"\n  {c.name}: Kubernetes {c.kubernetes_version or 'unknown'}, scanned {scanned} "
            f"({c.source.value}{where})"
        )
    return text


def _entry(row: ComponentReport) -> dict[str, Any]:
    c = row.component
    return {
        "current": row.current,
        "raw_version": c.raw_version,
        "status": row.status.value,
        "behind": row.behind.value if row.behind is not None else None,
        "releases_behind": row.releases_behind,
        "days_behind": row.days_behind,
        "namespace": c.namespace,
        "workload": c.workload,
        "instances": c.instances,
        "flags": [f.value for f in row.flags],
    }


def fleet_to_dict(report: Report) -> dict[str, Any]:
    """The fleet view as JSON-ready data.

    Shape::

        {"schema_version": 1, "generated_at": "<RFC 3339 UTC>",
         "clusters": [{"name", "scanned_at", "kubernetes_version", "source", "server"}],
         "components": [{"component": "istio", "role": "data-plane", "latest": "1.24.1",
            "clusters": {"prod": [{"current", "raw_version", "status", "behind",
                "releases_behind", "days_behind", "namespace", "workload", "instances",
                "flags"}, ...]}}]}

    ``components`` is worst first like the table; a cluster not running the component has
    no key in ``clusters``; its entries are worst first.

    Raises:
        ReportError: a naive timestamp in the report.
    """
    return {
        "schema_version": FLEET_SCHEMA_VERSION,
        "generated_at": rfc3339(report.generated_at, field="generated_at"),
        "clusters": [{**cluster_to_dict(c), "server": c.server} for c in report.clusters],
        "components": [
            {
                "component": component,
                "role": role,
                "latest": _latest(cells),
                "clusters": {
                    name: [_entry(r) for r in cells[name]]
                    for name in cluster_names(report)
                    if name in cells
                },
            }
            for (component, role), cells in fleet_grid(report)
        ],
    }
