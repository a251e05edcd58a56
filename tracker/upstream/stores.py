"""What the upstream stage needs from a store (implemented by ``tracker.store``'s ``Store``).

Kept apart from :mod:`tracker.upstream.base` (the source seam): these Protocols describe the
store's existing method names, including its ``etag`` column, which holds a source's opaque
validator.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from tracker.models import Release

__all__ = ["ReleaseStore", "SyncStateView", "UpstreamStore"]


class SyncStateView(Protocol):
    """What the sync reads back from a stored sync state (the store's ``SyncState`` row)."""

    @property
    def etag(self) -> str | None:
        """The validator recorded by the last successful sync (opaque to the store)."""
        ...

    @property
    def last_success_at(self) -> datetime | None: ...


class ReleaseStore(Protocol):
    """The store methods release import/export uses."""

    def projects(self) -> list[str]:
        """Projects with at least one stored release."""
        ...

    def releases(self, project: str) -> list[Release]:
        """Every stored release of ``project`` (any order)."""
        ...

    def upsert_releases(
        self, project: str, releases: Sequence[Release], *, replace: bool = False
    ) -> int:
        """Insert new releases and update changed ones (by tag); return how many were new."""
        ...


class UpstreamStore(Protocol):
    """The store methods the sync uses.

    The sync calls them from one thread only (the caller's), so a store need not be thread-safe.
    """

    def releases(self, project: str) -> list[Release]:
        """Every stored release of ``project`` (any order)."""
        ...

    def upsert_releases(
        self, project: str, releases: Sequence[Release], *, replace: bool = False
    ) -> int:
        """Insert new releases and update changed ones (by tag); return how many were new.

        With ``replace=True`` the stored releases of ``project`` not in ``releases`` are deleted
        (used only after a complete, successful full listing).
        """
        ...

    def sync_state(self, project: str, token_key: str) -> SyncStateView | None:
        """The last sync state of ``project`` for this credential, or None when never synced."""
        ...

    def record_sync(
        self,
        project: str,
        token_key: str,
        *,
        attempted_at: datetime,
        etag: str | None,
        success: bool,
        error: str | None = None,
        renamed_to: str | None = None,
    ) -> None:
        """Record one sync attempt (``last_success_at`` moves only when ``success``)."""
        ...
