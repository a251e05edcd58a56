"""Terminal tables that fit: the layout rules every table uses, and the report table.

Every table tracker prints (``report``, ``query``, ``history``, the fleet view, ``releases
list``) is laid out by :func:`fit_table` for the width it is given (``COLUMNS`` or the
terminal; tested from 80 to 250 characters). No line is longer than that width, and no value
is ever wrapped in the middle of a word. When the natural table is too wide, these steps run
in this order, each only as far as needed:

1. **Abbreviate.** Columns that have a short form switch to it: headers (``severity`` ->
   ``sev``, ``releases`` -> ``rel``), severities (``critical`` -> ``crit``, ``warning`` ->
   ``warn``), roles (``control-plane`` -> ``control``, ``data-plane`` -> ``data``) and
   workload kinds (``Deployment`` -> ``deploy``, ``StatefulSet`` -> ``sts``, ``DaemonSet`` ->
   ``ds``, ``StaticPod`` -> ``static``, ``CronJob`` -> ``cj``; kubectl's short names).
2. **Truncate** long free-text columns (where a component runs, image, URL, message) down to a
   comfortable width, with ``…`` at the end.
3. **Drop** columns one at a time, in each table's documented drop order (for the report and
   ``query``: latest patch, instances, releases behind, status, behind).
4. **Truncate further**, down to each column's hard minimum.
5. **Drop the last columns** that may go, in order (report and ``query``: role, days, where).
   Severity, component, current, latest and flags are never dropped.

Columns of lists (``flags``, a finding's message) never truncate: they wrap between words
only, and are never narrower than their longest word (``partial-catalogue``), so a flag is
never split. Space left over after a step is given back to truncated columns.
A one-line legend under a table explains the columns that need it (``days`` = days since
the first newer release) and is shown only for columns that are shown.

Every value from a cluster or from upstream passes through :func:`tracker.text.for_terminal`
(control characters, ANSI/OSC sequences and bidirectional overrides are shown escaped), and
cells are ``rich.text.Text`` objects, so ``[bold]`` in a name is printed, not interpreted.
Colour only when the caller says so (``color=True``): :func:`color_enabled` is the rule the
CLI applies (a terminal, no ``NO_COLOR``, no ``--no-color``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from io import StringIO
from typing import Literal

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
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
from tracker.text import for_terminal

MAX_UNIDENTIFIED_LINES = 20
"""How many unidentified images a cluster lists before "and N more"."""

GAP = 2
"""Characters between two columns."""

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


def make_console(out: StringIO, *, width: int, color: bool) -> Console:
    """A rich console writing to ``out``: exactly ``width`` wide, ANSI colours only if asked."""
    return Console(
        file=out,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )


def safe(value: object, style: str = "") -> Text:
    """An untrusted value as a styled ``Text`` (escaped by :func:`for_terminal`; None -> ``-``)."""
    if value is None or value == "":
        return Text("-", style=style)
    return Text(for_terminal(str(value)), style=style)


# --- the layout engine ---------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a fitted table.

    Attributes:
        header: the title; ``short_header`` replaces it in step 1 (abbreviate).
        drop: rank in the drop order (1 is dropped first); None: never dropped.
        drop_last: dropped only in step 5, after the hard truncation of step 4.
        shrink: order in which columns give up width when truncating (lower first; each
            column down to its minimum before the next): free text before names, names
            before versions.
        soft_min: truncate (``…``) down to this width in step 2; None: never truncated.
        hard_min: truncate down to this width in step 4 (default ``soft_min``).
        wrap: a list of words (flags, a message): wraps between words, never truncated,
            never narrower than its longest word (with ``soft_min`` set: than the shorter of
            the longest word and ``soft_min``; a longer word then ends with ``…``).
        legend: the legend entry when the column is shown (``days: days since …``).
    """

    header: str
    short_header: str | None = None
    justify: Literal["left", "right"] = "left"
    drop: int | None = None
    drop_last: bool = False
    soft_min: int | None = None
    hard_min: int | None = None
    wrap: bool = False
    legend: str | None = None
    style: str = ""
    shrink: int = 5


Cell = Text | tuple[Text, Text]
"""A cell: one ``Text``, or ``(full, abbreviated)`` when step 1 may shorten it."""


@dataclass(frozen=True)
class Layout:
    """What :func:`fit_columns` decided: which columns show, how wide, abbreviated or not."""

    shown: tuple[int, ...]
    widths: tuple[int, ...]
    abbreviated: bool

    def total(self) -> int:
        """The rendered width of the table in characters."""
        return sum(self.widths) + GAP * max(0, len(self.widths) - 1)


def _pick(cell: Cell, short: bool) -> Text:
    if isinstance(cell, tuple):
        return cell[1] if short else cell[0]
    return cell


def _longest_word(text: Text) -> int:
    return max((len(w) for w in text.plain.split()), default=1)


