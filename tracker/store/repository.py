"""The store: the only module with SQL. Scans, report rows, releases, sync state, lock, outbox.

Use::

    with Store.open("sqlite:////var/lib/tracker/tracker.db") as store:
        scan_id = store.save_scan(inventory, identification)
        with store.job_lock("run", wait_seconds=0):
            ...

Every public method runs in its own transaction and raises :class:`StoreError` (one line,
password hidden) for database failures. On SQLite writes use ``BEGIN IMMEDIATE`` so that
concurrent writers queue on the busy timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from tracker.errors import LockError, StoreError
from tracker.models import (
    Behind,
    ClusterSummary,
    Component,
    ComponentReport,
    Finding,
    Flag,
    Identification,
    Inventory,
    Release,
    Role,
    Severity,
    Source,
    Status,
    Unidentified,
)
from tracker.store import tables as t
from tracker.store.engine import BEGIN_OPTION, open_engine, safe_url
from tracker.versions import ParsedVersion, parse_version

LOCK_TTL_SECONDS = 600.0
"""A lock row not refreshed for this long (seconds) is stale and may be taken over."""

LOCK_HEARTBEAT_SECONDS = 60.0
"""How often (seconds) the holder refreshes its lock row's expiry."""

MAX_NOTIFICATION_ATTEMPTS = 10
"""Failed sends after which an outbox item is given up (``failed_at`` set, never resent)."""

_MAX_ERROR_CHARS = 2000
_INSERT_CHUNK = 500  # rows per multi-row INSERT (SQLite allows 32766 bound parameters)


@dataclass(frozen=True)
class StoredScan:
    """A stored scan: its id, the cluster summary and what identify found.

    ``summary.kubernetes_version`` is the normalized ``server_version`` (via
    :func:`tracker.versions.parse_version`), else the raw value, else the raw version of the
    ``kubernetes`` control-plane component, else None.
    """

    id: int
    summary: ClusterSummary
    identification: Identification


@dataclass(frozen=True)
class SyncState:
    """What the last syncs of one project with one token fingerprint left behind.

    ``token_key`` is a fingerprint of the token (the caller hashes it; tokens are never
    stored). ``etag`` and ``last_success_at`` come from the last successful sync only;
    ``last_attempt_at`` / ``last_error`` from the last attempt (error None after a success).
    """

    project: str
    token_key: str
    etag: str | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    renamed_to: str | None


@dataclass(frozen=True)
class OutboxItem:
    """A notification waiting to be sent; ``attempts`` counts failed sends."""

    id: int
    target: str
    cluster: str
    payload: dict[str, object]
    created_at: datetime
    attempts: int
    last_error: str | None


def _now() -> datetime:
    return datetime.now(UTC)


def _truncate(text: str) -> str:
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"


