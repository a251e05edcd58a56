r"""The JSON report, schema version 1, exactly as design.md §3 "Report JSON" draws it.

Top-level keys, in order: ``schema_version``, ``generated_at``, ``clusters``, ``components``,
``unidentified``, ``warnings`` (the report's warnings, e.g. stale waivers, as the table,
Markdown and HTML show them; each cluster's own are in ``clusters[].warnings``). Times are
RFC 3339 UTC with ``Z``. Components are listed per cluster (report order), worst first.
A change of keys or meanings is a new ``schema_version``.

Values are raw (JSON keeps what the cluster or upstream said), but written through
:func:`tracker.text.json_text`: control characters and bidirectional overrides inside strings
are JSON escapes (``\u001b``, ``\u202e``), so the document is safe to print on a terminal.

:func:`component_to_dict` is the one ComponentReport -> dict mapping: the fleet view and the
JSON webhook take their keys from it.
"""

from __future__ import annotations

from typing import Any

from tracker.identify.helm import helm_columns
from tracker.models import ClusterSummary, ComponentReport, Report, SupportWindow
from tracker.report.base import cluster_names, cluster_rows, rfc3339
from tracker.text import json_text

SCHEMA_VERSION = 2
"""2: components gained revision, mirrored, support, advisories, waiver, and findings
source/waived; clusters gained distribution and warnings (additive: readers of 1 keep working).
Still 2, additive: ``advisories[]`` gained ``severity_source``, ``severity_alias``,
``nearest_fix_eol`` and ``supported_fix``; then ``waived`` (a live waiver accepts the
advisory), and the top level ``warnings``."""


def component_to_dict(row: ComponentReport) -> dict[str, Any]:
    """One ``components[]`` object, keys in the order of design.md §3."""
    c = row.component
    out: dict[str, Any] = {
        "cluster": row.cluster,
        "component": c.component,
        "role": c.role.value,
        "revision": c.revision,
        "namespace": c.namespace,
        "workload": c.workload,
        "image": c.image,
        "current": row.current,
        "latest": row.latest,
        "latest_patch": row.latest_patch,
        "project": c.project,
        "status": row.status.value,
        "behind": row.behind.value if row.behind is not None else None,
        "releases_behind": row.releases_behind,
        "days_behind": row.days_behind,
        "instances": c.instances,
        "flags": [f.value for f in row.flags],
        "findings": [
            {
                "kind": f.kind.value,
                "severity": f.severity.value,
                "message": f.message,
                "source": f.source,
                "waived": f.waived,
            }
            for f in row.findings
        ],
        "detail": c.detail,
        "mirrored": c.mirrored,
        "support": support_to_dict(row.support),
        "advisories": [
            {
                "id": a.id,
                "aliases": list(a.aliases),
                "severity": a.severity,
                "fixed_in": list(a.fixed_in),
                "nearest_fix": a.nearest_fix,
                "url": a.url,
                "severity_source": a.severity_source,
                "severity_alias": a.severity_alias,
                "nearest_fix_eol": a.nearest_fix_eol,
                "supported_fix": a.supported_fix,
                "waived": a.waived,
            }
            for a in row.advisories
        ],
        "waiver": _waiver(row),
    }
    helm = helm_columns(c)
    if helm is not None:  # a Helm release row: its chart columns
        out["release"] = helm.release
        out["chart"] = helm.chart
        out["chart_version"] = helm.chart_version
        out["app_version"] = helm.app_version
    return out


def _waiver(row: ComponentReport) -> dict[str, Any] | None:
    w = row.waiver
    if w is None:
        return None
    return {
        "reason": w.reason,
        "owner": w.owner,
        "expires": w.expires.isoformat(),
        "expired": w.expired,
    }


def support_to_dict(support: SupportWindow | None) -> dict[str, Any] | None:
    """``components[].support``: the running release cycle's support window (endoflife.date):
    ``{product, cycle, eol, eoas, eoes, lts}``, dates ``YYYY-MM-DD`` or null; null when
    unknown."""
    if support is None:
        return None
    return {
        "product": support.product,
        "cycle": support.cycle,
        "eol": support.eol.isoformat() if support.eol else None,
        "eoas": support.eoas.isoformat() if support.eoas else None,
        "eoes": support.eoes.isoformat() if support.eoes else None,
        "lts": support.lts,
    }


def cluster_to_dict(c: ClusterSummary) -> dict[str, Any]:
    """One ``clusters[]`` entry of design.md §3: name, scanned_at, kubernetes_version, source.

    Raises:
        ReportError: when ``scanned_at`` is naive.
    """
    return {
        "name": c.name,
        "scanned_at": rfc3339(c.scanned_at, field=f"clusters[{c.name}].scanned_at"),
        "kubernetes_version": c.kubernetes_version,
        "distribution": c.distribution,
        "source": c.source.value,
        "warnings": list(c.warnings),
    }


def report_to_dict(report: Report) -> dict[str, Any]:
    """The whole report as plain JSON-ready data (dicts, lists, str, int, None).

    Raises:
        ReportError: when a timestamp is naive.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": rfc3339(report.generated_at, field="generated_at"),
        "clusters": [cluster_to_dict(c) for c in report.clusters],
        "components": [
            component_to_dict(row)
            for name in cluster_names(report)
            for row in cluster_rows(report, name)
        ],
        "unidentified": [
            {
                "cluster": u.cluster,
                "namespace": u.item.namespace,
                "workload": u.item.workload,
                "image": u.item.image,
                "reason": u.item.reason,
            }
            for u in report.unidentified
        ],
        "warnings": list(report.warnings),
    }


class JsonFormatter:
    """Renders :func:`report_to_dict` as indented UTF-8 JSON ending with a newline."""

    def __init__(self, *, indent: int | None = 2) -> None:
        self.indent = indent

    def format(self, report: Report) -> str:
        """Return the JSON text. Raises ReportError for a naive timestamp."""
        return json_text(report_to_dict(report), indent=self.indent) + "\n"


def rows_to_json(rows: list[ComponentReport]) -> str:
    """``tracker query --format json``: a list of :func:`component_to_dict` objects."""
    return json_text([component_to_dict(r) for r in rows]) + "\n"
