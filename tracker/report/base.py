"""The report boundary: the :class:`Formatter` Protocol and helpers shared by formatters.

Formatters are pure: ``format(report) -> str``. Only the CLI writes files and picks exit
codes (pattern from pip-audit ``_format/``). ``--fail-on`` is decided by
:mod:`tracker.evaluate.policy`.

Every formatter lists rows in the same order: clusters in report order, then within a
cluster worst first (:func:`worst_first_key`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from tracker.errors import ReportError
from tracker.models import (
    Behind,
    Component,
    ComponentReport,
    Flag,
    Report,
    Severity,
    severity_rank,
)

_BEHIND_RANK = {Behind.MAJOR: 3, Behind.MINOR: 2, Behind.PATCH: 1}


class Formatter(Protocol):
    """Turns a :class:`~tracker.models.Report` into text. Pure: no I/O, no exit codes."""

    def format(self, report: Report) -> str:
        """Return the whole rendered report (ends with a newline).

        Raises:
            ReportError: when the report holds a value that cannot be rendered
                (e.g. a timestamp without a timezone).
        """
        ...


def worst_first_key(row: ComponentReport) -> tuple[int, int, int, str, str, str, str]:
    """Sort key putting the worst row first (use with ``sorted(rows, key=...)``).

    Order: highest finding severity (critical > warning > info > no finding), then how far
    behind (major > minor > patch > not behind), then ``days_behind`` (more days first),
    then component, role, namespace and workload alphabetically, so the order is total
    and stable between runs.
    """
    worst = row.worst_severity
    sev = severity_rank(worst) if worst is not None else -1
    behind = _BEHIND_RANK[row.behind] if row.behind is not None else 0
    days = row.days_behind if row.days_behind is not None else -1
    c = row.component
    return (-sev, -behind, -days, c.component, c.role.value, c.namespace or "", c.workload or "")


def sort_worst_first(rows: Iterable[ComponentReport]) -> list[ComponentReport]:
    """Return ``rows`` ordered by :func:`worst_first_key`."""
    return sorted(rows, key=worst_first_key)


def cluster_rows(report: Report, cluster: str) -> list[ComponentReport]:
    """The rows of one cluster, worst first."""
    return sort_worst_first(r for r in report.components if r.cluster == cluster)


def cluster_names(report: Report) -> list[str]:
    """Cluster names in report order, then any cluster seen only in rows (sorted)."""
    names = [c.name for c in report.clusters]
    seen = set(names)
    extra = {r.cluster for r in report.components} | {u.cluster for u in report.unidentified}
    names.extend(sorted(extra - seen))
    return names


def severity_counts(rows: Iterable[ComponentReport]) -> dict[Severity, int]:
    """Count findings (not rows) by severity, worst first: ``{critical: n, warning: n, info: n}``.

    Rows without findings count nothing; every severity is present (0 when none).
    """
    counts = {s: 0 for s in sorted(Severity, key=severity_rank, reverse=True)}
    for row in rows:
        for finding in row.findings:
            counts[finding.severity] += 1
    return counts


def rfc3339(moment: datetime, *, field: str) -> str:
    """Render an aware datetime as RFC 3339 UTC with ``Z``, to the second.

    >>> from datetime import timezone, timedelta
    >>> rfc3339(datetime(2024, 5, 1, 4, 0, 7, 5, tzinfo=timezone(timedelta(hours=2))), field="x")
    '2024-05-01T02:00:07Z'

    Raises:
        ReportError: when ``moment`` is naive (the message names ``field``).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ReportError(
            f"report field {field} is a datetime without a timezone ({moment.isoformat()})",
            "stages must produce timezone-aware UTC datetimes (models.py)",
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def count_text(row: ComponentReport, value: int | None) -> str:
    """A ``releases_behind``/``days_behind`` figure: ``"16"``, ``"≥16"`` when the catalogue
    does not reach back to the running version (flag ``partial-catalogue``), ``"-"``.
    """
    if value is None:
        return "-"
    return f"≥{value}" if Flag.PARTIAL_CATALOGUE in row.flags else str(value)


def behind_text(row: ComponentReport) -> str:
    """How far behind, in words: ``"minor, 18 releases, 912 days"``; ``""`` when not behind.

    >>> from tracker.models import Component, Role, Status
    >>> c = Component("istio", Role.DATA_PLANE, "1.12.1", "istio/istio")
    >>> r = ComponentReport("prod", c, "1.12.1", "1.30.2", "1.12.9", Status.OUTDATED,
    ...     Behind.MINOR, 18, 912, (Flag.OUTDATED,), ())
    >>> behind_text(r)
    'minor, 18 releases, 912 days'
    """
    parts: list[str] = []
    if row.behind is not None:
        parts.append(row.behind.value)
    if row.releases_behind is not None:
        noun = "release" if row.releases_behind == 1 else "releases"
        parts.append(f"{count_text(row, row.releases_behind)} {noun}")
    if row.days_behind is not None:
        noun = "day" if row.days_behind == 1 else "days"
        parts.append(f"{count_text(row, row.days_behind)} {noun}")
    return ", ".join(parts)


def place(row: ComponentReport) -> str:
    """Where a row runs: ``namespace/Kind/name``, ``Kind/name``, or ``cluster-wide``."""
    c = row.component
    parts = [p for p in (c.namespace, c.workload) if p]
    return "/".join(parts) if parts else "cluster-wide"


def component_label(component: Component) -> str:
    """The component column with what identify collected about it (raw text: formatters
    escape it): the Istio revision, a Helm release's chart and app version, and a mirror
    marker.

    >>> from tracker.models import Role
    >>> component_label(Component("istio", Role.DATA_PLANE, "1.20.1", None, revision="canary"))
    'istio rev canary'
    >>> component_label(Component("prometheus", Role.ADDON, "v2.11.0", None, mirrored=True))
    'prometheus (mirrored)'
    """
    from tracker.identify.helm import helm_columns

    label = component.component
    if component.revision:
        label += f" rev {component.revision}"
    helm = helm_columns(component)
    if helm is not None:
        label += f" (chart {helm.chart}, app {helm.app_version or '-'})"
    if component.mirrored:
        label += " (mirrored)"
    return label


def distribution_name(distribution: str | None) -> str | None:
    """The display name of a distribution id (``eks`` -> ``Amazon EKS``), None for None."""
    from tracker.identify.distribution import DISTRIBUTIONS

    return DISTRIBUTIONS.get(distribution, distribution) if distribution else None
