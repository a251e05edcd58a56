"""What the paged release sources share: retryable failures, a finished listing, and how a
page URL is compared for "already read" (each source keeps its own headers, rate-limit rules
and paging links)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tracker.http import origin
from tracker.models import Release

__all__ = ["Listing", "Transient", "Unreachable", "page_key"]


class Transient(Exception):
    """A failure worth retrying (5xx, timeout, connection error, a short rate-limit wait);
    ``retry_after``: seconds the server asked to wait, if it said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(Transient):
    """No connection could be established to ``host`` (retried ``connect_attempts`` times)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"cannot connect to {where}: {reason}")
        self.host = where
        self.reason = reason


@dataclass(frozen=True)
class Listing:
    """Items read from a paged listing: ``complete`` when its last page was read."""

    items: tuple[Release, ...]
    pages: int
    complete: bool


def page_key(url: str | httpx.URL) -> tuple[tuple[str, str, int | None], str, tuple[Any, ...]]:
    """A URL as compared for "already read": origin, path and sorted query parameters.

    >>> page_key("https://h.test/x?b=2&a=1") == page_key("https://h.test/x?a=1&b=2")
    True
    """
    parsed = httpx.URL(url)
    return origin(parsed), parsed.path, tuple(sorted(parsed.params.multi_items()))
