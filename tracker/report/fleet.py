"""The fleet view (``report --all-clusters``): a summary per cluster, then what matters.

Made to be read at a thousand clusters (the figures come from :mod:`tracker.fleet`):

1. one line of totals: clusters with critical findings, with warnings, running a vulnerable
   or an end-of-life version;
2. **clusters**, worst first (:meth:`tracker.fleet.FleetCluster.sort_key`): the last scan,
   the control plane version (and distribution), and what the latest evaluated run found:
   components, critical and warning findings no waiver accepts, and vulnerable, end-of-life
   and outdated components;
3. **component versions with critical or warning findings**, worst first: one line per
   component, role, running version and severity, with how far behind it is, its flags,
   how many clusters run it and the first of them.

Versions with only info findings or none are not listed; the JSON view
(:func:`fleet_to_dict`) holds every group, every cluster's counts, and every row of every
cluster as the component x cluster grid (:func:`fleet_grid`), which the HTML view shows.

The cluster table can be a thousand lines: it is laid out by the shared layout engine
(:func:`tracker.report.layout.fit_columns`, so it fits the width like every table) and
written as plain strings (:func:`lines_table`; printing the same lines through rich takes
about three times as long at 1,000 clusters).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.color import ColorSystem
from rich.console import RenderableType
from rich.style import Style
from rich.text import Text

from tracker.fleet import (
    Fleet,
    FleetCluster,
    FleetCounts,
    FleetGroup,
    FleetRow,
    GroupKey,
    fleet_of,
)
from tracker.models import ComponentReport, Flag, Report, Severity, Status
from tracker.report.base import (
    cluster_names,
    count_text,
    rfc3339,
    worst_first_key,
)
from tracker.report.json import cluster_to_dict, component_to_dict
from tracker.report.layout import (
    GAP,
    Cell,
    Column,
    cell_lines,
    fit_columns,
    fit_table,
    legend_line,
    render,
)
from tracker.report.table import SEVERITY_SHORT, SEVERITY_STYLE, safe
from tracker.report.wrap import NAME, VERSION, WORDS
from tracker.text import for_terminal, json_text

FLEET_SCHEMA_VERSION = 1
"""``schema_version`` of :func:`fleet_to_dict`; removing a key or changing a meaning bumps it
(keys added since: ``clusters[].counts``, ``groups``)."""

CLUSTER_LEGEND = "critical, warning: findings not waived; vulnerable, eol, outdated: components"
GROUP_LEGEND = "version: running version (behind, days since the first newer release)"

RowKey = tuple[str, str]
"""(component id, role), e.g. ``("istio", "data-plane")``."""


# --- the component x cluster grid (JSON, HTML) ----------------------------------------------


def cell_text(row: ComponentReport) -> str:
    """One version in a grid cell: ``1.18.2 (minor, 412d)``, ``1.24.1``, ``latest (unknown)``.

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


# --- texts shared by the table and Markdown -------------------------------------------------


def as_fleet(view: Fleet | Report) -> Fleet:
    """``view`` as a :class:`~tracker.fleet.Fleet` (a full report is summarized)."""
    return view if isinstance(view, Fleet) else fleet_of(view)


def ordered_clusters(fleet: Fleet) -> list[FleetCluster]:
    """The clusters worst first (:meth:`~tracker.fleet.FleetCluster.sort_key`)."""
    return sorted(fleet.clusters, key=FleetCluster.sort_key)


def totals_text(fleet: Fleet) -> str:
    """One line of fleet totals: ``1000 clusters: 640 with critical findings, ...``."""
    counted = [c.counts for c in fleet.clusters if c.counts is not None]
    parts = [
        f"{sum(c.critical > 0 for c in counted)} with critical findings",
        f"{sum(c.warning > 0 for c in counted)} with warnings",
        f"{sum(c.vulnerable > 0 for c in counted)} running a vulnerable version",
        f"{sum(c.eol > 0 for c in counted)} an end-of-life one",
    ]
    never = len(fleet.clusters) - len(counted)
    if never:
        parts.append(f"{never} never evaluated (`tracker report` or `tracker run` evaluates)")
    noun = "cluster" if len(fleet.clusters) == 1 else "clusters"
    return f"{len(fleet.clusters)} {noun}: " + ", ".join(parts)


