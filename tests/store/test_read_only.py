"""Read-only stores (issue 13, item 5): reading works on a read-only SQLite file, nothing is
created or migrated, and the schema check says what to upgrade (the database or tracker)."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from tracker.errors import StoreError
from tracker.models import Identification, Inventory
from tracker.store import SchemaState, Store, schema_revisions, schema_status
from tracker.store.db import BEGIN_OPTION, alembic_config, create_store_engine

from .conftest import SCANNED_AT

MakeInventory = Callable[[str, datetime], Inventory]
Identify = Callable[[Inventory], Identification]
NOBODY = 65534


def _fill(url: str, make_inventory: MakeInventory, identify_fn: Identify) -> int:
    with Store.open(url) as store:
        inventory = make_inventory("prod", SCANNED_AT)
        scan_id = store.save_scan(inventory, identify_fn(inventory))
        store.enqueue_notification("slack", "prod", {"text": "hi"})
    return scan_id


def _snapshot(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in directory.iterdir()}


@pytest.fixture
def ro_dir() -> Iterator[Path]:
    """A directory under /tmp that an unprivileged user can enter (pytest's tmp_path is 0700)."""
    directory = Path(tempfile.mkdtemp(prefix="tracker-ro-", dir="/tmp"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory)


def _as_unprivileged(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a forked child without root (uid/gid 65534) when we are root, so file
    permissions really apply; return its result, or re-raise its exception."""
    if os.geteuid() != 0:
        return fn()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            outcome: tuple[bool, Any] = (True, fn())
        except BaseException as exc:
            outcome = (False, f"{type(exc).__name__}: {exc}")
        with os.fdopen(write, "wb") as out:
            pickle.dump(outcome, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as inp:
        data = inp.read()
    os.waitpid(pid, 0)
    ok, value = pickle.loads(data)
    if not ok:
        raise AssertionError(value)
    return value


def _read_everything(url: str) -> tuple[list[str], int, int, str]:
    with Store.open(url, read_only=True) as store:
        scans = store.latest_scans()
        pending = store.pending_notifications()
        try:
            store.enqueue_notification("slack", "prod", {})
            write = "no error"
        except StoreError as exc:
            write = str(exc)
        return store.clusters(), len(scans[0].identification.components), len(pending), write


def test_reading_a_read_only_sqlite_file_in_a_read_only_directory(
    ro_dir: Path, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    url = f"sqlite:///{ro_dir / 'tracker.db'}"
    _fill(url, make_inventory, identify_fn)
    warm = ro_dir / "warm"
    warm.mkdir()
    shutil.copy(ro_dir / "tracker.db", warm / "tracker.db")
    _read_everything(f"sqlite:///{warm / 'tracker.db'}")  # imports what the child will need
    shutil.rmtree(warm)
    before = _snapshot(ro_dir)
    assert set(before) == {"tracker.db"}  # WAL checkpointed, no -wal/-shm left
    (ro_dir / "tracker.db").chmod(0o444)
    ro_dir.chmod(0o555)

    assert _as_unprivileged(lambda: os.access(ro_dir, os.W_OK)) is False  # really read-only
    clusters, components, pending, write = _as_unprivileged(lambda: _read_everything(url))
    assert clusters == ["prod"] and components >= 8 and pending == 1
    assert "readonly" in write or "read-only" in write

    def writable_open() -> str:
        try:
            Store.open(url).close()
        except StoreError as exc:
            return f"{exc} | {exc.hint}"
        return "opened"

    refused = _as_unprivileged(writable_open)
    assert "not writable" in refused and "only reads" in refused
    status = _as_unprivileged(lambda: schema_status(url))
    assert status.state is SchemaState.CURRENT and status.current == status.head
    assert _snapshot(ro_dir) == before  # nothing written, created or migrated


def test_read_only_open_never_migrates_or_creates(
    tmp_path: Path, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    missing = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="no tracker database at") as info:
        Store.open(f"sqlite:///{missing}", read_only=True)
    assert "tracker db upgrade" in info.value.hint
    assert not missing.exists()

    empty = tmp_path / "empty.db"
    sa.create_engine(f"sqlite:///{empty}").connect().close()  # a file with no schema
    with pytest.raises(StoreError, match="has no tracker schema yet") as info:
        Store.open(f"sqlite:///{empty}", read_only=True)
    assert "tracker db upgrade" in info.value.hint


def _stamp_at(url: str, revision: str) -> None:
    engine = create_store_engine(url)
    with engine.connect() as conn:
        conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
        command.upgrade(alembic_config(conn), revision)
    engine.dispose()


def test_older_schema_read_only_says_run_db_upgrade(database_url: str) -> None:
    _stamp_at(database_url, "0003")
    with pytest.raises(StoreError, match="0003, older than this tracker's") as info:
        Store.open(database_url, read_only=True)
    assert "tracker db upgrade" in info.value.hint
    status = schema_status(database_url)
    assert status.state is SchemaState.BEHIND and status.current == "0003"
    assert schema_revisions(database_url)[0] == "0003"  # still not migrated


def _stamp_future(url: str) -> None:
    Store.open(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'f00dcafe'"))
    engine.dispose()


def test_newer_schema_is_an_error_that_says_upgrade_tracker(database_url: str) -> None:
    _stamp_future(database_url)
    with pytest.raises(StoreError, match="f00dcafe, newer than this tracker") as info:
        schema_status(database_url)
    assert "upgrade tracker" in info.value.hint and "do not change the database" in info.value.hint
    with pytest.raises(StoreError, match="newer than this tracker"):
        Store.open(database_url, read_only=True)
    with pytest.raises(StoreError, match="newer than this tracker"):
        Store.open(database_url)
    current, head = schema_revisions(database_url)  # the plain pair is still available
    assert current == "f00dcafe" and head != current


def test_schema_status_of_empty_and_current_databases(database_url: str, tmp_path: Path) -> None:
    missing = tmp_path / "none" / "tracker.db"
    status = schema_status(f"sqlite:///{missing}")
    assert status.state is SchemaState.EMPTY and status.current is None
    assert not missing.parent.exists()
    Store.open(database_url).close()
    status = schema_status(database_url)
    assert status.state is SchemaState.CURRENT and status.current == status.head is not None


def test_read_only_sessions_refuse_writes(
    database_url: str, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    _fill(database_url, make_inventory, identify_fn)
    with Store.open(database_url, read_only=True) as store:
        assert store.read_only
        assert store.clusters() == ["prod"]
        assert len(store.latest_report_rows()) == 0
        with pytest.raises(StoreError) as info:
            store.enqueue_notification("slack", "prod", {})
        assert "read-only" in info.value.hint
        with store.job_lock("run"):  # a reader may still serialize with a job
            pass
    with Store.open(database_url) as store:
        assert len(store.pending_notifications()) == 1  # the refused write left nothing


def test_read_only_open_of_a_path_with_uri_characters(
    tmp_path: Path, make_inventory: MakeInventory, identify_fn: Identify
) -> None:
    odd = tmp_path / "a b é"
    odd.mkdir()
    url = f"sqlite:///{odd / 'tracker.db'}"
    _fill(url, make_inventory, identify_fn)
    with Store.open(url, read_only=True) as store:
        assert store.clusters() == ["prod"]
        assert "tracker.db" in store.url
    assert {p.name for p in odd.iterdir()} <= {"tracker.db", "tracker.db-wal", "tracker.db-shm"}
