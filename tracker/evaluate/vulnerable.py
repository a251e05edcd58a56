"""The ``vulnerable`` check: is the version that runs inside a published advisory's ranges?

Per component: the packages its catalogue entry names (``advisory_packages``), the running
version through the one normalizer (:func:`tracker.evaluate.running_version`, so vendor
builds such as ``v1.11.3-eks-a1b2`` match as 1.11.3), matched by an
:class:`~tracker.evaluate.advisories.AdvisoryIndex` built once per report. Several advisories
on one component are ONE finding listing them worst first::

    ingress-nginx 1.11.3 is affected by CVE-2025-1974 (GHSA-mgvx-rpfc-9mpv, GO-2025-3567,
    critical), CVE-2025-1097 (GHSA-823x-fv5p-h7hw, GO-2025-3565, high), ...: upgrade to
    1.11.5 (lowest fixed: 1.11.5)

Records of one vulnerability (OSV aliases: a GHSA and the Go record that names it) are named
once (:func:`~tracker.evaluate.aliases.alias_groups`); a record without a severity has taken
its aliases' in the index. The finding's severity is the worst advisory's
(:func:`advisory_severity`), its ``source`` the worst advisory's URL, and the row's
``advisories`` lists every record (:class:`AdvisoryRef`).

When the component's endoflife.date calendar is stored (:class:`LifecycleContext`) and the
upgrade named is on a line past end of life, the message says so and names the nearest fix on
a supported line (:mod:`tracker.evaluate.fix_support`)::

    kubernetes kubelet 1.27.9 is affected by CVE-2024-5321 (GHSA-82m2-cv7p-4m75, moderate):
    upgrade to 1.27.16 (1.27 is past end of life) or to 1.31.0 on a supported line
    (lowest fixed: 1.27.16)

Without a calendar the message says nothing about support. Withdrawn advisories match
nothing; a range the normalizer cannot read becomes a report warning, never a guess.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any

from tracker.evaluate.advisories import AdvisoryIndex, AdvisoryMatch
from tracker.evaluate.aliases import alias_groups
from tracker.evaluate.fix_support import FixAdvisor, FixSupport
from tracker.evaluate.lifecycle import LineCalendar
from tracker.evaluate.policy import advisory_severity
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

if TYPE_CHECKING:
    from tracker.evaluate.lifecycle_check import LifecycleContext

__all__ = [
    "ADVISORIES_KIND",
    "advisory_url",
    "apply_advisories",
    "index_from_documents",
    "upgrade_target",
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


def _name(group: Sequence[AdvisoryMatch]) -> str:
    """``CVE-2025-1974 (GHSA-mgvx-rpfc-9mpv, GO-2025-3567, critical)``: one vulnerability
    (one or more alias records), CVE first, then GHSA ids, then the records' own ids, then the
    worst severity and where it comes from when not the record's own word."""
    records = [m.advisory for m in group]
    ids = list(
        dict.fromkeys(
            (
                *(i for a in records for i in a.cve_ids),
                *(i for a in records for i in a.ghsa_ids),
                *(a.id for a in records),
            )
        )
    )
    worst = max(records, key=lambda a: severity_rank(advisory_severity(a.severity)))
    word = worst.severity
    if worst.severity_source == "cvss" and worst.cvss_score is not None:
        word += f", CVSS {worst.cvss_score:.1f}"
    elif worst.severity_source == "alias" and worst.severity_alias not in {a.id for a in records}:
        word += f" per {worst.severity_alias}"
    head, rest = ids[0], ids[1:]
    return f"{head} ({', '.join([*rest, word])})"


def vulnerable_finding(
    label: str,
    version: str,
    matches: Sequence[AdvisoryMatch],
    support: FixSupport | None = None,
) -> Finding:
    """One ``vulnerable`` finding for ``matches`` (worst first, as the index orders them).

    The message names up to five vulnerabilities (alias records of one vulnerability count
    once: CVE, then GHSA ids, the records' ids and severity), the nearest fixed version on the
    running line (the highest ``nearest_fix`` among the advisories, so one upgrade fixes them
    all) and the lowest fixed version overall. When ``support`` says the upgrade's line is
    past end of life, the message says so and names ``support.supported_fix`` (or that no
    fix on a supported line is known).
    """
    groups = alias_groups([(m.advisory.id, *m.advisory.aliases) for m in matches])
    names = [_name([matches[i] for i in group]) for group in groups[:_MAX_LISTED]]
    more = len(groups) - len(names)
    listed = ", ".join(names) + (f" and {more} more" if more else "")
    target = upgrade_target(matches)
    lowest = [m.lowest_fix for m in matches if m.lowest_fix is not None]
    note = _support_note(support)
    if target is not None and all(m.nearest_fix is not None for m in matches):
        fix = f": upgrade to {target}{note} (lowest fixed: {min(lowest, key=_sort_key)})"
    elif target is not None:
        fix = f": upgrade to {target}{note} (some advisories name no fix)"
    else:
        fix = ": no fixed version is published"
    worst = max(matches, key=lambda m: severity_rank(advisory_severity(m.advisory.severity)))
    return Finding(
        kind=Flag.VULNERABLE,
        severity=advisory_severity(worst.advisory.severity),
        message=f"{label} {version} is affected by {listed}{fix}",
        source=advisory_url(matches[0].advisory),
    )


