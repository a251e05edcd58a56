"""Refresh stored upstream data: many projects, concurrently, incrementally, politely.

Every project is fetched through the :class:`~tracker.upstream.base.UpstreamSource` seam (a
:class:`~tracker.upstream.sources.SourceRouter` hands each to the source its catalogue entry
names), so nothing here depends on which source serves it.

How one project is synced (``tracker sync``; issue 3):

1. **Warm**: the stored validator is sent; "not modified" ends the project (one request, often
   free of the rate limit).
2. **Changed**: page 1 differs; pages are read only until a page holds a release already
   stored *unchanged* (so an edited release, e.g. a pre-release promoted to stable, is updated).
3. **Cold** (nothing stored): pages are read until every running version of the project is
   covered (a release of that stream at or below the oldest running version; see
   :class:`OldestNeeded`), or until ``max_pages``.
4. **Uncovered** (releases stored, but a cluster runs an older version of a stream than any
   stored release of it, e.g. a new cluster on istio 1.12 after a first sync that paged back
   to 1.20): the fetch is not conditional ("not modified" would hide what is missing; an
   interrupted listing still resumes) and pages are read until
   *both* a page held a release stored unchanged *and* every running version is covered, or
   until the listing ends (the version is older than anything upstream lists) or ``max_pages``.
5. **Full** (``full=True``): every page is read (up to ``max_pages``); when the listing was
   complete, the stored releases are *replaced*, so deleted or re-tagged releases disappear.
   Nothing stored is read to plan it.

Remembering a complete listing (so step 4 is not repeated every run for a version older than
anything upstream): when a fetch reads a listing to its last page, the sync records
``complete`` in the store's sync state (its own column, beside the ETag). Later syncs keep it:
the listing is newest first, so they only add at the top, and everything older stays stored. A
project so marked is never "uncovered"; it is planned as warm/changed. A full sync does not
read the old flag, so a full sync capped by ``max_pages`` drops it (costing at most one more
step-4 sync).

Faults: a project that fails (404, 5xx storm, timeouts) is recorded as failed with its last
error and the others continue; an exhausted primary rate limit stops the run cleanly (projects
not started are skipped) and the summary says when it resets. A project whose listing the rate
limit cut short keeps the pages read (stored; the listing stays incomplete) and its validator
says where the next sync resumes. Every request attempt is counted, failed projects included.
An API that cannot be reached at all (wrong API URL, no network, DNS failure, connection
refused) stops the run the same way after one project: the first project is fetched alone,
before the others start, so a dead host costs one project's short retry, not one per project;
the summary names the host. Both stops are per source: when the catalogue routes projects to
several sources (:class:`~tracker.upstream.sources.SourceRouter`), an unreachable host or an
exhausted rate limit skips only that source's projects, and each source's first project is
fetched alone.
Timeouts on an established connection and HTTP 5xx stay per-project failures. Nothing stored
is deleted by a failed sync: only a complete, successful full listing replaces.

Threads: fetches run in a ``ThreadPoolExecutor`` of ``concurrency`` workers; every store call
happens in the caller's thread, so the store need not be thread-safe.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tracker.errors import RateLimitError, UpstreamError, UpstreamUnreachableError
from tracker.models import Release
from tracker.upstream.base import FetchResult, StopCondition, UpstreamSource
from tracker.upstream.sources import SourceRouter
from tracker.upstream.stores import UpstreamStore
from tracker.versions import ParsedVersion, parse_tag, parse_version


class ProjectStatus(StrEnum):
    """Outcome of one project in one sync run."""

    UPDATED = "updated"  # releases fetched and stored (perhaps none new)
    NOT_MODIFIED = "not-modified"  # upstream said nothing changed
    FAILED = "failed"  # an error; stored data kept
    SKIPPED = "skipped"  # not attempted: the rate limit was exhausted / the API unreachable


@dataclass(frozen=True)
class OldestNeeded:
    """The oldest version of one release stream running in any scanned cluster.

    Attributes:
        tag_pattern: the catalogue entry's tag rule (regex with a ``version`` group).
        version: the oldest running version, raw (``1.18.2``, ``v1.28.3-eks-ab12cd``).
    """

    tag_pattern: str
    version: str


@dataclass(frozen=True)
class ProjectResult:
    """What the sync did for one project.

    Attributes:
        requests: request attempts made for it (retries included, failed projects too).
        pages: pages of releases read.
        fetched: releases read (drafts excluded).
        new_releases: releases stored that were not stored before.
        error: the one-line error when ``FAILED`` (or why ``SKIPPED``).
        renamed_to: the project's new id when upstream said it moved.
        replaced: True when a complete full listing replaced the stored releases.
        malformed: one line per release item left out as malformed.
        warnings: what the source refused to do (e.g. follow a link to another host), and
            why a listing stopped early (e.g. the rate limit ran out after page 2).
    """

    project: str
    status: ProjectStatus
    requests: int = 0
    pages: int = 0
    fetched: int = 0
    new_releases: int = 0
    error: str | None = None
    renamed_to: str | None = None
    from_tags: bool = False
    replaced: bool = False
    drafts: int = 0
    malformed: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SyncSummary:
    """The end of a sync run.

    Attributes:
        projects: projects asked for (after removing duplicates).
        requests: request attempts made in total (failed projects included).
        not_modified: projects upstream said were not modified.
        new_releases: releases stored that were new.
        failures: project -> one-line error, for failed and skipped projects.
        rate_limit_remaining: the lowest ``X-RateLimit-Remaining`` seen (None if never sent).
        rate_limit_reset: when the rate limit resets (aware UTC), if known.
        rate_limited: True when the primary rate limit ended the run early.
        unreachable: the one-line error when the API could not be reached at all and the run
            stopped early (names the host, never a token); None otherwise.
        concurrency: worker threads used.
        seconds: wall time of the run.
        results: one :class:`ProjectResult` per project, in the order asked.
        warnings: one-line warnings to print once (e.g. anonymous rate limit).
        stopped: source name -> why its projects not yet started were skipped (rate limit
            exhausted, API unreachable); the sources not named here ran to the end.
    """

    projects: int
    requests: int
    not_modified: int
    new_releases: int
    failures: Mapping[str, str]
    rate_limit_remaining: int | None
    rate_limit_reset: datetime | None
    rate_limited: bool
    concurrency: int
    seconds: float
    results: tuple[ProjectResult, ...] = ()
    warnings: tuple[str, ...] = field(default=())
    unreachable: str | None = None
    advisories: str | None = None
    stopped: Mapping[str, str] = field(default_factory=dict)

    def source_stopped(self, name: str) -> bool:
        """Whether the source named ``name`` (as catalogue entries spell it) stopped early."""
        return name in self.stopped

    """The advisory sync's one-line summary, when it ran."""

    @property
    def ok(self) -> bool:
        """True when every project synced (updated or not modified)."""
        return not self.failures

    def one_line(self) -> str:
        """A one-line summary, e.g.
        ``synced 40 projects in 0.4 s: 40 requests, 40 not modified, 0 new releases, 0 failed;
        rate limit 4960 left, resets 2024-03-15 19:00 UTC``.
        """
        failed = sum(1 for r in self.results if r.status is ProjectStatus.FAILED)
        skipped = sum(1 for r in self.results if r.status is ProjectStatus.SKIPPED)
        text = (
            f"synced {self.projects} project{'' if self.projects == 1 else 's'} in "
            f"{self.seconds:.1f} s: {self.requests} requests, "
            f"{self.not_modified} not modified, {self.new_releases} new releases, {failed} failed"
        )
        if skipped:
            text += f", {skipped} skipped"
        limit = []
        if self.rate_limited:
            limit.append("rate limit exhausted")
        elif self.rate_limit_remaining is not None:
            limit.append(f"rate limit {self.rate_limit_remaining} left")
        if self.rate_limit_reset is not None and (self.rate_limited or limit):
            limit.append(f"resets {self.rate_limit_reset.strftime('%Y-%m-%d %H:%M UTC')}")
        if limit:
            text += "; " + ", ".join(limit)
        if self.unreachable:
            text += f"; stopped: {self.unreachable}"
        if self.advisories:
            text += f"; {self.advisories}"
        return text


