"""The upstream stage's boundary: where releases come from, and what the sync needs to store them.

Pattern from pip-audit ``_service/interface.py``: one Protocol per seam, frozen dataclasses
crossing it, and the stage's errors (:class:`~tracker.errors.UpstreamError`,
:class:`~tracker.errors.RateLimitError`, :class:`~tracker.errors.ReleaseFileError`).

Following renovate's datasource/versioning split, a :class:`ReleaseSource` never compares
versions: it lists what upstream published, newest first, and the sync (or the evaluation)
decides what the tags mean.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from tracker.errors import RateLimitError, ReleaseFileError, UpstreamError
from tracker.models import Release

__all__ = [
    "CatalogueStore",
    "FetchResult",
    "RateLimitError",
    "ReleaseFileError",
    "ReleaseSource",
    "ReleaseStore",
    "StopCondition",
    "SyncStateView",
    "UpstreamError",
]


StopCondition = Callable[[Sequence[Release]], bool]
"""Called by a source after each page with that page's releases (newest first, drafts removed);
returning True ends the listing after this page (e.g. "this page holds a stored release")."""


@dataclass(frozen=True)
class FetchResult:
    """What one source fetch of one project produced.

    Attributes:
        project: the ``owner/repo`` that was asked for (releases carry this name even when the
            repository was renamed, so the catalogue entry keeps finding them).
        releases: the releases read, newest first as upstream lists them, drafts removed.
        etag: the validator to send next time (opaque; may combine the releases and tags ETags);
            None when upstream sent none.
        not_modified: True when upstream answered 304 to our ETag: nothing changed, no releases.
        requests: HTTP requests made, retries and redirects included.
        pages: pages of releases (or tags) read.
        complete: True when the listing was read to its last page (a full sync may then
            replace the stored catalogue, dropping deleted releases).
        renamed_to: the repository's new ``owner/repo`` when upstream redirected (301), else None.
        from_tags: True when the repository has no releases and its tags were listed instead
            (``published_at`` is then None).
        drafts: draft releases seen and dropped.
        malformed: one line per release item that failed validation and was left out.
        warnings: one line per thing the source refused to do (e.g. follow a page link to
            another host), for the sync summary.
        rate_limit_remaining: ``X-RateLimit-Remaining`` of the last response, if sent.
        rate_limit_reset: ``X-RateLimit-Reset`` of the last response as aware UTC, if sent.
    """

    project: str
    releases: tuple[Release, ...] = ()
    etag: str | None = None
    not_modified: bool = False
    requests: int = 0
    pages: int = 0
    complete: bool = False
    renamed_to: str | None = None
    from_tags: bool = False
    drafts: int = 0
    malformed: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    rate_limit_remaining: int | None = None
    rate_limit_reset: datetime | None = None


class ReleaseSource(Protocol):
    """Lists a project's published releases, newest first.

    Implementations: :class:`tracker.upstream.github.GitHubReleaseSource`; tests use the same
    class over ``httpx.MockTransport`` or a local fake server.
    """

    @property
    def warnings(self) -> tuple[str, ...]:
        """One-line warnings the caller should print once (e.g. "no token: 60 requests/hour")."""
        ...

    def fetch(
        self,
        project: str,
        *,
        etag: str | None = None,
        stop: StopCondition | None = None,
        max_pages: int | None = None,
    ) -> FetchResult:
        """Fetch ``project`` (``owner/repo``) releases.

        Args:
            etag: the validator from the last successful fetch; when upstream answers
                "not modified" the result has ``not_modified=True`` and no releases.
            stop: see :data:`StopCondition`; None reads every page.
            max_pages: read at most this many pages (None: no bound).

        Raises:
            RateLimitError: the primary rate limit is exhausted (``reset_at`` says when it resets).
            UpstreamUnreachableError: no connection to the API could be established (after
                a short bounded retry); the caller stops asking for other projects.
            UpstreamError: the project failed (not found, server errors after retries, bad JSON).
        """
        ...


class SyncStateView(Protocol):
    """What the sync reads back from a stored sync state (the store's ``SyncState`` row)."""

    @property
    def etag(self) -> str | None: ...

    @property
    def last_success_at(self) -> datetime | None: ...

    @property
    def complete(self) -> bool: ...


class ReleaseStore(Protocol):
    """The store methods release import/export uses (``tracker.store.repository.Store``)."""

    def projects(self) -> list[str]:
        """Projects (``owner/repo``) with at least one stored release."""
        ...

    def releases(self, project: str) -> list[Release]:
        """Every stored release of ``project`` (any order)."""
        ...

    def upsert_releases(
        self, project: str, releases: Sequence[Release], *, replace: bool = False
    ) -> int:
        """Insert new releases and update changed ones (by tag); return how many were new."""
        ...


class CatalogueStore(Protocol):
    """The store methods the sync uses (implemented by ``tracker.store.repository.Store``).

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
        """The last sync state of ``project`` for this token, or None when never synced."""
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
        complete: bool = False,
    ) -> None:
        """Record one sync attempt (``last_success_at`` moves only when ``success``;
        ``complete``: the listing was once read to its end, kept on failure)."""
        ...
