"""A generic JSON webhook target: the Slack digest's content as plain JSON.

Payload (``schema_version`` 1; keys in this order)::

    {"schema_version": 1, "source": "tracker", "cluster": "prod",
     "generated_at": "<RFC 3339 UTC>", "kubernetes_version": "1.18.19", "report_link": null,
     "counts": {"critical": 1, "warning": 3, "info": 0},
     "compared_with_previous": true,
     "new": [finding], "resolved": [finding], "not_scanned": [finding],
     "upgraded": [change], "downgraded": [change],
     "worst": [finding of each open row, worst first, at most MAX_WORST], "open_total": 7}

    finding = {"component", "role", "namespace", "workload", "kind", "severity", "message",
               "current", "latest", "behind", "releases_behind", "days_behind",
               "release_notes"}
    change  = {"component", "role", "namespace", "workload", "previous", "current"}

``new``/``resolved`` are complete (no chat limits here); ``worst`` lists the worst finding
of each of the first :data:`MAX_WORST` open rows. Sent with the same reliable sender as Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tracker.history import FindingChanges, VersionChange
from tracker.models import ComponentReport, Finding, Report, severity_rank
from tracker.notify.base import HttpNotifier, PayloadBuilder, make_digest
from tracker.report.base import rfc3339
from tracker.report.json import component_to_dict

SCHEMA_VERSION = 1
MAX_WORST = 10
TARGET = "JSON webhook"


_WHERE_KEYS = ("component", "role", "namespace", "workload")
_VERSION_KEYS = ("current", "latest", "behind", "releases_behind", "days_behind")


def _finding(row: ComponentReport, finding: Finding) -> dict[str, Any]:
    """One finding object; the row's values come from the report JSON's
    :func:`~tracker.report.json.component_to_dict` (one mapping). Values are raw: the
    payload is JSON, sent as JSON, so names stay as the cluster gave them."""
    full = component_to_dict(row)
    return {
        **{key: full[key] for key in _WHERE_KEYS},
        "kind": finding.kind.value,
        "severity": finding.severity.value,
        "message": finding.message,
        **{key: full[key] for key in _VERSION_KEYS},
        "release_notes": row.latest_url,
    }


def _change(change: VersionChange) -> dict[str, Any]:
    full = component_to_dict(change.current)
    return {
        **{key: full[key] for key in _WHERE_KEYS},
        "previous": change.previous.current,
        "current": change.current.current,
    }


def _worst_finding(row: ComponentReport) -> Finding:
    return max(row.findings, key=lambda f: severity_rank(f.severity))


def build_payload(
    report: Report,
    changes: FindingChanges | None,
    *,
    cluster: str,
    report_link: str | None = None,
) -> dict[str, Any]:
    """Build the plain-JSON digest of one cluster (shape in the module docstring). Pure.

    Raises:
        NotifyError: when ``cluster`` is not in the report.
        ReportError: when a timestamp is naive.
    """
    d = make_digest(report, changes, cluster=cluster, report_link=report_link)
    ch = d.changes
    return {
        "schema_version": SCHEMA_VERSION,
        "source": "tracker",
        "cluster": d.cluster,
        "generated_at": rfc3339(d.generated_at, field="generated_at"),
        "kubernetes_version": d.summary.kubernetes_version if d.summary else None,
        "report_link": report_link,
        "counts": {sev.value: n for sev, n in d.counts.items()},
        "compared_with_previous": ch is not None,
        "new": [_finding(r.row, r.finding) for r in ch.new] if ch else [],
        "resolved": [_finding(r.row, r.finding) for r in ch.resolved] if ch else [],
        "upgraded": [_change(v) for v in ch.upgraded] if ch else [],
        "downgraded": [_change(v) for v in ch.downgraded] if ch else [],
        "not_scanned": [_finding(r.row, r.finding) for r in ch.not_scanned] if ch else [],
        "worst": [_finding(r, _worst_finding(r)) for r in d.open_rows[:MAX_WORST]],
        "open_total": len(d.open_rows),
    }


@dataclass
class WebhookNotifier(HttpNotifier):
    """The generic JSON webhook as a :class:`~tracker.notify.base.Notifier` (``url``: secret)."""

    build: PayloadBuilder = field(default=build_payload, repr=False)
    target: str = TARGET
