"""A fake GitLab REST API v4 for releases and tags: one core, two fronts.

``FakeGitLab`` answers like GitLab documents it (tests/data/gitlab/PROVENANCE.md quotes the
pages) for the endpoints tracker uses, under ``/api/v4``:

- ``GET /projects/:id/releases`` and ``/projects/:id/repository/tags`` (``:id`` the URL-encoded
  full path), paged with ``per_page``/``page``: ``Link`` (``rel="next"``, ``"prev"``,
  ``"first"``, ``"last"``), ``X-Page``, ``X-Per-Page``, ``X-Next-Page``, ``X-Total``;
- a weak ``ETag`` per page and ``304`` on a matching ``If-None-Match``;
- ``RateLimit-Limit/Remaining/Reset`` on every answer;
- ``404 {"message": "404 Project Not Found"}`` for an unknown project;
- faults per project (or ``"*"``): ``502``, ``hang``, ``429`` with ``Retry-After``,
  ``hostile-link`` (page 1 links its next page on another origin), ``no-link`` (only
  ``X-Next-Page``, no ``Link``).

Fronts: :meth:`FakeGitLab.mock_transport` (``httpx.MockTransport``) and :meth:`FakeGitLab.serve`
(a real HTTP server on 127.0.0.1 in a thread).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

import httpx

EVIL = "https://evil.example"


@dataclass
class Fault:
    """``kind``: ``502``, ``hang``, ``429``, ``hostile-link``, ``no-link``; ``times`` None:
    forever, else that many requests."""

    kind: str
    times: int | None = None
    retry_after: int = 1
    seconds: float = 2.0


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]


@dataclass
class _Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    hang: float = 0.0


def release_object(project: str, tag: str, released_at: str, **extra: Any) -> dict[str, Any]:
    """A release in the documented shape of ``GET /projects/:id/releases`` (the fields tracker
    reads plus a few it ignores)."""
    item: dict[str, Any] = {
        "tag_name": tag,
        "name": tag,
        "description": f"Release {tag}",
        "created_at": released_at,
        "released_at": released_at,
        "upcoming_release": False,
        "commit": {"id": hashlib.sha1(tag.encode()).hexdigest()},
        "_links": {"self": f"https://gitlab.com/{project}/-/releases/{tag}"},
    }
    item.update(extra)
    return item


class FakeGitLab:
    """In-memory GitLab releases/tags API. Thread-safe; mutate with the helper methods.

    Args:
        releases: project path -> release objects, newest first.
        tags: project path -> tag names, newest first (listed by ``/repository/tags``).
    """

    def __init__(
        self,
        releases: Mapping[str, list[dict[str, Any]]] | None = None,
        *,
        tags: Mapping[str, list[str]] | None = None,
        rate_limit: int = 2000,
    ) -> None:
        self.releases = {p: list(v) for p, v in (releases or {}).items()}
        self.tags = {p: list(v) for p, v in (tags or {}).items()}
        self.faults: dict[str, Fault] = {}
        self.limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = int(time.time()) + 60
        self.log: list[Seen] = []
        self._lock = threading.Lock()

    def publish(self, project: str, item: dict[str, Any]) -> None:
        with self._lock:
            self.releases[project].insert(0, item)

    def fail(self, project: str, fault: Fault) -> None:
        with self._lock:
            self.faults[project] = fault

    def heal(self) -> None:
        with self._lock:
            self.faults.clear()

    def _fault_for(self, project: str) -> Fault | None:
        fault = self.faults.get(project) or self.faults.get("*")
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times < 0:
                return None
        return fault

    def _json(self, status: int, body: Any, extra: Mapping[str, str] | None = None) -> _Answer:
        headers = {
            "Content-Type": "application/json",
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(max(self.remaining, 0)),
            "RateLimit-Reset": str(self.reset_at),
            **(extra or {}),
        }
        return _Answer(status, headers, json.dumps(body).encode())

    def answer(self, url: str, headers: Mapping[str, str], base: str) -> _Answer:
        """Answer one GET of ``url`` (absolute, path still URL-encoded)."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.log.append(Seen("GET", parts.path, query, lowered))
            return self._route(parts.path, query, lowered, base)

    def _route(
        self, path: str, query: dict[str, str], headers: dict[str, str], base: str
    ) -> _Answer:
        prefix = "/api/v4/projects/"
        if not path.startswith(prefix):
            return self._json(404, {"error": "404 Not Found"})
        rest = path[len(prefix) :]
        encoded, _, what = rest.partition("/")
        project = unquote(encoded)
        if what not in ("releases", "repository/tags") or "/" in encoded:
            return self._json(404, {"error": "404 Not Found"})
        fault = self._fault_for(project)
        if fault is not None and fault.kind == "502":
            return self._json(502, {"message": "502 Bad Gateway"})
        if fault is not None and fault.kind == "hang":
            return _Answer(200, hang=fault.seconds)
        if fault is not None and fault.kind == "429":
            self.remaining = 0
            answer = self._json(
                429, {"message": "Retry later"}, {"Retry-After": str(fault.retry_after)}
            )
            self.remaining = self.limit
            return answer
        if project not in self.releases and project not in self.tags:
            return self._json(404, {"message": "404 Project Not Found"})
        self.remaining -= 1
        if what == "releases":
            items: list[Any] = self.releases.get(project, [])
        else:
            items = [
                {
                    "name": t,
                    "message": "",
                    "target": hashlib.sha1(t.encode()).hexdigest(),
                    "commit": {"id": hashlib.sha1(t.encode()).hexdigest()},
                    "release": None,
                    "protected": False,
                }
                for t in self.tags.get(project, [])
            ]
        return self._page(base + path, query, headers, items, fault)

    def _page(
        self,
        url: str,
        query: dict[str, str],
        headers: dict[str, str],
        items: list[Any],
        fault: Fault | None,
    ) -> _Answer:
        per_page = max(1, min(int(query.get("per_page", "20")), 100))
        page = max(1, int(query.get("page", "1")))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        body = json.dumps(chunk).encode()
        etag = 'W/"' + hashlib.md5(body).hexdigest() + '"'
        keep = {k: v for k, v in query.items() if k != "page"}

        def link(n: int, rel: str, where: str = url) -> str:
            return f'<{where}?{urlencode({**keep, "page": n})}>; rel="{rel}"'

        links = []
        if page > 1:
            links += [link(page - 1, "prev")]
        if page < last:
            hostile = fault is not None and fault.kind == "hostile-link"
            where = EVIL + urlsplit(url).path if hostile else url
            links += [link(page + 1, "next", where)]
        links += [link(1, "first"), link(last, "last")]
        extra = {
            "ETag": etag,
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Next-Page": str(page + 1) if page < last else "",
            "X-Prev-Page": str(page - 1) if page > 1 else "",
            "X-Total": str(len(items)),
            "X-Total-Pages": str(last),
        }
        if fault is None or fault.kind != "no-link":
            extra["Link"] = ", ".join(links)
        if headers.get("if-none-match") == etag:
            answer = self._json(304, None, extra)
            answer.body = b""
            return answer
        answer = self._json(200, None, extra)
        answer.body = body
        return answer

    # ----------------------------------------------------------------- fronts

    def mock_transport(self, base: str = "https://gitlab.test") -> httpx.MockTransport:
        """An ``httpx.MockTransport`` front (hangs raise ``httpx.ReadTimeout``); requests to
        another origin (a hostile link followed) are logged and answered 200 ``[]``."""

        def handler(request: httpx.Request) -> httpx.Response:
            url = str(request.url)
            if not url.startswith(base):
                with self._lock:
                    self.log.append(
                        Seen("GET", url, {}, {k.lower(): v for k, v in request.headers.items()})
                    )
                return httpx.Response(200, json=[])
            answer = self.answer(url, request.headers, base)
            if answer.hang:
                raise httpx.ReadTimeout("fake hang", request=request)
            return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

        return httpx.MockTransport(handler)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on 127.0.0.1 (ephemeral port) in a thread; yields the API URL (``.../api/v4``)."""
        fake = self
        where: dict[str, str] = {}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                answer = fake.answer(where["base"] + self.path, dict(self.headers), where["base"])
                if answer.hang:
                    time.sleep(answer.hang)
                try:
                    self.send_response(answer.status)
                    for key, value in answer.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except OSError:
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        where["base"] = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield where["base"] + "/api/v4"
        finally:
            server.shutdown()
            server.server_close()


def catalogue_projects(data: Path) -> FakeGitLab:
    """A fake serving the built-in catalogue's gitlab.com projects from ``data`` (tests/data):
    Gitaly's real tags as releases dated by their tags, gitlab-exporter's versions as tags only
    (tests/data/gitlab/PROVENANCE.md). Tests that sync the whole catalogue point
    ``TRACKER_GITLAB_API_URL`` here, so no test reaches gitlab.com."""
    gitaly = "gitlab-org/gitaly"
    tags = json.loads((data / "gitlab" / "gitlab-org__gitaly.tags.json").read_text("utf-8"))
    exporter = data / "tags" / "gitlab-org__ruby__gems__gitlab-exporter.txt"
    return FakeGitLab(
        {gitaly: [release_object(gitaly, t["tag_name"], t["released_at"]) for t in tags]},
        tags={
            "gitlab-org/ruby/gems/gitlab-exporter": [
                line for line in exporter.read_text("utf-8").splitlines() if line[:1] not in "#"
            ]
        },
    )
