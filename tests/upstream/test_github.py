"""GitHubReleaseSource through httpx.MockTransport over recorded real release pages."""

from __future__ import annotations

import copy
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.github_api import FakeGitHub, Fault, load_release_lists
from tracker.errors import RateLimitError, UpstreamError, UpstreamUnreachableError
from tracker.upstream.github import (
    ANONYMOUS_WARNING,
    GitHubReleaseSource,
    connect_failure_reason,
    token_key,
)

API = "https://api.github.test"
TOKEN = "ghp_SECRETSECRETSECRET0123456789"


@pytest.fixture
def lists(realdata: Path) -> dict[str, list[dict[str, Any]]]:
    return load_release_lists(realdata / "releases")


@pytest.fixture
def fake(lists: dict[str, list[dict[str, Any]]]) -> FakeGitHub:
    return FakeGitHub(
        copy.deepcopy(lists), tags_only={"acme/tagsonly": ["v2.0.0", "v2.0.0-rc.1", "v1.0.0"]}
    )


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def make_source(
    fake: FakeGitHub, token: str | None = TOKEN, **kw: Any
) -> tuple[GitHubReleaseSource, Sleeps]:
    sleeps = Sleeps()
    client = httpx.Client(transport=fake.mock_transport(API))
    return GitHubReleaseSource(client, API, token, sleep=sleeps, **kw), sleeps


def test_headers_sent_and_token_as_bearer(fake: FakeGitHub) -> None:
    source, _ = make_source(fake)
    source.fetch("kubernetes/kubernetes")
    seen = fake.log[0]
    assert seen.path == "/repos/kubernetes/kubernetes/releases"
    assert seen.query["per_page"] == "100"
    assert seen.headers["accept"] == "application/vnd.github+json"
    assert seen.headers["x-github-api-version"] == "2022-11-28"
    assert seen.headers["user-agent"].startswith("tracker/")
    assert seen.headers["authorization"] == f"Bearer {TOKEN}"
    assert source.warnings == ()


def test_anonymous_sends_no_authorization_and_warns(fake: FakeGitHub) -> None:
    source, _ = make_source(fake, token=None)
    source.fetch("kubernetes/kubernetes")
    assert "authorization" not in fake.log[0].headers
    assert source.warnings == (ANONYMOUS_WARNING,)
    assert "60" in ANONYMOUS_WARNING


def test_pages_follow_link_next(fake: FakeGitHub, lists: dict[str, list[dict[str, Any]]]) -> None:
    source, _ = make_source(fake)
    result = source.fetch("istio/istio")
    assert len(lists["istio/istio"]) == 456
    assert result.pages == 5 and result.requests == 5 and result.complete
    assert [r.tag for r in result.releases] == [i["tag_name"] for i in lists["istio/istio"]]
    assert [s.query.get("page") for s in fake.log] == [None, "2", "3", "4", "5"]
    assert result.validator and result.validator.startswith('W/"')
    assert result.rate_limit_remaining == 5000 - 5
    assert result.rate_limit_reset is not None and result.rate_limit_reset.tzinfo is not None


@pytest.mark.parametrize(
    "project",
    [
        "kubernetes/kubernetes",
        "istio/istio",
        "cert-manager/cert-manager",
        "prometheus/prometheus",
        "grafana/grafana",
    ],
)
def test_every_real_list_validates(
    fake: FakeGitHub, lists: dict[str, list[dict[str, Any]]], project: str
) -> None:
    source, _ = make_source(fake)
    result = source.fetch(project)
    assert result.malformed == () and result.drafts == 0
    assert len(result.releases) == len(lists[project])
    assert all(r.published_at is not None and r.published_at.tzinfo == UTC for r in result.releases)
    assert sum(r.prerelease for r in result.releases) == sum(
        i["prerelease"] for i in lists[project]
    )
    assert all(r.project == project for r in result.releases)


