"""The notify boundary: the :class:`Notifier` Protocol, the digest both targets show, and
the reliable JSON sender both targets use.

A notification is one digest per run and cluster: counts by severity, the findings that are
new or resolved since the previous run, version changes, the worst open findings, and a
link (or path) to the full report. Building a payload is pure; sending is
:func:`post_json` over an injected ``httpx.Client`` (its timeouts are the caller's).

Webhook URLs are secrets: no message, log line or exception raised here contains one; the
URLs sent to are also scrubbed from the ``httpx`` logger (which logs each request's URL).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from tracker.errors import NotifyError
from tracker.history import FindingChanges
from tracker.http import ResponseTooLarge, send
from tracker.models import ClusterSummary, ComponentReport, Report, Severity
from tracker.report.base import cluster_rows, severity_counts

logger = logging.getLogger(__name__)


class _RedactSecrets(logging.Filter):
    """Scrubs registered webhook URLs from records of the ``httpx``/``httpcore`` loggers.

    httpx logs every request at INFO as ``HTTP Request: POST <full URL> ...``; a webhook
    URL is a secret, so records holding one are rewritten with ``<redacted>``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        text = record.getMessage()
        hits = [s for s in self.secrets if s in text]
        if hits:
            for secret in sorted(hits, key=len, reverse=True):
                text = text.replace(secret, "<redacted>")
            record.msg, record.args = text, ()
        return True


_REDACT = _RedactSecrets()
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_REDACT)


def _register_secret(url: str) -> None:
    path = httpx.URL(url).path
    _REDACT.secrets.add(url)
    if path not in ("", "/"):
        _REDACT.secrets.add(path)


WHEN_VALUES: tuple[str, ...] = ("changes", "always", "never")
"""Values of ``notify.when``."""

MAX_WAIT_SECONDS = 60.0
"""Longest single wait between attempts; a longer ``Retry-After`` is capped to this."""


class Notifier(Protocol):
    """A notification target: builds a payload (pure) and delivers it.

    The two steps are separate so a payload that could not be delivered can be kept
    (the store's outbox) and sent as-is on the next run.
    """

    def build_payload(
        self,
        report: Report,
        changes: FindingChanges | None,
        *,
        cluster: str,
        report_link: str | None = None,
    ) -> dict[str, Any]:
        """Return the JSON-ready payload for one cluster's digest."""
        ...

    def send(self, payload: Mapping[str, Any]) -> None:
        """Deliver ``payload``; raise :class:`~tracker.errors.NotifyError` on failure."""
        ...


PayloadBuilder = Callable[..., dict[str, Any]]
"""``build(report, changes, *, cluster, report_link=None) -> payload`` (pure)."""


@dataclass
class HttpNotifier:
    """A :class:`Notifier` that POSTs a JSON payload to a secret URL with :func:`post_json`.

    Attributes:
        url: the webhook URL (a secret: kept out of ``repr``, messages and logs).
        build: the target's pure payload builder.
        target: the target's name in messages (``Slack webhook``, ``JSON webhook``).
    """

    client: httpx.Client
    url: str = field(repr=False)
    build: PayloadBuilder = field(repr=False)
    target: str = "webhook"
    max_attempts: int = 5
    sleep: Callable[[float], None] = time.sleep

    def build_payload(
        self,
        report: Report,
        changes: FindingChanges | None,
        *,
        cluster: str,
        report_link: str | None = None,
    ) -> dict[str, Any]:
        """Build this target's payload for one cluster (see its module's ``build_payload``)."""
        return self.build(report, changes, cluster=cluster, report_link=report_link)

    def send(self, payload: Mapping[str, Any]) -> None:
        """Deliver ``payload`` (retries: see :func:`post_json`).

        Raises:
            NotifyError: delivery failed; the message never contains the URL.
        """
        post_json(
            self.client,
            self.url,
            payload,
            target=self.target,
            max_attempts=self.max_attempts,
            sleep=self.sleep,
        )


def should_notify(when: str, changes: FindingChanges | None) -> bool:
    """Decide whether to send the digest of one cluster (``notify.when``).

    - ``never``: False.  ``always``: True.
    - ``changes`` (the default): True when something changed since the previous run: a new
      or resolved finding, or an upgraded/downgraded component; ``changes=None`` (no
      previous run to compare with) counts as changed, since every open finding is new.

    Raises:
        NotifyError: for any other value (names ``notify.when``, lists the valid ones).
    """
    if when == "never":
        return False
    if when == "always":
        return True
    if when == "changes":
        return changes is None or changes.changed
    raise NotifyError(
        f"notify.when: unknown value {when!r}", f"use one of {', '.join(WHEN_VALUES)}"
    )


@dataclass(frozen=True)
class Digest:
    """What one cluster's notification shows, independent of the target's format.

    Attributes:
        counts: open findings by severity, worst first (every severity present).
        open_rows: the cluster's rows that have findings, worst first.
        changes: the changes of this cluster, or None when there is no previous run.
        unidentified: how many images of this cluster no rule claimed.
    """

    cluster: str
    generated_at: datetime
    summary: ClusterSummary | None
    counts: dict[Severity, int]
    rows: tuple[ComponentReport, ...]
    open_rows: tuple[ComponentReport, ...]
    changes: FindingChanges | None
    unidentified: int
    report_link: str | None


