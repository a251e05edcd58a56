"""GitLab as an upstream source: ``client`` (GitLab's token header and next-page rule on the
shared :mod:`tracker.upstream.forge` client),
``releases`` (the release source: releases, or tags when a project publishes none),
``schema`` (GitLab REST API v4 JSON validated once at the boundary).

Built by :data:`tracker.upstream.sources.FACTORIES` for catalogue entries with
``source = "gitlab"``; the names below load their module on first use (PEP 562).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tracker.upstream.gitlab.client import DEFAULT_API_URL
    from tracker.upstream.gitlab.releases import GitLabReleaseSource

__all__ = ["DEFAULT_API_URL", "GitLabReleaseSource"]

_HOME = {"DEFAULT_API_URL": "client", "GitLabReleaseSource": "releases"}


def __getattr__(name: str) -> Any:
    """Load the module that defines ``name`` on first use.

    Raises:
        AttributeError: for a name this package does not export.
    """
    if name in _HOME:
        return getattr(import_module(f"tracker.upstream.gitlab.{_HOME[name]}"), name)
    raise AttributeError(f"module 'tracker.upstream.gitlab' has no attribute {name!r}")
