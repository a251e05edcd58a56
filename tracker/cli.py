"""The ``tracker`` command line: Typer commands only.

Each command: options -> Settings -> one library call -> formatter -> exit code.
Exit codes: 0 ok; 1 a tracker error (one line on stderr, with a hint); 2 usage;
3 a ``--fail-on`` finding was hit.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.console import Console
from rich.markup import escape

from tracker import __version__
from tracker.config import Settings, load_settings
from tracker.errors import ConfigError, IdentifyError, NotifyError, ReportError, TrackerError
from tracker.identify.catalogue import load_catalogue
from tracker.inventory.base import InventorySource
from tracker.job import SyncOptions, run_job
from tracker.models import Behind, CatalogueEntry, Flag, Report, Status
from tracker.notify.base import Notifier
from tracker.notify.slack import SlackNotifier
from tracker.notify.webhook import WebhookNotifier
from tracker.pipeline import build_report, fleet_report, scan, sync_catalogue, tracked_projects
from tracker.query import RowFilter, cluster_history, query_rows
from tracker.report import fail_on_hit, get_formatter
from tracker.report.base import Formatter
from tracker.report.fleet import fleet_to_dict, format_fleet
from tracker.report.history import format_history
from tracker.report.json import component_to_dict
from tracker.report.release_list import format_release_list
from tracker.store.engine import schema_revisions
from tracker.store.repository import Store
from tracker.upstream.release_file import export_releases, import_releases
from tracker.upstream.sync import SyncSummary, progress_printer

EXIT_FAIL_ON = 3

app = typer.Typer(
    help="What in our Kubernetes clusters is out of date, and how badly?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
releases_app = typer.Typer(
    help="Move the release catalogue in and out (air-gapped installs).", rich_markup_mode=None
)
app.add_typer(releases_app, name="releases")

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    """Report output formats."""

    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


class FailOn(StrEnum):
    """Finding kinds that ``--fail-on`` can turn into exit code 3."""

    OUTDATED = "outdated"
    MAJOR = "major"
    PRE_RELEASE = "pre-release"
    PRE_1_0 = "pre-1.0"
    UNKNOWN = "unknown"
    CRITICAL = "critical"
    WARNING = "warning"


class _State:
    config: Path | None = None
    database_url: str | None = None


state = _State()


@contextmanager
def _errors() -> Iterator[None]:
    """Turn a TrackerError into one line on stderr, ``error: <what> (hint: <what to do>)``,
    and its exit code (1). Everything else (a bug) keeps its traceback."""
    try:
        yield
    except TrackerError as exc:
        hint = f" [dim](hint: {escape(exc.hint)})[/]" if exc.hint else ""
        err_console.print(f"[bold red]error:[/] {escape(exc.message)}{hint}", markup=True)
        raise typer.Exit(exc.exit_code) from None


def _settings(**overrides: object) -> Settings:
    return load_settings(state.config, overrides={"database_url": state.database_url, **overrides})


def _catalogue(settings: Settings) -> dict[str, CatalogueEntry]:
    """The built-in catalogue with the config's ``[components.*]``; errors name the file."""
    try:
        return load_catalogue(settings.components)
    except IdentifyError as exc:
        where = str(state.config or os.environ.get("TRACKER_CONFIG") or "config")
        raise IdentifyError(f"{where}: {exc.message}", exc.hint) from None


def _warn(message: str) -> None:
    err_console.print(f"[yellow]warning:[/] {escape(message)}", markup=True)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"cannot write report to {output}: {exc.strerror}") from None
    err_console.print(f"report written to {output}")


def _table_style(output: Path | None) -> tuple[int, bool]:
    """``(width, color)`` for a table: on a terminal its width (at least 130) and colours;
    piped, $COLUMNS when set, else 160; written to a file, 200 and no colours."""
    out = Console()
    tty = output is None and out.is_terminal
    if output is not None:
        return 200, False
    if tty or os.environ.get("COLUMNS", "").isdigit():
        return max(out.width, 130), tty
    return 160, False


def _formatter(format: Format, output: Path | None) -> Formatter:
    """The report formatter for ``format`` (tables styled by :func:`_table_style`)."""
    width, color = _table_style(output)
    return get_formatter(format.value, width=width, color=color)


