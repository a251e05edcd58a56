"""``tracker db``: the store's schema revision (Alembic migrations)."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.config import Settings
from tracker.workflows.common import open_store


@dataclass(frozen=True)
class SchemaState:
    """The database's schema revision and this tracker's (``head``).

    Attributes:
        url: the database URL without its password (None: not opened).
        current: the revision the database is at; None for an empty database.
    """

    url: str | None
    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        """True when the database is at this tracker's head revision."""
        return self.current == self.head


def upgrade(settings: Settings) -> SchemaState:
    """``tracker db upgrade``: apply every pending migration (opening the store does it).

    Raises:
        StoreError: the database cannot be opened or migrated.
    """
    from tracker.store.engine import schema_revisions

    with open_store(settings) as store:
        url = store.url
    current, head = schema_revisions(settings.database_url)
    return SchemaState(url, current, head)


def current(settings: Settings) -> SchemaState:
    """``tracker db current``: the revisions, without changing anything.

    Raises:
        StoreError: the database cannot be read.
    """
    from tracker.store.engine import schema_revisions

    revision, head = schema_revisions(settings.database_url)
    return SchemaState(None, revision, head)
