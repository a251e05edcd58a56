"""The fleet view's reads (``report --all-clusters``), without reading every row of the fleet.

What it reads, in one transaction:

* each cluster's latest scan (its :class:`~tracker.models.ClusterSummary`, no components);
* the counts stored with each cluster's latest *evaluated* scan (``scans.report_counts``,
  see :func:`tracker.store.scans.save_report_rows`): one small record per cluster;
* of those scans, only the rows whose stored ``severity`` is asked for, and only the
  columns :class:`tracker.fleet.FleetRow` holds (no findings, no details).

Each cluster's latest (evaluated) scan is one index walk per cluster
(:func:`tracker.store.scans.latest_per_cluster`). A scan evaluated before revision 0006 has
no stored counts and its rows no severity: its rows are read in full and counted here, the
same way (:func:`tracker.fleet.count_rows`), until the cluster is evaluated again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tracker.fleet import FleetCounts, FleetRow, count_rows
from tracker.models import Behind, ClusterSummary, ComponentReport, Flag, Severity, Status
from tracker.store import tables as t
from tracker.store.db import Database
from tracker.store.mapping import report_from
from tracker.store.scans import latest_per_cluster, scan_summaries

_CHUNK = 500
"""Scan ids per ``IN (...)`` list when reading scans saved before 0006 in full."""


@dataclass(frozen=True)
class FleetData:
    """What :func:`fleet_data` read.

    Attributes:
        clusters: per cluster, by name: its latest scan and the counts of its latest
            evaluated scan (None: never evaluated).
        rows: the lean rows of the latest evaluated scans whose severity was asked for.
    """

    clusters: list[tuple[ClusterSummary, FleetCounts | None]]
    rows: list[FleetRow]


def fleet_data(db: Database, severities: Iterable[Severity]) -> FleetData:
    """Read the fleet view's data (module docstring).

    Args:
        severities: the row severities (:func:`tracker.fleet.row_severity`) to read rows of.

    Raises:
        StoreError: the store cannot be read.
    """
    chosen = tuple(severities)
    wanted = [s.value for s in chosen]
    evaluated = latest_per_cluster(evaluated=True)
    latest = (
        sa.select(evaluated.c.name, evaluated.c.scan_id, t.scans.c.report_counts)
        .join(t.scans, t.scans.c.id == evaluated.c.scan_id)
        .order_by(evaluated.c.name)
    )
    r = t.report_rows
    lean = (
        sa.select(
            r.c.cluster,
            r.c.component,
            r.c.role,
            r.c.current,
            r.c.raw_version,
            r.c.status,
            r.c.behind,
            r.c.days_behind,
            r.c.latest,
            r.c.flags,
            r.c.severity,
        )
        .join(evaluated, evaluated.c.scan_id == r.c.scan_id)
        .join(t.scans, t.scans.c.id == r.c.scan_id)
        .where(t.scans.c.report_counts.is_not(None))
        .where(r.c.severity.in_(wanted))
    )
    with db.tx("reading the fleet view") as conn:
        summaries = scan_summaries(conn)
        counts: dict[str, FleetCounts] = {}
        legacy: dict[int, str] = {}
        for name, scan_id, stored in conn.execute(latest):
            found = FleetCounts.from_dict(stored)
            if found is None:
                legacy[scan_id] = name
            else:
                counts[name] = found
        rows = [_lean(row) for row in conn.execute(lean)] if wanted else []
        for name, full in _full_rows(conn, legacy).items():
            counts[name] = count_rows(full)
            rows += [lean for lean in map(FleetRow.of, full) if lean.severity in chosen]
    return FleetData([(s, counts.get(s.name)) for s in summaries], rows)


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


def _lean(row: Any) -> FleetRow:
    return FleetRow(
        cluster=row.cluster,
        component=row.component,
        role=row.role,
        version=row.current or row.raw_version or "?",
        status=Status(row.status),
        behind=Behind(row.behind) if row.behind is not None else None,
        days_behind=row.days_behind,
        latest=row.latest,
        flags=tuple(Flag(f) for f in row.flags),
        severity=Severity(row.severity),
    )
