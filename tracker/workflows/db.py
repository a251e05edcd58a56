"""``tracker db``: the store's schema revision (Alembic migrations) and retention (prune)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.workflows.common import open_store

if TYPE_CHECKING:
    from tracker.store import SchemaStatus
    from tracker.store.retention import PruneResult


def upgrade(settings: Settings) -> SchemaStatus:
    """``tracker db upgrade``: apply every pending migration (opening the store does it).

    Raises:
        StoreError: the database cannot be opened or migrated, or its schema is newer than
            this tracker (upgrade tracker instead).
    """
    from tracker.store import schema_status

    with open_store(settings):
        pass
    return schema_status(settings.database_url)


def current(settings: Settings) -> SchemaStatus:
    """``tracker db current``: the revisions, read-only, without changing anything.

    Raises:
        StoreError: the database cannot be read, or its schema is NEWER than this tracker
            (exit 1: the message says to upgrade tracker, not the database).
    """
    from tracker.store import schema_status

    return schema_status(settings.database_url)


def prune(
    settings: Settings, *, now: datetime | None = None, dry_run: bool = False
) -> tuple[datetime, PruneResult]:
    """``tracker db prune``: delete scans older than ``[store] keep_scans`` and their rows.

    Each cluster's latest scan, latest evaluated scan and nightly baseline are kept whatever
    their age (:mod:`tracker.store.retention`).

    Args:
        now: the current time (aware; default: now in UTC).
        dry_run: count what would be deleted, delete nothing.

    Returns:
        ``(cut-off, counts)``: scans taken before the cut-off were candidates.

    Raises:
        StoreError: the database cannot be opened or written (nothing is deleted).
    """
    cutoff = (now or datetime.now(UTC)) - settings.store_keep_scans
    with open_store(settings, read_only=dry_run) as store:
        return cutoff, store.prune_scans(cutoff, dry_run=dry_run)
