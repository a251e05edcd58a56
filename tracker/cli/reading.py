"""The reading commands: ``metrics``, ``query``, ``history`` and ``releases list`` (registered
on the app by :mod:`tracker.cli.app`). They read the store and never change it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.common import (
    ConfigNamed,
    ListFormatOption,
    OutputOption,
    settings,
)
from tracker.cli.output import count, emit, errors, formatter, note
from tracker.cli.output import format_listing as _listing
from tracker.enums import Behind, Flag, Status
from tracker.errors import ConfigError


def metrics_cmd(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE atomically (node-exporter's textfile collector; "
            "its directory must exist) instead of stdout.",
        ),
    ] = None,
    push: Annotated[
        str | None,
        typer.Option(
            "--push",
            metavar="URL",
            help="PUT the metrics to this Pushgateway (job=tracker); user:password@ in the "
            "URL is sent as basic auth.",
        ),
    ] = None,
    cluster: Annotated[
        list[str] | None,
        typer.Option("--cluster", metavar="NAME", help="Only this cluster (repeatable)."),
    ] = None,
) -> None:
    """Print Prometheus metrics (OpenMetrics text) of the stored, evaluated scans.

    Reads each cluster's latest evaluated run (`tracker run` or `tracker report` evaluates
    a scan) and the last sync time; nothing is re-evaluated. See the README's metrics
    section for the metric names and a Grafana query.

    Example: tracker metrics --output /var/lib/node_exporter/textfile/tracker.prom
    """
    from tracker.workflows import metrics

    with errors():
        text = metrics.run_metrics(settings(), output=output, push=push, clusters=cluster or [])
    if output is None and push is None:
        sys.stdout.write(text)
        return
    if output is not None:
        note(f"metrics written to {output}")
    if push is not None:
        note("metrics pushed to the Pushgateway")


def query_cmd(
    component: Annotated[
        str | None, typer.Option(metavar="ID", help="Catalogue id, e.g. istio.")
    ] = None,
    cluster: Annotated[str | None, typer.Option(metavar="NAME", help="Cluster name.")] = None,
    namespace: Annotated[
        str | None, typer.Option("--namespace", "-n", metavar="NAMESPACE", help="Namespace.")
    ] = None,
    status: Annotated[Status | None, typer.Option(help="Evaluation status.")] = None,
    flag: Annotated[Flag | None, typer.Option(help="Rows carrying this flag.")] = None,
    behind: Annotated[
        Behind | None, typer.Option(help="At least this far behind (minor: minor or major).")
    ] = None,
    older_than: Annotated[
        str | None,
        typer.Option(metavar="VERSION", help="Running version lower than this, e.g. 1.22."),
    ] = None,
    eol_before: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="Support ends before this date, e.g. 2026-12-31."),
    ] = None,
    advisory: Annotated[
        str | None,
        typer.Option(metavar="ID", help="Rows affected by this advisory (CVE-... or GHSA-...)."),
    ] = None,
    format: ListFormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Ask questions of the stored scans, without rescanning.

    Reads the rows of each cluster's latest evaluated scan (`tracker report` or
    `tracker run` evaluates a scan).

    Example: tracker query --component istio --older-than 1.22
    """
    from tracker.workflows import query

    with errors(), ConfigNamed():
        try:
            row_filter = query.RowFilter.build(
                component=component,
                cluster=cluster,
                namespace=namespace,
                status=status.value if status else None,
                flag=flag.value if flag else None,
                behind=behind.value if behind else None,
                older_than=older_than,
                eol_before=eol_before,
                advisory=advisory,
            )
        except ValueError as exc:
            hint = "give a date such as 2026-12-31" if "--eol-before" in str(exc) else ""
            raise ConfigError(str(exc), hint or "give a version such as 1.22 or 1.22.3") from None
        rows = query.run_query(settings(), row_filter)
        if str(format) == "json":
            from tracker.report.listings import rows_document

            emit(rows_document(rows), output)
            return
        note(f"{count(len(rows), 'matching row')}")
        if rows:
            from datetime import UTC, datetime

            from tracker.models import Report

            table = Report(datetime.now(UTC), (), tuple(rows), ())
            emit(formatter(str(format), output).format(table), output)


def history_cmd(
    cluster: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME", help="Only this cluster (repeatable; default: all)."),
    ] = None,
    component: Annotated[
        str | None, typer.Option(metavar="ID", help="Only this catalogue id.")
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, metavar="N", help="How many runs per cluster, newest first.")
    ] = 10,
    format: ListFormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Show what changed from run to run, and for how long open findings have been open.

    Per run: new and resolved findings, upgraded and downgraded components.

    Example: tracker history --cluster prod --component istio
    """
    from tracker.workflows import query
    from tracker.workflows.common import today

    with errors():
        histories = query.run_history(settings(), clusters=cluster or [], limit=limit)
        listing = _listing("history", str(format), output)
        emit(listing(histories, component=component, today=today()), output)


def releases_list(
    project: Annotated[
        str, typer.Argument(metavar="OWNER/REPO", help="The project, e.g. istio/istio.")
    ],
    limit: Annotated[
        int, typer.Option(min=1, metavar="N", help="Show at most N (newest first).")
    ] = 30,
    format: ListFormatOption = "table",
    output: OutputOption = None,
) -> None:
    """Show the releases stored for a project, newest version first.

    Example: tracker releases list istio/istio --limit 10 --format json
    """
    from tracker.workflows import sync

    with errors():
        stored = sync.stored_releases(settings(), project)
        listing = _listing("releases", str(format), output)
        emit(listing(project, list(stored.releases), stored.synced, limit), output)
