"""Prometheus metrics from a report: OpenMetrics text, a textfile-collector file, a Pushgateway.

The metrics (labels ``cluster``, ``component``, ``role``, ``namespace``; ``namespace`` is empty
for cluster-wide entries; no pod or workload names, so cardinality stays bounded by what the
catalogue knows times namespaces):

- ``tracker_component_info{current,latest}`` = 1, one sample per running version
  (OpenMetrics ``info`` type; ``current``/``latest`` empty when unknown);
- ``tracker_component_outdated``: 1 when any entry of that label set is outdated, else 0;
- ``tracker_component_releases_behind``: stable releases newer than the running version (the
  largest over the label set's entries; absent when unknown; a lower bound when the release
  data does not reach back, see flag ``partial-catalogue``);
- ``tracker_component_days_behind``: days since the first newer release (largest; absent
  when unknown);
- ``tracker_findings{cluster,severity,kind}``: number of findings per cluster (only
  combinations that occur);
- ``tracker_last_scan_timestamp_seconds{cluster}``: when the cluster's reported scan ran;
- ``tracker_last_sync_timestamp_seconds``: when upstream data was last synced (when given).

Built with prometheus-client's own registry and exposition
(https://prometheus.github.io/client_python/collector/custom/), never hand-made strings.
:func:`format_metrics` is pure; :func:`write_metrics_file` and :func:`push_metrics` do the I/O
the CLI asks for.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import unquote, urlsplit, urlunsplit

from prometheus_client import CollectorRegistry, push_to_gateway
from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.exposition import basic_auth_handler, default_handler
from prometheus_client.openmetrics.exposition import generate_latest
from prometheus_client.registry import Collector

from tracker.errors import ReportError
from tracker.models import Report, Status

COMPONENT_LABELS: tuple[str, ...] = ("cluster", "component", "role", "namespace")
"""Labels of every ``tracker_component_*`` metric."""

METRIC_NAMES: tuple[str, ...] = (
    "tracker_component_info",
    "tracker_component_outdated",
    "tracker_component_releases_behind",
    "tracker_component_days_behind",
    "tracker_findings",
    "tracker_last_scan_timestamp_seconds",
    "tracker_last_sync_timestamp_seconds",
)
"""The sample names this module can emit (dashboards and alerts may use only these)."""

PUSH_TIMEOUT_SECONDS = 10.0
"""Default timeout of one Pushgateway request, in seconds."""

_Key = tuple[str, str, str, str]


def _check_aware(moment: datetime, field: str) -> float:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ReportError(
            f"metrics field {field} is a datetime without a timezone ({moment.isoformat()})",
            "stages must produce timezone-aware UTC datetimes (models.py)",
        )
    return moment.timestamp()


class ReportCollector(Collector):
    """A prometheus-client collector exposing one report (a snapshot, computed at collect time).

    Args:
        report: the evaluated report.
        last_sync: when upstream data was last synced (aware datetime), or None to omit
            ``tracker_last_sync_timestamp_seconds``.

    Raises (from :meth:`collect`):
        ReportError: a naive ``scanned_at`` or ``last_sync``.
    """

    def __init__(self, report: Report, last_sync: datetime | None = None) -> None:
        self._report = report
        self._last_sync = last_sync

    def collect(self) -> Iterator[Metric]:
        """Yield the metric families described in the module docstring."""
        report = self._report
        labels = list(COMPONENT_LABELS)
        info = InfoMetricFamily(
            "tracker_component", "Running and latest stable version of a component", labels=labels
        )
        outdated = GaugeMetricFamily(
            "tracker_component_outdated",
            "1 when the component runs an outdated version (any entry of the label set)",
            labels=labels,
        )
        releases = GaugeMetricFamily(
            "tracker_component_releases_behind",
            "Stable releases newer than the running version (largest of the label set)",
            labels=labels,
        )
        days = GaugeMetricFamily(
            "tracker_component_days_behind",
            "Days since the first release newer than the running version (largest)",
            labels=labels,
        )
        seen_info: set[tuple[str, ...]] = set()
        worst: dict[_Key, tuple[int, int | None, int | None]] = {}
        findings: dict[tuple[str, str, str], int] = {}
        for row in report.components:
            c = row.component
            key: _Key = (row.cluster, c.component, c.role.value, c.namespace or "")
            current, latest = row.current or c.raw_version or "", row.latest or ""
            if (*key, current, latest) not in seen_info:
                seen_info.add((*key, current, latest))
                info.add_metric(list(key), {"current": current, "latest": latest})
            was_out, was_rel, was_days = worst.get(key, (0, None, None))
            worst[key] = (
                max(was_out, int(row.status is Status.OUTDATED)),
                _max(was_rel, row.releases_behind),
                _max(was_days, row.days_behind),
            )
            for f in row.findings:
                fkey = (row.cluster, f.severity.value, f.kind.value)
                findings[fkey] = findings.get(fkey, 0) + 1
        for key, (out, rel, day) in worst.items():
            outdated.add_metric(list(key), out)
            if rel is not None:
                releases.add_metric(list(key), rel)
            if day is not None:
                days.add_metric(list(key), day)
        yield from (info, outdated, releases, days)

        found = GaugeMetricFamily(
            "tracker_findings",
            "Findings in the cluster's report, by severity and kind",
            labels=["cluster", "severity", "kind"],
        )
        for fkey, n in sorted(findings.items()):
            found.add_metric(list(fkey), n)
        yield found

        scanned = GaugeMetricFamily(
            "tracker_last_scan_timestamp_seconds",
            "When the reported scan of the cluster ran (Unix time)",
            labels=["cluster"],
            unit="seconds",
        )
        for summary in report.clusters:
            field = f"clusters[{summary.name}].scanned_at"
            scanned.add_metric([summary.name], _check_aware(summary.scanned_at, field))
        yield scanned

        if self._last_sync is not None:
            yield GaugeMetricFamily(
                "tracker_last_sync_timestamp_seconds",
                "When upstream release data was last synced (Unix time)",
                value=_check_aware(self._last_sync, "last_sync"),
                unit="seconds",
            )


def _max(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def metrics_registry(report: Report, last_sync: datetime | None = None) -> CollectorRegistry:
    """A fresh registry holding only a :class:`ReportCollector` (no process metrics)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ReportCollector(report, last_sync))
    return registry


