"""The database schema as SQLAlchemy Core tables (the migrations create it; this mirrors it).

The schema is created and upgraded ONLY by the Alembic migrations in ``migrations/``;
``tests/store/test_migrations.py`` checks that these tables and the migrated database do not
drift apart (``alembic.autogenerate.compare_metadata`` finds no difference).

Tables::

    clusters            one row per cluster name, with the API server that owns the name
    scans               one row per scan (cluster, scanned_at, source, server_version, warnings,
                        job_run_at: when the nightly job finished it, report_counts: what its
                        evaluated rows found, namespaces: which namespaces it read)
    scan_components     identified components of a scan, in identification order
    scan_unidentified   images no rule claimed, in identification order
    report_rows         evaluated components of a scan (flags and findings as JSON lists, the
                        worst counted severity)
    releases            upstream releases: (project, tag) unique
    upstream_documents  other upstream data, one JSON document per (kind, subject, key):
                        support cycles per endoflife.date product, advisories per package
    sync_state          per (project, token fingerprint): validator (ETag), listing once read to
                        its end (complete), last success / attempt / error
    locks               who holds a job lock (owner, host, pid, acquired_at): a label for the
                        message of a refused contender; the lock itself is an advisory lock
                        (PostgreSQL) or a file lock (SQLite), see ``tracker.store.locks
    outbox              notifications waiting to be sent (sent_at and failed_at NULL), sent,
                        or given up (failed_at set)

Times are stored as UTC: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL, naive UTC text on
SQLite; :class:`UTCDateTime` turns both back into timezone-aware UTC datetimes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names are deterministic so that later (batch) migrations can refer to them."""

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    Binding a naive datetime raises ``ValueError`` (tracker's models hold aware datetimes
    only); aware datetimes in any zone are converted to UTC. SQLite has no time zone type,
    so the value is stored as naive UTC and marked UTC again when read.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} given; use an aware UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers return datetime
            raise TypeError(f"unexpected timestamp value {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _scan_fk() -> sa.Column[int]:
    return sa.Column(
        "scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False
    )


def _component_columns() -> list[sa.Column[Any]]:
    """The columns of :class:`tracker.models.Component`, shared by two tables."""
    return [
        sa.Column("component", sa.String(100), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("raw_version", sa.String(255), nullable=False),
        sa.Column("project", sa.String(255), nullable=True),
        sa.Column("namespace", sa.String(253), nullable=True),
        sa.Column("workload", sa.Text, nullable=True),
        sa.Column("image", sa.Text, nullable=True),
        sa.Column("instances", sa.Integer, nullable=False),
        sa.Column("revision", sa.String(100), nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        # 0005: the image came through a registry mirror (identify/mirrors.py).
        sa.Column("mirrored", sa.Boolean, nullable=False, server_default=sa.false()),
    ]


clusters = sa.Table(
    "clusters",
    metadata,
    _id(),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    # 0002: the API server (host:port) that first scanned under this name; NULL: dumps only.
    sa.Column("server", sa.String(255), nullable=True),
)

scans = sa.Table(
    "scans",
    metadata,
    _id(),
    sa.Column(
        "cluster_id",
        sa.Integer,
        sa.ForeignKey("clusters.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("scanned_at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Column("server_version", sa.String(255), nullable=True),
    sa.Column("warnings", sa.JSON, nullable=False),
    # 0003: when `tracker run` finished this scan (its notifications queued); the latest
    # such scan of a cluster is the next run's baseline. NULL: not (yet) a finished job run.
    sa.Column("job_run_at", UTCDateTime, nullable=True),
    # 0004: the Kubernetes version decided at scan time (Identification.kubernetes_version).
    sa.Column("kubernetes_version", sa.String(255), nullable=True),
    # 0005: the distribution decided at scan time (eks, gke, aks, openshift, k3s, ...).
    sa.Column("distribution", sa.String(32), nullable=True),
    # 0006: the evaluated rows' counts (tracker.fleet.FleetCounts), written with the rows;
    # NULL: never evaluated, or evaluated before 0006.
    sa.Column("report_counts", sa.JSON, nullable=True),
    # 0007: the namespaces the scan read (tracker.models.NamespaceScope.as_json:
    # {"only": [...]} or {"except": [...]}); NULL: every namespace (and scans before 0007).
    sa.Column("namespaces", sa.JSON, nullable=True),
    sa.Index("ix_scans_cluster_id_scanned_at", "cluster_id", "scanned_at"),
    sa.Index("ix_scans_cluster_id_job_run_at", "cluster_id", "job_run_at"),
)

scan_components = sa.Table(
    "scan_components",
    metadata,
    _id(),
    _scan_fk(),
    sa.Column("position", sa.Integer, nullable=False),
    *_component_columns(),
    sa.Index("ix_scan_components_scan_id", "scan_id"),
    sa.Index("ix_scan_components_component", "component"),
)

scan_unidentified = sa.Table(
    "scan_unidentified",
    metadata,
    _id(),
    _scan_fk(),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("namespace", sa.String(253), nullable=False),
    sa.Column("workload", sa.Text, nullable=False),
    sa.Column("image", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("ix_scan_unidentified_scan_id", "scan_id"),
)

report_rows = sa.Table(
    "report_rows",
    metadata,
    _id(),
    _scan_fk(),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("cluster", sa.String(255), nullable=False),
    *_component_columns(),
    sa.Column("current", sa.String(255), nullable=True),
    sa.Column("latest", sa.String(255), nullable=True),
    sa.Column("latest_patch", sa.String(255), nullable=True),
    sa.Column("latest_url", sa.Text, nullable=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("behind", sa.String(16), nullable=True),
    sa.Column("releases_behind", sa.Integer, nullable=True),
    sa.Column("days_behind", sa.Integer, nullable=True),
    sa.Column("flags", sa.JSON, nullable=False),
    sa.Column("findings", sa.JSON, nullable=False),
    # 0005: {"support": {...}, "advisories": [...], "waiver": {...}} where known, else NULL.
    sa.Column("details", sa.JSON, nullable=True),
    # 0006: the worst finding no live waiver accepts (tracker.fleet.row_severity); NULL: none
    # (or saved before 0006).
    sa.Column("severity", sa.String(16), nullable=True),
    sa.Index("ix_report_rows_scan_id", "scan_id"),
    sa.Index("ix_report_rows_component", "component"),
)

releases = sa.Table(
    "releases",
    metadata,
    _id(),
    sa.Column("project", sa.String(255), nullable=False),
    sa.Column("tag", sa.String(255), nullable=False),
    sa.Column("published_at", UTCDateTime, nullable=True),
    sa.Column("prerelease", sa.Boolean, nullable=False),
    sa.Column("url", sa.Text, nullable=True),
    sa.Column("name", sa.Text, nullable=False),
    # (project, tag) leads with project, so it also serves "releases of a project".
    sa.UniqueConstraint("project", "tag", name="uq_releases_project_tag"),
)

sync_state = sa.Table(
    "sync_state",
    metadata,
    _id(),
    sa.Column("project", sa.String(255), nullable=False),
    sa.Column("token_key", sa.String(128), nullable=False),
    # 0004: TEXT (was VARCHAR(255)): the source's validator is opaque, of any length.
    sa.Column("etag", sa.Text, nullable=True),
    sa.Column("last_success_at", UTCDateTime, nullable=True),
    sa.Column("last_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("renamed_to", sa.String(255), nullable=True),
    # 0004: the listing was once read to its last page (was a marker inside etag).
    sa.Column("complete", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("project", "token_key", name="uq_sync_state_project_token_key"),
)

upstream_documents = sa.Table(
    "upstream_documents",
    metadata,
    _id(),
    # 0005: source-agnostic upstream data other than releases, one JSON document per key:
    # kind "cycles" (subject: an endoflife.date product, key: a cycle), "advisories"
    # (subject: a package such as go:k8s.io/ingress-nginx, key: an advisory id), ...
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("subject", sa.String(255), nullable=False),
    sa.Column("key", sa.String(255), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("kind", "subject", "key", name="uq_upstream_documents_kind_subject_key"),
)

locks = sa.Table(
    "locks",
    metadata,
    sa.Column("name", sa.String(300), primary_key=True),
    sa.Column("owner", sa.String(255), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("acquired_at", UTCDateTime, nullable=False),
    # 0004: expires_at and holder_ns dropped (no heartbeat or PID liveness check any more).
)

outbox = sa.Table(
    "outbox",
    metadata,
    _id(),
    sa.Column("target", sa.String(255), nullable=False),
    sa.Column("cluster", sa.String(255), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    # 0003: set when the item reached the maximum number of attempts (never sent then).
    sa.Column("failed_at", UTCDateTime, nullable=True),
    sa.Index("ix_outbox_sent_at_target", "sent_at", "target"),
)