def control_plane_text(cluster: FleetCluster) -> str:
    """The control plane version and the distribution's id: ``1.32.9 (eks)``, ``1.18.19``,
    or ``unknown``."""
    scan = cluster.scan
    version = (scan.kubernetes_version if scan else None) or "unknown"
    return f"{version} ({scan.distribution})" if scan and scan.distribution else version


def scanned_text(cluster: FleetCluster) -> str:
    """The last scan as RFC 3339 UTC, or ``-`` (a cluster known only from rows).

    Raises:
        ReportError: a naive timestamp.
    """
    if cluster.scan is None:
        return "-"
    return rfc3339(cluster.scan.scanned_at, field=f"clusters[{cluster.name}].scanned_at")


COUNT_FIELDS: tuple[str, ...] = (
    "components",
    "critical",
    "warning",
    "vulnerable",
    "eol",
    "outdated",
)
"""The counts each cluster line shows, in column order (JSON: every field)."""


def version_text(group: FleetGroup) -> str:
    """A group's version with how far behind it is: ``1.18.2 (minor, 412d)``, ``≥`` for a
    lower bound (flag ``partial-catalogue``), or the version alone."""
    if group.behind is None:
        return group.version
    days = ""
    if group.days_behind is not None:
        days = f", {'≥' if group.partial else ''}{group.days_behind}d"
    return f"{group.version} ({group.behind.value}{days})"


def flags_text(group: FleetGroup) -> str:
    """The group's flags, comma-separated (``-`` without any)."""
    return ", ".join(f.value for f in group.flags) or "-"


def examples_text(group: FleetGroup) -> str:
    """The group's first cluster name and how many more: ``prod-eu +41``."""
    more = group.cluster_count - 1
    return group.first_cluster + (f" +{more}" if more else "")


HIDDEN_NOTE = "Versions with info findings or none are not listed (--format json lists all)."
"""The note under the groups table."""


# --- the table ------------------------------------------------------------------------------


CLUSTER_COLUMNS: tuple[Column, ...] = (
    Column("cluster", breaks=NAME, soft_min=14, hard_min=8, style="bold", shrink=3),
    Column("last scan", short_header="scanned", soft_min=20, hard_min=10, shrink=4),
    Column("control plane", short_header="k8s", breaks=WORDS, soft_min=14, hard_min=7, shrink=2),
    Column("components", short_header="comp", justify="right", give_up=1),
    Column("critical", short_header="crit", justify="right"),
    Column("warning", short_header="warn", justify="right"),
    Column("vulnerable", short_header="vuln", justify="right", give_up=3),
    Column("eol", justify="right", give_up=4),
    Column("outdated", short_header="outd", justify="right", give_up=2),
)
"""The cluster summary table; ``give_up`` gives the drop order on a narrow terminal."""

_COUNT_STYLE = {"critical": SEVERITY_STYLE[Severity.CRITICAL], "warning": "yellow"}

GROUP_COLUMNS: tuple[Column, ...] = (
    Column("severity", short_header="sev"),
    Column("component", breaks=NAME, soft_min=14, hard_min=10, style="bold", shrink=3),
    Column("role"),
    Column("version", breaks=r" (?=\()", soft_min=16, shrink=4),
    Column("latest", breaks=VERSION, soft_min=10, hard_min=7, give_up=2, fold="version"),
    Column("flags", breaks=WORDS, shrink=2),
    Column("clusters", justify="right"),
    Column("e.g.", breaks=WORDS, soft_min=16, hard_min=12, give_up=1, shrink=1),
)
"""The table of component versions with critical or warning findings. Component, role,
version and latest identify a row and are always shown (on a narrow terminal latest folds
under the version); ``e.g.`` goes first."""


def _count_cell(field: str, counts: FleetCounts | None) -> Cell:
    if counts is None:
        return Text("-", style="dim")
    value = getattr(counts, field)
    style = _COUNT_STYLE.get(field, "") if value else "dim"
    return Text(str(value), style=style)


