"""The fleet view's figures (``report --all-clusters``): counts per cluster, groups of versions.

Pure functions over :mod:`tracker.models` (no I/O), shared by the store and the formatters so
that every output of the fleet view shows the same figures:

* the store saves each evaluated scan's :class:`FleetCounts` (:func:`count_rows`) and each
  row's :func:`row_severity` with the rows, so the fleet table reads one small record per
  cluster and the :class:`FleetGroup` of the versions that matter, aggregated by the database
  (:mod:`tracker.store.fleet`), never every row of a thousand clusters;
* the formatters build the same :class:`Fleet` from a full report (:func:`fleet_of`,
  :func:`group_rows`), which the JSON view and ``--fail-on`` read anyway.

What counts (the same as ``--fail-on`` and Slack): findings no live waiver accepts
(:attr:`~tracker.models.ComponentReport.counted_findings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, NamedTuple

from tracker.models import (
    Behind,
    ClusterSummary,
    ComponentReport,
    Flag,
    Report,
    Severity,
    Status,
    severity_rank,
)

SHOWN_SEVERITIES: tuple[Severity, ...] = (Severity.CRITICAL, Severity.WARNING)
"""The groups the fleet table and Markdown list (JSON lists every group)."""

BEHIND_RANK: Mapping[Behind, int] = {
    Behind.MAJOR: 4,
    Behind.MINOR: 3,
    Behind.PATCH: 2,
    Behind.BUILD: 1,
}
"""How far behind, as a number (more is further; not behind: 0)."""
_FLAG_ORDER = {flag: i for i, flag in enumerate(Flag)}


@dataclass(frozen=True)
class FleetCounts:
    """What one evaluated scan of a cluster found.

    Attributes:
        components: evaluated rows (component entries).
        critical, warning, info: findings of that severity that no live waiver accepts.
        waived: findings a live waiver accepts (shown, not counted above).
        vulnerable: components flagged ``vulnerable`` (a published advisory applies).
        eol: components flagged ``eol`` (past their support window).
        outdated: components whose status is ``outdated`` (a newer stable release exists).
    """

    components: int = 0
    critical: int = 0
    warning: int = 0
    info: int = 0
    waived: int = 0
    vulnerable: int = 0
    eol: int = 0
    outdated: int = 0

    def to_dict(self) -> dict[str, int]:
        """The counts as JSON-ready data (every field, in field order)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: object) -> FleetCounts | None:
        """Counts read back from :meth:`to_dict` data; None when ``data`` is not a mapping.
        Missing or non-integer values count 0 (a summary written by another version)."""
        if not isinstance(data, Mapping):
            return None
        values = {f.name: data.get(f.name, 0) for f in fields(cls)}
        return cls(**{k: v if isinstance(v, int) else 0 for k, v in values.items()})


def row_severity(row: ComponentReport) -> Severity | None:
    """The highest severity among the row's counted findings (None: no counted finding)."""
    counted = row.counted_findings
    if not counted:
        return None
    return max((f.severity for f in counted), key=severity_rank)


def count_rows(rows: Iterable[ComponentReport]) -> FleetCounts:
    """:class:`FleetCounts` of the evaluated rows of one scan."""
    counts = {f.name: 0 for f in fields(FleetCounts)}
    for row in rows:
        counts["components"] += 1
        for finding in row.findings:
            counts["waived" if finding.waived else finding.severity.value] += 1
        counts["vulnerable"] += Flag.VULNERABLE in row.flags
        counts["eol"] += Flag.EOL in row.flags
        counts["outdated"] += row.status is Status.OUTDATED
    return FleetCounts(**counts)


class FleetRow(NamedTuple):
    """The fields of one evaluated row that the fleet view groups by (a lean row).

    ``version`` is the normalized running version, else the raw one (``?`` when empty);
    ``severity`` is :func:`row_severity`.
    """

    cluster: str
    component: str
    role: str
    version: str
    behind: Behind | None
    days_behind: int | None
    latest: str | None
    flags: tuple[Flag, ...]
    severity: Severity | None

    @classmethod
    def of(cls, row: ComponentReport) -> FleetRow:
        """The lean row of a full :class:`ComponentReport`."""
        c = row.component
        return cls(
            cluster=row.cluster,
            component=c.component,
            role=c.role.value,
            version=row.current or c.raw_version or "?",
            behind=row.behind,
            days_behind=row.days_behind,
            latest=row.latest,
            flags=row.flags,
            severity=row_severity(row),
        )

    def key(self) -> GroupKey:
        """The group this row belongs to."""
        return GroupKey(self.component, self.role, self.version, self.severity)


class GroupKey(NamedTuple):
    """What rows of one :class:`FleetGroup` share."""

    component: str
    role: str
    version: str
    severity: Severity | None


