"""The nightly job (``tracker run``): scan -> sync -> evaluate -> save -> report -> notify.

The job is safe to re-run and safe against a second copy: it holds the store's
``run:<cluster>`` lock while it writes, and only one process syncs at a time (the ``sync``
lock; a process that finds it held skips the sync).

A failed step is reported (one line in :attr:`NightlyResult.errors`) and the later steps
still run where they can: a failed sync still reports on stored data (with a staleness
warning); a failed scan still reports the cluster's last stored scan; a notification that
cannot be delivered stays in the store's outbox and is retried by the next runs (see
:mod:`tracker.workflows.notify`, the one delivery).

Delivery is at least once, never exactly once: a run that dies after a target accepted a
message but before the outbox recorded it sends the message again next time; a run that
dies before its notifications were queued is diffed again by the next run, so changes are
announced late, never lost.

Baseline. Changes are computed against the scan the last *finished* run of this cluster
evaluated (``Store.last_job_run_rows``), not against whatever was evaluated last:
``tracker scan`` / ``tracker report`` in between do not move it. A run queues its
notifications and marks its scan as the new baseline in one transaction
(``Store.finish_job_run``) at its very end.

The scan comes first, before the sync, so that a first sync knows the oldest version
running in this cluster and pages back only that far.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.errors import InventoryError, LockError, ReportError, UpstreamError
from tracker.models import CatalogueEntry, Inventory, Report
from tracker.workflows.common import load_components, open_store, today
from tracker.workflows.notify import deliver_outbox, notifiers_for
from tracker.workflows.report import evaluate_report, save_report
from tracker.workflows.scan import SourceOptions, inventory_source
from tracker.workflows.sync import (
    ProgressFactory,
    SyncOptions,
    no_progress,
    sync_advisory_data,
    sync_upstream,
    tracked_projects,
)

if TYPE_CHECKING:
    from tracker.evaluate.waivers import Waiver
    from tracker.history import FindingChanges, ScanRows
    from tracker.inventory.base import InventorySource
    from tracker.notify.base import Notifier
    from tracker.store import Store
    from tracker.upstream.sync import SyncSummary


@dataclass(frozen=True)
class NightlyResult:
    """What one run did.

    Attributes:
        cluster: the cluster scanned (or reported, when the scan failed).
        report: the evaluated report of that cluster, or None when nothing could be reported.
        changes: findings new/resolved since the last finished run of this cluster; None
            when no run of it ever finished.
        sync: the sync summary, or None when the sync was skipped (see ``sync_skipped``).
        errors: one line per failed step (the job went on where it could).
        warnings: one line each (forbidden namespaces, stale release data, …).
        files: report files written.
        notifications_sent: messages delivered this run (outbox backlog included).
        notifications_pending: messages still in the outbox after this run.
    """

    cluster: str
    report: Report | None
    changes: FindingChanges | None
    sync: SyncSummary | None
    sync_skipped: str | None
    errors: tuple[str, ...]
    warnings: tuple[str, ...]
    files: tuple[Path, ...]
    notifications_sent: int
    notifications_pending: int


def sync_is_fresh(
    last_synced: Mapping[str, datetime], projects: Sequence[str], now: datetime, within: timedelta
) -> bool:
    """True when every project in ``projects`` synced successfully within ``within`` of ``now``."""
    return bool(projects) and all(
        p in last_synced and now - last_synced[p] <= within for p in projects
    )


_REPORT_FORMATS = (("markdown", "md"), ("json", "json"), ("html", "html"))


def report_files(report_dir: Path, cluster: str, today: date) -> tuple[Path, ...]:
    """The Markdown, JSON and HTML paths for one cluster's report of one day.

    >>> [p.name for p in report_files(Path("/r"), "prod-eu", date(2026, 11, 30))]
    ['prod-eu-2026-11-30.md', 'prod-eu-2026-11-30.json', 'prod-eu-2026-11-30.html']
    """
    stem = f"{_file_safe(cluster)}-{today.isoformat()}"
    return tuple(report_dir / f"{stem}.{suffix}" for _, suffix in _REPORT_FORMATS)


def _file_safe(cluster: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in cluster)


def report_link(template: str | None, cluster: str, today: date) -> str | None:
    """The digest's link to the report: ``report.url`` with ``{cluster}`` (the name as in
    :func:`report_files`, percent-encoded) and ``{date}`` (ISO) filled in; None without a
    template.

    >>> report_link("https://r.example/{cluster}-{date}.html", "prod eu", date(2026, 11, 30))
    'https://r.example/prod_eu-2026-11-30.html'
    """
    if not template:
        return None
    from urllib.parse import quote

    return template.format(cluster=quote(_file_safe(cluster), safe="-_."), date=today.isoformat())


def nightly(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    source: InventorySource,
    *,
    cluster: str | None,
    today: date,
    now: datetime,
    sync: SyncOptions,
    notifiers: Mapping[str, Notifier],
    notify_when: str = Settings.notify_when,
    report_dir: Path | None = None,
    report_url: str | None = None,
    stale_after: timedelta = Settings.sync_stale_after,
    lock_wait_seconds: float = 0.0,
    waivers: Sequence[Waiver] = (),
) -> NightlyResult:
    """Run the nightly job once for one cluster, over an open store (the library core).

    Args:
        cluster: the name the scan is stored under; None: the source's own name (the
            kubeconfig context or the dump file's stem).
        today: the day findings are computed for; ``now``: the run's time (UTC).
        notifiers: target name (``slack``, ``webhook``) -> notifier; empty: no notification.
        report_dir: where to write ``<cluster>-<date>.md``, ``.json`` and ``.html``; None:
            not written.
        report_url: the ``report.url`` template the digests link (:func:`report_link`);
            None: no link (a path on the job's host is never sent).
        lock_wait_seconds: how long to wait for another run of this cluster to finish.
        waivers: the config's ``[[waivers]]`` (stale ones become report warnings).

    Raises:
        InventoryError: the scan failed and no ``cluster`` name was given (nothing to report).
        LockError: another run of this cluster holds the lock (after ``lock_wait_seconds``).
        StoreError: the store cannot be opened or written at all.
    """
    from tracker.history import ScanRows, carry_unscanned, diff_findings
    from tracker.identify.registry import identify
    from tracker.notify.base import should_notify

    errors: list[str] = []
    warnings: list[str] = []
    inventory: Inventory | None = None
    try:
        inventory = source.collect()  # read-only: done before taking the lock
    except InventoryError as exc:
        if cluster is None:
            raise  # no name to report stored data under: the scan's own error says it all
        errors.append(f"scan failed: {exc}")
    if inventory is not None and cluster is not None and inventory.cluster != cluster:
        inventory = replace(inventory, cluster=cluster)
    name = inventory.cluster if inventory is not None else cluster
    assert name is not None  # collect() succeeded, or cluster was given
    with store.job_lock(f"run:{name}", wait_seconds=lock_wait_seconds):
        # The baseline is read before this run stores anything, and stays the baseline
        # until finish_job_run below commits: a crash in between is diffed again next time.
        baseline = store.last_job_run(name)
        scan_id: int | None = None
        if inventory is not None:
            scan_id = store.save_scan(inventory, identify(inventory, catalogue))
            warnings += inventory.warnings

        summary, skipped = _sync(store, catalogue, sync, now, errors)

        # This run's own scan, even when another process stored a newer one meanwhile.
        if scan_id is not None:
            stored = store.scan(scan_id)
        else:
            stored = next(iter(store.scans(name, limit=1)), None)
        if stored is None:
            if not errors:  # a failed scan already said why there is nothing to report
                errors.append(f"no scan of cluster {name!r} is stored: nothing to report")
            return NightlyResult(
                name, None, None, summary, skipped, tuple(errors), tuple(warnings), (), 0, 0
            )
        evaluated = evaluate_report(
            store,
            catalogue,
            today=today,
            now=now,
            stale_after=stale_after,
            scans=[stored],
            waivers=waivers,
        )
        save_report(store, evaluated)
        report = evaluated.report
        warnings += report.warnings
        changes = None
        if baseline is not None:  # what the baseline run did not read: an earlier run's rows
            here = ScanRows(report.components, stored.summary.namespaces)
            before = ScanRows(baseline.rows, baseline.namespaces)
            previous = carry_unscanned(before, here, _earlier(store, name, scan_id))
            changes = diff_findings(previous, report.components, here.namespaces)

        files: tuple[Path, ...] = ()
        if report_dir is not None:
            try:
                files = _write_reports(report, report_dir, name, today)
            except ReportError as exc:
                errors.append(str(exc))

        link = report_link(report_url, name, today)
        notifications = [
            (target, name, notifier.build_payload(report, changes, cluster=name, report_link=link))
            for target, notifier in notifiers.items()
            if should_notify(notify_when, changes)
        ]
        if not notifiers and notify_when != "never" and should_notify(notify_when, changes):
            warnings.append(
                "no notification target is configured (TRACKER_SLACK_WEBHOOK_URL, "
                "TRACKER_WEBHOOK_URL or [notify] settings): this run's changes were not sent; "
                'set notify.when = "never" to silence this'
            )
        if scan_id is not None:
            store.finish_job_run(scan_id, now, notifications)
        else:  # the scan failed: the stored scan reported is not this run's, no new baseline
            for target, cluster_name, payload in notifications:
                store.enqueue_notification(target, cluster_name, payload)
        delivery = deliver_outbox(store, notifiers)
    return NightlyResult(
        name,
        report,
        changes,
        summary,
        skipped,
        (*errors, *delivery.errors),
        (*warnings, *delivery.warnings),
        files,
        delivery.sent,
        delivery.pending,
    )


def _sync(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    options: SyncOptions,
    now: datetime,
    errors: list[str],
) -> tuple[SyncSummary | None, str | None]:
    if not options.enabled:
        return None, "sync disabled"
    projects = tracked_projects(catalogue)
    if sync_is_fresh(store.last_synced(), projects, now, options.min_interval):
        return None, f"upstream data synced within {options.min_interval}"
    try:
        with store.job_lock("sync", wait_seconds=0):
            summary = sync_upstream(store, catalogue, options, now=now, projects=projects)
            if not summary.source_stopped("github"):  # as `tracker sync` does
                summary = sync_advisory_data(store, catalogue, options, summary, now=now)
    except LockError:
        return None, "another tracker process is syncing upstream data"
    except UpstreamError as exc:
        errors.append(f"sync failed: {exc}")
        return None, None
    if not summary.ok:
        if summary.unreachable:
            errors.append(f"sync stopped: {summary.unreachable}; stored releases were kept")
            return summary, None
        failed = ", ".join(sorted(summary.failures)[:5])
        errors.append(
            f"sync incomplete: {len(summary.failures)} "
            f"project{'' if len(summary.failures) == 1 else 's'} not synced ({failed}); "
            "stored releases were kept"
        )
    return summary, None


def _write_reports(report: Report, report_dir: Path, cluster: str, today: date) -> tuple[Path, ...]:
    from tracker.report import get_formatter

    paths = report_files(report_dir, cluster, today)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        for (name, _), path in zip(_REPORT_FORMATS, paths, strict=True):
            path.write_text(get_formatter(name).format(report), encoding="utf-8")
    except OSError as exc:
        raise ReportError(
            f"cannot write reports to {report_dir}: {exc.strerror}",
            "check report.dir / --report-dir and its permissions",
        ) from None
    return paths


@dataclass(frozen=True)
class NightlyOptions:
    """``tracker run``'s own options (the rest comes from Settings).

    Attributes:
        source: where the inventory comes from.
        sync: False: do not sync (``--no-sync``).
        lock_wait_seconds: how long to wait for another run of this cluster.
    """

    source: SourceOptions = field(default_factory=SourceOptions)
    sync: bool = True
    lock_wait_seconds: float = 0.0


def run_nightly(
    settings: Settings, options: NightlyOptions, *, progress: ProgressFactory = no_progress
) -> NightlyResult:
    """``tracker run``: :func:`nightly` over the configured store, cluster and targets.

    ``settings.cluster_name`` names the cluster, ``settings.report_dir`` is where report
    files go; ``progress`` is given the number of projects to sync.

    Raises:
        as :func:`nightly`, plus ConfigError / IdentifyError for settings and catalogue.
    """
    import httpx

    catalogue = load_components(settings)
    sync = SyncOptions.from_settings(settings, enabled=options.sync)
    source = inventory_source(options.source, settings.cluster_name)
    with (
        open_store(settings) as store,
        httpx.Client(timeout=settings.notify_timeout_seconds) as client,
        progress(len(tracked_projects(catalogue))) as each,
    ):
        return nightly(
            store,
            catalogue,
            source,
            cluster=settings.cluster_name,
            today=today(),
            now=datetime.now(UTC),
            sync=replace(sync, progress=each),
            notifiers=notifiers_for(settings, client),
            notify_when=settings.notify_when,
            report_dir=settings.report_dir,
            report_url=settings.report_url,
            stale_after=settings.sync_stale_after,
            lock_wait_seconds=options.lock_wait_seconds,
            waivers=settings.waivers,
        )


def _earlier(store: Store, cluster: str, scan_id: int | None) -> Iterator[ScanRows]:
    """Evaluated rows of the cluster's stored scans with the namespaces each read, newest
    first, this run's own scan left out; rows read lazily (only as far back as a missing
    source or namespace needs), at most 30 scans."""
    from tracker.history import ScanRows

    for scan in store.scans(cluster, limit=30):
        if scan.id != scan_id:
            yield ScanRows(store.report_rows(scan.id), scan.summary.namespaces)
