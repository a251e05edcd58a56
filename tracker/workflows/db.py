"""``tracker db``: the store's schema revision (Alembic migrations)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.workflows.common import open_store

if TYPE_CHECKING:
    from tracker.store import SchemaStatus


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