def _count(n: int, noun: str) -> str:
    """``1 node``, ``2 nodes``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _today() -> date:
    """Today in UTC: findings are dated in UTC, like every stored time."""
    return datetime.now(UTC).date()


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
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """What in our Kubernetes clusters is out of date, and how badly?

    Example: tracker run --demo
    """
    state.config = config
    state.database_url = database_url


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
    with _errors():
        settings = _settings(cluster_name=cluster)
        catalogue = _catalogue(settings)
        source = _source(from_dump, kubeconfig, context, settings.cluster_name)
        with Store.open(settings.database_url) as store:
            result = scan(source, store, catalogue)
        inv = result.inventory
        for warning in inv.warnings:
            _warn(warning)
        err_console.print(
            f"scanned cluster {inv.cluster!r}: {_count(len(inv.nodes), 'node')}, "
            f"{_count(len(inv.pods), 'pod')}, "
            f"{len(result.identification.components)} components identified, "
            f"{len(result.identification.unidentified)} images unidentified (scan {result.scan_id})"
        )


def _source(
    from_dump: list[Path] | None, kubeconfig: Path | None, context: str | None, cluster: str | None
) -> InventorySource:
    if from_dump:
        from tracker.inventory.kubectl_dump import KubectlDump

        return KubectlDump(from_dump, cluster=cluster)
    from tracker.inventory.kubernetes_api import KubernetesAPI

    return KubernetesAPI(kubeconfig=kubeconfig, context=context, cluster=cluster)


@app.command("report")
def report_cmd(
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TABLE,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to FILE.")] = None,
    fail_on: Annotated[
        list[FailOn] | None,
        typer.Option("--fail-on", help="Exit with code 3 when such a finding exists (repeatable)."),
    ] = None,
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
    """Evaluate the latest scan of each cluster against the release catalogue.

    Example: tracker report --format json --output report.json --fail-on major
    """
    with _errors():
        settings = _settings()
        if all_clusters:
            _fleet(settings, format, output, cluster, fail_on)
            return
        catalogue = _catalogue(settings)
        with Store.open(settings.database_url) as store:
            _check_clusters(store, cluster)
            report = build_report(
                store,
                catalogue,
                today=_today(),
                clusters=cluster or None,
                stale_after=settings.sync_stale_after,
            )
        for warning in report.warnings:
            _warn(warning)
        _emit(_formatter(format, output).format(report), output)
        if fail_on and fail_on_hit(report, [f.value for f in fail_on]):
            raise typer.Exit(EXIT_FAIL_ON)


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
    """Refresh the release catalogue from GitHub for every tracked project.

    Uses conditional requests (a warm sync costs one free request per project), follows
    pagination, and stops cleanly when the rate limit is exhausted. Token: $GITHUB_TOKEN
    (or the variable named by github.token_env). Only one process syncs a store at a time.

    Example: GITHUB_TOKEN=... tracker sync --project istio/istio
    """
    with _errors():
        settings = _settings()
        catalogue = _catalogue(settings)
        with Store.open(settings.database_url) as store, store.job_lock("sync"):
            summary = _sync(store, settings, catalogue, project, full)
        if not summary.ok:
            raise typer.Exit(1)


def _sync(
    store: Store,
    settings: Settings,
    catalogue: Mapping[str, CatalogueEntry],
    projects: list[str] | None,
    full: bool,
) -> SyncSummary:
    wanted = projects or tracked_projects(catalogue)
    with progress_printer(len(wanted)) as progress:
        summary = sync_catalogue(
            store,
            catalogue,
            api_url=settings.github_api_url,
            token=settings.github_token(),
            now=datetime.now(UTC),
            projects=wanted,
            full=full,
            concurrency=settings.sync_concurrency,
            max_pages=settings.sync_max_pages,
            timeout_seconds=settings.sync_timeout_seconds,
            progress=progress,
        )
    for warning in summary.warnings:
        _warn(warning)
    for result in summary.results:
        if result.renamed_to:
            _warn(
                f"{result.project} has moved to {result.renamed_to}: update the catalogue "
                "entry's project"
            )
    err_console.print(summary.one_line())
    return summary


@releases_app.command("list")
def releases_list(
    project: Annotated[str, typer.Argument(help="owner/repo, e.g. istio/istio.")],
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many (newest first).")] = 30,
) -> None:
    """Show the releases stored for a project, newest version first.

    Example: tracker releases list istio/istio --limit 10
    """
    with _errors():
        if project.count("/") != 1 or not all(project.split("/")):
            raise ConfigError(
                f"{project!r} is not a GitHub project", "give it as owner/repo, e.g. istio/istio"
            )
        settings = _settings()
        with Store.open(settings.database_url) as store:
            stored = store.releases(project)
            synced = store.last_synced().get(project)
        if not stored:
            raise ReportError(
                f"no releases stored for {project}",
                "run `tracker sync --project OWNER/REPO` or `tracker releases import FILE`",
            )
        _emit(format_release_list(project, stored, synced, limit), None)


def _check_clusters(store: Store, wanted: list[str] | None) -> list[str]:
    """The clusters asked for (default: all stored); an error names unknown ones and the known."""
    known = store.clusters()
    if not known:
        raise ReportError(
            "the store holds no scan yet",
            "run `tracker scan` or `tracker run` first (is --database-url the right store?)",
        )
    missing = [name for name in wanted or () if name not in known]
    if missing:
        raise ReportError(
            f"no scan of cluster {', '.join(map(repr, missing))} in the store",
            f"stored clusters: {', '.join(known[:20])}{' …' if len(known) > 20 else ''}",
        )
    return list(wanted) if wanted else known


def _fleet(
    settings: Settings,
    format: Format,
    output: Path | None,
    clusters: list[str] | None,
    fail_on: list[FailOn] | None,
) -> None:
    if format is Format.MARKDOWN:
        raise ReportError(
            "--all-clusters supports --format table or json", "use -f table or -f json"
        )
    with Store.open(settings.database_url) as store:
        report = fleet_report(store, clusters)
    if not report.clusters:
        raise ReportError(
            "the store holds no scan yet", "run `tracker scan` or `tracker run` first"
        )
    if format is Format.JSON:
        _emit(json.dumps(fleet_to_dict(report), indent=2), output)
    else:
        width, color = _table_style(output)
        _emit(format_fleet(report, width=width, color=color), output)
    if fail_on and fail_on_hit(report, [f.value for f in fail_on]):
        raise typer.Exit(EXIT_FAIL_ON)


@releases_app.command("import")
def releases_import(
    file: Annotated[Path, typer.Argument(help="JSON file of GitHub REST release objects.")],
    project: Annotated[
        str | None,
        typer.Option(help="owner/repo, when FILE is a plain array of releases of one project."),
    ] = None,
) -> None:
    """Load releases from a file into the catalogue.

    Example: tracker releases import releases.json
    """
    with _errors():
        settings = _settings()
        with Store.open(settings.database_url) as store:
            counts = import_releases(store, file, project=project)
        total = sum(counts.values())
        err_console.print(f"imported {total} new releases for {len(counts)} project(s) from {file}")


@releases_app.command("export")
def releases_export(
    file: Annotated[Path, typer.Argument(help="Where to write the catalogue (JSON).")],
) -> None:
    """Write the whole release catalogue to a file ({"owner/repo": [release, ...]}).

    Example: tracker releases export catalogue.json
    """
    with _errors():
        settings = _settings()
        with Store.open(settings.database_url) as store:
            count = export_releases(store, file)
        err_console.print(f"exported {count} releases to {file}")


@app.command("run")
def run_cmd(
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Run offline on the bundled sample cluster and catalogue, in a temporary "
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
        bool, typer.Option("--no-sync", help="Do not sync releases (air-gapped installs).")
    ] = False,
    wait: Annotated[
        float,
        typer.Option(help="Seconds to wait when another run of this cluster holds the lock."),
    ] = 0.0,
    fail_on: Annotated[
        list[FailOn] | None,
        typer.Option("--fail-on", help="Exit with code 3 when such a finding exists (repeatable)."),
    ] = None,
    format: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.TABLE,
) -> None:
    """The nightly job: scan + sync + evaluate + store + report + notify, safe to re-run.

    A failed step is reported and the others still run where they can (exit code 1 at the
    end); a notification that cannot be delivered is kept and sent by the next run.

    Example: tracker run --report-dir /var/lib/tracker/reports
    """
    with _errors():
        if demo:
            if from_dump or kubeconfig or context or cluster or report_dir or wait:
                raise ConfigError(
                    "--demo runs on the bundled sample cluster only",
                    "drop --from-dump/--kubeconfig/--context/--cluster/--report-dir/--wait",
                )
            report = _run_demo(format)
            if fail_on and fail_on_hit(report, [f.value for f in fail_on]):
                raise typer.Exit(EXIT_FAIL_ON)
            return
        settings = _settings(cluster_name=cluster, report_dir=report_dir)
        catalogue = _catalogue(settings)
        source = _source(from_dump, kubeconfig, context, settings.cluster_name)
        with (
            Store.open(settings.database_url) as store,
            httpx.Client(timeout=settings.notify_timeout_seconds) as client,
            progress_printer(len(tracked_projects(catalogue))) as progress,
        ):
            result = run_job(
                store,
                catalogue,
                source,
                cluster=settings.cluster_name,
                today=_today(),
                now=datetime.now(UTC),
                sync=SyncOptions(
                    enabled=not no_sync,
                    api_url=settings.github_api_url,
                    token=settings.github_token(),
                    concurrency=settings.sync_concurrency,
                    max_pages=settings.sync_max_pages,
                    min_interval=settings.sync_min_interval,
                    timeout_seconds=settings.sync_timeout_seconds,
                    progress=progress,
                ),
                notifiers=_notifiers(settings, client),
                notify_when=settings.notify_when,
                report_dir=settings.report_dir,
                stale_after=settings.sync_stale_after,
                lock_wait_seconds=wait,
            )
        for warning in result.warnings:
            _warn(warning)
        if result.sync is not None:
            err_console.print(result.sync.one_line())
        elif result.sync_skipped:
            err_console.print(f"sync skipped: {result.sync_skipped}")
        if result.report is not None:
            _emit(_formatter(format, None).format(result.report), None)
        for path in result.files:
            err_console.print(f"report written to {path}")
        if result.notifications_sent or result.notifications_pending:
            err_console.print(
                f"notifications: {result.notifications_sent} sent, "
                f"{result.notifications_pending} waiting for the next run"
            )
        for error in result.errors:
            err_console.print(f"[bold red]error:[/] {escape(error)}", markup=True)
        if fail_on and result.report and fail_on_hit(result.report, [f.value for f in fail_on]):
            raise typer.Exit(EXIT_FAIL_ON)
        if result.errors:
            raise typer.Exit(1)


def _notifiers(settings: Settings, client: httpx.Client) -> dict[str, Notifier]:
    notifiers: dict[str, Notifier] = {}
    if slack := settings.slack_webhook_url():
        notifiers["slack"] = SlackNotifier(client, slack)
    if hook := settings.webhook_url():
        notifiers["webhook"] = WebhookNotifier(client, hook)
    return notifiers


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
        Format, typer.Option("--format", "-f", help="table or json (markdown: as a table).")
    ] = Format.TABLE,
) -> None:
    """Ask questions of the stored scans, without rescanning.

    Reads the rows of each cluster's latest evaluated scan (`tracker report` or
    `tracker run` evaluates a scan).

    Example: tracker query --component istio --older-than 1.22
    """
    with _errors():
        try:
            row_filter = RowFilter.build(
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
        settings = _settings()
        if component is not None:
            known = _catalogue(settings)
            if component not in known:
                close = difflib.get_close_matches(component, list(known), n=3)
                raise ConfigError(
                    f"--component {component!r} is not a catalogue id",
                    f"did you mean {', '.join(close)}?"
                    if close
                    else "ids are lowercase, e.g. istio, kubernetes, cert-manager",
                )
        with Store.open(settings.database_url) as store:
            _check_clusters(store, [cluster] if cluster else None)
            rows = query_rows(store, row_filter)
        if format is Format.JSON:
            _emit(json.dumps([component_to_dict(r) for r in rows], indent=2), None)
            return
        err_console.print(f"{len(rows)} matching rows")
        if rows:
            report = Report(datetime.now(UTC), (), tuple(rows), ())
            _emit(_formatter(Format.TABLE, None).format(report), None)


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
    with _errors():
        settings = _settings()
        with Store.open(settings.database_url) as store:
            names = _check_clusters(store, cluster)
            histories = {name: cluster_history(store, name, limit=limit) for name in names}
        _emit(format_history(histories, component=component, today=_today()), None)


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
    whatever notify.when says and is not kept in the outbox: `tracker run` is the reliable
    path. Nothing is stored. The Slack webhook URL comes from $TRACKER_SLACK_WEBHOOK_URL (or
    notify.slack settings), never from the command line.

    Example: tracker notify --dry-run --cluster prod
    """
    with _errors():
        settings = _settings()
        catalogue = _catalogue(settings)
        with (
            Store.open(settings.database_url) as store,
            httpx.Client(timeout=settings.notify_timeout_seconds) as client,
        ):
            names = _check_clusters(store, cluster)
            report = build_report(
                store,
                catalogue,
                today=_today(),
                clusters=names,
                stale_after=settings.sync_stale_after,
                save=False,
            )
            notifiers = _notifiers(settings, client)
            if dry_run:
                notifiers = notifiers or {"slack": SlackNotifier(client, "")}
            elif not notifiers:
                raise ConfigError(
                    "no notification target is configured",
                    "set TRACKER_SLACK_WEBHOOK_URL (or notify.slack.webhook_url_env / _file)",
                )
            failed = 0
            for name in names:
                runs = cluster_history(store, name, limit=1)
                changes = runs[0].changes if runs else None
                for target, notifier in notifiers.items():
                    payload = notifier.build_payload(report, changes, cluster=name)
                    if dry_run:
                        _emit(json.dumps({"target": target, "payload": payload}, indent=2), None)
                        continue
                    try:
                        notifier.send(payload)
                    except NotifyError as exc:  # report it, go on with the other digests
                        failed += 1
                        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", markup=True)
                        continue
                    err_console.print(f"sent the digest of {name} to {target}")
        if failed:
            raise typer.Exit(1)


