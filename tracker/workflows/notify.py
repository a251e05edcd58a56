"""Notifications: the one outbox delivery, used by ``tracker run`` and ``tracker notify``.

Every message goes through the store's outbox: it is queued first, then
:func:`deliver_outbox` sends every pending message whose target is configured. A message
that cannot be delivered stays queued and is retried by the next ``run`` or ``notify``, up
to the store's maximum of failed attempts (then given up with a warning). Delivery is at
least once, never exactly once (see :mod:`tracker.workflows.nightly`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.config import Settings
from tracker.errors import ConfigError, LockError, NotifyError
from tracker.workflows.common import load_components, open_store, require_clusters, today
from tracker.workflows.report import evaluate_report

if TYPE_CHECKING:
    import httpx

    from tracker.notify.base import Notifier
    from tracker.store import Store

OUTBOX_LOCK_WAIT_SECONDS = 120.0
"""How long a delivery waits for another process (a run of another cluster) that is
delivering the outbox."""


def notifiers_for(settings: Settings, client: httpx.Client) -> dict[str, Notifier]:
    """Target name (``slack``, ``webhook``) -> notifier, for each target configured.

    Raises:
        ConfigError: a webhook URL file cannot be read.
    """
    from tracker.notify.slack import SlackNotifier
    from tracker.notify.webhook import WebhookNotifier

    notifiers: dict[str, Notifier] = {}
    if slack := settings.slack_webhook_url():
        notifiers["slack"] = SlackNotifier(client, slack)
    if hook := settings.webhook_url():
        notifiers["webhook"] = WebhookNotifier(client, hook)
    return notifiers


@dataclass(frozen=True)
class Delivery:
    """What one delivery of the outbox did.

    Attributes:
        delivered: ``(target, cluster)`` of each message sent, in send order.
        pending: messages still queued afterwards (failed, or no such target configured).
        errors: one line per message that failed this time (never a webhook URL).
        warnings: messages given up, or the outbox busy.
    """

    delivered: tuple[tuple[str, str], ...] = ()
    pending: int = 0
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def sent(self) -> int:
        """How many messages were delivered."""
        return len(self.delivered)


def deliver_outbox(store: Store, notifiers: Mapping[str, Notifier]) -> Delivery:
    """Send every queued message whose target is in ``notifiers``; keep the rest queued.

    Runs of different clusters hold different ``run:<cluster>`` locks, and each delivers
    the whole outbox (a message left by a failed run of another cluster included), so the
    delivery holds the store's ``outbox`` lock: without it two processes could both read
    the same pending item and deliver it twice. When the lock stays busy for
    :data:`OUTBOX_LOCK_WAIT_SECONDS`, nothing is sent (a warning says so).

    Raises:
        StoreError: the outbox cannot be read or written.
    """
    if not notifiers:
        return Delivery(pending=len(store.pending_notifications()))
    try:
        with store.job_lock("outbox", wait_seconds=OUTBOX_LOCK_WAIT_SECONDS):
            return _send_pending(store, notifiers)
    except LockError:
        pending = len(store.pending_notifications())
        return Delivery(
            pending=pending,
            warnings=(
                "another tracker run kept the notification outbox busy: "
                f"{pending} message{'' if pending == 1 else 's'} "
                "wait for the next run",
            ),
        )


def _send_pending(store: Store, notifiers: Mapping[str, Notifier]) -> Delivery:
    delivered: list[tuple[str, str]] = []
    errors: list[str] = []
    warnings: list[str] = []
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
        delivered.append((item.target, item.cluster))
    return Delivery(tuple(delivered), pending, tuple(errors), tuple(warnings))


@dataclass(frozen=True)
class NotifyResult:
    """What ``tracker notify`` did.

    Attributes:
        payloads: ``(target, cluster, payload)`` of each digest built, in order (a dry run
            prints them; otherwise they were queued and delivered).
        delivery: the outbox delivery; None for a dry run.
    """

    payloads: tuple[tuple[str, str, dict[str, Any]], ...]
    delivery: Delivery | None

    def dry_run_text(self) -> str:
        """The payloads as one JSON document::

        {"schema_version": 1, "digests": [{"target", "cluster", "payload"}, ...]}
        """
        digests = [
            {"target": target, "cluster": cluster, "payload": payload}
            for target, cluster, payload in self.payloads
        ]
        return json.dumps({"schema_version": 1, "digests": digests}, indent=2)


def run_notify(
    settings: Settings, *, clusters: Sequence[str] = (), dry_run: bool = False
) -> NotifyResult:
    """``tracker notify``: the digest of each cluster's latest run, sent now.

    The digest shows the changes between the cluster's last two evaluated runs and is sent
    whatever ``notify.when`` says. The latest scans are evaluated, not saved. Without
    ``dry_run`` the digests are queued in the outbox and delivered by :func:`deliver_outbox`
    (so one that cannot be delivered is retried by the next ``run`` or ``notify``). A dry
    run stores nothing and, with no target configured, builds Slack payloads.

    Raises:
        ConfigError: no notification target is configured (and not a dry run).
        ReportError, IdentifyError, StoreError: no scan, catalogue or store problems.
    """
    import httpx

    from tracker.notify.slack import SlackNotifier
    from tracker.workflows.nightly import report_link
    from tracker.workflows.query import cluster_history

    catalogue = load_components(settings)
    with (
        open_store(settings) as store,
        httpx.Client(timeout=settings.notify_timeout_seconds) as client,
    ):
        names = require_clusters(store, clusters)
        notifiers = notifiers_for(settings, client)
        if dry_run:
            notifiers = notifiers or {"slack": SlackNotifier(client, "")}
        elif not notifiers:
            raise ConfigError(
                "no notification target is configured",
                "set TRACKER_SLACK_WEBHOOK_URL (or notify.slack.webhook_url_env / _file)",
            )
        report = evaluate_report(
            store,
            catalogue,
            today=today(),
            clusters=names,
            stale_after=settings.sync_stale_after,
        ).report
        payloads: list[tuple[str, str, dict[str, Any]]] = []
        for name in names:
            runs = cluster_history(store, name, limit=1)
            changes = runs[0].changes if runs else None
            for target, notifier in notifiers.items():
                link = report_link(settings.report_url, name, today())
                payload = notifier.build_payload(report, changes, cluster=name, report_link=link)
                payloads.append((target, name, payload))
        if dry_run:
            return NotifyResult(tuple(payloads), None)
        for target, name, payload in payloads:
            store.enqueue_notification(target, name, payload)
        return NotifyResult(tuple(payloads), deliver_outbox(store, notifiers))
