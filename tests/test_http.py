"""tracker.http: one request bounded as a whole, bodies bounded in size, JSON bounded in shape."""

from __future__ import annotations

import gzip
import time

import httpx
import pytest

from tests.fakes.hostile import HostileServer, trickle
from tracker.http import DeadlineExceeded, ResponseTooLarge, parse_json, send


def test_compressed_body_is_decoded_once_and_headers_kept() -> None:
    body = b'[{"tag_name": "v1"}]'

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": "gzip", "Link": '<https://h/x?page=2>; rel="next"'}
        return httpx.Response(200, headers=headers, content=gzip.compress(body))

    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        response = send(client, "GET", "https://h/x", timeout=5)
    assert response.content == body and response.json() == [{"tag_name": "v1"}]
    assert response.links["next"]["url"] == "https://h/x?page=2"


def test_body_over_the_size_limit_is_refused() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"x" * 2048))
    with httpx.Client(transport=transport) as client, pytest.raises(ResponseTooLarge):
        send(client, "GET", "https://h/x", timeout=5, max_bytes=1024)


def test_trickling_body_ends_at_the_deadline() -> None:
    server = HostileServer()
    with server.serve() as base:
        server.routes["/slow"] = trickle(0.1, size=1000)  # 100 s in all, 0.1 s per byte
        with httpx.Client(timeout=10) as client:
            started = time.monotonic()
            with pytest.raises(DeadlineExceeded, match=r"longer than 0\.5 s"):
                send(client, "GET", f"{base}/slow", timeout=0.5)
            assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "body", [b"[" * 5000, b"1" * 100_000, b'"\xff"', b"{"], ids=["deep", "int", "utf8", "cut"]
)
def test_parse_json_refuses_hostile_documents_with_one_line(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"^not valid JSON: ") as caught:
        parse_json(body)
    assert "\n" not in str(caught.value)
