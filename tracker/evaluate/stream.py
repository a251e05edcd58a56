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
- Builds: tags of one version whose builds order (``+k3s1``/``+k3s2``, ``-r9``/``-r12``,
  ``-eksbuild.1``/``-eksbuild.2``: :attr:`~tracker.versions.ParsedVersion.build_rank`) are
  distinct releases, in build order; a newer build of the running version counts as newer
  and the distance is ``behind: build`` (design.md §4).
- Shapes: versions compare only within one shape (:attr:`~tracker.versions.ParsedVersion.shape`).
  The stream keeps the shape most of its versions have (``semver`` on a tie); versions of
  another shape (a four-part hotfix ``v4.2.3.1``, a stray ``v1000.1.0``, a calendar tag in a
  semver list) are left out with the reason, so they never outrank the stream's releases.
- A release counts as a candidate when it is stable, or when the running version is itself
  a pre-release and the release is a pre-release of the same ``major.minor`` line.
- The catalogue may be stale or partial (a first sync pages back only so far; an offline
  import may be old). A running version newer than every candidate is up to date as far as
  anyone knows, but its line's latest patch is then unknown (None), never a lower version.
  A running version the stored releases do not reach back to is behind by *at least* the
  counts given (``Evaluation.oldest_known`` is set). The stored releases reach back to it
  when they hold a release of its ``major.minor`` line at or below it, or a lower release
  published *before* the first release newer than it. Version order alone is not enough:
  a first sync reads the newest releases first, and a low-numbered tag published recently
  (prometheus's Go-module twin ``v1.99.0``, 2022; a backport of an old line) would make a
  list that stops at 2.16 (2020) look as if it reached back to 2.11.
- No tag rule: when a catalogue entry gives none, the running tag's own prefix
  (``rel-3.1.4``) picks the stream (:func:`stream_pattern`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime

from packaging.version import Version

from tracker.evaluate.base import Evaluation, ReleaseStream, StreamRelease
from tracker.models import Behind, Component, Release
from tracker.versions import ParsedVersion, Unparsed, newer_build, parse_tag, tag_prefix

__all__ = ["build_stream", "place", "stream_pattern"]

_BuildKey = tuple[str, int] | None


def stream_pattern(pattern: str, default: str, running_tag: str) -> str:
    r"""The tag rule that selects a component's stream: ``pattern``, except that when the
    entry gives no rule of its own (``pattern == default``) and the running tag carries a
    prefix, the tags with that prefix are the stream.

    >>> default = r"^v?(?P<version>\d.*)$"
    >>> print(stream_pattern(default, default, "rel-3.1.4"))
    ^rel\-v?(?P<version>\d.*)$
    >>> stream_pattern(default, default, "v3.1.4") == default
    True
    >>> stream_pattern(r"^controller-v(?P<version>.+)$", default, "rel-3.1.4")
    '^controller-v(?P<version>.+)$'
    """
    if pattern != default:
        return pattern
    prefix = tag_prefix(running_tag)
    if prefix is None:
        return pattern
    if prefix.endswith(("v", "V")) and len(prefix) > 1 and not prefix[-2].isalpha():
        prefix = prefix[:-1]
    return f"^{re.escape(prefix)}v?(?P<version>\\d.*)$"


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
    groups: dict[tuple[Version, _BuildKey], list[tuple[ParsedVersion, Release]]] = {}
    skipped: list[tuple[str, str]] = []
    for release in releases:
        parsed = parse_tag(release.tag, tag_pattern)
        if parsed is None:
            continue
        if isinstance(parsed, Unparsed):
            skipped.append((release.tag, parsed.reason))
            continue
        groups.setdefault((parsed.version, parsed.build_rank), []).append((parsed, release))

    shapes = Counter(members[0][0].shape for members in groups.values())
    if len(shapes) > 1:
        dominant = max(shapes, key=lambda shape: (shapes[shape], shape == "semver"))
        for key, members in list(groups.items()):
            shape = members[0][0].shape
            if shape != dominant:
                del groups[key]
                skipped.extend(
                    (r.tag, f"{shape} version among {dominant} releases: not compared")
                    for _, r in members
                )
    stream = [_merge(members) for members in groups.values()]
    stream.sort(key=_order)
    return ReleaseStream(project, tag_pattern, tuple(stream), tuple(skipped))


def _order(release: StreamRelease) -> tuple[Version, str, int]:
    """Version order, then build order within a version (``+k3s1`` before ``+k3s2``)."""
    rank = release.version.build_rank
    return (release.version.version, rank[0] if rank else "", rank[1] if rank else -1)


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
    newer = [
        r
        for r in candidates
        if r.version.version > parsed.version or newer_build(r.version, parsed)
    ]
    behind, lines = _distance(parsed, latest.version)
    reaches_back = stream is None or _reaches_back(stream, parsed, newer)
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
        # builds of a higher version are one release; newer builds of the running one count
        releases_behind=len(
            {r.version.version for r in newer if r.version.version != parsed.version}
        )
        + sum(1 for r in newer if r.version.version == parsed.version),
        days_behind=_days_since_first(newer, today),
        line_days_behind=_days_since_first(
            [r for r in newer if r.version.line == parsed.line], today
        ),
        today=today,
        oldest_known=None if reaches_back or not newer else newer[0],
    )


def _reaches_back(
    stream: ReleaseStream, current: ParsedVersion, newer: list[StreamRelease]
) -> bool:
    """Whether the stored releases reach back to ``current`` (module docstring, last rule).

    True when the stream holds a release of ``current``'s ``major.minor`` line at or below
    it, or a lower release published before the earliest-published release newer than
    ``current``; without publication dates, any release at or below it.
    """
    below = [r for r in stream.releases if r.version.version <= current.version]
    if not below:
        return False
    if not newer or any(r.version.line == current.line for r in below):
        return True
    newer_dates = [r.published_at for r in newer if r.published_at is not None]
    below_dates = [r.published_at for r in below if r.published_at is not None]
    if not newer_dates or not below_dates:
        return True
    return min(below_dates) < min(newer_dates)


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
    ``major.minor.patch`` counts as ``patch`` behind; a newer build or revision of the same
    version (``+k3s2`` after ``+k3s1``) as ``build`` behind.
    """
    if newer_build(latest, current):
        return Behind.BUILD, 0
    if latest.version <= current.version:
        return None, None
    if latest.major > current.major:
        return Behind.MAJOR, latest.major - current.major
    if latest.minor > current.minor:
        return Behind.MINOR, latest.minor - current.minor
    return Behind.PATCH, 0
