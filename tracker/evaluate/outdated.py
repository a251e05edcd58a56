"""The outdated check: is the running version behind upstream, and can we tell at all?

Findings (kinds ``outdated``, ``unknown-version``, ``no-upstream-data``,
``ahead-of-catalogue``). The severities are decided by :mod:`tracker.evaluate.policy`
(``outdated_severity``; ``STALE_AFTER_DAYS`` and the other names are re-exported here);
in words:

``outdated`` (the running version is lower than the latest release that counts):

=====================================  ==========  =========================================
distance to latest                     severity    why
=====================================  ==========  =========================================
one or more majors behind              critical    a major upgrade is a project of its own
three or more minor lines behind       critical    Kubernetes maintains only the three newest
                                                   minor lines (kubernetes.io/releases/
                                                   version-skew-policy); Istio supports fewer
two minor lines behind                 warning     the oldest line still maintained
one minor line behind                  info        still maintained
patch behind (or a newer pre-release)  info        bug and security fixes waiting
=====================================  ==========  =========================================

An ``info`` outdated finding is raised to ``warning`` when a newer patch of the *running*
``major.minor`` line was published more than :data:`STALE_AFTER_DAYS` (90) days ago: fixes
for the line in use have been waiting for a quarter. (Newer minor lines alone do not raise
it: minor releases come every few months, so a cluster one line behind would almost always
be "stale", and that line is still maintained.)

``unknown-version`` (the running version cannot be parsed): ``warning`` for floating tags
(``latest``, ``main``, ``stable-alpine``): what runs can change under the same tag and
can never be compared; ``info`` for pinned but unversioned references (digest-only images,
commit SHAs, date-stamped builds).

``no-upstream-data`` (no release of the project is known, or none matches the catalogue
entry's tag pattern): ``info``; run ``tracker sync`` or fix the catalogue entry.

``partial-catalogue`` (``info``): the running version is *older* than every known release
of its stream (a first sync pages back only so far, an imported list may be short): the
``outdated`` finding says "at least", and formatters show the counts as ``≥N``.

``ahead-of-catalogue`` (``info``): the running version is *newer* than every known release
that counts (k3s ``v1.29.6+k3s1`` against a catalogue whose highest is 1.29.3). The row
stays ``up-to-date`` (nothing newer is known), but the catalogue lacks data for what runs,
so it is probably stale or partial: run ``tracker sync``.

Partial catalogues: when the running version is older than every known release (a first
sync pages back only so far), ``releases_behind`` and ``days_behind`` are lower bounds and
the ``outdated`` message says "at least" and names the catalogue's oldest release.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.evaluate.base import Evaluation
from tracker.evaluate.policy import (
    CRITICAL_MINOR_LINES,
    STALE_AFTER_DAYS,
    outdated_severity,
    severity_of,
    unknown_version_severity,
)
from tracker.models import Behind, Finding, Flag
from tracker.versions import ParsedVersion

__all__ = ["CRITICAL_MINOR_LINES", "STALE_AFTER_DAYS", "OutdatedCheck", "outdated_severity"]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


class OutdatedCheck:
    """Findings ``outdated``, ``unknown-version``, ``no-upstream-data`` and
    ``ahead-of-catalogue`` (see module doc)."""

    def check(self, evaluation: Evaluation) -> Sequence[Finding]:
        """Return at most one finding of each kind this check owns, for ``evaluation``."""
        findings: list[Finding] = []
        current = evaluation.current
        if not isinstance(current, ParsedVersion):
            findings.append(self._unknown_version(evaluation))
        if evaluation.latest is None:
            problem = evaluation.upstream_problem or "no upstream release data"
            shown = current.normalized if isinstance(current, ParsedVersion) else current.raw
            findings.append(
                Finding(
                    Flag.NO_UPSTREAM_DATA,
                    severity_of("no-upstream-data"),
                    f"{evaluation.label} {shown or '(no version)'}: {problem}",
                )
            )
        if isinstance(current, ParsedVersion) and evaluation.behind is not None:
            findings.append(self._outdated(evaluation, current))
        if isinstance(current, ParsedVersion) and evaluation.ahead_of_catalogue:
            findings.append(self._ahead(evaluation, current))
        if isinstance(current, ParsedVersion) and evaluation.oldest_known is not None:
            oldest = evaluation.oldest_known.version.normalized
            source = f" of {evaluation.project}" if evaluation.project else ""
            findings.append(
                Finding(
                    Flag.PARTIAL_CATALOGUE,
                    severity_of("partial-catalogue"),
                    f"{evaluation.label} {current.normalized} is older than every known release"
                    f"{source} (oldest {oldest}): releases and days behind are lower bounds; "
                    "run `tracker sync` to fetch the older releases",
                )
            )
        return findings

    @staticmethod
    def _ahead(evaluation: Evaluation, current: ParsedVersion) -> Finding:
        latest = evaluation.latest
        assert latest is not None
        known = "release" if current.is_prerelease else "stable release"
        source = f" of {evaluation.project}" if evaluation.project else ""
        return Finding(
            Flag.AHEAD_OF_CATALOGUE,
            severity_of("ahead-of-catalogue"),
            f"{evaluation.label} {current.normalized} is newer than every known {known}{source} "
            f"(highest {latest.version.normalized}): the release catalogue may be stale; "
            "run `tracker sync`",
        )

    @staticmethod
    def _unknown_version(evaluation: Evaluation) -> Finding:
        current = evaluation.current
        assert not isinstance(current, ParsedVersion)
        latest = (
            f"; the latest release is {evaluation.latest.version.normalized}"
            if (evaluation.latest)
            else ""
        )
        if current.floating:
            return Finding(
                Flag.UNKNOWN_VERSION,
                unknown_version_severity(floating=True),
                f"{evaluation.label} runs {current.reason}: what runs can change without notice "
                f"and cannot be compared with upstream; pin a version tag{latest}",
            )
        shown = f"{current.raw!r} is " if current.raw else ""
        return Finding(
            Flag.UNKNOWN_VERSION,
            unknown_version_severity(floating=False),
            f"{evaluation.label} version unknown: {shown}{current.reason}{latest}",
        )

    @staticmethod
    def _outdated(evaluation: Evaluation, current: ParsedVersion) -> Finding:
        latest = evaluation.latest
        behind = evaluation.behind
        assert latest is not None and behind is not None
        lines = evaluation.lines_behind or 0
        newer = evaluation.releases_behind or 0
        oldest = evaluation.oldest_known  # set: the counts below are lower bounds
        at_least = "at least " if oldest is not None else ""
        build = behind is Behind.BUILD  # same version, newer build: name the builds
        shown = current.with_build if build else current.normalized
        head = f"{evaluation.label} {shown} is"
        counted = False
        if behind is Behind.MAJOR:
            distance = _plural(lines, "major release")
        elif behind is Behind.MINOR:
            distance = _plural(lines, "minor release")
        elif latest.version.version.release == current.version.release:
            distance = at_least + _plural(newer, "release")  # a pre-release behind a newer one
            counted = True
        else:
            distance = at_least + _plural(newer, "patch release")
            counted = True
        target = latest.version.with_build if build else latest.version.normalized
        message = f"{head} {distance} behind {target}"
        patch = evaluation.latest_patch
        if patch is not None and patch is not latest and patch.version.version > current.version:
            major, minor = current.line
            message += f" (latest patch of {major}.{minor} is {patch.version.normalized})"
        if evaluation.days_behind is not None:
            message += f"; outdated for {at_least}{_plural(evaluation.days_behind, 'day')}"
        if oldest is not None:
            if not counted:
                message += f"; {at_least}{_plural(newer, 'release')} behind"
            message += f" (the catalogue's oldest release is {oldest.version.normalized})"
        severity = outdated_severity(behind, lines, evaluation.line_days_behind)
        return Finding(Flag.OUTDATED, severity, message)