ProgressCallback = Callable[[ProjectResult, int, int], None]
"""``progress(result, done, total)``, called in the caller's thread after each project."""


def _targets(needs: Sequence[OldestNeeded]) -> list[tuple[str, ParsedVersion]]:
    """(tag pattern, oldest running version) per need; unparsable versions cannot be covered."""
    targets: list[tuple[str, ParsedVersion]] = []
    for need in needs:
        parsed = parse_version(need.version)
        if isinstance(parsed, ParsedVersion):
            targets.append((need.tag_pattern, parsed))
    return targets


def _strike(open_targets: list[tuple[str, ParsedVersion]], releases: Sequence[Release]) -> None:
    """Remove from ``open_targets`` each target a release of its stream at or below covers."""
    for release in releases:
        if not open_targets:
            return
        for target in list(open_targets):
            pattern, oldest = target
            version = parse_tag(release.tag, pattern)
            if isinstance(version, ParsedVersion) and version.version <= oldest.version:
                open_targets.remove(target)


def _covers(needs: Sequence[OldestNeeded]) -> StopCondition:
    """A stop condition: True once every need has a release at or below its oldest version."""
    open_targets = _targets(needs)

    def stop(page: Sequence[Release]) -> bool:
        _strike(open_targets, page)
        return not open_targets

    return stop


