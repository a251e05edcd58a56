"""The store: scans, evaluation results, the release catalogue, sync state, job lock, outbox.

SQLite by default (``$XDG_DATA_HOME/tracker/tracker.db``), PostgreSQL by URL. The schema is
created and upgraded only by the Alembic migrations in ``migrations/``, on open.
``repository.py`` is the only module with SQL.
"""

from tracker.store.engine import default_database_url, safe_url
from tracker.store.repository import OutboxItem, Store, StoredScan, SyncState

__all__ = ["OutboxItem", "Store", "StoredScan", "SyncState", "default_database_url", "safe_url"]