def test_timestamps_become_utc_and_missing_html_url_is_none(fake: FakeGitHub) -> None:
    source, _ = make_source(fake)
    k8s = source.fetch("kubernetes/kubernetes").releases
    assert k8s[0].tag == "v1.28.8" and k8s[0].url is None and k8s[0].name == "Kubernetes v1.28.8"
    assert (
        k8s[0].published_at is not None
        and k8s[0].published_at.isoformat() == "2024-03-15T18:53:33+00:00"
    )
    istio = source.fetch("istio/istio").releases
    assert istio[0].tag == "1.31.0-rc.0" and istio[0].prerelease
    assert istio[0].published_at is not None and istio[0].published_at.hour == 12  # 07:43 -05:00


def test_conditional_request_304_is_free(fake: FakeGitHub) -> None:
    source, _ = make_source(fake)
    first = source.fetch("istio/istio", max_pages=1)
    before = fake.remaining
    again = source.fetch("istio/istio", validator=first.validator)
    assert again.not_modified and again.requests == 1 and again.releases == ()
    assert again.validator == first.validator
    assert fake.remaining == before
    assert fake.log[-1].headers["if-none-match"] == first.validator


def test_stop_condition_and_max_pages_bound_paging(fake: FakeGitHub) -> None:
    source, _ = make_source(fake)
    calls: list[int] = []

    def stop(page: Any) -> bool:
        calls.append(len(page))
        return len(calls) == 2

    result = source.fetch("prometheus/prometheus", stop=stop)
    assert result.pages == 2 and result.requests == 2 and not result.complete
    assert calls == [100, 100]
    capped = source.fetch("prometheus/prometheus", max_pages=3)
    assert capped.pages == 3 and len(capped.releases) == 300 and not capped.complete


def test_drafts_dropped_and_malformed_items_reported(fake: FakeGitHub) -> None:
    fake.publish(
        "kubernetes/kubernetes", {"tag_name": "v9.9.9", "draft": True, "published_at": None}
    )
    fake.publish("kubernetes/kubernetes", {"tag_name": None, "draft": False})
    fake.publish("kubernetes/kubernetes", {"tag_name": "v1.0.0", "published_at": "yesterday"})
    source, _ = make_source(fake)
    result = source.fetch("kubernetes/kubernetes")
    assert result.drafts == 1
    assert len(result.releases) == 20
    assert len(result.malformed) == 2
    # publish() puts each item on top: page 1 is [bad date, no tag, draft, ...]
    assert "page 1 item 0" in result.malformed[0] and "published_at" in result.malformed[0]
    assert "page 1 item 1" in result.malformed[1] and "tag_name" in result.malformed[1]


def test_out_of_range_timestamp_is_a_malformed_item(fake: FakeGitHub) -> None:
    # Valid RFC 3339, but 9999-12-31T23:59:59-05:00 is past year 9999 in UTC: astimezone
    # raises OverflowError, which must count as a malformed item, not escape.
    fake.publish(
        "kubernetes/kubernetes",
        {"tag_name": "v9.9.9", "published_at": "9999-12-31T23:59:59-05:00"},
    )
    source, _ = make_source(fake)
    result = source.fetch("kubernetes/kubernetes")
    assert len(result.malformed) == 1
    assert "page 1 item 0" in result.malformed[0]
    assert "'published_at' is out of range" in result.malformed[0]
    assert "v9.9.9" not in {r.tag for r in result.releases}
    assert len(result.releases) == 20


def test_tags_fallback_without_dates_and_combined_etag(fake: FakeGitHub) -> None:
    source, _ = make_source(fake)
    result = source.fetch("acme/tagsonly")
    assert result.from_tags and result.requests == 2
    assert [r.tag for r in result.releases] == ["v2.0.0", "v2.0.0-rc.1", "v1.0.0"]
    assert all(r.published_at is None for r in result.releases)
    assert [r.prerelease for r in result.releases] == [False, True, False]
    warm = source.fetch("acme/tagsonly", validator=result.validator)
    assert warm.not_modified and warm.requests == 2
    fake.tags_only["acme/tagsonly"].insert(0, "v2.1.0")
    changed = source.fetch("acme/tagsonly", validator=result.validator)
    assert not changed.not_modified and changed.releases[0].tag == "v2.1.0"


