"""The job lock across REAL processes, on SQLite (file lock) and PostgreSQL (advisory lock).

A killed holder never blocks the next run: the OS (or the server) frees its lock.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.errors import LockError
from tracker.store import Store
from tracker.store.db import create_store_engine
from tracker.store.tables import locks

REPO = Path(__file__).resolve().parents[2]

HOLDER = """
import sys
from tracker.store import Store
url, name, wait = sys.argv[1], sys.argv[2], float(sys.argv[3])
with Store.open(url) as store, store.job_lock(name, wait_seconds=wait):
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


class Holder:
    """A separate Python process that takes the lock and holds it until told to release."""

    def __init__(self, url: str, name: str = "run", wait: float = 0.0) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, url, name, str(wait)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
        )

    def wait_locked(self) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if line.strip() != "locked":
            _, err = self.proc.communicate(timeout=10)
            raise AssertionError(f"holder did not lock: {line!r} {err[-2000:]}")

    def release(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        out, err = self.proc.communicate(timeout=30)
        assert "released" in out, err[-2000:]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def holders() -> Iterator[list[Holder]]:
    started: list[Holder] = []
    yield started
    for holder in started:
        if holder.proc.poll() is None:
            holder.kill()


def test_lock_held_by_another_process_blocks_this_one(
    database_url: str, holders: list[Holder]
) -> None:
    Store.open(database_url).close()  # migrate once, before the processes race
    holder = Holder(database_url)
    holders.append(holder)
    holder.wait_locked()
    with Store.open(database_url) as store:
        started = time.monotonic()
        with pytest.raises(LockError) as info, store.job_lock("run", wait_seconds=0.5):
            pass
        assert time.monotonic() - started >= 0.45  # it did wait before giving up
        message = str(info.value)
        assert "another tracker run holds the 'run' lock since 20" in message
        assert f"pid {holder.proc.pid}" in message
        with store.job_lock("other-job"):  # locks are per name
            pass
        with store.job_lock("run:" + "c" * 253):  # per-cluster lock names fit
            pass
        holder.release()
        with store.job_lock("run"):  # free again once the holder released it
            pass


def test_waiting_process_gets_the_lock_when_the_holder_releases(
    database_url: str, holders: list[Holder]
) -> None:
    Store.open(database_url).close()
    first = Holder(database_url)
    holders.append(first)
    first.wait_locked()
    second = Holder(database_url, wait=30.0)  # a second real process, willing to wait
    holders.append(second)
    time.sleep(1.0)
    assert second.proc.poll() is None  # still waiting, not failed
    first.release()
    second.wait_locked()
    with (
        Store.open(database_url) as store,
        pytest.raises(LockError),  # now the second process holds it
        store.job_lock("run"),
    ):
        pass
    second.release()


def test_lock_of_a_killed_process_is_taken_over(database_url: str, holders: list[Holder]) -> None:
    Store.open(database_url).close()
    holder = Holder(database_url)
    holders.append(holder)
    holder.wait_locked()
    holder.kill()  # SIGKILL: no cleanup; its label row stays behind, the OS frees the lock
    with Store.open(database_url) as store:
        started = time.monotonic()
        with store.job_lock("run", wait_seconds=0):  # no waiting for an expiry
            engine = create_store_engine(database_url)
            with engine.connect() as conn:
                row = conn.execute(sa.select(locks).where(locks.c.name == "run")).one()
            engine.dispose()
            assert row.pid == os.getpid()  # the dead holder's label was replaced
        assert time.monotonic() - started < 5


def test_many_killed_holders_in_a_row_never_block_the_next(
    database_url: str, holders: list[Holder]
) -> None:
    Store.open(database_url).close()
    for _ in range(3):
        holder = Holder(database_url)
        holders.append(holder)
        holder.wait_locked()
        holder.kill()
    last = Holder(database_url)
    holders.append(last)
    last.wait_locked()
    last.release()


def _insert_foreign_label(url: str, acquired_at: datetime) -> None:
    engine = create_store_engine(url)
    with engine.begin() as conn:
        conn.execute(
            locks.insert().values(
                name="run",
                owner="other-host:4242:abc",
                host="other-host.example",
                pid=4242,
                acquired_at=acquired_at,
            )
        )
    engine.dispose()


def test_a_label_row_alone_never_blocks(database_url: str) -> None:
    # A label left by a holder that died (on any host) decides nothing: only the advisory
    # lock (PostgreSQL) or the file lock (SQLite) does. The new holder's label replaces it.
    with Store.open(database_url) as store:
        _insert_foreign_label(database_url, datetime.now(UTC) - timedelta(minutes=1))
        with store.job_lock("run"):
            engine = create_store_engine(database_url)
            with engine.connect() as conn:
                rows = conn.execute(sa.select(locks).where(locks.c.name == "run")).all()
            engine.dispose()
            assert len(rows) == 1
            assert rows[0].pid == os.getpid()
            assert rows[0].owner != "other-host:4242:abc"
            assert rows[0].host != "other-host.example"
            # And we really hold it: a second contender (own connection) is kept out.
            with (
                Store.open(database_url) as other,
                pytest.raises(LockError, match=rf"pid {os.getpid()}\b"),
                other.job_lock("run"),
            ):
                pass


def test_the_lock_is_not_reentrant_and_names_its_holder(database_url: str) -> None:
    with Store.open(database_url) as store, store.job_lock("run"):
        with pytest.raises(LockError) as info, store.job_lock("run"):
            pass
        message = str(info.value)
        assert f"pid {os.getpid()} on {socket.gethostname()}" in message
        if database_url.startswith("sqlite"):  # the SQLite message names the lock file
            assert "lock file " in message and ".lock" in message


def test_sqlite_lock_file_lies_beside_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fleet.db'}"
    with Store.open(url) as store, store.job_lock("run:" + "c" * 300):
        [lock] = [p for p in tmp_path.iterdir() if p.name.endswith(".lock")]
        assert lock.name.startswith("fleet.db.run_ccc")
        assert len(lock.name) < 100  # a long lock name is hashed into the file name
    with Store.open(url) as store, store.job_lock("run:" + "c" * 300):
        pass  # released and taken again


def test_lock_is_released_when_the_block_raises(database_url: str) -> None:
    with Store.open(database_url) as store:
        with pytest.raises(RuntimeError), store.job_lock("run"):
            raise RuntimeError("job failed")
        with store.job_lock("run"):
            pass
        engine = create_store_engine(database_url)
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(locks)).scalar() == 0
        engine.dispose()