def make_digest(
    report: Report, changes: FindingChanges | None, *, cluster: str, report_link: str | None
) -> Digest:
    """Collect one cluster's digest from a report and the run's changes (pure).

    Raises:
        NotifyError: when ``cluster`` is not in the report.
    """
    summary = next((c for c in report.clusters if c.name == cluster), None)
    rows = cluster_rows(report, cluster)
    if summary is None and not rows:
        raise NotifyError(
            f"notify: cluster {cluster!r} is not in the report",
            "notify only clusters that were scanned in this run",
        )
    return Digest(
        cluster=cluster,
        generated_at=report.generated_at,
        summary=summary,
        counts=severity_counts(rows),
        rows=tuple(rows),
        open_rows=tuple(r for r in rows if r.findings),
        changes=changes.for_cluster(cluster) if changes is not None else None,
        unidentified=sum(1 for u in report.unidentified if u.cluster == cluster),
        report_link=report_link,
    )


# --- sending -----------------------------------------------------------------------------


class _Retryable(Exception):
    """One failed attempt that may succeed later; the message never holds the URL."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (RFC 9110 §10.2.3): delay or HTTP-date.

    >>> parse_retry_after("7")
    7.0
    >>> now = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    >>> parse_retry_after("Wed, 01 May 2024 02:00:30 GMT", now=now)
    30.0
    >>> parse_retry_after("soon") is None
    True
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _clean(text: str, url: str) -> str:
    """One line, at most 200 characters, with the URL (and its path) removed."""
    secret_parts = {url, httpx.URL(url).path} - {"", "/"}
    for part in sorted(secret_parts, key=len, reverse=True):
        text = text.replace(part, "<redacted>")
    line = " ".join(text.split())
    return line[:200]


def _check_url(url: str, target: str) -> None:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise NotifyError(
            f"{target}: the webhook URL is not a valid http(s) URL (not shown: it is a secret)",
            "check the variable or file the webhook URL is read from",
        )


DEFAULT_DEADLINE_SECONDS = 10.0
"""Whole-request budget of one webhook attempt when the client sets no read timeout."""


def _wait(retry_state: RetryCallState) -> float:
    outcome = retry_state.outcome
    exc = outcome.exception() if outcome is not None else None
    if isinstance(exc, _Retryable) and exc.retry_after is not None:
        return min(exc.retry_after, MAX_WAIT_SECONDS)
    return float(wait_exponential(multiplier=1, max=30)(retry_state))


def _deadline(client: httpx.Client) -> float:
    """The whole-request budget of one attempt: the client's read timeout (default 10 s)."""
    return float(client.timeout.read or DEFAULT_DEADLINE_SECONDS)


def _attempt(client: httpx.Client, url: str, payload: Mapping[str, Any], target: str) -> None:
    failure: str | None = None
    response: httpx.Response | None = None
    try:
        # One deadline for the whole request (tracker.http.send): a webhook that trickles
        # its answer cannot hold the job.
        response = send(
            client,
            "POST",
            url,
            timeout=_deadline(client),
            headers={"Content-Type": "application/json"},
            content=json.dumps(dict(payload), ensure_ascii=False).encode("utf-8"),
            max_bytes=1 << 20,
        )
    except httpx.TimeoutException as exc:
        failure = f"timed out ({type(exc).__name__})"
    except ResponseTooLarge:
        failure = "answered with an over-long body"
    except httpx.TransportError as exc:
        failure = f"connection failed ({type(exc).__name__}: {_clean(str(exc), url)})"
    if response is None:
        raise _Retryable(failure or "no response")
    status = response.status_code
    if 200 <= status < 300:
        return
    body = _clean(response.text, url)
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise _Retryable(f"HTTP {status} ({body or 'no body'})", retry_after)
    raise NotifyError(
        f"{target}: the message was rejected with HTTP {status} ({body or 'no body'})",
        "check the webhook URL (not shown: it is a secret) and the payload; the outbox "
        "keeps the message and tries it again on the next run until it is given up",
    )


def post_json(
    client: httpx.Client,
    url: str,
    payload: Mapping[str, Any],
    *,
    target: str,
    max_attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """POST ``payload`` as JSON to ``url``, retrying what may succeed later.

    Retried: HTTP 429 and 5xx, timeouts and connection errors. The wait before the next
    attempt is the response's ``Retry-After`` (seconds or HTTP-date, capped at
    :data:`MAX_WAIT_SECONDS`), else exponential backoff 1, 2, 4, 8… seconds (max 30).
    Any 2xx is success (Slack answers ``200 ok``). Other 4xx (Slack: 400 invalid_payload,
    403 action_prohibited, 404 channel_not_found, 410 channel_is_archived) fail at once.

    Args:
        client: the caller's client; its timeout applies to each attempt.
        target: the name used in messages (``"Slack webhook"``).
        max_attempts: attempts in total (>= 1).
        sleep: called with the wait in seconds (inject a fake in tests).

    Raises:
        NotifyError: when every attempt failed or the target rejected the message. The
            message names the target and the last failure, never the URL.
    """
    _check_url(url, target)
    _register_secret(url)
    retrying = Retrying(
        stop=stop_after_attempt(max(1, max_attempts)),
        wait=_wait,
        retry=retry_if_exception_type(_Retryable),
        sleep=sleep,
        reraise=True,
        before_sleep=lambda state: _log_retry(state, target, max_attempts),
    )
    last: _Retryable | None = None
    try:
        for attempt in retrying:
            with attempt:
                _attempt(client, url, payload, target)
    except _Retryable as exc:
        last = exc
    if last is not None:
        raise NotifyError(
            f"{target}: delivery failed after {max(1, max_attempts)} attempts: {last.reason}",
            "the service may be down or rate-limiting; the message can be sent on the next run",
        )


def _log_retry(state: RetryCallState, target: str, max_attempts: int) -> None:
    outcome = state.outcome
    exc = outcome.exception() if outcome is not None else None
    reason = exc.reason if isinstance(exc, _Retryable) else "failed"
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    logger.warning(
        "%s: attempt %d of %d %s; retrying in %.1f s",
        target,
        state.attempt_number,
        max_attempts,
        reason,
        wait,
    )
