"""Schema: migrations from empty to head, no drift from tables.py, atomic failure, versions."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

import tracker
from tracker.errors import StoreError
from tracker.store import Store, default_database_url
from tracker.store.db import (
    alembic_config,
    create_store_engine,
    migrations_directory,
    open_engine,
    upgrade_to_head,
)
from tracker.store.tables import metadata

EXPECTED_TABLES = {
    "alembic_version",
    "clusters",
    "scans",
    "scan_components",
    "scan_unidentified",
    "report_rows",
    "releases",
    "sync_state",
    "locks",
    "outbox",
    "upstream_documents",
}


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_empty_database_is_migrated_to_head_on_open(database_url: str) -> None:
    assert _tables(database_url) == set()
    Store.open(database_url).close()
    assert _tables(database_url) == EXPECTED_TABLES
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_heads() == (_head(),)
    engine.dispose()


def test_tables_py_and_migrated_database_do_not_drift(database_url: str) -> None:
    Store.open(database_url).close()
    engine = create_store_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        diffs = compare_metadata(context, metadata)
    engine.dispose()
    assert diffs == []


def test_expected_indexes_exist(database_url: str) -> None:
    Store.open(database_url).close()
    engine = sa.create_engine(database_url)
    inspector = sa.inspect(engine)
    indexed = {
        table: {tuple(ix["column_names"]) for ix in inspector.get_indexes(table)}
        | {tuple(uq["column_names"]) for uq in inspector.get_unique_constraints(table)}
        for table in ("scans", "scan_components", "report_rows", "releases", "sync_state")
    }
    engine.dispose()
    assert ("cluster_id", "scanned_at") in indexed["scans"]
    assert ("component",) in indexed["scan_components"]
    assert ("scan_id",) in indexed["report_rows"]
    assert ("project", "tag") in indexed["releases"]  # leading column serves releases(project)
    assert ("project", "token_key") in indexed["sync_state"]


def test_reopening_is_a_no_op_at_head(database_url: str) -> None:
    Store.open(database_url).close()
    engine = create_store_engine(database_url)
    assert upgrade_to_head(engine) == _head()
    engine.dispose()
    assert _tables(database_url) == EXPECTED_TABLES


def _broken_copy(tmp_path: Path) -> Path:
    """tracker's migrations plus a revision 9001 that creates a table and then fails."""
    copy = tmp_path / "migrations"
    shutil.copytree(migrations_directory(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / "9001_broken.py").write_text(
        textwrap.dedent(
            f'''
            """A migration that fails half-way."""
            import sqlalchemy as sa
            from alembic import op

            revision = "9001"
            down_revision = "{_head()}"
            branch_labels = None
            depends_on = None

            def upgrade() -> None:
                op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
                op.execute("INSERT INTO no_such_table VALUES (1)")

            def downgrade() -> None:
                pass
            '''
        )
    )
    return copy


def test_failed_migration_leaves_the_database_as_it_was(database_url: str, tmp_path: Path) -> None:
    # From empty: 0001 and the broken 9001 run in one transaction, so nothing remains.
    broken = _broken_copy(tmp_path)
    engine = create_store_engine(database_url)
    with pytest.raises(StoreError, match=r"failed.*left unchanged"):
        upgrade_to_head(engine, script_location=broken)
    engine.dispose()
    assert _tables(database_url) == set()


def test_failed_migration_keeps_existing_data(database_url: str, tmp_path: Path) -> None:
    with Store.open(database_url) as store:
        store.enqueue_notification("slack", "prod", {"text": "kept"})
    engine = create_store_engine(database_url)
    with pytest.raises(StoreError):
        upgrade_to_head(engine, script_location=_broken_copy(tmp_path))
    engine.dispose()
    assert "half_done" not in _tables(database_url)
    with Store.open(database_url) as store:
        assert [i.payload for i in store.pending_notifications()] == [{"text": "kept"}]


def test_schema_newer_than_this_tracker_is_refused(database_url: str) -> None:
    Store.open(database_url).close()
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    engine.dispose()
    with pytest.raises(StoreError, match="f00dcafe, newer than this tracker") as info:
        Store.open(database_url)
    assert "upgrade tracker" in info.value.hint


def test_default_database_url_uses_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    url = default_database_url()
    assert url == f"sqlite:///{tmp_path / 'xdg' / 'tracker' / 'tracker.db'}"
    assert (tmp_path / "xdg" / "tracker").is_dir()
    with Store.open() as store:
        assert store.clusters() == []
    assert (tmp_path / "xdg" / "tracker" / "tracker.db").is_file()


def test_default_database_url_falls_back_to_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_database_url() == f"sqlite:///{tmp_path}/.local/share/tracker/tracker.db"


def test_migrations_are_found_in_the_source_checkout() -> None:
    found = migrations_directory()
    assert (found / "env.py").is_file()
    assert (found / "versions" / "0001_initial.py").is_file()
    assert found == Path(tracker.__file__).resolve().parent.parent / "migrations" or (
        found.parts[-2:] == ("tracker", "migrations")
    )


def test_sqlite_connections_use_wal_foreign_keys_and_busy_timeout(tmp_path: Path) -> None:
    # open_engine migrates first: the migration turns foreign keys off and must turn them on.
    engine = open_engine(f"sqlite:///{tmp_path / 't.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    engine.dispose()


OPENER = """
import sys
from tracker.store import Store
with Store.open(sys.argv[1]) as store:
    store.enqueue_notification("slack", sys.argv[2], {})
"""


def test_concurrent_first_opens_do_not_race(database_url: str) -> None:
    repo = Path(tracker.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": str(repo)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, database_url, f"c{i}"],
            cwd=repo,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    with Store.open(database_url) as store:
        assert sorted(i.cluster for i in store.pending_notifications()) == ["c0", "c1", "c2", "c3"]
