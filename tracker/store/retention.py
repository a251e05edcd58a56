"""Retention: delete old scans and their rows (``tracker db prune``).

A scan is deleted when it was taken before the cut-off AND it is none of:

* the latest scan of its cluster (by ``scanned_at``, then id: what ``tracker report`` shows),
* the latest *evaluated* scan of its cluster (what ``tracker query`` reads),
* the nightly job's baseline of its cluster (the highest scan id with ``job_run_at`` set,
  :func:`tracker.store.scans.last_job_run_rows`), which the next ``tracker run`` diffs against.

Its components, unidentified workloads and report rows go with it, in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tracker.store import tables as t
from tracker.store.db import Database

#: Delete at most this many scan ids per statement (keeps ``IN (...)`` lists bounded).
_CHUNK = 500


@dataclass(frozen=True)
class PruneResult:
    """What :func:`prune_scans` deleted (or, with ``dry_run``, would delete).

    Attributes:
        scans: scans deleted.
        components: ``scan_components`` rows deleted with them.
        report_rows: ``report_rows`` rows deleted with them.
        kept: scans older than the cut-off kept (latest or baseline of their cluster).
    """

    scans: int
    components: int
    report_rows: int
    kept: int


def _protected_ids() -> sa.Select[tuple[int]]:
    """Ids of scans that are never pruned (latest, latest evaluated, baseline per cluster)."""
    newest = (t.scans.c.scanned_at.desc(), t.scans.c.id.desc())
    latest = sa.select(
        t.scans.c.id,
        sa.func.row_number().over(partition_by=t.scans.c.cluster_id, order_by=newest).label("rk"),
    ).subquery()
    evaluated = (
        sa.select(
            t.scans.c.id,
            sa.func.row_number()
            .over(partition_by=t.scans.c.cluster_id, order_by=newest)
            .label("rk"),
        )
        .where(sa.exists().where(t.report_rows.c.scan_id == t.scans.c.id))
        .subquery()
    )
    baseline = (
        sa.select(sa.func.max(t.scans.c.id))
        .where(t.scans.c.job_run_at.is_not(None))
        .group_by(t.scans.c.cluster_id)
    )
    return sa.union(
        sa.select(latest.c.id).where(latest.c.rk == 1),
        sa.select(evaluated.c.id).where(evaluated.c.rk == 1),
        baseline,
    )  # type: ignore[return-value]


def prune_scans(db: Database, before: datetime, *, dry_run: bool = False) -> PruneResult:
    """Delete every scan taken before ``before`` except the protected ones (module docstring).

    Args:
        before: the cut-off (aware datetime; scans with ``scanned_at < before`` are candidates).
        dry_run: count only, delete nothing.

    Returns:
        the counts deleted (or that would be).

    Raises:
        StoreError: a database failure (nothing is deleted: one transaction).
    """
    old = sa.select(t.scans.c.id).where(t.scans.c.scanned_at < before).order_by(t.scans.c.id)
    with db.tx("pruning old scans", write=not dry_run) as conn:
        protected = {row[0] for row in conn.execute(_protected_ids())}
        candidates = [row[0] for row in conn.execute(old)]
        victims = [scan_id for scan_id in candidates if scan_id not in protected]
        components = rows = 0
        for start in range(0, len(victims), _CHUNK):
            chunk = victims[start : start + _CHUNK]
            if dry_run:
                components += _count(conn, t.scan_components, chunk)
                rows += _count(conn, t.report_rows, chunk)
                continue
            components += conn.execute(
                t.scan_components.delete().where(t.scan_components.c.scan_id.in_(chunk))
            ).rowcount
            rows += conn.execute(
                t.report_rows.delete().where(t.report_rows.c.scan_id.in_(chunk))
            ).rowcount
            conn.execute(
                t.scan_unidentified.delete().where(t.scan_unidentified.c.scan_id.in_(chunk))
            )
            conn.execute(t.scans.delete().where(t.scans.c.id.in_(chunk)))
    return PruneResult(
        scans=len(victims),
        components=components,
        report_rows=rows,
        kept=len(candidates) - len(victims),
    )


def _count(conn: sa.Connection, table: sa.Table, scan_ids: list[int]) -> int:
    query = sa.select(sa.func.count()).select_from(table).where(table.c.scan_id.in_(scan_ids))
    return int(conn.execute(query).scalar_one())
