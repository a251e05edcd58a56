"""sync_projects over GitHubReleaseSource + MockTransport (real release pages) and a fake store."""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.github_api import FakeGitHub, Fault, load_release_lists
from tests.upstream.fake_store import FakeStore
from tracker.cli.progress import describe
from tracker.upstream.github import GitHubReleaseSource, token_key
from tracker.upstream.sync import (
    OldestNeeded,
    ProjectResult,
    ProjectStatus,
    sync_projects,
)

API = "https://api.github.test"
NOW = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)
KEY = token_key("ghp_test")
PROJECTS = [
    "kubernetes/kubernetes",
    "istio/istio",
    "cert-manager/cert-manager",
    "prometheus/prometheus",
    "grafana/grafana",
]


@pytest.fixture
def lists(realdata: Path) -> dict[str, list[dict[str, Any]]]:
    return load_release_lists(realdata / "releases")


@pytest.fixture
def fake(lists: dict[str, list[dict[str, Any]]]) -> FakeGitHub:
    return FakeGitHub(copy.deepcopy(lists))


@pytest.fixture
def source(fake: FakeGitHub) -> GitHubReleaseSource:
    client = httpx.Client(transport=fake.mock_transport(API))
    return GitHubReleaseSource(client, API, "ghp_test", sleep=lambda s: None)


def run(store: FakeStore, source: GitHubReleaseSource, projects: list[str] = PROJECTS, **kw: Any):  # type: ignore[no-untyped-def]
    return sync_projects(store, source, projects, token_key=KEY, now=NOW, **kw)