def _cluster_cells(cluster: FleetCluster) -> list[Cell]:
    scanned = scanned_text(cluster)
    version = cluster.scan.kubernetes_version if cluster.scan else None
    return [
        safe(cluster.name),
        (Text(scanned), Text(scanned[:10])),
        (safe(control_plane_text(cluster)), safe(version or "unknown")),
        *(_count_cell(field, cluster.counts) for field in COUNT_FIELDS),
    ]


def _group_cells(group: FleetGroup) -> list[Cell]:
    severity: Cell = Text("-", style="dim")
    if group.severity is not None:
        style = SEVERITY_STYLE[group.severity]
        severity = (
            Text(group.severity.value, style=style),
            Text(SEVERITY_SHORT[group.severity], style=style),
        )
    return [
        severity,
        safe(group.component),
        (Text(group.role), Text(group.role.split("-")[0])),
        safe(version_text(group)),
        safe(group.latest),
        Text(flags_text(group)),
        Text(str(group.cluster_count)),
        safe(examples_text(group)),
    ]


def lines_table(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int, *, color: bool
) -> str:
    """A fitted table (:func:`fit_columns`) written as lines: header, rule, then each row
    (one line, or more where a name wraps: :func:`tracker.report.layout.cell_lines`).

    For long tables of cells whose ``Text`` carries one style (no spans): the same lines
    as :func:`tracker.report.layout.fit_table` printed by rich, at a third of the cost.
    """
    layout = fit_columns(columns, rows, width)
    shown = list(zip(layout.shown, layout.widths, strict=True))
    ansi: dict[tuple[str, str], Style] = {}

    def styled(text: Text, column: Column) -> str:
        plain = text.plain
        if color:
            key = (column.style, str(text.style))
            if key not in ansi:
                ansi[key] = Style.parse(column.style or "none") + Style.parse(key[1] or "none")
            plain = ansi[key].render(plain, color_system=ColorSystem.STANDARD)
        return plain

    def line(texts: Sequence[Text]) -> str:
        parts: list[str] = []
        for k, ((group, w), text) in enumerate(zip(shown, texts, strict=True)):
            column = columns[group[0]]
            pad = " " * (w - text.cell_len)
            if column.justify == "right":
                parts.append(pad + styled(text, column))
            else:
                parts.append(styled(text, column) + ("" if k == len(shown) - 1 else pad))
        return (" " * GAP).join(parts).rstrip(" ")

    def row_lines(cells: Sequence[Cell]) -> list[str]:
        blocks = [cell_lines(columns, g, cells, w, layout.abbreviated) for g, w in shown]
        height = max(len(b) for b in blocks)
        return [line([b[n] if n < len(b) else Text("") for b in blocks]) for n in range(height)]

    header = [Text(layout.header(columns, k), style="bold") for k in range(len(shown))]
    lines = [line(header), "─" * layout.total()]
    for row in rows:
        lines += row_lines(row)
    return "\n".join(lines) + "\n"


def format_fleet(view: Fleet | Report, *, width: int = 120, color: bool = False) -> str:
    """Render the fleet view (see the module docstring) as text.

    Args:
        view: the fleet's figures (the store's fast path), or a full report (summarized).
        width: console width in characters (80 to 250 tested; every line fits it).
        color: ANSI colours by severity (off: plain text, safe for files and mail).

    Raises:
        ReportError: a naive timestamp.
    """
    fleet = as_fleet(view)
    generated = rfc3339(fleet.generated_at, field="generated_at")
    title = f"tracker fleet report, generated {generated}: {len(fleet.clusters)} clusters"
    parts: list[RenderableType] = [Text(title, style="bold")]
    parts += [Text(f"warning: {for_terminal(w)}", style="yellow") for w in fleet.warnings]
    if not fleet.clusters:
        parts.append(Text("No clusters in this report."))
        return render(parts, width=width, color=color)
    parts.append(Text(totals_text(fleet)))
    parts += [Text(""), Text("Clusters, worst first:", style="bold")]
    rows = [_cluster_cells(c) for c in ordered_clusters(fleet)]
    head = render(parts, width=width, color=color)
    clusters = lines_table(CLUSTER_COLUMNS, rows, width, color=color)
    parts = _legend([CLUSTER_LEGEND], width)
    groups = fleet.shown_groups()
    parts += [Text(""), Text("Component versions with critical or warning findings:", style="bold")]
    if groups:
        table, legend = fit_table(GROUP_COLUMNS, [_group_cells(g) for g in groups], width)
        parts.append(table)
        partial = ["≥N: at least N"] if any(g.partial for g in groups) else []
        parts += _legend([GROUP_LEGEND, *legend, *partial], width)
    else:
        parts.append(Text("None."))
    parts.append(Text(HIDDEN_NOTE, style="dim"))
    return head + clusters + render(parts, width=width, color=color)


