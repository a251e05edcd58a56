"""GitLab REST API v4 JSON -> tracker data, validated once at the boundary (renovate ``schema.ts``).

Shapes (GitLab docs):

- a release (https://docs.gitlab.com/api/releases/, "List releases"): ``tag_name`` (required),
  ``name``, ``released_at`` / ``created_at`` (ISO 8601), ``upcoming_release`` (boolean: its
  ``released_at`` lies in the future), ``_links.self`` (the release page);
- a tag (https://docs.gitlab.com/api/tags/, "List project repository tags"): ``name``
  (required), ``release`` (``{tag_name, description}`` or null).

GitLab releases carry no pre-release flag: a pre-release is what the one version normalizer
says (:func:`tracker.versions.is_prerelease_tag`: ``v16.0.0-rc42`` is one). An upcoming release
is not published yet: it is dropped like an unpublished draft. Malformed items raise
``ValueError`` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from tracker.models import Release
from tracker.versions import is_prerelease_tag

PROJECT_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*){1,20}$")
"""A GitLab project's full path: a group, optional subgroups (GitLab nests up to 20 levels),
and the project (``gitlab-org/gitaly``, ``gitlab-org/ruby/gems/gitlab-exporter``)."""


def project_id(project: str) -> str:
    """The ``:id`` of a project given by path: the URL-encoded full path
    (https://docs.gitlab.com/api/rest/#namespaced-paths).

    >>> project_id("gitlab-org/ruby/gems/gitlab-exporter")
    'gitlab-org%2Fruby%2Fgems%2Fgitlab-exporter'
    """
    return quote(project, safe="")


def parse_timestamp(value: Any, field_name: str) -> datetime | None:
    """An ISO 8601 timestamp with an offset (``2019-12-17T10:41:46.000Z``) as aware UTC.

    >>> parse_timestamp("2023-12-20T11:37:54.000+00:00", "released_at").isoformat()
    '2023-12-20T11:37:54+00:00'
    >>> parse_timestamp(None, "released_at") is None
    True

    Raises:
        ValueError: not a string, not ISO 8601, without an offset, or out of range in UTC.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"field {field_name!r} must be a timestamp string or null")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"field {field_name!r} is not an ISO 8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"field {field_name!r} has no UTC offset: {value!r}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"field {field_name!r} is out of range in UTC: {value!r}") from None


def _text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"field {key!r} must be a string or null")
    return value


def parse_release(project: str, item: Any, web_url: str) -> Release | None:
    """One release object -> a :class:`Release`; None for an upcoming (unpublished) release.

    ``published_at`` is ``released_at`` (else ``created_at``); ``url`` is ``_links.self``
    when it lies under ``web_url`` (the instance's own address), else
    ``{web_url}/{project}/-/releases/{tag}``.

    >>> r = parse_release("gitlab-org/gitaly", {"tag_name": "v16.0.0-rc42"}, "https://gitlab.com")
    >>> r.prerelease, r.url
    (True, 'https://gitlab.com/gitlab-org/gitaly/-/releases/v16.0.0-rc42')

    Raises:
        ValueError: a one-line reason naming the bad field.
    """
    if not isinstance(item, Mapping):
        raise ValueError(f"expected a release object, got {type(item).__name__}")
    upcoming = item.get("upcoming_release", False)
    if upcoming is not None and not isinstance(upcoming, bool):
        raise ValueError("field 'upcoming_release' must be true or false")
    tag = item.get("tag_name")
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError("field 'tag_name' must be a non-empty string")
    if upcoming:
        return None
    name = _text(item, "name")
    released = parse_timestamp(item.get("released_at"), "released_at")
    if released is None:
        released = parse_timestamp(item.get("created_at"), "created_at")
    links = item.get("_links")
    own = links.get("self") if isinstance(links, Mapping) else None
    default = f"{web_url}/{project}/-/releases/{quote(tag, safe='')}"
    url = own if isinstance(own, str) and own.startswith(web_url + "/") else default
    return Release(
        project=project,
        tag=tag,
        published_at=released,
        prerelease=is_prerelease_tag(tag),
        url=url,
        name=name or "",
    )


def parse_tag(project: str, item: Any, web_url: str) -> Release:
    """One ``/repository/tags`` item -> a :class:`Release` without a date.

    >>> parse_tag("gitlab-org/gitaly", {"name": "v1.77.1"}, "https://gitlab.com").url
    'https://gitlab.com/gitlab-org/gitaly/-/tags/v1.77.1'

    Raises:
        ValueError: the item has no non-empty string ``name``.
    """
    if not isinstance(item, Mapping):
        raise ValueError(f"expected a tag object, got {type(item).__name__}")
    tag = item.get("name")
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError("field 'name' must be a non-empty string")
    return Release(
        project=project,
        tag=tag,
        published_at=None,
        prerelease=is_prerelease_tag(tag),
        url=f"{web_url}/{project}/-/tags/{quote(tag, safe='')}",
        name=tag,
    )
