"""The GitHub REST client: requests, retries, rate limits, paging and where credentials go.

GitHub docs followed:

- pagination through ``Link: rel="next"`` ("Using pagination in the REST API");
- conditional requests with ``If-None-Match``: a ``304`` does not count against the primary
  rate limit ("Best practices for using the REST API");
- rate limits ("Rate limits for the REST API"): primary exhausted = ``403``/``429`` with
  ``X-RateLimit-Remaining: 0`` (wait until ``X-RateLimit-Reset``); secondary = ``403``/``429``
  otherwise, honour ``Retry-After`` (else wait at least a minute).

Hostile answers (issue 13): the token goes only to the configured API origin (a ``Link`` or a
redirect elsewhere is not followed, one warning); no page URL is requested twice in one fetch
(a ``Link`` loop or a self-link ends the listing, one warning, pages read kept); every request
is bounded in time as a whole (:func:`tracker.http.send`); bodies are parsed with depth and
integer limits; a rate limit hit while paging keeps the pages read and says where to resume.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    wait_exponential_jitter,
)

from tracker import __version__
from tracker.errors import RateLimitError, UpstreamError, UpstreamUnreachableError
from tracker.http import (
    ResponseTooLarge,
    connect_failure_reason,
    host,
    origin,
    parse_json,
    send,
)
from tracker.models import Release
from tracker.upstream.base import StopCondition
from tracker.upstream.paging import Listing, Transient, Unreachable, page_key

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
ANONYMOUS_WARNING = (
    "no GitHub token: the anonymous rate limit of 60 requests per hour applies "
    "(set GITHUB_TOKEN, or github.token_env, for 5,000 per hour)"
)
REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 5
MAX_PAGES = 1000
"""A listing never reads more pages than this in one fetch (100,000 releases at 100 a page):
a server inventing a new page URL on every answer cannot keep a sync busy forever."""


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


@dataclass
class Run:
    """Mutable bookkeeping of one fetch of one project (one thread).

    Attributes:
        requests: request attempts made (retries included).
        remaining / reset: the last rate-limit headers seen.
        interrupted: why the listing stopped early (the rate limit ran out while paging).
        resume_url: the page to read next when ``interrupted``.
    """

    project: str
    requests: int = 0
    remaining: int | None = None
    reset: datetime | None = None
    malformed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    drafts: int = 0
    interrupted: str | None = None
    resume_url: str | None = None
    rate_limited: bool = False

    def note(self, response: httpx.Response) -> None:
        """Remember the rate-limit headers of ``response``."""
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.strip().isdigit():
            self.remaining = int(remaining)
        if reset is not None and reset.strip().isdigit():
            with contextlib.suppress(OverflowError, OSError, ValueError):  # absurd: ignored
                self.reset = datetime.fromtimestamp(int(reset), tz=UTC)


PageParser = Callable[[Run, httpx.Response, int], list[Release]]
"""``(run, response, page number) -> the page's releases`` (malformed items noted in ``run``)."""


