"""Store what fits (issue 13, item 4): one over-long value or a NUL byte never costs the rest
of a scan or a sync, and SQLite and PostgreSQL store exactly the same thing."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tracker.models import (
    Component,
    ComponentReport,
    Finding,
    Flag,
    Identification,
    Inventory,
    Release,
    Role,
    Severity,
    Status,
    Unidentified,
)
from tracker.store import Store
from tracker.store.mapping import REPLACEMENT, TRUNCATED, fit_key, shorten

from .conftest import SCANNED_AT

MakeInventory = Callable[[str, datetime], Inventory]
Identify = Callable[[Inventory], Identification]

LONG_TAG = "v1.2.3-" + "x" * 100_000
LONG_NAMESPACE = "n" * 300
LONG_CLUSTER = "prod-" + "c" * 295  # 300 characters
NUL_WORKLOAD = "Deployment/web\x00front"


def _hostile_identification(base: Identification) -> Identification:
    hostile = [
        Component(
            "ingress-nginx",
            Role.ADDON,
            LONG_TAG,
            "kubernetes/ingress-nginx",
            namespace=LONG_NAMESPACE,
            workload=NUL_WORKLOAD,
            image="registry.k8s.io/ingress-nginx/controller:" + LONG_TAG,
        ),
    ]
    unidentified = [Unidentified(LONG_NAMESPACE, NUL_WORKLOAD, "busybox:\x00", "no rule")]
    return replace(
        base,
        components=(*base.components, *hostile),
        unidentified=(*base.unidentified, *unidentified),
    )


def test_a_hostile_scan_is_stored_with_what_fits(
    store: Store,
    make_inventory: MakeInventory,
    identify_fn: Identify,
    caplog: pytest.LogCaptureFixture,
) -> None:
    inventory = make_inventory(LONG_CLUSTER, SCANNED_AT)
    base = identify_fn(inventory)
    identification = _hostile_identification(base)
    with caplog.at_level(logging.WARNING, logger="tracker.store"):
        scan_id = store.save_scan(inventory, identification)

    [stored] = store.latest_scans(LONG_CLUSTER)  # found again by the same long name
    assert stored.id == scan_id
    assert [s.id for s in store.scans(LONG_CLUSTER)] == [scan_id]
    name = stored.summary.name
    assert len(name) == 255 and name.startswith("prod-ccc") and name.endswith(TRUNCATED)
    assert name == fit_key(LONG_CLUSTER, 255)
    # Every other component and image is stored unchanged.
    n = len(base.components)
    assert stored.identification.components[:n] == base.components
    assert stored.identification.unidentified[: len(base.unidentified)] == base.unidentified
    hostile = stored.identification.components[n]
    assert hostile.raw_version == LONG_TAG[: 255 - len(TRUNCATED)] + TRUNCATED
    assert hostile.namespace == "n" * (253 - len(TRUNCATED)) + TRUNCATED
    assert hostile.workload == f"Deployment/web{REPLACEMENT}front"
    assert hostile.image == "registry.k8s.io/ingress-nginx/controller:" + LONG_TAG  # TEXT: whole
    [odd] = stored.identification.unidentified[len(base.unidentified) :]
    assert odd.image == f"busybox:{REPLACEMENT}" and odd.workload == hostile.workload

    # One line per field, naming the object; in the scan's warnings, the log and the store.
    notes = store.take_warnings()
    assert store.warnings == []
    assert len(notes) == len(set(notes)) == 7
    assert list(stored.summary.warnings) == [*inventory.warnings, *notes]
    assert [r.getMessage() for r in caplog.records] == notes
    assert all("\n" not in line and "\x00" not in line for line in notes)
    raw = next(line for line in notes if "scan_components.raw_version" in line)
    assert "component 'ingress-nginx'" in raw and "was 100007 characters" in raw
    assert "longer than the column's 255" in raw and TRUNCATED in raw
    assert any("scan_components.namespace" in line for line in notes)
    assert any("scan_components.workload held NUL bytes" in line for line in notes)
    assert any("scan_unidentified.image held NUL bytes" in line for line in notes)
    assert any("scan_unidentified.namespace was 300 characters" in line for line in notes)
    assert any("clusters.name was 300 characters" in line for line in notes)
    assert all(len(line) < 400 for line in notes)


def test_two_long_cluster_names_sharing_a_prefix_stay_two_clusters(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    first, second = "a" * 300, "a" * 299 + "b"
    for name in (first, second):
        inventory = make_inventory(name, SCANNED_AT)
        store.save_scan(inventory, identify_fn(inventory))
    assert len(store.clusters()) == 2
    assert store.latest_scans(first)[0].summary.name != store.latest_scans(second)[0].summary.name


def test_report_rows_and_outbox_with_nul_bytes_are_stored(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    inventory = make_inventory("prod", SCANNED_AT)
    scan_id = store.save_scan(inventory, identify_fn(inventory))
    component = Component("istio", Role.CONTROL_PLANE, "1.20.1\x00", "istio/istio", detail="d\x00")
    row = ComponentReport(
        cluster="prod",
        component=component,
        current="1.20.1",
        latest="1.21.0\x00",
        latest_patch=None,
        status=Status.OUTDATED,
        behind=None,
        releases_behind=None,
        days_behind=None,
        flags=(Flag.OUTDATED,),
        findings=(Finding(Flag.OUTDATED, Severity.WARNING, "bad\x00message"),),
    )
    assert store.save_report_rows(scan_id, [row])
    [back] = store.report_rows(scan_id)
    assert back.component.raw_version == f"1.20.1{REPLACEMENT}"
    assert back.component.detail == f"d{REPLACEMENT}"
    assert back.latest == f"1.21.0{REPLACEMENT}"
    assert back.findings[0].message == f"bad{REPLACEMENT}message"  # inside the JSON column
    item = store.enqueue_notification("slack", "prod", {"text": "a\x00b", "k\x00": ["\x00"]})
    [pending] = store.pending_notifications()
    assert pending.id == item
    assert pending.payload == {"text": f"a{REPLACEMENT}b", f"k{REPLACEMENT}": [REPLACEMENT]}
    store.mark_notification_failed(item, "HTTP 400: \x00" + "e" * 5000)
    [failed] = store.pending_notifications()
    assert failed.last_error is not None and "\x00" not in failed.last_error
    assert len(failed.last_error) == 2000


def _release(tag: str, **kw: object) -> Release:
    fields: dict[str, object] = {
        "project": "istio/istio",
        "tag": tag,
        "published_at": datetime(2024, 1, 2, tzinfo=UTC),
        "prerelease": False,
        "url": f"https://github.com/istio/istio/releases/tag/{tag[:20]}",
        "name": tag[:20],
    }
    fields.update(kw)
    return Release(**fields)  # type: ignore[arg-type]


def test_a_hostile_release_list_costs_only_the_bad_values(
    store: Store, releases_of: Callable[[str], list[Release]]
) -> None:
    real = releases_of("istio/istio")
    hostile = [
        _release(LONG_TAG),
        _release("1.99.0", name="evil\x00name", url="https://x/" + "u" * 100_000),
        _release("1.99.1\x00"),
    ]
    assert store.upsert_releases("istio/istio", [*real, *hostile]) == len(real) + 3
    notes = store.take_warnings()
    assert any("releases.tag was 100007 characters" in n for n in notes)
    assert any("releases.name held NUL bytes" in n for n in notes)
    assert any("releases.tag held NUL bytes" in n for n in notes)
    stored = {r.tag: r for r in store.releases("istio/istio")}
    assert len(stored) == len(real) + 3
    assert all(stored[r.tag] == r for r in real)  # the real ones untouched
    long_tag = fit_key(LONG_TAG, 255)
    assert long_tag in stored and long_tag.endswith(TRUNCATED)
    assert stored["1.99.0"].name == f"evil{REPLACEMENT}name"
    assert stored["1.99.0"].url == "https://x/" + "u" * 100_000  # TEXT: kept whole
    assert f"1.99.1{REPLACEMENT}" in stored
    # The same list again is nothing new, and a replacing full sync keeps them all.
    assert store.upsert_releases("istio/istio", [*real, *hostile]) == 0
    assert store.upsert_releases("istio/istio", [*real, *hostile], replace=True) == 0
    assert len(store.releases("istio/istio")) == len(real) + 3


def test_sync_state_keeps_a_long_validator_and_fits_the_rest(store: Store) -> None:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    etag = 'W/"' + "e" * 1000 + '"'
    project = "o/" + "r" * 400
    store.record_sync(
        project, "k", attempted_at=at, etag=etag, success=True, renamed_to="x/" + "y" * 400
    )
    state = store.sync_state(project, "k")
    assert state is not None
    assert state.etag == etag  # an opaque validator: TEXT, never cut
    assert state.renamed_to is not None and state.renamed_to.endswith(TRUNCATED)
    assert state.project == fit_key(project, 255)
    store.record_sync(project, "k", attempted_at=at, etag=None, success=False, error="x\x00y")
    state = store.sync_state(project, "k")
    assert state is not None and state.last_error == f"x{REPLACEMENT}y" and state.etag == etag


def test_job_lock_with_a_very_long_name(store: Store) -> None:
    with store.job_lock("run:" + "c" * 400):
        pass
    with store.job_lock("run:" + "c" * 400):
        pass


def test_fit_key_and_shorten() -> None:
    a, b = fit_key("x" * 300, 100), fit_key("x" * 299 + "y", 100)
    assert len(a) == len(b) == 100 and a != b
    assert fit_key("x" * 300, 100) == a  # deterministic: lookups find the row
    assert fit_key("short\x00", 100) == f"short{REPLACEMENT}"
    assert shorten("\x1b[2J" + "z" * 200, 20) == repr("\x1b[2J" + "z" * 15 + "…")
    assert "\ud800" not in fit_key("a\ud800b", 10)
