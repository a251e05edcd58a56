"""JSON and Markdown for the listing commands other than ``report``: ``query``, ``history``
and ``releases list`` (the one output convention, issue 12 item 5).

Every JSON document is an object whose first key is ``schema_version``
(:data:`LISTING_SCHEMA_VERSION`; ``history``: :data:`HISTORY_SCHEMA_VERSION`); lists are
wrapped (``{"schema_version": 1, "rows": [...]}``).
Times are RFC 3339 UTC with ``Z``. Values are raw but written through
:func:`tracker.text.json_text` (terminal-safe escapes); Markdown escapes every name with
:func:`tracker.text.for_markdown`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from tracker.fleet import Fleet
from tracker.history import FindingRef, RunChanges, VersionChange, first_seen
from tracker.models import Release, Report
from tracker.report.base import rfc3339
from tracker.report.fleet import (
    CLUSTER_LEGEND,
    COUNT_FIELDS,
    GROUP_LEGEND,
    HIDDEN_NOTE,
    as_fleet,
    control_plane_text,
    examples_text,
    flags_text,
    ordered_clusters,
    scanned_text,
    totals_text,
    version_text,
)
from tracker.report.json import component_to_dict
from tracker.report.release_list import ordered_releases
from tracker.text import for_markdown, json_text, safe_url

LISTING_SCHEMA_VERSION = 1
"""``schema_version`` of the documents of this module; a change of keys or meanings bumps it."""

HISTORY_SCHEMA_VERSION = 2
"""``schema_version`` of ``tracker history --format json``. 2: each run gained ``namespaces``
(what its scan read) and ``not_scanned``; ``resolved`` no longer lists findings of namespaces
or sources the run did not read (they are ``not_scanned``), and a finding seen again after
such a run is not ``new``."""


def rows_document(rows: Sequence[Any]) -> str:
    """``tracker query --format json``: ``{"schema_version", "rows": [component_to_dict]}``."""
    data = {"schema_version": LISTING_SCHEMA_VERSION, "rows": [component_to_dict(r) for r in rows]}
    return json_text(data) + "\n"


def _finding(ref: FindingRef) -> dict[str, Any]:
    k = ref.key
    return {
        "component": k.component,
        "role": k.role,
        "namespace": k.namespace,
        "workload": k.workload,
        "kind": k.kind,
        "severity": ref.finding.severity.value,
        "message": ref.finding.message,
    }


def _change(change: VersionChange) -> dict[str, Any]:
    k = change.key
    return {
        "component": k.component,
        "role": k.role,
        "namespace": k.namespace,
        "workload": k.workload,
        "previous": change.previous.current or change.previous.component.raw_version,
        "current": change.current.current or change.current.component.raw_version,
    }


def _kept(component: str | None, name: str) -> bool:
    return component is None or name == component


def history_to_dict(
    histories: Mapping[str, Sequence[RunChanges]], *, component: str | None, today: date
) -> dict[str, Any]:
    """``tracker history --format json``::

    {"schema_version": 2, "clusters": [{"name", "runs": [{"scan_id", "scanned_at",
      "namespaces", "new", "resolved", "not_scanned", "upgraded", "downgraded"}],
      "open": [{..., "first_seen", "days_open"}]}]}

    ``namespaces`` is what the run's scan read: ``null`` (every namespace), ``{"only":
    [names]}`` (``scan -n``) or ``{"except": [names]}`` (namespaces RBAC forbade).
    ``new``/``resolved``/``not_scanned`` are findings (component, role, namespace, workload,
    kind, severity, message); ``not_scanned``: findings of the previous run in a namespace or
    source this run did not read, neither resolved nor open. ``upgraded``/``downgraded``
    entries with ``previous`` and ``current`` versions; ``null`` lists for the oldest run
    kept (nothing to compare with). ``days_open`` counts up to ``today``.
    """
    clusters = []
    for name, runs in histories.items():
        out_runs = []
        for run in runs:
            ch = run.changes
            entry: dict[str, Any] = {
                "scan_id": run.scan_id,
                "scanned_at": rfc3339(run.scanned_at, field="scanned_at"),
                "namespaces": run.namespaces.as_json(),
            }
            for field in ("new", "resolved", "not_scanned"):
                refs: tuple[FindingRef, ...] = getattr(ch, field) if ch else ()
                entry[field] = (
                    [_finding(r) for r in refs if _kept(component, r.key.component)] if ch else None
                )
            for field in ("upgraded", "downgraded"):
                moved: tuple[VersionChange, ...] = getattr(ch, field) if ch else ()
                entry[field] = (
                    [_change(c) for c in moved if _kept(component, c.key.component)] if ch else None
                )
            out_runs.append(entry)
        opened = first_seen(runs) if runs else {}
        open_findings = []
        for key, since in sorted(opened.items()):
            if _kept(component, key.component):
                open_findings.append(
                    {
                        "component": key.component,
                        "role": key.role,
                        "namespace": key.namespace,
                        "workload": key.workload,
                        "kind": key.kind,
                        "first_seen": since.isoformat(),
                        "days_open": (today - since).days,
                    }
                )
        clusters.append({"name": name, "runs": out_runs, "open": open_findings})
    return {"schema_version": HISTORY_SCHEMA_VERSION, "clusters": clusters}


def history_document(
    histories: Mapping[str, Sequence[RunChanges]], *, component: str | None, today: date
) -> str:
    """:func:`history_to_dict` as terminal-safe JSON text."""
    return json_text(history_to_dict(histories, component=component, today=today)) + "\n"


def _md_row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def history_markdown(
    histories: Mapping[str, Sequence[RunChanges]], *, component: str | None, today: date
) -> str:
    """``tracker history --format markdown``: per cluster a table of runs (the namespaces
    read, counts of new, resolved and not scanned findings, upgrades, downgrades) and a table
    of open findings with days open."""
    data = history_to_dict(histories, component=component, today=today)
    fields = ("new", "resolved", "not_scanned", "upgraded", "downgraded")
    lines: list[str] = []
    for cluster, runs in zip(data["clusters"], histories.values(), strict=True):
        lines += [f"## {for_markdown(cluster['name'])}", ""]
        header = ["scanned at", "namespaces", *(f.replace("_", " ") for f in fields)]
        lines += [_md_row(header), _md_row(["---"] * len(header))]
        for run, kept in zip(cluster["runs"], runs, strict=True):
            counts = ["-" if run[f] is None else len(run[f]) for f in fields]
            scope = for_markdown(kept.namespaces.describe(limit=5))
            lines.append(_md_row([run["scanned_at"], scope, *counts]))
        lines.append("")
        if cluster["open"]:
            lines += [_md_row(["component", "role", "namespace", "kind", "days open"])]
            lines += [_md_row(["---"] * 5)]
            for f in cluster["open"]:
                cells = [f["component"], f["role"], f["namespace"], f["kind"]]
                lines.append(_md_row([*(for_markdown(c) for c in cells), f["days_open"]]))
            lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def releases_to_dict(
    project: str, releases: Sequence[Release], last_synced: datetime | None, limit: int
) -> dict[str, Any]:
    """``tracker releases list --format json``::

    {"schema_version": 1, "project": "istio/istio", "last_synced": "<RFC 3339>"|null,
     "releases": [{"tag", "published_at", "prerelease", "url"}]}

    At most ``limit`` releases, highest version first (as the table).
    """
    return {
        "schema_version": LISTING_SCHEMA_VERSION,
        "project": project,
        "last_synced": rfc3339(last_synced, field="last_synced") if last_synced else None,
        "releases": [
            {
                "tag": r.tag,
                "published_at": rfc3339(r.published_at, field="published_at")
                if r.published_at
                else None,
                "prerelease": r.prerelease,
                "url": r.url,
            }
            for r in ordered_releases(releases)[:limit]
        ],
    }


def releases_document(
    project: str, releases: Sequence[Release], last_synced: datetime | None, limit: int
) -> str:
    """:func:`releases_to_dict` as terminal-safe JSON text."""
    return json_text(releases_to_dict(project, releases, last_synced, limit)) + "\n"


def releases_markdown(
    project: str, releases: Sequence[Release], last_synced: datetime | None, limit: int
) -> str:
    """``tracker releases list --format markdown``: a table of tag, date, pre-release, link."""
    synced = f"last synced {last_synced:%Y-%m-%d %H:%M} UTC" if last_synced else "never synced"
    lines = [f"## {for_markdown(project)} ({synced})", ""]
    lines += [_md_row(["tag", "published", "pre-release", "notes"]), _md_row(["---"] * 4)]
    for r in ordered_releases(releases)[:limit]:
        url = safe_url(r.url)
        lines.append(
            _md_row(
                [
                    for_markdown(r.tag),
                    f"{r.published_at:%Y-%m-%d}" if r.published_at else "unknown",
                    "yes" if r.prerelease else "",
                    f"[notes]({url})" if url else "",
                ]
            )
        )
    return "\n".join(lines) + "\n"


def fleet_markdown(view: Fleet | Report) -> str:
    """``tracker report --all-clusters --format markdown``: what the fleet table shows
    (:mod:`tracker.report.fleet`): the totals, a table of clusters worst first (last scan,
    control plane, counts), and a table of the component versions with critical or warning
    findings (how many clusters run each, and the first of them).

    Raises:
        ReportError: a naive timestamp.
    """
    fleet = as_fleet(view)
    generated = rfc3339(fleet.generated_at, field="generated_at")
    lines = [f"# tracker fleet report, generated {generated}", ""]
    lines += [f"> warning: {for_markdown(w)}" for w in fleet.warnings]
    if not fleet.clusters:
        return "\n".join([*lines, "No clusters in this report."]) + "\n"
    lines += [totals_text(fleet), "", "## Clusters, worst first", ""]
    lines.append(_md_row(["cluster", "last scan", "control plane", *COUNT_FIELDS]))
    lines.append(_md_row(["---"] * 3 + ["---:"] * len(COUNT_FIELDS)))
    for c in ordered_clusters(fleet):
        counts = ["-"] * len(COUNT_FIELDS)
        if c.counts is not None:
            counts = [str(getattr(c.counts, f)) for f in COUNT_FIELDS]
        cells = [for_markdown(c.name), scanned_text(c), for_markdown(control_plane_text(c))]
        lines.append(_md_row([*cells, *counts]))
    lines += ["", f"{CLUSTER_LEGEND}.", ""]
    lines += ["## Component versions with critical or warning findings", ""]
    groups = fleet.shown_groups()
    if groups:
        header = ["severity", "component", "role", "version", "latest", "flags", "clusters"]
        lines += [_md_row([*header, "e.g."]), _md_row(["---"] * 6 + ["---:", "---"])]
        for g in groups:
            severity = g.severity.value if g.severity is not None else "-"
            texts = [g.component, g.role, version_text(g), g.latest or "-", flags_text(g)]
            row = [severity, *(for_markdown(t) for t in texts), str(g.cluster_count)]
            lines.append(_md_row([*row, for_markdown(examples_text(g))]))
        lines += ["", f"{GROUP_LEGEND}."]
    else:
        lines.append("None.")
    lines += ["", HIDDEN_NOTE]
    return "\n".join(lines) + "\n"
