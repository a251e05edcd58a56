"""A fake GitHub REST API for releases: one core, two fronts.

``FakeGitHub`` answers like GitHub does for the endpoints tracker uses:

- ``GET /repos/{owner}/{repo}/releases`` and ``/tags``, paged with ``per_page``/``page`` and a
  ``Link`` header (``rel="next"``, ``"last"``, ``"prev"``, ``"first"``);
- a weak ``ETag`` per page and ``304 Not Modified`` on a matching ``If-None-Match`` (free: the
  rate limit does not count down);
- ``X-RateLimit-Limit/Remaining/Used/Reset/Resource`` on every answer, counting down;
- ``301`` to ``/repositories/{id}/...`` for a renamed repository, ``GET /repositories/{id}``;
- ``404`` for an unknown repository;
- faults to switch on per project (or ``"*"`` for all): ``502``, ``hang`` (a timeout),
  ``429`` with ``Retry-After``, secondary ``403`` with ``Retry-After``; and
  :meth:`FakeGitHub.exhaust` for a primary limit at 0 (``403`` with remaining 0).

Fronts: :meth:`FakeGitHub.mock_transport` (``httpx.MockTransport``; a hang raises
``httpx.ReadTimeout``) and :meth:`FakeGitHub.serve` (a real HTTP server on 127.0.0.1, an
ephemeral port, in a thread; a hang sleeps, ``latency`` seconds are added to each request).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx


def load_release_lists(directory: Path) -> dict[str, list[dict[str, Any]]]:
    """Every ``OWNER__REPO.json`` in ``directory`` as ``{"owner/repo": [release, ...]}``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(directory.glob("*__*.json")):
        owner, repo = path.stem.split("__", 1)
        out[f"{owner}/{repo}"] = json.loads(path.read_text(encoding="utf-8"))
    return out


@dataclass
class Fault:
    """A failure to answer with. ``times`` None: forever; else that many requests, then heal.

    kinds: ``502``, ``hang`` (sleep ``seconds``), ``429`` (with ``Retry-After: retry_after``),
    ``403-secondary`` (403 with ``Retry-After``).
    """

    kind: str
    times: int | None = None
    retry_after: int = 1
    seconds: float = 2.0


@dataclass(frozen=True)
class Seen:
    """One request the fake received."""

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


