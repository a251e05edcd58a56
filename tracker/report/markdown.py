"""The Markdown report (GitHub-flavoured): for files, pull requests and wikis.

Layout: a title and one summary line; per cluster a heading, a context line, warnings,
a table (worst first), the findings with release-notes links, and the unidentified images
in a ``<details>`` block. Every value from a cluster is escaped, so an odd image name cannot
break the table or inject markup.
"""

from __future__ import annotations

from tracker.models import ClusterSummary, ComponentReport, Finding, Report, Status
from tracker.report.base import (
    behind_text,
    cluster_names,
    cluster_rows,
    component_label,
    count_text,
    distribution_name,
    place,
    rfc3339,
    severity_counts,
)
from tracker.text import for_markdown, safe_url

_HEADERS = (
    "Severity",
    "Component",
    "Role",
    "Namespace",
    "Workload",
    "Status",
    "Current",
    "Latest",
    "Latest patch",
    "Behind",
    "Releases behind",
    "Days behind",
    "Flags",
)
_NUMERIC = ("Releases behind", "Days behind")


def escape(text: str) -> str:
    r"""Escape an untrusted value for Markdown: :func:`tracker.text.for_markdown` (control
    characters shown as ``\x1b``, GFM inline markup, table pipes and HTML tags escaped).

    >>> escape("a|b <c> *d*")
    'a\\|b \\<c\\> \\*d\\*'
    """
    return for_markdown(text)


def _cell(value: object) -> str:
    return "-" if value is None or value == "" else escape(str(value))


def _link(url: str | None, label: str) -> str:
    safe = safe_url(url)
    return f"[{label}]({safe})" if safe else ""


def _summary_line(report: Report, names: list[str]) -> str:
    rows = report.components
    counts = severity_counts(rows)
    outdated = sum(1 for r in rows if r.status is Status.OUTDATED)
    found = ", ".join(f"{n} {sev.value}" for sev, n in counts.items())
    return (
        f"{len(names)} cluster{'s' if len(names) != 1 else ''}, "
        f"{len(rows)} components ({outdated} outdated); findings: {found}; "
        f"{len(report.unidentified)} unidentified images. "
        f"Generated {rfc3339(report.generated_at, field='generated_at')}."
    )


def _context(name: str, summary: ClusterSummary | None) -> list[str]:
    if summary is None:
        return ["No scan summary for this cluster."]
    scanned = rfc3339(summary.scanned_at, field=f"clusters[{name}].scanned_at")
    shown = distribution_name(summary.distribution)
    dist = f" ({_cell(shown)})" if shown else ""
    lines = [
        f"Kubernetes {_cell(summary.kubernetes_version or 'unknown')}{dist} · scanned {scanned} · "
        f"source {summary.source.value}"
    ]
    lines.extend(f"> **Warning:** {escape(w)}" for w in summary.warnings)
    return lines


def _table(rows: list[ComponentReport]) -> list[str]:
    lines = ["| " + " | ".join(_HEADERS) + " |"]
    lines.append("|" + "|".join("---:" if h in _NUMERIC else "---" for h in _HEADERS) + "|")
    for row in rows:
        c = row.component
        worst = row.worst_severity
        cells = [
            f"**{worst.value}**" if worst is not None else "-",
            f"**{escape(component_label(c))}**",
            _cell(c.role.value),
            _cell(c.namespace),
            _cell(c.workload),
            _cell(row.status.value),
            _cell(row.current),
            _cell(row.latest),
            _cell(row.latest_patch),
            _cell(row.behind.value if row.behind is not None else None),
            _cell(count_text(row, row.releases_behind)),
            _cell(count_text(row, row.days_behind)),
            _cell(", ".join(f.value for f in row.flags)),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _findings(rows: list[ComponentReport]) -> list[str]:
    """One bullet per row with findings, its findings nested under it."""
    lines: list[str] = []
    for row in rows:
        worst = row.worst_severity
        if worst is None:
            continue
        c = row.component
        line = f"- **{worst.value}** {escape(c.component)} {c.role.value} ({escape(place(row))})"
        running = row.current or c.raw_version
        if running:
            line += f": {escape(running)}"
            if row.latest and row.latest != row.current:
                line += f" → {escape(row.latest)}"
        how_far = behind_text(row)
        if how_far:
            line += f", {how_far} behind"
        link = _link(row.latest_url, f"release notes {escape(row.latest or '')}")
        if link:
            line += f" · {link}"
        lines.append(line)
        lines.extend(
            f"  - `{f.kind.value}` ({f.severity.value}{_waived(row, f)}): {escape(f.message)}"
            for f in row.findings
        )
    return lines


def _waived(row: ComponentReport, finding: Finding) -> str:
    """``, waived by <owner> until <date>`` for a waived finding, else ``""``."""
    if not finding.waived or row.waiver is None:
        return ""
    return f", waived by {escape(row.waiver.owner)} until {row.waiver.expires.isoformat()}"


def _unidentified(report: Report, name: str) -> list[str]:
    items = sorted(
        (u.item for u in report.unidentified if u.cluster == name),
        key=lambda i: (i.image, i.namespace, i.workload),
    )
    if not items:
        return []
    lines = [
        "<details>",
        f"<summary>Unidentified images ({len(items)})</summary>",
        "",
        "| Image | Namespace | Workload | Reason |",
        "|---|---|---|---|",
    ]
    for i in items:
        lines.append(
            f"| {_cell(i.image)} | {_cell(i.namespace)} | {_cell(i.workload)} | {_cell(i.reason)} |"
        )
    lines += ["", "</details>"]
    return lines


class MarkdownFormatter:
    """Renders a report as GitHub-flavoured Markdown (see the module docstring)."""

    def format(self, report: Report) -> str:
        """Return the Markdown text. Raises ReportError for a naive timestamp."""
        names = cluster_names(report)
        summaries = {c.name: c for c in report.clusters}
        out = ["# tracker report", "", _summary_line(report, names)]
        for warning in report.warnings:
            out += ["", f"> **Warning:** {escape(warning)}"]
        for name in names:
            rows = cluster_rows(report, name)
            out += ["", f"## {escape(name)}", ""]
            out += _context(name, summaries.get(name))
            out.append("")
            out += _table(rows) if rows else ["No components identified."]
            findings = _findings(rows)
            if findings:
                out += ["", "### Findings", "", *findings]
            unidentified = _unidentified(report, name)
            if unidentified:
                out += ["", *unidentified]
        return "\n".join(out) + "\n"