def test_renamed_repository_followed_and_recorded(fake: FakeGitHub) -> None:
    fake.rename("kubernetes/kubernetes", "k8s/kubernetes")
    source, _ = make_source(fake)
    result = source.fetch("kubernetes/kubernetes")
    assert result.renamed_to == "k8s/kubernetes"
    assert len(result.releases) == 20
    assert all(r.project == "kubernetes/kubernetes" for r in result.releases)
    assert [s.path for s in fake.log] == [
        "/repos/kubernetes/kubernetes/releases",
        "/repositories/1000",
        "/repos/k8s/kubernetes/releases",
    ]


def test_missing_repository_is_an_upstream_error(fake: FakeGitHub) -> None:
    source, _ = make_source(fake)
    with pytest.raises(
        UpstreamError, match=r"nope/missing: repository not found on GitHub \(HTTP 404\)"
    ):
        source.fetch("nope/missing")


def test_bad_project_name(fake: FakeGitHub) -> None:
    source, _ = make_source(fake)
    with pytest.raises(UpstreamError, match="owner/repo"):
        source.fetch("not a project")
    assert fake.log == []


def test_primary_rate_limit_raises_with_reset_and_no_retry(fake: FakeGitHub) -> None:
    fake.exhaust()
    source, sleeps = make_source(fake)
    with pytest.raises(RateLimitError) as info:
        source.fetch("istio/istio")
    assert info.value.reset_at == fake.reset_at
    assert "resets at" in str(info.value)
    assert TOKEN not in str(info.value)
    assert len(fake.log) == 1 and sleeps == []


def test_secondary_limit_honours_retry_after(fake: FakeGitHub) -> None:
    fake.fail("istio/istio", Fault("429", times=1, retry_after=7))
    source, sleeps = make_source(fake)
    result = source.fetch("istio/istio", max_pages=1)
    assert sleeps == [7.0]
    assert result.requests == 2 and len(result.releases) == 100


def test_secondary_403_with_long_retry_after_fails_project(fake: FakeGitHub) -> None:
    fake.fail("istio/istio", Fault("403-secondary", retry_after=3600))
    source, sleeps = make_source(fake)
    with pytest.raises(UpstreamError, match="secondary rate limit"):
        source.fetch("istio/istio")
    assert sleeps == []


def test_5xx_retried_with_bounded_exponential_backoff(fake: FakeGitHub) -> None:
    fake.fail("istio/istio", Fault("502", times=2))
    source, sleeps = make_source(fake)
    result = source.fetch("istio/istio", max_pages=1)
    assert result.requests == 3 and len(result.releases) == 100
    assert len(sleeps) == 2 and 1 <= sleeps[0] <= 2 and 2 <= sleeps[1] <= 3


def test_5xx_storm_gives_up_after_max_attempts(fake: FakeGitHub) -> None:
    fake.fail("istio/istio", Fault("502"))
    source, sleeps = make_source(fake, max_attempts=4)
    with pytest.raises(UpstreamError, match=r"HTTP 502 \(after 4 attempts\)"):
        source.fetch("istio/istio")
    assert len(fake.log) == 4 and len(sleeps) == 3


def test_timeouts_retried_then_reported(fake: FakeGitHub) -> None:
    fake.fail("istio/istio", Fault("hang"))
    source, _ = make_source(fake, max_attempts=2)
    with pytest.raises(UpstreamError, match="timed out"):
        source.fetch("istio/istio")
    assert len(fake.log) == 2


