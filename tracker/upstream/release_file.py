"""Release import/export files, to move upstream release data into an air-gapped install
(design.md §3).

Two shapes are read:

- a JSON array of GitHub REST release objects (``GET /repos/{owner}/{repo}/releases`` items),
  with the project given by the caller (``tracker releases import FILE --project owner/repo``);
- an object ``{"owner/repo": [release, ...], ...}``.

A project is a GitHub ``owner/repo`` or a GitLab full path (``group/subgroup/project``): the
items have the GitHub release shape either way.

``export`` writes the second shape, so an export imports back unchanged. Items are validated
with the same rules as the GitHub source
(:func:`tracker.upstream.github.schema.parse_release`): drafts dropped, ``tag_name``
required, ``published_at`` RFC 3339 with an offset (stored as UTC).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from tracker.errors import ReleaseFileError
from tracker.models import Release
from tracker.upstream.github.schema import parse_release
from tracker.upstream.stores import ReleaseStore

_PROJECT_RE = re.compile(r"^[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+){1,21}$")
"""``owner/repo``, or a GitLab project's full path (``gitlab-org/ruby/gems/gitlab-exporter``)."""
_HINT = "each item needs at least tag_name; see README.md, 'Release import file'"


@dataclass(frozen=True)
class ReleaseFile:
    """What an import file holds.

    Attributes:
        releases: project (``owner/repo``) -> its releases, in file order, drafts removed.
        drafts: how many draft releases were left out.
    """

    releases: Mapping[str, tuple[Release, ...]]
    drafts: int = 0

    @property
    def count(self) -> int:
        """Releases in the file, all projects together."""
        return sum(len(r) for r in self.releases.values())


def load_release_file(path: Path, project: str | None = None) -> ReleaseFile:
    """Read and validate a release import file.

    Args:
        path: the JSON file.
        project: ``owner/repo`` for an array file (required there); for an object file,
            keep only this project (it must be in the file).

    Raises:
        ReleaseFileError: unreadable file, bad JSON, wrong shape, or a bad item; one line
            naming the file, the project and the item index and field.
    """
    from tracker.inputfile import InputFile

    # One safe reader (tracker.inputfile): regular files only (a FIFO or /dev/zero is refused
    # at once), a size limit, UTF-8 with the byte offset of a bad byte, orjson (no recursion
    # or integer-size surprises); every problem is one line naming the file.
    source = InputFile(path, what="release file", error=ReleaseFileError, hint=_HINT)
    return parse_release_data(source.load_json(), source=str(path), project=project)


def parse_release_data(data: Any, *, source: str, project: str | None = None) -> ReleaseFile:
    """Validate already-decoded release file content (see :func:`load_release_file`).

    ``source`` names the file in error messages.

    Raises:
        ReleaseFileError: as :func:`load_release_file`.
    """
    if project is not None and not _PROJECT_RE.match(project):
        raise ReleaseFileError(
            f"{source}: project {project!r} is not an owner/repo name", "e.g. istio/istio"
        )
    if isinstance(data, list):
        if project is None:
            raise ReleaseFileError(
                f"{source}: the file is a plain list of releases, so it needs a project",
                'pass --project owner/repo, or use the {"owner/repo": [...]} form',
            )
        groups: dict[str, Any] = {project: data}
    elif isinstance(data, dict):
        groups = dict(data)
        if project is not None:
            if project not in groups:
                raise ReleaseFileError(
                    f"{source}: project {project!r} is not in the file",
                    f"projects in the file: {_listed(groups)}",
                )
            groups = {project: groups[project]}
    else:
        raise ReleaseFileError(
            f"{source}: expected a JSON array or object at the top level, "
            f"got {type(data).__name__}",
            _HINT,
        )
    releases: dict[str, tuple[Release, ...]] = {}
    drafts = 0
    for name, items in groups.items():
        if not isinstance(name, str) or not _PROJECT_RE.match(name):
            raise ReleaseFileError(f"{source}: key {name!r} is not an owner/repo name", _HINT)
        if not isinstance(items, list):
            raise ReleaseFileError(
                f"{source}: {name}: expected a list of releases, got {type(items).__name__}",
                _HINT,
            )
        out: list[Release] = []
        for index, item in enumerate(items):
            try:
                release = parse_release(name, item)
            except ValueError as exc:
                raise ReleaseFileError(f"{source}: {name} item {index}: {exc}", _HINT) from None
            if release is None:
                drafts += 1
            else:
                out.append(release)
        releases[name] = tuple(out)
    return ReleaseFile(releases=releases, drafts=drafts)


def release_to_json(release: Release) -> dict[str, Any]:
    """The GitHub REST shape of a release (``published_at`` as RFC 3339 UTC, ``Z``)."""
    published = (
        release.published_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if release.published_at is not None
        else None
    )
    return {
        "tag_name": release.tag,
        "name": release.name,
        "draft": False,
        "prerelease": release.prerelease,
        "published_at": published,
        "html_url": release.url,
    }


def dumps_releases(releases: Mapping[str, Sequence[Release]]) -> str:
    """The export text: ``{"owner/repo": [release, ...]}``, projects sorted, newest first.

    Releases without a date sort last, in their given order.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for project in sorted(releases):
        ordered = sorted(
            releases[project],
            key=lambda r: r.published_at.timestamp() if r.published_at else float("-inf"),
            reverse=True,
        )
        out[project] = [release_to_json(r) for r in ordered]
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


def export_release_file(path: Path, releases: Mapping[str, Sequence[Release]]) -> int:
    """Write ``releases`` to ``path`` (see :func:`dumps_releases`); return releases written.

    Raises:
        ReleaseFileError: the file cannot be written.
    """
    text = dumps_releases(releases)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReleaseFileError(
            f"{path}: cannot write release file ({exc.strerror or exc})",
            "check the directory exists and is writable",
        ) from None
    return sum(len(r) for r in releases.values())


def import_releases(store: ReleaseStore, path: Path, project: str | None = None) -> dict[str, int]:
    """Load ``path`` (see :func:`load_release_file`) into ``store``; return project -> new count.

    Existing releases are updated, never deleted (an import adds to the stored upstream data).

    Raises:
        ReleaseFileError: the file is unreadable or malformed (nothing is stored then).
    """
    loaded = load_release_file(path, project=project)
    return {name: store.upsert_releases(name, rels) for name, rels in loaded.releases.items()}


def export_releases(store: ReleaseStore, path: Path) -> int:
    """Write every stored release to ``path`` as ``{"owner/repo": [...]}``; return the count.

    Raises:
        ReleaseFileError: the file cannot be written.
    """
    return export_release_file(path, {p: store.releases(p) for p in store.projects()})


def _listed(groups: dict[str, Any]) -> str:
    """The file's project keys for a hint: the owner/repo ones, sorted, at most 10 (a key
    that is not a project name, e.g. one holding a newline, is counted, never shown)."""
    names = sorted(k for k in groups if isinstance(k, str) and _PROJECT_RE.match(k))
    others = len(groups) - len(names)
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    if others:
        shown += f"{'; ' if shown else ''}{others} key(s) that are not owner/repo names"
    return shown or "none"
