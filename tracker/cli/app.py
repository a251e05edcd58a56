"""The ``tracker`` commands: Typer commands only.

Each command: options -> Settings -> one workflow call -> formatter -> exit code.
Exit codes: 0 ok; 1 a tracker error (one line on stderr, with a hint); 2 usage;
3 a ``--fail-on`` finding was hit.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from tracker import __version__
from tracker.cli.output import (
    EXIT_FAIL_ON,
    FailOnChoice,
    FormatChoice,
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
from tracker.config import Settings, load_settings
from tracker.errors import ConfigError, IdentifyError, ReportError
from tracker.models import Behind, Flag, Report, Status
from tracker.workflows import db, demo, nightly, notify, query, report, scan, sync
from tracker.workflows.common import today

__all__ = ["EXIT_FAIL_ON", "app"]

app = typer.Typer(
    help="What in our Kubernetes clusters is out of date, and how badly?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
releases_app = typer.Typer(
    help="Move upstream release data in and out (air-gapped installs).", rich_markup_mode=None
)
app.add_typer(releases_app, name="releases")
db_app = typer.Typer(help="The store's schema (Alembic migrations).", rich_markup_mode=None)
app.add_typer(db_app, name="db")

FormatOption = Annotated[FormatChoice, typer.Option("--format", "-f", help="Output format.")]
FailOnOption = Annotated[
    list[FailOnChoice] | None,
    typer.Option("--fail-on", help="Exit with code 3 when such a finding exists (repeatable)."),
]


class _State:
    config: Path | None = None
    database_url: str | None = None


state = _State()


def _settings(**overrides: object) -> Settings:
    return load_settings(state.config, overrides={"database_url": state.database_url, **overrides})


class _ConfigNamed:
    """Names the config file in a component catalogue error (``[components.*]`` lives there)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, IdentifyError):
            where = str(state.config or os.environ.get("TRACKER_CONFIG") or "config")
            raise IdentifyError(f"{where}: {exc.message}", exc.hint) from None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tracker {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="TOML config file (default: $TRACKER_CONFIG)."),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
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
            help="kubectl get nodes,pods -A -o json|yaml output (repeatable). Without it, "
            "the live cluster is scanned.",
        ),
    ] = None,
    kubeconfig: Annotated[
        Path | None, typer.Option(help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config).")
    ] = None,
    context: Annotated[
        str | None, typer.Option(help="kubeconfig context (default: current).")
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(help="Name of the cluster (default: context name or dump file stem)."),
    ] = None,
) -> None:
    """Inventory a cluster and store the scan.

    Example: tracker scan --from-dump pods.json --from-dump nodes.json --cluster prod
    """
    with errors(), _ConfigNamed():
        options = scan.SourceOptions(tuple(from_dump or ()), kubeconfig, context)
        result = scan.run_scan(_settings(cluster_name=cluster), options)
    inv = result.inventory
    for warning in inv.warnings:
        warn(warning)
    note(
        f"scanned cluster {inv.cluster!r}: {count(len(inv.nodes), 'node')}, "
        f"{count(len(inv.pods), 'pod')}, "
        f"{len(result.identification.components)} components identified, "
        f"{len(result.identification.unidentified)} images unidentified (scan {result.scan_id})"
    )


@app.command("report")
def report_cmd(
    format: FormatOption = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE.")] = None,
    fail_on: FailOnOption = None,
    cluster: Annotated[
        list[str] | None, typer.Option("--cluster", help="Only this cluster (repeatable).")
    ] = None,
    all_clusters: Annotated[
        bool,
        typer.Option(
            "--all-clusters",
            help="The fleet view: one table of component x cluster, read from each cluster's "
            "latest evaluated run (no re-evaluation); table or json.",
        ),
    ] = False,
) -> None:
    """Evaluate the latest scan of each cluster against the stored upstream data.

    Example: tracker report --format json --output report.json --fail-on major
    """
    with errors(), _ConfigNamed():
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

    if format not in ("table", "json"):
        raise ReportError(
            "--all-clusters supports --format table or json", "use -f table or -f json"
        )
    fleet = report.run_fleet(_settings(), clusters=clusters)
    if format == "json":
        emit(format_fleet_json(fleet), output)
    else:
        width, color = table_style(output)
        emit(format_fleet(fleet, width=width, color=color), output)
    exit_on_fail(fleet, fail_on)


