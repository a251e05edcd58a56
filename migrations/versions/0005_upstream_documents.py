"""Upstream documents (support cycles, advisories), report row details, scan distribution.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

- ``upstream_documents``: source-agnostic upstream data other than releases, one JSON
  document per (kind, subject, key): support cycles per endoflife.date product, advisories
  per package. A failed sync never deletes from it.
- ``report_rows.details``: the optional parts of an evaluated row (support window,
  advisories, waiver), JSON; NULL for rows evaluated before.
- ``scans.distribution``: the distribution decided at scan time; NULL for older scans.
- ``scan_components.mirrored`` / ``report_rows.mirrored``: the image came through a
  registry mirror; false for older rows.

Mirrors ``tracker/store/tables.py`` at this revision (the no-drift test checks it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "upstream_documents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("fetched_at", _TS, nullable=False),
        sa.UniqueConstraint(
            "kind", "subject", "key", name="uq_upstream_documents_kind_subject_key"
        ),
    )
    with op.batch_alter_table("report_rows") as batch:
        batch.add_column(sa.Column("details", sa.JSON, nullable=True))
        batch.add_column(
            sa.Column("mirrored", sa.Boolean, nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("scan_components") as batch:
        batch.add_column(
            sa.Column("mirrored", sa.Boolean, nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("distribution", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("distribution")
    with op.batch_alter_table("scan_components") as batch:
        batch.drop_column("mirrored")
    with op.batch_alter_table("report_rows") as batch:
        batch.drop_column("mirrored")
        batch.drop_column("details")
    op.drop_table("upstream_documents")
