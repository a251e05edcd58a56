"""HTTP helpers shared by every outbound call (GitHub, GitLab, endoflife.date, webhooks).

- :func:`send` makes one request whose *whole* duration is bounded by ``timeout`` seconds:
  httpx's timeouts apply to each network read, so a server trickling one byte every 0.5 s
  would never time out; here the body is streamed and a monotonic deadline is checked after
  every chunk, and each phase (connect, write, pool, read) gets at most the time left. The body
  is also bounded in size (``max_bytes``, after decompression).
- :func:`parse_json` parses untrusted JSON with orjson, which refuses nesting deeper than 1024
  levels and integers beyond 64 bits with an error instead of a ``RecursionError`` or a
  ``ValueError`` from a 100,000-digit integer.
- :func:`origin` / :func:`host` name where a URL points, so credentials go only to their own
  origin (RFC 6454) and messages never show user info.
- :func:`connect_failure_reason` names why a connection failed (refused, DNS, TLS, ...) in a few
  words, for every source's "cannot connect" error.

Nothing here knows about GitHub.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from tracker.untrusted_json import parse_json

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
"""Largest response body read by default (64 MiB, decompressed)."""

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DeadlineExceeded",
    "ResponseTooLarge",
    "connect_failure_reason",
    "host",
    "origin",
    "parse_json",
    "send",
]


class DeadlineExceeded(httpx.TimeoutException):
    """The whole request took longer than its deadline (a ``TimeoutException``, so callers
    that retry timeouts retry this too)."""


class ResponseTooLarge(httpx.HTTPError):
    """The response body is larger than ``max_bytes``; it is not read further."""


def send(
    client: httpx.Client,
    method: str,
    url: str | httpx.URL,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    content: bytes | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> httpx.Response:
    """One request, redirects not followed, finished within ``timeout`` seconds in all.

    Args:
        timeout: seconds for the whole request: connecting, sending, waiting and reading the
            body. Each phase gets at most this budget; the body is read chunk by chunk and the
            request fails once the budget is spent (a chunk read that is already waiting ends
            at the read timeout, so a silent server costs at most the budget, a trickling one
            the budget plus one trickle interval).
        max_bytes: the largest body accepted (decompressed), bytes.

    Returns:
        A response whose body is fully read (``.content``, ``.json()``, ``.links`` work).

    Raises:
        DeadlineExceeded: the budget ran out (a subclass of ``httpx.TimeoutException``).
        ResponseTooLarge: the body exceeded ``max_bytes``.
        httpx.HTTPError: connection failures, per-phase timeouts and protocol errors as httpx
            raises them.
    """
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    deadline = time.monotonic() + timeout
    request = client.build_request(
        method,
        url,
        headers=dict(headers or {}),
        params=dict(params) if params is not None else None,
        content=content,
        # Every phase within the budget; a shorter connect timeout of the client is kept.
        timeout=httpx.Timeout(timeout, connect=min(timeout, client.timeout.connect or timeout)),
    )
    response = client.send(request, stream=True, follow_redirects=False)
    try:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise ResponseTooLarge(f"the response body is larger than {max_bytes} bytes")
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise DeadlineExceeded(
                    f"the whole request took longer than {timeout:g} s", request=request
                )
    finally:
        response.close()
    if time.monotonic() > deadline:
        raise DeadlineExceeded(f"the whole request took longer than {timeout:g} s", request=request)
    # The body is already decoded: a copy without the transfer headers keeps httpx from
    # decoding it twice.
    kept = [
        (k, v)
        for k, v in response.headers.multi_items()
        if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=kept,
        content=b"".join(chunks),
        request=request,
        extensions={"http_version": response.extensions.get("http_version", b"HTTP/1.1")},
    )


def host(url: str | httpx.URL) -> str:
    """``host`` or ``host:port`` of ``url``, without user info (which may hold a secret).

    >>> host("https://user:secret@ghe.example.com:8443/api/v3/repos/a/b/releases")
    'ghe.example.com:8443'
    >>> host("https://api.github.com/repos/a/b/releases")
    'api.github.com'
    """
    parsed = httpx.URL(url)
    name = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{name}:{parsed.port}" if parsed.port is not None else name


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, the default port made explicit (RFC 6454 origin).

    Credentials go only to their configured origin: a ``Link`` or redirect that leaves it is
    never sent them.

    >>> origin("https://api.github.com/repos/a/b") == origin("https://API.github.com:443/x")
    True
    >>> origin("https://api.github.com/x") == origin("https://evil.example/x")
    False
    >>> origin("https://api.github.com/x") == origin("http://api.github.com/x")
    False
    """
    parsed = httpx.URL(url)
    port = parsed.port or {"https": 443, "http": 80}.get(parsed.scheme)
    return parsed.scheme, parsed.host.lower(), port


_CONNECT_REASONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("refused",), "connection refused"),
    (
        (
            "name or service not known",
            "nodename nor servname",
            "name resolution",
            "getaddrinfo",
            "no address associated",
            "no such host",
        ),
        "host name could not be resolved (DNS)",
    ),
    (("network is unreachable",), "network unreachable"),
    (("no route to host",), "no route to host"),
    (("certificate", "ssl", "tls"), "TLS handshake failed (certificate or proxy?)"),
    (("timed out",), "connection timed out"),
)


def connect_failure_reason(exc: Exception) -> str:
    """A short plain reason for a failed connection (httpx ``ConnectError``/``ProxyError``).

    Classified from the OS / TLS error text so messages stay short and never echo URLs.

    >>> connect_failure_reason(httpx.ConnectError("[Errno 111] Connection refused"))
    'connection refused'
    >>> connect_failure_reason(httpx.ConnectError("[Errno -2] Name or service not known"))
    'host name could not be resolved (DNS)'
    >>> connect_failure_reason(httpx.ConnectError("boom"))
    'connection failed (ConnectError)'
    """
    text = str(exc).lower()
    if isinstance(exc, httpx.ProxyError):
        return "the proxy refused or failed the connection (check HTTPS_PROXY)"
    for needles, reason in _CONNECT_REASONS:
        if any(needle in text for needle in needles):
            return reason
    return f"connection failed ({type(exc).__name__})"
