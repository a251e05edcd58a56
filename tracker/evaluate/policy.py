"""Policy: which findings ``--fail-on`` turns into exit code 3 (design.md §3).

:data:`FAIL_ON` is the registry of fail-on kinds: kind -> the predicate over one report
row. The CLI generates its ``--fail-on`` choices from it; nothing else keeps a list.
Unidentified images never trigger a kind: they are not tracked components.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from tracker.errors import ReportError
from tracker.models import Behind, ComponentReport, Flag, Report, Severity, Status, severity_rank

RowPredicate = Callable[[ComponentReport], bool]
"""``predicate(row) -> bool``: True when ``row`` holds a finding of the kind."""


def _outdated(row: ComponentReport) -> bool:
    """Flag ``outdated`` or status ``outdated``."""
    return Flag.OUTDATED in row.flags or row.status is Status.OUTDATED


def _major(row: ComponentReport) -> bool:
    """``behind == major``."""
    return row.behind is Behind.MAJOR


def _pre_release(row: ComponentReport) -> bool:
    """Flag ``pre-release``."""
    return Flag.PRE_RELEASE in row.flags


def _pre_1_0(row: ComponentReport) -> bool:
    """Flag ``pre-1.0``."""
    return Flag.PRE_1_0 in row.flags


def _unknown(row: ComponentReport) -> bool:
    """No parseable running version, or no upstream data to compare with."""
    return (
        Flag.UNKNOWN_VERSION in row.flags
        or Flag.NO_UPSTREAM_DATA in row.flags
        or row.status is Status.UNKNOWN
    )


def _vulnerable(row: ComponentReport) -> bool:
    """Flag ``vulnerable`` with a finding no live waiver accepts."""
    return any(f.kind is Flag.VULNERABLE and not f.waived for f in row.findings)


def _at_least(severity: Severity) -> RowPredicate:
    def hits(row: ComponentReport) -> bool:
        worst = row.worst_severity
        return worst is not None and severity_rank(worst) >= severity_rank(severity)

    hits.__doc__ = f"A finding of severity {severity.value} or worse."
    return hits


FAIL_ON: Mapping[str, RowPredicate] = MappingProxyType(
    {
        "outdated": _outdated,
        "major": _major,
        "pre-release": _pre_release,
        "pre-1.0": _pre_1_0,
        "unknown": _unknown,
        "vulnerable": _vulnerable,
        "critical": _at_least(Severity.CRITICAL),
        "warning": _at_least(Severity.WARNING),
    }
)
"""The fail-on kinds, in help order: design.md §3's kinds, plus severities (``critical``:
a critical finding; ``warning``: a warning or critical one) for gating on the policy."""

FAIL_ON_KINDS: tuple[str, ...] = tuple(FAIL_ON)
"""The names of :data:`FAIL_ON`, in order (what ``--fail-on`` accepts)."""


def fail_on_hit(report: Report, kinds: Iterable[str]) -> bool:
    """Decide ``--fail-on``: True when any row of ``report`` matches any of ``kinds``.

    Kinds are the keys of :data:`FAIL_ON`: ``outdated`` (flag ``outdated`` or status
    ``outdated``), ``major`` (``behind == major``), ``pre-release``, ``pre-1.0`` (those
    flags), ``unknown`` (flag ``unknown-version`` or ``no-upstream-data``, or status
    ``unknown``), ``vulnerable`` (an unwaived ``vulnerable`` finding); by severity:
    ``critical`` (a critical finding), ``warning`` (warning or critical). Unidentified
    images never trigger it. An empty ``kinds`` never fails.

    Raises:
        ReportError: for a kind not in :data:`FAIL_ON` (names it, lists the valid ones).
    """
    wanted = list(dict.fromkeys(kinds))
    bad = [k for k in wanted if k not in FAIL_ON]
    if bad:
        raise ReportError(
            f"--fail-on: unknown kind {bad[0]!r}",
            f"use one or more of {', '.join(FAIL_ON_KINDS)}",
        )
    predicates = [FAIL_ON[k] for k in wanted]
    return any(hits(row) for row in report.components for hits in predicates)
