"""GitHubReleaseSource and the sync against hostile servers on 127.0.0.1 (issue 13).

Credentials stay on their origin, no page is read twice, a request ends at its deadline,
hostile JSON gives one line naming the project, and a rate limit while paging keeps the pages.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tests.fakes.hostile import (
    HostileServer,
    Sequence,
    json_page,
    rate_limited,
    raw,
    redirect,
    send,
    trickle,
)
from tests.upstream.fake_store import FakeStore
from tracker.errors import UpstreamError
from tracker.upstream.github import GitHubReleaseSource, token_key
from tracker.upstream.sync import ProjectStatus, sync_projects

TOKEN = "ghp_HOSTILETESTTOKEN0123456789abcdef"
RELEASES = "/repos/acme/app/releases"
NOW = datetime(2026, 9, 1, tzinfo=UTC)


def _release(tag: str) -> dict[str, object]:
    return {"tag_name": tag, "draft": False, "prerelease": False, "published_at": None}


def _page(*tags: str) -> list[dict[str, object]]:
    return [_release(t) for t in tags]


def _next(url: str) -> dict[str, str]:
    return {"Link": f'<{url}>; rel="next"'}


def _source(client: httpx.Client, api_url: str, **kwargs: object) -> GitHubReleaseSource:
    return GitHubReleaseSource(client, api_url, TOKEN, sleep=lambda s: None, **kwargs)  # type: ignore[arg-type]


def test_link_to_another_origin_is_not_followed_and_gets_no_token() -> None:
    api, other = HostileServer(), HostileServer()
    with api.serve() as api_url, other.serve() as other_url:

        def page1(h: BaseHTTPRequestHandler) -> None:
            link = f'<{other_url}/repos/acme/app/releases?page=2>; rel="next"'
            send(h, 200, json.dumps([_release("v1.2.0")]).encode(), {"Link": link})

        other.routes[RELEASES] = lambda h: send(h, 200, json.dumps([_release("v1.1.0")]).encode())
        api.routes[RELEASES] = page1
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


def test_redirect_to_another_origin_is_refused_without_the_token() -> None:
    api, other = HostileServer(), HostileServer()
    with api.serve() as api_url, other.serve() as other_url:
        other.routes[RELEASES] = json_page(_page("v9.9.9"))
        api.routes[RELEASES] = redirect(f"{other_url}{RELEASES}", status=307)
        with httpx.Client(timeout=5) as client, pytest.raises(UpstreamError) as caught:
            _source(client, api_url).fetch("acme/app")
    assert other.seen == []
    message = str(caught.value)
    assert message.startswith("acme/app: GitHub redirected (HTTP 307) to another host (127.0.0.1)")
    assert "\n" not in message and TOKEN not in message


def test_redirect_of_a_later_page_to_another_origin_keeps_the_pages_read() -> None:
    api, other = HostileServer(), HostileServer()
    with api.serve() as api_url, other.serve() as other_url:
        other.routes["/page2"] = json_page(_page("v1.0.0"))
        api.routes[RELEASES] = json_page(_page("v1.2.0", "v1.1.0"), _next(f"{api_url}/page2"))
        api.routes["/page2"] = redirect(f"{other_url}/page2")
        with httpx.Client(timeout=5) as client:
            result = _source(client, api_url).fetch("acme/app")
    assert other.seen == []
    assert [r.tag for r in result.releases] == ["v1.2.0", "v1.1.0"]
    assert result.complete is False and result.requests == 2
    assert result.warnings == (
        "page 2 redirects to another host (127.0.0.1:"
        f"{httpx.URL(other_url).port}); not followed, the listing stops here",
    )


def test_link_loop_ends_the_listing_and_keeps_every_page() -> None:
    api = HostileServer()
    with api.serve() as api_url:
        first = f"{api_url}{RELEASES}?per_page=100"
        api.routes[RELEASES] = json_page(_page("v3", "v2"), _next(f"{api_url}/page2"))
        api.routes["/page2"] = json_page(_page("v1"), _next(first))  # back to page 1
        with httpx.Client(timeout=5) as client:
            result = _source(client, api_url).fetch("acme/app")
    assert [path for path, _ in api.seen] == [f"{RELEASES}?per_page=100", "/page2"]
    assert [r.tag for r in result.releases] == ["v3", "v2", "v1"]
    assert result.complete is False and result.pages == 2
    assert result.warnings == ("page 2 links to a page already read; the listing stops here",)


def test_self_link_ends_the_listing_after_one_request() -> None:
    api = HostileServer()
    with api.serve() as api_url:
        # The same page, its query parameters in another order.
        api.routes[RELEASES] = json_page(_page("v1"), _next(f"{api_url}{RELEASES}?per_page=100"))
        with httpx.Client(timeout=5) as client:
            result = _source(client, api_url).fetch("acme/app")
    assert len(api.seen) == 1 and result.requests == 1
    assert [r.tag for r in result.releases] == ["v1"]
    assert result.warnings == ("page 1 links to a page already read; the listing stops here",)


def test_trickling_body_fails_at_the_whole_request_deadline() -> None:
    api = HostileServer()
    with api.serve() as api_url:
        api.routes[RELEASES] = trickle(0.2, size=1000)  # about 200 s to send it all
        # Each read returns well within httpx's 5 s read timeout: only the deadline ends it.
        with httpx.Client(timeout=5) as client:
            source = _source(client, api_url, timeout=1.0, max_attempts=2)
            started = time.monotonic()
            with pytest.raises(UpstreamError) as caught:
                source.fetch("acme/app")
            elapsed = time.monotonic() - started
    message = str(caught.value)
    assert message.startswith(f"acme/app: GET {RELEASES} timed out after 1 s (after 2 attempts)")
    assert caught.value.requests == 2 and len(api.seen) == 2
    assert elapsed < 10  # two attempts of about 1 s each, not 200 s


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "depth limit exceeded"),
        (b'[{"tag_name": "v1", "id": ' + b"9" * 100_000 + b"}]", "number"),
        (b'[{"tag_name": "v1\xff"}]', "UTF-8"),
    ],
    ids=["deep", "huge-integer", "not-utf8"],
)
def test_hostile_json_is_one_line_naming_the_project(body: bytes, reason: str) -> None:
    api = HostileServer()
    with api.serve() as api_url:
        api.routes[RELEASES] = raw(body)
        with httpx.Client(timeout=5) as client, pytest.raises(UpstreamError) as caught:
            _source(client, api_url).fetch("acme/app")
    message = str(caught.value)
    assert message.startswith(f"acme/app: GitHub answered {RELEASES} with non-JSON content (")
    assert reason in message and "\n" not in message and len(message) < 300


def test_failed_project_counts_every_attempt_in_the_summary() -> None:
    api = HostileServer()
    with api.serve() as api_url:
        api.routes[RELEASES] = raw(b"{}", status=502)
        store = FakeStore()
        with httpx.Client(timeout=5) as client:
            summary = sync_projects(
                store, _source(client, api_url), ["acme/app"], token_key="k", now=NOW
            )
    [result] = summary.results
    assert result.status is ProjectStatus.FAILED and result.requests == 4 == len(api.seen)
    assert "4 requests" in summary.one_line()


def test_rate_limit_after_page_2_keeps_pages_and_the_next_sync_resumes_at_page_3() -> None:
    api = HostileServer()
    key = token_key(TOKEN)
    with api.serve() as api_url:
        page3 = Sequence(rate_limited(), json_page(_page("v1", "v0")))
        api.routes[RELEASES] = json_page(_page("v5", "v4"), _next(f"{api_url}/p?page=2"))
        api.routes["/p?page=2"] = json_page(_page("v3", "v2"), _next(f"{api_url}/p?page=3"))
        api.routes["/p?page=3"] = page3
        api.routes["/repos/acme/other/releases"] = json_page(_page("v1"))
        store = FakeStore()
        with httpx.Client(timeout=5) as client:
            source = _source(client, api_url)
            first = sync_projects(
                store, source, ["acme/app", "acme/other"], token_key=key, now=NOW, concurrency=1
            )
            # Pages 1-2 are stored; the other project is not started (the limit is spent).
            assert first.rate_limited and "rate limit exhausted" in first.one_line()
            app, other = first.results
            assert app.status is ProjectStatus.UPDATED and app.fetched == 4 and app.requests == 3
            assert app.warnings == (
                "the rate limit ran out after page 2; the next sync resumes there",
            )
            assert other.status is ProjectStatus.SKIPPED
            assert sorted(r.tag for r in store.releases("acme/app")) == ["v2", "v3", "v4", "v5"]
            seen_before = len(api.seen)

            second = sync_projects(store, source, ["acme/app"], token_key=key, now=NOW)
    # The second sync starts at page 3: pages 1-2 are not bought again.
    assert [path for path, _ in api.seen[seen_before:]] == ["/p?page=3"]
    assert second.results[0].status is ProjectStatus.UPDATED and second.requests == 1
    assert sorted(r.tag for r in store.releases("acme/app")) == [
        "v0",
        "v1",
        "v2",
        "v3",
        "v4",
        "v5",
    ]
    assert all(headers["authorization"] == f"Bearer {TOKEN}" for _, headers in api.seen)


def test_resume_point_that_no_longer_answers_reads_from_the_top() -> None:
    api = HostileServer()
    with api.serve() as api_url:
        api.routes[RELEASES] = json_page(_page("v2", "v1"), {"ETag": 'W/"top"'})
        api.routes["/gone"] = raw(b"{}", status=404)
        validator = f'W/"old"  resume:releases:{api_url}/gone'
        with httpx.Client(timeout=5) as client:
            result = _source(client, api_url).fetch("acme/app", validator=validator)
    assert [path for path, _ in api.seen] == ["/gone", f"{RELEASES}?per_page=100"]
    assert "if-none-match" not in api.seen[1][1]  # the rest is missing: no "not modified"
    assert [r.tag for r in result.releases] == ["v2", "v1"] and result.complete
    assert result.validator == 'W/"top"'
    assert result.warnings == (
        "the interrupted listing could not be resumed (HTTP 404); read from the top",
    )


def test_resume_point_on_another_host_is_never_requested() -> None:
    api, other = HostileServer(), HostileServer()
    with api.serve() as api_url, other.serve() as other_url:
        api.routes[RELEASES] = json_page(_page("v1"))
        validator = f'W/"old"  resume:releases:{other_url}{RELEASES}'
        with httpx.Client(timeout=5) as client:
            result = _source(client, api_url).fetch("acme/app", validator=validator)
    assert other.seen == [] and [r.tag for r in result.releases] == ["v1"]
    assert result.warnings == ("the stored resume point is on another host; read from the top",)


def test_interrupted_first_sync_of_a_running_version_resumes_without_rebuying_pages() -> None:
    from tracker.upstream.sync import OldestNeeded

    api = HostileServer()
    needs = {"acme/app": [OldestNeeded(r"^v?(?P<version>\d.*)$", "1.0")]}
    with api.serve() as api_url:
        api.routes[RELEASES] = json_page(
            _page("v5.0", "v4.0"), {"ETag": 'W/"p1"', **_next(f"{api_url}/p?page=2")}
        )
        api.routes["/p?page=2"] = json_page(_page("v3.0", "v2.0"), _next(f"{api_url}/p?page=3"))
        api.routes["/p?page=3"] = Sequence(rate_limited(), json_page(_page("v1.0", "v0.9")))
        store = FakeStore()
        with httpx.Client(timeout=5) as client:
            source = _source(client, api_url)
            first = sync_projects(
                store, source, ["acme/app"], token_key="k", now=NOW, oldest_needed=needs
            )
            assert first.rate_limited and first.results[0].fetched == 4
            seen_before = len(api.seen)
            # The stored releases do not cover 1.0: the plan is unconditional, yet it resumes.
            second = sync_projects(
                store, source, ["acme/app"], token_key="k", now=NOW, oldest_needed=needs
            )
    assert [path for path, _ in api.seen[seen_before:]] == ["/p?page=3"]
    assert "if-none-match" not in api.seen[-1][1]
    assert second.results[0].fetched == 2 and not second.rate_limited
    assert "v1.0" in {r.tag for r in store.releases("acme/app")}
