"""Cluster identity: the API server (``host:port``) that owns a cluster name.

Revision ID: 0002
Revises: 0001
Create Date: 2024-07-01

``clusters.server`` is set by the first scan of the name from a live API server; a later
scan under that name from a different server is refused by the store (two clusters
claiming one name in a shared fleet database). NULL: only dumps were scanned under it.
Mirrors ``tracker/store/tables.py`` at this revision (the no-drift test checks it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``clusters.server`` (nullable: existing clusters have no known server)."""
    with op.batch_alter_table("clusters") as batch:
        batch.add_column(sa.Column("server", sa.String(255), nullable=True))


def downgrade() -> None:
    """Drop ``clusters.server``."""
    with op.batch_alter_table("clusters") as batch:
        batch.drop_column("server")
