"""Wiring only: inventory -> identify -> store -> evaluate -> report.

Each function takes what it needs (a source, a store, the catalogue, ``today``) and calls
one stage after the other; no stage logic lives here. The CLI calls these functions; any
other program can too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx

from tracker.evaluate import evaluate, running_version
from tracker.evaluate.base import ReleaseStream
from tracker.identify.registry import identify
from tracker.inventory.base import InventorySource
from tracker.models import (
    CatalogueEntry,
    ClusterUnidentified,
    ComponentReport,
    Identification,
    Inventory,
    Report,
)
from tracker.store.repository import Store, StoredScan
from tracker.upstream.github import GitHubReleaseSource, default_client, token_key
from tracker.upstream.sync import OldestNeeded, ProgressCallback, SyncSummary, sync_projects
from tracker.versions import ParsedVersion


@dataclass(frozen=True)
class ScanResult:
    """What one scan stored: its id, the inventory read and what identify made of it."""

    scan_id: int
    inventory: Inventory
    identification: Identification


def scan(
    source: InventorySource, store: Store, catalogue: Mapping[str, CatalogueEntry]
) -> ScanResult:
    """Inventory one cluster, identify what runs, and store the scan.

    Raises:
        InventoryError: the cluster or dump could not be read (nothing is stored then).
        StoreError: the scan could not be written (the store is left as it was).
    """
    inventory = source.collect()
    identification = identify(inventory, catalogue)
    scan_id = store.save_scan(inventory, identification)
    return ScanResult(scan_id, inventory, identification)


def stale_projects(
    last_synced: Mapping[str, datetime],
    projects: Sequence[str],
    now: datetime,
    stale_after: timedelta,
) -> list[str]:
    """The projects among ``projects`` whose last successful sync is older than ``stale_after``.

    Projects never synced from GitHub (catalogue imported from a file) are not stale.
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


def build_report(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    *,
    today: date,
    now: datetime | None = None,
    clusters: Sequence[str] | None = None,
    stale_after: timedelta = timedelta(days=2),
    save: bool = True,
    scans: Sequence[StoredScan] | None = None,
) -> Report:
    """Evaluate the latest scan of each cluster against the stored release catalogue.

    The evaluated rows are stored with their scan (history and queries read them), so
    re-running a report is safe: it replaces that scan's rows, except for a scan a nightly
    job run has finished, whose rows the store keeps as that run's baseline.

    Args:
        today: the day findings are computed for (``days_behind`` counts up to it).
        now: the report's ``generated_at`` (default: the current UTC time).
        clusters: only these clusters (default: every cluster in the store).
        stale_after: warn when a project's releases were last synced longer ago than this.
        save: store the evaluated rows with their scan (False: read-only, e.g. a dry run).
        scans: evaluate exactly these scans instead of each cluster's latest (a nightly run
            reports its own scan, even when another process stored a newer one meanwhile).

    Raises:
        StoreError: the store cannot be read or written.
    """
    now = now or datetime.now(UTC)
    releases = store.all_releases()
    if scans is None:
        if clusters is not None and len(clusters) == 1:
            scans = store.latest_scans(clusters[0])
        else:
            wanted = set(clusters) if clusters is not None else None
            scans = [s for s in store.latest_scans() if wanted is None or s.summary.name in wanted]
    rows: list[ComponentReport] = []
    unidentified: list[ClusterUnidentified] = []
    streams: dict[tuple[str, str], ReleaseStream] = {}
    for stored in scans:
        name = stored.summary.name
        components = stored.identification.components
        evaluated = evaluate(name, components, catalogue, releases, today, stream_cache=streams)
        if save:
            store.save_report_rows(stored.id, evaluated)
        rows += evaluated
        unidentified += [ClusterUnidentified(name, u) for u in stored.identification.unidentified]
    used = [r.component.project for r in rows if r.component.project]
    stale = stale_projects(store.last_synced(), used, now, stale_after)
    warnings = (
        [
            f"release data for {len(stale)} project(s) is older than {human_duration(stale_after)} "
            f"({', '.join(stale[:5])}{', …' if len(stale) > 5 else ''}): run `tracker sync`"
        ]
        if stale
        else []
    )
    return Report(
        generated_at=now,
        clusters=tuple(s.summary for s in scans),
        components=tuple(rows),
        unidentified=tuple(unidentified),
        warnings=tuple(warnings),
    )


