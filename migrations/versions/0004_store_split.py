"""Sync completeness column, a scan's Kubernetes version, file locks on SQLite.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

- ``sync_state.complete`` (boolean, not null, default false): the project's listing was
  once read to its last page. Until now the sync kept this as a marker (`` +complete``)
  appended to the value in ``etag``; the upgrade moves existing markers into the column
  (``etag`` loses the marker; an etag that was only the marker becomes NULL) and the
  downgrade puts them back.
- ``sync_state.etag`` becomes TEXT: a source's validator is opaque and of any length.
- ``scans.kubernetes_version``: decided at scan time from now on. Existing scans get what
  the store used to compute when reading them: the normalized ``server_version``, else
  the raw value, else the raw version of the ``kubernetes`` control-plane component.
- ``locks.expires_at`` and ``locks.holder_ns`` are dropped: the SQLite lock is a file lock
  the OS frees when its holder dies (no heartbeat, no PID liveness check); ``locks`` keeps
  only the holder's label. Label rows are deleted on downgrade (a held lock keeps working:
  the lock itself is not in this table).

Mirrors ``tracker/store/tables.py`` at this revision (the no-drift test checks it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MARK = " +complete"
_TS = sa.DateTime(timezone=True)

_sync = sa.table(
    "sync_state",
    sa.column("id", sa.Integer),
    sa.column("etag", sa.Text),
    sa.column("complete", sa.Boolean),
)
_scans = sa.table(
    "scans",
    sa.column("id", sa.Integer),
    sa.column("server_version", sa.String),
    sa.column("kubernetes_version", sa.String),
)
_components = sa.table(
    "scan_components",
    sa.column("scan_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("component", sa.String),
    sa.column("role", sa.String),
    sa.column("raw_version", sa.String),
)


def _kubernetes_version(raw: str | None) -> str | None:
    """What the store computed before 0004 (tracker.versions decides the normalization)."""
    if not raw:
        return None
    from tracker.versions import ParsedVersion, parse_version

    parsed = parse_version(raw)
    return parsed.normalized if isinstance(parsed, ParsedVersion) else raw[:255]


def _backfill_kubernetes_versions(conn: sa.Connection) -> None:
    control_plane: dict[int, str] = {}
    for row in conn.execute(
        sa.select(_components.c.scan_id, _components.c.raw_version)
        .where(_components.c.component == "kubernetes")
        .where(_components.c.role == "control-plane")
        .order_by(_components.c.scan_id, _components.c.position)
    ):
        if row.raw_version:
            control_plane.setdefault(row.scan_id, row.raw_version)
    updates = []
    for row in conn.execute(sa.select(_scans.c.id, _scans.c.server_version)):
        version = _kubernetes_version(row.server_version or control_plane.get(row.id))
        if version is not None:
            updates.append({"b_id": row.id, "version": version})
    if updates:
        conn.execute(
            _scans.update()
            .where(_scans.c.id == sa.bindparam("b_id"))
            .values(kubernetes_version=sa.bindparam("version")),
            updates,
        )


def upgrade() -> None:
    """Add the columns, move the markers out of ``etag``, backfill, drop the lock columns."""
    with op.batch_alter_table("sync_state") as batch:
        batch.alter_column("etag", type_=sa.Text, existing_nullable=True)
        batch.add_column(
            sa.Column("complete", sa.Boolean, nullable=False, server_default=sa.false())
        )
    conn = op.get_bind()
    marked = conn.execute(
        sa.select(_sync.c.id, _sync.c.etag).where(_sync.c.etag.like(f"%{_MARK}"))
    ).all()
    if marked:
        conn.execute(
            _sync.update()
            .where(_sync.c.id == sa.bindparam("b_id"))
            .values(etag=sa.bindparam("etag"), complete=True),
            [{"b_id": row.id, "etag": row.etag[: -len(_MARK)] or None} for row in marked],
        )
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("kubernetes_version", sa.String(255), nullable=True))
    _backfill_kubernetes_versions(conn)
    with op.batch_alter_table("locks") as batch:
        batch.drop_column("holder_ns")
        batch.drop_column("expires_at")


def downgrade() -> None:
    """Undo :func:`upgrade`: markers back into ``etag``, columns as at 0003.

    An etag too long for 0003's VARCHAR(255) with its marker is dropped (the marker is
    kept): the next sync then makes an unconditional request, nothing else is lost.
    """
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM locks"))
    with op.batch_alter_table("locks") as batch:
        batch.add_column(sa.Column("expires_at", _TS, nullable=False))
        batch.add_column(sa.Column("holder_ns", sa.String(100), nullable=True))
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("kubernetes_version")
    rows = conn.execute(sa.select(_sync.c.id, _sync.c.etag, _sync.c.complete)).all()
    updates = []
    for row in rows:
        etag = row.etag
        if row.complete:
            etag = f"{etag or ''}{_MARK}"
        if etag is not None and len(etag) > 255:
            etag = _MARK if row.complete else None
        if etag != row.etag:
            updates.append({"b_id": row.id, "etag": etag})
    if updates:
        conn.execute(
            _sync.update()
            .where(_sync.c.id == sa.bindparam("b_id"))
            .values(etag=sa.bindparam("etag")),
            updates,
        )
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("complete")
        batch.alter_column("etag", type_=sa.String(255), existing_nullable=True)
