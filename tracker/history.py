"""Findings history: what changed between two runs, and how long findings have been open.

Pure functions over :class:`~tracker.models.ComponentReport` rows; the store keeps every
run's rows (read by :func:`tracker.workflows.query.cluster_history`), and :func:`first_seen`
derives first-seen dates from the runs read.

Identity. A report row is identified by its :class:`EntryKey` = (cluster, component, role,
namespace, workload), **not** by its version, so an upgrade of ``Deployment/istiod`` from
1.12.1 to 1.13.0 is one entry that was *upgraded*, and its ``outdated`` finding stays open
(``still_open``) instead of being "resolved" and "new" at once. A finding is identified by
:class:`FindingKey` = entry key + finding kind; its message (which mentions versions and
counts) is not part of the identity. Two refinements:

- Kubelet rows carry the node list as workload (``Node/a,b``), which changes whenever
  nodes are recycled; for role ``kubelet`` (and kube-proxy from ``nodeInfo``, workload
  ``Node/...``) the workload is left out of the key.
- One key can hold several rows in one run (Istio sidecars: one row per running proxy
  version; kubelets during a rolling upgrade). Within a key, rows with the same
  ``current`` version are paired first; when exactly one row is left on each side the pair
  is a version change; otherwise the leftovers are entries that appeared or went away.
  Findings are then compared per pair (or against nothing), so a sidecar version that
  disappears resolves its findings and one that appears brings new ones.

Not scanned. A finding of the previous run whose row this run could not have seen is
*not scanned*: it goes to ``not_scanned``, never to ``resolved``, and its entry is neither
upgraded nor gone. Two reasons:

- Sources. Some rows exist only when their source was read: kubelets (and kube-proxy from
  ``nodeInfo``) need the node list, the Kubernetes control plane ``/version``, the nodes or a
  kube-apiserver pod, Helm release rows the release Secrets. When a cluster's run has no row
  at all from one such source (:func:`row_source`: a dump without nodes, a forbidden node
  list, no Secrets read) while the previous run had some, that source was not scanned. A
  cluster always has nodes and a control plane, so their absence means the source is
  missing; a cluster whose last Helm release was uninstalled is reported the same way (say
  so rather than claim a fix).
- Namespaces. Each scan records the namespaces it read (:class:`~tracker.models.NamespaceScope`:
  every one, only those given with ``scan -n``, or every one but those RBAC forbade). A row
  in a namespace this run did not read, or a row grouped across namespaces (Istio sidecars
  of several namespaces, no namespace) when this run did not read every namespace, was not
  scanned (:func:`row_covered`). Cluster-scoped rows (nodes, ``/version``) are always covered,
  but for kube-proxy from ``nodeInfo``: identification reports it only when no kube-proxy pod
  was found in a scan of every namespace, so, like a grouped row, it needs every namespace.

When a later run reads that source or namespace again, it is compared with the newest
earlier run that read it (:func:`carry_unscanned`), so a finding seen again is still open,
not new.

Version order comes from :func:`tracker.versions.parse_version`; a change where either side
is not a parseable version is neither an upgrade nor a downgrade (its findings still move).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from tracker.models import (
    EVERY_NAMESPACE,
    ComponentReport,
    Finding,
    Flag,
    NamespaceScope,
    Role,
)
from tracker.versions import ParsedVersion, parse_version


@dataclass(frozen=True, order=True)
class EntryKey:
    """Identity of a report row across runs.

    Attributes:
        namespace: ``""`` when the row has none (cluster-wide entries).
        workload: ``""`` when the row has none, and always ``""`` for kubelets and
            sidecar proxies (``data-plane``), whose workload lists the nodes / meshed
            workloads of the entry: a node or a meshed app added is not a new entry.
    """

    cluster: str
    component: str
    role: str
    namespace: str
    workload: str

    @classmethod
    def of(cls, row: ComponentReport) -> EntryKey:
        """The key of ``row`` (see the module docstring for the kubelet rule)."""
        c = row.component
        if c.role in (Role.KUBELET, Role.DATA_PLANE) or (c.workload or "").startswith("Node/"):
            return cls(row.cluster, c.component, c.role.value, "", "")
        return cls(row.cluster, c.component, c.role.value, c.namespace or "", c.workload or "")


@dataclass(frozen=True, order=True)
class FindingKey:
    """Identity of a finding across runs: the row's :class:`EntryKey` fields plus ``kind``.

    This is what the store keys first-seen dates by (all fields are plain strings).
    """

    cluster: str
    component: str
    role: str
    namespace: str
    workload: str
    kind: str

    @classmethod
    def of(cls, row: ComponentReport, finding: Finding) -> FindingKey:
        """The key of ``finding`` on ``row``."""
        e = EntryKey.of(row)
        kind = finding.kind.value
        if finding.kind is Flag.VULNERABLE and row.advisories:  # a new advisory: a new finding
            kind += ":" + ",".join(sorted(a.id for a in row.advisories))
        return cls(e.cluster, e.component, e.role, e.namespace, e.workload, kind)


@dataclass(frozen=True)
class FindingRef:
    """A finding with its key and row.

    ``row`` is the current run's row for new and still-open findings, and the previous
    run's row for resolved ones.
    """

    key: FindingKey
    finding: Finding
    row: ComponentReport


@dataclass(frozen=True)
class VersionChange:
    """One entry whose running version went up (upgraded) or down (downgraded)."""

    key: EntryKey
    previous: ComponentReport
    current: ComponentReport


@dataclass(frozen=True)
class FindingChanges:
    """The difference between two runs; every tuple is sorted by key.

    Attributes:
        new: findings open now that were not open in the previous run.
        resolved: findings of the previous run that are gone now.
        upgraded / downgraded: entries whose version went up / down.
        still_open: findings open in both runs.
        not_scanned: findings of the previous run whose source or namespace this run did
            not read (see "Not scanned" in the module docstring): neither resolved nor open.
    """

    new: tuple[FindingRef, ...]
    resolved: tuple[FindingRef, ...]
    upgraded: tuple[VersionChange, ...]
    downgraded: tuple[VersionChange, ...]
    still_open: tuple[FindingRef, ...]
    not_scanned: tuple[FindingRef, ...] = ()

    @property
    def changed(self) -> bool:
        """True when anything but ``still_open`` is non-empty."""
        return bool(
            self.new or self.resolved or self.upgraded or self.downgraded or self.not_scanned
        )

    def for_cluster(self, cluster: str) -> FindingChanges:
        """The same changes restricted to one cluster."""

        def keep_f(refs: tuple[FindingRef, ...]) -> tuple[FindingRef, ...]:
            return tuple(r for r in refs if r.key.cluster == cluster)

        def keep_v(changes: tuple[VersionChange, ...]) -> tuple[VersionChange, ...]:
            return tuple(v for v in changes if v.key.cluster == cluster)

        return FindingChanges(
            new=keep_f(self.new),
            resolved=keep_f(self.resolved),
            upgraded=keep_v(self.upgraded),
            downgraded=keep_v(self.downgraded),
            still_open=keep_f(self.still_open),
            not_scanned=keep_f(self.not_scanned),
        )


def _pair(
    previous: list[ComponentReport],
    current: list[ComponentReport],
    unread: Callable[[ComponentReport], bool] = lambda row: False,
) -> list[tuple[ComponentReport | None, ComponentReport | None]]:
    """Pair the rows of one key: same version first, then a lone leftover pair, unless the
    previous one is ``unread`` (sidecars of namespaces this run did not read are not what
    replaced those of a namespace it read)."""
    prev_left = list(previous)
    pairs: list[tuple[ComponentReport | None, ComponentReport | None]] = []
    cur_left: list[ComponentReport] = []
    for cur in current:
        match = next((p for p in prev_left if p.current == cur.current), None)
        if match is None:
            cur_left.append(cur)
        else:
            prev_left.remove(match)
            pairs.append((match, cur))
    if len(prev_left) == 1 and len(cur_left) == 1 and not unread(prev_left[0]):
        pairs.append((prev_left[0], cur_left[0]))
    else:
        pairs.extend((p, None) for p in prev_left)
        pairs.extend((None, c) for c in cur_left)
    return pairs


def _direction(previous: ComponentReport, current: ComponentReport) -> int:
    """+1 upgrade, -1 downgrade, 0 same or not comparable."""
    if previous.current == current.current or not previous.current or not current.current:
        return 0
    before, after = parse_version(previous.current), parse_version(current.current)
    if not isinstance(before, ParsedVersion) or not isinstance(after, ParsedVersion):
        return 0
    if after.version > before.version:
        return 1
    if after.version < before.version:
        return -1
    return 0


def _refs(row: ComponentReport) -> dict[FindingKey, FindingRef]:
    refs: dict[FindingKey, FindingRef] = {}
    for finding in row.findings:
        key = FindingKey.of(row, finding)
        refs.setdefault(key, FindingRef(key, finding, row))
    return refs


NODES = "nodes"
CONTROL_PLANE = "control plane"
HELM = "Helm release Secrets"


def row_source(row: ComponentReport) -> str | None:
    """What a row needs to have been read to exist: :data:`NODES` (kubelets, kube-proxy
    from ``nodeInfo``), :data:`CONTROL_PLANE` (``control-plane`` rows), :data:`HELM`
    (``helm-release`` rows), or None (rows from pods, which every scan reads)."""
    c = row.component
    if c.role is Role.KUBELET or (c.workload or "").startswith("Node/"):
        return NODES
    if c.role is Role.CONTROL_PLANE and c.component == "kubernetes":
        return CONTROL_PLANE
    if c.role is Role.HELM:
        return HELM
    return None


def unscanned_sources(
    previous: Sequence[ComponentReport], current: Sequence[ComponentReport]
) -> set[tuple[str, str]]:
    """``{(cluster, source)}`` that the previous run read and this run did not (no row of
    that :func:`row_source` in the cluster now, some before). Only clusters present in
    ``current`` count (a cluster left out of a report is not compared)."""

    def sources(rows: Sequence[ComponentReport]) -> set[tuple[str, str]]:
        return {(r.cluster, s) for r in rows if (s := row_source(r)) is not None}

    clusters = {r.cluster for r in current}
    return {(c, s) for c, s in sources(previous) - sources(current) if c in clusters}


def row_covered(row: ComponentReport, namespaces: NamespaceScope) -> bool:
    """True when a scan that read ``namespaces`` would have seen ``row`` (sources aside,
    :func:`unscanned_sources`): a row in a namespace when that namespace was read; a row
    grouped across namespaces (Istio sidecars of several namespaces: no namespace) or
    kube-proxy from ``nodeInfo`` only when every namespace was; other cluster-scoped rows
    (:func:`row_source`: kubelets, control plane) always."""
    namespace = row.component.namespace
    if namespace is not None:
        return namespaces.covers(namespace)
    return (row_source(row) is not None and not _pods_absent(row)) or namespaces.everything


def _pods_absent(row: ComponentReport) -> bool:
    """True for kube-proxy from ``nodeInfo`` (a ``Node/...`` row that is not a kubelet): it
    stands for kube-proxy pods not found, which only a scan of every namespace can say."""
    c = row.component
    return c.role is not Role.KUBELET and (c.workload or "").startswith("Node/")


@dataclass(frozen=True)
class ScanRows:
    """One run of one cluster as :func:`carry_unscanned` needs it: its evaluated rows and
    the namespaces its scan read (:attr:`tracker.models.ClusterSummary.namespaces`)."""

    rows: Sequence[ComponentReport]
    namespaces: NamespaceScope = EVERY_NAMESPACE


def carry_unscanned(
    baseline: ScanRows, current: ScanRows, earlier: Iterable[ScanRows]
) -> list[ComponentReport]:
    """The rows to diff ``current`` against: ``baseline``'s, plus what the baseline run did
    not read and ``current`` did, taken from the newest of ``earlier`` runs (newest first)
    that read it: rows of a source (:func:`row_source`) the baseline has no row of, rows of
    namespaces the baseline's scan did not read, and, when the baseline did not read every
    namespace, rows grouped across namespaces (:func:`row_covered`; one already in the
    baseline at the same version is not taken twice). After a run without nodes, or one
    limited with ``scan -n``, the next full run's findings are compared with the last run
    that saw them (still open, or resolved), not "new".

    Runs without rows (scans never evaluated) are skipped; ``earlier`` is read only as far
    as something is still missing. Returns ``baseline.rows`` unchanged when it lacks
    nothing ``current`` has.
    """

    def sources(rows: Sequence[ComponentReport]) -> set[tuple[str, str]]:
        return {(r.cluster, s) for r in rows if (s := row_source(r)) is not None}

    want = sources(current.rows) - sources(baseline.rows)
    pending = current.namespaces.minus(baseline.namespaces)
    wide = current.namespaces.everything and not baseline.namespaces.everything
    out = list(baseline.rows)
    have = {(EntryKey.of(r), r.current) for r in out}
    for run in earlier:
        if not want and pending.empty and not wide:
            break
        if not run.rows:
            continue
        found = sources(run.rows) & want
        read = pending.intersect(run.namespaces)
        whole = wide and run.namespaces.everything
        for row in run.rows:
            source, namespace = row_source(row), row.component.namespace
            if source is not None and (row.cluster, source) in found:
                take = True
            elif namespace is not None:
                take = read.covers(namespace)
            else:  # cluster-scoped (its source was not missing), or grouped across namespaces
                take = (source is None or _pods_absent(row)) and whole
            if take and (key := (EntryKey.of(row), row.current)) not in have:
                have.add(key)
                out.append(row)
        want -= found
        pending = pending.minus(run.namespaces)
        wide = wide and not whole
    return out


def diff_findings(
    previous: Sequence[ComponentReport],
    current: Sequence[ComponentReport],
    namespaces: NamespaceScope = EVERY_NAMESPACE,
) -> FindingChanges:
    """Compare the rows of the previous run with the rows of this run.

    Args:
        previous: the previous run's rows (empty for a first run: everything is new).
        current: this run's rows. Both may hold several clusters; keys include the cluster.
        namespaces: the namespaces this run's scan read (a run is one cluster's scan; with
            rows of several clusters it applies to each); default every namespace.

    Returns:
        :class:`FindingChanges`, every tuple sorted by key (then version) for stable output;
        findings of a source or namespace this run did not read are ``not_scanned``, not
        ``resolved``.
    """
    missing = unscanned_sources(previous, current)
    groups: dict[EntryKey, tuple[list[ComponentReport], list[ComponentReport]]] = defaultdict(
        lambda: ([], [])
    )
    for row in previous:
        groups[EntryKey.of(row)][0].append(row)
    for row in current:
        groups[EntryKey.of(row)][1].append(row)

    def unread(row: ComponentReport) -> bool:
        return (row.cluster, row_source(row)) in missing or not row_covered(row, namespaces)

    new: list[FindingRef] = []
    resolved: list[FindingRef] = []
    still: list[FindingRef] = []
    upgraded: list[VersionChange] = []
    downgraded: list[VersionChange] = []
    unscanned: list[FindingRef] = []
    for key, (prev_rows, cur_rows) in groups.items():
        for before, after in _pair(prev_rows, cur_rows, unread):
            old = _refs(before) if before is not None else {}
            if before is not None and after is None and unread(before):
                unscanned.extend(old.values())
                continue
            now = _refs(after) if after is not None else {}
            new.extend(ref for k, ref in now.items() if k not in old)
            still.extend(ref for k, ref in now.items() if k in old)
            resolved.extend(ref for k, ref in old.items() if k not in now)
            if before is not None and after is not None:
                direction = _direction(before, after)
                if direction > 0:
                    upgraded.append(VersionChange(key, before, after))
                elif direction < 0:
                    downgraded.append(VersionChange(key, before, after))

    def ref_order(ref: FindingRef) -> tuple[FindingKey, str]:
        return (ref.key, ref.row.current or "")

    def change_order(v: VersionChange) -> tuple[EntryKey, str]:
        return (v.key, v.previous.current or "")

    return FindingChanges(
        new=tuple(sorted(new, key=ref_order)),
        resolved=tuple(sorted(resolved, key=ref_order)),
        upgraded=tuple(sorted(upgraded, key=change_order)),
        downgraded=tuple(sorted(downgraded, key=change_order)),
        still_open=tuple(sorted(still, key=ref_order)),
        not_scanned=tuple(sorted(unscanned, key=ref_order)),
    )


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def days_open(
    open_findings: Iterable[FindingKey],
    first_seen: Mapping[FindingKey, date | datetime],
    today: date,
) -> dict[FindingKey, int]:
    """For how many whole days each open finding has been open.

    Args:
        open_findings: keys of the findings open now (``new`` + ``still_open``).
        first_seen: per key, the date (or UTC datetime: its date is used) of the run that
            first saw the finding in its current uninterrupted streak, as kept by the store
            (see :func:`first_seen`).
        today: the date of this run (a parameter, so tests and re-runs are reproducible).

    Returns:
        ``{key: days}``: 0 for a finding first seen today or missing from ``first_seen``;
        never negative (a first-seen date in the future counts as 0).

    >>> k = FindingKey("prod", "istio", "data-plane", "", "", "outdated")
    >>> days_open([k], {k: date(2024, 4, 1)}, date(2024, 5, 1))[k]
    30
    """
    result: dict[FindingKey, int] = {}
    for key in open_findings:
        seen = first_seen.get(key)
        result[key] = max(0, (today - _as_date(seen)).days) if seen is not None else 0
    return result


@dataclass(frozen=True)
class RunChanges:
    """One run of one cluster compared with the run before it.

    Attributes:
        scanned_at: when this run's scan was taken (UTC).
        changes: what changed since the previous run; None for the first run kept.
        open_rows: this run's rows that have findings.
        namespaces: the namespaces this run's scan read.
    """

    cluster: str
    scan_id: int
    scanned_at: datetime
    changes: FindingChanges | None
    open_rows: tuple[ComponentReport, ...]
    namespaces: NamespaceScope = EVERY_NAMESPACE


def first_seen(runs: Sequence[RunChanges]) -> dict[FindingKey, date]:
    """When each finding open in the newest run was first seen in its current streak.

    ``runs`` is newest first (as :func:`tracker.workflows.query.cluster_history` returns). A
    finding's streak goes back run by run while the finding was ``still_open``; it starts at
    the run where it was ``new`` and not also still open (one key can hold several rows:
    sidecars mid-upgrade), or at the oldest run kept, whose date is then a lower bound.
    """
    if not runs:
        return {}
    newest = runs[0]
    open_keys = {
        FindingKey.of(row, finding) for row in newest.open_rows for finding in row.findings
    }
    seen: dict[FindingKey, date] = {}
    for key in open_keys:
        start = newest.scanned_at
        for run in runs:
            start = run.scanned_at
            if run.changes is None:
                break
            new = any(ref.key == key for ref in run.changes.new)
            if new and not any(ref.key == key for ref in run.changes.still_open):
                break
        seen[key] = start.date()
    return seen
