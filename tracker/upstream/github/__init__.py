"""GitHub as an upstream source: ``client`` (requests, paging, limits), ``releases`` (the
release source), ``schema`` (GitHub JSON validated once at the boundary)."""

from tracker.upstream.github.client import (
    ANONYMOUS_WARNING,
    DEFAULT_API_URL,
    connect_failure_reason,
    default_client,
    token_key,
)
from tracker.upstream.github.releases import GitHubReleaseSource

__all__ = [
    "ANONYMOUS_WARNING",
    "DEFAULT_API_URL",
    "GitHubReleaseSource",
    "connect_failure_reason",
    "default_client",
    "token_key",
]
