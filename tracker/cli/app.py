"""The ``tracker`` commands: Typer commands only.

Each command: options -> Settings -> one workflow call -> formatter -> exit code.
Exit codes: 0 ok; 1 a tracker error (one line on stderr, with a hint); 2 usage;
3 a ``--fail-on`` finding was hit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker import __version__
from tracker.cli import reading, transfer
from tracker.cli.common import (
    ConfigNamed,
    FailOnOption,
    FormatOption,
    MaxDumpSizeOption,
    NamespaceOption,
    OutputOption,
    state,
)
from tracker.cli.common import settings as _settings
from tracker.cli.output import (
    EXIT_FAIL_ON,
    FailOnChoice,
    count,
    emit,
    error,
    errors,
    exit_on_fail,
    formatter,
    note,
    style,
    table_style,
    warn,
)
from tracker.cli.progress import progress_printer
from tracker.errors import ConfigError

if TYPE_CHECKING:
    from tracker.config import Settings

__all__ = ["EXIT_FAIL_ON", "app"]

app = typer.Typer(
    help="What in our Kubernetes clusters is out of date, and how badly?",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
releases_app = typer.Typer(
    help="Move upstream release data in and out (air-gapped installs).", rich_markup_mode=None
)
app.add_typer(releases_app, name="releases")
advisories_app = typer.Typer(
    help="Move security advisories (OSV JSON) in and out (air-gapped installs).",
    rich_markup_mode=None,
)
app.add_typer(advisories_app, name="advisories")
db_app = typer.Typer(help="The store's schema (Alembic migrations).", rich_markup_mode=None)
app.add_typer(db_app, name="db")
lifecycle_app = typer.Typer(
    help="Move support windows (endoflife.date) in and out (air-gapped installs).",
    rich_markup_mode=None,
)
app.add_typer(lifecycle_app, name="lifecycle")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tracker {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", metavar="FILE", help="TOML config file (default: $TRACKER_CONFIG)."
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            metavar="URL",
            help="SQLAlchemy URL of the store (default: $TRACKER_DATABASE_URL, else SQLite "
            "in the XDG data dir).",
            show_default=False,
        ),
    ] = None,
    no_color: Annotated[
        bool,
        typer.Option("--no-color", help="No colours in tables (also: NO_COLOR set)."),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """What in our Kubernetes clusters is out of date, and how badly?

    Example: tracker run --demo
    """
    state.config = config
    state.database_url = database_url
    style.no_color = no_color


@app.command("scan")
def scan_cmd(
    from_dump: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-dump",
            metavar="FILE",
            help="kubectl get nodes,pods -A -o json|yaml output (repeatable; - for stdin). "
            "Without it, the live cluster is scanned.",
        ),
    ] = None,
    kubeconfig: Annotated[
        Path | None,
        typer.Option(
            metavar="FILE", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)."
        ),
    ] = None,
    context: Annotated[
        str | None, typer.Option(metavar="NAME", help="kubeconfig context (default: current).")
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="Name of the cluster (default: context name or dump file stem)."
        ),
    ] = None,
    namespace: NamespaceOption = None,
    max_dump_size: MaxDumpSizeOption = None,
) -> None:
    """Inventory a cluster and store the scan.

    Example: tracker scan --from-dump pods.json --from-dump nodes.json --cluster prod
    """
    from tracker.workflows import scan

    with errors(), ConfigNamed():
        options = scan.source_options(from_dump, kubeconfig, context, namespace, max_dump_size)
        result = scan.run_scan(_settings(cluster_name=cluster), options)
    inv = result.inventory
    for warning in inv.warnings:
        warn(warning)
    scope = ""  # what history will count as read
    if not inv.namespaces.everything:
        scope = f" ({inv.namespaces.describe(limit=5, name=repr)})"
    note(
        f"scanned cluster {inv.cluster!r}{scope}: {count(len(inv.nodes), 'node')}, "
        f"{count(len(inv.pods), 'pod')}, "
        f"{count(len(result.identification.components), 'component')} identified, "
        f"{count(len(result.identification.unidentified), 'image')} unidentified "
        f"(scan {result.scan_id})"
    )


@app.command("report")
def report_cmd(
    format: FormatOption = "table",
    output: OutputOption = None,
    fail_on: FailOnOption = None,
    cluster: Annotated[
        list[str] | None,
        typer.Option("--cluster", metavar="NAME", help="Only this cluster (repeatable)."),
    ] = None,
    all_clusters: Annotated[
        bool,
        typer.Option(
            "--all-clusters",
            help="The fleet view, read from each cluster's latest evaluated run (no "
            "re-evaluation): a summary per cluster, then the component versions with critical "
            "or warning findings; --format json adds every row.",
        ),
    ] = False,
) -> None:
    """Evaluate the latest scan of each cluster against the stored upstream data.

    Example: tracker report --format json --output report.json --fail-on major
    """
    from tracker.workflows import report

    with errors(), ConfigNamed():
        if all_clusters:
            _fleet(str(format), output, cluster or [], fail_on)
            return
        result = report.run_report(_settings(), clusters=cluster or [])
        for warning in result.warnings:
            warn(warning)
        emit(formatter(format, output).format(result), output)
        exit_on_fail(result, fail_on)


def _fleet(
    format: str, output: Path | None, clusters: list[str], fail_on: list[FailOnChoice] | None
) -> None:
    from tracker.report.fleet import format_fleet, format_fleet_json
    from tracker.report.listings import fleet_markdown
    from tracker.workflows import report

    if format in ("table", "markdown") and not fail_on:
        view = report.run_fleet_view(_settings(), clusters=clusters)  # no full rows needed
        if format == "markdown":
            emit(fleet_markdown(view), output)
        else:
            width, color = table_style(output)
            emit(format_fleet(view, width=width, color=color), output)
        return
    fleet = report.run_fleet(_settings(), clusters=clusters)
    if format == "json":
        emit(format_fleet_json(fleet), output)
    elif format == "markdown":
        emit(fleet_markdown(fleet), output)
    elif format == "html":
        emit(formatter("html", output).format(fleet), output)
    else:
        width, color = table_style(output)
        emit(format_fleet(fleet, width=width, color=color), output)
    exit_on_fail(fleet, fail_on)


@app.command("sync")
def sync_cmd(
    project: Annotated[
        list[str] | None,
        typer.Option(
            "--project", "-p", metavar="OWNER/REPO", help="Only this owner/repo (repeatable)."
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full", help="Read every page and replace what is stored (picks up deletions)."
        ),
    ] = False,
) -> None:
    """Refresh the stored upstream data from GitHub for every tracked project.

    Uses conditional requests (a warm sync costs one free request per project), follows
    pagination, and stops cleanly when the rate limit is exhausted. Token: $GITHUB_TOKEN
    (or the variable named by github.token_env). Only one process syncs a store at a time.

    Example: GITHUB_TOKEN=... tracker sync --project istio/istio
    """
    from tracker.workflows import sync

    with errors(), ConfigNamed():
        summary = sync.run_sync(
            _settings(), projects=project or [], full=full, progress=progress_printer
        )
    for warning in summary.warnings:
        warn(warning)
    for result in summary.results:
        if result.renamed_to:
            warn(
                f"{result.project} has moved to {result.renamed_to}: update the catalogue "
                "entry's project"
            )
    note(summary.one_line())
    if not summary.ok:
        raise typer.Exit(1)


releases_app.command("list")(reading.releases_list)


releases_app.command("import")(transfer.releases_import)
releases_app.command("export")(transfer.releases_export)
lifecycle_app.command("import")(transfer.lifecycle_import)
lifecycle_app.command("export")(transfer.lifecycle_export)
advisories_app.command("import")(transfer.advisories_import)
advisories_app.command("export")(transfer.advisories_export)


@app.command("run")
def run_cmd(
    demo_: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Run offline on the bundled sample cluster and releases, in a temporary "
            "database; nothing is synced, stored or sent.",
        ),
    ] = False,
    from_dump: Annotated[
        list[Path] | None,
        typer.Option(
            "--from-dump",
            metavar="FILE",
            help="Scan kubectl dump files instead of the live cluster (repeatable).",
        ),
    ] = None,
    kubeconfig: Annotated[
        Path | None, typer.Option(metavar="FILE", help="kubeconfig file.")
    ] = None,
    context: Annotated[str | None, typer.Option(metavar="NAME", help="kubeconfig context.")] = None,
    cluster: Annotated[
        str | None, typer.Option(metavar="NAME", help="Name of the cluster.")
    ] = None,
    namespace: NamespaceOption = None,
    max_dump_size: MaxDumpSizeOption = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Write <cluster>-<date>.md, .json and .html here (default: report.dir).",
        ),
    ] = None,
    metrics_file: Annotated[
        Path | None,
        typer.Option(
            "--metrics-file",
            metavar="FILE",
            help="After the run, write the stored scans' Prometheus metrics to FILE "
            "(atomically; for node-exporter's textfile collector).",
        ),
    ] = None,
    no_sync: Annotated[
        bool, typer.Option("--no-sync", help="Do not sync upstream data (air-gapped installs).")
    ] = False,
    wait: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Seconds to wait when another run of this cluster holds the lock.",
        ),
    ] = 0.0,
    fail_on: FailOnOption = None,
    format: FormatOption = "table",
) -> None:
    """The nightly job: scan + sync + evaluate + store + report + notify, safe to re-run.

    A failed step is reported and the others still run where they can (exit code 1 at the
    end); a notification that cannot be delivered is kept and sent by the next run.

    Example: tracker run --report-dir /var/lib/tracker/reports
    """
    from tracker.workflows import demo, nightly, scan

    with errors(), ConfigNamed():
        source = scan.source_options(from_dump, kubeconfig, context, namespace, max_dump_size)
        if demo_:
            if source.given or namespace or cluster or report_dir or wait or metrics_file:
                raise ConfigError(
                    "--demo runs on the bundled sample cluster only",
                    "drop --from-dump/--kubeconfig/--context/--namespace/--cluster/"
                    "--report-dir/--metrics-file/--wait",
                )
            sample = demo.run_demo()
            emit(formatter(format, None).format(sample), None)
            exit_on_fail(sample, fail_on)
            return
        if metrics_file is not None and not metrics_file.parent.is_dir():
            raise ConfigError(
                f"--metrics-file {metrics_file}: directory {metrics_file.parent} does not exist",
                "create it first, or choose another --metrics-file",
            )
        settings = _settings(cluster_name=cluster, report_dir=report_dir)
        options = nightly.NightlyOptions(source, sync=not no_sync, lock_wait_seconds=wait)
        result = nightly.run_nightly(settings, options, progress=progress_printer)
        for warning in result.warnings:
            warn(warning)
        if result.sync is not None:
            note(result.sync.one_line())
        elif result.sync_skipped:
            note(f"sync skipped: {result.sync_skipped}")
        if result.report is not None:
            emit(formatter(format, None).format(result.report), None)
        for path in result.files:
            note(f"report written to {path}")
        failed = list(result.errors)
        if metrics_file is not None:
            failed += _write_run_metrics(settings, metrics_file)
        if result.notifications_sent or result.notifications_pending:
            note(
                f"notifications: {result.notifications_sent} sent, "
                f"{result.notifications_pending} waiting for the next run"
            )
        for line in failed:
            error(line)
        if result.report is not None:
            exit_on_fail(result.report, fail_on)
        if failed:
            raise typer.Exit(1)


def _write_run_metrics(settings: Settings, path: Path) -> list[str]:
    """``run --metrics-file``: write the metrics; a failure is one more failed step."""
    from tracker.errors import TrackerError
    from tracker.workflows import metrics

    try:
        metrics.run_metrics(settings, output=path)
    except TrackerError as exc:
        return [f"metrics: {exc.message}"]
    note(f"metrics written to {path}")
    return []


app.command("metrics")(reading.metrics_cmd)
app.command("query")(reading.query_cmd)
app.command("history")(reading.history_cmd)


@app.command("notify")
def notify_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the payloads instead of sending them.")
    ] = False,
    cluster: Annotated[
        list[str] | None,
        typer.Option(metavar="NAME", help="Only this cluster (repeatable; default: all)."),
    ] = None,
) -> None:
    """Send (or with --dry-run, print) the digest of each cluster's latest run, now.

    A dry run prints one JSON document: {"schema_version": 1, "digests": [{"target",
    "cluster", "payload"}]}.

    The digest shows the changes between the cluster's last two evaluated runs. It is sent
    whatever notify.when says, through the same outbox as `tracker run`: a digest that
    cannot be delivered is kept and retried by the next run or notify. A dry run stores
    nothing. The Slack webhook URL comes from $TRACKER_SLACK_WEBHOOK_URL (or notify.slack
    settings), never from the command line.

    Example: tracker notify --dry-run --cluster prod
    """
    from tracker.workflows import notify

    with errors(), ConfigNamed():
        result = notify.run_notify(_settings(), clusters=cluster or [], dry_run=dry_run)
    if result.delivery is None:
        emit(result.dry_run_text(), None)
        return
    for target, name in result.delivery.delivered:
        note(f"sent the digest of {name} to {target}")
    for warning in result.delivery.warnings:
        warn(warning)
    for line in result.delivery.errors:
        error(line)
    if result.delivery.errors:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (opening the store does it too).

    Example: TRACKER_DATABASE_URL=postgresql+psycopg://tracker@db/tracker tracker db upgrade
    """
    from tracker.workflows import db

    with errors():
        schema = db.upgrade(_settings())
    note(f"database {schema.url} is at schema revision {schema.current}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and this tracker's, without changing anything.

    Example: tracker db current
    """
    from tracker.workflows import db

    with errors():
        schema = db.current(_settings())
    state_ = {
        "empty": "empty: `tracker db upgrade` creates the schema",
        "behind": "needs `tracker db upgrade`",
        "current": "up to date",
    }.get(schema.state.value, schema.state.value)
    typer.echo(f"current: {schema.current or 'empty'}  head: {schema.head}  ({state_})")


@db_app.command("prune")
def db_prune(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")
    ] = False,
) -> None:
    """Delete scans older than `[store] keep_scans` (default 90d) and their rows.

    Each cluster's latest scan and the nightly job's baseline are always kept.

    Example: tracker db prune --dry-run
    """
    from tracker.workflows import db

    with errors():
        cutoff, result = db.prune(_settings(), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    note(
        f"{verb} {result.scans} scan(s) taken before {cutoff:%Y-%m-%d %H:%M} UTC "
        f"({result.components} component row(s), {result.report_rows} report row(s)); "
        f"kept {result.kept} older scan(s) that are a cluster's latest or baseline"
    )