def tracked_projects(catalogue: Mapping[str, CatalogueEntry]) -> list[str]:
    """Every GitHub project the catalogue tracks, sorted, without duplicates."""
    return sorted({e.project for e in catalogue.values() if e.project})


def oldest_running(
    store: Store, catalogue: Mapping[str, CatalogueEntry]
) -> dict[str, list[OldestNeeded]]:
    """Project -> the running versions (with their stream's tag rule) of every latest scan.

    A sync pages back until these are covered: the first one, and any later one whose stored
    releases no longer cover a running version (see ``sync_projects``).
    """
    needed: dict[str, dict[tuple[str, str], OldestNeeded]] = {}
    for stored in store.latest_scans():
        for component in stored.identification.components:
            entry = catalogue.get(component.component)
            if entry is None or not entry.project:
                continue
            running = running_version(component, entry)  # applies the image tag rule
            if not isinstance(running, ParsedVersion):
                continue  # an unknown version cannot tell how far back to page
            need = OldestNeeded(entry.tag_pattern, running.normalized)
            needed.setdefault(entry.project, {})[(need.tag_pattern, need.version)] = need
    return {project: list(needs.values()) for project, needs in needed.items()}


def sync_catalogue(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    *,
    api_url: str,
    token: str | None,
    now: datetime,
    projects: Sequence[str] | None = None,
    full: bool = False,
    concurrency: int = 8,
    max_pages: int | None = None,
    timeout_seconds: float = 30.0,
    progress: ProgressCallback | None = None,
    client: httpx.Client | None = None,
) -> SyncSummary:
    """Refresh the release catalogue from GitHub for ``projects`` (default: every tracked one).

    Args:
        api_url: GitHub REST base URL (GitHub Enterprise: ``https://HOST/api/v3``).
        token: GitHub token or None (anonymous: 60 requests per hour).
        timeout_seconds: per-request timeout.
        client: an httpx client to use (tests); default: a pooled client sized to ``concurrency``.

    Returns:
        The run's :class:`SyncSummary` (its ``warnings`` include the anonymous-limit notice).

    Raises:
        StoreError: the store cannot be read or written. Per-project failures are in the summary.
    """
    wanted = list(projects) if projects else tracked_projects(catalogue)
    own_client = client is None
    http = client or default_client(timeout=timeout_seconds, concurrency=concurrency)
    try:
        source = GitHubReleaseSource(http, api_url=api_url, token=token)
        summary = sync_projects(
            store,
            source,
            wanted,
            token_key=token_key(token),
            now=now,
            full=full,
            concurrency=concurrency,
            max_pages=max_pages,
            oldest_needed=oldest_running(store, catalogue),
            progress=progress,
        )
    finally:
        if own_client:
            http.close()
    return summary


def fleet_report(store: Store, clusters: Sequence[str] | None = None) -> Report:
    """The fleet view's data: each cluster's latest *evaluated* run, read back as stored.

    Read-only and fast on a shared store (no re-evaluation): it shows what each cluster's
    last ``tracker run`` / ``tracker report`` decided. Clusters scanned but never evaluated
    appear with no rows.

    Raises:
        StoreError: the store cannot be read.
    """
    wanted = set(clusters or ())
    rows = [r for r in store.latest_report_rows() if not wanted or r.cluster in wanted]
    summaries = tuple(
        s.summary for s in store.latest_scans() if not wanted or s.summary.name in wanted
    )
    return Report(datetime.now(UTC), summaries, tuple(rows), ())
