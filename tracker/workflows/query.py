"""Questions over stored scans, without rescanning: ``tracker query`` and ``tracker history``.

Both read what ``tracker report`` / ``tracker run`` stored with each scan (the evaluated
rows and their findings); neither contacts a cluster or an upstream source.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.errors import ConfigError
from tracker.models import Behind, ComponentReport, Flag, Status
from tracker.versions import ParsedVersion, Unparsed, parse_version
from tracker.workflows.common import load_components, open_store, require_clusters

if TYPE_CHECKING:
    from tracker.history import RunChanges, ScanRows
    from tracker.store import Store, StoredScan

_BEHIND_ORDER = {Behind.PATCH: 1, Behind.MINOR: 2, Behind.MAJOR: 3}


@dataclass(frozen=True)
class RowFilter:
    """Filters of ``tracker query``; None means "any".

    Attributes:
        behind: rows at least this far behind (``minor`` matches minor and major).
        older_than: rows whose running version is lower than this version
            (rows with an unknown version never match).
        eol_before: rows whose support ends before this date (the end that counts: end of
            extended support on EKS, else end of life; rows without a dated window never match).
        advisory: rows affected by this advisory (``CVE-2025-1974`` or ``GHSA-...``:
            the advisory id or any alias, case-insensitive).
    """

    component: str | None = None
    cluster: str | None = None
    namespace: str | None = None
    status: Status | None = None
    flag: Flag | None = None
    behind: Behind | None = None
    older_than: ParsedVersion | None = None
    eol_before: date | None = None
    advisory: str | None = None

    @classmethod
    def build(
        cls,
        *,
        component: str | None = None,
        cluster: str | None = None,
        namespace: str | None = None,
        status: str | None = None,
        flag: str | None = None,
        behind: str | None = None,
        older_than: str | None = None,
        eol_before: str | None = None,
        advisory: str | None = None,
    ) -> RowFilter:
        """Build a filter from command-line strings.

        Raises:
            ValueError: ``older_than`` is not a plain version (``1.22``, ``v1.22.3``,
                ``1.23.0-rc.1``); ``latest``, ``1.x`` or ``1.22-alpine`` are refused, and
                the message names the option and the value.
        """
        version = None
        if older_than is not None:
            parsed = parse_version(older_than)
            if isinstance(parsed, Unparsed):
                reason = parsed.reason.removeprefix("not a version: ")
                raise ValueError(f"--older-than {older_than!r} is not a version: {reason}")
            if parsed.variant is not None:
                # the image-tag rule would read "1.x" as 1 with a variant "x": refuse it
                raise ValueError(
                    f"--older-than {older_than!r} is not a version: unexpected suffix "
                    f"{parsed.variant!r}"
                )
            version = parsed
        before = None
        if eol_before is not None:
            try:
                before = date.fromisoformat(eol_before)
            except ValueError:
                raise ValueError(
                    f"--eol-before {eol_before[:40]!r} is not a date (YYYY-MM-DD)"
                ) from None
        return cls(
            component=component,
            cluster=cluster,
            namespace=namespace,
            status=Status(status) if status else None,
            flag=Flag(flag) if flag else None,
            behind=Behind(behind) if behind else None,
            older_than=version,
            eol_before=before,
            advisory=advisory.strip().upper() if advisory else None,
        )

    def matches(self, row: ComponentReport) -> bool:
        """True when ``row`` passes every filter that is set."""
        c = row.component
        if self.component is not None and c.component != self.component:
            return False
        if self.cluster is not None and row.cluster != self.cluster:
            return False
        if self.namespace is not None and c.namespace != self.namespace:
            return False
        if self.status is not None and row.status != self.status:
            return False
        if self.flag is not None and self.flag not in row.flags:
            return False
        if self.behind is not None and (
            row.behind is None or _BEHIND_ORDER[row.behind] < _BEHIND_ORDER[self.behind]
        ):
            return False
        if self.advisory is not None and not any(
            self.advisory == i.upper() for a in row.advisories for i in (a.id, *a.aliases)
        ):
            return False
        if self.older_than is not None:
            # row.current is the evaluated, normalized version (None when unknown)
            current = parse_version(row.current) if row.current else None
            if not isinstance(current, ParsedVersion):
                return False
            if not current.version < self.older_than.version:
                return False
        if self.eol_before is not None:
            end = support_end(row)
            if end is None or not end < self.eol_before:
                return False
        return True


def support_end(row: ComponentReport) -> date | None:
    """The end of support that counts for ``row``: end of extended support where it applies
    without opting in (EKS), else end of life; None without a dated support window."""
    from tracker.evaluate.lifecycle import EXTENDED_BY_DEFAULT

    support = row.support
    if support is None:
        return None
    if support.product in EXTENDED_BY_DEFAULT and support.eoes is not None:
        return support.eoes
    return support.eol


def query_rows(store: Store, row_filter: RowFilter) -> list[ComponentReport]:
    """The evaluated rows of the latest evaluated scan of each cluster that pass ``row_filter``.

    Raises:
        StoreError: the store cannot be read.
    """
    rows = store.latest_report_rows(cluster=row_filter.cluster, component=row_filter.component)
    return [r for r in rows if row_filter.matches(r)]


CARRY_BACK = 30
"""How many evaluated runs further back :func:`cluster_history` looks for a source or
namespace a run's previous run did not read (as the nightly job does)."""


