"""The report table (``tracker report``, ``tracker query``): one fitted table per cluster.

Laid out by :mod:`tracker.report.layout` (every line fits the width; needed values wrap,
never cut). The report's columns, and what gives way on a narrow terminal, in this order:

1. dropped: latest patch, instances, releases behind, status, behind;
2. folded: **where** (``namespace/kind/name``) moves under the component, in a column
   headed ``component / where``;
3. dropped: role (where and the component tell control plane, gateway and sidecars
   apart), then days.

Severity, component (with its Istio revision, Helm chart, mirror marker), where, current,
latest and flags are always shown, whole: a long name wraps after ``/``, ``,`` or ``.``
(never inside ``1-22-3``), a version after ``-``, flags between words. A column in the
order above also goes once the table fits when that saves a tenth of its lines. On the
bundled demo cluster: at 80 columns severity, component / where, current, latest and
flags; at 120 also role, where in its own column and days; at 200 every column (what fits
depends on the values). ``tracker report --format json`` has every field at any width.

Every value from a cluster or from upstream passes through :func:`tracker.text.for_terminal`
(control characters, ANSI/OSC sequences and bidirectional overrides are shown escaped), and
cells are ``rich.text.Text`` objects, so ``[bold]`` in a name is printed, not interpreted.
Colour only when the caller says so (``color=True``): :func:`color_enabled` is the rule the
CLI applies (a terminal, no ``NO_COLOR``, no ``--no-color``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from rich.console import RenderableType
from rich.text import Text

from tracker.models import ClusterSummary, ComponentReport, Flag, Report, Severity, Status
from tracker.report.base import (
    cluster_names,
    cluster_rows,
    component_label,
    count_text,
    distribution_name,
    rfc3339,
    severity_counts,
)
from tracker.report.layout import Cell, Column, fit_table, legend_line, render
from tracker.report.wrap import NAME, VERSION, WORDS, hanging
from tracker.text import for_terminal

MAX_UNIDENTIFIED_LINES = 20
"""How many unidentified images a cluster lists before "and N more"."""

DEFAULT_WIDTH = 120
"""Width used when neither ``COLUMNS`` nor a terminal gives one."""

SEVERITY_STYLE: Mapping[Severity, str] = {
    Severity.CRITICAL: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}
"""rich style of each severity; every terminal table uses this map."""

STATUS_STYLE: Mapping[Status, str] = {Status.UP_TO_DATE: "green", Status.UNKNOWN: "magenta"}
"""rich style of a status when no finding sets one."""

SEVERITY_SHORT: Mapping[Severity, str] = {
    Severity.CRITICAL: "crit",
    Severity.WARNING: "warn",
    Severity.INFO: "info",
}
_KIND_SHORT = {
    "Deployment": "deploy",
    "StatefulSet": "sts",
    "DaemonSet": "ds",
    "ReplicaSet": "rs",
    "StaticPod": "static",
    "CronJob": "cj",
    "Job": "job",
    "Pod": "po",
}


def color_enabled(
    *, is_terminal: bool, no_color_flag: bool = False, environ: Mapping[str, str] | None = None
) -> bool:
    """Whether to colour a table: only on a terminal, never with ``--no-color``, never when
    ``NO_COLOR`` is set to a non-empty value (https://no-color.org).

    >>> color_enabled(is_terminal=True, environ={"NO_COLOR": "1"})
    False
    >>> color_enabled(is_terminal=True, environ={})
    True
    """
    env = os.environ if environ is None else environ
    return is_terminal and not no_color_flag and not env.get("NO_COLOR")


def table_width(*, terminal_width: int | None, environ: Mapping[str, str] | None = None) -> int:
    """The width to lay tables out for: ``COLUMNS`` when it is a positive number, else the
    terminal's width, else :data:`DEFAULT_WIDTH` (output to a pipe or a file).

    >>> table_width(terminal_width=None, environ={"COLUMNS": "88"})
    88
    >>> table_width(terminal_width=None, environ={"COLUMNS": "wide"})
    120
    """
    env = os.environ if environ is None else environ
    columns = env.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    return terminal_width or DEFAULT_WIDTH


def safe(value: object, style: str = "") -> Text:
    """An untrusted value as a styled ``Text`` (escaped by :func:`for_terminal`; None -> ``-``)."""
    if value is None or value == "":
        return Text("-", style=style)
    return Text(for_terminal(str(value)), style=style)


# --- the report table ----------------------------------------------------------------------


def short_kinds(workload: str) -> str:
    """``Deployment/x`` -> ``deploy/x`` (kubectl's short names) in a workload or a list of them.

    >>> short_kinds("istio-system/Deployment/istiod,StatefulSet/db")
    'istio-system/deploy/istiod,sts/db'
    """
    out = []
    for item in workload.split(","):
        parts = item.split("/")
        out.append("/".join(_KIND_SHORT.get(p, p) for p in parts))
    return ",".join(out)


def short_workload(workload: str | None) -> str | None:
    """Shorten a list workload (``Node/a,b,c``; sidecars' ``Deployment/x,StatefulSet/y``)
    to its first item and a count, ``Node/a,+2``; the JSON keeps the list.

    >>> short_workload("Node/a,b,+3 more")
    'Node/a,+4'
    """
    if not workload or "," not in workload:
        return workload
    first, *rest = workload.split(",")
    more = 0
    if rest and rest[-1].startswith("+") and rest[-1].endswith(" more"):
        try:
            more = int(rest.pop()[1:-5])
        except ValueError:
            more = 1
    return f"{first},+{len(rest) + more}"


def where(row: ComponentReport) -> str:
    """``namespace/Kind/name`` (list workloads shortened), or the workload alone, or ``-``."""
    c = row.component
    workload = short_workload(c.workload)
    if c.namespace and workload:
        return f"{c.namespace}/{workload}"
    return workload or c.namespace or "-"


def severity_cell(row: ComponentReport) -> Cell:
    """The worst finding's severity, styled, with its abbreviation (``-`` without findings)."""
    worst = row.worst_severity
    if worst is None:
        return Text("-", style="dim")
    style = SEVERITY_STYLE[worst]
    return (Text(worst.value, style=style), Text(SEVERITY_SHORT[worst], style=style))


def _status_text(row: ComponentReport) -> Text:
    worst = row.worst_severity
    if row.status is Status.OUTDATED:
        style = SEVERITY_STYLE[worst] if worst is not None else "yellow"
    else:
        style = STATUS_STYLE.get(row.status, "")
        if worst is Severity.CRITICAL:
            style = SEVERITY_STYLE[worst]
    return Text(row.status.value, style=style)


REPORT_COLUMNS: tuple[Column, ...] = (
    Column("severity", short_header="sev"),
    Column("component", breaks=WORDS, soft_min=16, hard_min=10),
    Column("role", give_up=7),
    Column("where", give_up=6, fold="component", breaks=NAME, soft_min=32, hard_min=12),
    Column("inst.", justify="right", give_up=2),
    Column("status", give_up=4),
    Column("current", breaks=VERSION, soft_min=12, hard_min=8),
    Column("latest", breaks=VERSION, soft_min=12, hard_min=8),
    Column(
        "patch",
        give_up=1,
        breaks=VERSION,
        soft_min=10,
        legend="patch: newest release of the running minor",
    ),
    Column("behind", give_up=5),
    Column(
        "releases",
        short_header="rel",
        justify="right",
        give_up=3,
        legend="releases: newer releases",
    ),
    Column(
        "days",
        justify="right",
        give_up=8,
        legend="days: days since the first newer release",
    ),
    Column("flags", breaks=WORDS),
)
"""The report and ``query`` table; ``give_up`` is the order of the module docstring."""


def _flag_text(row: ComponentReport, flag: Flag) -> str:
    """A flag, marked ``(waived)`` when a live waiver accepts every finding of that kind."""
    of_kind = [f for f in row.findings if f.kind is flag]
    return f"{flag.value} (waived)" if of_kind and all(f.waived for f in of_kind) else flag.value


def _row_cells(row: ComponentReport) -> list[Cell]:
    c = row.component
    place = where(row)
    role = c.role.value
    flags = ", ".join(_flag_text(row, f) for f in row.flags) or "-"
    return [
        severity_cell(row),
        safe(component_label(c), "bold"),
        (Text(role), Text(role.split("-")[0])),
        (safe(place), safe(short_kinds(place))),
        Text(str(c.instances)),
        _status_text(row),
        safe(row.current),
        safe(row.latest),
        safe(row.latest_patch),
        safe(row.behind.value if row.behind is not None else None),
        Text(count_text(row, row.releases_behind)),
        Text(count_text(row, row.days_behind)),
        Text(flags),
    ]


def rows_table(rows: Sequence[ComponentReport], width: int) -> list[RenderableType]:
    """The fitted table of ``rows`` (in the given order) and its legend line."""
    table, legend = fit_table(REPORT_COLUMNS, [_row_cells(r) for r in rows], width)
    if any(Flag.PARTIAL_CATALOGUE in r.flags for r in rows):
        legend.append("≥N: at least N (stored releases do not reach back)")
    parts: list[RenderableType] = [table]
    line = legend_line(legend, width)
    if line is not None:
        parts.append(line)
    return parts


def _cluster_header(name: str, summary: ClusterSummary | None, rows: list[ComponentReport]) -> Text:
    text = Text()
    text.append(for_terminal(name), style="bold underline")
    if summary is not None:
        text.append(f"  Kubernetes {for_terminal(summary.kubernetes_version or 'unknown')}")
        shown = distribution_name(summary.distribution)
        if shown:
            text.append(f" ({for_terminal(shown)})")
        scanned = rfc3339(summary.scanned_at, field=f"clusters[{name}].scanned_at")
        text.append(f"  scanned {scanned}  source {summary.source.value}")
    counts = severity_counts(rows)
    text.append(f"\n{len(rows)} component{'' if len(rows) == 1 else 's'}; findings: ")
    text.append(", ".join(f"{n} {sev.value}" for sev, n in counts.items()))
    if summary is not None:
        for warning in summary.warnings:
            text.append(f"\nwarning: {for_terminal(warning)}", style="yellow")
    return text


def _unidentified(report: Report, name: str, width: int) -> Text | None:
    items = [u.item for u in report.unidentified if u.cluster == name]
    if not items:
        return None
    text = Text(f"Unidentified images ({len(items)}):", style="bold")
    shown = sorted(items, key=lambda i: (i.image, i.namespace, i.workload))
    for item in shown[:MAX_UNIDENTIFIED_LINES]:
        line = f"{item.image}  {item.namespace}/{item.workload}  ({item.reason})"
        text.append("\n")
        text.append_text(hanging(Text(for_terminal(line)), width))
    if len(items) > MAX_UNIDENTIFIED_LINES:
        text.append(f"\n  and {len(items) - MAX_UNIDENTIFIED_LINES} more")
    return text


def _critical(rows: list[ComponentReport], width: int) -> Text | None:
    """What must be done, per critical finding no waiver accepts: the finding's own message
    says what, by when, why and what to move to (the table shows only its kind). Each is
    one paragraph with a hanging indent, wrapped at spaces, never cut."""
    found = [
        (r, f)
        for r in rows
        for f in r.counted_findings
        if f.severity is Severity.CRITICAL and f.kind is not Flag.OUTDATED
    ]
    if not found:
        return None
    text = Text(f"Critical findings ({len(found)}), besides outdated versions:", style="bold")
    for row, finding in found:
        where = "/".join(p for p in (row.component.namespace, row.component.workload) if p)
        line = f"{finding.kind.value}: {finding.message}" + (f" [{where}]" if where else "")
        text.append("\n")
        text.append_text(hanging(Text(for_terminal(line)), width))
    return text


class TableFormatter:
    """Renders a report as text tables, one per cluster, worst first.

    Per cluster: a header (name, Kubernetes version, scan time, source, warnings), the
    fitted table (:data:`REPORT_COLUMNS`), its legend, the critical findings other than
    "outdated" with their messages (what, by when, why, move to what), then the
    unidentified images.

    Args:
        width: console width in characters (80 to 250 tested); every line fits it.
        color: emit ANSI colours (by severity); off by default. The CLI passes
            :func:`color_enabled`.
    """

    def __init__(self, *, width: int = DEFAULT_WIDTH, color: bool = False) -> None:
        self.width = width
        self.color = color

    def format(self, report: Report) -> str:
        """Return the rendered report. Raises ReportError for a naive timestamp."""
        parts: list[RenderableType] = []
        generated = rfc3339(report.generated_at, field="generated_at")
        parts.append(Text(f"tracker report, generated {generated}", style="bold"))
        for warning in report.warnings:
            parts.append(Text(f"warning: {for_terminal(warning)}", style="yellow"))
        summaries = {c.name: c for c in report.clusters}
        names = cluster_names(report)
        if not names:
            parts.append(Text("No clusters in this report."))
        for name in names:
            rows = cluster_rows(report, name)
            parts.append(Text(""))
            parts.append(_cluster_header(name, summaries.get(name), rows))
            parts += rows_table(rows, self.width) if rows else [Text("No components identified.")]
            critical = _critical(rows, self.width)
            if critical is not None:
                parts.append(critical)
            unidentified = _unidentified(report, name, self.width)
            if unidentified is not None:
                parts.append(unidentified)
        return render(parts, width=self.width, color=self.color)
