"""The nightly job (``tracker run``): scan -> sync -> evaluate -> store -> report -> notify.

Wiring only, like :mod:`tracker.pipeline`. The job is safe to re-run and safe against a
second copy: it holds the store's ``run:<cluster>`` lock while it writes, and only one
process syncs at a time (the ``sync`` lock; a process that finds it held skips the sync).

A failed step is reported (one line in :attr:`JobResult.errors`) and the later steps still
run where they can: a failed sync still reports on stored data (with a staleness warning);
a failed scan still reports the cluster's last stored scan; a notification that cannot be
delivered stays in the store's outbox and is retried by the next runs, up to
:data:`tracker.store.repository.MAX_NOTIFICATION_ATTEMPTS` failed sends (then given up with
a warning).

Delivery is at least once, never exactly once: a run that dies after a target accepted a
message but before the outbox recorded it sends the message again next time; a run that
dies before its notifications were queued is diffed again by the next run, so changes are
announced late, never lost.

Baseline. Changes are computed against the scan the last *finished* run of this cluster
evaluated (:meth:`Store.last_job_run_rows`), not against whatever was evaluated last:
``tracker scan`` / ``tracker report`` in between do not move it. A run queues its
notifications and marks its scan as the new baseline in one transaction
(:meth:`Store.finish_job_run`) at its very end.

The scan comes first, before the sync, so that a first sync knows the oldest version
running in this cluster and pages back only that far.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from tracker.errors import InventoryError, LockError, NotifyError, ReportError, UpstreamError
from tracker.history import FindingChanges, diff_findings
from tracker.identify.registry import identify
from tracker.inventory.base import InventorySource
from tracker.models import CatalogueEntry, Inventory, Report
from tracker.notify.base import Notifier, should_notify
from tracker.pipeline import build_report, sync_catalogue, tracked_projects
from tracker.report.json import JsonFormatter
from tracker.report.markdown import MarkdownFormatter
from tracker.store.repository import Store
from tracker.upstream.sync import ProgressCallback, SyncSummary


@dataclass(frozen=True)
class SyncOptions:
    """How the job syncs the release catalogue (see ``[github]`` and ``[sync]`` settings).

    Attributes:
        enabled: False skips the sync (``--no-sync``, the demo, air-gapped installs).
        min_interval: skip when every tracked project synced successfully within this.
        token: the GitHub token; kept out of ``repr()`` (logs, tracebacks).
        timeout_seconds: per-request timeout towards GitHub.
        client: an httpx client to use (tests); None: a pooled client per run.
    """

    enabled: bool = True
    api_url: str = "https://api.github.com"
    token: str | None = field(default=None, repr=False)
    concurrency: int = 8
    max_pages: int | None = None
    min_interval: timedelta = timedelta(hours=6)
    timeout_seconds: float = 30.0
    client: httpx.Client | None = None
    progress: ProgressCallback | None = None


@dataclass(frozen=True)
class JobResult:
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


def report_files(report_dir: Path, cluster: str, today: date) -> tuple[Path, Path]:
    """The Markdown and JSON paths for one cluster's report of one day.

    >>> [p.name for p in report_files(Path("/r"), "prod-eu", date(2026, 11, 30))]
    ['prod-eu-2026-11-30.md', 'prod-eu-2026-11-30.json']
    """
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in cluster)
    stem = f"{safe}-{today.isoformat()}"
    return report_dir / f"{stem}.md", report_dir / f"{stem}.json"


def run_job(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    source: InventorySource,
    *,
    cluster: str | None,
    today: date,
    now: datetime,
    sync: SyncOptions,
    notifiers: Mapping[str, Notifier],
    notify_when: str = "changes",
    report_dir: Path | None = None,
    stale_after: timedelta = timedelta(days=2),
    lock_wait_seconds: float = 0.0,
) -> JobResult:
    """Run the nightly job once for one cluster.

    Args:
        cluster: the name the scan is stored under; None: the source's own name (the
            kubeconfig context or the dump file's stem).
        today: the day findings are computed for; ``now``: the run's time (UTC).
        notifiers: target name (``slack``, ``webhook``) -> notifier; empty: no notification.
        report_dir: where to write ``<cluster>-<date>.md`` and ``.json``; None: not written.
        lock_wait_seconds: how long to wait for another run of this cluster to finish.

    Raises:
        InventoryError: the scan failed and no ``cluster`` name was given (nothing to report).
        LockError: another run of this cluster holds the lock (after ``lock_wait_seconds``).
        StoreError: the store cannot be opened or written at all.
    """
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
        previous = store.last_job_run_rows(name)
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
            return JobResult(
                name, None, None, summary, skipped, tuple(errors), tuple(warnings), (), 0, 0
            )
        report = build_report(
            store, catalogue, today=today, now=now, stale_after=stale_after, scans=[stored]
        )
        warnings += report.warnings
        changes = diff_findings(previous, report.components) if previous is not None else None

        files: tuple[Path, ...] = ()
        if report_dir is not None:
            try:
                files = _write_reports(report, report_dir, name, today)
            except ReportError as exc:
                errors.append(str(exc))

        link = str(files[0]) if files else None
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
        sent, pending = _flush_outbox(store, notifiers, errors, warnings)
    return JobResult(
        name,
        report,
        changes,
        summary,
        skipped,
        tuple(errors),
        tuple(warnings),
        files,
        sent,
        pending,
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
        return None, f"release catalogue synced within {options.min_interval}"
    try:
        with store.job_lock("sync", wait_seconds=0):
            summary = sync_catalogue(
                store,
                catalogue,
                api_url=options.api_url,
                token=options.token,
                now=now,
                projects=projects,
                concurrency=options.concurrency,
                max_pages=options.max_pages,
                timeout_seconds=options.timeout_seconds,
                progress=options.progress,
                client=options.client,
            )
    except LockError:
        return None, "another tracker process is syncing the catalogue"
    except UpstreamError as exc:
        errors.append(f"sync failed: {exc}")
        return None, None
    if not summary.ok:
        if summary.unreachable:
            errors.append(f"sync stopped: {summary.unreachable}; stored releases were kept")
            return summary, None
        failed = ", ".join(sorted(summary.failures)[:5])
        errors.append(
            f"sync incomplete: {len(summary.failures)} project(s) not synced ({failed}); "
            "stored releases were kept"
        )
    return summary, None


def _write_reports(report: Report, report_dir: Path, cluster: str, today: date) -> tuple[Path, ...]:
    markdown, json_path = report_files(report_dir, cluster, today)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        markdown.write_text(MarkdownFormatter().format(report), encoding="utf-8")
        json_path.write_text(JsonFormatter().format(report), encoding="utf-8")
    except OSError as exc:
        raise ReportError(
            f"cannot write reports to {report_dir}: {exc.strerror}",
            "check report.dir / --report-dir and its permissions",
        ) from None
    return markdown, json_path


OUTBOX_LOCK_WAIT_SECONDS = 120.0
"""How long a run waits for another run (of another cluster) that is flushing the outbox."""


def _flush_outbox(
    store: Store, notifiers: Mapping[str, Notifier], errors: list[str], warnings: list[str]
) -> tuple[int, int]:
    """Send every pending message whose target is configured; keep the rest for next run.

    Runs of different clusters hold different ``run:<cluster>`` locks, and each flushes
    the whole outbox (a message left by a failed run of another cluster included), so the
    flush itself holds the store's ``outbox`` lock: without it two runs could both read
    the same pending item and deliver it twice.
    """
    if not notifiers:
        return 0, len(store.pending_notifications())
    try:
        with store.job_lock("outbox", wait_seconds=OUTBOX_LOCK_WAIT_SECONDS):
            return _send_pending(store, notifiers, errors, warnings)
    except LockError:
        pending = len(store.pending_notifications())
        warnings.append(
            f"another tracker run kept the notification outbox busy: {pending} message(s) "
            "wait for the next run"
        )
        return 0, pending


def _send_pending(
    store: Store, notifiers: Mapping[str, Notifier], errors: list[str], warnings: list[str]
) -> tuple[int, int]:
    sent = 0
    pending = 0
    for item in store.pending_notifications():
        notifier = notifiers.get(item.target)
        if notifier is None:
            pending += 1
            continue
        try:
            notifier.send(item.payload)
        except NotifyError as exc:
            errors.append(f"notification to {item.target} for {item.cluster} not sent: {exc}")
            if store.mark_notification_failed(item.id, str(exc)):
                warnings.append(
                    f"notification to {item.target} for {item.cluster} given up after "
                    f"{item.attempts + 1} failed attempts: it will not be retried"
                )
            else:
                pending += 1
            continue
        store.mark_notification_sent(item.id)
        sent += 1
    return sent, pending
