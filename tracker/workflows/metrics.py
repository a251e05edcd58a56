"""``tracker metrics`` and ``tracker run --metrics-file``: Prometheus metrics of the stored,
evaluated scans (each cluster's latest evaluated run, as the fleet view reads it), with the
last upstream sync time from the store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from tracker.config import Settings
from tracker.errors import ReportError
from tracker.models import Report
from tracker.workflows.common import open_store
from tracker.workflows.report import fleet_report


def last_sync(synced: Mapping[str, datetime]) -> datetime | None:
    """The newest of the projects' last successful syncs (None: never synced, e.g. imported)."""
    return max(synced.values(), default=None)


def stored_metrics(
    settings: Settings, *, clusters: Sequence[str] = ()
) -> tuple[Report, datetime | None]:
    """The report the metrics describe and the last sync time, read from the store (read-only).

    Raises:
        ReportError: the store holds no scan (of the clusters asked for).
        StoreError: the store cannot be read.
    """
    with open_store(settings, read_only=True) as store:
        report = fleet_report(store, list(clusters) or None)
        synced = last_sync(store.last_synced())
    if not report.clusters:
        raise ReportError(
            "the store holds no scan yet", "run `tracker scan` or `tracker run` first"
        )
    return report, synced


def run_metrics(
    settings: Settings,
    *,
    output: Path | None = None,
    push: str | None = None,
    clusters: Sequence[str] = (),
) -> str:
    """``tracker metrics``: the OpenMetrics text of the stored scans; also written atomically
    to ``output`` and/or PUT to the Pushgateway ``push`` when given.

    Raises:
        ReportError: no scan; ``output``'s directory missing or unwritable; the push failed.
        StoreError: the store cannot be read.
    """
    from tracker.report.metrics import format_metrics, push_metrics, write_metrics_file

    report, synced = stored_metrics(settings, clusters=clusters)
    text = format_metrics(report, synced)
    if output is not None:
        write_metrics_file(output, text)
    if push is not None:
        push_metrics(push, report, last_sync=synced)
    return text