class _EvaluatedRuns:
    """A cluster's evaluated runs, newest first, read from the store as far as asked.

    Scans never evaluated (no ``report``/``run`` after the scan) are skipped; each scan's
    rows are read once.
    """

    def __init__(self, store: Store, cluster: str, window: int) -> None:
        self._store, self._cluster, self._window = store, cluster, max(window, 1)
        self._rows: dict[int, list[ComponentReport]] = {}
        self._runs: list[tuple[StoredScan, list[ComponentReport]]] = []
        self._ended = False
        self._read()

    def _read(self) -> None:
        scans = self._store.scans(self._cluster, limit=self._window)
        for scan in scans:
            if scan.id not in self._rows:
                self._rows[scan.id] = self._store.report_rows(scan.id)
        self._runs = [(scan, self._rows[scan.id]) for scan in scans if self._rows[scan.id]]
        self._ended = len(scans) < self._window

    def get(self, index: int) -> tuple[StoredScan, list[ComponentReport]] | None:
        """The ``index``-th evaluated run (0: the newest), or None past the oldest."""
        while index >= len(self._runs) and not self._ended:
            self._window *= 2
            self._read()
        return self._runs[index] if index < len(self._runs) else None

    def older(self, start: int, count: int) -> Iterator[ScanRows]:
        """Runs ``start``, ``start + 1``, … (at most ``count``), read lazily."""
        from tracker.history import ScanRows

        for index in range(start, start + count):
            found = self.get(index)
            if found is None:
                return
            yield ScanRows(found[1], found[0].summary.namespaces)


def cluster_history(store: Store, cluster: str, *, limit: int = 10) -> list[RunChanges]:
    """The last ``limit`` evaluated runs of ``cluster``, newest first, each diffed with its parent.

    Runs whose scan was never evaluated (no ``report``/``run`` after the scan) are skipped.
    What a run's parent did not read (nodes, a namespace left out with ``scan -n``) is
    taken from the newest run before it that read it, up to :data:`CARRY_BACK` runs further
    back (:func:`tracker.history.carry_unscanned`), as the nightly digest does.

    Raises:
        StoreError: the store cannot be read.
    """
    from tracker.history import RunChanges, ScanRows, carry_unscanned, diff_findings

    evaluated = _EvaluatedRuns(store, cluster, limit + 1)
    runs: list[RunChanges] = []
    for index in range(limit):
        found = evaluated.get(index)
        if found is None:
            break
        scan, rows = found
        here = ScanRows(rows, scan.summary.namespaces)
        parent = evaluated.get(index + 1)
        changes = None
        if parent is not None:
            before = ScanRows(parent[1], parent[0].summary.namespaces)
            previous = carry_unscanned(before, here, evaluated.older(index + 2, CARRY_BACK))
            changes = diff_findings(previous, rows, here.namespaces)
        runs.append(
            RunChanges(
                cluster=cluster,
                scan_id=scan.id,
                scanned_at=scan.summary.scanned_at,
                changes=changes,
                open_rows=tuple(r for r in rows if r.findings),
                namespaces=scan.summary.namespaces,
            )
        )
    return runs


def run_query(settings: Settings, row_filter: RowFilter) -> list[ComponentReport]:
    """``tracker query``: the stored rows that pass ``row_filter``.

    Raises:
        ConfigError: no row matched and ``row_filter.component`` is not a catalogue id (the
            hint suggests close ids; the catalogue is loaded only then).
        ReportError: the store holds no scan, or no scan of ``row_filter.cluster``.
        StoreError: the store cannot be read.
    """
    with open_store(settings, read_only=True) as store:
        require_clusters(store, [row_filter.cluster] if row_filter.cluster else None)
        rows = query_rows(store, row_filter)
    if not rows and row_filter.component is not None:  # the catalogue only when nothing matched
        known = load_components(settings)
        if row_filter.component not in known:
            import difflib

            close = difflib.get_close_matches(row_filter.component, list(known), n=3)
            raise ConfigError(
                f"--component {row_filter.component!r} is not a catalogue id",
                f"did you mean {', '.join(close)}?"
                if close
                else "ids are lowercase, e.g. istio, kubernetes, cert-manager",
            )
    return rows


def run_history(
    settings: Settings, *, clusters: Sequence[str] = (), limit: int = 10
) -> dict[str, list[RunChanges]]:
    """``tracker history``: cluster -> its last ``limit`` evaluated runs, newest first.

    Raises:
        ReportError: the store holds no scan, or no scan of a cluster asked for.
        StoreError: the store cannot be read.
    """
    with open_store(settings, read_only=True) as store:
        names = require_clusters(store, clusters)
        return {name: cluster_history(store, name, limit=limit) for name in names}
