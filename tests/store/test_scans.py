"""Scans and report rows: round trips of real-shaped data, latest/history queries, reopening."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tracker.errors import StoreError
from tracker.models import (
    Behind,
    ComponentReport,
    Finding,
    Flag,
    Identification,
    Inventory,
    Role,
    Severity,
    Source,
    Status,
)
from tracker.store import Store

SCANNED_AT = datetime(2024, 3, 16, 2, 0, 5, 123456, tzinfo=UTC)  # as conftest.SCANNED_AT

MakeInventory = Callable[[str, datetime], Inventory]
Identify = Callable[[Inventory], Identification]


def test_scan_round_trip_with_real_cluster(
    store: Store, gke_inventory: Inventory, identify_fn: Identify
) -> None:
    identification = identify_fn(gke_inventory)
    # the real cluster: cert-manager v0.10.1, prometheus v2.11.0 + v2.11.1, ingress 0.21.0, ...
    assert len(identification.components) >= 8
    assert len(identification.unidentified) > 50
    scan_id = store.save_scan(gke_inventory, identification)

    [stored] = store.latest_scans()
    assert stored.id == scan_id
    assert stored.identification == identification  # order, roles, instances all kept
    assert stored.summary.name == "gke-prod"
    assert stored.summary.source is Source.DUMP
    assert stored.summary.kubernetes_version == "1.18.19"  # normalized from v1.18.19-gke.1701
    assert stored.summary.warnings == ("namespace kube-public: forbidden",)
    assert stored.summary.scanned_at == SCANNED_AT
    assert stored.summary.scanned_at.tzinfo is not None
    assert stored.summary.scanned_at.utcoffset() == timedelta(0)
    images = {c.image for c in stored.identification.components}
    assert "prom/prometheus:v2.11.0" in images and "prom/prometheus:v2.11.1" in images
    kubelet = next(c for c in stored.identification.components if c.role is Role.KUBELET)
    assert (kubelet.raw_version, kubelet.instances) == ("v1.18.19-gke.1701", 2)


def test_scanned_at_in_another_zone_comes_back_as_the_same_instant_in_utc(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    est = timezone(timedelta(hours=-5))
    when = datetime(2024, 3, 15, 21, 0, tzinfo=est)
    inventory = make_inventory("edge", when)
    store.save_scan(inventory, identify_fn(inventory))
    [stored] = store.latest_scans("edge")
    assert stored.summary.scanned_at == when
    assert stored.summary.scanned_at.tzinfo == UTC
    assert stored.summary.scanned_at.hour == 2


def test_naive_scanned_at_is_refused_and_nothing_is_stored(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    inventory = make_inventory("naive", datetime(2024, 3, 15, 21, 0))
    with pytest.raises(StoreError, match="naive datetime"):
        store.save_scan(inventory, identify_fn(inventory))
    assert store.clusters() == []  # the cluster row was rolled back with the scan


def test_latest_scans_and_history_over_several_clusters(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    ids: dict[tuple[str, int], int] = {}
    for day in (3, 1, 2):  # saved out of order: "latest" is by scanned_at, not by id
        for cluster in ("prod", "staging"):
            inventory = make_inventory(cluster, SCANNED_AT + timedelta(days=day))
            ids[cluster, day] = store.save_scan(inventory, identify_fn(inventory))
    assert store.clusters() == ["prod", "staging"]
    latest = store.latest_scans()
    assert [(s.summary.name, s.id) for s in latest] == [
        ("prod", ids["prod", 3]),
        ("staging", ids["staging", 3]),
    ]
    assert [s.id for s in store.latest_scans("staging")] == [ids["staging", 3]]
    assert store.latest_scans("nope") == []
    history = store.scans("prod")
    assert [s.id for s in history] == [ids["prod", 3], ids["prod", 2], ids["prod", 1]]
    assert [s.id for s in store.scans("prod", limit=2)] == [ids["prod", 3], ids["prod", 2]]
    assert store.scans("nope") == []


def test_empty_identification_round_trips(store: Store, make_inventory: MakeInventory) -> None:
    inventory = replace(make_inventory("empty", SCANNED_AT), server_version=None, warnings=())
    store.save_scan(inventory, Identification((), ()))
    [stored] = store.latest_scans("empty")
    assert stored.identification == Identification((), ())
    assert stored.summary.kubernetes_version is None


def _rows(identification: Identification) -> list[ComponentReport]:
    rows = []
    for c in identification.components:
        if c.component == "prometheus":
            rows.append(
                ComponentReport(
                    cluster="gke-prod",
                    component=c,
                    current=c.raw_version.lstrip("v"),
                    latest="3.14.0",
                    latest_patch="2.11.2",
                    status=Status.OUTDATED,
                    behind=Behind.MAJOR,
                    releases_behind=187,
                    days_behind=2400,
                    flags=(Flag.OUTDATED,),
                    findings=(
                        Finding(Flag.OUTDATED, Severity.CRITICAL, "prometheus is 1 major behind"),
                    ),
                    latest_url="https://github.com/prometheus/prometheus/releases/tag/v3.14.0",
                )
            )
        else:
            rows.append(
                ComponentReport(
                    cluster="gke-prod",
                    component=c,
                    current=None,
                    latest=None,
                    latest_patch=None,
                    status=Status.UNKNOWN,
                    behind=None,
                    releases_behind=None,
                    days_behind=None,
                    flags=(Flag.NO_UPSTREAM_DATA, Flag.PRE_1_0),
                    findings=(
                        Finding(Flag.NO_UPSTREAM_DATA, Severity.INFO, "no releases known"),
                        Finding(Flag.PRE_1_0, Severity.WARNING, "version 0.x: «unstable» API"),
                    ),
                )
            )
    return rows


def test_report_rows_round_trip_and_rerun_replaces(
    store: Store, gke_inventory: Inventory, identify_fn: Identify
) -> None:
    identification = identify_fn(gke_inventory)
    scan_id = store.save_scan(gke_inventory, identification)
    rows = _rows(identification)
    store.save_report_rows(scan_id, rows)
    assert store.report_rows(scan_id) == rows
    assert store.report_rows(scan_id)[0].worst_severity is not None

    store.save_report_rows(scan_id, rows[:2])  # re-run: replaces, never appends
    assert store.report_rows(scan_id) == rows[:2]
    store.save_report_rows(scan_id, [])
    assert store.report_rows(scan_id) == []


def test_report_rows_of_another_scan_are_untouched(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    first = make_inventory("gke-prod", SCANNED_AT)
    second = make_inventory("gke-prod", SCANNED_AT + timedelta(days=1))
    id1 = store.save_scan(first, identify_fn(first))
    id2 = store.save_scan(second, identify_fn(second))
    rows = _rows(identify_fn(first))
    store.save_report_rows(id1, rows)
    store.save_report_rows(id2, rows[:1])
    assert store.report_rows(id1) == rows
    assert store.report_rows(id2) == rows[:1]


def test_report_rows_for_a_missing_scan_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="scan 4242 does not exist"):
        store.save_report_rows(4242, [])


def test_reopening_keeps_the_data(
    database_url: str, gke_inventory: Inventory, identify_fn: Identify
) -> None:
    identification = identify_fn(gke_inventory)
    with Store.open(database_url) as store:
        scan_id = store.save_scan(gke_inventory, identification)
        store.save_report_rows(scan_id, _rows(identification))
    with Store.open(database_url) as store:
        [stored] = store.latest_scans()
        assert stored.id == scan_id
        assert stored.identification == identification
        assert store.report_rows(scan_id) == _rows(identification)


def test_latest_report_rows_uses_the_latest_evaluated_scan_per_cluster(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    def scan(cluster: str, day: int) -> tuple[int, list[ComponentReport]]:
        inventory = make_inventory(cluster, SCANNED_AT + timedelta(days=day))
        identification = identify_fn(inventory)
        rows = [replace(r, cluster=cluster) for r in _rows(identification)]
        return store.save_scan(inventory, identification), rows

    prod1, prod_rows1 = scan("prod", 1)
    prod2, prod_rows2 = scan("prod", 2)
    stage1, stage_rows1 = scan("staging", 1)
    scan("staging", 2)  # scanned but never evaluated: staging falls back to day 1
    store.save_report_rows(prod1, prod_rows1)
    store.save_report_rows(prod2, prod_rows2[:3])
    store.save_report_rows(stage1, stage_rows1)

    assert store.latest_report_rows() == prod_rows2[:3] + stage_rows1
    assert store.latest_report_rows(cluster="staging") == stage_rows1
    prometheus = store.latest_report_rows(component="prometheus")
    assert prometheus and {r.component.component for r in prometheus} == {"prometheus"}
    assert {r.cluster for r in prometheus} == {"staging"} | (
        {"prod"} if any(r.component.component == "prometheus" for r in prod_rows2[:3]) else set()
    )
    assert store.latest_report_rows(cluster="nope") == []
