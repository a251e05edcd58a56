"""The ``vulnerable`` check: is the version that runs inside a published advisory's ranges?

Per component: the packages its catalogue entry names (``advisory_packages``), the running
version through the one normalizer (:func:`tracker.evaluate.running_version`, so vendor
builds such as ``v1.11.3-eks-a1b2`` match as 1.11.3), matched by an
:class:`~tracker.evaluate.advisories.AdvisoryIndex` built once per report. Several advisories
on one component are ONE finding listing them worst first::

    ingress-nginx 1.11.3 is affected by CVE-2025-1974 (GHSA-mgvx-rpfc-9mpv, critical),
    CVE-2025-1097 (GHSA-823x-fv5p-h7hw, high), ...: upgrade to 1.11.5 (lowest fixed: 1.11.5)

The finding's severity is the worst advisory's (:func:`advisory_severity`), its ``source`` the
worst advisory's URL, and the row's ``advisories`` lists every one (:class:`AdvisoryRef`).
Withdrawn advisories match nothing; a range the normalizer cannot read becomes a report
warning, never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from tracker.evaluate.advisories import AdvisoryIndex, AdvisoryMatch, advisory_severity
from tracker.models import (
    AdvisoryRef,
    CatalogueEntry,
    ComponentReport,
    Finding,
    Flag,
    severity_rank,
)
from tracker.upstream.osv import Advisory, AdvisoryFormatError, parse_osv
from tracker.versions import ParsedVersion

__all__ = [
    "ADVISORIES_KIND",
    "advisory_url",
    "apply_advisories",
    "index_from_documents",
    "vulnerable_finding",
]

ADVISORIES_KIND = "advisories"
"""The store document kind of advisories (subject = package key, key = advisory id)."""

_MAX_LISTED = 5  # advisories named in the message; the JSON advisories[] has them all


def index_from_documents(documents: Mapping[tuple[str, str], Any]) -> tuple[AdvisoryIndex, int]:
    """An :class:`AdvisoryIndex` over stored advisory documents (``Store.documents``).

    One record stored under several packages is parsed once (by id; the newest
    ``modified`` wins). Returns (index, records that failed to parse: skipped, never fatal,
    since the import validated them).
    """
    by_id: dict[str, Advisory] = {}
    bad = 0
    seen: dict[str, object] = {}
    for (_, key), payload in documents.items():
        if seen.get(key) == payload:  # the same record under another package
            continue
        seen[key] = payload
        try:
            advisory = parse_osv(payload, source=f"stored advisory {key}")
        except AdvisoryFormatError:
            bad += 1
            continue
        known = by_id.get(advisory.id)
        if known is None or _newer(advisory, known):
            by_id[advisory.id] = advisory
    return AdvisoryIndex(by_id.values()), bad


def advisory_url(advisory: Advisory) -> str | None:
    """The advisory's page: GitHub's for a GHSA id (``https://github.com/advisories/GHSA-…``),
    the Go vulnerability database's for a ``GO-`` id, else the record's own reference."""
    if advisory.id.startswith("GHSA-"):
        return f"https://github.com/advisories/{advisory.id}"
    if advisory.id.startswith("GO-"):
        return f"https://pkg.go.dev/vuln/{advisory.id}"
    ghsa = advisory.ghsa_ids
    return f"https://github.com/advisories/{ghsa[0]}" if ghsa else advisory.url


def _newer(a: Advisory, b: Advisory) -> bool:
    """True when ``a`` was modified after ``b`` (a record without a date is the oldest)."""
    return a.modified is not None and (b.modified is None or a.modified > b.modified)


def _name(match: AdvisoryMatch) -> str:
    """``CVE-2025-1974 (GHSA-mgvx-rpfc-9mpv, critical)``: the CVE first, other ids after."""
    advisory = match.advisory
    ids = list(dict.fromkeys((*advisory.cve_ids, *advisory.ghsa_ids, advisory.id)))
    head, rest = ids[0], ids[1:]
    return f"{head} ({', '.join([*rest, advisory.severity])})"


def vulnerable_finding(label: str, version: str, matches: Sequence[AdvisoryMatch]) -> Finding:
    """One ``vulnerable`` finding for ``matches`` (worst first, as the index orders them).

    The message names up to five advisories (CVE, then GHSA ids and severity), the nearest
    fixed version on the running line (the highest ``nearest_fix`` among the advisories, so
    one upgrade fixes them all) and the lowest fixed version overall.
    """
    names = [_name(m) for m in matches[:_MAX_LISTED]]
    more = len(matches) - len(names)
    listed = ", ".join(names) + (f" and {more} more" if more else "")
    nearest = [m.nearest_fix for m in matches if m.nearest_fix is not None]
    lowest = [m.lowest_fix for m in matches if m.lowest_fix is not None]
    if nearest and len(nearest) == len(matches):
        target = max(nearest, key=_sort_key)
        fix = f": upgrade to {target} (lowest fixed: {min(lowest, key=_sort_key)})"
    elif nearest:
        target = max(nearest, key=_sort_key)
        fix = f": upgrade to {target} (some advisories name no fix)"
    else:
        fix = ": no fixed version is published"
    worst = max(matches, key=lambda m: severity_rank(advisory_severity(m.advisory.severity)))
    return Finding(
        kind=Flag.VULNERABLE,
        severity=advisory_severity(worst.advisory.severity),
        message=f"{label} {version} is affected by {listed}{fix}",
        source=advisory_url(matches[0].advisory),
    )


def _sort_key(version: str) -> Any:
    from tracker.versions import parse_version

    parsed = parse_version(version)
    return parsed.version if isinstance(parsed, ParsedVersion) else version


def _ref(match: AdvisoryMatch) -> AdvisoryRef:
    a = match.advisory
    return AdvisoryRef(
        id=a.id,
        aliases=a.aliases,
        severity=a.severity,
        fixed_in=match.fixed_in,
        nearest_fix=match.nearest_fix,
        url=advisory_url(a),
        cvss=a.cvss_vector,
        summary=a.summary,
    )


def apply_advisories(
    rows: Iterable[ComponentReport],
    entries: Mapping[str, CatalogueEntry],
    index: AdvisoryIndex,
) -> tuple[list[ComponentReport], list[str]]:
    """Add the ``vulnerable`` finding and ``advisories`` to each affected row.

    Args:
        rows: evaluated report rows (any clusters).
        entries: the catalogue (id -> entry); rows whose entry names no
            ``advisory_packages``, or whose running version is not a version, are unchanged.
        index: the advisories (build it once per report).

    Returns:
        (rows in input order, warnings): one warning per advisory range that could not be
        read, naming the advisory and package.
    """
    from tracker.evaluate import running_version

    order = list(Flag)
    out: list[ComponentReport] = []
    unreadable: dict[tuple[str, str], str] = {}
    for row in rows:
        entry = entries.get(row.component.component)
        if entry is None or not entry.advisory_packages or len(index) == 0:
            out.append(row)
            continue
        current = running_version(row.component, entry)
        if not isinstance(current, ParsedVersion):
            out.append(row)
            continue
        result = index.match(entry.advisory_packages, current)
        for problem in result.unreadable:
            unreadable[(problem.advisory_id, problem.package)] = problem.reason
        if not result.matches:
            out.append(row)
            continue
        label = _label(row)
        finding = vulnerable_finding(label, current.normalized, result.matches)
        findings = sorted((*row.findings, finding), key=lambda f: order.index(f.kind))
        out.append(
            replace(
                row,
                findings=tuple(findings),
                flags=tuple(dict.fromkeys(f.kind for f in findings)),
                advisories=tuple(_ref(m) for m in result.matches),
            )
        )
    warnings = [
        f"advisory {advisory} ({package}): {reason}; its range is not used, check it by hand"
        for (advisory, package), reason in sorted(unreadable.items())
    ]
    return out, warnings


def _label(row: ComponentReport) -> str:
    from tracker.models import Role

    c = row.component
    if c.role in (Role.ADDON, Role.CONTROL_PLANE):
        return c.component
    return f"{c.component} {c.role.value}"