@dataclass(frozen=True)
class FleetGroup:
    """One version of one component (and role) across the fleet, at one severity.

    Rows of the same version whose worst counted finding differs (a waiver in one cluster,
    skew in another) are separate groups, so a group's clusters all share its severity.
    Every figure is one the store also computes in SQL (:mod:`tracker.store.fleet`).

    Attributes:
        version: as :attr:`FleetRow.version`; ``latest``: the highest (by code point) latest
            release of its rows (they name the same one, unless evaluated on other days).
        severity: the worst counted finding of each row in the group (None: no finding).
        behind: the furthest behind (major > minor > patch > build); ``days_behind``: the
            most days.
        flags: every flag of the group's rows, in :class:`~tracker.models.Flag` order.
        cluster_count: how many clusters run it; ``first_cluster``: the first of their names
            (by code point); ``entries``: its rows (a cluster may run it in several places).
    """

    component: str
    role: str
    version: str
    severity: Severity | None
    latest: str | None
    behind: Behind | None
    days_behind: int | None
    flags: tuple[Flag, ...]
    cluster_count: int
    first_cluster: str
    entries: int

    @property
    def key(self) -> GroupKey:
        """(component, role, version, severity)."""
        return GroupKey(self.component, self.role, self.version, self.severity)

    @property
    def partial(self) -> bool:
        """Some row's figures are lower bounds (flag ``partial-catalogue``)."""
        return Flag.PARTIAL_CATALOGUE in self.flags

    def sort_key(self) -> tuple[Any, ...]:
        """Worst first: severity, then how far behind (major first), then days behind, then
        component, role and version (by code point: a total, stable order)."""
        sev = severity_rank(self.severity) if self.severity is not None else -1
        behind = BEHIND_RANK[self.behind] if self.behind is not None else 0
        days = self.days_behind if self.days_behind is not None else -1
        return (-sev, -behind, -days, self.component, self.role, self.version)

    def merged(self, other: FleetGroup) -> FleetGroup:
        """This group and ``other`` (the same key, clusters of its own) as one group."""
        return FleetGroup(
            *self.key,
            latest=_most(self.latest, other.latest),
            behind=max(self.behind, other.behind, key=_behind_rank),
            days_behind=_most(self.days_behind, other.days_behind),
            flags=ordered_flags({*self.flags, *other.flags}),
            cluster_count=self.cluster_count + other.cluster_count,
            first_cluster=min(self.first_cluster, other.first_cluster),
            entries=self.entries + other.entries,
        )


def _behind_rank(behind: Behind | None) -> int:
    return BEHIND_RANK[behind] if behind is not None else 0


def _most(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else max(a, b)


def ordered_flags(flags: Iterable[Flag]) -> tuple[Flag, ...]:
    """``flags`` without duplicates, in :class:`~tracker.models.Flag` order."""
    return tuple(sorted(set(flags), key=_FLAG_ORDER.__getitem__))


def group_rows(rows: Iterable[FleetRow]) -> list[FleetGroup]:
    """Group rows by :meth:`FleetRow.key`; worst group first."""
    buckets: dict[GroupKey, list[FleetRow]] = {}
    for row in rows:
        buckets.setdefault(row.key(), []).append(row)
    groups = [
        FleetGroup(
            *key,
            latest=max((r.latest for r in members if r.latest is not None), default=None),
            behind=max((r.behind for r in members), key=_behind_rank),
            days_behind=max(
                (r.days_behind for r in members if r.days_behind is not None), default=None
            ),
            flags=ordered_flags(f for r in members for f in r.flags),
            cluster_count=len({r.cluster for r in members}),
            first_cluster=min(r.cluster for r in members),
            entries=len(members),
        )
        for key, members in buckets.items()
    ]
    return sorted(groups, key=FleetGroup.sort_key)


def merge_groups(*lists: Iterable[FleetGroup]) -> list[FleetGroup]:
    """Groups of disjoint sets of clusters as one list (groups of one key merged), worst
    group first."""
    groups: dict[GroupKey, FleetGroup] = {}
    for group in (g for groups_ in lists for g in groups_):
        seen = groups.get(group.key)
        groups[group.key] = group if seen is None else seen.merged(group)
    return sorted(groups.values(), key=FleetGroup.sort_key)


@dataclass(frozen=True)
class FleetCluster:
    """One line of the fleet's cluster summary.

    Attributes:
        name: the cluster name.
        scan: its latest scan (None: a cluster known only from rows, in a hand-built report).
        counts: what its latest evaluated run found (None: never evaluated).
    """

    name: str
    scan: ClusterSummary | None
    counts: FleetCounts | None

    def sort_key(self) -> tuple[Any, ...]:
        """Worst first: most critical findings, then warnings, vulnerable, end-of-life and
        outdated components; clusters never evaluated last; then by name."""
        c = self.counts
        if c is None:
            return (1, 0, 0, 0, 0, 0, self.name)
        return (0, -c.critical, -c.warning, -c.vulnerable, -c.eol, -c.outdated, self.name)


@dataclass(frozen=True)
class Fleet:
    """The fleet view: per cluster its counts, per version of a component its clusters.

    Attributes:
        clusters: every cluster, by name (formatters list them worst first).
        groups: worst first. From the store's fast path only the groups of
            :data:`SHOWN_SEVERITIES` (what the table and Markdown show); from
            :func:`fleet_of`, every group.
    """

    generated_at: datetime
    clusters: tuple[FleetCluster, ...]
    groups: tuple[FleetGroup, ...]
    warnings: tuple[str, ...] = ()

    def shown_groups(self) -> list[FleetGroup]:
        """The groups the table and Markdown list (severity in :data:`SHOWN_SEVERITIES`)."""
        return [g for g in self.groups if g.severity in SHOWN_SEVERITIES]


def fleet_of(report: Report) -> Fleet:
    """The fleet view of a full report (each cluster's rows counted, every group).

    Clusters: those of the report's summaries and any seen only in rows, by name; one
    without rows has no counts (never evaluated).
    """
    rows_of: dict[str, list[ComponentReport]] = {}
    for row in report.components:
        rows_of.setdefault(row.cluster, []).append(row)
    summaries = {c.name: c for c in report.clusters}
    names = sorted(set(summaries) | set(rows_of))
    clusters = tuple(
        FleetCluster(
            name,
            summaries.get(name),
            count_rows(rows_of[name]) if name in rows_of else None,
        )
        for name in names
    )
    groups = group_rows(FleetRow.of(r) for r in report.components)
    return Fleet(report.generated_at, clusters, tuple(groups), report.warnings)