def test_token_never_in_repr_or_errors(fake: FakeGitHub) -> None:
    source, _ = make_source(fake)
    assert TOKEN not in repr(source) and "auth=token" in repr(source)
    fake.fail("*", Fault("502"))
    with pytest.raises(UpstreamError) as info:
        source.fetch("istio/istio")
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value)
    assert token_key(TOKEN) != token_key(None) and TOKEN not in token_key(TOKEN)


def test_non_json_answer_is_an_upstream_error() -> None:
    client = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<html>"))
    )
    source = GitHubReleaseSource(client, API)
    with pytest.raises(UpstreamError, match="non-JSON"):
        source.fetch("istio/istio")


# ----------------------------------------------------------------- unreachable API host


def _raising(exc_type: type[httpx.TransportError], text: str) -> tuple[httpx.Client, list[str]]:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise exc_type(text, request=request)

    return httpx.Client(transport=httpx.MockTransport(handler)), calls


@pytest.mark.parametrize(
    ("exc_type", "text", "reason"),
    [
        (httpx.ConnectError, "[Errno 111] Connection refused", "connection refused"),
        (
            httpx.ConnectError,
            "[Errno -3] Temporary failure in name resolution",
            "host name could not be resolved (DNS)",
        ),
        (httpx.ConnectError, "[Errno 101] Network is unreachable", "network unreachable"),
        (
            httpx.ConnectError,
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
            "TLS handshake failed (certificate or proxy?)",
        ),
        (httpx.ConnectTimeout, "timed out", "connection timed out"),
    ],
)
def test_unreachable_host_short_retry_then_names_host_not_token(
    exc_type: type[httpx.TransportError], text: str, reason: str
) -> None:
    client, calls = _raising(exc_type, text)
    sleeps = Sleeps()
    api = f"https://x-access-token:{TOKEN}@ghe.example.com:8443/api/v3"
    source = GitHubReleaseSource(client, api, TOKEN, sleep=sleeps)
    with pytest.raises(UpstreamUnreachableError) as caught:
        source.fetch("istio/istio")
    assert len(calls) == 2 and len(sleeps) == 1  # one short retry, not max_attempts (4)
    assert caught.value.host == "ghe.example.com:8443" and caught.value.reason == reason
    assert str(caught.value).startswith(
        f"cannot connect to the GitHub API at ghe.example.com:8443: {reason} (check github.api_url"
    )
    assert TOKEN not in str(caught.value) and "x-access-token" not in str(caught.value)


def test_connect_attempts_bounded_by_max_attempts() -> None:
    client, calls = _raising(httpx.ConnectError, "[Errno 111] Connection refused")
    source = GitHubReleaseSource(client, API, None, sleep=Sleeps(), max_attempts=1)
    with pytest.raises(UpstreamUnreachableError, match=r"at api\.github\.test: connection refused"):
        source.fetch("istio/istio")
    assert len(calls) == 1
    with pytest.raises(ValueError):
        GitHubReleaseSource(client, API, None, connect_attempts=0)


def test_read_timeout_and_5xx_stay_per_project_errors(fake: FakeGitHub) -> None:
    """A timeout on an established connection is not "unreachable": full retries, plain error."""
    client, calls = _raising(httpx.ReadTimeout, "read timed out")
    sleeps = Sleeps()
    source = GitHubReleaseSource(client, API, None, sleep=sleeps)
    with pytest.raises(UpstreamError) as caught:
        source.fetch("istio/istio")
    assert not isinstance(caught.value, UpstreamUnreachableError)
    assert len(calls) == 4 and len(sleeps) == 3
    fake.fail("istio/istio", Fault("502"))
    five_xx, _ = make_source(fake)
    with pytest.raises(UpstreamError) as caught:
        five_xx.fetch("istio/istio")
    assert not isinstance(caught.value, UpstreamUnreachableError)


def test_unknown_connect_failure_names_only_the_error_type() -> None:
    assert connect_failure_reason(httpx.ConnectError("weird")) == "connection failed (ConnectError)"
    assert "HTTPS_PROXY" in connect_failure_reason(httpx.ProxyError("407"))
