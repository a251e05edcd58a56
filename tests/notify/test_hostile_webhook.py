"""Webhook delivery against hostile servers on 127.0.0.1: one deadline per request."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tests.fakes.hostile import HostileServer, send
from tracker.errors import NotifyError
from tracker.notify.base import post_json


def _trickle(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "100")
    h.end_headers()
    for _ in range(100):  # one byte every 0.3 s: 30 s in all, each read well within its timeout
        h.wfile.write(b"o")
        h.wfile.flush()
        time.sleep(0.3)


def test_a_trickling_webhook_is_cut_at_the_deadline() -> None:
    server = HostileServer(routes={"/hook": _trickle})
    with server.serve() as base, httpx.Client(timeout=1.0) as client:
        started = time.monotonic()
        with pytest.raises(NotifyError, match="timed out") as info:
            post_json(client, f"{base}/hook", {"text": "x"}, target="Slack webhook", max_attempts=1)
        elapsed = time.monotonic() - started
    assert elapsed < 5, elapsed  # the budget (1 s) plus at most one trickle interval
    assert base not in str(info.value)  # the URL is a secret


def test_a_rejected_message_says_the_outbox_keeps_it() -> None:
    server = HostileServer(routes={"/hook": lambda h: send(h, 400, b"invalid_payload")})
    with (
        server.serve() as base,
        httpx.Client(timeout=2.0) as client,
        pytest.raises(NotifyError) as info,
    ):
        post_json(client, f"{base}/hook", {"text": "x"}, target="Slack webhook", max_attempts=3)
    assert len(server.seen) == 1  # a 4xx is not retried within the run
    assert "HTTP 400" in info.value.message
    assert "outbox keeps the message" in info.value.hint and "not retried" not in str(info.value)
