"""``tracker sync`` and ``tracker releases``: upstream data in (a sync, an import) and out.

:class:`SyncOptions` is the one conversion of :class:`~tracker.config.Settings` into sync
arguments (``tracker sync`` and ``tracker run`` both use :meth:`SyncOptions.from_settings`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.errors import ReportError
from tracker.models import CatalogueEntry, Release
from tracker.workflows.common import load_components, open_store

if TYPE_CHECKING:
    import httpx

    from tracker.store import Store
    from tracker.upstream.sync import (
        OldestNeeded,
        ProgressCallback,
        ProjectResult,
        ProjectStatus,
        SyncSummary,
    )

__all__ = [
    "ProgressCallback",
    "ProgressFactory",
    "ProjectResult",
    "ProjectStatus",
    "StoredReleases",
    "SyncOptions",
    "SyncSummary",
    "export_advisory_file",
    "export_cycle_file",
    "export_release_file",
    "import_advisory_files",
    "import_cycle_file",
    "import_release_file",
    "no_progress",
    "oldest_running",
    "run_sync",
    "stored_releases",
    "sync_advisory_data",
    "sync_upstream",
    "tracked_projects",
]

ProgressFactory = Callable[[int], AbstractContextManager["ProgressCallback | None"]]
"""``factory(total_projects)`` -> a context manager yielding the per-project callback."""


@dataclass(frozen=True)
class SyncOptions:
    """How to sync upstream data (the ``[github]`` and ``[sync]`` settings).

    Attributes:
        enabled: False skips the sync (``--no-sync``, the demo, air-gapped installs).
        api_url: the GitHub REST base URL (GitHub Enterprise: ``https://HOST/api/v3``).
        token: the GitHub token (None: anonymous); kept out of ``repr()`` (logs, tracebacks).
        min_interval: ``tracker run`` skips the sync when every tracked project synced
            successfully within this.
        timeout_seconds: per-request timeout towards the API.
        client: an httpx client to use (tests); None: a pooled client per sync.
        progress: called after each project (see ``tracker.upstream.sync.ProgressCallback``).
        lifecycle_api_url: the endoflife.date API (``lifecycle.api_url``).
        gitlab_api_url: the GitLab REST API v4 base URL (``gitlab.api_url``).
        gitlab_token: the GitLab token (None: anonymous); kept out of ``repr()``.
    """

    enabled: bool = True
    api_url: str = Settings.github_api_url
    token: str | None = field(default=None, repr=False)
    concurrency: int = Settings.sync_concurrency
    max_pages: int | None = Settings.sync_max_pages
    min_interval: timedelta = Settings.sync_min_interval
    timeout_seconds: float = Settings.sync_timeout_seconds
    client: httpx.Client | None = None
    progress: ProgressCallback | None = None
    lifecycle_api_url: str = Settings.lifecycle_api_url
    gitlab_api_url: str = Settings.gitlab_api_url
    gitlab_token: str | None = field(default=None, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, *, enabled: bool = True) -> SyncOptions:
        """The sync options ``settings`` give (reads the token: see ``Settings.github_token``).

        Raises:
            ConfigError: the token file cannot be read.
        """
        return cls(
            enabled=enabled,
            api_url=settings.github_api_url,
            token=settings.github_token() if enabled else None,
            concurrency=settings.sync_concurrency,
            max_pages=settings.sync_max_pages,
            min_interval=settings.sync_min_interval,
            timeout_seconds=settings.sync_timeout_seconds,
            lifecycle_api_url=settings.lifecycle_api_url,
            gitlab_api_url=settings.gitlab_api_url,
            gitlab_token=settings.gitlab_token() if enabled else None,
        )


def __getattr__(name: str) -> object:
    """The sync result types of ``tracker.upstream.sync``, imported on first use."""
    if name in ("ProgressCallback", "ProjectResult", "ProjectStatus", "SyncSummary"):
        from tracker.upstream import sync

        return getattr(sync, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def tracked_projects(catalogue: Mapping[str, CatalogueEntry]) -> list[str]:
    """Every upstream project (``owner/repo``) the component catalogue tracks, sorted, unique."""
    return sorted({e.project for e in catalogue.values() if e.project})


def oldest_running(
    store: Store, catalogue: Mapping[str, CatalogueEntry]
) -> dict[str, list[OldestNeeded]]:
    """Project -> the running versions (with their stream's tag rule) of every latest scan.

    A sync pages back until these are covered: the first one, and any later one whose stored
    releases no longer cover a running version (see ``tracker.upstream.sync.sync_projects``).
    """
    from tracker.evaluate import running_version
    from tracker.upstream.sync import OldestNeeded
    from tracker.versions import ParsedVersion

    needed: dict[str, dict[tuple[str, str], OldestNeeded]] = {}
    for stored in store.latest_scans():
        for component in stored.identification.components:
            entry = catalogue.get(component.component)
            if entry is None or not entry.project:
                continue
            running = running_version(component, entry)  # applies the image tag rule
            if not isinstance(running, ParsedVersion):
                continue  # an unknown version cannot tell how far back to page
            need = OldestNeeded(entry.tag_pattern, running.normalized)
            needed.setdefault(entry.project, {})[(need.tag_pattern, need.version)] = need
    return {project: list(needs.values()) for project, needs in needed.items()}


def sync_upstream(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    options: SyncOptions,
    *,
    now: datetime,
    projects: Sequence[str] | None = None,
    full: bool = False,
    lifecycle: bool = True,
) -> SyncSummary:
    """Refresh the stored upstream data of ``projects`` (default: every tracked one).

    With ``lifecycle`` (and no rate limit hit), also the support windows of every
    endoflife.date product the catalogue and the scanned distributions use, and GitHub's
    ``archived`` flag of ``projects`` (one conditional request each); their failures become
    warnings of the summary and never delete stored data.

    Returns:
        The run's ``SyncSummary`` (its ``warnings`` include the anonymous-limit notice).

    Raises:
        StoreError: the store cannot be read or written. Per-project failures are in the summary.
    """
    from tracker.upstream.github import default_client, token_key
    from tracker.upstream.sources import SourceOptions, build_sources
    from tracker.upstream.sync import sync_projects

    wanted = list(projects) if projects else tracked_projects(catalogue)
    own_client = options.client is None
    http = options.client or default_client(
        timeout=options.timeout_seconds, concurrency=options.concurrency
    )
    try:
        source = build_sources(  # each project to the source its catalogue entry names
            catalogue,
            SourceOptions(
                client=http,
                github_api_url=options.api_url,
                github_token=options.token,
                gitlab_api_url=options.gitlab_api_url,
                gitlab_token=options.gitlab_token,
            ),
        )
        summary = sync_projects(
            store,
            source,
            wanted,
            token_key=token_key(options.token),
            now=now,
            full=full,
            concurrency=options.concurrency,
            max_pages=options.max_pages,
            oldest_needed=oldest_running(store, catalogue),
            progress=options.progress,
        )
        if lifecycle and not summary.source_stopped("github"):  # archived flags need GitHub
            on_github = [p for p in wanted if source.source_for(p).name == "github"]
            summary = _sync_lifecycle(store, catalogue, options, http, on_github, summary, now)
        return summary
    finally:
        if own_client:
            http.close()


def _sync_lifecycle(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    options: SyncOptions,
    http: httpx.Client,
    projects: Sequence[str],
    summary: SyncSummary,
    now: datetime,
) -> SyncSummary:
    """Support windows and archived flags after the releases; results as summary warnings."""
    from tracker.upstream.github.repository import sync_archived
    from tracker.upstream.lifecycle_sync import eol_products, sync_cycles

    distributions = [s.summary.distribution or "" for s in store.latest_scans()]
    cycles = sync_cycles(
        store,
        http,
        eol_products(catalogue, distributions),
        now=now,
        api_url=options.lifecycle_api_url,
        timeout=options.timeout_seconds,
    )
    repos = sync_archived(
        store,
        http,
        [p for p in projects if p not in summary.failures],  # GitHub already failing: skip
        now=now,
        api_url=options.api_url,
        token=options.token,
        timeout=options.timeout_seconds,
    )
    lines = [
        f"support windows: {len(cycles.changed)} product(s) updated, "
        f"{len(cycles.unchanged)} not modified, {len(cycles.failed)} failed "
        "(stored data kept)"
    ]
    if cycles.unreachable:
        lines.append(f"support windows: {cycles.unreachable}")
    else:
        lines += [f"support windows: {error}" for error in cycles.failed.values()]
    lines += [
        f"endoflife.date renamed {old} to {new}: set eol_product = {new!r} in the catalogue"
        for old, new in cycles.renamed.items()
    ]
    lines += [f"archived flag: {error}" for error in repos.failed.values()]
    return replace(summary, warnings=(*summary.warnings, *lines))


def no_progress(total: int) -> AbstractContextManager[ProgressCallback | None]:
    """The :data:`ProgressFactory` that reports nothing."""
    return nullcontext(None)


def run_sync(
    settings: Settings,
    *,
    projects: Sequence[str] = (),
    full: bool = False,
    progress: ProgressFactory = no_progress,
) -> SyncSummary:
    """``tracker sync``: refresh the stored upstream data, holding the store's ``sync`` lock.

    Args:
        projects: only these ``owner/repo`` (default: every project the catalogue tracks).
        full: read every page and replace what is stored (picks up deletions).
        progress: given the number of projects, yields the per-project callback.

    Raises:
        LockError: another process is syncing this store.
        ConfigError, IdentifyError, StoreError: settings, catalogue or store problems.
    """
    catalogue = load_components(settings)
    options = SyncOptions.from_settings(settings)
    wanted = list(projects) or tracked_projects(catalogue)
    with open_store(settings) as store, store.job_lock("sync"), progress(len(wanted)) as each:
        summary = sync_upstream(
            store,
            catalogue,
            replace(options, progress=each),
            now=datetime.now(UTC),
            projects=wanted,
            full=full,
            lifecycle=not projects,
        )
        if projects or summary.source_stopped("github"):
            return summary  # a chosen project list, or GitHub is out of reach: releases only
        return sync_advisory_data(store, catalogue, options, summary, now=datetime.now(UTC))


def sync_advisory_data(
    store: Store,
    catalogue: Mapping[str, CatalogueEntry],
    options: SyncOptions,
    summary: SyncSummary,
    *,
    now: datetime,
) -> SyncSummary:
    """Sync the security advisories of every catalogue entry's ``advisory_packages`` (GitHub
    REST global advisories) and fold the outcome into the release sync's ``summary``.

    A failed package is a failure of the run (named ``advisories go:...``); stored
    advisories are never deleted.

    Raises:
        StoreError: the store cannot be read or written.
    """
    from tracker.upstream.github import default_client
    from tracker.upstream.github.advisory_sync import sync_advisories
    from tracker.upstream.github.client import GitHubClient

    packages = [p for entry in catalogue.values() for p in entry.advisory_packages]
    if not packages:
        return summary
    own_client = options.client is None
    http = options.client or default_client(
        timeout=options.timeout_seconds, concurrency=options.concurrency
    )
    try:
        client = GitHubClient(http, options.api_url, options.token, timeout=options.timeout_seconds)
        result = sync_advisories(store, client, packages, token=options.token, now=now)
    finally:
        if own_client:
            http.close()
    failures = {f"advisories {r.package}": r.error or "failed" for r in result.results if r.error}
    return replace(
        summary,
        failures={**summary.failures, **failures},
        warnings=tuple(dict.fromkeys((*summary.warnings, *result.warnings))),
        advisories=result.one_line(),
    )


def import_release_file(
    settings: Settings, file: Path, *, project: str | None = None
) -> dict[str, int]:
    """``tracker releases import``: load a release file into the store.

    Returns:
        ``{project: new releases stored}``.

    Raises:
        ReleaseFileError: the file is missing or malformed (names it); StoreError.
    """
    from tracker.upstream.release_file import import_releases

    with open_store(settings) as store:
        return import_releases(store, file, project=project)


def export_release_file(settings: Settings, file: Path) -> int:
    """``tracker releases export``: write every stored release to ``file``; returns the count.

    Raises:
        ReleaseFileError: the file cannot be written; StoreError.
    """
    from tracker.upstream.release_file import export_releases

    with open_store(settings, read_only=True) as store:
        return export_releases(store, file)


def import_cycle_file(settings: Settings, file: Path) -> dict[str, int]:
    """``tracker lifecycle import``: load a cycles file (``{product: API answer}``).

    Returns:
        ``{product: cycles new or changed}``.

    Raises:
        CycleFileError: the file is missing or malformed (names it; nothing stored); StoreError.
    """
    from tracker.upstream.cycle_file import import_cycles

    with open_store(settings) as store:
        return import_cycles(store, file, now=datetime.now(UTC))


def export_cycle_file(settings: Settings, file: Path) -> int:
    """``tracker lifecycle export``: write every stored product; returns the product count.

    Raises:
        CycleFileError: the file cannot be written; StoreError.
    """
    from tracker.upstream.cycle_file import export_cycles

    with open_store(settings, read_only=True) as store:
        return export_cycles(store, file)


def import_advisory_files(settings: Settings, paths: Sequence[Path]) -> tuple[int, int]:
    """``tracker advisories import``: load OSV files/directories into the store.

    Returns:
        (records read, records new or changed per package).

    Raises:
        AdvisoryFileError: a file is missing or malformed (names it; nothing stored).
        StoreError.
    """
    from tracker.upstream.advisory_file import import_advisories

    with open_store(settings) as store:
        return import_advisories(store, paths)


def export_advisory_file(settings: Settings, file: Path) -> int:
    """``tracker advisories export``: write every stored advisory to ``file`` (OSV array).

    Raises:
        AdvisoryFileError: the file cannot be written; StoreError.
    """
    from tracker.upstream.advisory_file import export_advisories

    with open_store(settings, read_only=True) as store:
        return export_advisories(store, file)


@dataclass(frozen=True)
class StoredReleases:
    """The releases stored for one project, and when it last synced (None: imported only)."""

    project: str
    releases: tuple[Release, ...]
    synced: datetime | None


def stored_releases(settings: Settings, project: str) -> StoredReleases:
    """``tracker releases list``: the releases stored for ``project`` (``owner/repo``).

    Raises:
        ReportError: nothing is stored for ``project`` (the hint names close stored
            projects, or says how to get releases); StoreError.
    """
    with open_store(settings, read_only=True) as store:
        releases = store.releases(project)
        synced = store.last_synced().get(project)
        known = store.projects() if not releases else []
    if not releases:
        import difflib

        close = difflib.get_close_matches(project, known, n=3)
        raise ReportError(
            f"no releases stored for {project}",
            f"did you mean {', '.join(close)}?"
            if close
            else "give the project as owner/repo and run `tracker sync --project OWNER/REPO` "
            "or `tracker releases import FILE`",
        )
    return StoredReleases(project, tuple(releases), synced)
