"""Images tracker recognises but does not catalogue, and why.

Some images on real clusters are known open-source parts that tracker cannot follow: a helper
image with no release stream of its own (GitLab's ``alpine-certificates``, tagged with a
package's date stamp), or a project whose releases live where no release source of tracker's
reads. They stay ``unidentified`` (design.md §4: nothing is dropped, and
never a guess), but their reason says what they are and what is missing, instead of only
"no catalogue entry". The list ships in ``uncatalogued.toml`` next to this module.
"""

from __future__ import annotations

import functools
import tomllib
from importlib import resources

from tracker.errors import IdentifyError
from tracker.identify.catalogue import normalize_image_pattern
from tracker.models import ImageReference

__all__ = ["listed_repositories", "uncatalogued_reason"]


def uncatalogued_reason(image: ImageReference) -> str | None:
    """Why ``image`` is known but not catalogued, or None when it is not listed.

    An image matches a listed repository when its registry-normalized name is that repository,
    or when its path ends in it, with or without the registry (a mirror:
    ``harbor.corp/gitlab/registry.gitlab.com/gitlab-org/build/cng/alpine-certificates`` and
    ``harbor.corp/proxy/gitlab-org/build/cng/alpine-certificates`` both end in
    ``registry.gitlab.com/gitlab-org/build/cng/alpine-certificates``).

    Raises:
        IdentifyError: the shipped ``uncatalogued.toml`` is malformed (tested; not expected).

    >>> ref = ImageReference.parse("registry.gitlab.com/gitlab-org/build/cng/alpine-certificates:1")
    >>> uncatalogued_reason(ref).startswith("GitLab's CNG helper image")
    True
    >>> uncatalogued_reason(ImageReference.parse("nginx:1.27")) is None
    True
    """
    segments = tuple(image.name.lower().split("/"))
    for forms, reason in _table():
        if any(segments[-len(form) :] == form for form in forms if len(form) <= len(segments)):
            return reason
    return None


def listed_repositories() -> tuple[str, ...]:
    """The listed repositories, registry-normalized, in file order."""
    return tuple("/".join(forms[0]) for forms, _ in _table())


@functools.cache
def _table() -> tuple[tuple[tuple[tuple[str, ...], ...], str], ...]:
    """``((forms, reason), ...)``: each repository as path segments with its registry and,
    when it has more than one path segment, without it."""
    text = resources.files("tracker.identify").joinpath("uncatalogued.toml").read_text("utf-8")
    try:
        rows = tomllib.loads(text).get("images", [])
    except tomllib.TOMLDecodeError as exc:
        raise IdentifyError(f"built-in uncatalogued.toml is not valid TOML: {exc}") from exc
    table: list[tuple[tuple[tuple[str, ...], ...], str]] = []
    for row in rows:
        repository, reason = row.get("repository"), row.get("reason")
        if not isinstance(repository, str) or not isinstance(reason, str) or not reason.strip():
            raise IdentifyError(f"built-in uncatalogued.toml: bad entry {row!r}")
        if "*" in repository:
            raise IdentifyError(f"built-in uncatalogued.toml: no wildcard in {repository!r}")
        full = tuple(normalize_image_pattern(repository).split("/"))
        forms = (full, full[1:]) if len(full) > 2 else (full,)
        table.append((forms, " ".join(reason.split())))
    return tuple(table)
