"""A fake Slack incoming webhook: a real HTTP server on 127.0.0.1 (ephemeral port).

Each POST takes the next scripted answer, then the default (``ok``):

- ``Answer.ok()``           -> 200 ``ok`` (what Slack answers on success)
- ``Answer.rate_limited(n)``-> 429 ``rate_limited`` with ``Retry-After: n``
- ``Answer.error(500)``     -> 500 (or any status) with a short body
- ``Answer.hang_up()``      -> reads the request and never answers (until the server stops),
                               so the client's read timeout fires

Every request is recorded (path, headers, decoded JSON body), hanging ones included.

    with FakeSlackWebhook([Answer.rate_limited(1), Answer.ok()]) as hook:
        send(client, hook.url, payload)
        assert len(hook.requests) == 2
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

SECRET_PATH = "/services/T0000FAKE/B0000FAKE/XXsecretXXtokenXXvalueXX"
"""The webhook path; the token part is what must never appear in errors or logs."""


@dataclass(frozen=True)
class Answer:
    """One scripted answer."""

    status: int
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    hang: bool = False

    @classmethod
    def ok(cls) -> Answer:
        return cls(200, "ok")

    @classmethod
    def rate_limited(cls, retry_after: str | int) -> Answer:
        return cls(429, "rate_limited", (("Retry-After", str(retry_after)),))

    @classmethod
    def error(cls, status: int = 500, body: str = "internal_error") -> Answer:
        return cls(status, body)

    @classmethod
    def hang_up(cls) -> Answer:
        return cls(0, hang=True)


@dataclass(frozen=True)
class Received:
    """One request the fake received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class FakeSlackWebhook:
    """The server; use as a context manager (starts on enter, stops on exit)."""

    def __init__(self, answers: Iterable[Answer] = ()) -> None:
        self._answers = list(answers)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.requests: list[Received] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = fake._record_and_pick(
                    Received("POST", self.path, dict(self.headers.items()), body)
                )
                if answer.hang:
                    fake._stop.wait(10)
                    self.close_connection = True
                    return
                data = answer.body.encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def _record_and_pick(self, received: Received) -> Answer:
        with self._lock:
            self.requests.append(received)
            return self._answers.pop(0) if self._answers else Answer.ok()

    @property
    def url(self) -> str:
        """The webhook URL, secret path included."""
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}{SECRET_PATH}"

    def __enter__(self) -> FakeSlackWebhook:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