def format_metrics(report: Report, last_sync: datetime | None = None) -> str:
    """Return the report's metrics as OpenMetrics text (ends with ``# EOF`` and a newline).

    Args:
        last_sync: when upstream data was last synced (aware), or None to omit that metric.

    Raises:
        ReportError: a naive timestamp in the report or ``last_sync``.
    """
    exposition: bytes = generate_latest(metrics_registry(report, last_sync))  # type: ignore[no-untyped-call]
    return exposition.decode("utf-8")


class MetricsFormatter:
    """:func:`format_metrics` as a :class:`~tracker.report.base.Formatter` (``format(report)``).

    Args:
        last_sync: when upstream data was last synced (aware), or None to omit that metric.
    """

    def __init__(self, last_sync: datetime | None = None) -> None:
        self.last_sync = last_sync

    def format(self, report: Report) -> str:
        """Return the OpenMetrics text. Raises ReportError for a naive timestamp."""
        return format_metrics(report, self.last_sync)


def write_metrics_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file in the same directory, fsync, os.replace),
    mode 0644, so node-exporter's textfile collector never reads half a file.

    Raises:
        ReportError: the parent directory is missing or the file cannot be written (names it).
    """
    parent = path.parent
    if not parent.is_dir():
        raise ReportError(
            f"metrics file {path}: directory {parent} does not exist",
            "create it or give another --output path",
        )
    tmp_name: str | None = None
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as e:
        raise ReportError(
            f"metrics file {path} could not be written: {e.strerror or e}",
            "check the path and its permissions",
        ) from e
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


def _redact(url: str) -> str:
    """``url`` without user info, query or fragment (a Pushgateway URL may carry basic auth)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def push_metrics(
    url: str,
    report: Report,
    *,
    last_sync: datetime | None = None,
    job: str = "tracker",
    timeout: float = PUSH_TIMEOUT_SECONDS,
) -> None:
    """PUT the report's metrics to a Pushgateway, replacing the group ``job``.

    User info in ``url`` (``https://user:password@gateway:9091``) is sent as HTTP basic
    auth to that host only, and never appears in messages.

    ``timeout`` is in seconds, per request. Uses :func:`prometheus_client.push_to_gateway`
    (the Pushgateway's text format).

    Raises:
        ReportError: ``url`` is not http(s), or the push failed (refused, timed out, HTTP
            error); the message names the URL without any credentials in it.
    """
    parts = urlsplit(url)
    shown = _redact(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ReportError(
            f"--push: {shown or 'the URL'} is not an http(s) URL",
            "give the Pushgateway's address, e.g. http://pushgateway:9091",
        )
    user, password = unquote(parts.username or ""), unquote(parts.password or "")

    def handler(
        url: str,
        method: str,
        timeout: float | None,
        headers: list[tuple[str, str]],
        data: bytes,
    ) -> Callable[[], None]:
        if not user:
            return default_handler(url, method, timeout, headers, data)
        return basic_auth_handler(url, method, timeout, headers, data, user, password)

    registry = metrics_registry(report, last_sync)
    try:
        push_to_gateway(shown, job=job, registry=registry, timeout=timeout, handler=handler)
    except (URLError, OSError, ValueError) as e:
        if isinstance(e, HTTPError):
            reason: object = f"HTTP {e.code} {e.reason}"
        else:
            reason = getattr(e, "reason", None) or e
        raise ReportError(
            f"pushing metrics to {shown} failed: {reason}",
            "check that the Pushgateway is reachable, or write a file with --output",
        ) from e
