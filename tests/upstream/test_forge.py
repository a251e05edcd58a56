"""The shared forge client (tracker/upstream/forge.py) through both sources that use it, GitHub
and GitLab, against servers on 127.0.0.1: the token stays on the API origin (links and
redirects elsewhere are never requested), same-origin redirects are followed with their status
checked, 429 waits, conditional requests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest

from tests.fakes.gitlab_api import release_object
from tests.fakes.hostile import HostileServer, Sequence, json_page, raw, redirect, send
from tracker.errors import UpstreamError
from tracker.upstream.github import GitHubReleaseSource
from tracker.upstream.gitlab import GitLabReleaseSource

TOKEN = "tok_FORGETESTTOKEN0123456789abcdef"
PROJECT = "acme/app"


@dataclass(frozen=True)
class Forge:
    """How one source is built, where its first releases page is, and how its token goes."""

    name: str
    api_path: str  # the API base URL's path on the server
    first: str  # the path of PROJECT's first releases page
    auth_header: str
    auth_value: str
    repository_word: str
    item: Callable[[str], dict[str, Any]]
    build: Callable[..., GitHubReleaseSource | GitLabReleaseSource]

    def source(self, client: httpx.Client, base: str, **kwargs: Any) -> Any:
        return self.build(client, base + self.api_path, TOKEN, **kwargs)

    def page(self, *tags: str) -> list[dict[str, Any]]:
        return [self.item(tag) for tag in tags]


GITHUB = Forge(
    "GitHub",
    "",
    f"/repos/{PROJECT}/releases",
    "authorization",
    f"Bearer {TOKEN}",
    "repository",
    lambda tag: {"tag_name": tag, "draft": False, "prerelease": False, "published_at": None},
    GitHubReleaseSource,
)
GITLAB = Forge(
    "GitLab",
    "/api/v4",
    "/api/v4/projects/acme%2Fapp/releases",
    "private-token",
    TOKEN,
    "project",
    lambda tag: release_object(PROJECT, tag, "2024-01-01T00:00:00.000Z"),
    GitLabReleaseSource,
)
FORGES = pytest.mark.parametrize("forge", [GITHUB, GITLAB], ids=["github", "gitlab"])


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _next(url: str) -> dict[str, str]:
    return {"Link": f'<{url}>; rel="next"'}


def _fetch(forge: Forge, api_url: str, **kwargs: Any) -> Any:
    with httpx.Client(timeout=5) as client:
        return forge.source(client, api_url, sleep=lambda s: None).fetch(PROJECT, **kwargs)


@FORGES
def test_the_token_goes_only_to_the_api_origin(forge: Forge) -> None:
    source = forge.source(httpx.Client(), "https://forge.test")
    on = source.client.headers(f"https://forge.test{forge.first}?page=2", None)
    assert {k.lower(): v for k, v in on.items()}[forge.auth_header] == forge.auth_value
    for url in (
        f"https://forge.test:8443{forge.first}",
        f"http://forge.test{forge.first}",
        f"https://evil.test{forge.first}",
        f"https://forge.test.evil.test{forge.first}",
    ):
        headers = source.client.headers(url, 'W/"e"')
        assert not [k for k, v in headers.items() if TOKEN in v], url
        assert headers["If-None-Match"] == 'W/"e"'


@FORGES
def test_a_first_page_redirected_to_another_origin_is_refused(forge: Forge) -> None:
    api, other = HostileServer(), HostileServer()
    with api.serve() as api_url, other.serve() as other_url:
        other.routes[forge.first] = json_page(forge.page("v9.9.9"))
        api.routes[forge.first] = redirect(f"{other_url}{forge.first}", status=307)
        with pytest.raises(UpstreamError) as caught:
            _fetch(forge, api_url)
    assert other.seen == []
    message = str(caught.value)
    assert message.startswith(
        f"{PROJECT}: {forge.name} redirected (HTTP 307) to another host (127.0.0.1"
    )
    assert "\n" not in message and TOKEN not in message
    assert api.seen[0][1][forge.auth_header] == forge.auth_value


@FORGES
def test_a_link_to_another_origin_is_never_requested(forge: Forge) -> None:
    api, other = HostileServer(), HostileServer()
    with api.serve() as api_url, other.serve() as other_url:
        other.routes["/page2"] = json_page(forge.page("v1.0.0"))
        api.routes[forge.first] = json_page(forge.page("v1.1.0"), _next(f"{other_url}/page2"))
        result = _fetch(forge, api_url)
    assert other.seen == []
    assert [r.tag for r in result.releases] == ["v1.1.0"] and not result.complete
    port = httpx.URL(other_url).port
    assert result.warnings == (
        f"page 1 links to another host (127.0.0.1:{port}); not followed, the listing stops here",
    )


@FORGES
def test_a_later_page_redirected_to_another_origin_keeps_the_pages_read(forge: Forge) -> None:
    api, other = HostileServer(), HostileServer()
    with api.serve() as api_url, other.serve() as other_url:
        other.routes["/page2"] = json_page(forge.page("v1.0.0"))
        api.routes[forge.first] = json_page(
            forge.page("v1.2.0", "v1.1.0"), _next(f"{api_url}/page2")
        )
        api.routes["/page2"] = redirect(f"{other_url}/page2")
        result = _fetch(forge, api_url)
    assert other.seen == []
    assert [r.tag for r in result.releases] == ["v1.2.0", "v1.1.0"]
    assert result.complete is False and result.requests == 2
    port = httpx.URL(other_url).port
    assert result.warnings == (
        f"page 2 redirects to another host (127.0.0.1:{port}); not followed, "
        "the listing stops here",
    )


@FORGES
def test_a_same_origin_redirect_of_a_later_page_is_followed(forge: Forge) -> None:
    api = HostileServer()
    with api.serve() as api_url:
        api.routes[forge.first] = json_page(forge.page("v1.2.0"), _next(f"{api_url}/page2"))
        api.routes["/page2"] = redirect(f"{api_url}/moved/page2", status=301)
        api.routes["/moved/page2"] = json_page(forge.page("v1.1.0"))
        result = _fetch(forge, api_url)
    assert [r.tag for r in result.releases] == ["v1.2.0", "v1.1.0"] and result.complete
    assert [path for path, _ in api.seen][1:] == ["/page2", "/moved/page2"]
    assert all(headers[forge.auth_header] == forge.auth_value for _, headers in api.seen)


@FORGES
@pytest.mark.parametrize(
    ("status", "says"),
    [(403, "{forge} refused access (HTTP 403)"), (404, "{word} not found on {forge} (HTTP 404)")],
    ids=["403", "404"],
)
def test_a_later_page_answering_an_error_gets_the_status_check(
    forge: Forge, status: int, says: str
) -> None:
    """A later page is status-checked like the first (GitLab's page walk did not: it said
    "unexpected HTTP 403 on page 2" for every status)."""
    api = HostileServer()
    with api.serve() as api_url:
        api.routes[forge.first] = json_page(forge.page("v1.2.0"), _next(f"{api_url}/page2"))
        api.routes["/page2"] = raw(json.dumps({"message": f"{status}"}).encode(), status=status)
        with pytest.raises(UpstreamError) as caught:
            _fetch(forge, api_url)
    expected = says.format(forge=forge.name, word=forge.repository_word)
    assert str(caught.value).startswith(f"{PROJECT}: {expected}")
    assert caught.value.requests == 2 and "\n" not in str(caught.value)


@FORGES
def test_a_short_retry_after_is_waited_and_the_request_retried(forge: Forge) -> None:
    api = HostileServer()
    sleeps = Sleeps()
    with api.serve() as api_url:
        throttled = raw(b'{"message": "slow down"}', status=429, headers={"Retry-After": "3"})
        api.routes[forge.first] = Sequence(throttled, json_page(forge.page("v1.0.0")))
        with httpx.Client(timeout=5) as client:
            result = forge.source(client, api_url, sleep=sleeps).fetch(PROJECT)
    assert sleeps == [3.0] and result.requests == 2
    assert [r.tag for r in result.releases] == ["v1.0.0"]


@FORGES
def test_a_known_etag_is_sent_and_304_is_not_modified(forge: Forge) -> None:
    api = HostileServer()
    body = json.dumps(forge.page("v1.0.0")).encode()

    def releases(handler: BaseHTTPRequestHandler) -> None:
        if handler.headers.get("If-None-Match") == 'W/"v1"':
            send(handler, 304, b"", {"ETag": 'W/"v1"'})
        else:
            send(handler, 200, body, {"ETag": 'W/"v1"'})

    with api.serve() as api_url:
        api.routes[forge.first] = releases
        first = _fetch(forge, api_url)
        again = _fetch(forge, api_url, validator=first.validator)
    assert first.validator == 'W/"v1"' and [r.tag for r in first.releases] == ["v1.0.0"]
    assert again.not_modified and again.requests == 1 and again.releases == ()
    assert "if-none-match" not in api.seen[0][1]
    assert api.seen[1][1]["if-none-match"] == 'W/"v1"'