def _lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` derived from the lock name."""
    digest = hashlib.sha256(f"tracker-lock:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _holder_namespace() -> str | None:
    """``<boot id>/<PID namespace inode>`` of this process; None where /proc has neither.

    Two processes can judge each other's PIDs only when this matches: containers that share
    a hostname but not a PID namespace (or not a machine) see each other's PIDs as absent.
    The boot id (``/proc/sys/kernel/random/boot_id``, not namespaced) tells machines apart,
    the inode of ``/proc/self/ns/pid`` (see pid_namespaces(7)) tells PID namespaces apart.
    """
    parts: list[str] = []
    with contextlib.suppress(OSError):
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    with contextlib.suppress(OSError):
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    return "/".join(parts)[:100] if parts else None


def _pid_alive(pid: int) -> bool:
    """True unless the process surely does not exist (``kill(pid, 0)`` says ESRCH)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _component_values(c: Component) -> dict[str, Any]:
    return {
        "component": c.component,
        "role": c.role.value,
        "raw_version": c.raw_version,
        "project": c.project,
        "namespace": c.namespace,
        "workload": c.workload,
        "image": c.image,
        "instances": c.instances,
        "revision": c.revision,
        "detail": c.detail,
    }


def _component_from(row: Any) -> Component:
    return Component(
        component=row.component,
        role=Role(row.role),
        raw_version=row.raw_version,
        project=row.project,
        namespace=row.namespace,
        workload=row.workload,
        image=row.image,
        instances=row.instances,
        revision=row.revision,
        detail=row.detail,
    )


class Store:
    """tracker's database. Open with :meth:`open`; close with :meth:`close` or ``with``.

    Args:
        engine: an engine whose schema is at head (see :func:`tracker.store.engine.open_engine`).
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._namespace = _holder_namespace()

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        """Open the database at ``url`` (None: the default SQLite file), upgrading its schema.

        Raises:
            StoreError: bad URL, missing driver, unreachable server, unwritable SQLite path,
                schema newer than this tracker, failed migration.
        """
        return cls(open_engine(url))

    @property
    def url(self) -> str:
        """The database URL with the password hidden."""
        return safe_url(self._engine.url)

    def close(self) -> None:
        """Release the connections."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------

    @contextlib.contextmanager
    def _tx(self, action: str, *, write: bool = False) -> Iterator[sa.Connection]:
        """One transaction; SQLAlchemy errors become a one-line :class:`StoreError`."""
        try:
            with self._engine.connect() as conn:
                if write and self._sqlite:
                    conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
                with conn.begin():
                    yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise self._error(action, exc) from exc

    def _error(self, action: str, exc: BaseException) -> StoreError:
        orig = getattr(exc, "orig", None) or exc
        text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        password = self._engine.url.password
        if password:
            text = text.replace(str(password), "***")
        return StoreError(
            f"database error while {action} ({self.url}): {text}",
            "check that the database is reachable and writable",
        )

    def _insert(self, table: sa.Table) -> Any:
        """A dialect INSERT that supports ``on_conflict_do_nothing``."""
        return sqlite.insert(table) if self._sqlite else postgresql.insert(table)

    # -- scans -------------------------------------------------------------------------

    def save_scan(self, inventory: Inventory, identification: Identification) -> int:
        """Store one scan (cluster get-or-create, scan, components, unidentified) atomically.

        Safe from many processes at once on one database: the cluster row is created with
        ``INSERT … ON CONFLICT DO NOTHING`` and then read, so concurrent first scans of one
        name neither duplicate it nor fail.

        Cluster identity: the first scan with an ``inventory.server`` (a live API server,
        ``host:port``) records it for the cluster name; a later scan under that name from
        a *different* server is refused. Dumps (``server`` None) never conflict.

        Returns:
            the new scan id.

        Raises:
            StoreError: the name belongs to another API server (the message names the
                cluster and both servers), or a database failure (nothing is stored then).
        """
        with self._tx(f"saving the scan of cluster {inventory.cluster!r}", write=True) as conn:
            cluster_id = self._cluster_id(conn, inventory.cluster, inventory.server)
            scan_id = conn.execute(
                t.scans.insert()
                .values(
                    cluster_id=cluster_id,
                    scanned_at=inventory.scanned_at,
                    source=inventory.source.value,
                    server_version=inventory.server_version,
                    warnings=list(inventory.warnings),
                )
                .returning(t.scans.c.id)
            ).scalar_one()
            if identification.components:
                conn.execute(
                    t.scan_components.insert(),
                    [
                        {"scan_id": scan_id, "position": i, **_component_values(c)}
                        for i, c in enumerate(identification.components)
                    ],
                )
            if identification.unidentified:
                conn.execute(
                    t.scan_unidentified.insert(),
                    [
                        {
                            "scan_id": scan_id,
                            "position": i,
                            "namespace": u.namespace,
                            "workload": u.workload,
                            "image": u.image,
                            "reason": u.reason,
                        }
                        for i, u in enumerate(identification.unidentified)
                    ],
                )
            return int(scan_id)

    def _cluster_id(self, conn: sa.Connection, name: str, server: str | None) -> int:
        """Get or create the cluster ``name``; claim it for ``server`` or refuse a conflict.

        PostgreSQL (READ COMMITTED): a concurrent uncommitted insert of the same name makes
        ``ON CONFLICT DO NOTHING`` wait for it, and the following SELECT sees the committed
        row. ``UPDATE … WHERE server IS NULL`` likewise re-checks after a concurrent claim,
        so exactly one server wins. SQLite: writers are serialized by ``BEGIN IMMEDIATE``.
        """
        conn.execute(
            self._insert(t.clusters)
            .values(name=name, server=server)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        row = conn.execute(
            sa.select(t.clusters.c.id, t.clusters.c.server).where(t.clusters.c.name == name)
        ).one()
        owner: str | None = row.server
        if server is not None and owner is None:
            claimed = conn.execute(
                t.clusters.update()
                .where(t.clusters.c.id == row.id)
                .where(t.clusters.c.server.is_(None))
                .values(server=server)
            )
            if claimed.rowcount == 0:  # another scan claimed it meanwhile
                owner = conn.execute(
                    sa.select(t.clusters.c.server).where(t.clusters.c.id == row.id)
                ).scalar_one()
        if server is not None and owner is not None and owner != server:
            raise StoreError(
                f"cluster name {name!r} already belongs to API server {owner}; "
                f"this scan comes from API server {server}",
                "give each cluster its own name with --cluster or cluster.name in the config",
            )
        return int(row.id)

    def latest_scans(self, cluster: str | None = None) -> list[StoredScan]:
        """The latest scan of each cluster (by ``scanned_at``, then id), sorted by cluster name.

        Args:
            cluster: only this cluster (empty list when it has no scan).
        """
        ranked = (
            sa.select(
                t.scans.c.id,
                sa.func.row_number()
                .over(
                    partition_by=t.scans.c.cluster_id,
                    order_by=(t.scans.c.scanned_at.desc(), t.scans.c.id.desc()),
                )
                .label("rank"),
            )
            .join(t.clusters, t.clusters.c.id == t.scans.c.cluster_id)
            .subquery()
        )
        if cluster is not None:
            ranked = (
                sa.select(
                    t.scans.c.id,
                    sa.literal(1).label("rank"),
                )
                .join(t.clusters, t.clusters.c.id == t.scans.c.cluster_id)
                .where(t.clusters.c.name == cluster)
                .order_by(t.scans.c.scanned_at.desc(), t.scans.c.id.desc())
                .limit(1)
                .subquery()
            )
        query = (
            self._scan_select()
            .join(ranked, ranked.c.id == t.scans.c.id)
            .where(ranked.c.rank == 1)
            .order_by(t.clusters.c.name)
        )
        with self._tx("reading the latest scans") as conn:
            return self._load_scans(conn, query)

    def scans(self, cluster: str, limit: int = 30) -> list[StoredScan]:
        """Up to ``limit`` scans of ``cluster``, newest first (empty for an unknown cluster)."""
        query = (
            self._scan_select()
            .where(t.clusters.c.name == cluster)
            .order_by(t.scans.c.scanned_at.desc(), t.scans.c.id.desc())
            .limit(limit)
        )
        with self._tx(f"reading the scans of cluster {cluster!r}") as conn:
            return self._load_scans(conn, query)

    def scan(self, scan_id: int) -> StoredScan | None:
        """The stored scan ``scan_id``, or None when there is no such scan."""
        query = self._scan_select().where(t.scans.c.id == scan_id)
        with self._tx(f"reading scan {scan_id}") as conn:
            found = self._load_scans(conn, query)
        return found[0] if found else None

    def clusters(self) -> list[str]:
        """Names of all clusters that have been scanned, sorted."""
        with self._tx("listing clusters") as conn:
            return list(
                conn.execute(sa.select(t.clusters.c.name).order_by(t.clusters.c.name)).scalars()
            )

    @staticmethod
    def _scan_select() -> sa.Select[Any]:
        return sa.select(
            t.scans.c.id,
            t.clusters.c.name,
            t.clusters.c.server.label("cluster_server"),
            t.scans.c.scanned_at,
            t.scans.c.source,
            t.scans.c.server_version,
            t.scans.c.warnings,
        ).join(t.clusters, t.clusters.c.id == t.scans.c.cluster_id)

    def _load_scans(self, conn: sa.Connection, query: sa.Select[Any]) -> list[StoredScan]:
        rows = conn.execute(query).all()
        ids = [row.id for row in rows]
        components: dict[int, list[Component]] = {i: [] for i in ids}
        unidentified: dict[int, list[Unidentified]] = {i: [] for i in ids}
        if ids:
            for row in conn.execute(
                sa.select(t.scan_components)
                .where(t.scan_components.c.scan_id.in_(ids))
                .order_by(t.scan_components.c.scan_id, t.scan_components.c.position)
            ):
                components[row.scan_id].append(_component_from(row))
            for row in conn.execute(
                sa.select(t.scan_unidentified)
                .where(t.scan_unidentified.c.scan_id.in_(ids))
                .order_by(t.scan_unidentified.c.scan_id, t.scan_unidentified.c.position)
            ):
                unidentified[row.scan_id].append(
                    Unidentified(row.namespace, row.workload, row.image, row.reason)
                )
        out: list[StoredScan] = []
        for row in rows:
            comps = tuple(components[row.id])
            summary = ClusterSummary(
                name=row.name,
                scanned_at=row.scanned_at,
                kubernetes_version=_kubernetes_version(row.server_version, comps),
                source=Source(row.source),
                warnings=tuple(row.warnings or ()),
                server=row.cluster_server,
            )
            out.append(
                StoredScan(row.id, summary, Identification(comps, tuple(unidentified[row.id])))
            )
        return out

    # -- report rows -------------------------------------------------------------------

    def save_report_rows(self, scan_id: int, rows: Sequence[ComponentReport]) -> bool:
        """Replace the evaluated rows of scan ``scan_id`` with ``rows`` (safe to re-run).

        Concurrent calls for one scan are serialized by locking the scan row (``SELECT …
        FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so the last one wins
        and rows are never duplicated.

        The rows of a scan the nightly job has finished (:meth:`finish_job_run`) are what
        it notified about and the next run's baseline: they are kept, not replaced.

        Returns:
            True when the rows were saved; False when the scan is a finished job run.

        Raises:
            StoreError: when the scan does not exist, or on a database failure.
        """
        with self._tx(f"saving report rows of scan {scan_id}", write=True) as conn:
            job_run_at = self._lock_scan(conn, scan_id, "save report rows")
            if job_run_at is not None:
                return False
            conn.execute(t.report_rows.delete().where(t.report_rows.c.scan_id == scan_id))
            if rows:
                conn.execute(
                    t.report_rows.insert(),
                    [_report_values(scan_id, i, r) for i, r in enumerate(rows)],
                )
            return True

    @staticmethod
    def _lock_scan(conn: sa.Connection, scan_id: int, action: str) -> datetime | None:
        """Lock the row of scan ``scan_id`` until the transaction ends; its ``job_run_at``.

        Raises:
            StoreError: when the scan does not exist.
        """
        row = conn.execute(
            sa.select(t.scans.c.id, t.scans.c.job_run_at)
            .where(t.scans.c.id == scan_id)
            .with_for_update()
        ).first()
        if row is None:
            raise StoreError(
                f"cannot {action}: scan {scan_id} does not exist",
                "save the scan first (Store.save_scan)",
            )
        job_run_at: datetime | None = row.job_run_at
        return job_run_at

    # -- nightly job baseline ----------------------------------------------------------

    def last_job_run_rows(self, cluster: str) -> list[ComponentReport] | None:
        """Rows of the scan of ``cluster`` the nightly job finished last.

        "Last" is the highest scan id among scans with ``job_run_at`` set: runs of one
        cluster save their scan while holding the ``run:<cluster>`` lock, so scan ids
        follow the order the runs finished in (``scanned_at`` and ``job_run_at`` need not:
        a run that waited for the lock scanned earlier than the run it waited for).

        This is the baseline the next run diffs against: scans stored by ``tracker scan``
        in between do not move it, and ``tracker report`` cannot rewrite its rows.

        Returns:
            the rows in saved order (empty when that scan had no components), or None when
            no job run of ``cluster`` was ever finished.
        """
        latest = (
            sa.select(t.scans.c.id)
            .join(t.clusters, t.clusters.c.id == t.scans.c.cluster_id)
            .where(t.clusters.c.name == cluster)
            .where(t.scans.c.job_run_at.is_not(None))
            .order_by(t.scans.c.id.desc())
            .limit(1)
        )
        with self._tx(f"reading the last job run of cluster {cluster!r}") as conn:
            scan_id = conn.execute(latest).scalar_one_or_none()
            if scan_id is None:
                return None
            result = conn.execute(
                sa.select(t.report_rows)
                .where(t.report_rows.c.scan_id == scan_id)
                .order_by(t.report_rows.c.position)
            )
            return [_report_from(row) for row in result]

    def finish_job_run(
        self,
        scan_id: int,
        at: datetime,
        notifications: Sequence[tuple[str, str, dict[str, object]]],
    ) -> list[int]:
        """In ONE transaction: queue ``notifications`` and mark scan ``scan_id`` a job run.

        Until this commits, the previous job run stays the baseline, so a run that dies
        before it is diffed again by the next run (notified at least once, never lost).

        Args:
            at: when the run finished (aware; stored as UTC in ``scans.job_run_at``).
            notifications: ``(target, cluster, payload)`` each; payload JSON-serializable.

        Returns:
            the outbox ids, in the order of ``notifications``.

        Raises:
            StoreError: the scan does not exist, or a database failure (nothing is stored).
        """
        with self._tx(f"finishing the job run of scan {scan_id}", write=True) as conn:
            self._lock_scan(conn, scan_id, "finish the job run")
            ids = [
                int(
                    conn.execute(
                        t.outbox.insert()
                        .values(
                            target=target,
                            cluster=cluster,
                            payload=payload,
                            created_at=_now(),
                            attempts=0,
                        )
                        .returning(t.outbox.c.id)
                    ).scalar_one()
                )
                for target, cluster, payload in notifications
            ]
            conn.execute(t.scans.update().where(t.scans.c.id == scan_id).values(job_run_at=at))
        return ids

    def report_rows(self, scan_id: int) -> list[ComponentReport]:
        """The evaluated rows of scan ``scan_id`` in saved order (empty when none)."""
        with self._tx(f"reading report rows of scan {scan_id}") as conn:
            result = conn.execute(
                sa.select(t.report_rows)
                .where(t.report_rows.c.scan_id == scan_id)
                .order_by(t.report_rows.c.position)
            )
            return [_report_from(row) for row in result]

    def latest_report_rows(
        self, cluster: str | None = None, component: str | None = None
    ) -> list[ComponentReport]:
        """Rows of the latest *evaluated* scan of each cluster (scans without rows skipped).

        Args:
            cluster: only this cluster.
            component: only rows of this catalogue id (e.g. ``istio``).

        Returns:
            rows sorted by cluster name, then saved order.
        """
        evaluated = sa.exists().where(t.report_rows.c.scan_id == t.scans.c.id)
        ranked = sa.select(
            t.scans.c.id,
            t.clusters.c.name,
            sa.func.row_number()
            .over(
                partition_by=t.scans.c.cluster_id,
                order_by=(t.scans.c.scanned_at.desc(), t.scans.c.id.desc()),
            )
            .label("rank"),
        ).join(t.clusters, t.clusters.c.id == t.scans.c.cluster_id)
        ranked = ranked.where(evaluated)
        if cluster is not None:
            ranked = ranked.where(t.clusters.c.name == cluster)
        latest = ranked.subquery()
        query = (
            sa.select(t.report_rows)
            .join(latest, latest.c.id == t.report_rows.c.scan_id)
            .where(latest.c.rank == 1)
            .order_by(latest.c.name, t.report_rows.c.position)
        )
        if component is not None:
            query = query.where(t.report_rows.c.component == component)
        with self._tx("reading the latest report rows") as conn:
            return [_report_from(row) for row in conn.execute(query)]

    # -- release catalogue -------------------------------------------------------------

    def projects(self) -> list[str]:
        """Projects (``owner/repo``) with at least one stored release, sorted."""
        with self._tx("listing projects") as conn:
            return list(
                conn.execute(
                    sa.select(t.releases.c.project).distinct().order_by(t.releases.c.project)
                ).scalars()
            )

    def releases(self, project: str) -> list[Release]:
        """Stored releases of ``project``, sorted by tag (callers order by version)."""
        with self._tx(f"reading releases of {project}") as conn:
            result = conn.execute(
                sa.select(t.releases)
                .where(t.releases.c.project == project)
                .order_by(t.releases.c.tag)
            )
            return [_release_from(row) for row in result]

    def all_releases(self) -> dict[str, list[Release]]:
        """Every stored release, grouped by project (projects sorted, tags sorted)."""
        out: dict[str, list[Release]] = {}
        with self._tx("reading the release catalogue") as conn:
            result = conn.execute(
                sa.select(t.releases).order_by(t.releases.c.project, t.releases.c.tag)
            )
            for row in result:
                out.setdefault(row.project, []).append(_release_from(row))
        return out

    def upsert_releases(
        self, project: str, releases: Sequence[Release], *, replace: bool = False
    ) -> int:
        """Insert new releases of ``project`` and update changed ones; return how many were new.

        A stored release is updated when its ``published_at``, ``prerelease``, ``url`` or
        ``name`` differ (e.g. a pre-release promoted). When a tag appears twice in
        ``releases``, the last one wins. ``replace=True`` also deletes stored releases of
        ``project`` whose tag is not in ``releases``: use it only after a complete,
        successful full sync.

        Raises:
            StoreError: a release belongs to another project, or a database failure.
        """
        wanted: dict[str, Release] = {}
        for release in releases:
            if release.project != project:
                raise StoreError(
                    f"release {release.tag!r} belongs to {release.project!r}, not {project!r}",
                    "pass the releases of one project per call",
                )
            wanted[release.tag] = release
        with self._tx(f"saving releases of {project}", write=True) as conn:
            stored = {
                row.tag: _release_from(row)
                for row in conn.execute(
                    sa.select(t.releases).where(t.releases.c.project == project)
                )
            }
            new = [r for tag, r in wanted.items() if tag not in stored]
            changed = [r for tag, r in wanted.items() if tag in stored and stored[tag] != r]
            inserted = 0
            for start in range(0, len(new), _INSERT_CHUNK):
                # ON CONFLICT DO NOTHING: a concurrent import/sync of the same project may
                # have inserted the tag after our SELECT (PostgreSQL); it is not new then.
                chunk = new[start : start + _INSERT_CHUNK]
                inserted += len(
                    conn.execute(
                        self._insert(t.releases)
                        .values([_release_values(r) for r in chunk])
                        .on_conflict_do_nothing(index_elements=["project", "tag"])
                        .returning(t.releases.c.id)
                    ).all()
                )
            if changed:
                conn.execute(
                    t.releases.update()
                    .where(t.releases.c.project == sa.bindparam("b_project"))
                    .where(t.releases.c.tag == sa.bindparam("b_tag"))
                    .values(
                        published_at=sa.bindparam("published_at"),
                        prerelease=sa.bindparam("prerelease"),
                        url=sa.bindparam("url"),
                        name=sa.bindparam("name"),
                    ),
                    [
                        {
                            "b_project": r.project,
                            "b_tag": r.tag,
                            "published_at": r.published_at,
                            "prerelease": r.prerelease,
                            "url": r.url,
                            "name": r.name,
                        }
                        for r in changed
                    ],
                )
            if replace:
                gone = [tag for tag in stored if tag not in wanted]
                for start in range(0, len(gone), 500):
                    conn.execute(
                        t.releases.delete()
                        .where(t.releases.c.project == project)
                        .where(t.releases.c.tag.in_(gone[start : start + 500]))
                    )
            return inserted

    def sync_state(self, project: str, token_key: str) -> SyncState | None:
        """The sync state of ``project`` for the token fingerprint ``token_key``, or None."""
        with self._tx(f"reading the sync state of {project}") as conn:
            row = conn.execute(
                sa.select(t.sync_state)
                .where(t.sync_state.c.project == project)
                .where(t.sync_state.c.token_key == token_key)
            ).first()
        if row is None:
            return None
        return SyncState(
            project=row.project,
            token_key=row.token_key,
            etag=row.etag,
            last_success_at=row.last_success_at,
            last_attempt_at=row.last_attempt_at,
            last_error=row.last_error,
            renamed_to=row.renamed_to,
        )

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
    ) -> None:
        """Record one sync attempt of ``project`` with the token fingerprint ``token_key``.

        Success: ``etag``, ``last_success_at = attempted_at``, error cleared. Failure: the
        previous ``etag`` and ``last_success_at`` are kept, ``last_error = error``. Both set
        ``last_attempt_at``; ``renamed_to`` is updated when given (GitHub redirect).
        """
        values: dict[str, Any] = {"last_attempt_at": attempted_at}
        if success:
            values.update(etag=etag, last_success_at=attempted_at, last_error=None)
        else:
            values["last_error"] = _truncate(error or "unknown error")
        if renamed_to is not None:
            values["renamed_to"] = renamed_to
        with self._tx(f"recording the sync of {project}", write=True) as conn:
            conn.execute(
                self._insert(t.sync_state)
                .values(project=project, token_key=token_key)
                .on_conflict_do_nothing(index_elements=["project", "token_key"])
            )
            conn.execute(
                t.sync_state.update()
                .where(t.sync_state.c.project == project)
                .where(t.sync_state.c.token_key == token_key)
                .values(**values)
            )

    def last_synced(self) -> dict[str, datetime]:
        """Project -> the latest successful sync with any token (projects never synced absent)."""
        latest = sa.func.max(t.sync_state.c.last_success_at)
        with self._tx("reading sync times") as conn:
            rows = conn.execute(
                sa.select(t.sync_state.c.project, latest)
                .where(t.sync_state.c.last_success_at.is_not(None))
                .group_by(t.sync_state.c.project)
            ).all()
        return {project: when for project, when in rows}

    # -- job lock ----------------------------------------------------------------------

    @contextlib.contextmanager
    def job_lock(self, name: str = "run", *, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the job lock ``name`` for the block; other processes are kept out.

        PostgreSQL: a session ``pg_advisory_lock`` on a dedicated connection (released by
        the server when the holder dies). SQLite: a row in ``locks`` written under
        ``BEGIN IMMEDIATE``, refreshed every :data:`LOCK_HEARTBEAT_SECONDS`; a row whose
        holder process is gone or that expired (:data:`LOCK_TTL_SECONDS` without refresh)
        is taken over. "Gone" (``kill(pid, 0)`` fails) is trusted only when the holder ran
        on the same host name, machine (boot id) and PID namespace; otherwise only the
        expiry counts. Both backends record the holder in ``locks`` for
        the error message. The lock is not re-entrant.

        Args:
            name: lock name, e.g. ``run``.
            wait_seconds: how long to retry before giving up (0: one attempt).

        Raises:
            LockError: another holder kept the lock for ``wait_seconds``.
        """
        deadline = time.monotonic() + max(0.0, wait_seconds)
        pg_conn: sa.Connection | None = None
        while True:
            if self._sqlite:
                holder = self._try_sqlite_lock(name)
            else:
                pg_conn, holder = self._try_pg_lock(name)
            if holder is None:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _lock_error(name, holder)
            time.sleep(min(0.2, remaining))
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(name, stop), name=f"tracker-lock-{name}", daemon=True
        )
        beat.start()
        try:
            yield
        finally:
            stop.set()
            beat.join()
            self._release_lock(name, pg_conn)

    def _holder_values(self, name: str, now: datetime) -> dict[str, Any]:
        return {
            "name": name,
            "owner": self._owner,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "holder_ns": self._namespace,
            "acquired_at": now,
            "expires_at": now + timedelta(seconds=LOCK_TTL_SECONDS),
        }

    def _try_sqlite_lock(self, name: str) -> Any:
        """One attempt; None when acquired, else the holder's row."""
        with self._tx(f"taking the {name!r} lock", write=True) as conn:
            now = _now()
            row = conn.execute(sa.select(t.locks).where(t.locks.c.name == name)).first()
            if row is not None:
                dead = (
                    row.host == socket.gethostname()
                    and row.holder_ns == self._namespace
                    and not _pid_alive(row.pid)
                )
                if not dead and row.expires_at > now:
                    return row
                conn.execute(t.locks.delete().where(t.locks.c.name == name))
            conn.execute(t.locks.insert().values(**self._holder_values(name, now)))
            return None

    def _try_pg_lock(self, name: str) -> tuple[sa.Connection | None, Any]:
        """One attempt; (connection holding the lock, None) or (None, holder row or None)."""
        try:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except sa.exc.SQLAlchemyError as exc:
            raise self._error(f"taking the {name!r} lock", exc) from exc
        try:
            got = conn.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": _lock_key(name)}
            ).scalar_one()
            if not got:
                holder = conn.execute(sa.select(t.locks).where(t.locks.c.name == name)).first()
                conn.close()
                return None, holder if holder is not None else {"name": name}
            values = self._holder_values(name, _now())
            conn.execute(
                postgresql.insert(t.locks)
                .values(**values)
                .on_conflict_do_update(index_elements=["name"], set_=values)
            )
            return conn, None
        except sa.exc.SQLAlchemyError as exc:
            conn.close()
            raise self._error(f"taking the {name!r} lock", exc) from exc

    def _heartbeat(self, name: str, stop: threading.Event) -> None:
        while not stop.wait(LOCK_HEARTBEAT_SECONDS):
            with (
                contextlib.suppress(StoreError),
                self._tx(f"refreshing the {name!r} lock", write=True) as conn,
            ):
                conn.execute(
                    t.locks.update()
                    .where(t.locks.c.name == name)
                    .where(t.locks.c.owner == self._owner)
                    .values(expires_at=_now() + timedelta(seconds=LOCK_TTL_SECONDS))
                )

    def _release_lock(self, name: str, pg_conn: sa.Connection | None) -> None:
        try:
            with self._tx(f"releasing the {name!r} lock", write=True) as conn:
                conn.execute(
                    t.locks.delete()
                    .where(t.locks.c.name == name)
                    .where(t.locks.c.owner == self._owner)
                )
        finally:
            if pg_conn is not None:
                try:
                    pg_conn.execute(
                        sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _lock_key(name)}
                    )
                except sa.exc.SQLAlchemyError:
                    pg_conn.invalidate()  # drop the session: the server frees its locks
                pg_conn.close()

    # -- notification outbox -----------------------------------------------------------

    def enqueue_notification(self, target: str, cluster: str, payload: dict[str, object]) -> int:
        """Queue ``payload`` (JSON-serializable) for ``target``; return the item id."""
        with self._tx(f"queueing a notification for {target}", write=True) as conn:
            item_id = conn.execute(
                t.outbox.insert()
                .values(
                    target=target,
                    cluster=cluster,
                    payload=payload,
                    created_at=_now(),
                    attempts=0,
                )
                .returning(t.outbox.c.id)
            ).scalar_one()
        return int(item_id)

    def pending_notifications(self, target: str | None = None) -> list[OutboxItem]:
        """Notifications neither sent nor given up (all targets, or one), oldest first."""
        query = (
            sa.select(t.outbox)
            .where(t.outbox.c.sent_at.is_(None))
            .where(t.outbox.c.failed_at.is_(None))
            .order_by(t.outbox.c.id)
        )
        if target is not None:
            query = query.where(t.outbox.c.target == target)
        with self._tx("reading the notification outbox") as conn:
            return [
                OutboxItem(
                    id=row.id,
                    target=row.target,
                    cluster=row.cluster,
                    payload=dict(row.payload),
                    created_at=row.created_at,
                    attempts=row.attempts,
                    last_error=row.last_error,
                )
                for row in conn.execute(query)
            ]

    def mark_notification_sent(self, item_id: int) -> None:
        """Mark item ``item_id`` sent; it is never returned as pending again.

        Raises:
            StoreError: when no such item exists.
        """
        with self._tx(f"marking notification {item_id} sent", write=True) as conn:
            self._outbox_exists(conn, item_id)
            conn.execute(
                t.outbox.update()
                .where(t.outbox.c.id == item_id)
                .where(t.outbox.c.sent_at.is_(None))
                .values(sent_at=_now())
            )

    def mark_notification_failed(
        self, item_id: int, error: str, *, max_attempts: int = MAX_NOTIFICATION_ATTEMPTS
    ) -> bool:
        """Record a failed send of item ``item_id``: ``attempts += 1``, ``last_error = error``.

        When ``attempts`` reaches ``max_attempts`` the item is given up: ``failed_at`` is
        set and :meth:`pending_notifications` never returns it again (a message the target
        rejects for good, e.g. HTTP 400, must not fail every later run).

        Returns:
            True when this call gave the item up; False otherwise (also when it was given
            up or sent before).

        Raises:
            StoreError: when no such item exists.
        """
        with self._tx(f"marking notification {item_id} failed", write=True) as conn:
            self._outbox_exists(conn, item_id)
            attempts = conn.execute(
                t.outbox.update()
                .where(t.outbox.c.id == item_id)
                .values(attempts=t.outbox.c.attempts + 1, last_error=_truncate(error))
                .returning(t.outbox.c.attempts)
            ).scalar_one()
            if attempts < max_attempts:
                return False
            gave_up = conn.execute(
                t.outbox.update()
                .where(t.outbox.c.id == item_id)
                .where(t.outbox.c.sent_at.is_(None))
                .where(t.outbox.c.failed_at.is_(None))
                .values(failed_at=_now())
            )
            return bool(gave_up.rowcount)

    @staticmethod
    def _outbox_exists(conn: sa.Connection, item_id: int) -> None:
        found = conn.execute(
            sa.select(t.outbox.c.id).where(t.outbox.c.id == item_id)
        ).scalar_one_or_none()
        if found is None:
            raise StoreError(
                f"notification {item_id} is not in the outbox",
                "use an id returned by pending_notifications()",
            )


def _lock_error(name: str, holder: Any) -> LockError:
    acquired = holder.acquired_at if not isinstance(holder, Mapping) else None
    since = acquired.strftime("%Y-%m-%dT%H:%M:%SZ") if acquired else "an unknown time"
    who = f" (pid {holder.pid} on {holder.host})" if not isinstance(holder, Mapping) else ""
    return LockError(
        f"another tracker run holds the {name!r} lock since {since}{who}",
        "wait for it to finish or retry later; a lock whose holder died is taken over "
        "automatically",
    )


def _kubernetes_version(server_version: str | None, components: Sequence[Component]) -> str | None:
    raw = server_version
    if not raw:
        raw = next(
            (
                c.raw_version
                for c in components
                if c.component == "kubernetes" and c.role is Role.CONTROL_PLANE and c.raw_version
            ),
            None,
        )
    if not raw:
        return None
    parsed = parse_version(raw)
    return parsed.normalized if isinstance(parsed, ParsedVersion) else raw


def _report_values(scan_id: int, position: int, r: ComponentReport) -> dict[str, Any]:
    return {
        "scan_id": scan_id,
        "position": position,
        "cluster": r.cluster,
        **_component_values(r.component),
        "current": r.current,
        "latest": r.latest,
        "latest_patch": r.latest_patch,
        "latest_url": r.latest_url,
        "status": r.status.value,
        "behind": r.behind.value if r.behind is not None else None,
        "releases_behind": r.releases_behind,
        "days_behind": r.days_behind,
        "flags": [f.value for f in r.flags],
        "findings": [
            {"kind": f.kind.value, "severity": f.severity.value, "message": f.message}
            for f in r.findings
        ],
    }


def _report_from(row: Any) -> ComponentReport:
    return ComponentReport(
        cluster=row.cluster,
        component=_component_from(row),
        current=row.current,
        latest=row.latest,
        latest_patch=row.latest_patch,
        status=Status(row.status),
        behind=Behind(row.behind) if row.behind is not None else None,
        releases_behind=row.releases_behind,
        days_behind=row.days_behind,
        flags=tuple(Flag(f) for f in row.flags),
        findings=tuple(
            Finding(Flag(f["kind"]), Severity(f["severity"]), f["message"]) for f in row.findings
        ),
        latest_url=row.latest_url,
    )


def _release_values(r: Release) -> dict[str, Any]:
    return {
        "project": r.project,
        "tag": r.tag,
        "published_at": r.published_at,
        "prerelease": r.prerelease,
        "url": r.url,
        "name": r.name,
    }


def _release_from(row: Any) -> Release:
    return Release(
        project=row.project,
        tag=row.tag,
        published_at=row.published_at,
        prerelease=bool(row.prerelease),
        url=row.url,
        name=row.name,
    )
