"""Catalogue entry -> source: the sync treats every source alike (design.md §2, §6.3)."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.fakes.github_api import FakeGitHub
from tests.upstream.fake_store import FakeStore
from tracker.errors import IdentifyError, UpstreamError
from tracker.identify.catalogue import load_catalogue
from tracker.models import CatalogueEntry, Release
from tracker.upstream import sources
from tracker.upstream.base import DataKind, FetchResult, StopCondition
from tracker.upstream.github import GitHubReleaseSource
from tracker.upstream.sources import SourceOptions, SourceRouter, build_sources, routes
from tracker.upstream.sync import ProjectStatus, sync_projects

NOW = datetime(2026, 9, 1, tzinfo=UTC)
BASE = Path(__file__).resolve().parents[2] / "tracker" / "upstream" / "base.py"


class ListSource:
    """A non-GitHub release source: a fixed list per project id (any id shape)."""

    name = "static"
    kind = DataKind.RELEASES
    warnings: tuple[str, ...] = ()

    def __init__(self, tags: dict[str, Sequence[str]]) -> None:
        self.tags = tags
        self.asked: list[str] = []

    def fetch(
        self,
        project: str,
        *,
        validator: str | None = None,
        conditional: bool = True,
        stop: StopCondition | None = None,
        max_pages: int | None = None,
    ) -> FetchResult:
        self.asked.append(project)
        releases = tuple(
            Release(project=project, tag=t, published_at=None, prerelease=False, url=None, name=t)
            for t in self.tags[project]
        )
        return FetchResult(project, releases=releases, validator="v1", complete=True, requests=1)


def _entry(cid: str, project: str, source: str = "github") -> CatalogueEntry:
    return CatalogueEntry(id=cid, name=cid, project=project, images=(), source=source)


def test_base_names_no_github_concept() -> None:
    text = BASE.read_text(encoding="utf-8").lower()
    for word in ("github", "etag", "owner/repo", "tags fallback"):
        assert word not in text, word
    imported = {
        node.module
        for node in ast.walk(ast.parse(BASE.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any(m.startswith("tracker.upstream.github") for m in imported)


def test_router_hands_each_project_to_its_entrys_source() -> None:
    fake = FakeGitHub({"istio/istio": [{"tag_name": "1.22.0", "published_at": None}]})
    static = ListSource({"nginx": ["1.27.0", "1.26.2"]})
    with httpx.Client(transport=fake.mock_transport()) as client:
        github = GitHubReleaseSource(client, "https://api.github.test", None)
        router = SourceRouter(
            {"github": github, "static": static}, {"nginx": "static", "istio/istio": "github"}
        )
        store = FakeStore()
        summary = sync_projects(store, router, ["istio/istio", "nginx"], token_key="k", now=NOW)
    assert [r.status for r in summary.results] == [ProjectStatus.UPDATED] * 2
    assert static.asked == ["nginx"]
    assert sorted(r.tag for r in store.releases("nginx")) == ["1.26.2", "1.27.0"]
    assert [r.tag for r in store.releases("istio/istio")] == ["1.22.0"]
    assert summary.warnings == github.warnings  # the anonymous notice, once


def test_build_sources_defaults_to_github_and_refuses_unknown_or_conflicting() -> None:
    options = SourceOptions(httpx.Client(), timeout=5, github_token="ghp_x")
    router = build_sources({"a": _entry("a", "acme/a")}, options)
    assert isinstance(router.source_for("acme/a"), GitHubReleaseSource)
    assert isinstance(router.source_for("not/in-catalogue"), GitHubReleaseSource)
    with pytest.raises(UpstreamError, match=r"^component a: unknown upstream source 'gitea'"):
        routes({"a": _entry("a", "acme/a", "gitea")})
    both = build_sources(
        {"a": _entry("a", "acme/a"), "g": _entry("g", "group/sub/g", "gitlab")}, options
    )
    assert both.source_for("group/sub/g").name == "gitlab"
    assert both.source_for("acme/a").name == "github"
    sources.FACTORIES["static"] = lambda o: ListSource({})
    try:
        with pytest.raises(UpstreamError, match=r"^components a and b name different sources"):
            routes({"a": _entry("a", "acme/a"), "b": _entry("b", "acme/a", "static")})
    finally:
        del sources.FACTORIES["static"]


def test_catalogue_entry_source_key() -> None:
    catalogue = load_catalogue({"my-app": {"images": ["acme/app"], "project": "acme/app"}})
    assert catalogue["my-app"].source == "github"
    other = load_catalogue(
        {"web": {"images": ["acme/web"], "project": "nginx", "source": "static"}}
    )
    assert other["web"].source == "static" and other["web"].project == "nginx"
    with pytest.raises(IdentifyError, match="field 'source' must be an upstream source name"):
        load_catalogue({"x": {"images": ["x"], "project": "a/b", "source": "Git Hub"}})
    with pytest.raises(IdentifyError, match="must be a GitHub 'owner/repo'"):
        load_catalogue({"x": {"images": ["x"], "project": "nginx"}})


class DeadSource(ListSource):
    """A source whose host cannot be reached at all (like gitlab.com from an air gap)."""

    name = "dead"

    def fetch(
        self,
        project: str,
        *,
        validator: str | None = None,
        conditional: bool = True,
        stop: StopCondition | None = None,
        max_pages: int | None = None,
    ) -> FetchResult:
        from tracker.errors import UpstreamUnreachableError

        self.asked.append(project)
        raise UpstreamUnreachableError("dead.test", "connection refused", api="GitLab API")


def test_an_unreachable_source_skips_only_its_own_projects() -> None:
    static = ListSource({f"p{i}": ["1.0.0"] for i in range(6)})
    dead = DeadSource({})
    projects = [f"d{i}" for i in range(4)] + [f"p{i}" for i in range(6)]
    router = SourceRouter(
        {"static": static, "dead": dead},
        {p: ("dead" if p[0] == "d" else "static") for p in projects},
    )
    store = FakeStore()
    summary = sync_projects(store, router, projects, token_key="t", now=NOW, concurrency=4)
    status = {r.project: r.status for r in summary.results}
    # the dead host costs one project; the others of that source are skipped, not tried
    assert dead.asked == ["d0"]
    assert status["d0"] is ProjectStatus.FAILED
    assert all(status[f"d{i}"] is ProjectStatus.SKIPPED for i in range(1, 4))
    # every project of the reachable source is synced
    assert sorted(static.asked) == [f"p{i}" for i in range(6)]
    assert all(status[f"p{i}"] is not ProjectStatus.SKIPPED for i in range(6))
    assert {r.project for r in summary.results if r.new_releases} == {f"p{i}" for i in range(6)}
    assert "dead.test" in (summary.unreachable or "")
    # follow-up syncs ask per source: only the dead one counts as stopped
    assert set(summary.stopped) == {"dead"} and "dead.test" in summary.stopped["dead"]
    assert summary.source_stopped("dead") and not summary.source_stopped("static")