@app.command("sync")
def sync_cmd(
    project: Annotated[
        list[str] | None,
        typer.Option("--project", "-p", help="Only this owner/repo (repeatable)."),
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
    with errors(), _ConfigNamed():
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


@releases_app.command("list")
def releases_list(
    project: Annotated[str, typer.Argument(help="owner/repo, e.g. istio/istio.")],
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many (newest first).")] = 30,
) -> None:
    """Show the releases stored for a project, newest version first.

    Example: tracker releases list istio/istio --limit 10
    """
    from tracker.report.release_list import format_release_list

    with errors():
        stored = sync.stored_releases(_settings(), project)
        width, color = table_style(None)
        text = format_release_list(
            project, list(stored.releases), stored.synced, limit, width=width, color=color
        )
        emit(text, None)


@releases_app.command("import")
def releases_import(
    file: Annotated[Path, typer.Argument(help="JSON file of GitHub REST release objects.")],
    project: Annotated[
        str | None,
        typer.Option(help="owner/repo, when FILE is a plain array of releases of one project."),
    ] = None,
) -> None:
    """Load releases from a file into the store.

    Example: tracker releases import releases.json
    """
    with errors():
        counts = sync.import_release_file(_settings(), file, project=project)
    note(f"imported {sum(counts.values())} new releases for {len(counts)} project(s) from {file}")


@releases_app.command("export")
def releases_export(
    file: Annotated[Path, typer.Argument(help="Where to write the releases (JSON).")],
) -> None:
    """Write every stored release to a file ({"owner/repo": [release, ...]}).

    Example: tracker releases export releases.json
    """
    with errors():
        exported = sync.export_release_file(_settings(), file)
    note(f"exported {exported} releases to {file}")


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
        typer.Option("--from-dump", help="Scan kubectl dump files instead of the live cluster."),
    ] = None,
    kubeconfig: Annotated[Path | None, typer.Option(help="kubeconfig file.")] = None,
    context: Annotated[str | None, typer.Option(help="kubeconfig context.")] = None,
    cluster: Annotated[str | None, typer.Option(help="Name of the cluster.")] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option(help="Write <cluster>-<date>.md and .json here (default: report.dir)."),
    ] = None,
    no_sync: Annotated[
        bool, typer.Option("--no-sync", help="Do not sync upstream data (air-gapped installs).")
    ] = False,
    wait: Annotated[
        float,
        typer.Option(help="Seconds to wait when another run of this cluster holds the lock."),
    ] = 0.0,
    fail_on: FailOnOption = None,
    format: FormatOption = "table",
) -> None:
    """The nightly job: scan + sync + evaluate + store + report + notify, safe to re-run.

    A failed step is reported and the others still run where they can (exit code 1 at the
    end); a notification that cannot be delivered is kept and sent by the next run.

    Example: tracker run --report-dir /var/lib/tracker/reports
    """
    source = scan.SourceOptions(tuple(from_dump or ()), kubeconfig, context)
    with errors(), _ConfigNamed():
        if demo_:
            if source.given or cluster or report_dir or wait:
                raise ConfigError(
                    "--demo runs on the bundled sample cluster only",
                    "drop --from-dump/--kubeconfig/--context/--cluster/--report-dir/--wait",
                )
            sample = demo.run_demo()
            emit(formatter(format, None).format(sample), None)
            exit_on_fail(sample, fail_on)
            return
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
        if result.notifications_sent or result.notifications_pending:
            note(
                f"notifications: {result.notifications_sent} sent, "
                f"{result.notifications_pending} waiting for the next run"
            )
        for line in result.errors:
            error(line)
        if result.report is not None:
            exit_on_fail(result.report, fail_on)
        if result.errors:
            raise typer.Exit(1)


