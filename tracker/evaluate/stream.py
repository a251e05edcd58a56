"""Release streams: select a project's releases for one component and place a version in it.

Rules (design.md §4 "Latest"):

- A stream holds the releases whose tag matches the catalogue entry's ``tag_pattern`` and
  parses as a version (:func:`tracker.versions.parse_tag`); tags of other products in the
  same repository (``cmd/ctl/v1.12.0``, ``helm-chart-4.8.3``) and non-releases
  (``all-tests-pass``, ``v2.35.0-retract``) are left out.
- Order is version order, never GitHub's "latest" flag nor publication date: backport
  patches of older lines are published after newer lines (Kubernetes v1.28.8 after v1.29.3).
- Tags with the same version (``v2.43.0`` and ``v2.43.0+stringlabels``) are one release.
  It is a pre-release only when every one of those tags is (GitHub's ``prerelease`` flag
  or a pre-release version): a ``1.0.1`` marked pre-release next to a stable
  ``v1.0.1+build`` is a stable release, represented by the stable tag.
- A release counts as a candidate when it is stable, or when the running version is itself
  a pre-release and the release is a pre-release of the same ``major.minor`` line.
- The catalogue may be stale or partial (a first sync pages back only so far; an offline
  import may be old). A running version newer than every candidate is up to date as far as
  anyone knows, but its line's latest patch is then unknown (None), never a lower version.
  A running version older than every candidate is behind by *at least* the counts given
  (``Evaluation.oldest_known`` is set).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from packaging.version import Version

from tracker.evaluate.base import Evaluation, ReleaseStream, StreamRelease
from tracker.models import Behind, Component, Release
from tracker.versions import ParsedVersion, Unparsed, parse_tag

__all__ = ["build_stream", "place"]


def build_stream(project: str, tag_pattern: str, releases: Iterable[Release]) -> ReleaseStream:
    """Build the release stream of ``project`` selected by ``tag_pattern``.

    Args:
        project: GitHub ``owner/repo``.
        tag_pattern: regex with a named group ``version`` (see :func:`parse_tag`).
        releases: the project's releases in any order (drafts already removed).

    Returns:
        A :class:`ReleaseStream` with distinct versions, lowest first.

    Raises:
        IdentifyError: ``tag_pattern`` is not a valid regex or has no ``version`` group.
    """
    groups: dict[Version, list[tuple[ParsedVersion, Release]]] = {}
    skipped: list[tuple[str, str]] = []
    for release in releases:
        parsed = parse_tag(release.tag, tag_pattern)
        if parsed is None:
            continue
        if isinstance(parsed, Unparsed):
            skipped.append((release.tag, parsed.reason))
            continue
        groups.setdefault(parsed.version, []).append((parsed, release))

    stream = [_merge(members) for members in groups.values()]
    stream.sort(key=lambda item: item.version.version)
    return ReleaseStream(project, tag_pattern, tuple(stream), tuple(skipped))


def _merge(members: list[tuple[ParsedVersion, Release]]) -> StreamRelease:
    """One :class:`StreamRelease` for the tags sharing one version.

    A pre-release only if every member is; represented by a stable member when there is
    one, then the tag without build metadata, then the earliest published, then by tag.
    """

    def preference(member: tuple[ParsedVersion, Release]) -> tuple[bool, bool, datetime, str]:
        parsed, release = member
        published = _utc(release.published_at) if release.published_at else datetime.max
        return (
            release.prerelease,
            parsed.build is not None,
            published.replace(tzinfo=None),
            release.tag,
        )

    parsed, release = min(members, key=preference)
    dates = [_utc(r.published_at) for _, r in members if r.published_at is not None]
    return StreamRelease(
        version=parsed,
        release=release,
        prerelease=all(p.is_prerelease or r.prerelease for p, r in members),
        published_at=min(dates) if dates else None,
    )


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _counts(release: StreamRelease, current: ParsedVersion | None) -> bool:
    """Whether ``release`` is a candidate for a component running ``current``."""
    if not release.prerelease:
        return True
    return current is not None and current.is_prerelease and release.version.line == current.line


def place(
    component: Component,
    current: ParsedVersion | Unparsed,
    project: str | None,
    stream: ReleaseStream | None,
    upstream_problem: str | None,
    today: date,
) -> Evaluation:
    """Place the running version in the stream and compute the facts checks judge.

    Args:
        component: the running entry.
        current: its parsed version (or why it has none).
        project: the GitHub project compared with, or None.
        stream: the project's stream, or None when there is no upstream data.
        upstream_problem: why there is no upstream data (used when ``stream`` has no
            candidate release).
        today: the evaluation date; ``days_behind`` counts whole days up to it.

    Returns:
        An :class:`Evaluation`; see its attributes for each rule.
    """
    parsed = current if isinstance(current, ParsedVersion) else None
    candidates = [r for r in stream.releases if _counts(r, parsed)] if stream else []
    stable = [r for r in candidates if not r.prerelease]
    if stream is not None and not candidates:
        upstream_problem = (
            f"no stable release of {stream.project} matches tag pattern {stream.tag_pattern!r}"
        )
    latest = candidates[-1] if candidates else None  # streams are sorted by version
    base = Evaluation(
        component=component,
        current=current,
        project=project,
        upstream_problem=None if latest else upstream_problem,
        latest=latest,
        latest_stable=stable[-1] if stable else None,
        latest_patch=None,
        behind=None,
        lines_behind=None,
        releases_behind=None,
        days_behind=None,
        line_days_behind=None,
        today=today,
    )
    if parsed is None or latest is None:
        return base

    line = [r for r in candidates if r.version.line == parsed.line]
    if line and line[-1].version.version < parsed.version:
        line = []  # the catalogue knows only older releases of this line: latest patch unknown
    newer = [r for r in candidates if r.version.version > parsed.version]
    oldest = candidates[0]  # streams are sorted by version
    behind, lines = _distance(parsed, latest.version)
    return Evaluation(
        component=component,
        current=current,
        project=project,
        upstream_problem=None,
        latest=latest,
        latest_stable=base.latest_stable,
        latest_patch=line[-1] if line else None,
        behind=behind,
        lines_behind=lines,
        releases_behind=len(newer),
        days_behind=_days_since_first(newer, today),
        line_days_behind=_days_since_first(
            [r for r in newer if r.version.line == parsed.line], today
        ),
        today=today,
        oldest_known=oldest if parsed.version < oldest.version.version else None,
    )


def _days_since_first(releases: list[StreamRelease], today: date) -> int | None:
    """Whole days from the earliest publication among ``releases`` to ``today`` (>= 0).

    None when the list is empty or no release in it has a date.
    """
    dates = [r.published_at for r in releases if r.published_at is not None]
    if not dates:
        return None
    return max(0, (today - min(dates).date()).days)


def _distance(current: ParsedVersion, latest: ParsedVersion) -> tuple[Behind | None, int | None]:
    """How far ``current`` is behind ``latest``: (kind, majors or minor lines behind).

    A pre-release behind a newer pre-release or the final release of the same
    ``major.minor.patch`` counts as ``patch`` behind.
    """
    if latest.version <= current.version:
        return None, None
    if latest.major > current.major:
        return Behind.MAJOR, latest.major - current.major
    if latest.minor > current.minor:
        return Behind.MINOR, latest.minor - current.minor
    return Behind.PATCH, 0
