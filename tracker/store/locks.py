"""The job lock: one holder per lock name across processes (and machines, on PostgreSQL).

- PostgreSQL: a session ``pg_advisory_lock`` on a dedicated connection; the server releases
  it when the holder's session ends, also when the process is killed.
- SQLite: an OS file lock (the ``filelock`` library: ``flock(2)``) on a file beside the
  database file; the kernel releases it when the holder's process dies, so a ``kill -9``'d
  run never blocks the next one and no liveness guessing (PIDs, heartbeats) is needed.

On both, the holder writes a label row in ``locks`` (host, pid, since) only so that a
refused contender can say who holds the lock; the row decides nothing, and a row left
behind by a killed holder is overwritten by the next one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tracker.errors import LockError, StoreError
from tracker.store import tables as t
from tracker.store.db import Database, sqlite_path
from tracker.store.mapping import Fitter, key_for, shorten

POLL_SECONDS = 0.2
"""How often (seconds) a waiting contender retries the PostgreSQL advisory lock."""


def _digest(text: str) -> str:
    return hashlib.sha256(f"tracker-lock:{text}".encode()).hexdigest()


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` derived from the lock name."""
    return int.from_bytes(bytes.fromhex(_digest(name)[:16]), "big", signed=True)


def lock_file(db: Database, name: str) -> Path:
    """The lock file of ``name`` for a SQLite database: beside the database file,
    ``<db file>.<name, safe characters, at most 40>.<hash>.lock``; for an in-memory or URI
    database, in the temporary directory, named by a hash of the URL."""
    slug = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:40]
    tail = f"{slug}.{_digest(name)[:12]}.lock"
    path = sqlite_path(db.engine.url)
    if path is None:
        url_hash = _digest(db.engine.url.render_as_string(hide_password=False))[:12]
        return Path(tempfile.gettempdir()) / f"tracker-{url_hash}.{tail}"
    return path.with_name(f"{path.name}.{tail}")


@contextlib.contextmanager
def job_lock(db: Database, name: str = "run", *, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the job lock ``name`` for the block; other processes are kept out.

    The lock is not re-entrant (a second ``job_lock`` of the same name in one process is
    refused like any other contender).

    Args:
        name: lock name, e.g. ``run`` or ``run:<cluster>``.
        wait_seconds: how long to retry before giving up (0: one attempt).

    Raises:
        LockError: another holder kept the lock for ``wait_seconds`` (the message says who,
            when the holder's label row is there).
        StoreError: the lock file or database cannot be used.
    """
    wait = max(0.0, wait_seconds)
    holder = _file_lock(db, name, wait) if db.sqlite else _advisory_lock(db, name, wait)
    with holder:
        owner = _label(db, name)
        try:
            yield
        finally:
            _unlabel(db, name, owner)


@contextlib.contextmanager
def _file_lock(db: Database, name: str, wait: float) -> Iterator[None]:
    import filelock

    path = lock_file(db, name)
    lock = filelock.FileLock(path, timeout=wait, fallback_to_soft=False)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise _lock_error(db, name, f"lock file {path}") from None
    except OSError as exc:
        raise StoreError(
            f"cannot take the {shorten(name)} lock: lock file {path}: {exc.strerror or exc}",
            "the directory of the SQLite database must be writable",
        ) from exc
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _advisory_lock(db: Database, name: str, wait: float) -> Iterator[None]:
    deadline = time.monotonic() + wait
    action = f"taking the {shorten(name)} lock"
    key = advisory_key(name)
    try:
        conn = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except sa.exc.SQLAlchemyError as exc:
        raise db.error(action, exc) from exc
    try:
        while not conn.execute(
            sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
        ).scalar_one():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _lock_error(db, name, None)
            time.sleep(min(POLL_SECONDS, remaining))
    except sa.exc.SQLAlchemyError as exc:
        conn.close()
        raise db.error(action, exc) from exc
    except BaseException:
        conn.close()
        raise
    try:
        yield
    finally:
        try:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
        except sa.exc.SQLAlchemyError:
            conn.invalidate()  # drop the session: the server frees its locks
        conn.close()


def _label(db: Database, name: str) -> str | None:
    """Write the holder's label row (replacing one a dead holder left); its owner id."""
    if db.read_only:
        return None
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
    values = Fitter().row(
        t.locks,
        {
            "name": name,
            "owner": owner,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "acquired_at": datetime.now(UTC),
        },
        f"lock {shorten(name)}",
    )
    with db.tx(f"labelling the {shorten(name)} lock", write=True) as conn:
        conn.execute(
            db.insert(t.locks)
            .values(**values)
            .on_conflict_do_update(index_elements=["name"], set_=values)
        )
    return str(values["owner"])


def _unlabel(db: Database, name: str, owner: str | None) -> None:
    if owner is None:
        return
    with (
        contextlib.suppress(StoreError),
        db.tx(f"releasing the {shorten(name)} lock", write=True) as conn,
    ):
        conn.execute(
            t.locks.delete()
            .where(t.locks.c.name == _name_key(name))
            .where(t.locks.c.owner == owner)
        )


def _name_key(name: str) -> str:
    return key_for(t.locks.c.name, name)


def _holder(db: Database, name: str) -> Any:
    with contextlib.suppress(StoreError), db.tx(f"reading the {shorten(name)} lock") as conn:
        return conn.execute(sa.select(t.locks).where(t.locks.c.name == _name_key(name))).first()
    return None


def _lock_error(db: Database, name: str, where: str | None) -> LockError:
    holder = _holder(db, name)
    since, who = "an unknown time", ""
    if holder is not None:
        since = holder.acquired_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        who = f" (pid {holder.pid} on {shorten(holder.host, 100)[1:-1]})"
    at = f"; {where}" if where else ""
    return LockError(
        f"another tracker run holds the {shorten(name, 80)} lock since {since}{who}{at}",
        "wait for it to finish or retry later; the lock is freed when its holder ends, "
        "also when it is killed",
    )