db_app = typer.Typer(help="The store's schema (Alembic migrations).", rich_markup_mode=None)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (opening the store does it too).

    Example: TRACKER_DATABASE_URL=postgresql+psycopg://tracker@db/tracker tracker db upgrade
    """
    with _errors():
        settings = _settings()
        with Store.open(settings.database_url) as store:
            url = store.url
        current, _ = schema_revisions(settings.database_url)
        err_console.print(f"database {url} is at schema revision {current}")


@db_app.command("current")
def db_current() -> None:
    """Show the database's schema revision and this tracker's, without changing anything.

    Example: tracker db current
    """
    with _errors():
        settings = _settings()
        current, head = schema_revisions(settings.database_url)
        state_ = "up to date" if current == head else "needs `tracker db upgrade`"
        typer.echo(f"current: {current or 'empty'}  head: {head}  ({state_})")


def _run_demo(format: Format) -> Report:
    from tracker.inventory.kubectl_dump import KubectlDump

    demo_dir = resources.files("tracker.demo")
    with tempfile.TemporaryDirectory(prefix="tracker-demo-") as tmp:
        tmp_path = Path(tmp)
        for name in ("cluster.json", "version.json", "releases.json"):
            (tmp_path / name).write_bytes(demo_dir.joinpath(name).read_bytes())
        catalogue = load_catalogue({})
        with Store.open(f"sqlite:///{tmp_path / 'demo.db'}") as store:
            import_releases(store, tmp_path / "releases.json")
            dump = KubectlDump(
                [tmp_path / "cluster.json", tmp_path / "version.json"], cluster="demo"
            )
            scan(dump, store, catalogue)
            report = build_report(store, catalogue, today=_today(), now=datetime.now(UTC))
        _emit(_formatter(format, None).format(report), None)
    return report
