"""The one severity policy: what makes a finding critical, warning or info, and which
findings ``--fail-on`` turns into exit code 3 (design.md §3).

Every check asks this module for the severity of what it found; no other module decides a
severity. :data:`RULES` is the policy as data, one :class:`Rule` per (finding kind,
condition); the README's table "What makes a finding critical, warning or info" is
:func:`severity_table` (tests/test_docs.py keeps them equal).

:data:`FAIL_ON` is the registry of fail-on kinds: kind -> the predicate over one report
row. It is generated from :class:`~tracker.models.Flag` (every finding kind but
``waived``), plus ``major`` (a major upgrade is due), ``unknown`` (unknown version or no
upstream data) and the severities ``critical`` and ``warning``. The CLI generates its
``--fail-on`` choices from it; nothing else keeps a list. Waived findings never count
(:attr:`~tracker.models.ComponentReport.counted_findings`); unidentified images never
trigger a kind: they are not tracked components.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING

from tracker.enums import Behind, Flag, Severity, severity_rank
from tracker.errors import ReportError

if TYPE_CHECKING:
    from tracker.models import ComponentReport, Report

__all__ = [
    "CRITICAL_MINOR_LINES",
    "FAIL_ON",
    "FAIL_ON_KINDS",
    "RULES",
    "STALE_AFTER_DAYS",
    "Rule",
    "advisory_severity",
    "control_plane_skew_severity",
    "fail_on_counts",
    "fail_on_hit",
    "istio_kubernetes_severity",
    "istio_skew_severity",
    "lifecycle_severity",
    "node_skew_severity",
    "outdated_severity",
    "severity_of",
    "severity_table",
    "unknown_version_severity",
]

KUBERNETES_SKEW = "https://kubernetes.io/releases/version-skew-policy/"
ISTIO_RELEASES = "https://istio.io/latest/docs/releases/supported-releases/"
SEMVER = "https://semver.org/#spec-item-4"
ENDOFLIFE = "https://endoflife.date/"

STALE_AFTER_DAYS = 90
"""An ``info`` outdated finding becomes ``warning`` when a newer patch of the running line
is older than this many days (fixes for the line in use have waited a quarter)."""

CRITICAL_MINOR_LINES = 3
"""Minor lines behind from which an outdated finding is ``critical`` (Kubernetes maintains
only the three newest minor lines; Istio fewer)."""


@dataclass(frozen=True)
class Rule:
    """One line of the policy: findings of ``kind`` under ``when`` get ``severity``.

    ``key`` names the rule for :func:`severity_of` (unique); ``source`` is where the rule
    comes from (a URL), or "" for tracker's own judgment.
    """

    key: str
    kind: Flag
    when: str
    severity: Severity
    source: str = ""


_C, _W, _I = Severity.CRITICAL, Severity.WARNING, Severity.INFO

RULES: tuple[Rule, ...] = (
    Rule("outdated.major", Flag.OUTDATED, "one or more major releases behind", _C),
    Rule(
        "outdated.minor3",
        Flag.OUTDATED,
        f"{CRITICAL_MINOR_LINES} or more minor lines behind",
        _C,
        KUBERNETES_SKEW,
    ),
    Rule("outdated.minor2", Flag.OUTDATED, "two minor lines behind", _W),
    Rule(
        "outdated.stale-patch",
        Flag.OUTDATED,
        f"a newer patch of the running line waits for more than {STALE_AFTER_DAYS} days",
        _W,
    ),
    Rule("outdated.minor1", Flag.OUTDATED, "one minor line behind", _I),
    Rule("outdated.patch", Flag.OUTDATED, "patch (or build) behind", _I),
    Rule("pre-release", Flag.PRE_RELEASE, "alpha, beta, rc, snapshot or dev version", _W),
    Rule("pre-1.0", Flag.PRE_1_0, "major version 0 (any minor upgrade may break)", _I, SEMVER),
    Rule("unknown.floating", Flag.UNKNOWN_VERSION, "floating tag (latest, main, stable)", _W),
    Rule("unknown.pinned", Flag.UNKNOWN_VERSION, "digest, commit or date, not a version", _I),
    Rule("no-upstream-data", Flag.NO_UPSTREAM_DATA, "no upstream releases known", _I),
    Rule("partial-catalogue", Flag.PARTIAL_CATALOGUE, "older than every known release", _I),
    Rule("ahead-of-catalogue", Flag.AHEAD_OF_CATALOGUE, "newer than every known release", _I),
    Rule(
        "skew.node-newer",
        Flag.SKEW,
        "kubelet or kube-proxy newer than the API server",
        _C,
        KUBERNETES_SKEW,
    ),
    Rule(
        "skew.node-beyond",
        Flag.SKEW,
        "kubelet or kube-proxy more minors older than allowed (3; 2 before 1.25)",
        _C,
        KUBERNETES_SKEW,
    ),
    Rule(
        "skew.node-at-limit",
        Flag.SKEW,
        "kubelet or kube-proxy exactly at the allowed minors older",
        _W,
        KUBERNETES_SKEW,
    ),
    Rule(
        "skew.node-older",
        Flag.SKEW,
        "kubelet or kube-proxy older, within the allowed skew",
        _I,
        KUBERNETES_SKEW,
    ),
    Rule(
        "skew.control-plane-outside",
        Flag.SKEW,
        "control-plane pod outside the skew policy",
        _W,
        KUBERNETES_SKEW,
    ),
    Rule(
        "skew.control-plane-upgrade",
        Flag.SKEW,
        "control-plane pod at another version, within the policy",
        _I,
        KUBERNETES_SKEW,
    ),
    Rule(
        "skew.istio-vanished",
        Flag.SKEW,
        "sidecars or gateways on a revision no istiod serves",
        _C,
        ISTIO_RELEASES,
    ),
    Rule(
        "skew.istio-outside",
        Flag.SKEW,
        "sidecars or gateways newer than istiod, or more than 1 minor older",
        _C,
        ISTIO_RELEASES,
    ),
    Rule(
        "skew.istio-older",
        Flag.SKEW,
        "sidecars or gateways older than istiod, within 1 minor",
        _I,
        ISTIO_RELEASES,
    ),
    Rule(
        "incompatible.newer",
        Flag.INCOMPATIBLE,
        "Kubernetes newer than the Istio release supports",
        _C,
        ISTIO_RELEASES,
    ),
    Rule(
        "incompatible.older",
        Flag.INCOMPATIBLE,
        "Kubernetes older than the Istio release supports",
        _W,
        ISTIO_RELEASES,
    ),
    Rule("eol.ended", Flag.EOL, "past end of life (or end of extended support)", _C, ENDOFLIFE),
    Rule("eol.extended", Flag.EOL, "past standard support, in extended support", _W, ENDOFLIFE),
    Rule("eol-soon", Flag.EOL_SOON, "end of life within [lifecycle] warn_before", _W, ENDOFLIFE),
    Rule("retired", Flag.RETIRED, "the project is retired upstream", _W),
    Rule("archived", Flag.ARCHIVED, "the project's repository is archived", _W),
    Rule("vulnerable.critical", Flag.VULNERABLE, "advisory severity critical or high", _C),
    Rule("vulnerable.moderate", Flag.VULNERABLE, "advisory severity moderate or unknown", _W),
    Rule("vulnerable.low", Flag.VULNERABLE, "advisory severity low", _I),
)
"""The whole severity policy, in README order (worst first within a kind)."""

_BY_KEY: Mapping[str, Rule] = MappingProxyType({r.key: r for r in RULES})


def severity_of(key: str) -> Severity:
    """The severity of the rule named ``key`` (a :attr:`Rule.key`).

    Raises:
        KeyError: for a key not in :data:`RULES` (a programming error).

    >>> severity_of("skew.node-newer"), severity_of("pre-1.0")
    (<Severity.CRITICAL: 'critical'>, <Severity.INFO: 'info'>)
    """
    return _BY_KEY[key].severity


def outdated_severity(behind: Behind, lines_behind: int, line_days_behind: int | None) -> Severity:
    """The severity of an ``outdated`` finding (rules ``outdated.*``).

    Args:
        behind: how far behind (major, minor, patch or build).
        lines_behind: majors behind for ``major``, minor lines behind for ``minor``.
        line_days_behind: days since the first newer release of the running
            ``major.minor`` line was published; None when there is none (or no date).

    >>> outdated_severity(Behind.MAJOR, 1, None), outdated_severity(Behind.MINOR, 2, None)
    (<Severity.CRITICAL: 'critical'>, <Severity.WARNING: 'warning'>)
    >>> outdated_severity(Behind.PATCH, 0, 90), outdated_severity(Behind.PATCH, 0, 91)
    (<Severity.INFO: 'info'>, <Severity.WARNING: 'warning'>)
    """
    if behind is Behind.MAJOR:
        return severity_of("outdated.major")
    if behind is Behind.MINOR and lines_behind >= CRITICAL_MINOR_LINES:
        return severity_of("outdated.minor3")
    if behind is Behind.MINOR and lines_behind == 2:
        return severity_of("outdated.minor2")
    if line_days_behind is not None and line_days_behind > STALE_AFTER_DAYS:
        return severity_of("outdated.stale-patch")
    return severity_of("outdated.minor1" if behind is Behind.MINOR else "outdated.patch")


def unknown_version_severity(*, floating: bool) -> Severity:
    """``unknown-version``: a floating tag can change under the same name (warning); a pinned
    but unversioned reference is only not comparable (info)."""
    return severity_of("unknown.floating" if floating else "unknown.pinned")


def control_plane_skew_severity(*, within_policy: bool) -> Severity:
    """A control-plane pod at another version than the control plane: info while within the
    Kubernetes skew policy (an upgrade runs), warning outside it."""
    return severity_of(
        "skew.control-plane-upgrade" if within_policy else "skew.control-plane-outside"
    )


def node_skew_severity(minors_behind: int, allowed: int) -> Severity | None:
    """kubelet / kube-proxy ``minors_behind`` the API server (negative: newer), with
    ``allowed`` the policy's limit; None when equal minors (no finding).

    >>> node_skew_severity(-1, 3), node_skew_severity(3, 3), node_skew_severity(1, 3)
    (<Severity.CRITICAL: 'critical'>, <Severity.WARNING: 'warning'>, <Severity.INFO: 'info'>)
    """
    if minors_behind < 0:
        return severity_of("skew.node-newer")
    if minors_behind > allowed:
        return severity_of("skew.node-beyond")
    if minors_behind == allowed:
        return severity_of("skew.node-at-limit")
    return severity_of("skew.node-older") if minors_behind > 0 else None


def istio_skew_severity(*, vanished: bool = False, outside: bool = False) -> Severity:
    """An Istio data plane against its istiod: a vanished revision or skew outside Istio's
    support is critical; an older proxy within one minor is info."""
    if vanished:
        return severity_of("skew.istio-vanished")
    return severity_of("skew.istio-outside" if outside else "skew.istio-older")


def istio_kubernetes_severity(*, kubernetes_newer: bool) -> Severity:
    """Istio vs Kubernetes outside the supported range: Kubernetes newer than the range is
    critical (APIs Istio relies on may be gone), older is warning."""
    return severity_of("incompatible.newer" if kubernetes_newer else "incompatible.older")


def lifecycle_severity(verdict: str) -> Severity:
    """``eol`` (past end of life), ``eol-extended`` (in extended support) or ``eol-soon``.

    Raises:
        KeyError: for another verdict word.
    """
    key = {"eol": "eol.ended", "eol-extended": "eol.extended", "eol-soon": "eol-soon"}[verdict]
    return severity_of(key)


def advisory_severity(word: str) -> Severity:
    """A ``vulnerable`` finding's severity from the advisory's own word: critical and high
    critical; moderate (and an advisory without a word) warning; low info.

    >>> advisory_severity("high"), advisory_severity("unknown"), advisory_severity("low")
    (<Severity.CRITICAL: 'critical'>, <Severity.WARNING: 'warning'>, <Severity.INFO: 'info'>)
    """
    word = word.lower()
    if word in ("critical", "high"):
        return severity_of("vulnerable.critical")
    if word == "low":
        return severity_of("vulnerable.low")
    return severity_of("vulnerable.moderate")


def severity_table() -> str:
    """The policy as the README's Markdown table (one row per :data:`RULES` entry)."""
    lines = [
        "| finding | when | severity | source |",
        "|---|---|---|---|",
    ]
    for rule in RULES:
        source = f"[policy]({rule.source})" if rule.source else ""
        lines.append(f"| `{rule.kind.value}` | {rule.when} | {rule.severity.value} | {source} |")
    return "\n".join(lines)