def fit_columns(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> Layout:
    """Choose the shown columns and their widths so the table fits ``width`` (module steps).

    Returns the best layout found; when even the last step does not fit (a width far below
    80), the narrowest layout, whose lines rich then cuts.
    """
    stages: list[tuple[bool, tuple[int, ...], bool]] = []  # (abbreviate, dropped, hard)
    droppable = sorted(
        (i for i, c in enumerate(columns) if c.drop is not None),
        key=lambda i: columns[i].drop or 0,
    )
    early = [i for i in droppable if not columns[i].drop_last]
    late = [i for i in droppable if columns[i].drop_last]
    stages.append((False, (), False))
    stages.append((True, (), False))
    for n in range(1, len(early) + 1):
        stages.append((True, tuple(early[:n]), False))
    for n in range(len(late) + 1):
        stages.append((True, tuple(early + late[:n]), True))
    layout = None
    for short, dropped, hard in stages:
        layout = _layout(columns, rows, width, short, set(dropped), hard)
        if layout.total() <= width:
            return layout
    assert layout is not None
    return layout


def _layout(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int,
    short: bool,
    dropped: set[int],
    hard: bool,
) -> Layout:
    shown = tuple(i for i in range(len(columns)) if i not in dropped)
    natural: list[int] = []
    floors: list[int] = []
    for i in shown:
        col = columns[i]
        header = col.short_header if short and col.short_header else col.header
        cells = [_pick(row[i], short) for row in rows]
        nat = max([len(header), *(c.cell_len for c in cells)])
        if col.wrap:
            longest = max((_longest_word(c) for c in cells), default=1)
            if col.soft_min is not None:  # a longer word (a URL) ends with "…" instead
                longest = min(longest, col.soft_min)
            floor = max(len(header), longest)
        elif col.soft_min is not None:
            minimum = col.hard_min if hard and col.hard_min is not None else col.soft_min
            floor = max(len(header), minimum)
        else:
            floor = nat
        natural.append(nat)
        floors.append(min(floor, nat))
    widths = list(natural)
    excess = sum(widths) + GAP * max(0, len(widths) - 1) - width
    for k in sorted(range(len(shown)), key=lambda k: (columns[shown[k]].shrink, k)):
        if excess <= 0:
            break
        give = min(excess, widths[k] - floors[k])
        widths[k] -= give
        excess -= give
    return Layout(shown, tuple(widths), short)


def fit_table(
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int,
    *,
    title: str | None = None,
) -> tuple[Table, list[str]]:
    """Build the rich ``Table`` that fits ``width`` and the legend entries of its shown columns.

    Args:
        columns: the column specifications, in display order.
        rows: one sequence of cells per row, in the same order as ``columns``.
        width: the console width in characters.
        title: a line above the table (escaped by the caller), left-aligned.
    """
    layout = fit_columns(columns, rows, width)
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1, 0, 0),
        header_style="bold",
        title=title,
        title_justify="left",
        title_style="bold",
    )
    for i, w in zip(layout.shown, layout.widths, strict=True):
        col = columns[i]
        header = col.short_header if layout.abbreviated and col.short_header else col.header
        table.add_column(
            header,
            width=w,
            justify=col.justify,
            no_wrap=not col.wrap,
            overflow="ellipsis",
            style=col.style,
        )
    for row in rows:
        table.add_row(*(_pick(row[i], layout.abbreviated) for i in layout.shown))
    legend = [columns[i].legend for i in layout.shown if columns[i].legend]
    return table, [entry for entry in legend if entry]


def legend_line(entries: Sequence[str], width: int) -> Text | None:
    """The legend as one dim line no wider than ``width`` (entries that do not fit are left
    out, last first); None when there is nothing to explain."""
    shown = list(entries)
    while shown:
        line = "; ".join(shown)
        if len(line) <= width:
            return Text(line, style="dim")
        shown.pop()
    return None


def render(parts: Sequence[RenderableType], *, width: int, color: bool) -> str:
    """Print ``parts`` on a :func:`make_console` of ``width`` and return the text."""
    out = StringIO()
    console = make_console(out, width=width, color=color)
    for part in parts:
        console.print(part)
    return out.getvalue()


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
    Column("component", soft_min=14, hard_min=10, style="bold", shrink=3),
    Column("role", drop=6, drop_last=True),
    Column("where", drop=8, drop_last=True, soft_min=24, hard_min=12, shrink=1),
    Column("inst.", justify="right", drop=2),
    Column("status", drop=4),
    Column("current", soft_min=12, hard_min=8),
    Column("latest", soft_min=12, hard_min=8),
    Column("patch", drop=1, soft_min=10, legend="patch: newest release of the running minor"),
    Column("behind", drop=5),
    Column(
        "releases",
        short_header="rel",
        justify="right",
        drop=3,
        legend="releases: newer releases",
    ),
    Column(
        "days",
        justify="right",
        drop=7,
        drop_last=True,
        legend="days: days since the first newer release",
    ),
    Column("flags", wrap=True, shrink=2),
)
"""The report and ``query`` table; ``drop`` gives the drop order (see the module docstring)."""


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
        safe(component_label(c)),
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


def _unidentified(report: Report, name: str) -> Text | None:
    items = [u.item for u in report.unidentified if u.cluster == name]
    if not items:
        return None
    text = Text(f"Unidentified images ({len(items)}):", style="bold")
    shown = sorted(items, key=lambda i: (i.image, i.namespace, i.workload))
    for item in shown[:MAX_UNIDENTIFIED_LINES]:
        line = f"{item.image}  {item.namespace}/{item.workload}  ({item.reason})"
        text.append(f"\n  {for_terminal(line)}")
    if len(items) > MAX_UNIDENTIFIED_LINES:
        text.append(f"\n  and {len(items) - MAX_UNIDENTIFIED_LINES} more")
    return text


def _critical(rows: list[ComponentReport]) -> Text | None:
    """What must be done, per critical finding no waiver accepts: the finding's own message
    says what, by when, why and what to move to (the table shows only its kind)."""
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
        text.append(f"\n  {for_terminal(line)}")
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
            critical = _critical(rows)
            if critical is not None:
                parts.append(critical)
            unidentified = _unidentified(report, name)
            if unidentified is not None:
                parts.append(unidentified)
        return render(parts, width=self.width, color=self.color)
