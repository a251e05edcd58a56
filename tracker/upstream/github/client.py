"""The GitHub REST client: what GitHub does its own way on top of the shared forge client
(:mod:`tracker.upstream.forge`: requests, retries, redirects, ETags, paging, where the token
goes): the ``Authorization: Bearer`` header, GitHub's media type and API version, and its
rate-limit headers and rules.

GitHub docs followed:

- pagination through ``Link: rel="next"`` ("Using pagination in the REST API");
- conditional requests with ``If-None-Match``: a ``304`` does not count against the primary
  rate limit ("Best practices for using the REST API");
- rate limits ("Rate limits for the REST API"): primary exhausted = ``403``/``429`` with
  ``X-RateLimit-Remaining: 0`` (wait until ``X-RateLimit-Reset``); secondary = ``403``/``429``
  otherwise, honour ``Retry-After`` (else wait at least a minute).

Hostile answers (issue 13) are met by the shared layer: the token goes only to the configured
API origin, no page URL is requested twice in one fetch, every request is bounded in time as a
whole, bodies are parsed with depth and integer limits, and a rate limit hit while paging
keeps the pages read and says where to resume.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import ClassVar

import httpx

from tracker import __version__
from tracker.errors import RateLimitError, UpstreamError
from tracker.upstream.forge import ForgeClient, Run, retry_after

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
ANONYMOUS_WARNING = (
    "no GitHub token: the anonymous rate limit of 60 requests per hour applies "
    "(set GITHUB_TOKEN, or github.token_env, for 5,000 per hour)"
)


def token_key(token: str | None) -> str:
    """The key under which sync state (ETags) is stored for a token: ETags differ per token.

    ``"anonymous"`` without a token, else the first 16 hex digits of the token's SHA-256 (the
    token itself is never stored); the same key as ``Settings.token_key()``.

    >>> token_key(None)
    'anonymous'
    >>> len(token_key("ghp_example"))
    16
    """
    if not token:
        return "anonymous"
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def default_client(*, timeout: float = 30.0, concurrency: int = 8) -> httpx.Client:
    """An ``httpx.Client`` suited to the source: ``timeout`` seconds (each request as a whole,
    see :class:`GitHubClient`), a pool of ``concurrency`` connections."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


class GitHubClient(ForgeClient):
    """Requests to one GitHub REST API (see :class:`~tracker.upstream.forge.ForgeClient` for
    the arguments).

    ``api_url`` is ``https://api.github.com``, or ``https://HOST/api/v3`` for GitHub
    Enterprise; the token goes as ``Authorization: Bearer`` to that origin only; ``per_page``
    is at most 100 (GitHub's maximum); ``user_agent`` defaults to one naming tracker (GitHub
    rejects requests without one).
    """

    forge = "GitHub"
    default_api_url = DEFAULT_API_URL
    setting = "github.api_url"
    environment = "TRACKER_GITHUB_API_URL"
    project_word = "repository"
    not_found_hint = "check the project name; private repositories need a token with access"
    refused_hint = "check that the token is valid and can read this repository"
    json_hint = "check github.api_url (GitHub Enterprise: https://HOST/api/v3)"
    limit_hint = "set GITHUB_TOKEN for 5,000 requests per hour, or run the sync after the reset"
    auth_header = "Authorization"
    auth_prefix = "Bearer "
    fixed_headers: ClassVar[Mapping[str, str]] = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
    }
    user_agent = f"tracker/{__version__} (+https://github.com/tracker)"
    rate_limit_headers = ("x-ratelimit-remaining", "x-ratelimit-reset")

    def url(self, repo: str, what: str) -> str:
        """``{api_url}/repos/{repo}/{what}?per_page={per_page}``."""
        return f"{self.api_url}/repos/{repo}/{what}?per_page={self.per_page}"

    def check_limit(self, run: Run, response: httpx.Response, path: str) -> None:
        """Classify a 403/429: primary limit, secondary limit, or (403) plain forbidden.

        Raises:
            RateLimitError: primary limit exhausted (``X-RateLimit-Remaining: 0``).
            Transient: a secondary limit whose wait (``Retry-After``, else 60 s) is at most
                ``max_retry_after`` (retried after it).
            UpstreamError: a secondary limit asking to wait longer.
        """
        status = response.status_code
        if status not in (403, 429):
            return
        if response.headers.get("x-ratelimit-remaining", "").strip() == "0":
            when = run.reset.strftime("%Y-%m-%d %H:%M UTC") if run.reset else "an unknown time"
            raise RateLimitError(
                f"GitHub rate limit exhausted (HTTP {status} on {path}); it resets at {when}",
                self.limit_hint,
                reset_at=run.reset.timestamp() if run.reset else None,
            )
        secondary = (
            status == 429
            or bool(response.headers.get("retry-after", "").strip())
            or "rate limit" in response.text.lower()
        )
        if not secondary:
            return  # a plain 403: check_status reports it
        wait = retry_after(response, 60.0)
        self.wait_or_give_up(
            wait,
            f"GET {path} hit a secondary rate limit (HTTP {status})",
            UpstreamError(
                f"{run.project}: GitHub secondary rate limit asks to wait {wait:.0f} s",
                "run the sync again later, or lower sync.concurrency",
            ),
        )
