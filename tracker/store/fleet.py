"""The fleet view's reads (``report --all-clusters``), without reading every row of the fleet.

What it reads, in one transaction:

* each cluster's latest scan (its :class:`~tracker.models.ClusterSummary`, no components);
* the counts stored with each cluster's latest *evaluated* scan (``scans.report_counts``,
  see :func:`tracker.store.scans.save_report_rows`): one small record per cluster;
* the groups of :class:`tracker.fleet.FleetGroup` of those scans' rows whose stored
  ``severity`` is asked for, aggregated in SQL (``GROUP BY`` component, role, version,
  severity): one record per group, however many clusters run it, plus one per distinct
  list of flags in a group.

Each cluster's latest scan and latest evaluated scan are one index walk each per cluster
(:func:`tracker.store.scans.newest_scan`): three statements in all. The SQL computes each figure as
:func:`tracker.fleet.group_rows` defines it; names and versions compare by code point
(collation ``C`` on PostgreSQL, ``BINARY`` on SQLite), as Python's ``min``/``max`` do.

A scan evaluated before revision 0006 has no stored counts and its rows no severity: its
rows are read in full, counted and grouped in Python the same way, and merged in (until
the cluster is evaluated again).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from tracker.fleet import (
    BEHIND_RANK,
    FleetCounts,
    FleetGroup,
    FleetRow,
    GroupKey,
    count_rows,
    group_rows,
    merge_groups,
    ordered_flags,
)
from tracker.models import ClusterSummary, ComponentReport, Flag, Severity
from tracker.store import tables as t
from tracker.store.db import Database
from tracker.store.mapping import report_from
from tracker.store.scans import latest_per_cluster, named, newest_scan, summary_from

_CHUNK = 500
"""Scan ids per ``IN (...)`` list when reading scans saved before 0006 in full."""


@dataclass(frozen=True)
class FleetData:
    """What :func:`fleet_data` read.

    Attributes:
        clusters: per cluster, by name: its latest scan and the counts of its latest
            evaluated scan (None: never evaluated).
        groups: the groups of the latest evaluated rows whose severity was asked for,
            worst first (:func:`tracker.fleet.group_rows`).
    """

    clusters: list[tuple[ClusterSummary, FleetCounts | None]]
    groups: list[FleetGroup]


def fleet_data(
    db: Database, severities: Iterable[Severity], clusters: Sequence[str] | None = None
) -> FleetData:
    """Read the fleet view's data (module docstring).

    Args:
        severities: the row severities (:func:`tracker.fleet.row_severity`) to group.
        clusters: only these clusters (default: every one).

    Raises:
        StoreError: the store cannot be read.
    """
    chosen = tuple(severities)
    latest, evaluated = sa.alias(t.scans, "latest"), sa.alias(t.scans, "evaluated")
    clusters_query = named(
        sa.select(
            t.clusters.c.name,
            t.clusters.c.server.label("cluster_server"),
            *(latest.c[c] for c in _SUMMARY_COLUMNS),
            evaluated.c.id.label("evaluated_id"),
            evaluated.c.report_counts,
        )
        .select_from(t.clusters)
        .join(latest, latest.c.id == newest_scan(evaluated=False))
        .outerjoin(evaluated, evaluated.c.id == newest_scan(evaluated=True))
        .order_by(t.clusters.c.name),
        clusters,
    )
    with db.tx("reading the fleet view") as conn:
        summaries: list[ClusterSummary] = []
        counts: dict[str, FleetCounts] = {}
        legacy: dict[int, str] = {}
        for row in conn.execute(clusters_query):
            summaries.append(summary_from(row))
            found = FleetCounts.from_dict(row.report_counts)
            if found is not None:
                counts[row.name] = found
            elif row.evaluated_id is not None:  # evaluated before 0006
                legacy[row.evaluated_id] = row.name
        dialect = db.engine.dialect.name
        groups = _groups(conn, clusters, chosen, dialect) if chosen else []
        old: list[FleetRow] = []
        for name, full in _full_rows(conn, legacy).items():
            counts[name] = count_rows(full)
            old += [row for row in map(FleetRow.of, full) if row.severity in chosen]
    merged = merge_groups(groups, group_rows(old))
    return FleetData([(s, counts.get(s.name)) for s in summaries], merged)


_SUMMARY_COLUMNS = (
    "id",
    "scanned_at",
    "source",
    "kubernetes_version",
    "distribution",
    "warnings",
    "namespaces",
)
"""The columns of ``scans`` a :class:`ClusterSummary` holds."""


def _groups(
    conn: sa.Connection,
    clusters: Sequence[str] | None,
    severities: tuple[Severity, ...],
    dialect: str,
) -> list[FleetGroup]:
    """The groups of the rows of each cluster's latest evaluated scan saved since 0006
    (``report_counts`` set), in SQL."""
    evaluated = latest_per_cluster(evaluated=True, clusters=clusters)
    r = t.report_rows
    collation = "C" if dialect == "postgresql" else "BINARY"
    version = sa.func.coalesce(sa.func.nullif(r.c.current, ""), sa.func.nullif(r.c.raw_version, ""))
    rank = sa.case({b.value: n for b, n in BEHIND_RANK.items()}, value=r.c.behind, else_=0)
    rows = (
        sa.select(
            r.c.component,
            r.c.role,
            sa.func.coalesce(version, "?").label("version"),
            r.c.severity,
            rank.label("rank"),
            r.c.days_behind,
            r.c.latest,
            r.c.cluster,
            sa.cast(r.c.flags, sa.Text).label("flags"),
        )
        .join(evaluated, evaluated.c.scan_id == r.c.scan_id)
        .join(t.scans, t.scans.c.id == r.c.scan_id)
        .where(t.scans.c.report_counts.is_not(None))
        .where(r.c.severity.in_([s.value for s in severities]))
        .subquery()
    )
    key = (rows.c.component, rows.c.role, rows.c.version, rows.c.severity)
    figures = sa.select(
        *key,
        sa.func.max(rows.c.rank),
        sa.func.max(rows.c.days_behind),
        sa.func.max(rows.c.latest.collate(collation)),
        sa.func.count(sa.distinct(rows.c.cluster)),
        sa.func.min(rows.c.cluster.collate(collation)),
        sa.func.count(),
    ).group_by(*key)
    flag_lists = sa.select(*key, rows.c.flags).distinct()
    flags: dict[GroupKey, set[Flag]] = {}
    for component, role, version_, severity, text in conn.execute(flag_lists):
        flags.setdefault(_key(component, role, version_, severity), set()).update(_flags(text))
    behind = {n: b for b, n in BEHIND_RANK.items()}
    groups = []
    for (
        component,
        role,
        version_,
        severity,
        most,
        days,
        latest,
        count,
        first,
        entries,
    ) in conn.execute(figures):
        group_key = _key(component, role, version_, severity)
        groups.append(
            FleetGroup(
                *group_key,
                latest=latest,
                behind=behind.get(most),
                days_behind=days,
                flags=ordered_flags(flags.get(group_key, ())),
                cluster_count=count,
                first_cluster=first,
                entries=entries,
            )
        )
    return groups


def _key(component: str, role: str, version: str, severity: str) -> GroupKey:
    return GroupKey(component, role, version, Severity(severity))


@functools.lru_cache(maxsize=1024)
def _flags(text: str) -> tuple[Flag, ...]:
    """A row's stored flags (a JSON list) as Flags; a fleet repeats few distinct lists."""
    return tuple(Flag(f) for f in json.loads(text))


def _full_rows(conn: sa.Connection, scans: dict[int, str]) -> dict[str, list[ComponentReport]]:
    """Cluster name -> the full rows of its scan in ``scans`` (id -> cluster name)."""
    out: dict[str, list[ComponentReport]] = {name: [] for name in scans.values()}
    ids = sorted(scans)
    for start in range(0, len(ids), _CHUNK):
        query = (
            sa.select(t.report_rows)
            .where(t.report_rows.c.scan_id.in_(ids[start : start + _CHUNK]))
            .order_by(t.report_rows.c.scan_id, t.report_rows.c.position)
        )
        for row in conn.execute(query):
            out[scans[row.scan_id]].append(report_from(row))
    return out
