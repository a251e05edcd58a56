"""The store: scans, evaluation results, upstream data, sync state, job lock, outbox.

SQLite by default (``$XDG_DATA_HOME/tracker/tracker.db``), PostgreSQL by URL. The schema is
created and upgraded only by the Alembic migrations in ``migrations/``, on open (or checked,
never changed, with ``Store.open(url, read_only=True)``).

Modules, one concern each: ``db`` (URL -> engine, transactions, errors, schema check and
upgrade on open), ``tables`` (the schema), ``mapping`` (rows <-> dataclasses; fitting values
to columns), ``scans``, ``fleet`` (the fleet view's reads), ``retention``, ``upstream``,
``outbox``, ``locks``; ``facade`` holds :class:`Store`,
which delegates to them. Only these modules hold SQL.
"""

from tracker.store.db import (
    SchemaState,
    SchemaStatus,
    default_database_url,
    safe_url,
    schema_revisions,
    schema_status,
)
from tracker.store.facade import Store
from tracker.store.fleet import FleetData
from tracker.store.outbox import MAX_NOTIFICATION_ATTEMPTS, OutboxItem
from tracker.store.scans import StoredScan
from tracker.store.upstream import SyncState

__all__ = [
    "MAX_NOTIFICATION_ATTEMPTS",
    "FleetData",
    "OutboxItem",
    "SchemaState",
    "SchemaStatus",
    "Store",
    "StoredScan",
    "SyncState",
    "default_database_url",
    "safe_url",
    "schema_revisions",
    "schema_status",
]