def _already_stored(stored: Sequence[Release]) -> StopCondition:
    """A stop condition: True once a page holds a release stored exactly as it is now."""
    known = {r.tag: r for r in stored}

    def stop(page: Sequence[Release]) -> bool:
        return any(known.get(r.tag) == r for r in page)

    return stop


def _overlaps_and_covers(
    stored: Sequence[Release], open_targets: list[tuple[str, ParsedVersion]]
) -> StopCondition:
    """A stop condition: True once a page read so far held a release stored unchanged (the
    new top of the listing is joined to what is stored) *and* every open target is covered."""
    overlap = _already_stored(stored)
    joined = False

    def stop(page: Sequence[Release]) -> bool:
        nonlocal joined
        joined = overlap(page) or joined
        _strike(open_targets, page)
        return joined and not open_targets

    return stop


@dataclass(frozen=True)
class _Plan:
    project: str
    etag: str | None  # the validator to send (None: start from the top, unconditionally)
    stop: StopCondition | None
    full: bool
    recorded: str | None = None  # the recorded value as stored (kept when the sync fails)
    complete: bool = False  # the listing was once read to its end (the store's sync state)
    conditional: bool = True  # False: "not modified" would hide missing data (step 4)


def _plan(
    store: UpstreamStore,
    project: str,
    token_key: str,
    full: bool,
    oldest_needed: Mapping[str, Sequence[OldestNeeded]] | None,
) -> _Plan:
    """How to fetch ``project`` (module docstring, steps 1-5); reads the store, no request."""
    if full:  # every page is read anyway: what is stored does not matter
        return _Plan(project, None, None, True)
    state = store.sync_state(project, token_key)
    recorded = state.etag if state is not None else None
    etag, complete = recorded, state.complete if state is not None else False
    stored = store.releases(project)
    needs = oldest_needed.get(project, ()) if oldest_needed is not None else ()
    if not stored:
        stop = _covers(needs) if oldest_needed is not None and project in oldest_needed else None
        return _Plan(project, None, stop, False, recorded, complete)
    open_targets = [] if complete else _targets(needs)
    _strike(open_targets, stored)
    if open_targets:  # an older version runs than stored: "not modified" would hide it
        return _Plan(
            project,
            etag,  # an interrupted listing still resumes
            _overlaps_and_covers(stored, open_targets),
            False,
            recorded,
            complete,
            conditional=False,
        )
    return _Plan(project, etag, _already_stored(stored), False, recorded, complete)


