"""Scans, clusters, evaluated report rows, and the nightly job's baseline.

Functions over a :class:`tracker.store.db.Database`, each one transaction; values pass
through :class:`tracker.store.mapping.Fitter` (see there). The store does not interpret
versions: a scan's Kubernetes version is decided at scan time
(``Identification.kubernetes_version``) and stored as given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tracker.errors import StoreError
from tracker.fleet import count_rows
from tracker.models import (
    ClusterSummary,
    ClusterUnidentified,
    Component,
    ComponentReport,
    Identification,
    Inventory,
    NamespaceScope,
    Source,
    Unidentified,
)
from tracker.store import outbox
from tracker.store import tables as t
from tracker.store.db import Database
from tracker.store.mapping import (
    Fitter,
    component_from,
    component_obj,
    component_values,
    key_for,
    report_from,
    report_values,
    shorten,
    unidentified_from,
    unidentified_values,
)


@dataclass(frozen=True)
class StoredScan:
    """A stored scan: its id, the cluster summary and what identify found.

    ``summary.kubernetes_version`` and ``identification.kubernetes_version`` are the value
    the scan was saved with (``Identification.kubernetes_version``, decided at scan time).
    """

    id: int
    summary: ClusterSummary
    identification: Identification


def cluster_key(name: str) -> str:
    """The cluster name as stored (and looked up): see :func:`tracker.store.mapping.fit_key`."""
    return key_for(t.clusters.c.name, name)


def save_scan(db: Database, inventory: Inventory, identification: Identification) -> int:
    """Store one scan (cluster get-or-create, scan, components, unidentified) atomically.

    Values that do not fit their column are fitted (:mod:`tracker.store.mapping`); the
    one-line notes about them are added to the scan's stored warnings and logged.

    Returns:
        the new scan id.

    Raises:
        StoreError: the name belongs to another API server (see :func:`_cluster_id`), or a
            database failure (nothing is stored then).
    """
    fitter = Fitter()
    cluster = shorten(inventory.cluster)
    obj = f"scan of cluster {cluster}"
    name = cluster_key(inventory.cluster)
    server = fitter.row(t.clusters, {"server": inventory.server}, f"cluster {cluster}")["server"]
    components = [
        fitter.row(
            t.scan_components,
            {"position": i, **component_values(c)},
            component_obj(inventory.cluster, c),
        )
        for i, c in enumerate(identification.components)
    ]
    unidentified = [
        fitter.row(
            t.scan_unidentified,
            {"position": i, **unidentified_values(u)},
            f"{obj}: unidentified image in namespace {shorten(u.namespace)}",
        )
        for i, u in enumerate(identification.unidentified)
    ]
    scan = fitter.row(
        t.scans,
        {
            "scanned_at": inventory.scanned_at,
            "source": inventory.source.value,
            "server_version": inventory.server_version,
            "kubernetes_version": identification.kubernetes_version,
            "distribution": identification.distribution,
            "warnings": list(inventory.warnings),
            "namespaces": inventory.namespaces.as_json(),
        },
        obj,
    )
    if name != inventory.cluster:
        fitter.row(t.clusters, {"name": inventory.cluster}, f"cluster {cluster}")
    notes = fitter.lines()
    scan["warnings"] = [*scan["warnings"], *notes]
    with db.tx(f"saving the scan of cluster {cluster}", write=True) as conn:
        cluster_id = _cluster_id(db, conn, name, server)
        scan_id = conn.execute(
            t.scans.insert().values(cluster_id=cluster_id, **scan).returning(t.scans.c.id)
        ).scalar_one()
        if components:
            conn.execute(
                t.scan_components.insert(), [{"scan_id": scan_id, **c} for c in components]
            )
        if unidentified:
            conn.execute(
                t.scan_unidentified.insert(), [{"scan_id": scan_id, **u} for u in unidentified]
            )
    db.warn(notes)
    return int(scan_id)


def _cluster_id(db: Database, conn: sa.Connection, name: str, server: str | None) -> int:
    """Get or create the cluster ``name``; claim it for ``server`` or refuse a conflict.

    Cluster identity: the first scan with a ``server`` (a live API server, ``host:port``)
    records it for the name; a later scan under that name from a *different* server is
    refused. Dumps (``server`` None) never conflict.

    PostgreSQL (READ COMMITTED): a concurrent uncommitted insert of the same name makes
    ``ON CONFLICT DO NOTHING`` wait for it, and the following SELECT sees the committed
    row. ``UPDATE … WHERE server IS NULL`` likewise re-checks after a concurrent claim,
    so exactly one server wins. SQLite: writers are serialized by ``BEGIN IMMEDIATE``.

    Raises:
        StoreError: the name belongs to another API server (the message names the cluster
            and both servers).
    """
    conn.execute(
        db.insert(t.clusters)
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
            f"cluster name {shorten(name, 100)} already belongs to API server "
            f"{shorten(owner, 100)}; this scan comes from API server {shorten(server, 100)}",
            "give each cluster its own name with --cluster or cluster.name in the config",
        )
    return int(row.id)


def _scan_select() -> sa.Select[Any]:
    return sa.select(
        t.scans.c.id,
        t.clusters.c.name,
        t.clusters.c.server.label("cluster_server"),
        t.scans.c.scanned_at,
        t.scans.c.source,
        t.scans.c.kubernetes_version,
        t.scans.c.distribution,
        t.scans.c.warnings,
        t.scans.c.namespaces,
    ).join(t.clusters, t.clusters.c.id == t.scans.c.cluster_id)


def _newest_first() -> tuple[Any, Any]:
    return t.scans.c.scanned_at.desc(), t.scans.c.id.desc()


def newest_scan(*, evaluated: bool) -> sa.ScalarSelect[Any]:
    """The id of the latest scan (by ``scanned_at``, then id) of the ``clusters`` row of the
    enclosing query or, with ``evaluated``, of its latest scan that has report rows.

    One walk down ``ix_scans_cluster_id_scanned_at``, stopping at the first match: the cost
    grows with the number of clusters, not with their history.
    """
    newest = sa.select(t.scans.c.id).where(t.scans.c.cluster_id == t.clusters.c.id)
    if evaluated:
        newest = newest.where(sa.exists().where(t.report_rows.c.scan_id == t.scans.c.id))
    return newest.order_by(*_newest_first()).limit(1).correlate(t.clusters).scalar_subquery()


def named(query: sa.Select[Any], clusters: Sequence[str] | None) -> sa.Select[Any]:
    """``query`` restricted to the clusters named in ``clusters`` (None: every one)."""
    if clusters is None:
        return query
    return query.where(t.clusters.c.name.in_([cluster_key(c) for c in clusters]))


def latest_per_cluster(*, evaluated: bool, clusters: Sequence[str] | None = None) -> sa.Subquery:
    """Per cluster (or only those named in ``clusters``): ``name`` and ``scan_id``, the id of
    its latest scan or, with ``evaluated``, of its latest evaluated one (see
    :func:`newest_scan`; None when it has none)."""
    query = sa.select(t.clusters.c.name, newest_scan(evaluated=evaluated).label("scan_id"))
    return named(query, clusters).subquery()


def latest_scans(db: Database, cluster: str | None = None) -> list[StoredScan]:
    """The latest scan of each cluster (by ``scanned_at``, then id), sorted by cluster name.

    Args:
        cluster: only this cluster (empty list when it has no scan).
    """
    latest = latest_per_cluster(evaluated=False, clusters=None if cluster is None else [cluster])
    query = (
        _scan_select().join(latest, latest.c.scan_id == t.scans.c.id).order_by(t.clusters.c.name)
    )
    with db.tx("reading the latest scans") as conn:
        return _load_scans(conn, query)


def latest_summaries(db: Database) -> list[ClusterSummary]:
    """The :class:`ClusterSummary` of each cluster's latest scan, sorted by cluster name
    (:func:`latest_scans` without the components)."""
    latest = latest_per_cluster(evaluated=False)
    query = (
        _scan_select().join(latest, latest.c.scan_id == t.scans.c.id).order_by(t.clusters.c.name)
    )
    with db.tx("reading the latest scans") as conn:
        return [summary_from(row) for row in conn.execute(query)]


def scans(db: Database, cluster: str, limit: int = 30) -> list[StoredScan]:
    """Up to ``limit`` scans of ``cluster``, newest first (empty for an unknown cluster)."""
    query = (
        _scan_select()
        .where(t.clusters.c.name == cluster_key(cluster))
        .order_by(*_newest_first())
        .limit(limit)
    )
    with db.tx(f"reading the scans of cluster {shorten(cluster)}") as conn:
        return _load_scans(conn, query)


def scan(db: Database, scan_id: int) -> StoredScan | None:
    """The stored scan ``scan_id``, or None when there is no such scan."""
    query = _scan_select().where(t.scans.c.id == scan_id)
    with db.tx(f"reading scan {scan_id}") as conn:
        found = _load_scans(conn, query)
    return found[0] if found else None


def clusters(db: Database) -> list[str]:
    """Names of all clusters that have been scanned, sorted."""
    with db.tx("listing clusters") as conn:
        return list(
            conn.execute(sa.select(t.clusters.c.name).order_by(t.clusters.c.name)).scalars()
        )


def summary_from(row: Any) -> ClusterSummary:
    """The :class:`ClusterSummary` of a row with the columns of :func:`_scan_select`.

    Raises:
        StoreError: the stored namespace scope is not one tracker wrote.
    """
    namespaces = _namespaces_of(row)
    return ClusterSummary(
        name=row.name,
        scanned_at=row.scanned_at,
        kubernetes_version=row.kubernetes_version,
        source=Source(row.source),
        warnings=tuple(row.warnings or ()),
        server=row.cluster_server,
        distribution=row.distribution,
        namespaces=namespaces,
    )


def _namespaces_of(row: Any) -> NamespaceScope:
    """The scope in ``row.namespaces`` (``row`` also has ``id`` and ``name``).

    Raises:
        StoreError: it is not a scope tracker wrote.
    """
    try:
        return NamespaceScope.from_json(row.namespaces)
    except ValueError as exc:
        raise StoreError(
            f"scan {row.id} of cluster {shorten(row.name)}: {exc}",
            "the store was changed outside tracker; delete that scan or set scans.namespaces "
            "to NULL (every namespace)",
        ) from None


def _load_scans(conn: sa.Connection, query: sa.Select[Any]) -> list[StoredScan]:
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
            components[row.scan_id].append(component_from(row))
        for row in conn.execute(
            sa.select(t.scan_unidentified)
            .where(t.scan_unidentified.c.scan_id.in_(ids))
            .order_by(t.scan_unidentified.c.scan_id, t.scan_unidentified.c.position)
        ):
            unidentified[row.scan_id].append(unidentified_from(row))
    out: list[StoredScan] = []
    for row in rows:
        summary = summary_from(row)
        identification = Identification(
            tuple(components[row.id]),
            tuple(unidentified[row.id]),
            kubernetes_version=row.kubernetes_version,
            distribution=row.distribution,
        )
        out.append(StoredScan(row.id, summary, identification))
    return out


# -- report rows -------------------------------------------------------------------------


def save_report_rows(db: Database, scan_id: int, rows: Sequence[ComponentReport]) -> bool:
    """Replace the evaluated rows of scan ``scan_id`` with ``rows`` (safe to re-run), and
    their counts (``scans.report_counts``, :func:`tracker.fleet.count_rows`).

    Concurrent calls for one scan are serialized by locking the scan row (``SELECT … FOR
    UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so the last one wins and rows
    are never duplicated. The rows of a scan the nightly job has finished
    (:func:`finish_job_run`) are what it notified about and the next run's baseline: they
    are kept, not replaced.

    Returns:
        True when the rows were saved; False when the scan is a finished job run.

    Raises:
        StoreError: when the scan does not exist, or on a database failure.
    """
    fitter = Fitter()
    values = [
        fitter.row(
            t.report_rows,
            {"position": i, **report_values(r)},
            component_obj(r.cluster, r.component),
        )
        for i, r in enumerate(rows)
    ]
    with db.tx(f"saving report rows of scan {scan_id}", write=True) as conn:
        if _lock_scan(conn, scan_id, "save report rows") is not None:
            return False
        conn.execute(t.report_rows.delete().where(t.report_rows.c.scan_id == scan_id))
        if values:
            conn.execute(t.report_rows.insert(), [{"scan_id": scan_id, **v} for v in values])
        conn.execute(
            t.scans.update()
            .where(t.scans.c.id == scan_id)
            .values(report_counts=count_rows(rows).to_dict())
        )
    db.warn(fitter.lines())
    return True


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


def _rows_of(conn: sa.Connection, scan_id: int) -> list[ComponentReport]:
    result = conn.execute(
        sa.select(t.report_rows)
        .where(t.report_rows.c.scan_id == scan_id)
        .order_by(t.report_rows.c.position)
    )
    return [report_from(row) for row in result]


def report_rows(db: Database, scan_id: int) -> list[ComponentReport]:
    """The evaluated rows of scan ``scan_id`` in saved order (empty when none)."""
    with db.tx(f"reading report rows of scan {scan_id}") as conn:
        return _rows_of(conn, scan_id)


def latest_report_rows(
    db: Database, cluster: str | None = None, component: str | None = None
) -> list[ComponentReport]:
    """Rows of the latest *evaluated* scan of each cluster (scans without rows skipped).

    Args:
        cluster: only this cluster.
        component: only rows of this catalogue id (e.g. ``istio``).

    Returns:
        rows sorted by cluster name, then saved order.
    """
    latest = latest_per_cluster(evaluated=True, clusters=None if cluster is None else [cluster])
    query = (
        sa.select(t.report_rows)
        .join(latest, latest.c.scan_id == t.report_rows.c.scan_id)
        .order_by(latest.c.name, t.report_rows.c.position)
    )
    if component is not None:
        query = query.where(t.report_rows.c.component == component)
    with db.tx("reading the latest report rows") as conn:
        return [report_from(row) for row in conn.execute(query)]


def latest_unidentified(db: Database) -> list[ClusterUnidentified]:
    """The unidentified images of each cluster's latest *evaluated* scan (the scan whose rows
    :func:`latest_report_rows` reads), sorted by cluster name, then saved order."""
    latest = latest_per_cluster(evaluated=True)
    query = (
        sa.select(latest.c.name, t.scan_unidentified)
        .join(latest, latest.c.scan_id == t.scan_unidentified.c.scan_id)
        .order_by(latest.c.name, t.scan_unidentified.c.position)
    )
    with db.tx("reading the latest unidentified images") as conn:
        return [
            ClusterUnidentified(row.name, unidentified_from(row)) for row in conn.execute(query)
        ]


# -- nightly job baseline ----------------------------------------------------------------


@dataclass(frozen=True)
class JobRunBaseline:
    """The scan the nightly job finished last: its id, the namespaces it read and its
    evaluated rows in saved order (empty when it had no components)."""

    scan_id: int
    namespaces: NamespaceScope
    rows: list[ComponentReport]


def last_job_run(db: Database, cluster: str) -> JobRunBaseline | None:
    """The scan of ``cluster`` the nightly job finished last, or None when no job run of
    ``cluster`` was ever finished.

    "Last" is the highest scan id among scans with ``job_run_at`` set: runs of one cluster
    save their scan while holding the ``run:<cluster>`` lock, so scan ids follow the order
    the runs finished in (``scanned_at`` and ``job_run_at`` need not: a run that waited for
    the lock scanned earlier than the run it waited for). This is the baseline the next run
    diffs against: scans stored by ``tracker scan`` in between do not move it, and
    ``tracker report`` cannot rewrite its rows.

    Raises:
        StoreError: a database failure, or a stored namespace scope tracker did not write.
    """
    latest = (
        sa.select(t.scans.c.id, t.scans.c.namespaces, t.clusters.c.name)
        .join(t.clusters, t.clusters.c.id == t.scans.c.cluster_id)
        .where(t.clusters.c.name == cluster_key(cluster))
        .where(t.scans.c.job_run_at.is_not(None))
        .order_by(t.scans.c.id.desc())
        .limit(1)
    )
    with db.tx(f"reading the last job run of cluster {shorten(cluster)}") as conn:
        found = conn.execute(latest).first()
        if found is None:
            return None
        return JobRunBaseline(found.id, _namespaces_of(found), _rows_of(conn, found.id))


def last_job_run_rows(db: Database, cluster: str) -> list[ComponentReport] | None:
    """The rows of :func:`last_job_run` (None when no job run of ``cluster`` finished)."""
    baseline = last_job_run(db, cluster)
    return None if baseline is None else baseline.rows


def finish_job_run(
    db: Database,
    scan_id: int,
    at: datetime,
    notifications: Sequence[tuple[str, str, dict[str, object]]],
) -> list[int]:
    """In ONE transaction: queue ``notifications`` and mark scan ``scan_id`` a job run.

    Until this commits, the previous job run stays the baseline, so a run that dies before
    it is diffed again by the next run (notified at least once, never lost).

    Args:
        at: when the run finished (aware; stored as UTC in ``scans.job_run_at``).
        notifications: ``(target, cluster, payload)`` each; payload JSON-serializable.

    Returns:
        the outbox ids, in the order of ``notifications``.

    Raises:
        StoreError: the scan does not exist, or a database failure (nothing is stored).
    """
    fitter = Fitter()
    with db.tx(f"finishing the job run of scan {scan_id}", write=True) as conn:
        _lock_scan(conn, scan_id, "finish the job run")
        ids = [
            outbox.insert(conn, fitter, target, cluster, payload)
            for target, cluster, payload in notifications
        ]
        conn.execute(t.scans.update().where(t.scans.c.id == scan_id).values(job_run_at=at))
    db.warn(fitter.lines())
    return ids
