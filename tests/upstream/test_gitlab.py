"""GitLabReleaseSource against the fake GitLab API (tests/fakes/gitlab_api.py), over real version
lists of Gitaly and gitlab-exporter (tests/data/gitlab/PROVENANCE.md)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.gitlab_api import EVIL, FakeGitLab, Fault, catalogue_projects, release_object
from tests.upstream.fake_store import FakeStore
from tracker.errors import RateLimitError, UpstreamError
from tracker.models import CatalogueEntry
from tracker.upstream.gitlab import GitLabReleaseSource
from tracker.upstream.sources import SourceOptions, build_sources
from tracker.upstream.sync import ProjectStatus, sync_projects

DATA = Path(__file__).resolve().parents[1] / "data"
BASE = "https://gitlab.test"
API = f"{BASE}/api/v4"
TOKEN = "glpat-SECRETSECRETSECRET01"
GITALY = "gitlab-org/gitaly"
EXPORTER = "gitlab-org/ruby/gems/gitlab-exporter"
NOW = datetime(2024, 1, 10, tzinfo=UTC)


_CATALOGUE = catalogue_projects(DATA)
GITALY_RELEASES = _CATALOGUE.releases[GITALY]
EXPORTER_TAGS = _CATALOGUE.tags[EXPORTER]


@pytest.fixture
def fake() -> FakeGitLab:
    return FakeGitLab({GITALY: copy.deepcopy(GITALY_RELEASES)}, tags={EXPORTER: EXPORTER_TAGS})


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_source(fake: FakeGitLab, token: str | None = TOKEN) -> tuple[GitLabReleaseSource, Sleeps]:
    sleeps = Sleeps()
    client = httpx.Client(transport=fake.mock_transport(BASE))
    return GitLabReleaseSource(client, API, token, sleep=sleeps), sleeps


def test_releases_are_paged_newest_first_with_the_token_on_the_api_origin(fake: FakeGitLab):
    source, _ = make_source(fake)
    result = source.fetch(GITALY)
    assert len(GITALY_RELEASES) == 846
    assert result.pages == 9 and result.requests == 9 and result.complete
    assert [r.tag for r in result.releases] == [i["tag_name"] for i in GITALY_RELEASES]
    first = fake.log[0]
    assert first.path == "/api/v4/projects/gitlab-org%2Fgitaly/releases"
    assert first.query == {"per_page": "100", "order_by": "released_at", "sort": "desc"}
    assert all(seen.headers["private-token"] == TOKEN for seen in fake.log)
    assert "authorization" not in first.headers
    newest = result.releases[0]
    assert newest.tag == "v16.7.0" and newest.published_at == datetime(
        2023, 12, 20, 8, 48, 32, tzinfo=UTC
    )
    # _links.self names gitlab.com, not this instance: the page is built on the instance's host
    assert newest.url == f"{BASE}/gitlab-org/gitaly/-/releases/v16.7.0"
    by_tag = {r.tag: r for r in result.releases}
    assert by_tag["v16.0.0-rc42"].prerelease and not by_tag["v1.77.1"].prerelease
    assert result.rate_limit_remaining == 2000 - 9 and result.validator
    assert "PRIVATE-TOKEN" not in repr(source) and TOKEN not in repr(source)


def test_a_project_with_tags_but_no_releases_is_listed_by_its_tags(fake: FakeGitLab):
    source, _ = make_source(fake, token=None)
    result = source.fetch(EXPORTER)
    assert result.from_tags and result.complete
    assert [r.tag for r in result.releases] == EXPORTER_TAGS
    assert all(r.published_at is None for r in result.releases)
    paths = [s.path for s in fake.log]
    encoded = "gitlab-org%2Fruby%2Fgems%2Fgitlab-exporter"
    assert paths == [
        f"/api/v4/projects/{encoded}/releases",
        f"/api/v4/projects/{encoded}/repository/tags",
    ]
    assert fake.log[1].query["order_by"] == "updated"
    assert "private-token" not in fake.log[0].headers  # anonymous: no header at all
    # warm: both listings unchanged, two conditional requests
    again = source.fetch(EXPORTER, validator=result.validator)
    assert again.not_modified and again.requests == 2


def test_conditional_request_answers_not_modified(fake: FakeGitLab):
    source, _ = make_source(fake)
    first = source.fetch(GITALY, max_pages=1)
    assert not first.complete and len(first.releases) == 100
    again = source.fetch(GITALY, validator=first.validator)
    assert again.not_modified and again.requests == 1 and again.releases == ()
    assert fake.log[-1].headers["if-none-match"] == first.validator
    fake.publish(GITALY, release_object(GITALY, "v16.8.0", "2024-01-08T00:00:00.000Z"))
    changed = source.fetch(GITALY, validator=first.validator, stop=lambda page: True)
    assert not changed.not_modified and changed.releases[0].tag == "v16.8.0"


def test_upcoming_releases_are_dropped(fake: FakeGitLab):
    fake.publish(
        GITALY,
        release_object(GITALY, "v16.9.0", "2024-02-15T00:00:00.000Z", upcoming_release=True),
    )
    source, _ = make_source(fake)
    result = source.fetch(GITALY, max_pages=1)
    assert result.drafts == 1 and result.releases[0].tag == "v16.7.0"


def test_x_next_page_is_followed_without_a_link_header(fake: FakeGitLab):
    fake.fail(GITALY, Fault("no-link"))
    source, _ = make_source(fake)
    result = source.fetch(GITALY)
    assert result.complete and len(result.releases) == 846 and result.pages == 9


def test_a_hostile_link_to_another_origin_is_not_followed(fake: FakeGitLab):
    fake.fail(GITALY, Fault("hostile-link"))
    source, _ = make_source(fake)
    result = source.fetch(GITALY)
    assert len(result.releases) == 100 and not result.complete
    assert result.warnings == (
        "page 1 links to another host (evil.example); not followed, the listing stops here",
    )
    assert not [s for s in fake.log if s.path.startswith(EVIL)]  # nothing, token or not, went there


def test_a_short_429_is_retried_after_retry_after(fake: FakeGitLab):
    fake.fail(GITALY, Fault("429", times=1, retry_after=3))
    source, sleeps = make_source(fake)
    result = source.fetch(GITALY, max_pages=1)
    assert sleeps == [3.0] and result.requests == 2 and len(result.releases) == 100


def test_a_long_429_is_a_rate_limit_error(fake: FakeGitLab):
    fake.fail(GITALY, Fault("429", retry_after=3600))
    source, sleeps = make_source(fake)
    with pytest.raises(RateLimitError, match=r"GitLab rate limit reached \(HTTP 429") as caught:
        source.fetch(GITALY)
    assert sleeps == [] and caught.value.requests == 1 and caught.value.reset_at is not None


def test_404_and_5xx_are_one_line_errors(fake: FakeGitLab):
    source, sleeps = make_source(fake)
    with pytest.raises(UpstreamError) as missing:
        source.fetch("gitlab-org/nope")
    assert str(missing.value).startswith("gitlab-org/nope: project not found on GitLab (HTTP 404)")
    assert "\n" not in str(missing.value)
    fake.fail(GITALY, Fault("502"))
    with pytest.raises(UpstreamError, match=r"answered HTTP 502 \(after 4 attempts") as broken:
        source.fetch(GITALY)
    assert broken.value.requests == 4 and len(sleeps) == 3
    with pytest.raises(UpstreamError, match="not a GitLab project path"):
        source.fetch("gitaly")


def test_redirect_to_another_host_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": "https://evil.example/x"})

    client = httpx.Client(transport=httpx.MockTransport(handler))
    source = GitLabReleaseSource(client, API, TOKEN, sleep=lambda s: None)
    with pytest.raises(UpstreamError, match=r"redirected \(HTTP 302\) to another host"):
        source.fetch(GITALY)


def test_a_tags_only_project_without_tag_etags_still_sees_new_tags() -> None:
    """GitLab need not send an ETag for /repository/tags: the releases list's own 304 must
    then not hide a new tag (the project stays marked as read through its tags)."""
    tags = [{"name": "v1.0.0", "commit": {"created_at": "2024-01-01T00:00:00Z"}}]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/releases"):
            if request.headers.get("if-none-match") == 'W/"empty"':
                return httpx.Response(304)
            return httpx.Response(200, json=[], headers={"ETag": 'W/"empty"'})
        assert request.url.path.endswith("/repository/tags")
        assert "if-none-match" not in request.headers  # no tag ETag to send
        return httpx.Response(200, json=tags)

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        source = GitLabReleaseSource(client, API, TOKEN, sleep=lambda s: None)
        first = source.fetch(GITALY)
        assert [r.tag for r in first.releases] == ["v1.0.0"]
        tags.insert(0, {"name": "v1.1.0", "commit": {"created_at": "2024-02-01T00:00:00Z"}})
        second = source.fetch(GITALY, validator=first.validator)
        assert not second.not_modified
        assert [r.tag for r in second.releases][:1] == ["v1.1.0"]


# ----------------------------------------------------------------- through the sync


def _catalogue() -> dict[str, CatalogueEntry]:
    return {
        "gitaly": CatalogueEntry("gitaly", "Gitaly", GITALY, (), source="gitlab"),
        "gitlab-exporter": CatalogueEntry(
            "gitlab-exporter", "gitlab-exporter", EXPORTER, (), source="gitlab"
        ),
    }


@pytest.fixture
def routed(fake: FakeGitLab) -> Iterator[Any]:
    client = httpx.Client(transport=fake.mock_transport(BASE))
    options = SourceOptions(client=client, gitlab_api_url=API, gitlab_token=TOKEN)
    router = build_sources(_catalogue(), options)
    for source in {router.source_for(GITALY)}:
        assert isinstance(source, GitLabReleaseSource)
        source.client._sleep = lambda s: None  # no real waits in the retry tests
    yield router
    client.close()


def test_sync_of_both_projects_then_incremental_then_failures(fake: FakeGitLab, routed: Any):
    store = FakeStore()
    summary = sync_projects(store, routed, [GITALY, EXPORTER], token_key="anonymous", now=NOW)
    assert summary.failures == {}
    assert len(store.releases(GITALY)) == 846 and len(store.releases(EXPORTER)) == 69
    assert routed.source_for(EXPORTER).name == "gitlab"
    # incremental: one new Gitaly release costs one page; gitlab-exporter is not modified
    fake.publish(GITALY, release_object(GITALY, "v16.8.0", "2024-01-08T00:00:00.000Z"))
    fake.log.clear()
    later = sync_projects(store, routed, [GITALY, EXPORTER], token_key="anonymous", now=NOW)
    status = {r.project: r.status for r in later.results}
    assert status == {GITALY: ProjectStatus.UPDATED, EXPORTER: ProjectStatus.NOT_MODIFIED}
    assert len(store.releases(GITALY)) == 847 and len(fake.log) == 3  # 1 page + 2 conditional
    # failures never delete what is stored
    before = store.snapshot()
    fake.fail(GITALY, Fault("502"))
    fake.fail(EXPORTER, Fault("429", retry_after=3600))
    failed = sync_projects(store, routed, [GITALY, EXPORTER], token_key="anonymous", now=NOW)
    assert GITALY in failed.failures and "HTTP 502" in failed.failures[GITALY]
    assert store.snapshot() == before


def test_sync_over_a_real_local_server(fake: FakeGitLab) -> None:
    with fake.serve() as api, httpx.Client() as client:
        source = GitLabReleaseSource(client, api, TOKEN, sleep=lambda s: None)
        store = FakeStore()
        summary = sync_projects(store, source, [GITALY, EXPORTER], token_key="k", now=NOW)
        assert summary.failures == {}
        assert len(store.releases(GITALY)) == 846 and len(store.releases(EXPORTER)) == 69
        assert fake.log[0].path == "/api/v4/projects/gitlab-org%2Fgitaly/releases"
