"""The upstream stage's boundary: a source turns a project id into upstream data.

Pattern from pip-audit ``_service/interface.py``: one Protocol per seam, frozen dataclasses
crossing it, and the stage's errors (:class:`~tracker.errors.UpstreamError`,
:class:`~tracker.errors.RateLimitError`, :class:`~tracker.errors.ReleaseFileError`).

Following renovate's datasource/versioning split, an :class:`UpstreamSource` never compares
versions: it lists what upstream published, newest first, and the sync (or the evaluation)
decides what the tags mean. Which source serves a project is the component catalogue's word
(``source`` of an entry, see :mod:`tracker.upstream.sources`); the sync treats every source
alike through this Protocol.

Kinds of upstream data (:class:`DataKind`): releases today; support cycles (EOL) and
advisories are added as new kinds with their own tuple on :class:`FetchResult`, so a source
serves one kind and the sync stores each kind where it belongs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from tracker.errors import RateLimitError, ReleaseFileError, UpstreamError
from tracker.models import Release

__all__ = [
    "DataKind",
    "FetchResult",
    "RateLimitError",
    "ReleaseFileError",
    "StopCondition",
    "UpstreamError",
    "UpstreamSource",
]


class DataKind(StrEnum):
    """What a source provides about a project."""

    RELEASES = "releases"  # published versions (FetchResult.releases)
    CYCLES = "cycles"  # support cycles with EOL dates (planned: endoflife.date)
    ADVISORIES = "advisories"  # security advisories (planned: GHSA/OSV)


StopCondition = Callable[[Sequence[Release]], bool]
"""Called by a source after each page with that page's releases (newest first, drafts removed);
returning True ends the listing after this page (e.g. "this page holds a stored release")."""


@dataclass(frozen=True)
class FetchResult:
    """What one fetch of one project produced.

    Attributes:
        project: the project id that was asked for (data carries this id even when upstream
            renamed the project, so the catalogue entry keeps finding it).
        kind: which kind of data this is (the tuple of that kind is filled, the others empty).
        releases: releases read, newest first as upstream lists them, drafts removed.
        validator: opaque text to send back on the next fetch for a conditional request (and,
            for a listing cut short, where to resume); None when upstream sent none. Only the
            source that produced it interprets it.
        not_modified: True when upstream said nothing changed since ``validator``: no data.
        complete: True when the listing was read to its end (a full sync may then replace
            what is stored, dropping deleted releases).
        interrupted: why the listing stopped early though more was there (e.g. the rate limit
            ran out after page 2); the data read is kept, ``validator`` says where to resume.
        requests: request attempts made, retries and redirects included.
        pages: pages of data read.
        renamed_to: the project's new id when upstream said it moved, else None.
        from_tags: True when the project publishes no releases and its tags were listed
            instead (``published_at`` is then None).
        drafts: draft (unpublished) releases seen and dropped.
        malformed: one line per item that failed validation and was left out.
        warnings: one line per thing the source refused to do (e.g. follow a link to another
            host, or a page link seen before), for the sync summary.
        rate_limit_remaining: requests left in the source's quota after this fetch, if known.
        rate_limit_reset: when that quota resets (aware UTC), if known.
        rate_limited: True when the quota ran out during this fetch (``interrupted`` says so);
            the sync then starts no other project of this source.
    """

    project: str
    kind: DataKind = DataKind.RELEASES
    releases: tuple[Release, ...] = ()
    validator: str | None = None
    not_modified: bool = False
    complete: bool = False
    interrupted: str | None = None
    requests: int = 0
    pages: int = 0
    renamed_to: str | None = None
    from_tags: bool = False
    drafts: int = 0
    malformed: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    rate_limit_remaining: int | None = None
    rate_limit_reset: datetime | None = None
    rate_limited: bool = False


class UpstreamSource(Protocol):
    """Turns a project id into upstream data of one :class:`DataKind`.

    Implementations are registered in :data:`tracker.upstream.sources.FACTORIES` by name.
    Thread-safe: the sync calls ``fetch`` from several threads at once.
    """

    @property
    def name(self) -> str:
        """The source's name as a catalogue entry spells it (its ``source`` key)."""
        ...

    @property
    def kind(self) -> DataKind:
        """The kind of data ``fetch`` returns."""
        ...

    @property
    def warnings(self) -> tuple[str, ...]:
        """One-line warnings the caller should print once (e.g. "no token: 60 requests/hour")."""
        ...

    def fetch(
        self,
        project: str,
        *,
        validator: str | None = None,
        conditional: bool = True,
        stop: StopCondition | None = None,
        max_pages: int | None = None,
    ) -> FetchResult:
        """Fetch ``project``'s data, newest first.

        Args:
            project: the project id as the catalogue entry gives it.
            validator: ``FetchResult.validator`` of the last successful fetch; when upstream
                says nothing changed the result has ``not_modified=True`` and no data. A
                validator of an interrupted listing makes the fetch resume where it stopped.
            conditional: False never answers "not modified" (the caller knows it misses data
                upstream has), but still resumes an interrupted listing.
            stop: see :data:`StopCondition`; None reads every page.
            max_pages: read at most this many pages (None: no bound).

        Raises:
            RateLimitError: the quota is exhausted before any data was read (``reset_at``).
            UpstreamUnreachableError: no connection to the source could be established (after
                a short bounded retry); the caller stops asking for other projects.
            UpstreamError: the project failed (not found, server errors after retries, bad
                data); ``requests`` on the error counts the attempts made.
        """
        ...
