"""GitHub as an upstream source: ``client`` (GitHub's headers and rate-limit rules on the shared
:mod:`tracker.upstream.forge` client), ``releases`` (the release source), ``schema`` (GitHub
JSON validated once at the boundary).

The names below load their module on first use (PEP 562): importing ``schema`` alone (a
release-file import) does not pull in httpx and tenacity through ``client``.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.http import connect_failure_reason
    from tracker.upstream.github.client import (
        ANONYMOUS_WARNING,
        DEFAULT_API_URL,
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

_HOME = {name: "tracker.upstream.github.client" for name in __all__} | {
    "GitHubReleaseSource": "tracker.upstream.github.releases",
    "connect_failure_reason": "tracker.http",
}


def __getattr__(name: str) -> Any:
    """Load the module that defines ``name`` on first use.

    Raises:
        AttributeError: for a name this package does not export.
    """
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module 'tracker.upstream.github' has no attribute {name!r}")
