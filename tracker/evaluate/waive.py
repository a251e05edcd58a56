"""Apply waivers to evaluated rows: the last step of evaluation, after every finding exists.

Rules (design.md §4; matching in :func:`tracker.evaluate.waivers.find_waiver`):

- a finding matched by a live waiver stays in the row with ``waived=True``; the row's
  ``waiver`` is that waiver (:class:`~tracker.models.WaiverRef`), and the row gets the flag
  ``waived`` when every finding of it is waived;
- a finding matched only by an expired waiver still counts, and its message ends with
  ``waiver by <owner> expired on <date>``; the row's ``waiver`` is then the expired one
  (``expired: true``) unless a live one applies to another of its findings;
- a ``vulnerable`` finding is judged advisory by advisory (all of the row's ``advisories``):
  a waiver whose ``kind`` names an advisory id (GHSA, CVE or GO id; matched against each
  advisory's id and aliases, and those of the row's records that alias it) accepts that
  advisory, one whose ``kind`` is ``vulnerable`` (or unset) accepts them all. The finding is
  waived when a live waiver accepts each advisory it carries. When only some are accepted
  the finding still counts: its message ends with ``CVE-2025-1974 waived by <owner> until
  <date>``, its severity is that of the worst advisory NOT accepted, and the accepted
  advisories are marked ``waived`` (:class:`~tracker.models.AdvisoryRef`);
- a waiver that matches no finding of the report (for a ``vulnerable`` finding: accepts none
  of its advisories) is stale policy: :func:`stale_warnings`.

Pure: rows and ``today`` in, rows out; never reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from tracker.evaluate.aliases import alias_groups
from tracker.evaluate.policy import advisory_severity
from tracker.evaluate.waivers import Waiver, WaiverMatch, find_waiver
from tracker.models import AdvisoryRef, ComponentReport, Finding, Flag, WaiverRef, severity_rank

__all__ = ["apply_waivers", "matched_waivers", "stale_warnings"]


def _advisories(row: ComponentReport, finding: Finding) -> list[AdvisoryRef]:
    """The advisories a ``vulnerable`` finding carries: every advisory of the row (one
    finding names them all, the message only the first five). Rows with one ``vulnerable``
    finding per advisory (older stored rows) give each finding those its message names."""
    if finding.kind is not Flag.VULNERABLE:
        return []
    if sum(f.kind is Flag.VULNERABLE for f in row.findings) > 1:
        named = [
            a for a in row.advisories if any(i in finding.message for i in (a.id, *a.aliases) if i)
        ]
        if named:
            return named
    return list(row.advisories)


_Judged = list[tuple[AdvisoryRef | None, WaiverMatch | None]]


def _judge(
    waivers: Sequence[Waiver], row: ComponentReport, finding: Finding, today: date
) -> _Judged:
    """One (advisory, its waiver match or None) per advisory the finding carries; a single
    (None, match) for a finding without advisories."""
    c = row.component

    def find(ids: Sequence[str] = ()) -> WaiverMatch | None:
        return find_waiver(
            waivers,
            component=c.component,
            kind=finding.kind.value,
            today=today,
            cluster=row.cluster,
            namespace=c.namespace,
            version=c.raw_version or row.current,
            advisory_ids=ids,
        )

    advisories = _advisories(row, finding)
    if not advisories:
        return [(None, find())]
    return [(a, find(_vulnerability_ids(row, a))) for a in advisories]


def _vulnerability_ids(row: ComponentReport, advisory: AdvisoryRef) -> tuple[str, ...]:
    """Every id of the vulnerability ``advisory`` is about: its id and aliases, and those of
    the row's records that alias it (a GHSA record names its CVE, the Go record names both;
    a waiver naming any of them accepts each record)."""
    ids = [(a.id, *a.aliases) for a in row.advisories]
    for group in alias_groups(ids):
        names = {i for n in group for i in ids[n]}
        if advisory.id in names:
            return tuple(sorted(names))
    return (advisory.id, *advisory.aliases)


def _ref(match: WaiverMatch) -> WaiverRef:
    w = match.waiver
    return WaiverRef(reason=w.reason, owner=w.owner, expires=w.expires, expired=match.expired)


def _name(advisory: AdvisoryRef) -> str:
    """How a note names an advisory: its CVE id, else its GHSA id, else its own id."""
    ids = (advisory.id, *advisory.aliases)
    for prefix in ("CVE-", "GHSA-"):
        found = next((i for i in ids if i.startswith(prefix)), None)
        if found is not None:
            return found
    return advisory.id


def _partly_waived(finding: Finding, judged: _Judged) -> tuple[Finding, set[str]]:
    """``finding`` with the advisories live waivers accept named in its message and its
    severity from the worst advisory left; and the ids of the accepted advisories."""
    accepted: dict[int, list[AdvisoryRef]] = {}
    waivers: dict[int, Waiver] = {}
    left: list[AdvisoryRef] = []
    for advisory, match in judged:
        if advisory is None:
            continue
        if match is None or match.expired:
            left.append(advisory)
            continue
        accepted.setdefault(match.waiver.index, []).append(advisory)
        waivers[match.waiver.index] = match.waiver
    if not accepted or not left:
        return finding, set()
    notes = []
    for index, refs in accepted.items():
        w = waivers[index]
        names = ", ".join(dict.fromkeys(_name(a) for a in refs))
        notes.append(f"{names} waived by {w.owner} until {w.expires.isoformat()}")
    worst = max((advisory_severity(a.severity) for a in left), key=severity_rank)
    done = replace(finding, message=f"{finding.message}; {'; '.join(notes)}", severity=worst)
    return done, {a.id for refs in accepted.values() for a in refs}


def apply_waivers(
    rows: Iterable[ComponentReport],
    waivers: Sequence[Waiver],
    today: date,
    *,
    only: Flag | None = None,
) -> list[ComponentReport]:
    """Mark the findings ``waivers`` accept (rules in the module docstring).

    Args:
        rows: evaluated report rows with all their findings.
        waivers: the config's ``[[waivers]]`` (:func:`~tracker.evaluate.waivers.parse_waivers`).
        today: the evaluation date; a waiver is live through its ``expires`` day.
        only: judge only findings of this kind (a later pass over findings added after the
            first, e.g. ``vulnerable``); the others are kept as they are.

    Returns:
        The rows in input order; rows no waiver touches are returned unchanged.
    """
    out: list[ComponentReport] = []
    for row in rows:
        if not waivers or not row.findings:
            out.append(row)
            continue
        findings: list[Finding] = []
        live: WaiverRef | None = None
        expired: WaiverRef | None = None
        accepted: set[str] = set()
        for finding in row.findings:
            if only is not None and finding.kind is not only:
                findings.append(finding)
                continue
            judged = _judge(waivers, row, finding, today)
            matches = [m for _, m in judged if m is not None]
            if len(matches) == len(judged) and all(not m.expired for m in matches):
                findings.append(replace(finding, waived=True))
                live = live or _ref(matches[0])
                accepted |= {a.id for a, _ in judged if a is not None}
                continue
            finding, some = _partly_waived(finding, judged)
            if some:
                accepted |= some
                live = live or _ref(next(m for a, m in judged if m and a and a.id in some))
            gone = list({m.waiver.index: m for m in matches if m.expired}.values())
            if gone:
                expired = expired or _ref(gone[0])
                notes = "; ".join(
                    f"waiver by {m.waiver.owner} expired on {m.waiver.expires.isoformat()}"
                    for m in gone
                )
                finding = replace(finding, message=f"{finding.message}; {notes}")
            findings.append(finding)
        waiver = live or expired or row.waiver
        if waiver is None:
            out.append(row)
            continue
        flags = row.flags
        if all(f.waived for f in findings) and Flag.WAIVED not in flags:
            flags = (*flags, Flag.WAIVED)
        advisories = tuple(
            replace(a, waived=True) if a.id in accepted else a for a in row.advisories
        )
        out.append(
            replace(
                row, findings=tuple(findings), flags=flags, waiver=waiver, advisories=advisories
            )
        )
    return out


def matched_waivers(
    rows: Iterable[ComponentReport], waivers: Sequence[Waiver], today: date
) -> set[int]:
    """The indices of the waivers that match at least one finding of ``rows`` (live or
    expired: an expired waiver that matches is reported on its finding, not as stale); for
    a ``vulnerable`` finding, matching one of its advisories is enough."""
    used: set[int] = set()
    rows = list(rows)
    for waiver in waivers:
        if any(
            m is not None
            for row in rows
            for f in row.findings
            for _, m in _judge((waiver,), row, f, today)
        ):
            used.add(waiver.index)
    return used


def stale_warnings(
    rows: Iterable[ComponentReport],
    waivers: Sequence[Waiver],
    today: date,
    clusters: Iterable[str],
) -> list[str]:
    """One report warning per waiver that matches no finding of ``rows`` (stale policy).

    A waiver bound to a cluster not among ``clusters`` (the clusters the report covers) is
    not judged: the report cannot tell whether it still applies there.
    """
    from tracker.evaluate.waivers import stale_waivers

    covered = set(clusters)
    judged = [w for w in waivers if w.cluster is None or w.cluster in covered]
    used = matched_waivers(rows, judged, today)
    return stale_waivers(judged, used)
