"""The terminal report: one rich table per cluster, worst first.

Per cluster: a short header (name, Kubernetes version, scan time, source, warnings), a
table (component, role, namespace, workload, status, current, latest, latest patch,
behind, releases behind, days behind, flags), then the unidentified images (count and a
compact list). Rendered into a string through a rich ``Console`` writing to ``StringIO``;
ANSI colours only when asked (``color=True``), so the text is safe for files and cron mail.
"""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from tracker.models import ClusterSummary, ComponentReport, Report, Severity, Status
from tracker.report.base import cluster_names, cluster_rows, count_text, rfc3339, severity_counts

MAX_UNIDENTIFIED_LINES = 20
"""How many unidentified images a cluster lists before "and N more"."""

_SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}
_STATUS_STYLE = {Status.UP_TO_DATE: "green", Status.UNKNOWN: "magenta"}
_COLUMNS = (
    "component",
    "role",
    "workload",
    "inst.",
    "status",
    "current",
    "latest",
    "patch",
    "behind",
    "releases",
    "days",
    "flags",
)


def _dash(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


def _status_text(row: ComponentReport) -> Text:
    worst = row.worst_severity
    if row.status is Status.OUTDATED:
        style = _SEVERITY_STYLE[worst] if worst is not None else "yellow"
    else:
        style = _STATUS_STYLE.get(row.status, "")
        if worst is Severity.CRITICAL:
            style = _SEVERITY_STYLE[worst]
    return Text(row.status.value, style=style)


def _workload(workload: str | None) -> str:
    """Shorten a list workload (``Node/a,b,c``; sidecars' ``Deployment/x,StatefulSet/y``)
    to its first item and a count, ``Node/a,+2``; the JSON keeps the list.

    >>> _workload("Node/a,b,+3 more")
    'Node/a,+4'
    """
    if not workload or "," not in workload:
        return _dash(workload)
    first, *rest = workload.split(",")
    more = 0
    if rest and rest[-1].startswith("+") and rest[-1].endswith(" more"):
        more = int(rest.pop()[1:-5])
    return f"{first},+{len(rest) + more}"


def _where(namespace: str | None, workload: str) -> str:
    """``namespace/Kind/name``, or just the workload for cluster-wide entries."""
    return f"{namespace}/{workload}" if namespace else workload


def _row_cells(row: ComponentReport) -> list[Text]:
    c = row.component
    cells = [
        Text(c.component, style="bold"),
        Text(c.role.value),
        Text(_where(c.namespace, _workload(c.workload))),
        Text(str(c.instances), justify="right"),
        _status_text(row),
        Text(_dash(row.current)),
        Text(_dash(row.latest)),
        Text(_dash(row.latest_patch)),
        Text(_dash(row.behind.value if row.behind is not None else None)),
        Text(count_text(row, row.releases_behind), justify="right"),
        Text(count_text(row, row.days_behind), justify="right"),
        Text(",".join(f.value for f in row.flags) or "-"),
    ]
    return cells


def _cluster_header(name: str, summary: ClusterSummary | None, rows: list[ComponentReport]) -> Text:
    text = Text()
    text.append(name, style="bold underline")
    if summary is not None:
        text.append(f"  Kubernetes {summary.kubernetes_version or 'unknown'}")
        scanned = rfc3339(summary.scanned_at, field=f"clusters[{name}].scanned_at")
        text.append(f"  scanned {scanned}  source {summary.source.value}")
    counts = severity_counts(rows)
    text.append(f"\n{len(rows)} component{'' if len(rows) == 1 else 's'}; findings: ")
    text.append(", ".join(f"{n} {sev.value}" for sev, n in counts.items()))
    if summary is not None:
        for warning in summary.warnings:
            text.append(f"\nwarning: {warning}", style="yellow")
    return text


def _table(rows: list[ComponentReport]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for title in _COLUMNS:
        numeric = title in ("inst.", "releases", "days")
        table.add_column(
            title,
            overflow="fold",
            max_width={"component": 19, "flags": 18}.get(title),
            justify="right" if numeric else "left",
        )
    for row in rows:
        table.add_row(*_row_cells(row))
    return table


def _unidentified(report: Report, name: str) -> Text | None:
    items = [u.item for u in report.unidentified if u.cluster == name]
    if not items:
        return None
    text = Text(f"Unidentified images ({len(items)}):", style="bold")
    shown = sorted(items, key=lambda i: (i.image, i.namespace, i.workload))
    for item in shown[:MAX_UNIDENTIFIED_LINES]:
        text.append(f"\n  {item.image}  {item.namespace}/{item.workload}  ({item.reason})")
    if len(items) > MAX_UNIDENTIFIED_LINES:
        text.append(f"\n  and {len(items) - MAX_UNIDENTIFIED_LINES} more")
    return text


class TableFormatter:
    """Renders a report as text tables (see the module docstring).

    Args:
        width: console width in characters; long cells wrap (never cut).
        color: emit ANSI colours (status by severity); off by default.
    """

    def __init__(self, *, width: int = 160, color: bool = False) -> None:
        self.width = width
        self.color = color

    def format(self, report: Report) -> str:
        """Return the rendered report. Raises ReportError for a naive timestamp."""
        out = StringIO()
        console = Console(
            file=out,
            width=self.width,
            force_terminal=self.color,
            color_system="standard" if self.color else None,
            no_color=not self.color,
            highlight=False,
            emoji=False,
            soft_wrap=False,
        )
        parts: list[RenderableType] = []
        generated = rfc3339(report.generated_at, field="generated_at")
        parts.append(Text(f"tracker report, generated {generated}", style="bold"))
        for warning in report.warnings:
            parts.append(Text(f"warning: {warning}", style="yellow"))
        summaries = {c.name: c for c in report.clusters}
        names = cluster_names(report)
        if not names:
            parts.append(Text("No clusters in this report."))
        for name in names:
            rows = cluster_rows(report, name)
            parts.append(Text(""))
            parts.append(_cluster_header(name, summaries.get(name), rows))
            parts.append(_table(rows) if rows else Text("No components identified."))
            unidentified = _unidentified(report, name)
            if unidentified is not None:
                parts.append(unidentified)
        for part in parts:
            console.print(part)
        return out.getvalue()
