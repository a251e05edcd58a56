"""Compatibility re-exports for callers written before the store was split by concern.

Import from :mod:`tracker.store` instead; this module goes once no caller uses it.
"""

from tracker.store.facade import Store
from tracker.store.outbox import MAX_NOTIFICATION_ATTEMPTS, OutboxItem
from tracker.store.scans import StoredScan
from tracker.store.upstream import SyncState

__all__ = ["MAX_NOTIFICATION_ATTEMPTS", "OutboxItem", "Store", "StoredScan", "SyncState"]