def sync_projects(
    store: UpstreamStore,
    source: UpstreamSource,
    projects: Sequence[str],
    *,
    token_key: str,
    now: datetime,
    full: bool = False,
    concurrency: int = 8,
    max_pages: int | None = None,
    oldest_needed: Mapping[str, Sequence[OldestNeeded]] | None = None,
    progress: ProgressCallback | None = None,
) -> SyncSummary:
    """Sync ``projects`` from ``source`` into ``store``; never raises per project.

    Args:
        source: one source, or a :class:`~tracker.upstream.sources.SourceRouter` that hands
            each project to the source its catalogue entry names.
        token_key: whose validators to use (they differ per credential); see
            the source's credential fingerprint (sync state is kept per credential).
        now: the attempt time recorded in the store (aware UTC).
        full: read every page and, when the listing completes, replace the stored releases.
        concurrency: worker threads (``sync.concurrency``, default 8).
        max_pages: bound on pages per project (``sync.max_pages``); None: no bound.
        oldest_needed: project -> the oldest running version of each of its streams; a first
            sync of a listed project stops once they are covered, and a later sync pages back
            (unconditionally) when the stored releases do not cover them (module docstring,
            step 4). Projects not listed (or None) are read to the end (or ``max_pages``) on
            their first sync.
        progress: called after each project (see :data:`ProgressCallback`).

    The first project of each source is fetched alone; that source's others start only if it
    did not find the API unreachable (:class:`~tracker.errors.UpstreamUnreachableError`). An
    exhausted rate limit or an unreachable API skips every project of the same source not yet
    started (no request); projects already in flight finish, other sources go on.

    Returns:
        A :class:`SyncSummary`; failed projects are in ``failures``, stored data kept.

    Raises:
        ValueError: ``concurrency`` < 1. Store errors propagate (``StoreError``).
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    started = time.monotonic()
    unique = list(dict.fromkeys(projects))
    plans = [_plan(store, p, token_key, full, oldest_needed) for p in unique]
    lanes = {plan.project: _source_name(source, plan.project) for plan in plans}
    halted: dict[str, str] = {}  # source -> why its projects not yet started are skipped
    halt_lock = threading.Lock()

    def halt(project: str, reason: str) -> None:
        with halt_lock:
            halted.setdefault(lanes[project], reason)  # the first reason wins

    def work(plan: _Plan) -> FetchResult | Exception | None:
        if lanes[plan.project] in halted:
            return None
        try:
            result = source.fetch(
                plan.project,
                validator=plan.etag,
                conditional=plan.conditional,
                stop=plan.stop,
                max_pages=max_pages,
            )
        except RateLimitError as exc:
            halt(plan.project, "not synced: the rate limit was exhausted")
            return exc
        except UpstreamUnreachableError as exc:
            halt(plan.project, f"not synced: {exc.message}")
            return exc
        except UpstreamError as exc:
            return exc
        if result.rate_limited:
            halt(plan.project, "not synced: the rate limit was exhausted")
        return result

    results: dict[str, ProjectResult] = {}
    remaining: int | None = None
    reset: datetime | None = None
    rate_limited = False
    unreachable: str | None = None

    def handle(plan: _Plan, outcome: FetchResult | Exception | None) -> None:
        nonlocal remaining, reset, rate_limited, unreachable
        if isinstance(outcome, FetchResult):
            result = _store(store, plan, outcome, token_key, now)
            if outcome.rate_limit_remaining is not None:
                if remaining is None or outcome.rate_limit_remaining < remaining:
                    remaining = outcome.rate_limit_remaining
                reset = outcome.rate_limit_reset or reset
            if outcome.rate_limited:
                rate_limited = True
                remaining = 0
        elif isinstance(outcome, Exception):
            message = str(outcome)
            if isinstance(outcome, RateLimitError):
                rate_limited = True
                remaining = 0
                if outcome.reset_at is not None:
                    reset = datetime.fromtimestamp(outcome.reset_at, tz=now.tzinfo)
            if isinstance(outcome, UpstreamUnreachableError) and unreachable is None:
                unreachable = message
            store.record_sync(
                plan.project,
                token_key,
                attempted_at=now,
                etag=plan.recorded,  # the store keeps its previous value on failure anyway
                success=False,
                error=message,
            )
            attempts = outcome.requests if isinstance(outcome, UpstreamError) else 0
            result = ProjectResult(
                plan.project, ProjectStatus.FAILED, requests=attempts, error=message
            )
        else:
            result = ProjectResult(
                plan.project, ProjectStatus.SKIPPED, error=halted[lanes[plan.project]]
            )
        results[plan.project] = result
        if progress is not None:
            progress(result, len(results), len(plans))

    workers = min(concurrency, max(1, len(plans)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tracker-sync") as pool:
        # Each source's first project alone: a dead API host then costs one short retry.
        firsts = list({lanes[plan.project]: plan for plan in reversed(plans)}.values())[::-1]
        first_futures = {pool.submit(work, plan): plan for plan in firsts}
        for future in as_completed(first_futures):
            handle(first_futures[future], future.result())
        futures: dict[Future[FetchResult | Exception | None], _Plan] = {
            pool.submit(work, plan): plan for plan in plans if plan not in firsts
        }
        for future in as_completed(futures):
            handle(futures[future], future.result())
    ordered = tuple(results[p] for p in unique)
    return SyncSummary(
        projects=len(unique),
        requests=sum(r.requests for r in ordered),
        not_modified=sum(1 for r in ordered if r.status is ProjectStatus.NOT_MODIFIED),
        new_releases=sum(r.new_releases for r in ordered),
        failures={r.project: r.error or r.status.value for r in ordered if r.error},
        rate_limit_remaining=remaining,
        rate_limit_reset=reset,
        rate_limited=rate_limited,
        concurrency=workers,
        seconds=time.monotonic() - started,
        results=ordered,
        warnings=source.warnings,
        unreachable=unreachable,
        stopped=dict(halted),
    )


def _source_name(source: UpstreamSource, project: str) -> str:
    """The name of the source that serves ``project`` (a router's routed source)."""
    if isinstance(source, SourceRouter):
        try:
            return source.source_for(project).name
        except UpstreamError:
            return source.name  # not built: its fetch fails per project
    return source.name


def _store(
    store: UpstreamStore, plan: _Plan, outcome: FetchResult, token_key: str, now: datetime
) -> ProjectResult:
    """Write one successful fetch; only a complete full listing replaces stored releases."""
    base = ProjectResult(
        plan.project,
        ProjectStatus.NOT_MODIFIED,
        requests=outcome.requests,
        pages=outcome.pages,
        renamed_to=outcome.renamed_to,
        from_tags=outcome.from_tags,
        drafts=outcome.drafts,
        malformed=outcome.malformed,
        warnings=outcome.warnings + ((outcome.interrupted,) if outcome.interrupted else ()),
    )
    if outcome.not_modified:
        store.record_sync(
            plan.project,
            token_key,
            attempted_at=now,
            etag=outcome.validator,
            complete=plan.complete,
            success=True,
            renamed_to=outcome.renamed_to,
        )
        return base
    replace = plan.full and outcome.complete
    new = store.upsert_releases(plan.project, outcome.releases, replace=replace)
    store.record_sync(
        plan.project,
        token_key,
        attempted_at=now,
        # Once read to its end, a listing stays covered as far as upstream goes: later syncs
        # only add at the top (the listing is newest first), so the marker is kept.
        etag=outcome.validator,
        complete=plan.complete or outcome.complete,
        success=True,
        renamed_to=outcome.renamed_to,
    )
    return dataclasses.replace(
        base,
        status=ProjectStatus.UPDATED,
        fetched=len(outcome.releases),
        new_releases=new,
        replaced=replace,
    )