RowPredicate = Callable[["ComponentReport"], bool]
"""``predicate(row) -> bool``: True when ``row`` holds a counted finding of the kind."""


def _kind(*kinds: Flag) -> RowPredicate:
    def hits(row: ComponentReport) -> bool:
        return any(f.kind in kinds for f in row.counted_findings)

    hits.__doc__ = f"A counted finding of kind {', '.join(k.value for k in kinds)}."
    return hits


def _major(row: ComponentReport) -> bool:
    """``behind == major`` with its ``outdated`` finding not waived."""
    return row.behind is Behind.MAJOR and _kind(Flag.OUTDATED)(row)


def _vulnerable(row: ComponentReport) -> bool:
    """Flag ``vulnerable`` with a finding no live waiver accepts."""
    return any(f.kind is Flag.VULNERABLE and not f.waived for f in row.findings)


def _at_least(severity: Severity) -> RowPredicate:
    def hits(row: ComponentReport) -> bool:
        return any(
            severity_rank(f.severity) >= severity_rank(severity) for f in row.counted_findings
        )

    hits.__doc__ = f"A counted finding of severity {severity.value} or worse."
    return hits


def _registry() -> dict[str, RowPredicate]:
    kinds: dict[str, RowPredicate] = {
        "outdated": _kind(Flag.OUTDATED),
        "major": _major,
        "pre-release": _kind(Flag.PRE_RELEASE),
        "pre-1.0": _kind(Flag.PRE_1_0),
        "unknown": _kind(Flag.UNKNOWN_VERSION, Flag.NO_UPSTREAM_DATA),
    }
    for flag in Flag:
        if flag is not Flag.WAIVED and flag.value not in kinds:
            kinds[flag.value] = _kind(flag)
    kinds["critical"] = _at_least(Severity.CRITICAL)
    kinds["warning"] = _at_least(Severity.WARNING)
    return kinds