def _legend(entries: list[str], width: int) -> list[RenderableType]:
    line = legend_line(entries, width)
    return [line] if line is not None else []


# --- JSON -----------------------------------------------------------------------------------


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


def group_to_dict(group: FleetGroup, clusters: list[str]) -> dict[str, Any]:
    """One ``groups[]`` entry of :func:`fleet_to_dict`; ``clusters``: every name, sorted."""
    return {
        "component": group.component,
        "role": group.role,
        "version": group.version,
        "severity": group.severity.value if group.severity is not None else None,
        "latest": group.latest,
        "behind": group.behind.value if group.behind is not None else None,
        "days_behind": group.days_behind,
        "partial": group.partial,
        "flags": [f.value for f in group.flags],
        "clusters": clusters,
        "entries": group.entries,
    }


def fleet_to_dict(report: Report) -> dict[str, Any]:
    """The fleet view as JSON-ready data: the table's figures, complete, and every row.

    Shape::

        {"schema_version": 1, "generated_at": "<RFC 3339 UTC>",
         "clusters": [{"name", "scanned_at", "kubernetes_version", "distribution", "source",
            "warnings", "server", "counts": {"components", "critical", "warning", "info",
            "waived", "vulnerable", "eol", "outdated"} | null}],
         "groups": [{"component", "role", "version", "severity", "latest", "behind",
            "days_behind", "partial", "flags", "clusters": [names], "entries"}],
         "components": [{"component": "istio", "role": "data-plane", "latest": "1.24.1",
            "clusters": {"prod": [{"current", "raw_version", "status", "behind",
                "releases_behind", "days_behind", "namespace", "workload", "instances",
                "flags"}, ...]}}]}

    ``clusters`` is by name; ``counts`` (:class:`tracker.fleet.FleetCounts`) is null for a
    cluster never evaluated. ``groups`` holds every version of every component, worst first
    (the table lists those whose severity is critical or warning). ``components`` is the
    component x cluster grid, worst first: a cluster not running the component has no key
    in ``clusters``; its entries are worst first.

    Raises:
        ReportError: a naive timestamp in the report.
    """
    fleet = fleet_of(report)
    counts = {c.name: c.counts for c in fleet.clusters}
    names: dict[GroupKey, set[str]] = {}
    for row in report.components:
        names.setdefault(FleetRow.of(row).key(), set()).add(row.cluster)
    return {
        "schema_version": FLEET_SCHEMA_VERSION,
        "generated_at": rfc3339(report.generated_at, field="generated_at"),
        "clusters": [
            {**cluster_to_dict(c), "server": c.server, "counts": _counts(counts.get(c.name))}
            for c in report.clusters
        ],
        "groups": [group_to_dict(g, sorted(names[g.key])) for g in fleet.groups],
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


def _counts(counts: FleetCounts | None) -> dict[str, int] | None:
    return counts.to_dict() if counts is not None else None


def format_fleet_json(report: Report) -> str:
    """:func:`fleet_to_dict` as terminal-safe JSON text (:func:`tracker.text.json_text`).

    Raises:
        ReportError: a naive timestamp in the report.
    """
    return json_text(fleet_to_dict(report)) + "\n"
