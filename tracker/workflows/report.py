"""``tracker report``: evaluate stored scans against stored upstream data, then save the rows.

Evaluating (:func:`evaluate_report`) only reads the store; saving (:func:`save_report`) is a
second, explicit call. ``tracker report`` and ``tracker run`` make both; ``tracker notify``
and the demo only evaluate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.errors import ReportError
from tracker.fleet import Fleet
from tracker.models import CatalogueEntry, ClusterUnidentified, ComponentReport, Report
from tracker.workflows.common import (
    load_components,
    open_store,
    require_clusters,
    store_writable,
    today,
)

if TYPE_CHECKING:
    from tracker.evaluate.base import ReleaseStream
    from tracker.evaluate.lifecycle_check import LifecycleContext
    from tracker.evaluate.waivers import Waiver
    from tracker.store import Store, StoredScan


@dataclass(frozen=True)
class EvaluatedReport:
    """An evaluation of stored scans, not saved yet.

    Attributes:
        report: what the formatters render.
        rows_by_scan: scan id -> that scan's evaluated rows (what :func:`save_report` stores).
    """

    report: Report
    rows_by_scan: Mapping[int, tuple[ComponentReport, ...]]


def stale_projects(
    last_synced: Mapping[str, datetime],
    projects: Sequence[str],
    now: datetime,
    stale_after: timedelta,
) -> list[str]:
    """The projects among ``projects`` whose last successful sync is older than ``stale_after``.

    Projects never synced (upstream data imported from a file) are not stale.
    """
    return sorted(
        p for p in set(projects) if p in last_synced and now - last_synced[p] > stale_after
    )


def human_duration(delta: timedelta) -> str:
    """``2 days``, ``12 hours``, ``30 minutes`` (the largest whole unit).

    >>> human_duration(timedelta(hours=36))
    '36 hours'
    """
    seconds = int(delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


def evaluate_report(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    *,
    today: date,
    now: datetime | None = None,
    clusters: Sequence[str] | None = None,
    stale_after: timedelta = Settings.sync_stale_after,
    scans: Sequence[StoredScan] | None = None,
    waivers: Sequence[Waiver] = (),
    warn_before: timedelta = Settings.lifecycle_warn_before,
) -> EvaluatedReport:
    """Evaluate the latest scan of each cluster against the stored upstream data. Read-only.

    Args:
        today: the day findings are computed for (``days_behind`` counts up to it).
        now: the report's ``generated_at`` (default: the current UTC time).
        clusters: only these clusters (default: every cluster in the store).
        stale_after: warn when a project's releases were last synced longer ago than this.
        scans: evaluate exactly these scans instead of each cluster's latest (a nightly run
            reports its own scan, even when another process stored a newer one meanwhile).
        waivers: the config's ``[[waivers]]``; waivers matching no finding of the report
            become report warnings (stale policy).

    Raises:
        StoreError: the store cannot be read.
    """
    from tracker.evaluate import LifecycleContext, evaluate
    from tracker.evaluate.skew import istio_support_from_cycles
    from tracker.evaluate.waive import stale_warnings
    from tracker.upstream.lifecycle_sync import stored_archived, stored_products

    now = now or datetime.now(UTC)
    releases = store.all_releases()
    lifecycle = LifecycleContext(
        catalogue, stored_products(store), stored_archived(store), warn_before=warn_before
    )
    if scans is None:
        if clusters is not None and len(clusters) == 1:
            scans = store.latest_scans(clusters[0])
        else:
            wanted = set(clusters) if clusters is not None else None
            scans = [s for s in store.latest_scans() if wanted is None or s.summary.name in wanted]
    rows: list[ComponentReport] = []
    by_scan: dict[int, tuple[ComponentReport, ...]] = {}
    calendars: dict[int, LifecycleContext] = {}
    unidentified: list[ClusterUnidentified] = []
    streams: dict[tuple[str, str], ReleaseStream] = {}
    support = istio_support_from_cycles(store.documents("cycles", "istio"))
    for stored in scans:
        name = stored.summary.name
        components = stored.identification.components
        calendars[stored.id] = replace(lifecycle, distribution=stored.summary.distribution)
        evaluated = evaluate(
            name,
            components,
            catalogue,
            releases,
            today,
            stream_cache=streams,
            waivers=waivers,
            istio_support=support,
            lifecycle=calendars[stored.id],
        )
        by_scan[stored.id] = tuple(evaluated)
        rows += evaluated
        unidentified += [ClusterUnidentified(name, u) for u in stored.identification.unidentified]
    rows, advisory_warnings = _advisories(store, catalogue, rows, by_scan, calendars, today)
    if waivers:
        # vulnerable findings come after evaluate(): waive them too (by kind or advisory id)
        from tracker.evaluate.waive import apply_waivers
        from tracker.models import Flag

        by_scan = {
            sid: tuple(apply_waivers(scan_rows, waivers, today, only=Flag.VULNERABLE))
            for sid, scan_rows in by_scan.items()
        }
        rows = [r for scan_rows in by_scan.values() for r in scan_rows]
    used = [r.component.project for r in rows if r.component.project]
    stale = stale_projects(store.last_synced(), used, now, stale_after)
    warnings = (
        [
            f"release data for {len(stale)} project{'' if len(stale) == 1 else 's'} "
            f"is older than {human_duration(stale_after)} "
            f"({', '.join(stale[:5])}{', …' if len(stale) > 5 else ''}): run `tracker sync`"
        ]
        if stale
        else []
    )
    warnings += stale_warnings(rows, waivers, today, (s.summary.name for s in scans))
    warnings += lifecycle_warnings(store, lifecycle, now, stale_after)
    report = Report(
        generated_at=now,
        clusters=tuple(s.summary for s in scans),
        components=tuple(rows),
        unidentified=tuple(unidentified),
        warnings=(*warnings, *advisory_warnings),
    )
    return EvaluatedReport(report, by_scan)


def lifecycle_warnings(
    store: Store, lifecycle: LifecycleContext, now: datetime, stale_after: timedelta
) -> list[str]:
    """A warning when the stored support windows (endoflife.date) are older than
    ``stale_after``, or missing while the catalogue names products."""
    from tracker.upstream.lifecycle_sync import CYCLES

    fetched = store.documents_fetched(CYCLES)
    if not fetched:
        return []
    stale = sorted(p for p, when in fetched.items() if now - when > stale_after)
    if not stale:
        return []
    return [
        f"support window data (endoflife.date) for {len(stale)} product(s) is older than "
        f"{human_duration(stale_after)} ({', '.join(stale[:5])}{', …' if len(stale) > 5 else ''})"
        ": run `tracker sync`"
    ]


def _advisories(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    rows: list[ComponentReport],
    by_scan: dict[int, tuple[ComponentReport, ...]],
    calendars: Mapping[int, LifecycleContext],
    today: date,
) -> tuple[list[ComponentReport], list[str]]:
    """Add ``vulnerable`` findings from the stored advisories (one index per report); each
    scan's support calendars (its distribution's) judge the lines of the fixes named."""
    from tracker.evaluate.fix_support import FixAdvisor
    from tracker.evaluate.vulnerable import ADVISORIES_KIND, apply_advisories, index_from_documents

    documents = store.documents(ADVISORIES_KIND)
    if not documents:
        return rows, []
    index, _ = index_from_documents(documents)
    warnings: list[str] = []
    advisors: dict[str, FixAdvisor] = {}  # per product: shared by every scan
    for scan_id, scan_rows in by_scan.items():
        done, found = apply_advisories(
            scan_rows,
            catalogue,
            index,
            lifecycle=calendars.get(scan_id),
            today=today,
            advisors=advisors,
        )
        by_scan[scan_id] = tuple(done)
        warnings += found
    return [r for scan_rows in by_scan.values() for r in scan_rows], list(dict.fromkeys(warnings))


def save_report(store: Store, evaluated: EvaluatedReport) -> None:
    """Store the evaluated rows with their scans (history and queries read them).

    Re-saving is safe: it replaces a scan's rows, except for a scan a nightly run has
    finished, whose rows the store keeps as that run's baseline.

    Raises:
        StoreError: the store cannot be written.
    """
    for scan_id, rows in evaluated.rows_by_scan.items():
        store.save_report_rows(scan_id, rows)


def run_report(settings: Settings, *, clusters: Sequence[str] = ()) -> Report:
    """``tracker report``: evaluate each cluster's latest scan and save the rows.

    Args:
        clusters: only these clusters (default: every stored one).

    Raises:
        ReportError: the store holds no scan, or no scan of a cluster asked for.
        IdentifyError, StoreError: catalogue or store problems.
    """
    catalogue = load_components(settings)
    writable = store_writable(settings)
    with open_store(settings, read_only=not writable) as store:
        require_clusters(store, clusters)
        evaluated = evaluate_report(
            store,
            catalogue,
            today=today(),
            clusters=list(clusters) or None,
            stale_after=settings.sync_stale_after,
            waivers=settings.waivers,
            warn_before=settings.lifecycle_warn_before,
        )
        if writable:
            save_report(store, evaluated)
            return evaluated.report
    note = "the store is read-only: this evaluation was shown but not saved for history"
    return replace(evaluated.report, warnings=(*evaluated.report.warnings, note))


def fleet_report(store: Store, clusters: Sequence[str] | None = None) -> Report:
    """The fleet view's full data: each cluster's latest *evaluated* rows, read back as stored.

    Read-only, no re-evaluation: it shows what each cluster's last ``tracker run`` /
    ``tracker report`` decided, with the unidentified images of those same scans. Clusters
    scanned but never evaluated appear with no rows. Every row is read (the JSON and HTML
    views, ``--fail-on`` and metrics need them); the table and Markdown need only
    :func:`fleet_view`.

    Raises:
        StoreError: the store cannot be read.
    """
    wanted = set(clusters or ())
    rows = [r for r in store.latest_report_rows() if not wanted or r.cluster in wanted]
    summaries = tuple(s for s in store.latest_summaries() if not wanted or s.name in wanted)
    unidentified = [u for u in store.latest_unidentified() if not wanted or u.cluster in wanted]
    return Report(datetime.now(UTC), summaries, tuple(rows), tuple(unidentified))


def fleet_view(store: Store, clusters: Sequence[str] | None = None) -> Fleet:
    """The fleet table's figures, read without reading every row: per cluster the counts
    stored with its latest evaluated run, and the groups of versions with critical or
    warning findings, aggregated by the store (:meth:`Store.fleet_data`). The same figures
    as ``fleet_of(fleet_report(...))`` for the groups the table shows.

    Raises:
        StoreError: the store cannot be read.
    """
    from tracker.fleet import FleetCluster

    data = store.fleet_data(clusters=list(clusters) if clusters else None)
    lines = tuple(FleetCluster(summary.name, summary, counts) for summary, counts in data.clusters)
    return Fleet(datetime.now(UTC), lines, tuple(data.groups))


def run_fleet(settings: Settings, *, clusters: Sequence[str] = ()) -> Report:
    """``tracker report --all-clusters`` with every row (JSON, HTML, ``--fail-on``):
    :func:`fleet_report` of the configured store.

    Raises:
        ReportError: the store holds no scan (of the clusters asked for). StoreError.
    """
    with open_store(settings, read_only=True) as store:
        report = fleet_report(store, list(clusters) or None)
    if not report.clusters:
        raise _no_scan()
    return report


def run_fleet_view(settings: Settings, *, clusters: Sequence[str] = ()) -> Fleet:
    """``tracker report --all-clusters`` as a table or Markdown: :func:`fleet_view` of the
    configured store.

    Raises:
        ReportError: the store holds no scan (of the clusters asked for). StoreError.
    """
    with open_store(settings, read_only=True) as store:
        fleet = fleet_view(store, list(clusters) or None)
    if not fleet.clusters:
        raise _no_scan()
    return fleet


def _no_scan() -> ReportError:
    return ReportError("the store holds no scan yet", "run `tracker scan` or `tracker run` first")
