"""Fleet view figures stored with the evaluated rows: per-scan counts, per-row severity.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

- ``scans.report_counts``: what the scan's evaluated rows found
  (:class:`tracker.fleet.FleetCounts` as JSON: components, critical, warning, info, waived,
  vulnerable, eol, outdated), written with the rows; NULL for scans evaluated before (the
  fleet view then counts their rows) and for scans never evaluated.
- ``report_rows.severity``: the row's worst finding no live waiver accepts
  (:func:`tracker.fleet.row_severity`); NULL when it has none, and for rows saved before.

With them ``report --all-clusters`` reads one small record per cluster and only the rows
with critical or warning findings, not every row of the fleet. No index is added: each
cluster's latest evaluated scan is found through ``ix_scans_cluster_id_scanned_at`` and its
rows through ``ix_report_rows_scan_id``.

Mirrors ``tracker/store/tables.py`` at this revision (the no-drift test checks it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two nullable columns (existing rows: NULL)."""
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("report_counts", sa.JSON, nullable=True))
    with op.batch_alter_table("report_rows") as batch:
        batch.add_column(sa.Column("severity", sa.String(16), nullable=True))


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    with op.batch_alter_table("report_rows") as batch:
        batch.drop_column("severity")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("report_counts")
