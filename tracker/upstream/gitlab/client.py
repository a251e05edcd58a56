"""The GitLab REST API v4 client: requests, retries, rate limits, paging, where the token goes.

GitLab docs followed:

- pagination (https://docs.gitlab.com/api/rest/#pagination): ``per_page`` at most 100; the
  next page is the ``Link: <...>; rel="next"`` URL (offset and keyset pagination alike), and
  with offset pagination ``X-Next-Page`` names it (empty on the last page; the tags API has
  been seen sending it past the end, gitlab-org/gitlab#471566, so an empty page also ends a
  listing);
- rate limits (https://docs.gitlab.com/user/gitlab_com/rate_limits/ and
  https://docs.gitlab.com/administration/settings/user_and_ip_rate_limits/): a throttled
  request gets ``429 Too Many Requests`` with ``Retry-After`` (seconds) and ``RateLimit-Limit``,
  ``RateLimit-Remaining``, ``RateLimit-Reset`` (POSIX seconds); a short wait is honoured, a
  long one ends the fetch with :class:`~tracker.errors.RateLimitError`;
- authentication (https://docs.gitlab.com/api/rest/authentication/): a personal access token
  in the ``PRIVATE-TOKEN`` header, sent only to the configured API origin (a ``Link`` or a
  redirect elsewhere is never followed, one warning);
- conditional requests: when GitLab sends an ``ETag``, the next fetch sends ``If-None-Match``
  and a ``304`` means nothing changed.

Hostile answers are handled as for every source: whole-request deadline and size bound
(:func:`tracker.http.send`), bounded JSON (:func:`tracker.http.parse_json`), no page read twice
in one fetch, at most :data:`MAX_PAGES` pages, errors one line naming the project.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential_jitter

from tracker import __version__
from tracker.errors import RateLimitError, UpstreamError, UpstreamUnreachableError
from tracker.http import ResponseTooLarge, connect_failure_reason, host, origin, parse_json, send
from tracker.models import Release
from tracker.upstream.base import StopCondition
from tracker.upstream.paging import Listing, Transient, Unreachable, page_key

DEFAULT_API_URL = "https://gitlab.com/api/v4"
REDIRECTS = (301, 302, 303, 307, 308)
MAX_PAGES = 1000
"""A listing never reads more pages than this in one fetch (100,000 items at 100 a page)."""
_MAX_REDIRECTS = 5


@dataclass
class Run:
    """Bookkeeping of one fetch of one project (one thread): attempts, the last rate-limit
    headers, malformed items, warnings, upcoming releases dropped, and where an interrupted
    listing resumes."""

    project: str
    requests: int = 0
    remaining: int | None = None
    reset: datetime | None = None
    malformed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    upcoming: int = 0
    interrupted: str | None = None
    resume_url: str | None = None
    rate_limited: bool = False

    def note(self, response: httpx.Response) -> None:
        """Remember ``RateLimit-Remaining`` / ``RateLimit-Reset`` of ``response``."""
        remaining = response.headers.get("ratelimit-remaining", "").strip()
        reset = response.headers.get("ratelimit-reset", "").strip()
        if remaining.isdigit():
            self.remaining = int(remaining)
        if reset.isdigit():
            with contextlib.suppress(OverflowError, OSError, ValueError):
                self.reset = datetime.fromtimestamp(int(reset), tz=UTC)


PageParser = Callable[[Run, list[Any], int], list[Release]]
"""``(run, the page's JSON array, page number) -> its releases`` (bad items noted in ``run``)."""


class GitLabClient:
    """Requests to one GitLab REST API v4.

    Args:
        client: an ``httpx.Client`` (thread-safe; one may serve many threads).
        api_url: ``https://gitlab.com/api/v4``, or ``https://HOST/api/v4`` for a self-managed
            instance.
        token: sent as ``PRIVATE-TOKEN`` to the API origin only; None: anonymous. Never in
            errors, logs or ``repr``.
        timeout: seconds one request may take *in all*; None: ``client``'s read timeout.
        per_page: page size (GitLab's maximum is 100).
        max_attempts: attempts per request for 5xx, timeouts and short 429s (>= 1).
        connect_attempts: attempts when no connection can be made, at most ``max_attempts``.
        max_retry_after: the longest wait (seconds) a 429 is honoured with; longer: stop.
        sleep: the sleep function (seconds); tests inject a recorder.
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
    ) -> None:
        if not 1 <= per_page <= 100:
            raise ValueError("per_page must be between 1 and 100")
        if max_attempts < 1 or connect_attempts < 1:
            raise ValueError("max_attempts and connect_attempts must be at least 1")
        self._client = client
        self.api_url = api_url.rstrip("/")
        self.origin = origin(self.api_url)
        path = httpx.URL(self.api_url).path.rstrip("/")
        self.web_url = self.api_url[: -len("/api/v4")] if path.endswith("/api/v4") else self.api_url
        self._token = token or None
        self._timeout = timeout if timeout is not None else (client.timeout.read or 30.0)
        self.per_page = per_page
        self.max_attempts = max_attempts
        self._connect_attempts = min(connect_attempts, max_attempts)
        self._backoff = wait_exponential_jitter(initial=backoff_initial, max=backoff_max)
        self._max_retry_after = max_retry_after
        self._sleep = sleep

    @property
    def authenticated(self) -> bool:
        """True when a token is configured."""
        return self._token is not None

    def headers(self, url: str | httpx.URL, etag: str | None) -> dict[str, str]:
        """Request headers; ``PRIVATE-TOKEN`` only when ``url`` is on the API origin."""
        headers = {"Accept": "application/json", "User-Agent": f"tracker/{__version__}"}
        if self._token and origin(url) == self.origin:
            headers["PRIVATE-TOKEN"] = self._token
        if etag:
            headers["If-None-Match"] = etag
        return headers

    # ----------------------------------------------------------------- one request

    def get(self, run: Run, url: str, *, etag: str | None = None) -> httpx.Response:
        """One GET of ``url`` (on the API origin) with retries; redirects are returned.

        Raises:
            RateLimitError: throttled (429) with a wait longer than ``max_retry_after``.
            UpstreamUnreachableError: no connection after ``connect_attempts``.
            UpstreamError: still failing after ``max_attempts``, or a body too large.
        """
        if origin(url) != self.origin:  # a guard: callers check first and warn
            raise UpstreamError(
                f"{run.project}: refusing a request to another host ({host(url)})",
                "check gitlab.api_url",
            )
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
                    return self._get_once(run, url, headers)
        except Unreachable as exc:
            raise UpstreamUnreachableError(
                exc.host,
                exc.reason,
                api="GitLab API",
                setting="gitlab.api_url / TRACKER_GITLAB_API_URL",
            ) from None
        except Transient as exc:
            raise UpstreamError(
                f"{run.project}: {exc} (after {run.requests} attempts)",
                "GitLab may be having trouble; the next sync retries",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Transient) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.max_attempts:
            return True
        exc = state.outcome.exception() if state.outcome else None
        return isinstance(exc, Unreachable) and state.attempt_number >= self._connect_attempts

    def _get_once(self, run: Run, url: str, headers: dict[str, str]) -> httpx.Response:
        run.requests += 1
        path = httpx.URL(url).path
        try:
            response = send(self._client, "GET", url, timeout=self._timeout, headers=headers)
        except httpx.ConnectTimeout:
            raise Unreachable(host(url), "connection timed out") from None
        except (httpx.ConnectError, httpx.ProxyError) as exc:
            raise Unreachable(host(url), connect_failure_reason(exc)) from None
        except httpx.TimeoutException:
            raise Transient(f"GET {path} timed out after {self._timeout:g} s") from None
        except ResponseTooLarge as exc:
            raise UpstreamError(
                f"{run.project}: GET {path}: {exc}", "check gitlab.api_url"
            ) from None
        except httpx.TransportError as exc:
            raise Transient(f"GET {path} failed: {type(exc).__name__}") from None
        run.note(response)
        status = response.status_code
        if status >= 500:
            raise Transient(f"GET {path} answered HTTP {status}")
        if status == 429:
            self._throttled(run, response, path)
        return response

    def _throttled(self, run: Run, response: httpx.Response, path: str) -> None:
        """A 429: wait ``Retry-After`` (else until ``RateLimit-Reset``, else 60 s) and retry,
        or, when that is longer than ``max_retry_after``, give up with RateLimitError."""
        header = response.headers.get("retry-after", "").strip()
        if header.isdigit():
            wait = float(header)
        elif run.reset is not None:
            wait = max(1.0, (run.reset - datetime.now(UTC)).total_seconds())
        else:
            wait = 60.0
        if wait > self._max_retry_after:
            when = run.reset.strftime("%Y-%m-%d %H:%M UTC") if run.reset else f"in {wait:.0f} s"
            raise RateLimitError(
                f"GitLab rate limit reached (HTTP 429 on {path}); it resets {when}",
                "set GITLAB_TOKEN (gitlab.token_env) for a higher limit, or sync again later",
                reset_at=run.reset.timestamp() if run.reset else time.time() + wait,
            )
        raise Transient(f"GET {path} was rate limited (HTTP 429)", wait)

    def check_status(self, run: Run, response: httpx.Response) -> None:
        """Accept 200 and 304; anything else is a one-line :class:`UpstreamError`."""
        status = response.status_code
        if status in (200, 304):
            return
        if status == 404:
            raise UpstreamError(
                f"{run.project}: project not found on GitLab (HTTP 404)",
                "check the project path (group/subgroup/project); private projects need a token",
            )
        if status in (401, 403):
            raise UpstreamError(
                f"{run.project}: GitLab refused access (HTTP {status})",
                "check that the token is valid and has the read_api scope",
            )
        raise UpstreamError(
            f"{run.project}: unexpected HTTP {status} from {response.url.path}",
            "check gitlab.api_url",
        )

    def json_list(self, run: Run, response: httpx.Response) -> list[Any]:
        """The response body as a JSON array.

        Raises:
            UpstreamError: not bounded JSON, or not an array (one line naming the project).
        """
        try:
            body = parse_json(response.content)
        except ValueError as exc:
            reason = str(exc).removeprefix("not valid JSON: ")[:100]
            raise UpstreamError(
                f"{run.project}: GitLab answered {response.url.path} with non-JSON content "
                f"({reason})",
                "check gitlab.api_url (it ends in /api/v4)",
            ) from None
        if not isinstance(body, list):
            raise UpstreamError(
                f"{run.project}: expected a JSON array from {response.url.path}, "
                f"got {type(body).__name__}",
                "check gitlab.api_url (it ends in /api/v4)",
            )
        return body

    # ----------------------------------------------------------------- paging

    def open(self, run: Run, url: str, *, etag: str | None = None) -> httpx.Response:
        """GET the first page of a listing, following same-origin redirects.

        Raises:
            UpstreamError: a redirect to another host (not followed: it would carry the
                token), too many redirects, or any status but 200/304 (see ``check_status``).
        """
        for _ in range(_MAX_REDIRECTS + 1):
            response = self.get(run, url, etag=etag)
            if response.status_code not in REDIRECTS:
                self.check_status(run, response)
                return response
            url = str(response.url.join(response.headers.get("location", "")))
            if origin(url) != self.origin:
                raise UpstreamError(
                    f"{run.project}: GitLab redirected (HTTP {response.status_code}) to another "
                    f"host ({host(url)}); not followed",
                    "check gitlab.api_url",
                )
        raise UpstreamError(f"{run.project}: too many redirects", "check gitlab.api_url")

    def next_url(self, response: httpx.Response) -> str | None:
        """The next page: ``Link: rel="next"``, else ``X-Next-Page`` applied to this URL."""
        link = response.links.get("next", {}).get("url")
        if link:
            return str(response.url.join(link))
        page = response.headers.get("x-next-page", "").strip()
        if page.isdigit():
            return str(response.url.copy_set_param("page", page))
        return None

    def _follow(self, run: Run, url: str, seen: set[Any], after: int) -> httpx.Response | None:
        """GET the page after page ``after``; None (one warning, or ``run.interrupted`` when the
        rate limit ran out) when it must not or cannot be read."""
        for _ in range(_MAX_REDIRECTS + 1):
            if origin(url) != self.origin:
                run.warnings.append(
                    f"page {after} links to another host ({host(url)}); not followed, "
                    "the listing stops here"
                )
                return None
            if page_key(url) in seen:
                run.warnings.append(f"page {after} links to a page already read; the listing stops")
                return None
            seen.add(page_key(url))
            try:
                response = self.get(run, url)
            except RateLimitError:
                run.rate_limited = True
                run.resume_url = url
                run.interrupted = (
                    f"the rate limit ran out after page {after}; the next sync resumes"
                )
                return None
            if response.status_code not in REDIRECTS:
                if response.status_code != 200:
                    raise UpstreamError(
                        f"{run.project}: unexpected HTTP {response.status_code} "
                        f"on page {after + 1}",
                        "run the sync again later",
                    )
                return response
            url = str(response.url.join(response.headers.get("location", "")))
        run.warnings.append(f"page {after + 1} redirects too many times; the listing stops here")
        return None

    def pages(
        self,
        run: Run,
        first: httpx.Response,
        parse: PageParser,
        stop: StopCondition | None,
        max_pages: int | None,
        *,
        first_items: list[Any] | None = None,
    ) -> Listing:
        """Read pages from ``first`` on (see :meth:`next_url`) until the last one (complete),
        an empty page (complete), ``stop``, ``max_pages``, :data:`MAX_PAGES`, a link off the
        API origin or back to a page read, or the rate limit (``run.interrupted``).

        Raises:
            UpstreamError: a later page answered an error or a body that is not an array.
        """
        collected: list[Release] = []
        response = first
        items = first_items if first_items is not None else self.json_list(run, first)
        seen: set[Any] = {page_key(first.url)}
        count = 0
        while True:
            count += 1
            page = parse(run, items, count)
            collected.extend(page)
            following = self.next_url(response) if items else None
            if following is None:
                return Listing(tuple(collected), count, True)
            if (stop is not None and stop(page)) or (max_pages is not None and count >= max_pages):
                return Listing(tuple(collected), count, False)
            if count >= MAX_PAGES:
                run.warnings.append(f"stopped after {MAX_PAGES} pages; the listing stops here")
                return Listing(tuple(collected), count, False)
            answer = self._follow(run, following, seen, count)
            if answer is None:
                return Listing(tuple(collected), count, False)
            response = answer
            items = self.json_list(run, response)