FAIL_ON: Mapping[str, RowPredicate] = MappingProxyType(_registry())
"""The fail-on kinds, in help order: design.md §3's kinds (``outdated``, ``major``,
``pre-release``, ``pre-1.0``, ``unknown``), every other finding kind of
:class:`~tracker.models.Flag` but ``waived``, then the severities (``critical``: a critical
finding; ``warning``: a warning or critical one)."""

FAIL_ON_KINDS: tuple[str, ...] = tuple(FAIL_ON)
"""The names of :data:`FAIL_ON`, in order (what ``--fail-on`` accepts)."""


def fail_on_hit(report: Report, kinds: Iterable[str]) -> bool:
    """Decide ``--fail-on``: True when any row of ``report`` matches any of ``kinds``.

    Only counted findings match (a live waiver takes a finding out); ``major`` means
    ``behind == major`` with an unwaived ``outdated`` finding; ``unknown`` an unwaived
    ``unknown-version`` or ``no-upstream-data`` finding; ``critical`` an unwaived critical
    finding, ``warning`` warning or worse. Unidentified images never trigger it. An empty
    ``kinds`` never fails.

    Raises:
        ReportError: for a kind not in :data:`FAIL_ON` (names it, lists the valid ones).
    """
    return bool(fail_on_counts(report, kinds))


