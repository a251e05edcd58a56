"""GitHubReleaseSource + sync_projects against the fake GitHub server on 127.0.0.1."""

from __future__ import annotations

import copy
import io
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.fakes.github_api import FakeGitHub, Fault, load_release_lists
from tests.upstream.fake_store import FakeStore
from tracker.cli.progress import progress_printer
from tracker.upstream.github import GitHubReleaseSource, token_key
from tracker.upstream.sync import ProjectStatus, sync_projects

NOW = datetime(2026, 9, 1, tzinfo=UTC)
PROJECTS = [
    "kubernetes/kubernetes",
    "istio/istio",
    "cert-manager/cert-manager",
    "prometheus/prometheus",
    "grafana/grafana",
]


@pytest.fixture
def fake(realdata: Path) -> FakeGitHub:
    return FakeGitHub(copy.deepcopy(load_release_lists(realdata / "releases")))


@pytest.fixture
def source(fake: FakeGitHub) -> Iterator[GitHubReleaseSource]:
    with fake.serve() as base, httpx.Client(timeout=0.3) as client:
        yield GitHubReleaseSource(client, base, None, sleep=lambda s: None, max_attempts=2)


def sync(store: FakeStore, source: GitHubReleaseSource, **kw: object):  # type: ignore[no-untyped-def]
    return sync_projects(store, source, PROJECTS, token_key=token_key(None), now=NOW, **kw)  # type: ignore[arg-type]


def test_cold_then_warm_over_http(fake: FakeGitHub, source: GitHubReleaseSource) -> None:
    store = FakeStore()
    out = io.StringIO()
    with progress_printer(len(PROJECTS), stream=out) as progress:
        cold = sync(store, source, progress=progress)
    assert cold.ok and cold.requests == 1 + 5 + 3 + 6 + 6
    assert out.getvalue().count("\n") == 5 and "[5/5]" in out.getvalue()
    assert cold.warnings and "60 requests per hour" in cold.warnings[0]
    fake.log.clear()
    warm = sync(store, source)
    assert warm.requests == 5 and warm.not_modified == 5 and warm.new_releases == 0
    assert len(fake.log) == 5


def test_faults_over_http_never_lose_data(fake: FakeGitHub, source: GitHubReleaseSource) -> None:
    store = FakeStore()
    sync(store, source)
    before = store.snapshot()
    fake.fail("istio/istio", Fault("hang", seconds=1.0))
    fake.fail("grafana/grafana", Fault("502"))
    fake.fail("prometheus/prometheus", Fault("429", times=1, retry_after=1))
    summary = sync(store, source)
    assert set(summary.failures) == {"istio/istio", "grafana/grafana"}
    assert "timed out" in summary.failures["istio/istio"]
    assert "HTTP 502" in summary.failures["grafana/grafana"]
    statuses = {r.project: r.status for r in summary.results}
    assert statuses["prometheus/prometheus"] is ProjectStatus.NOT_MODIFIED
    assert store.snapshot() == before


def test_rate_limit_and_rename_over_http(fake: FakeGitHub, source: GitHubReleaseSource) -> None:
    fake.rename("kubernetes/kubernetes", "k8s/kubernetes")
    store = FakeStore()
    first = sync_projects(store, source, ["kubernetes/kubernetes"], token_key="anonymous", now=NOW)
    assert first.results[0].renamed_to == "k8s/kubernetes"
    fake.exhaust()
    summary = sync(store, source, concurrency=1)
    assert summary.rate_limited and "rate limit exhausted" in summary.one_line()
    assert len(store.data["kubernetes/kubernetes"]) == 20


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_closed_port_stops_after_first_project(
    fake: FakeGitHub, source: GitHubReleaseSource
) -> None:
    store = FakeStore()
    sync(store, source)
    before = store.snapshot()
    port = _closed_port()
    sleeps: list[float] = []
    out = io.StringIO()
    with httpx.Client(timeout=0.3) as client:
        dead = GitHubReleaseSource(client, f"http://127.0.0.1:{port}", None, sleep=sleeps.append)
        with progress_printer(len(PROJECTS), stream=out) as progress:
            summary = sync(store, dead, progress=progress)
    assert len(sleeps) == 1  # one project, one short retry
    statuses = [r.status for r in summary.results]
    assert statuses == [ProjectStatus.FAILED] + [ProjectStatus.SKIPPED] * 4
    assert summary.unreachable is not None
    assert f"cannot connect to the GitHub API at 127.0.0.1:{port}: connection refused" in (
        summary.unreachable
    )
    assert store.snapshot() == before
    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # the failure, the first skip, then one line for the rest
    assert lines[0].startswith("[1/5] kubernetes/kubernetes: failed: cannot connect")
    assert lines[1].startswith("[2/5] ") and "skipped" in lines[1]
    assert lines[2] == "... and 3 more skipped for the same reason"
