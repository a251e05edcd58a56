"""Nightly-job baseline, outbox give-up, lock holder identity.

Revision ID: 0003
Revises: 0002
Create Date: 2024-08-01

- ``scans.job_run_at``: when ``tracker run`` finished this scan (notifications queued);
  NULL for scans stored by ``tracker scan`` or by a run that died before finishing. The
  latest such scan of a cluster is the baseline the next run diffs against. Index
  ``(cluster_id, job_run_at)`` serves "latest job run of a cluster".
- ``outbox.failed_at``: set when an item reached the maximum number of attempts; it is
  never sent or returned as pending again.
- ``locks.holder_ns``: the holder's boot id and PID namespace; the SQLite lock trusts a
  ``kill(pid, 0)`` liveness check only when it matches (containers sharing a hostname but
  not a PID namespace cannot see each other's processes).

Mirrors ``tracker/store/tables.py`` at this revision (the no-drift test checks it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the three nullable columns (existing rows: NULL) and the job-run index."""
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("job_run_at", _TS, nullable=True))
    op.create_index("ix_scans_cluster_id_job_run_at", "scans", ["cluster_id", "job_run_at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("failed_at", _TS, nullable=True))
    with op.batch_alter_table("locks") as batch:
        batch.add_column(sa.Column("holder_ns", sa.String(100), nullable=True))


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    with op.batch_alter_table("locks") as batch:
        batch.drop_column("holder_ns")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("failed_at")
    op.drop_index("ix_scans_cluster_id_job_run_at", table_name="scans")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("job_run_at")
