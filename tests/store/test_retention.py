"""Retention: `tracker db prune` deletes old scans and their rows, keeps latest and baseline."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from typer.testing import CliRunner

from tracker.cli import app
from tracker.config import load_settings
from tracker.models import Identification, Inventory
from tracker.store import Store
from tracker.store import tables as t
from tracker.store.db import create_store_engine
from tracker.workflows import db

from .test_scans import _rows

NOW = datetime(2024, 6, 30, 3, 0, tzinfo=UTC)
MakeInventory = Callable[[str, datetime], Inventory]
Identify = Callable[[Inventory], Identification]


def _counts(url: str) -> dict[str, int]:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        out = {
            table.name: int(
                conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            )
            for table in (t.scans, t.scan_components, t.report_rows, t.scan_unidentified)
        }
    engine.dispose()
    return out


def _fill(url: str, make_inventory: MakeInventory, identify_fn: Identify) -> dict[str, int]:
    """Two clusters: gke-prod has nightly runs 200..101 days ago (the one 150 days ago is the
    last finished job run, the baseline) and a newer plain scan 10 days ago; gke-old's only
    scans are 300 and 200 days old. Returns name -> scan id of the ones that matter."""
    ids: dict[str, int] = {}
    with Store.open(url) as store:
        for days in (200, 150, 120, 10):
            inventory = make_inventory("gke-prod", NOW - timedelta(days=days))
            identification = identify_fn(inventory)
            scan_id = store.save_scan(inventory, identification)
            store.save_report_rows(scan_id, _rows(identification))
            if days in (200, 150):
                store.finish_job_run(scan_id, NOW - timedelta(days=days), [])
            ids[f"prod-{days}"] = scan_id
        for days in (300, 200):
            inventory = make_inventory("gke-old", NOW - timedelta(days=days))
            identification = identify_fn(inventory)
            scan_id = store.save_scan(inventory, identification)
            if days == 300:  # only the older scan was evaluated
                store.save_report_rows(scan_id, _rows(identification))
            ids[f"old-{days}"] = scan_id
    return ids


def test_prune_deletes_old_scans_and_rows_keeping_latest_evaluated_and_baseline(
    database_url: str, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    ids = _fill(database_url, make_inventory, identify_fn)
    before = _counts(database_url)
    with Store.open(database_url) as store:
        rows_before = store.latest_report_rows()
        baseline_before = store.last_job_run_rows("gke-prod")
        stored = store.scan(ids["prod-120"])
        assert stored is not None
        one_scan_components = len(stored.identification.components)
        dry = store.prune_scans(NOW - timedelta(days=90), dry_run=True)
        assert _counts(database_url) == before  # a dry run deletes nothing
        result = store.prune_scans(NOW - timedelta(days=90))
        assert result == dry
        # deleted: prod-200 (an older job run) and prod-120 (neither latest nor baseline)
        assert result.scans == 2
        assert result.components == 2 * one_scan_components
        assert result.report_rows > 0
        # kept although old: prod-150 (baseline), old-300 (latest evaluated), old-200 (latest)
        assert result.kept == 3
        assert store.scan(ids["prod-200"]) is None
        assert store.scan(ids["prod-120"]) is None
        for kept in ("prod-150", "prod-10", "old-300", "old-200"):
            assert store.scan(ids[kept]) is not None, kept
        assert store.latest_report_rows() == rows_before
        assert store.last_job_run_rows("gke-prod") == baseline_before
        assert [s.id for s in store.latest_scans()] == [ids["old-200"], ids["prod-10"]]
        # nothing left to prune: a second run deletes nothing
        assert store.prune_scans(NOW - timedelta(days=90)).scans == 0
    after = _counts(database_url)
    assert after["scans"] == before["scans"] - 2
    assert after["scan_components"] == before["scan_components"] - result.components
    assert after["report_rows"] == before["report_rows"] - result.report_rows
    # no orphans left behind
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        for table in (t.scan_components, t.report_rows, t.scan_unidentified):
            orphans = conn.execute(
                sa.select(sa.func.count())
                .select_from(table)
                .where(table.c.scan_id.not_in(sa.select(t.scans.c.id)))
            ).scalar_one()
            assert orphans == 0, table.name
    engine.dispose()


def test_keep_scans_setting_and_workflow_cut_off(
    database_url: str, make_inventory: MakeInventory, identify_fn: Identify, tmp_path: Path
) -> None:
    ids = _fill(database_url, make_inventory, identify_fn)
    assert load_settings(environ={}).store_keep_scans == timedelta(days=90)
    config = tmp_path / "tracker.toml"
    config.write_text('[store]\nkeep_scans = "180d"\n', encoding="utf-8")
    settings = load_settings(config, environ={"TRACKER_DATABASE_URL": database_url})
    cutoff, result = db.prune(settings, now=NOW)
    assert cutoff == NOW - timedelta(days=180)
    assert result.scans == 1  # only prod-200; old-300 is gke-old's latest evaluated scan
    with Store.open(database_url) as store:
        assert store.scan(ids["prod-200"]) is None
        assert store.scan(ids["prod-120"]) is not None


def test_db_prune_command(
    database_url: str, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    _fill(database_url, make_inventory, identify_fn)
    before = _counts(database_url)
    env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_STORE_KEEP_SCANS": "30d"}
    runner = CliRunner()
    dry = runner.invoke(app, ["db", "prune", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "would delete 2 scan(s)" in dry.output
    assert _counts(database_url) == before
    done = runner.invoke(app, ["db", "prune"], env=env)
    assert done.exit_code == 0, done.output
    assert "deleted 2 scan(s)" in done.output
    assert "kept 4 older scan(s)" in done.output
    assert _counts(database_url)["scans"] == before["scans"] - 2
    bad = runner.invoke(app, ["db", "prune"], env={**env, "TRACKER_STORE_KEEP_SCANS": "soon"})
    assert bad.exit_code != 0
    assert "TRACKER_STORE_KEEP_SCANS" in bad.output
    assert "Traceback" not in bad.output