class FakeGitHub:
    """In-memory GitHub releases API. Thread-safe; mutate with the helper methods.

    Args:
        releases: project -> release objects, newest first (e.g. :func:`load_release_lists`).
        tags_only: project -> tag names, newest first, for repositories without releases.
        rate_limit: ``X-RateLimit-Limit`` (the count starts full).
        latency: seconds added to every request (served mode and transport mode).
    """

    def __init__(
        self,
        releases: Mapping[str, list[dict[str, Any]]] | None = None,
        *,
        tags_only: Mapping[str, list[str]] | None = None,
        rate_limit: int = 5000,
        latency: float = 0.0,
    ) -> None:
        self.releases: dict[str, list[dict[str, Any]]] = {
            p: list(v) for p, v in (releases or {}).items()
        }
        self.tags_only: dict[str, list[str]] = {p: list(v) for p, v in (tags_only or {}).items()}
        self.renames: dict[str, str] = {}
        self.faults: dict[str, Fault] = {}
        self.limit = rate_limit
        self.remaining = rate_limit
        self.reset_at = int(time.time()) + 3600
        self.latency = latency
        self.log: list[Seen] = []
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}
        self.advisories: list[dict[str, Any]] = []
        """REST global advisories (``GET /advisories``), newest first; ``affects`` filters by
        ``vulnerabilities[].package.name``; faults for them are keyed ``advisories``."""

    # ----------------------------------------------------------------- test controls

    def publish(self, project: str, item: dict[str, Any]) -> None:
        """Add a release at the top (newest)."""
        with self._lock:
            self.releases[project].insert(0, item)

    def edit(self, project: str, tag: str, **changes: Any) -> None:
        """Change fields of the release with ``tag_name == tag``."""
        with self._lock:
            for item in self.releases[project]:
                if item["tag_name"] == tag:
                    item.update(changes)
                    return
        raise KeyError(tag)

    def delete(self, project: str, tag: str) -> None:
        """Remove the release with ``tag_name == tag``."""
        with self._lock:
            self.releases[project] = [i for i in self.releases[project] if i["tag_name"] != tag]

    def rename(self, old: str, new: str) -> None:
        """Move ``old``'s releases to ``new``; requests to ``old`` get a 301."""
        with self._lock:
            self.releases[new] = self.releases.pop(old)
            self.renames[old] = new

    def fail(self, project: str, fault: Fault) -> None:
        """Answer requests for ``project`` (``"*"``: any) with ``fault``."""
        with self._lock:
            self.faults[project] = fault

    def heal(self) -> None:
        """Remove every fault and refill the rate limit."""
        with self._lock:
            self.faults.clear()
            self.remaining = self.limit

    def exhaust(self, remaining: int = 0) -> None:
        """Set the primary rate limit's remaining count (0: every counted request gets 403)."""
        with self._lock:
            self.remaining = remaining

    def requests_for(self, project: str) -> list[Seen]:
        """Requests whose path names ``project``."""
        return [s for s in self.log if f"/repos/{project}/" in s.path + "/"]

    # ----------------------------------------------------------------- core

    def _id(self, project: str) -> int:
        return self._ids.setdefault(project, 1000 + len(self._ids))

    def _limit_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(self.remaining, 0)),
            "X-RateLimit-Used": str(self.limit - max(self.remaining, 0)),
            "X-RateLimit-Reset": str(self.reset_at),
            "X-RateLimit-Resource": "core",
        }

    def _json(self, status: int, body: Any, extra: dict[str, str] | None = None) -> _Answer:
        headers = {"Content-Type": "application/json; charset=utf-8", **self._limit_headers()}
        headers.update(extra or {})
        return _Answer(status, headers, json.dumps(body).encode())

    def answer(self, method: str, url: str, headers: Mapping[str, str], base_url: str) -> _Answer:
        """Answer one request (``url`` absolute); the shared core of both fronts."""
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        lowered = {k.lower(): v for k, v in headers.items()}
        with self._lock:
            self.log.append(Seen(method, parts.path, query, lowered))
            return self._route(parts.path, query, lowered, base_url)

    def _fault_for(self, project: str | None) -> Fault | None:
        fault = self.faults.get(project or "") or self.faults.get("*")
        if fault is None:
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times < 0:
                return None
        return fault

    def _route(
        self, path: str, query: dict[str, str], headers: dict[str, str], base_url: str
    ) -> _Answer:
        if path == "/advisories":
            return self._advisories(path, query, headers, base_url)
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/(releases|tags)", path)
        by_id = re.fullmatch(r"/repositories/(\d+)(?:/(releases|tags))?", path)
        project: str | None = m.group(1) if m else None
        if by_id:
            ids = {v: k for k, v in self._ids.items()}
            project = ids.get(int(by_id.group(1)))
        fault = self._fault_for(project)
        if fault is not None:
            if fault.kind == "502":
                return self._json(502, {"message": "Server Error"})
            if fault.kind == "hang":
                return _Answer(200, hang=fault.seconds)
            if fault.kind in ("429", "403-secondary"):
                status = 429 if fault.kind == "429" else 403
                return self._json(
                    status,
                    {"message": "You have exceeded a secondary rate limit."},
                    {"Retry-After": str(fault.retry_after)},
                )
        if project is None:
            return self._json(404, {"message": "Not Found"})
        if self.remaining <= 0:
            return self._json(
                403,
                {"message": "API rate limit exceeded for 127.0.0.1."},
            )
        if by_id and by_id.group(2) is None:
            self.remaining -= 1
            return self._json(200, {"id": by_id.group(1), "full_name": project})
        what = m.group(2) if m else by_id.group(2) if by_id else "releases"
        if project in self.renames:
            new = self.renames[project]
            location = f"{base_url}/repositories/{self._id(new)}/{what}"
            if query:
                location += "?" + urlencode(query)
            self.remaining -= 1
            return self._json(
                301,
                {"message": "Moved Permanently", "url": location},
                {"Location": location},
            )
        if project in self.tags_only:
            items: list[Any] = (
                []
                if what == "releases"
                else [
                    {"name": t, "commit": {"sha": hashlib.sha1(t.encode()).hexdigest()}}
                    for t in self.tags_only[project]
                ]
            )
        elif project in self.releases:
            items = self.releases[project] if what == "releases" else []
        else:
            return self._json(404, {"message": "Not Found"})
        return self._page(path, query, headers, base_url, items)

    def _advisories(
        self, path: str, query: dict[str, str], headers: dict[str, str], base_url: str
    ) -> _Answer:
        fault = self._fault_for("advisories")
        if fault is not None:
            if fault.kind == "502":
                return self._json(502, {"message": "Server Error"})
            if fault.kind in ("429", "403-secondary"):
                return self._json(
                    429 if fault.kind == "429" else 403,
                    {"message": "You have exceeded a secondary rate limit."},
                    {"Retry-After": str(fault.retry_after)},
                )
        if self.remaining <= 0:
            return self._json(403, {"message": "API rate limit exceeded for 127.0.0.1."})
        name = query.get("affects", "")
        ecosystem = query.get("ecosystem", "")
        items = [
            a
            for a in self.advisories
            if any(
                (v.get("package") or {}).get("name") == name
                and (not ecosystem or (v.get("package") or {}).get("ecosystem") == ecosystem)
                for v in a.get("vulnerabilities") or []
            )
        ]
        keep = {k: v for k, v in query.items() if k not in ("per_page", "page")}
        return self._page(path, query, headers, base_url, items, keep=keep)

    def _page(
        self,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        base_url: str,
        items: list[Any],
        keep: Mapping[str, str] | None = None,
    ) -> _Answer:
        per_page = max(1, min(int(query.get("per_page", "30")), 100))
        page = max(1, int(query.get("page", "1")))
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        body = json.dumps(chunk).encode()
        etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        links = []

        def link(n: int, rel: str) -> str:
            params = {**(keep or {}), "per_page": per_page, "page": n}
            return f'<{base_url}{path}?{urlencode(params)}>; rel="{rel}"'

        if page > 1:
            links += [link(page - 1, "prev"), link(1, "first")]
        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        extra = {"ETag": etag, "Cache-Control": "private, max-age=60, s-maxage=60"}
        if links:
            extra["Link"] = ", ".join(links)
        if headers.get("if-none-match") == etag:
            answer = self._json(304, None, extra)
            answer.body = b""
            return answer
        self.remaining -= 1
        answer = self._json(200, None, extra)
        answer.body = body
        return answer

    # ----------------------------------------------------------------- fronts

    def mock_transport(self, base_url: str = "https://api.github.test") -> httpx.MockTransport:
        """An ``httpx.MockTransport`` front (hangs raise ``httpx.ReadTimeout``)."""

        def handler(request: httpx.Request) -> httpx.Response:
            if self.latency:
                time.sleep(self.latency)
            answer = self.answer(request.method, str(request.url), request.headers, base_url)
            if answer.hang:
                raise httpx.ReadTimeout("fake hang", request=request)
            return httpx.Response(answer.status, headers=answer.headers, content=answer.body)

        return httpx.MockTransport(handler)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on 127.0.0.1 (ephemeral port) in a thread; yields the base URL."""
        fake = self
        where: dict[str, str] = {}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                base = where["base"]
                if fake.latency:
                    time.sleep(fake.latency)
                answer = fake.answer("GET", base + self.path, dict(self.headers), base)
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
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        where["base"] = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield where["base"]
        finally:
            server.shutdown()
            server.server_close()
