"""tracker.fleet: what the fleet view counts and how it groups versions (pure functions).

Rows are shaped like the real Istio 1.12.1 sidecar of tests/data/realdata (the Docker
Desktop httpbin pod) evaluated against the real Istio releases; one cluster waives it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from tracker.fleet import (
    FleetCluster,
    FleetCounts,
    FleetRow,
    count_rows,
    fleet_of,
    group_rows,
    row_severity,
)
from tracker.models import (
    Behind,
    ClusterSummary,
    Component,
    ComponentReport,
    Finding,
    Flag,
    Report,
    Role,
    Severity,
    Source,
    Status,
)

NOW = datetime(2024, 6, 1, 3, 0, tzinfo=UTC)
SIDECAR = Component(
    "istio", Role.DATA_PLANE, "1.12.1", "istio/istio", "default", "Deployment/httpbin"
)
OUTDATED = Finding(Flag.OUTDATED, Severity.CRITICAL, "istio 1.12.1 is 17 minor lines behind")
EOL = Finding(Flag.EOL, Severity.CRITICAL, "Istio 1.12 reached its end of life on 2022-07-12")


def _row(cluster: str, *findings: Finding, days: int = 864) -> ComponentReport:
    flags = tuple(dict.fromkeys(f.kind for f in findings)) or (Flag.OUTDATED,)
    return ComponentReport(
        cluster, SIDECAR, "1.12.1", "1.22.1", "1.12.9", Status.OUTDATED, Behind.MINOR,
        80, days, flags, findings,
    )  # fmt: skip


def test_counts_leave_waived_findings_out() -> None:
    waived = replace(EOL, waived=True)
    rows = [_row("prod", OUTDATED, EOL), _row("prod", OUTDATED, waived)]
    assert count_rows(rows) == FleetCounts(components=2, critical=3, waived=1, eol=2, outdated=2)
    assert row_severity(rows[1]) is Severity.CRITICAL
    only_waived = _row("prod", replace(OUTDATED, waived=True))
    assert row_severity(only_waived) is None
    assert only_waived.worst_severity is Severity.CRITICAL  # the report's own view


def test_a_version_waived_in_one_cluster_is_a_group_of_its_own() -> None:
    rows = [
        _row("prod", OUTDATED, EOL, days=864),
        _row("staging", OUTDATED, days=860),
        _row("dev", replace(OUTDATED, waived=True)),
    ]
    groups = group_rows(FleetRow.of(r) for r in rows)
    assert [(g.severity, g.cluster_count, g.first_cluster) for g in groups] == [
        (Severity.CRITICAL, 2, "prod"),
        (None, 1, "dev"),
    ]
    critical = groups[0]
    assert (critical.version, critical.behind, critical.days_behind) == (
        "1.12.1",
        Behind.MINOR,
        864,
    )
    assert critical.flags == (Flag.OUTDATED, Flag.EOL)  # the union, in Flag order
    assert critical.entries == 2 and critical.latest == "1.22.1"


def test_clusters_sort_worst_first_and_never_evaluated_last() -> None:
    def summary(name: str) -> ClusterSummary:
        return ClusterSummary(name, NOW, "1.24.0", Source.DUMP)

    report = Report(
        NOW,
        (summary("a-quiet"), summary("b-bad"), summary("c-new")),
        (_row("a-quiet", replace(OUTDATED, severity=Severity.WARNING)), _row("b-bad", OUTDATED)),
        (),
    )
    fleet = fleet_of(report)
    assert [c.name for c in fleet.clusters] == ["a-quiet", "b-bad", "c-new"]
    ordered = sorted(fleet.clusters, key=FleetCluster.sort_key)
    assert [c.name for c in ordered] == ["b-bad", "a-quiet", "c-new"]
    assert ordered[-1].counts is None
    assert [g.severity for g in fleet.shown_groups()] == [Severity.CRITICAL, Severity.WARNING]
