"""``Store``: the one object callers hold; each method delegates to its concern module.

Use::

    with Store.open("sqlite:////var/lib/tracker/tracker.db") as store:
        scan_id = store.save_scan(inventory, identification)
        with store.job_lock("run", wait_seconds=0):
            ...

    with Store.open(url, read_only=True) as store:   # reading commands
        rows = store.latest_report_rows()

Every method runs in its own transaction and raises :class:`StoreError` (one line,
password hidden) for database failures. Values too long for their column or holding NUL
bytes are stored fitted (:mod:`tracker.store.mapping`); the one-line notes about them are
logged and kept in :attr:`Store.warnings` (and, for a scan, in its stored warnings).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from tracker.fleet import SHOWN_SEVERITIES
from tracker.models import (
    ClusterSummary,
    ClusterUnidentified,
    ComponentReport,
    Identification,
    Inventory,
    Release,
    Severity,
)
from tracker.store import fleet, locks, outbox, retention, scans, upstream
from tracker.store.db import Database, open_engine
from tracker.store.fleet import FleetData
from tracker.store.outbox import MAX_NOTIFICATION_ATTEMPTS, OutboxItem
from tracker.store.scans import JobRunBaseline, StoredScan
from tracker.store.upstream import SyncState


class Store:
    """tracker's database. Open with :meth:`open`; close with :meth:`close` or ``with``.

    Args:
        engine: an engine whose schema is at head (see :func:`tracker.store.db.open_engine`).
        read_only: the engine was opened read-only (error hints say so).
    """

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self._db = Database(engine, read_only=read_only)

    @classmethod
    def open(cls, url: str | None = None, *, read_only: bool = False) -> Store:
        """Open the database at ``url`` (None: the default SQLite file).

        Writable (default): the schema is upgraded to head. ``read_only``: nothing is
        created or migrated, SQLite is opened ``mode=ro`` (a read-only file in a read-only
        directory works) and PostgreSQL sessions are read-only; writes then fail with a
        :class:`StoreError`.

        Raises:
            StoreError: bad URL, missing driver, unreachable server, unwritable SQLite path
                (read-only: missing file), schema newer than this tracker (upgrade tracker),
                failed migration; read-only: no schema or an older one (run
                ``tracker db upgrade``).
        """
        return cls(open_engine(url, read_only=read_only), read_only=read_only)

    @property
    def url(self) -> str:
        """The database URL with the password hidden."""
        return self._db.url

    @property
    def read_only(self) -> bool:
        """True when opened with ``read_only=True``."""
        return self._db.read_only

    @property
    def warnings(self) -> list[str]:
        """One-line notes about values stored fitted (truncated, NUL replaced), oldest first."""
        return list(self._db.warnings)

    def take_warnings(self) -> list[str]:
        """:attr:`warnings`, then forget them (for a caller that shows each once)."""
        taken = list(self._db.warnings)
        self._db.warnings.clear()
        return taken

    def close(self) -> None:
        """Release the connections."""
        self._db.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scans (tracker.store.scans) ---------------------------------------------------

    def save_scan(self, inventory: Inventory, identification: Identification) -> int:
        """Store one scan atomically; return its id (:func:`tracker.store.scans.save_scan`)."""
        return scans.save_scan(self._db, inventory, identification)

    def latest_scans(self, cluster: str | None = None) -> list[StoredScan]:
        """The latest scan of each cluster (or of ``cluster``), sorted by cluster name."""
        return scans.latest_scans(self._db, cluster)

    def latest_summaries(self) -> list[ClusterSummary]:
        """The summary of each cluster's latest scan (no components), sorted by name."""
        return scans.latest_summaries(self._db)

    def scans(self, cluster: str, limit: int = 30) -> list[StoredScan]:
        """Up to ``limit`` scans of ``cluster``, newest first (empty for an unknown cluster)."""
        return scans.scans(self._db, cluster, limit)

    def scan(self, scan_id: int) -> StoredScan | None:
        """The stored scan ``scan_id``, or None when there is no such scan."""
        return scans.scan(self._db, scan_id)

    def prune_scans(self, before: datetime, *, dry_run: bool = False) -> retention.PruneResult:
        """Delete scans taken before ``before`` and their rows, keeping each cluster's latest
        scan and nightly baseline (:func:`tracker.store.retention.prune_scans`)."""
        return retention.prune_scans(self._db, before, dry_run=dry_run)

    def clusters(self) -> list[str]:
        """Names of all clusters that have been scanned, sorted."""
        return scans.clusters(self._db)

    def save_report_rows(self, scan_id: int, rows: Sequence[ComponentReport]) -> bool:
        """Replace the evaluated rows of a scan; False when it is a finished job run
        (:func:`tracker.store.scans.save_report_rows`)."""
        return scans.save_report_rows(self._db, scan_id, rows)

    def report_rows(self, scan_id: int) -> list[ComponentReport]:
        """The evaluated rows of scan ``scan_id`` in saved order (empty when none)."""
        return scans.report_rows(self._db, scan_id)

    def latest_report_rows(
        self, cluster: str | None = None, component: str | None = None
    ) -> list[ComponentReport]:
        """Rows of the latest evaluated scan of each cluster
        (:func:`tracker.store.scans.latest_report_rows`)."""
        return scans.latest_report_rows(self._db, cluster, component)

    def latest_unidentified(self) -> list[ClusterUnidentified]:
        """Unidentified images of each cluster's latest evaluated scan
        (:func:`tracker.store.scans.latest_unidentified`)."""
        return scans.latest_unidentified(self._db)

    def fleet_data(
        self,
        severities: Sequence[Severity] = SHOWN_SEVERITIES,
        clusters: Sequence[str] | None = None,
    ) -> FleetData:
        """Per cluster (all, or ``clusters``) its latest scan and latest evaluated counts, and
        the groups of the rows of ``severities`` of the latest evaluated scans
        (:func:`tracker.store.fleet.fleet_data`)."""
        return fleet.fleet_data(self._db, severities, clusters)

    def last_job_run(self, cluster: str) -> JobRunBaseline | None:
        """The nightly job's baseline scan of ``cluster`` (id, namespaces read, rows), None
        before its first finished run (:func:`tracker.store.scans.last_job_run`)."""
        return scans.last_job_run(self._db, cluster)

    def last_job_run_rows(self, cluster: str) -> list[ComponentReport] | None:
        """The nightly job's baseline rows of ``cluster``, None before its first finished run
        (:func:`tracker.store.scans.last_job_run_rows`)."""
        return scans.last_job_run_rows(self._db, cluster)

    def finish_job_run(
        self,
        scan_id: int,
        at: datetime,
        notifications: Sequence[tuple[str, str, dict[str, object]]],
    ) -> list[int]:
        """Queue ``notifications`` and mark the scan a job run, in one transaction; the
        outbox ids (:func:`tracker.store.scans.finish_job_run`)."""
        return scans.finish_job_run(self._db, scan_id, at, notifications)

    # -- upstream data (tracker.store.upstream) ----------------------------------------

    def projects(self) -> list[str]:
        """Projects (``owner/repo``) with at least one stored release, sorted."""
        return upstream.projects(self._db)

    def releases(self, project: str) -> list[Release]:
        """Stored releases of ``project``, sorted by tag (callers order by version)."""
        return upstream.releases(self._db, project)

    def all_releases(self) -> dict[str, list[Release]]:
        """Every stored release, grouped by project (projects sorted, tags sorted)."""
        return upstream.all_releases(self._db)

    def upsert_releases(
        self, project: str, releases: Sequence[Release], *, replace: bool = False
    ) -> int:
        """Insert new and update changed releases; how many were new
        (:func:`tracker.store.upstream.upsert_releases`)."""
        return upstream.upsert_releases(self._db, project, releases, replace=replace)

    def sync_state(self, project: str, token_key: str) -> SyncState | None:
        """The sync state of ``project`` for the token fingerprint ``token_key``, or None."""
        return upstream.sync_state(self._db, project, token_key)

    def record_sync(
        self,
        project: str,
        token_key: str,
        *,
        attempted_at: datetime,
        etag: str | None,
        success: bool,
        error: str | None = None,
        renamed_to: str | None = None,
        complete: bool = False,
    ) -> None:
        """Record one sync attempt (:func:`tracker.store.upstream.record_sync`)."""
        upstream.record_sync(
            self._db,
            project,
            token_key,
            attempted_at=attempted_at,
            etag=etag,
            success=success,
            error=error,
            renamed_to=renamed_to,
            complete=complete,
        )

    def put_documents(
        self,
        kind: str,
        subject: str,
        documents: dict[str, Any],
        *,
        fetched_at: datetime,
        replace: bool = False,
    ) -> int:
        """Store upstream documents of ``kind`` about ``subject`` (key -> JSON-able value);
        how many were new or changed (see :func:`tracker.store.upstream.put_documents`)."""
        return upstream.put_documents(
            self._db, kind, subject, documents, fetched_at=fetched_at, replace=replace
        )

    def documents(self, kind: str, subject: str | None = None) -> dict[tuple[str, str], Any]:
        """Stored upstream documents of ``kind``: (subject, key) -> payload."""
        return upstream.documents(self._db, kind, subject)

    def documents_fetched(self, kind: str) -> dict[str, datetime]:
        """Subject -> when its newest document of ``kind`` was fetched."""
        return upstream.documents_fetched(self._db, kind)

    def last_synced(self) -> dict[str, datetime]:
        """Project -> the latest successful sync with any token."""
        return upstream.last_synced(self._db)

    # -- job lock (tracker.store.locks) ------------------------------------------------

    @contextlib.contextmanager
    def job_lock(self, name: str = "run", *, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the job lock ``name`` for the block (:func:`tracker.store.locks.job_lock`).

        Raises:
            LockError: another holder kept the lock for ``wait_seconds``.
        """
        with locks.job_lock(self._db, name, wait_seconds=wait_seconds):
            yield

    # -- notification outbox (tracker.store.outbox) ------------------------------------

    def enqueue_notification(self, target: str, cluster: str, payload: dict[str, object]) -> int:
        """Queue ``payload`` (JSON-serializable) for ``target``; return the item id."""
        return outbox.enqueue(self._db, target, cluster, payload)

    def pending_notifications(self, target: str | None = None) -> list[OutboxItem]:
        """Notifications neither sent nor given up (all targets, or one), oldest first."""
        return outbox.pending(self._db, target)

    def mark_notification_sent(self, item_id: int) -> None:
        """Mark item ``item_id`` sent (:func:`tracker.store.outbox.mark_sent`)."""
        outbox.mark_sent(self._db, item_id)

    def mark_notification_failed(
        self, item_id: int, error: str, *, max_attempts: int = MAX_NOTIFICATION_ATTEMPTS
    ) -> bool:
        """Record a failed send; True when this gave the item up
        (:func:`tracker.store.outbox.mark_failed`)."""
        return outbox.mark_failed(self._db, item_id, error, max_attempts=max_attempts)
