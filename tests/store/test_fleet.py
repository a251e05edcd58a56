"""The fleet view's reads (Store.fleet_data): stored counts and severities, on both backends.

Rows are real-shaped: the real GKE 1.18 cluster's components (tests/store/conftest.py), each
given a finding of one kind per component, one of them waived.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from tests.store.conftest import SCANNED_AT
from tracker.fleet import (
    SHOWN_SEVERITIES,
    FleetCounts,
    FleetGroup,
    FleetRow,
    count_rows,
    group_rows,
)
from tracker.models import (
    Behind,
    ComponentReport,
    Finding,
    Flag,
    Identification,
    Inventory,
    Severity,
    Status,
)
from tracker.store import Store

MakeInventory = Callable[[str, datetime], Inventory]
Identify = Callable[[Inventory], Identification]


def _rows(cluster: str, identification: Identification) -> list[ComponentReport]:
    """One row per component: Prometheus critical (major behind, one finding waived),
    kubelets vulnerable and end of life, the rest a pre-1.0 warning and an info finding."""
    rows = []
    for c in identification.components:
        if c.component == "prometheus":
            findings = (
                Finding(Flag.OUTDATED, Severity.CRITICAL, "1 major behind"),
                Finding(Flag.EOL, Severity.CRITICAL, "past end of life", waived=True),
            )
            rows.append(
                ComponentReport(
                    cluster, c, c.raw_version.lstrip("v"), "3.14.0", "2.11.2",
                    Status.OUTDATED, Behind.MAJOR, 187, 2400,
                    (Flag.OUTDATED, Flag.EOL), findings,
                )
            )  # fmt: skip
        elif c.role.value == "kubelet":
            findings = (
                Finding(Flag.VULNERABLE, Severity.CRITICAL, "CVE-2021-25741"),
                Finding(Flag.EOL, Severity.CRITICAL, "1.18 ended 2021-06-18"),
            )
            rows.append(
                ComponentReport(
                    cluster, c, "1.18.19", "1.29.3", "1.18.20", Status.OUTDATED,
                    Behind.MINOR, 90, 171, (Flag.OUTDATED, Flag.EOL, Flag.VULNERABLE), findings,
                )
            )  # fmt: skip
        else:
            findings = (
                Finding(Flag.PRE_1_0, Severity.WARNING, "version 0.x"),
                Finding(Flag.NO_UPSTREAM_DATA, Severity.INFO, "no releases known"),
            )
            rows.append(
                ComponentReport(
                    cluster, c, None, None, None, Status.UNKNOWN, None, None, None,
                    (Flag.NO_UPSTREAM_DATA, Flag.PRE_1_0), findings,
                )
            )  # fmt: skip
    return rows


def _evaluated(
    store: Store, make: MakeInventory, identify: Identify, cluster: str, day: int, keep: int = 99
) -> tuple[int, list[ComponentReport]]:
    inventory = make(cluster, SCANNED_AT + timedelta(days=day))
    identification = identify(inventory)
    scan_id = store.save_scan(inventory, identification)
    rows = _rows(cluster, identification)[:keep]
    store.save_report_rows(scan_id, rows)
    return scan_id, rows


def _groups(rows: list[ComponentReport]) -> list[FleetGroup]:
    """What the store must give: tracker.fleet.group_rows of the shown rows, in Python."""
    return group_rows(r for r in map(FleetRow.of, rows) if r.severity in SHOWN_SEVERITIES)


def test_counts_and_severities_are_saved_with_the_rows(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    _, rows = _evaluated(store, make_inventory, identify_fn, "prod", 0)
    data = store.fleet_data()
    [(summary, counts)] = data.clusters
    assert summary.name == "prod"
    assert counts == count_rows(rows)
    assert counts is not None and counts.components == len(rows)
    # Prometheus: 1 critical counted, the waived end of life counted as waived only
    prometheus = sum(r.component.component == "prometheus" for r in rows)
    kubelets = sum(r.component.role.value == "kubelet" for r in rows)
    assert counts.critical == prometheus + 2 * kubelets
    assert counts.waived == prometheus
    assert (counts.vulnerable, counts.eol) == (kubelets, kubelets + prometheus)
    assert counts.outdated == prometheus + kubelets
    assert counts.warning == counts.info == len(rows) - prometheus - kubelets
    assert data.groups == _groups(rows)
    assert store.fleet_data(severities=[Severity.INFO]).groups == []  # no row's worst is info


def test_each_cluster_shows_its_latest_evaluated_scan(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    _evaluated(store, make_inventory, identify_fn, "prod", 1)
    _, prod = _evaluated(store, make_inventory, identify_fn, "prod", 2, keep=3)
    _, staging = _evaluated(store, make_inventory, identify_fn, "staging", 1)
    later = make_inventory("staging", SCANNED_AT + timedelta(days=2))
    store.save_scan(later, identify_fn(later))  # scanned, never evaluated
    never = make_inventory("new", SCANNED_AT)
    store.save_scan(never, identify_fn(never))

    data = store.fleet_data()
    assert [(s.name, s.scanned_at) for s, _ in data.clusters] == [
        ("new", SCANNED_AT),
        ("prod", SCANNED_AT + timedelta(days=2)),
        ("staging", SCANNED_AT + timedelta(days=2)),  # the latest scan's summary ...
    ]
    counts = {s.name: c for s, c in data.clusters}
    assert counts == {"new": None, "prod": count_rows(prod), "staging": count_rows(staging)}
    assert data.groups == _groups(prod + staging)  # ... the evaluated rows
    kubelet = next(g for g in data.groups if g.role == "kubelet")
    assert (kubelet.cluster_count, kubelet.first_cluster) == (2, "prod")
    assert kubelet.entries == sum(r.component.role.value == "kubelet" for r in prod + staging)
    only = store.fleet_data(clusters=["staging"])
    assert [s.name for s, _ in only.clusters] == ["staging"]
    assert only.groups == _groups(staging)
    assert [s.summary for s in store.latest_scans()] == store.latest_summaries()
    assert store.latest_report_rows() == prod + staging


def test_scans_evaluated_before_revision_0006_are_counted_from_their_rows(
    database_url: str, store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    _, prod = _evaluated(store, make_inventory, identify_fn, "prod", 1)
    _, staging = _evaluated(store, make_inventory, identify_fn, "staging", 1)
    expected = store.fleet_data()
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:  # what 0006 leaves for rows saved before it: NULL
        conn.execute(sa.text("UPDATE scans SET report_counts = NULL"))
        conn.execute(sa.text("UPDATE report_rows SET severity = NULL"))
    engine.dispose()
    legacy = store.fleet_data()
    assert legacy.clusters == expected.clusters
    assert legacy.groups == expected.groups == _groups(prod + staging)


def test_counts_from_another_version_are_read_leniently() -> None:
    assert FleetCounts.from_dict({"critical": 2, "future": 1, "eol": "x"}) == FleetCounts(
        critical=2
    )
    assert FleetCounts.from_dict(None) is None
    assert FleetCounts.from_dict([1, 2]) is None


def test_rows_resaved_replace_the_counts(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    scan_id, rows = _evaluated(store, make_inventory, identify_fn, "prod", 0)
    fewer = [replace(r, findings=()) for r in rows[:2]]
    store.save_report_rows(scan_id, fewer)
    [(_, counts)] = store.fleet_data().clusters
    assert counts == FleetCounts(
        components=2,
        vulnerable=sum(Flag.VULNERABLE in r.flags for r in fewer),
        eol=sum(Flag.EOL in r.flags for r in fewer),
        outdated=sum(r.status is Status.OUTDATED for r in fewer),
    )
    assert store.fleet_data().groups == []  # no finding left
