"""GitHubReleaseSource against hostile servers on 127.0.0.1: credentials stay on their origin."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import httpx

from tests.fakes.hostile import HostileServer, send
from tracker.upstream.github import GitHubReleaseSource

TOKEN = "ghp_HOSTILETESTTOKEN0123456789abcdef"


def _release(tag: str) -> dict[str, object]:
    return {"tag_name": tag, "draft": False, "prerelease": False, "published_at": None}


def test_link_to_another_origin_is_not_followed_and_gets_no_token() -> None:
    api, other = HostileServer(), HostileServer()
    with api.serve() as api_url, other.serve() as other_url:

        def page1(h: BaseHTTPRequestHandler) -> None:
            link = f'<{other_url}/repos/acme/app/releases?page=2>; rel="next"'
            send(h, 200, json.dumps([_release("v1.2.0")]).encode(), {"Link": link})

        other.routes["/repos/acme/app/releases"] = lambda h: send(
            h, 200, json.dumps([_release("v1.1.0")]).encode()
        )
        api.routes["/repos/acme/app/releases"] = page1
        with httpx.Client(timeout=5) as client:
            result = GitHubReleaseSource(client, api_url, TOKEN).fetch("acme/app")

    assert api.seen[0][1]["authorization"] == f"Bearer {TOKEN}"
    assert other.seen == []  # refused: not even an anonymous request leaves the origin
    assert [r.tag for r in result.releases] == ["v1.2.0"]
    assert result.complete is False
    assert len(result.warnings) == 1
    assert "links to another host (127.0.0.1:" in result.warnings[0]
    assert TOKEN not in result.warnings[0]


def test_same_host_other_port_or_scheme_is_another_origin() -> None:
    source = GitHubReleaseSource(httpx.Client(), "https://api.github.test", TOKEN)
    on = source.client.headers("https://api.github.test/repos/a/b/releases?page=2", None)
    assert on["Authorization"] == f"Bearer {TOKEN}"
    for url in (
        "https://api.github.test:8443/repos/a/b/releases",
        "http://api.github.test/repos/a/b/releases",
        "https://evil.test/repos/a/b/releases",
        "https://api.github.test.evil.test/repos/a/b/releases",
    ):
        assert "Authorization" not in source.client.headers(url, None), url