def upgrade_target(matches: Sequence[AdvisoryMatch]) -> str | None:
    """The upgrade a finding names: the highest ``nearest_fix`` of ``matches``, or None."""
    nearest = [m.nearest_fix for m in matches if m.nearest_fix is not None]
    return max(nearest, key=_sort_key) if nearest else None


def _support_note(support: FixSupport | None) -> str:
    """`` (1.27 is past end of life) or to 1.31.0 on a supported line``, or ``""`` when the
    upgrade's line is supported or nothing is known about it."""
    if support is None or not support.target_ended:
        return ""
    ended = f"{support.target_line} is past end of life"
    if not support.any_supported:
        return f" ({ended}; the stored support data lists no supported line)"
    if support.supported_fix is None:
        return f" ({ended}; no fix on a supported line is known)"
    return f" ({ended}) or to {support.supported_fix} on a supported line"


@functools.lru_cache(maxsize=65536)
def _sort_key(version: str) -> Any:
    from tracker.versions import parse_version

    parsed = parse_version(version)
    return parsed.version if isinstance(parsed, ParsedVersion) else version


def _ref(match: AdvisoryMatch, support: FixSupport | None) -> AdvisoryRef:
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
        severity_source=a.severity_source if a.severity != "unknown" else "unknown",
        severity_alias=a.severity_alias,
        nearest_fix_eol=support.target_ended if support is not None else None,
        supported_fix=support.supported_fix if support is not None else None,
    )


def apply_advisories(
    rows: Iterable[ComponentReport],
    entries: Mapping[str, CatalogueEntry],
    index: AdvisoryIndex,
    *,
    lifecycle: LifecycleContext | None = None,
    today: date | None = None,
    advisors: dict[str, FixAdvisor] | None = None,
) -> tuple[list[ComponentReport], list[str]]:
    """Add the ``vulnerable`` finding and ``advisories`` to each affected row.

    Args:
        rows: evaluated report rows (any clusters).
        entries: the catalogue (id -> entry); rows whose entry names no
            ``advisory_packages``, or whose running version is not a version, are unchanged.
        index: the advisories (build it once per report).
        lifecycle: the stored support calendars, for the cluster of ``rows`` (its
            distribution picks the control plane's calendar); with ``today``, the advice
            says when the fix's line is past end of life and names a supported fix.
            None: nothing is said about support.
        today: the day support is judged for (required with ``lifecycle``).
        advisors: product -> :class:`FixAdvisor`, filled as needed; pass the same dict
            for every scan of one report (same index, same day) to share what they learn.

    Returns:
        (rows in input order, warnings): one warning per advisory range that could not be
        read, naming the advisory and package.
    """
    from tracker.evaluate import running_version

    order = list(Flag)
    out: list[ComponentReport] = []
    unreadable: dict[tuple[str, str], str] = {}
    advice: dict[tuple[Any, ...], tuple[FixSupport | None, tuple[FixSupport | None, ...]]] = {}
    advisors = {} if advisors is None else advisors
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
        advisor = None
        product = lifecycle.product_for(row.component.component) if lifecycle else None
        if product is not None and today is not None:
            advisor = advisors.get(product.name)
            if advisor is None:
                advisor = FixAdvisor(index, LineCalendar.of(product, today))
                advisors[product.name] = advisor
        named = product.name if product is not None and advisor is not None else ""
        key = (tuple(entry.advisory_packages), current.version, named)
        if key not in advice:
            advice[key] = _advice(advisor, entry.advisory_packages, current, result.matches)
        overall, each = advice[key]
        label = _label(row)
        finding = vulnerable_finding(label, current.normalized, result.matches, overall)
        findings = sorted((*row.findings, finding), key=lambda f: order.index(f.kind))
        out.append(
            replace(
                row,
                findings=tuple(findings),
                flags=tuple(dict.fromkeys(f.kind for f in findings)),
                advisories=tuple(_ref(m, s) for m, s in zip(result.matches, each, strict=True)),
            )
        )
    warnings = [
        f"advisory {advisory} ({package}): {reason}; its range is not used, check it by hand"
        for (advisory, package), reason in sorted(unreadable.items())
    ]
    return out, warnings


def _advice(
    advisor: FixAdvisor | None,
    packages: Sequence[str],
    current: ParsedVersion,
    matches: Sequence[AdvisoryMatch],
) -> tuple[FixSupport | None, tuple[FixSupport | None, ...]]:
    """(the finding's support advice, each match's), or Nones without a calendar."""
    if advisor is None:
        return None, tuple(None for _ in matches)
    return advisor.advise(packages, current, matches, upgrade_target(matches))


def _label(row: ComponentReport) -> str:
    from tracker.models import Role

    c = row.component
    if c.role in (Role.ADDON, Role.CONTROL_PLANE):
        return c.component
    return f"{c.component} {c.role.value}"
