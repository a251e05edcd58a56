"""Initial schema: clusters, scans, components, report rows, releases, sync state, locks, outbox.

Revision ID: 0001
Revises:
Create Date: 2024-06-01

Mirrors ``tracker/store/tables.py`` at this revision (the no-drift test checks it).
Written out in full, not imported from tables.py, so that it never changes after release.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _component_columns() -> list[sa.Column[object]]:
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
    ]


def _scan_child(name: str, *columns: sa.Column[object]) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{name}"),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=f"fk_{name}_scan_id_scans", ondelete="CASCADE"
        ),
    )
    op.create_index(f"ix_{name}_scan_id", name, ["scan_id"])


def upgrade() -> None:
    """Create every table and index of schema revision 0001."""
    op.create_table(
        "clusters",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_clusters"),
        sa.UniqueConstraint("name", name="uq_clusters_name"),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("cluster_id", sa.Integer, nullable=False),
        sa.Column("scanned_at", _TS, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("server_version", sa.String(255), nullable=True),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scans"),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["clusters.id"], name="fk_scans_cluster_id_clusters", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_scans_cluster_id_scanned_at", "scans", ["cluster_id", "scanned_at"])

    _scan_child("scan_components", *_component_columns())
    op.create_index("ix_scan_components_component", "scan_components", ["component"])

    _scan_child(
        "scan_unidentified",
        sa.Column("namespace", sa.String(253), nullable=False),
        sa.Column("workload", sa.Text, nullable=False),
        sa.Column("image", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )

    _scan_child(
        "report_rows",
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
    )
    op.create_index("ix_report_rows_component", "report_rows", ["component"])

    op.create_table(
        "releases",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.Column("published_at", _TS, nullable=True),
        sa.Column("prerelease", sa.Boolean, nullable=False),
        sa.Column("url", sa.Text, nullable=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_releases"),
        sa.UniqueConstraint("project", "tag", name="uq_releases_project_tag"),
    )
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("project", sa.String(255), nullable=False),
        sa.Column("token_key", sa.String(128), nullable=False),
        sa.Column("etag", sa.String(255), nullable=True),
        sa.Column("last_success_at", _TS, nullable=True),
        sa.Column("last_attempt_at", _TS, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("renamed_to", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sync_state"),
        sa.UniqueConstraint("project", "token_key", name="uq_sync_state_project_token_key"),
    )
    op.create_table(
        "locks",
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("acquired_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_locks"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("cluster", sa.String(255), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_sent_at_target", "outbox", ["sent_at", "target"])


def downgrade() -> None:
    """Drop everything (children first)."""
    for table in (
        "outbox",
        "locks",
        "sync_state",
        "releases",
        "report_rows",
        "scan_unidentified",
        "scan_components",
        "scans",
        "clusters",
    ):
        op.drop_table(table)
