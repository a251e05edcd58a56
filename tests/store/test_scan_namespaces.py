"""The namespaces a scan read (``scans.namespaces``, migration 0007), on SQLite and PostgreSQL:
stored with each scan, read back by every path that reads scans, NULL (scans stored before
0007) read as every namespace; the migration adds and drops the column."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from tests.store.conftest import SCANNED_AT
from tracker.errors import StoreError
from tracker.models import EVERY_NAMESPACE, Identification, Inventory, NamespaceScope
from tracker.store import Store
from tracker.store.db import BEGIN_OPTION, alembic_config, create_store_engine

ONLY = NamespaceScope.listed(["sock-shop", "kube-system"])
FORBIDDEN = NamespaceScope.all_but(["gitlab"])


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    engine = create_store_engine(url)
    try:
        with engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            if down:
                command.downgrade(alembic_config(conn), revision)
            else:
                command.upgrade(alembic_config(conn), revision)
    finally:
        engine.dispose()


def _column(url: str) -> list[object]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        values = list(conn.execute(sa.text("SELECT namespaces FROM scans ORDER BY id")).scalars())
    engine.dispose()
    return values


def test_every_scope_is_stored_and_read_back(
    store: Store,
    database_url: str,
    gke_inventory: Inventory,
    identify_fn: Callable[[Inventory], Identification],
) -> None:
    ids = []
    for i, scope in enumerate((EVERY_NAMESPACE, ONLY, FORBIDDEN)):
        inventory = replace(
            gke_inventory, scanned_at=SCANNED_AT + timedelta(hours=i), namespaces=scope
        )
        ids.append(store.save_scan(inventory, identify_fn(inventory)))
    assert [json_of(v) for v in _column(database_url)] == [
        None,
        {"only": ["kube-system", "sock-shop"]},
        {"except": ["gitlab"]},
    ]
    assert [store.scan(i).summary.namespaces for i in ids] == [  # type: ignore[union-attr]
        EVERY_NAMESPACE,
        ONLY,
        FORBIDDEN,
    ]
    assert [s.summary.namespaces for s in store.scans("gke-prod")] == [
        FORBIDDEN,
        ONLY,
        EVERY_NAMESPACE,
    ]
    assert [s.namespaces for s in store.latest_summaries()] == [FORBIDDEN]
    assert [s.summary.namespaces for s in store.latest_scans("gke-prod")] == [FORBIDDEN]
    ((summary, _),) = store.fleet_data().clusters
    assert summary.namespaces == FORBIDDEN
    store.save_report_rows(ids[1], [])
    store.finish_job_run(ids[1], SCANNED_AT + timedelta(days=1), [])
    baseline = store.last_job_run("gke-prod")
    assert baseline is not None and (baseline.scan_id, baseline.namespaces) == (ids[1], ONLY)


def json_of(value: object) -> object:
    """A JSON column read with plain SQL: a dict (psycopg) or its text (sqlite3)."""
    return json.loads(value) if isinstance(value, str) else value


def test_a_scope_changed_outside_tracker_is_one_clear_error(
    store: Store,
    database_url: str,
    gke_inventory: Inventory,
    identify_fn: Callable[[Inventory], Identification],
) -> None:
    scan_id = store.save_scan(gke_inventory, identify_fn(gke_inventory))
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE scans SET namespaces = '[\"a\"]' WHERE id = :i"), {"i": scan_id}
        )
    engine.dispose()
    with pytest.raises(StoreError) as info:
        store.scan(scan_id)
    assert f"scan {scan_id} of cluster 'gke-prod': not a namespace scope" in info.value.message
    assert "scans.namespaces" in info.value.hint


def test_0007_reads_older_scans_as_every_namespace_and_downgrades(
    database_url: str,
    make_inventory: Callable[[str, datetime], Inventory],
    identify_fn: Callable[[Inventory], Identification],
) -> None:
    _migrate(database_url, "0006")
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:  # a scan as 0006 stored it, with plain SQL
        conn.execute(sa.text("INSERT INTO clusters (name) VALUES ('old')"))
        conn.execute(
            sa.text(
                "INSERT INTO scans (cluster_id, scanned_at, source, warnings)"
                " SELECT id, '2024-05-01 00:00:00', 'dump', '[]' FROM clusters WHERE name = 'old'"
            )
        )
    columns = {c["name"] for c in sa.inspect(engine).get_columns("scans")}
    engine.dispose()
    assert "namespaces" not in columns

    _migrate(database_url, "0007")
    assert _column(database_url) == [None]
    with Store.open(database_url) as store:
        (old,) = store.scans("old")
        assert old.summary.namespaces == EVERY_NAMESPACE
        inventory = replace(make_inventory("new", SCANNED_AT), namespaces=ONLY)
        new_id = store.save_scan(inventory, identify_fn(inventory))
        assert store.scan(new_id).summary.namespaces == ONLY  # type: ignore[union-attr]

    _migrate(database_url, "0006", down=True)  # the column goes; the scans stay
    engine = sa.create_engine(database_url)
    assert "namespaces" not in {c["name"] for c in sa.inspect(engine).get_columns("scans")}
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM scans")).scalar_one() == 2
    engine.dispose()
    _migrate(database_url, "head")  # and up again: both read as every namespace
    with Store.open(database_url) as store:
        assert [s.summary.namespaces for s in store.scans("new")] == [EVERY_NAMESPACE]