class GitHubClient:
    """Requests to one GitHub REST API: headers, retries, rate limits, paging.

    Args:
        client: an ``httpx.Client`` (pool and per-phase timeouts are the caller's; see
            :func:`default_client`). Thread-safe: one client may serve many threads.
        api_url: ``https://api.github.com``, or ``https://HOST/api/v3`` for GitHub Enterprise.
        token: sent as ``Authorization: Bearer`` to the API origin only; None: anonymous.
            Never in errors, logs or ``repr``.
        timeout: seconds one request may take *in all* (``sync.timeout_seconds``); None: the
            read timeout of ``client`` (30 s when it has none).
        per_page: page size (GitHub's maximum is 100).
        max_attempts: attempts per request for 5xx, timeouts and secondary limits (>= 1).
        connect_attempts: attempts when no connection can be established (refused, DNS, no
            route, TLS, connect timeout), at most ``max_attempts``; then
            :class:`~tracker.errors.UpstreamUnreachableError`.
        backoff_initial / backoff_max: exponential backoff in seconds (plus up to 1 s jitter).
        max_retry_after: the longest ``Retry-After`` (seconds) honoured by waiting.
        sleep: the sleep function (seconds); tests inject a recorder.
        user_agent: the ``User-Agent`` header (GitHub rejects requests without one).
    """

    def __init__(
        self,
        client: httpx.Client,
        api_url: str = DEFAULT_API_URL,
        token: str | None = None,
        *,
        timeout: float | None = None,
        per_page: int = 100,
        max_attempts: int = 4,
        connect_attempts: int = 2,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        max_retry_after: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = f"tracker/{__version__} (+https://github.com/tracker)",
    ) -> None:
        if not 1 <= per_page <= 100:
            raise ValueError("per_page must be between 1 and 100")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if connect_attempts < 1:
            raise ValueError("connect_attempts must be at least 1")
        self._client = client
        self.api_url = api_url.rstrip("/")
        self.origin = origin(self.api_url)
        self._token = token or None
        self._timeout = timeout if timeout is not None else (client.timeout.read or 30.0)
        self.per_page = per_page
        self.max_attempts = max_attempts
        self._connect_attempts = min(connect_attempts, max_attempts)
        self._backoff = wait_exponential_jitter(initial=backoff_initial, max=backoff_max)
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._user_agent = user_agent

    @property
    def authenticated(self) -> bool:
        """True when a token is configured."""
        return self._token is not None

    def url(self, repo: str, what: str) -> str:
        """``{api_url}/repos/{repo}/{what}``."""
        return f"{self.api_url}/repos/{repo}/{what}"

    def headers(self, url: str | httpx.URL, etag: str | None) -> dict[str, str]:
        """Request headers; ``Authorization`` only when ``url`` is on the API origin."""
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": self._user_agent,
        }
        if self._token and origin(url) == self.origin:
            headers["Authorization"] = f"Bearer {self._token}"
        if etag:
            headers["If-None-Match"] = etag
        return headers

    # ----------------------------------------------------------------- one request

    def get(
        self, run: Run, url: str, *, etag: str | None = None, params: bool = True
    ) -> httpx.Response:
        """One GET with retries; returns any response that is not a failure to retry.

        Redirects are returned, not followed (see :meth:`follow`).

        Raises:
            RateLimitError: primary limit exhausted.
            UpstreamUnreachableError: no connection after ``connect_attempts``.
            UpstreamError: still failing after ``max_attempts``, a too long Retry-After, or a
                body larger than :data:`tracker.http.DEFAULT_MAX_BYTES`.
        """
        if origin(url) != self.origin:  # a guard: callers check first and warn
            raise UpstreamError(
                f"{run.project}: refusing a request to another host ({host(url)})",
                "check github.api_url",
            )
        query = {"per_page": str(self.per_page)} if params else None
        headers = self.headers(url, etag)
        retrying = Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(Transient),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(run, url, query, headers)
        except Unreachable as exc:
            raise UpstreamUnreachableError(exc.host, exc.reason) from None
        except Transient as exc:
            raise UpstreamError(
                f"{run.project}: {exc} (after {run.requests} attempts)",
                "GitHub may be having trouble; the next sync retries",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Transient) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    def _stop(self, state: RetryCallState) -> bool:
        """Stop after ``max_attempts``, or ``connect_attempts`` when the host is unreachable."""
        if state.attempt_number >= self.max_attempts:
            return True
        exc = state.outcome.exception() if state.outcome else None
        return isinstance(exc, Unreachable) and state.attempt_number >= self._connect_attempts

    def _get_once(
        self, run: Run, url: str, query: dict[str, str] | None, headers: dict[str, str]
    ) -> httpx.Response:
        run.requests += 1
        path = httpx.URL(url).path
        try:
            response = send(
                self._client, "GET", url, timeout=self._timeout, headers=headers, params=query
            )
        except httpx.ConnectTimeout:
            raise Unreachable(host(url), "connection timed out") from None
        except (httpx.ConnectError, httpx.ProxyError) as exc:
            raise Unreachable(host(url), connect_failure_reason(exc)) from None
        except httpx.TimeoutException:
            raise Transient(f"GET {path} timed out after {self._timeout:g} s") from None
        except ResponseTooLarge as exc:
            raise UpstreamError(
                f"{run.project}: GET {path}: {exc}", "check github.api_url"
            ) from None
        except httpx.TransportError as exc:
            raise Transient(f"GET {path} failed: {type(exc).__name__}") from None
        run.note(response)
        status = response.status_code
        if status >= 500:
            raise Transient(f"GET {path} answered HTTP {status}")
        if status in (403, 429):
            self._rate_limited(run, response, path)
        return response

    def _rate_limited(self, run: Run, response: httpx.Response, path: str) -> None:
        """Classify a 403/429: primary limit, secondary limit, or (403) plain forbidden."""
        status = response.status_code
        if response.headers.get("x-ratelimit-remaining", "").strip() == "0":
            when = run.reset.strftime("%Y-%m-%d %H:%M UTC") if run.reset else "an unknown time"
            raise RateLimitError(
                f"GitHub rate limit exhausted (HTTP {status} on {path}); it resets at {when}",
                "set GITHUB_TOKEN for 5,000 requests per hour, or run the sync after the reset",
                reset_at=run.reset.timestamp() if run.reset else None,
            )
        retry_after_header = response.headers.get("retry-after", "").strip()
        secondary = (
            status == 429 or bool(retry_after_header) or "rate limit" in response.text.lower()
        )
        if not secondary:
            return  # a plain 403: check_status reports it
        retry_after = float(retry_after_header) if retry_after_header.isdigit() else 60.0
        if retry_after > self._max_retry_after:
            raise UpstreamError(
                f"{run.project}: GitHub secondary rate limit asks to wait {retry_after:.0f} s",
                "run the sync again later, or lower sync.concurrency",
            )
        raise Transient(f"GET {path} hit a secondary rate limit (HTTP {status})", retry_after)

    def check_status(self, run: Run, response: httpx.Response) -> None:
        """Accept 200 and 304; anything else is a one-line :class:`UpstreamError`."""
        status = response.status_code
        if status in (200, 304):
            return
        if status == 404:
            raise UpstreamError(
                f"{run.project}: repository not found on GitHub (HTTP 404)",
                "check the project name; private repositories need a token with access",
            )
        if status in (401, 403):
            raise UpstreamError(
                f"{run.project}: GitHub refused access (HTTP {status})",
                "check that the token is valid and can read this repository",
            )
        raise UpstreamError(
            f"{run.project}: unexpected HTTP {status} from {response.url.path}",
            "check github.api_url",
        )

    def json_list(self, run: Run, response: httpx.Response) -> list[Any]:
        """The response body as a JSON array.

        Raises:
            UpstreamError: not JSON (also: nested deeper than 1024, an integer beyond 64 bits,
                not UTF-8), or not an array; one line naming the project.
        """
        hint = "check github.api_url (GitHub Enterprise: https://HOST/api/v3)"
        try:
            body = parse_json(response.content)
        except ValueError as exc:
            reason = str(exc).removeprefix("not valid JSON: ")[:100]
            raise UpstreamError(
                f"{run.project}: GitHub answered {response.url.path} with non-JSON content "
                f"({reason})",
                hint,
            ) from None
        if not isinstance(body, list):
            raise UpstreamError(
                f"{run.project}: expected a JSON array from {response.url.path}, "
                f"got {type(body).__name__}",
                hint,
            )
        return body

    # ----------------------------------------------------------------- paging

    def follow(self, run: Run, url: str, seen: set[Any], after: int) -> httpx.Response | None:
        """GET the page linked from page ``after``, following same-origin redirects.

        None (with one warning in ``run``) when the link or a redirect leaves the API origin,
        points at a page read before in this fetch, or the rate limit runs out (then
        ``run.interrupted`` and ``run.resume_url`` say where to resume).

        Raises:
            UpstreamError: the page answered an error (after retries).
        """
        what = f"page {after} links"
        for _ in range(_MAX_REDIRECTS + 1):
            if origin(url) != self.origin:
                run.warnings.append(
                    f"{what} to another host ({host(url)}); not followed, the listing stops here"
                )
                return None
            key = page_key(url)
            if key in seen:
                run.warnings.append(f"{what} to a page already read; the listing stops here")
                return None
            seen.add(key)
            try:
                response = self.get(run, url, params=False)
            except RateLimitError:
                run.rate_limited = True
                run.resume_url = url
                run.interrupted = (
                    f"the rate limit ran out after page {after}; the next sync resumes there"
                )
                return None
            if response.status_code not in REDIRECTS:
                self.check_status(run, response)
                if response.status_code != 200:
                    raise UpstreamError(
                        f"{run.project}: unexpected HTTP {response.status_code} "
                        f"on page {after + 1}",
                        "run the sync again later",
                    )
                return response
            url = str(response.url.join(response.headers.get("location", "")))
            what = f"page {after + 1} redirects"
        run.warnings.append(f"{what} too many times; the listing stops here")
        return None

    def pages(
        self,
        run: Run,
        first: httpx.Response,
        parse: PageParser,
        stop: StopCondition | None,
        max_pages: int | None,
        *,
        start_page: int = 1,
    ) -> Listing:
        """Read pages from ``first`` on through ``Link: rel="next"``.

        Ends at the last page (``complete``), when ``stop`` says so, at ``max_pages``, at a
        link off the API origin or to a page read before in this fetch (one warning each), or
        when the rate limit runs out (``run.interrupted``). Pages read are always returned.

        Raises:
            UpstreamError: a later page answered an error (after retries).
        """
        collected: list[Release] = []
        response = first
        seen: set[Any] = {page_key(first.url)}
        count = 0
        while True:
            count += 1
            page = parse(run, response, start_page + count - 1)
            collected.extend(page)
            link = response.links.get("next", {}).get("url")
            if not link:
                return Listing(tuple(collected), count, True)
            if (stop is not None and stop(page)) or (max_pages is not None and count >= max_pages):
                return Listing(tuple(collected), count, False)
            if count >= MAX_PAGES:
                run.warnings.append(f"stopped after {MAX_PAGES} pages; the listing stops here")
                return Listing(tuple(collected), count, False)
            next_url = str(response.url.join(link))
            following = self.follow(run, next_url, seen, start_page + count - 1)
            if following is None:
                return Listing(tuple(collected), count, False)
            response = following
