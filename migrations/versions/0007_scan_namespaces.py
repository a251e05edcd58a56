"""Which namespaces each scan read.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

- ``scans.namespaces``: the namespaces whose pods (and Helm release Secrets) the scan read,
  as :meth:`tracker.models.NamespaceScope.as_json` writes it: ``{"only": ["a", "b"]}``
  (``tracker scan -n a -n b``) or ``{"except": ["x"]}`` (every namespace but those RBAC
  forbade); NULL: every namespace. Scans stored before this revision keep NULL: they are
  read as having covered every namespace, which is what tracker assumed when it diffed them.

``tracker history`` and the nightly digest use it to tell a finding of a namespace a scan
did not read ("not scanned") from one that went away ("resolved").

Mirrors ``tracker/store/tables.py`` at this revision (the no-drift test checks it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the nullable column (existing scans: NULL, every namespace)."""
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("namespaces", sa.JSON, nullable=True))


def downgrade() -> None:
    """Drop what :func:`upgrade` added (a namespace-filtered scan then reads as a full one)."""
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("namespaces")
