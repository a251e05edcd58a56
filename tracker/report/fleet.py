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

from typing import Any

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from tracker.models import ComponentReport, Flag, Report, Status
from tracker.report.base import cluster_names, count_text, rfc3339, worst_first_key
from tracker.report.json import cluster_to_dict, component_to_dict
from tracker.report.table import GAP, SEVERITY_STYLE, legend_line, render, safe
from tracker.text import for_terminal, json_text

FLEET_SCHEMA_VERSION = 1
"""``schema_version`` of :func:`fleet_to_dict`; a change of keys or meanings bumps it."""

CELL_WIDTH = 22
"""Characters reserved per cluster column (``1.18.2 (minor, 412d)`` plus padding)."""

MAX_VERSIONS_PER_CELL = 3
"""Versions listed in one cell before ``+N more``."""

_LABEL_WIDTHS = {"component": 24, "role": 13, "latest": 12}
"""Widest each label column gets; ``component`` gives up width first on a narrow terminal
(down to :data:`MIN_COMPONENT_WIDTH`), values longer than their column end with ``…``."""

MIN_COMPONENT_WIDTH = 10

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
        style = SEVERITY_STYLE[worst] if worst is not None else ""
        if row.status is Status.UP_TO_DATE and worst is None:
            style = "green"
        if len(seen) > 1:
            text.append("\n")
        text.append(for_terminal(value), style=style)
    if len(seen) > MAX_VERSIONS_PER_CELL:
        text.append(f"\n+{len(seen) - MAX_VERSIONS_PER_CELL} more", style="dim")
    return text


def _table(
    grid: list[tuple[RowKey, dict[str, list[ComponentReport]]]],
    clusters: list[str],
    labels: dict[str, int],
) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold",
    )
    # Fixed widths: rich skips measuring every cell (the fleet table has thousands).
    # Cells wrap between words only; a word wider than its column ends with "…".
    for title, width in labels.items():
        table.add_column(title, width=width, no_wrap=True, overflow="ellipsis")
    for name in clusters:
        table.add_column(for_terminal(name), width=CELL_WIDTH, overflow="ellipsis")
    for (component, role), cells in grid:
        table.add_row(
            safe(component, "bold"),
            Text(role),
            safe(_latest(cells)),
            *(_cell(cells.get(name)) for name in clusters),
        )
    return table


def _label_widths(
    grid: list[tuple[RowKey, dict[str, list[ComponentReport]]]], width: int
) -> dict[str, int]:
    """Label column widths: each as wide as its longest value (at most :data:`_LABEL_WIDTHS`);
    the component column narrows so that labels and one cluster column fit ``width``."""
    longest = {
        "component": max((len(for_terminal(k[0])) for k, _ in grid), default=0),
        "role": max((len(k[1]) for k, _ in grid), default=0),
        "latest": max((len(for_terminal(_latest(c) or "-")) for _, c in grid), default=0),
    }
    widths = {name: max(len(name), min(cap, longest[name])) for name, cap in _LABEL_WIDTHS.items()}
    room = width - CELL_WIDTH - GAP * len(widths) - widths["role"] - widths["latest"]
    widths["component"] = max(MIN_COMPONENT_WIDTH, min(widths["component"], room))
    return widths


def _clusters_per_table(width: int, labels: dict[str, int]) -> int:
    used = sum(labels.values()) + GAP * (len(labels) - 1)
    return max(1, (width - used) // (CELL_WIDTH + GAP))


def format_fleet(report: Report, *, width: int = 120, color: bool = False) -> str:
    """Render the fleet table (see the module docstring) as text.

    Args:
        report: evaluated latest scans of several clusters.
        width: console width in characters (80 to 250 tested; every line fits it);
            clusters that do not fit go to further tables.
        color: ANSI colours by severity (off: plain text, safe for files and mail).

    Raises:
        ReportError: a naive timestamp in the report.
    """
    names = cluster_names(report)
    generated = rfc3339(report.generated_at, field="generated_at")
    parts: list[RenderableType] = [
        Text(f"tracker fleet report, generated {generated}: {len(names)} clusters", style="bold")
    ]
    parts += [Text(f"warning: {for_terminal(w)}", style="yellow") for w in report.warnings]
    grid = fleet_grid(report)
    if not names:
        parts.append(Text("No clusters in this report."))
    elif not grid:
        parts.append(Text("No components identified."))
    labels = _label_widths(grid, width)
    step = _clusters_per_table(width, labels)
    for start in range(0, len(names) if grid else 0, step):
        parts.append(Text(""))
        parts.append(_table(grid, names[start : start + step], labels))
    if grid:
        legend = legend_line(["cell: version (behind, days since the first newer release)"], width)
        if legend is not None:
            parts.append(legend)
    if report.clusters:
        parts.append(Text(""))
        parts.append(_cluster_list(report))
    return render(parts, width=width, color=color)


def _cluster_list(report: Report) -> Text:
    text = Text("Clusters:", style="bold")
    for c in report.clusters:
        scanned = rfc3339(c.scanned_at, field=f"clusters[{c.name}].scanned_at")
        where = f", server {c.server}" if c.server else ""
        line = (
            f"{c.name}: Kubernetes {c.kubernetes_version or 'unknown'}, scanned {scanned} "
            f"({c.source.value}{where})"
        )
        text.append(f"\n  {for_terminal(line)}")
    return text


_ENTRY_KEYS = (
    "current",
    "raw_version",
    "status",
    "behind",
    "releases_behind",
    "days_behind",
    "namespace",
    "workload",
    "instances",
    "flags",
)


def _entry(row: ComponentReport) -> dict[str, Any]:
    """One cell entry: the keys of :data:`_ENTRY_KEYS` taken from the report JSON's
    :func:`~tracker.report.json.component_to_dict` (one definition of each value)."""
    full = {**component_to_dict(row), "raw_version": row.component.raw_version}
    return {key: full[key] for key in _ENTRY_KEYS}


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


def format_fleet_json(report: Report) -> str:
    """:func:`fleet_to_dict` as terminal-safe JSON text (:func:`tracker.text.json_text`).

    Raises:
        ReportError: a naive timestamp in the report.
    """
    return json_text(fleet_to_dict(report)) + "\n"