def test_cold_sync_stores_everything(
    fake: FakeGitHub, source: GitHubReleaseSource, lists: dict[str, list[dict[str, Any]]]
) -> None:
    store = FakeStore()
    summary = run(store, source)
    total = sum(len(lists[p]) for p in PROJECTS)
    pages = sum(-(-len(lists[p]) // 100) for p in PROJECTS)
    assert summary.new_releases == total
    assert summary.requests == pages == len(fake.log)
    assert summary.ok and summary.not_modified == 0 and summary.projects == 5
    assert {p: len(store.data[p]) for p in PROJECTS} == {p: len(lists[p]) for p in PROJECTS}
    state = store.sync_state("istio/istio", KEY)
    assert state is not None and state.etag and state.last_success_at == NOW


def test_out_of_range_timestamp_counted_as_malformed_and_sync_goes_on(
    fake: FakeGitHub, source: GitHubReleaseSource, lists: dict[str, list[dict[str, Any]]]
) -> None:
    fake.publish("istio/istio", {"tag_name": "9.9.9", "published_at": "9999-12-31T23:59:59-05:00"})
    store = FakeStore()
    summary = run(store, source)
    istio = next(r for r in summary.results if r.project == "istio/istio")
    assert istio.status is ProjectStatus.UPDATED
    assert len(istio.malformed) == 1 and "out of range" in istio.malformed[0]
    assert "1 malformed release left out" in describe(istio)
    assert len(store.data["istio/istio"]) == len(lists["istio/istio"])


def test_warm_sync_is_one_free_request_per_project_and_changes_nothing(
    fake: FakeGitHub, source: GitHubReleaseSource
) -> None:
    store = FakeStore()
    run(store, source)
    before, remaining = store.snapshot(), fake.remaining
    fake.log.clear()
    summary = run(store, source)
    assert summary.requests == 5 and len(fake.log) == 5
    assert summary.not_modified == 5 and summary.new_releases == 0
    assert all(s.headers.get("if-none-match") for s in fake.log)
    assert store.snapshot() == before
    assert fake.remaining == remaining
    assert "5 requests, 5 not modified, 0 new releases, 0 failed" in summary.one_line()


def test_cold_sync_fetches_only_pages_covering_running_versions(
    fake: FakeGitHub, source: GitHubReleaseSource, lists: dict[str, list[dict[str, Any]]]
) -> None:
    store = FakeStore()
    tags = [i["tag_name"] for i in lists["istio/istio"]]
    needed_page = tags.index("1.24.0") // 100 + 1
    assert needed_page < 5
    summary = run(
        store,
        source,
        ["istio/istio"],
        oldest_needed={"istio/istio": [OldestNeeded(r"^(?P<version>\d.*)$", "1.24.2")]},
    )
    assert summary.requests == needed_page
    assert len(store.data["istio/istio"]) == needed_page * 100


def test_two_streams_in_one_repository_both_covered(
    source: GitHubReleaseSource, lists: dict[str, list[dict[str, Any]]]
) -> None:
    store = FakeStore()
    tags = [i["tag_name"] for i in lists["cert-manager/cert-manager"]]
    ctl = tags.index("cmd/ctl/v1.12.0") // 100 + 1
    main = tags.index("v1.14.0") // 100 + 1
    summary = run(
        store,
        source,
        ["cert-manager/cert-manager"],
        oldest_needed={
            "cert-manager/cert-manager": [
                OldestNeeded(r"^v(?P<version>\d.*)$", "v1.14.0"),
                OldestNeeded(r"^cmd/ctl/v(?P<version>\d.*)$", "v1.12.0"),
            ]
        },
    )
    assert summary.requests == max(ctl, main)


def test_new_release_on_page_one_costs_one_request(
    fake: FakeGitHub, source: GitHubReleaseSource
) -> None:
    store = FakeStore()
    run(store, source)
    fake.publish(
        "istio/istio",
        {
            "tag_name": "1.31.0",
            "name": "1.31.0",
            "draft": False,
            "prerelease": False,
            "published_at": "2026-08-30T10:00:00Z",
        },
    )
    fake.log.clear()
    summary = run(store, source)
    assert summary.requests == 5 and summary.new_releases == 1 and summary.not_modified == 4
    assert "1.31.0" in store.data["istio/istio"]


def test_promoted_prerelease_is_picked_up(fake: FakeGitHub, source: GitHubReleaseSource) -> None:
    store = FakeStore()
    run(store, source)
    assert store.data["istio/istio"]["1.31.0-rc.0"].prerelease
    fake.edit("istio/istio", "1.31.0-rc.0", prerelease=False)
    summary = run(store, source)
    assert summary.new_releases == 0
    assert not store.data["istio/istio"]["1.31.0-rc.0"].prerelease


def test_full_sync_replaces_so_deleted_releases_go(
    fake: FakeGitHub, source: GitHubReleaseSource
) -> None:
    store = FakeStore()
    run(store, source)
    fake.delete("prometheus/prometheus", "v3.14.0")
    incremental = run(store, source, ["prometheus/prometheus"])
    assert "v3.14.0" in store.data["prometheus/prometheus"]  # incremental never deletes
    assert incremental.results[0].status is ProjectStatus.UPDATED
    capped = run(store, source, ["prometheus/prometheus"], full=True, max_pages=2)
    assert not capped.results[0].replaced and "v3.14.0" in store.data["prometheus/prometheus"]
    full = run(store, source, ["prometheus/prometheus"], full=True)
    assert full.results[0].replaced
    assert "v3.14.0" not in store.data["prometheus/prometheus"]
    assert len(store.data["prometheus/prometheus"]) == 549


def test_rate_limit_exhausted_stops_cleanly_and_keeps_data(
    fake: FakeGitHub, source: GitHubReleaseSource
) -> None:
    store = FakeStore()
    run(store, source, PROJECTS[:2])
    before = store.snapshot()
    fake.publish(
        "kubernetes/kubernetes", {"tag_name": "v1.30.0", "published_at": "2024-04-17T00:00:00Z"}
    )
    fake.exhaust()
    summary = run(store, source, concurrency=1)
    assert summary.rate_limited and summary.rate_limit_remaining == 0
    assert summary.rate_limit_reset == datetime.fromtimestamp(fake.reset_at, tz=UTC)
    assert store.snapshot() == before
    statuses = [r.status for r in summary.results]
    assert statuses[0] is ProjectStatus.FAILED
    assert statuses.count(ProjectStatus.SKIPPED) >= 3
    assert len(fake.log) < 5 + 2 + 5  # the skipped ones made no request
    assert set(summary.failures) == set(PROJECTS) - {
        r.project for r in summary.results if r.status is ProjectStatus.NOT_MODIFIED
    }
    line = summary.one_line()
    assert "rate limit exhausted" in line and "resets" in line and "\n" not in line
    state = store.sync_state("kubernetes/kubernetes", KEY)
    assert state is not None and state.last_success_at == NOW and state.last_error
    assert state.etag  # the old validator is kept


def test_502_storm_fails_one_project_others_continue(
    fake: FakeGitHub, source: GitHubReleaseSource
) -> None:
    store = FakeStore()
    run(store, source)
    before = store.snapshot()
    old_etag = store.states[("istio/istio", KEY)].etag
    fake.fail("istio/istio", Fault("502"))
    later = datetime(2026, 9, 2, tzinfo=UTC)
    summary = sync_projects(store, source, PROJECTS, token_key=KEY, now=later)
    assert list(summary.failures) == ["istio/istio"]
    assert "HTTP 502" in summary.failures["istio/istio"]
    assert summary.not_modified == 4
    assert store.snapshot() == before
    state = store.states[("istio/istio", KEY)]
    assert (
        state.etag == old_etag and state.last_success_at == NOW and state.last_attempt_at == later
    )
    assert "1 failed" in summary.one_line()


def test_missing_repository_reported_per_project(source: GitHubReleaseSource) -> None:
    store = FakeStore()
    summary = run(store, source, ["nope/missing", "kubernetes/kubernetes"])
    assert list(summary.failures) == ["nope/missing"]
    assert "404" in summary.failures["nope/missing"]
    assert len(store.data["kubernetes/kubernetes"]) == 20


def test_renamed_repository_recorded(fake: FakeGitHub, source: GitHubReleaseSource) -> None:
    fake.rename("kubernetes/kubernetes", "k8s/kubernetes")
    store = FakeStore()
    summary = run(store, source, ["kubernetes/kubernetes"])
    assert summary.results[0].renamed_to == "k8s/kubernetes"
    assert store.states[("kubernetes/kubernetes", KEY)].renamed_to == "k8s/kubernetes"
    assert len(store.data["kubernetes/kubernetes"]) == 20


def test_progress_called_in_callers_thread_and_store_single_threaded(
    source: GitHubReleaseSource,
) -> None:
    store = FakeStore()
    seen: list[tuple[str, int, int, int]] = []

    def progress(result: ProjectResult, done: int, total: int) -> None:
        seen.append((result.project, done, total, threading.get_ident()))

    summary = run(store, source, [*PROJECTS, "istio/istio"], progress=progress, concurrency=3)
    assert summary.projects == 5 and summary.concurrency == 3
    assert sorted(s[0] for s in seen) == sorted(PROJECTS)
    assert [s[1] for s in seen] == [1, 2, 3, 4, 5]
    assert {s[3] for s in seen} == {threading.get_ident()}
    assert store.threads == {threading.get_ident()}


def test_concurrency_must_be_positive(source: GitHubReleaseSource) -> None:
    with pytest.raises(ValueError):
        run(FakeStore(), source, concurrency=0)


# ----------------------------------------------------------------- unreachable API host


class Refusing:
    """A transport that cannot connect (like a wrong github.api_url); counts attempts."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.calls.append(request.url.path)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


@pytest.mark.parametrize("concurrency", [1, 8])
def test_unreachable_api_stops_after_first_project_and_keeps_data(
    source: GitHubReleaseSource, concurrency: int
) -> None:
    store = FakeStore()
    run(store, source)  # a warm catalogue first
    before = store.snapshot()
    states_before = dict(store.states)
    refusing, sleeps = Refusing(), []
    dead = GitHubReleaseSource(
        httpx.Client(transport=httpx.MockTransport(refusing)),
        "http://127.0.0.1:1",
        "ghp_test",
        sleep=sleeps.append,
    )
    later = datetime(2026, 9, 2, tzinfo=UTC)
    summary = sync_projects(
        store, dead, PROJECTS, token_key=KEY, now=later, concurrency=concurrency
    )
    # One project attempted (one short retry), the other four skipped without a request.
    assert refusing.calls == ["/repos/kubernetes/kubernetes/releases"] * 2 and len(sleeps) == 1
    assert [r.status for r in summary.results] == [ProjectStatus.FAILED] + [
        ProjectStatus.SKIPPED
    ] * 4
    # Every attempt is counted (issue 13: it once said "(0 requests)" after two attempts).
    assert [r.requests for r in summary.results] == [2, 0, 0, 0, 0] and summary.requests == 2
    assert summary.unreachable is not None
    assert summary.unreachable.startswith(
        "cannot connect to the GitHub API at 127.0.0.1:1: connection refused"
    )
    assert all("127.0.0.1:1" in error for error in summary.failures.values())
    line = summary.one_line()
    assert "1 failed, 4 skipped" in line and "stopped: cannot connect" in line
    assert "ghp_test" not in line and "\n" not in line
    # Stored data untouched; only the attempted project's state records the failure.
    assert store.snapshot() == before
    first = store.states[("kubernetes/kubernetes", KEY)]
    assert first.last_attempt_at == later and first.last_success_at == NOW
    assert first.last_error is not None and "127.0.0.1:1" in first.last_error
    assert first.etag == states_before[("kubernetes/kubernetes", KEY)].etag
    for project in PROJECTS[1:]:
        assert store.states[(project, KEY)] == states_before[(project, KEY)]


def test_connection_lost_mid_run_skips_projects_not_started(fake: FakeGitHub) -> None:
    refusing = Refusing()
    served = fake.mock_transport(API)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/repos/istio/"):
            return refusing(request)
        return served.handle_request(request)

    source = GitHubReleaseSource(
        httpx.Client(transport=httpx.MockTransport(handler)), API, "ghp_test", sleep=lambda s: None
    )
    summary = run(FakeStore(), source, concurrency=1)
    statuses = [r.status for r in summary.results]
    assert statuses == [ProjectStatus.UPDATED, ProjectStatus.FAILED] + [ProjectStatus.SKIPPED] * 3
    assert len(refusing.calls) == 2
    assert {s.path.split("/")[3] for s in fake.log} == {"kubernetes"}  # nothing after istio


def test_one_line_without_unreachable_has_no_stopped_clause(source: GitHubReleaseSource) -> None:
    summary = run(FakeStore(), source)
    assert summary.unreachable is None and "stopped" not in summary.one_line()


# ----------------------------------------------------------------- a need older than stored

ISTIO = ["istio/istio"]
PLAIN = r"^(?P<version>\d.*)$"


def _pages(fake: FakeGitHub) -> list[int]:
    """Page numbers asked for, in order (page 1 has no ``page`` parameter)."""
    return [int(s.query.get("page", "1")) for s in fake.log]


def _istio_page(lists: dict[str, list[dict[str, Any]]], tag: str) -> int:
    return [i["tag_name"] for i in lists["istio/istio"]].index(tag) // 100 + 1


def test_older_running_version_pages_back_without_etag_then_warm_again(
    fake: FakeGitHub, source: GitHubReleaseSource, lists: dict[str, list[dict[str, Any]]]
) -> None:
    store = FakeStore()
    first_need = [OldestNeeded(PLAIN, "1.20.1")]
    first = run(store, source, ISTIO, oldest_needed={"istio/istio": first_need})
    assert first.requests == _istio_page(lists, "1.20.1") == 2
    assert not any(t.startswith("1.12.") for t in store.data["istio/istio"])
    # Plain warm sync: the need is covered, one free 304.
    fake.log.clear()
    assert run(store, source, ISTIO, oldest_needed={"istio/istio": first_need}).not_modified == 1

    # A new cluster joins on istio 1.12.1: its releases are on page 3, never stored.
    needs = {"istio/istio": [*first_need, OldestNeeded(PLAIN, "1.12.1")]}
    fake.log.clear()
    summary = run(store, source, ISTIO, oldest_needed=needs)
    assert _istio_page(lists, "1.12.1") == 3
    assert _pages(fake) == [1, 2, 3] and summary.requests == 3
    assert "if-none-match" not in fake.log[0].headers  # a 304 would hide the missing pages
    result = summary.results[0]
    assert result.status is ProjectStatus.UPDATED and result.new_releases == 100
    expected = {i["tag_name"] for i in lists["istio/istio"] if i["tag_name"].startswith("1.12.")}
    assert expected and expected <= set(store.data["istio/istio"])
    assert "1.12.1" in expected

    # Covered now: warm again, one free request.
    fake.log.clear()
    remaining = fake.remaining
    again = run(store, source, ISTIO, oldest_needed=needs)
    assert again.requests == 1 and again.not_modified == 1
    assert fake.log[0].headers.get("if-none-match") and fake.remaining == remaining


def test_need_older_than_anything_upstream_reads_to_the_end_once(
    fake: FakeGitHub, source: GitHubReleaseSource, lists: dict[str, list[dict[str, Any]]]
) -> None:
    store = FakeStore()
    run(store, source, ISTIO, oldest_needed={"istio/istio": [OldestNeeded(PLAIN, "1.20.1")]})
    ancient = {"istio/istio": [OldestNeeded(PLAIN, "0.0.1")]}  # istio's oldest is 0.1.0
    last_page = -(-len(lists["istio/istio"]) // 100)
    fake.log.clear()
    summary = run(store, source, ISTIO, oldest_needed=ancient)
    assert _pages(fake) == list(range(1, last_page + 1))
    assert len(store.data["istio/istio"]) == len(lists["istio/istio"])
    assert summary.ok
    # The complete listing is remembered: the next sync is one free 304, not 5 pages.
    fake.log.clear()
    warm = run(store, source, ISTIO, oldest_needed=ancient)
    assert warm.requests == 1 and warm.not_modified == 1
    # ... and stays remembered through a changed sync (a new release at the top).
    fake.publish("istio/istio", {"tag_name": "1.31.1", "published_at": "2026-08-31T10:00:00Z"})
    fake.log.clear()
    changed = run(store, source, ISTIO, oldest_needed=ancient)
    assert _pages(fake) == [1] and changed.new_releases == 1
    fake.log.clear()
    assert run(store, source, ISTIO, oldest_needed=ancient).not_modified == 1
    assert len(fake.log) == 1
    # ... and through a failed sync.
    fake.fail("istio/istio", Fault("502", times=4))
    assert not run(store, source, ISTIO, oldest_needed=ancient).ok
    fake.log.clear()
    assert run(store, source, ISTIO, oldest_needed=ancient).not_modified == 1


def test_uncovered_sync_stops_only_when_both_joined_and_covered(
    fake: FakeGitHub, source: GitHubReleaseSource
) -> None:
    store = FakeStore()
    run(store, source, ISTIO, oldest_needed={"istio/istio": [OldestNeeded(PLAIN, "1.20.1")]})
    # A new patch of an old line, published now: it is listed first and covers the need,
    # but page 1 (one release a page here) is not yet joined to what is stored.
    fake.publish("istio/istio", {"tag_name": "1.12.10", "published_at": "2026-08-31T10:00:00Z"})
    small = GitHubReleaseSource(
        httpx.Client(transport=fake.mock_transport(API)), API, "ghp_test", per_page=1
    )
    fake.log.clear()
    needs = {"istio/istio": [OldestNeeded(PLAIN, "1.12.10")]}
    summary = run(store, small, ISTIO, oldest_needed=needs)
    assert _pages(fake) == [1, 2]  # page 2 holds 1.31.0-rc.0, stored unchanged
    assert summary.new_releases == 1 and "1.12.10" in store.data["istio/istio"]
    fake.log.clear()  # covered now: warm (same page size, so the same page-1 ETag)
    assert run(store, small, ISTIO, oldest_needed=needs).not_modified == 1


def test_unparsable_need_does_not_force_paging(
    fake: FakeGitHub, source: GitHubReleaseSource
) -> None:
    store = FakeStore()
    run(store, source, ISTIO, oldest_needed={"istio/istio": [OldestNeeded(PLAIN, "1.20.1")]})
    fake.log.clear()
    needs = {"istio/istio": [OldestNeeded(PLAIN, "latest")]}
    assert run(store, source, ISTIO, oldest_needed=needs).not_modified == 1
    assert len(fake.log) == 1


def test_full_sync_does_not_read_the_store_to_plan(source: GitHubReleaseSource) -> None:
    store = FakeStore()
    run(store, source)
    store.reads.clear()
    summary = run(store, source, full=True)
    assert summary.ok and all(r.replaced for r in summary.results)
    assert store.reads == []
