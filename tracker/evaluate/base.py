"""The evaluate stage's boundary: the :class:`Check` Protocol and what crosses it.

Evaluation runs in two steps (pattern: pip-audit ``_service/interface.py``):

1. :mod:`tracker.evaluate.stream` turns a project's releases into a :class:`ReleaseStream`
   and places the running version in it, giving one :class:`Evaluation` of plain facts
   (latest, latest patch, how far behind, since when).
2. Each :class:`Check` reads an :class:`Evaluation` and returns :class:`~tracker.models.Finding`
   objects. Checks never see raw release lists, never compare version strings themselves
   and never read the clock: ``today`` is in the evaluation.
3. Each :class:`ClusterCheck` reads the whole cluster (a :class:`ClusterEvaluation`: every
   entry's evaluation) and returns :class:`ClusterFinding` objects, each naming the entry
   it belongs to: rules between components (version skew, compatibility). The same
   evaluator runs both kinds; a row's findings are its own checks' plus those attached to
   it, in :class:`~tracker.models.Flag` order.

Errors: a catalogue entry whose tag pattern is invalid raises
:class:`~tracker.errors.IdentifyError` (from :func:`tracker.versions.parse_tag`); the stage
has no error class of its own because nothing else in it can fail on input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from tracker.models import Behind, Component, Finding, Release, Role
from tracker.versions import ParsedVersion, Unparsed

__all__ = [
    "Check",
    "ClusterCheck",
    "ClusterEvaluation",
    "ClusterFinding",
    "Evaluation",
    "ReleaseStream",
    "StreamRelease",
]


@dataclass(frozen=True)
class StreamRelease:
    """One distinct upstream version in a project's release stream.

    Several tags can carry one version (``v2.43.0`` and ``v2.43.0+stringlabels``): they are
    one :class:`StreamRelease`, represented by a tag GitHub marks stable (if any), then the
    tag without build metadata, then the earliest, and dated by the earliest publication
    among them.

    Attributes:
        version: the parsed version of the tag (``version.version`` orders).
        release: the representative release (tag, url, GitHub flags).
        prerelease: True only when every tag of this version is a pre-release (GitHub's
            ``prerelease`` flag or a pre-release version).
        published_at: the earliest publication (UTC) among the tags of this version;
            None when no tag has a date.
    """

    version: ParsedVersion
    release: Release
    prerelease: bool
    published_at: datetime | None

    @property
    def url(self) -> str:
        """The release page: the release's own URL, else GitHub's tag page for it."""
        if self.release.url:
            return self.release.url
        return f"https://github.com/{self.release.project}/releases/tag/{self.release.tag}"


@dataclass(frozen=True)
class ReleaseStream:
    """The releases of one project that belong to one catalogue entry, in version order.

    Attributes:
        project: GitHub ``owner/repo``.
        tag_pattern: the catalogue tag rule that selected the tags.
        releases: distinct versions, lowest first (drafts never get here; tags outside
            the pattern and tags that are not versions are left out).
        skipped: ``(tag, reason)`` for tags inside the pattern that are not releases
            (prometheus ``v2.35.0-retract``).
    """

    project: str
    tag_pattern: str
    releases: tuple[StreamRelease, ...]
    skipped: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Evaluation:
    """The facts about one running component entry, for checks to judge.

    Attributes:
        component: the entry being evaluated.
        current: its parsed running version, or :class:`Unparsed` with the reason.
        project: GitHub ``owner/repo`` compared with, or None (untracked).
        upstream_problem: why there is no upstream data (None when there is).
        latest: the highest release that counts (stable, plus pre-releases of the running
            line when the running version is itself a pre-release); None without data.
        latest_stable: the highest stable release (equals ``latest`` unless a pre-release
            of the running line is newer); None without data.
        latest_patch: the highest counting release in the running ``major.minor`` line;
            None when the running version is unknown, the line has no release, or every
            known release of the line is older than the running version (a stale catalogue:
            a known release is never reported as the latest patch of a newer running one).
        behind: how far ``current`` is behind ``latest``; None when not behind or unknown.
        lines_behind: for ``behind`` major: majors behind; minor: minor lines behind;
            patch: 0; None when not behind.
        releases_behind: counting releases newer than ``current`` (distinct versions).
        days_behind: days from the earliest publication among the releases newer than
            ``current`` to ``today``; None when up to date or no such date is known.
        line_days_behind: the same, counted from the newer releases of the running
            ``major.minor`` line only (how long fixes for the running line have waited);
            None when the running version is the newest of its line.
        today: the evaluation date (UTC).
        oldest_known: the oldest counting release of the stream when the running version is
            older than it (a partial catalogue): ``releases_behind`` and ``days_behind`` are
            then lower bounds. None otherwise.
    """

    component: Component
    current: ParsedVersion | Unparsed
    project: str | None
    upstream_problem: str | None
    latest: StreamRelease | None
    latest_stable: StreamRelease | None
    latest_patch: StreamRelease | None
    behind: Behind | None
    lines_behind: int | None
    releases_behind: int | None
    days_behind: int | None
    line_days_behind: int | None
    today: date
    oldest_known: StreamRelease | None = None

    @property
    def ahead_of_catalogue(self) -> bool:
        """True when the running version is newer than ``latest``, the highest known release
        that counts: nothing newer is known, but the catalogue is probably stale or partial."""
        current = self.current
        return (
            isinstance(current, ParsedVersion)
            and self.latest is not None
            and current.version > self.latest.version.version
        )

    @property
    def label(self) -> str:
        """How messages name the entry: the catalogue id, plus the role unless it is the
        component itself (``addon``, ``control-plane``).

        ``istio``, ``kubernetes``, ``kubernetes kubelet``, ``istio data-plane``.
        """
        role = self.component.role
        if role in (Role.ADDON, Role.CONTROL_PLANE):
            return self.component.component
        return f"{self.component.component} {role.value}"


@runtime_checkable
class Check(Protocol):
    """One rule that turns an :class:`Evaluation` into findings.

    Implementations are pure: same evaluation in, same findings out. A check that does
    not apply returns an empty sequence.
    """

    def check(self, evaluation: Evaluation) -> Sequence[Finding]:
        """Return the findings for ``evaluation`` (possibly none)."""
        ...


@dataclass(frozen=True)
class ClusterEvaluation:
    """Every entry of one cluster, evaluated, for checks that compare entries.

    Attributes:
        cluster: the cluster's name.
        evaluations: one :class:`Evaluation` per component, in input order.
        today: the evaluation date (UTC).
    """

    cluster: str
    evaluations: tuple[Evaluation, ...]
    today: date


@dataclass(frozen=True)
class ClusterFinding:
    """A finding of a :class:`ClusterCheck` and the entry whose row shows it.

    ``component`` is compared by equality with the evaluated entries: the finding goes to
    every row of an equal entry (equal entries are the same thing running).
    """

    component: Component
    finding: Finding


@runtime_checkable
class ClusterCheck(Protocol):
    """One rule over a whole cluster (version skew, compatibility between components).

    Pure, like :class:`Check`: same cluster in, same findings out; no clock, no I/O.
    """

    def check_cluster(self, cluster: ClusterEvaluation) -> Sequence[ClusterFinding]:
        """Return the findings, each attached to the entry it is about (possibly none)."""
        ...
