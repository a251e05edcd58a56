"""GitHub REST JSON -> tracker data, validated once at the boundary (renovate ``schema.ts``).

Shapes (GitHub docs, "REST API endpoints for releases" / "for repositories"):

- a release: ``tag_name`` (required), ``draft``/``prerelease`` (booleans), ``published_at``
  (RFC 3339 or null), ``name``, ``html_url`` (strings or null);
- a tag: ``name`` (required);
- a repository: ``full_name`` (``owner/repo``).

Drafts are dropped (None), malformed items raise ``ValueError`` naming the field, and
``published_at`` becomes aware UTC. Bodies are parsed with :func:`tracker.http.parse_json`
(depth and integer size bounded), never ``json.loads``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tracker.models import Release
from tracker.untrusted_json import parse_json
from tracker.versions import is_prerelease_tag

PROJECT_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
"""A GitHub ``owner/repo`` name."""


def parse_timestamp(value: Any, field_name: str = "published_at") -> datetime | None:
    """Parse a GitHub RFC 3339 timestamp into an aware UTC datetime; None stays None.

    >>> parse_timestamp("2024-03-15T18:53:33Z").isoformat()
    '2024-03-15T18:53:33+00:00'
    >>> parse_timestamp("2026-08-19T07:43:11-05:00").isoformat()
    '2026-08-19T12:43:11+00:00'

    Raises:
        ValueError: not a string, not RFC 3339, without a UTC offset, or out of range once
            converted to UTC (``datetime`` years 1-9999; e.g. ``9999-12-31T23:59:59-05:00``
            raises OverflowError in ``astimezone``); the message names the field.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"field {field_name!r} must be a timestamp string or null")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"field {field_name!r} is not an RFC 3339 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"field {field_name!r} has no UTC offset: {value!r}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"field {field_name!r} is out of range in UTC (years 1-9999): {value!r}"
        ) from None


def parse_release(project: str, item: Any) -> Release | None:
    """Turn one GitHub REST release object into a :class:`Release`; None for a draft.

    Required: ``tag_name`` (non-empty string). Optional: ``draft``/``prerelease`` (booleans,
    default false), ``published_at`` (RFC 3339 or null), ``name`` (string or null),
    ``html_url`` (string or null; the kubernetes sample lacks it).

    Raises:
        ValueError: a one-line reason naming the bad field.
    """
    if not isinstance(item, Mapping):
        raise ValueError(f"expected a release object, got {type(item).__name__}")
    for flag in ("draft", "prerelease"):
        if flag in item and not isinstance(item[flag], bool):
            raise ValueError(f"field {flag!r} must be true or false")
    if item.get("draft", False):
        return None
    tag = item.get("tag_name")
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError("field 'tag_name' must be a non-empty string")
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError("field 'name' must be a string or null")
    url = item.get("html_url")
    if url is not None and not isinstance(url, str):
        raise ValueError("field 'html_url' must be a string or null")
    return Release(
        project=project,
        tag=tag,
        published_at=parse_timestamp(item.get("published_at")),
        prerelease=bool(item.get("prerelease", False)),
        url=url,
        name=name or "",
    )


def parse_tag_item(project: str, item: Any) -> Release:
    """Turn one ``/tags`` item into a :class:`Release` without a date.

    ``prerelease`` is inferred from the name (:func:`tracker.versions.is_prerelease_tag`),
    since tags carry no flag.

    >>> parse_tag_item("a/b", {"name": "v1.2.0-rc.1"}).prerelease
    True

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
        url=f"https://github.com/{project}/tree/{tag}",
        name=tag,
    )


def parse_full_name(body: bytes) -> str | None:
    """``full_name`` of a ``GET /repositories/{id}`` answer, if it is an ``owner/repo``.

    >>> parse_full_name(b'{"full_name": "acme/new"}')
    'acme/new'
    >>> parse_full_name(b'[]') is None
    True
    """
    try:
        data = parse_json(body)
    except ValueError:
        return None
    name = data.get("full_name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and PROJECT_RE.match(name) else None
