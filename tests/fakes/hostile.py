"""A programmable HTTP server on 127.0.0.1 for hostile-upstream tests.

Each route maps a path to a function ``(handler) -> None`` that writes the whole answer, so a
test can send a ``Link`` to another origin, a paging loop, a trickling body or a deep document.
Every request is recorded with its headers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class HostileServer:
    """Routes by path with its query, else by path alone; unknown paths answer 404."""

    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve in a thread on an ephemeral port; yields ``http://127.0.0.1:PORT``."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                fake.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = fake.routes.get(self.path) or fake.routes.get(self.path.split("?", 1)[0])
                try:
                    if route is None:
                        send(self, 404, b"{}")
                    else:
                        route(self)
                except OSError:
                    pass  # the client gave up

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)  # the request body, unused
                self.do_GET()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.base = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self.base
        finally:
            server.shutdown()
            server.server_close()


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
) -> None:
    """Write one complete answer with a Content-Length."""
    handler.send_response(status)
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def json_page(items: object, headers: dict[str, str] | None = None, status: int = 200) -> Route:
    """A route answering ``items`` as JSON (``headers`` e.g. a ``Link``)."""
    import json

    body = json.dumps(items).encode()
    return lambda handler: send(handler, status, body, headers)


def raw(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Route:
    """A route answering ``body`` as it is (a deep document, a huge integer)."""
    return lambda handler: send(handler, status, body, headers)


def redirect(location: str, status: int = 302) -> Route:
    """A route answering a redirect to ``location``."""
    return lambda handler: send(handler, status, b"", {"Location": location})


def trickle(interval: float, size: int = 1000) -> Route:
    """A route that announces ``size`` bytes, then sends one byte every ``interval`` seconds
    (each read returns in time, so only a whole-request deadline ends it)."""
    import time

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        handler.wfile.write(b"[")
        handler.wfile.flush()
        for _ in range(size - 2):
            time.sleep(interval)
            handler.wfile.write(b" ")
            handler.wfile.flush()
        handler.wfile.write(b"]")

    return route


def rate_limited(reset: int = 4102444800) -> Route:
    """A route answering GitHub's primary rate limit: 403 with ``X-RateLimit-Remaining: 0``."""
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}
    return lambda handler: send(handler, 403, b'{"message": "API rate limit exceeded"}', headers)


class Sequence:
    """A route answering with the next of ``routes`` on each request (the last one repeats)."""

    def __init__(self, *routes: Route) -> None:
        self.routes = list(routes)
        self.calls = 0

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        route = self.routes[min(self.calls, len(self.routes) - 1)]
        self.calls += 1
        route(handler)