@app.command("query")
def query_cmd(
    component: Annotated[str | None, typer.Option(help="Catalogue id, e.g. istio.")] = None,
    cluster: Annotated[str | None, typer.Option(help="Cluster name.")] = None,
    namespace: Annotated[str | None, typer.Option(help="Namespace.")] = None,
    status: Annotated[Status | None, typer.Option(help="Evaluation status.")] = None,
    flag: Annotated[Flag | None, typer.Option(help="Rows carrying this flag.")] = None,
    behind: Annotated[
        Behind | None, typer.Option(help="At least this far behind (minor: minor or major).")
    ] = None,
    older_than: Annotated[
        str | None, typer.Option(help="Running version lower than this, e.g. 1.22.")
    ] = None,
    format: Annotated[
        FormatChoice, typer.Option("--format", "-f", help="table or json (markdown: as a table).")
    ] = "table",
) -> None:
    """Ask questions of the stored scans, without rescanning.

    Reads the rows of each cluster's latest evaluated scan (`tracker report` or
    `tracker run` evaluates a scan).

    Example: tracker query --component istio --older-than 1.22
    """
    with errors(), _ConfigNamed():
        try:
            row_filter = query.RowFilter.build(
                component=component,
                cluster=cluster,
                namespace=namespace,
                status=status.value if status else None,
                flag=flag.value if flag else None,
                behind=behind.value if behind else None,
                older_than=older_than,
            )
        except ValueError as exc:
            raise ConfigError(str(exc), "give a version such as 1.22 or 1.22.3") from None
        rows = query.run_query(_settings(), row_filter)
        if str(format) == "json":
            from tracker.report.json import rows_to_json

            emit(rows_to_json(rows), None)
            return
        note(f"{len(rows)} matching rows")
        if rows:
            from datetime import UTC, datetime

            table = Report(datetime.now(UTC), (), tuple(rows), ())
            emit(formatter("table", None).format(table), None)


@app.command("history")
def history_cmd(
    cluster: Annotated[
        list[str] | None, typer.Option(help="Only this cluster (repeatable; default: all).")
    ] = None,
    component: Annotated[str | None, typer.Option(help="Only this catalogue id.")] = None,
    limit: Annotated[
        int, typer.Option(min=1, help="How many runs per cluster, newest first.")
    ] = 10,
) -> None:
    """Show what changed from run to run, and for how long open findings have been open.

    Per run: new and resolved findings, upgraded and downgraded components.

    Example: tracker history --cluster prod --component istio
    """
    from tracker.report.history import format_history

    with errors():
        histories = query.run_history(_settings(), clusters=cluster or [], limit=limit)
        width, color = table_style(None)
        text = format_history(
            histories, component=component, today=today(), width=width, color=color
        )
        emit(text, None)


@app.command("notify")
def notify_cmd(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the payloads instead of sending them.")
    ] = False,
    cluster: Annotated[
        list[str] | None, typer.Option(help="Only this cluster (repeatable; default: all).")
    ] = None,
) -> None:
    """Send (or with --dry-run, print) the digest of each cluster's latest run, now.

    The digest shows the changes between the cluster's last two evaluated runs. It is sent
    whatever notify.when says, through the same outbox as `tracker run`: a digest that
    cannot be delivered is kept and retried by the next run or notify. A dry run stores
    nothing. The Slack webhook URL comes from $TRACKER_SLACK_WEBHOOK_URL (or notify.slack
    settings), never from the command line.

    Example: tracker notify --dry-run --cluster prod
    """
    with errors(), _ConfigNamed():
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
    with errors():
        schema = db.upgrade(_settings())
    note(f"database {schema.url} is at schema revision {schema.current}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and this tracker's, without changing anything.

    Example: tracker db current
    """
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
    with errors():
        cutoff, result = db.prune(_settings(), dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    note(
        f"{verb} {result.scans} scan(s) taken before {cutoff:%Y-%m-%d %H:%M} UTC "
        f"({result.components} component row(s), {result.report_rows} report row(s)); "
        f"kept {result.kept} older scan(s) that are a cluster's latest or baseline"
    )
