"""Nightly-job baseline (0003), concurrent report rows, outbox give-up, read-only `db current`."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from typer.testing import CliRunner

from tracker.cli import app
from tracker.errors import StoreError
from tracker.models import Identification, Inventory
from tracker.store import Store
from tracker.store.db import (
    BEGIN_OPTION,
    alembic_config,
    create_store_engine,
    schema_revisions,
)
from tracker.store.outbox import MAX_NOTIFICATION_ATTEMPTS
from tracker.store.tables import report_rows

from .test_scans import _rows

SCANNED_AT = datetime(2024, 3, 16, 2, 0, 5, tzinfo=UTC)
MakeInventory = Callable[[str, datetime], Inventory]
Identify = Callable[[Inventory], Identification]


def _count_rows(url: str, scan_id: int) -> int:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            sa.select(sa.func.count())
            .select_from(report_rows)
            .where(report_rows.c.scan_id == scan_id)
        ).scalar_one()
    engine.dispose()
    return int(n)


def test_concurrent_evaluations_of_one_scan_never_duplicate_rows(
    database_url: str, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    inventory = make_inventory("gke-prod", SCANNED_AT)
    identification = identify_fn(inventory)
    rows = _rows(identification)
    with Store.open(database_url) as store:
        scan_id = store.save_scan(inventory, identification)
    writers, rounds = 8, 5
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            with Store.open(database_url) as store:  # own engine: own connections
                start.wait()
                for _ in range(rounds):
                    store.save_report_rows(scan_id, rows)
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert _count_rows(database_url, scan_id) == len(rows)
    with Store.open(database_url) as store:
        assert store.report_rows(scan_id) == rows


def test_job_baseline_moves_only_when_a_run_finishes(
    store: Store, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    inventory = make_inventory("gke-prod", SCANNED_AT)
    identification = identify_fn(inventory)
    rows = _rows(identification)
    assert store.last_job_run_rows("gke-prod") is None

    first = store.save_scan(inventory, identification)
    store.save_report_rows(first, rows)
    assert store.last_job_run_rows("gke-prod") is None  # evaluated, but no run finished it
    ids = store.finish_job_run(
        first, SCANNED_AT, [("slack", "gke-prod", {"text": "a"}), ("webhook", "gke-prod", {})]
    )
    assert [(i.id, i.target, i.payload) for i in store.pending_notifications()] == [
        (ids[0], "slack", {"text": "a"}),
        (ids[1], "webhook", {}),
    ]
    assert store.last_job_run_rows("gke-prod") == rows

    # `tracker scan` + `tracker report` in between: a newer evaluated scan, not a baseline
    later = store.save_scan(
        make_inventory("gke-prod", SCANNED_AT + timedelta(hours=1)), identification
    )
    assert store.save_report_rows(later, rows[:2]) is True
    assert store.last_job_run_rows("gke-prod") == rows
    # ... and re-evaluating the baseline scan itself keeps what the run notified about
    assert store.save_report_rows(first, rows[:1]) is False
    assert store.report_rows(first) == rows
    assert store.last_job_run_rows("gke-prod") == rows

    # a run that waited for the lock: its scan is older by scanned_at, newer by id
    waited = store.save_scan(
        make_inventory("gke-prod", SCANNED_AT + timedelta(minutes=30)), identification
    )
    store.save_report_rows(waited, rows[:3])
    assert store.finish_job_run(waited, SCANNED_AT + timedelta(hours=2), []) == []
    assert store.last_job_run_rows("gke-prod") == rows[:3]
    assert store.last_job_run_rows("staging") is None


def test_finish_job_run_of_a_missing_scan_queues_nothing(store: Store) -> None:
    with pytest.raises(StoreError, match="scan 4242 does not exist"):
        store.finish_job_run(4242, SCANNED_AT, [("slack", "gke-prod", {"text": "x"})])
    assert store.pending_notifications() == []


def test_notification_is_given_up_after_the_maximum_attempts(store: Store) -> None:
    item = store.enqueue_notification("webhook", "gke-prod", {"text": "rejected"})
    other = store.enqueue_notification("slack", "gke-prod", {"text": "fine"})
    for attempt in range(1, MAX_NOTIFICATION_ATTEMPTS):
        assert store.mark_notification_failed(item, f"HTTP 400 (attempt {attempt})") is False
    assert [i.attempts for i in store.pending_notifications("webhook")] == [
        MAX_NOTIFICATION_ATTEMPTS - 1
    ]
    assert store.mark_notification_failed(item, "HTTP 400 invalid_payload") is True
    assert [i.id for i in store.pending_notifications()] == [other]
    assert store.mark_notification_failed(item, "again") is False  # given up once only
    assert store.mark_notification_failed(other, "HTTP 500", max_attempts=1) is True
    assert store.pending_notifications() == []


def _upgrade(url: str, revision: str) -> None:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        command.upgrade(alembic_config(conn), revision)
    engine.dispose()


def test_upgrading_a_0002_database_keeps_its_data_with_no_baseline(
    database_url: str,
    make_inventory: MakeInventory,
    identify_fn: Identify,
) -> None:
    _upgrade(database_url, "0002")
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:  # 0002-era rows, written without the new columns
        conn.execute(sa.text("INSERT INTO clusters (name) VALUES ('prod')"))
        conn.execute(
            sa.text(
                "INSERT INTO scans (cluster_id, scanned_at, source, warnings) "
                "SELECT id, '2024-03-16 02:00:05', 'dump', '[]' FROM clusters"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO outbox (target, cluster, payload, created_at, attempts) "
                "VALUES ('slack', 'prod', '{}', '2024-03-16 02:00:05', 3)"
            )
        )
    engine.dispose()
    with Store.open(database_url) as store:  # upgrades to head on open
        assert len(store.scans("prod")) == 1
        assert store.last_job_run_rows("prod") is None
        assert [i.attempts for i in store.pending_notifications()] == [3]
    engine = sa.create_engine(database_url)
    inspector = sa.inspect(engine)
    scans = {c["name"]: c for c in inspector.get_columns("scans")}
    indexes = {tuple(ix["column_names"]) for ix in inspector.get_indexes("scans")}
    engine.dispose()
    assert scans["job_run_at"]["nullable"] is True
    assert ("cluster_id", "job_run_at") in indexes


def test_db_current_on_a_missing_sqlite_file_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such-dir" / "tracker.db"
    current, head = schema_revisions(f"sqlite:///{missing}")
    assert current is None and head is not None
    assert not missing.parent.exists()

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TRACKER_DATABASE_URL", raising=False)
    assert schema_revisions() == (None, head)
    result = CliRunner().invoke(app, ["db", "current"])
    assert result.exit_code == 0, result.output
    assert "current: empty" in result.output
    assert not (tmp_path / "xdg").exists()

    existing = tmp_path / "existing.db"  # an existing database is still read
    Store.open(f"sqlite:///{existing}").close()
    assert schema_revisions(f"sqlite:///{existing}") == (head, head)
