"""Apply waivers to evaluated rows: the last step of evaluation, after every finding exists.

Rules (design.md §4; matching in :func:`tracker.evaluate.waivers.find_waiver`):

- a finding matched by a live waiver stays in the row with ``waived=True``; the row's
  ``waiver`` is that waiver (:class:`~tracker.models.WaiverRef`), and the row gets the flag
  ``waived`` when every finding of it is waived;
- a finding matched only by an expired waiver still counts, and its message ends with
  ``waiver by <owner> expired on <date>``; the row's ``waiver`` is then the expired one
  (``expired: true``) unless a live one applies to another of its findings;
- a ``vulnerable`` finding can be waived by advisory id (or alias): the waiver's ``kind``
  names the id. A finding naming several advisories is waived only when each of them is;
- a waiver that matches no finding of the report is stale policy: :func:`stale_warnings`.

Pure: rows and ``today`` in, rows out; never reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from tracker.evaluate.waivers import Waiver, WaiverMatch, find_waiver
from tracker.models import AdvisoryRef, ComponentReport, Finding, Flag, WaiverRef

__all__ = ["apply_waivers", "matched_waivers", "stale_warnings"]


def _advisories(row: ComponentReport, finding: Finding) -> list[AdvisoryRef]:
    """The advisories a ``vulnerable`` finding is about: those it names (id or alias), else
    every advisory of the row."""
    if finding.kind is not Flag.VULNERABLE:
        return []
    named = [
        a for a in row.advisories if any(i in finding.message for i in (a.id, *a.aliases) if i)
    ]
    return named or list(row.advisories)


def _matches(
    waivers: Sequence[Waiver], row: ComponentReport, finding: Finding, today: date
) -> list[WaiverMatch]:
    """One match per advisory the finding is about (one for other findings); empty when any
    of them has no waiver."""
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
        match = find()
        return [match] if match is not None else []
    out: list[WaiverMatch] = []
    for advisory in advisories:
        match = find((advisory.id, *advisory.aliases))
        if match is None:
            return []
        out.append(match)
    return out


def _ref(match: WaiverMatch) -> WaiverRef:
    w = match.waiver
    return WaiverRef(reason=w.reason, owner=w.owner, expires=w.expires, expired=match.expired)


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
        for finding in row.findings:
            if only is not None and finding.kind is not only:
                findings.append(finding)
                continue
            matches = _matches(waivers, row, finding, today)
            if matches and all(not m.expired for m in matches):
                findings.append(replace(finding, waived=True))
                live = live or _ref(matches[0])
            elif matches:
                gone = next(m for m in matches if m.expired)
                expired = expired or _ref(gone)
                note = f"waiver by {gone.waiver.owner} expired on {gone.waiver.expires.isoformat()}"
                findings.append(replace(finding, message=f"{finding.message}; {note}"))
            else:
                findings.append(finding)
        waiver = live or expired or row.waiver
        if waiver is None:
            out.append(row)
            continue
        flags = row.flags
        if all(f.waived for f in findings) and Flag.WAIVED not in flags:
            flags = (*flags, Flag.WAIVED)
        out.append(replace(row, findings=tuple(findings), flags=flags, waiver=waiver))
    return out


def matched_waivers(
    rows: Iterable[ComponentReport], waivers: Sequence[Waiver], today: date
) -> set[int]:
    """The indices of the waivers that match at least one finding of ``rows`` (live or
    expired: an expired waiver that matches is reported on its finding, not as stale)."""
    used: set[int] = set()
    rows = list(rows)
    for waiver in waivers:
        if any(_matches((waiver,), row, f, today) for row in rows for f in row.findings):
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