def fail_on_counts(report: Report, kinds: Iterable[str]) -> dict[str, int]:
    """How many rows of ``report`` each of ``kinds`` matches, for the kinds that match
    (in the order given): what ``--fail-on`` says on stderr when it exits with code 3.

    Raises:
        ReportError: for a kind not in :data:`FAIL_ON`, as :func:`fail_on_hit`.
    """
    wanted = list(dict.fromkeys(kinds))
    bad = [k for k in wanted if k not in FAIL_ON]
    if bad:
        raise ReportError(
            f"--fail-on: unknown kind {bad[0]!r}",
            f"use one or more of {', '.join(FAIL_ON_KINDS)}",
        )
    counts = {k: sum(1 for row in report.components if FAIL_ON[k](row)) for k in wanted}
    return {k: n for k, n in counts.items() if n}


RETIRED_CRITICAL_AFTER_DAYS = 365
"""A project retired longer ago than this (days) is a critical finding: a year without
releases means a year of unfixed vulnerabilities."""


def retired_severity(retired: date, today: date) -> Severity:
    """Severity of a ``retired`` finding: critical when the project was retired more than
    :data:`RETIRED_CRITICAL_AFTER_DAYS` days before ``today``, else warning.

    >>> from datetime import date
    >>> retired_severity(date(2025, 3, 1), date(2026, 3, 1)).value
    'warning'
    >>> retired_severity(date(2025, 3, 1), date(2026, 3, 2)).value
    'critical'
    """
    if (today - retired).days > RETIRED_CRITICAL_AFTER_DAYS:
        return Severity.CRITICAL
    return Severity.WARNING
