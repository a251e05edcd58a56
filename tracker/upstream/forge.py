"""The HTTP client layer every forge source shares (a code host whose REST API lists a
project's releases and tags): one request with retries, where the token goes, rate limits,
redirects, ETags and pages.

What this module owns (:class:`ForgeClient`); a source's subclass names only what is its own
(its auth header, fixed headers, API base URL, rate-limit headers and rules, the words and
settings its messages name, how its next page is named):

- where credentials go: the source's auth header is added only to a request on the configured
  API origin (scheme, host and port, RFC 6454 §4); a request to any other origin is refused
  before it is sent, and a ``Link`` or redirect elsewhere is never followed (one warning, or
  an error on a listing's first page), so the token never reaches another host;
- one GET with retries (tenacity): 5xx, timeouts and transport failures (:class:`Transient`)
  with exponential backoff plus up to 1 s jitter, at most ``max_attempts``; no connection at
  all (:class:`Unreachable`) at most ``connect_attempts`` times;
- rate limits: the remaining/reset headers of every answer are noted in the :class:`Run`; a
  ``429`` (RFC 6585 §4) waits ``Retry-After`` seconds (RFC 9110 §10.2.3; else until the noted
  reset, else 60 s) and is retried, or ends the fetch with
  :class:`~tracker.errors.RateLimitError` when that is longer than ``max_retry_after``;
- conditional requests: a known ETag is sent as ``If-None-Match`` (RFC 9110 §13.1.2) and a
  ``304`` is accepted as an answer;
- redirects: followed on the API origin only, at most :data:`MAX_REDIRECTS` in a row, the
  final answer's status checked (:meth:`ForgeClient.check_status`);
- pages: read from the first on through ``Link: rel="next"`` (RFC 8288; a source may add its
  own rule) until the last, a stop condition, ``max_pages``, :data:`MAX_PAGES`, a link off the
  origin or back to a page read in this fetch, or the rate limit (the pages read are kept and
  ``run.resume_url`` says where to resume).

Every request is bounded in time and size as a whole (:func:`tracker.http.send`), bodies are
parsed with depth and integer limits (:func:`tracker.http.parse_json`), and every error is one
line naming the project.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, NoReturn

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential_jitter

from tracker import __version__
from tracker.errors import RateLimitError, UpstreamError, UpstreamUnreachableError
from tracker.http import ResponseTooLarge, connect_failure_reason, host, origin, parse_json, send
from tracker.models import Release
from tracker.upstream.base import StopCondition

__all__ = [
    "MAX_PAGES",
    "MAX_REDIRECTS",
    "REDIRECTS",
    "ForgeClient",
    "Listing",
    "PageParser",
    "Run",
    "Transient",
    "Unreachable",
    "page_key",
    "retry_after",
]

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
"""Redirects followed in a row for one page; one more ends the listing (or the fetch)."""
MAX_PAGES = 1000
"""A listing never reads more pages than this in one fetch (100,000 items at 100 a page): a
server inventing a new page URL on every answer cannot keep a sync busy forever."""


class Transient(Exception):
    """A failure worth retrying (5xx, timeout, connection error, a short rate-limit wait);
    ``retry_after``: seconds the server asked to wait, if it said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unreachable(Transient):
    """No connection could be established to ``host`` (retried ``connect_attempts`` times)."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"cannot connect to {where}: {reason}")
        self.host = where
        self.reason = reason


@dataclass(frozen=True)
class Listing:
    """Items read from a paged listing: ``complete`` when its last page was read."""

    items: tuple[Release, ...]
    pages: int
    complete: bool


def page_key(url: str | httpx.URL) -> tuple[tuple[str, str, int | None], str, tuple[Any, ...]]:
    """A URL as compared for "already read": origin, path and sorted query parameters.

    >>> page_key("https://h.test/x?b=2&a=1") == page_key("https://h.test/x?a=1&b=2")
    True
    """
    parsed = httpx.URL(url)
    return origin(parsed), parsed.path, tuple(sorted(parsed.params.multi_items()))


@dataclass
class Run:
    """Bookkeeping of one fetch of one project (one thread).

    Attributes:
        requests: request attempts made (retries included).
        remaining / reset: the last rate-limit headers seen (requests left; when it resets).
        malformed / warnings: one line each, for the sync summary.
        drafts: items the source drops as not (yet) released.
        interrupted: why the listing stopped early (the rate limit ran out while paging).
        resume_url: the page to read next when ``interrupted``.
        rate_limited: the rate limit ran out during this fetch.
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


def retry_after(response: httpx.Response, default: float) -> float:
    """The wait ``response`` asks for: ``Retry-After`` in seconds (RFC 9110 §10.2.3), else
    ``default``; an HTTP-date is not read (``default`` applies).

    >>> retry_after(httpx.Response(429, headers={"Retry-After": " 7 "}), 60.0)
    7.0
    """
    header = response.headers.get("retry-after", "").strip()
    return float(header) if header.isdigit() else default


PageParser = Callable[[Run, list[Any], int], list[Release]]
"""``(run, the page's JSON array, page number) -> its releases`` (bad items noted in ``run``)."""


class ForgeClient:
    """Requests to one forge's REST API: headers, retries, rate limits, redirects, paging.

    Subclasses set the class attributes below; nothing else is required of them.

    Args:
        client: an ``httpx.Client`` (pool and per-phase timeouts are the caller's).
            Thread-safe: one client may serve many threads.
        api_url: the API base URL (None: :attr:`default_api_url`); its origin is the only
            one that gets the token.
        token: sent in :attr:`auth_header` to the API origin only; None: anonymous. Never in
            errors, logs or ``repr``.
        timeout: seconds one request may take *in all*; None: the read timeout of ``client``
            (30 s when it has none).
        per_page: page size (1 to 100).
        max_attempts: attempts per request for 5xx, timeouts and short rate-limit waits (>= 1).
        connect_attempts: attempts when no connection can be established (refused, DNS, no
            route, TLS, connect timeout), at most ``max_attempts``; then
            :class:`~tracker.errors.UpstreamUnreachableError`.
        backoff_initial / backoff_max: exponential backoff in seconds (plus up to 1 s jitter).
        max_retry_after: the longest rate-limit wait (seconds) honoured by waiting.
        sleep: the sleep function (seconds); tests inject a recorder.
        user_agent: the ``User-Agent`` header; None: :attr:`user_agent`.

    Raises:
        ValueError: ``per_page``, ``max_attempts`` or ``connect_attempts`` out of range.
    """

    forge: ClassVar[str]
    """The forge's name in messages (``"GitLab"``)."""
    default_api_url: ClassVar[str]
    """The public instance's API base URL."""
    setting: ClassVar[str]
    """The setting that names the API URL, in hints (``"gitlab.api_url"``)."""
    environment: ClassVar[str]
    """The environment variable that overrides it (``"TRACKER_GITLAB_API_URL"``)."""
    project_word: ClassVar[str] = "project"
    """What a project is called on the forge, in the 404 message."""
    not_found_hint: ClassVar[str]
    refused_hint: ClassVar[str]
    """Hints for a 404 and for a 401/403."""
    json_hint: ClassVar[str]
    """The hint when an answer is not a JSON array."""
    limit_hint: ClassVar[str]
    """The hint when the rate limit asks to wait too long."""
    auth_header: ClassVar[str]
    auth_prefix: ClassVar[str] = ""
    """The token is sent as ``{auth_header}: {auth_prefix}{token}``."""
    fixed_headers: ClassVar[Mapping[str, str]] = {"Accept": "application/json"}
    """Headers of every request (``User-Agent`` is added)."""
    user_agent: ClassVar[str] = f"tracker/{__version__}"
    rate_limit_headers: ClassVar[tuple[str, str]] = ("ratelimit-remaining", "ratelimit-reset")
    """The (requests left, reset as POSIX seconds) headers noted in the :class:`Run`."""

    def __init__(
        self,
        client: httpx.Client,
        api_url: str | None = None,
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
        user_agent: str | None = None,
    ) -> None:
        if not 1 <= per_page <= 100:
            raise ValueError("per_page must be between 1 and 100")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if connect_attempts < 1:
            raise ValueError("connect_attempts must be at least 1")
        self._client = client
        self.api_url = (self.default_api_url if api_url is None else api_url).rstrip("/")
        self.origin = origin(self.api_url)
        self._token = token or None
        self._timeout = timeout if timeout is not None else (client.timeout.read or 30.0)
        self.per_page = per_page
        self.max_attempts = max_attempts
        self._connect_attempts = min(connect_attempts, max_attempts)
        self._backoff = wait_exponential_jitter(initial=backoff_initial, max=backoff_max)
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._user_agent = user_agent or self.user_agent

    @property
    def authenticated(self) -> bool:
        """True when a token is configured."""
        return self._token is not None

    def headers(self, url: str | httpx.URL, etag: str | None) -> dict[str, str]:
        """Request headers; the auth header only when ``url`` is on the API origin."""
        headers = {**self.fixed_headers, "User-Agent": self._user_agent}
        if self._token and origin(url) == self.origin:
            headers[self.auth_header] = f"{self.auth_prefix}{self._token}"
        if etag:
            headers["If-None-Match"] = etag
        return headers

    # ----------------------------------------------------------------- one request

    def get(self, run: Run, url: str, *, etag: str | None = None) -> httpx.Response:
        """One GET of ``url`` (on the API origin) with retries; returns any response that is
        not a failure to retry. Redirects are returned, not followed (see :meth:`open`,
        :meth:`follow`).

        Raises:
            RateLimitError: the rate limit is exhausted, or asks to wait too long.
            UpstreamUnreachableError: no connection after ``connect_attempts``.
            UpstreamError: ``url`` is on another origin (a guard: callers check first and
                warn), still failing after ``max_attempts``, or a body larger than
                :data:`tracker.http.DEFAULT_MAX_BYTES`.
        """
        if origin(url) != self.origin:
            raise UpstreamError(
                f"{run.project}: refusing a request to another host ({host(url)})",
                f"check {self.setting}",
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
                api=f"{self.forge} API",
                setting=f"{self.setting} / {self.environment}",
            ) from None
        except Transient as exc:
            raise UpstreamError(
                f"{run.project}: {exc} (after {run.requests} attempts)",
                f"{self.forge} may be having trouble; the next sync retries",
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
                f"{run.project}: GET {path}: {exc}", f"check {self.setting}"
            ) from None
        except httpx.TransportError as exc:
            raise Transient(f"GET {path} failed: {type(exc).__name__}") from None
        self._note(run, response)
        if response.status_code >= 500:
            raise Transient(f"GET {path} answered HTTP {response.status_code}")
        self.check_limit(run, response, path)
        return response

    def _note(self, run: Run, response: httpx.Response) -> None:
        """Remember the rate-limit headers (:attr:`rate_limit_headers`) of ``response``."""
        remaining_header, reset_header = self.rate_limit_headers
        remaining = response.headers.get(remaining_header, "").strip()
        reset = response.headers.get(reset_header, "").strip()
        if remaining.isdigit():
            run.remaining = int(remaining)
        if reset.isdigit():
            with contextlib.suppress(OverflowError, OSError, ValueError):  # absurd: ignored
                run.reset = datetime.fromtimestamp(int(reset), tz=UTC)

    def check_limit(self, run: Run, response: httpx.Response, path: str) -> None:
        """Raise when ``response`` says the rate limit was hit; return for any other answer.

        A ``429`` waits ``Retry-After`` seconds, else until the noted reset (at least 1 s),
        else 60 s. Sources with other rules override this.

        Raises:
            Transient: a wait up to ``max_retry_after`` (retried after it).
            RateLimitError: a longer wait.
        """
        if response.status_code != 429:
            return
        until_reset = (run.reset - datetime.now(UTC)).total_seconds() if run.reset else None
        wait = retry_after(response, 60.0 if until_reset is None else max(1.0, until_reset))
        when = run.reset.strftime("%Y-%m-%d %H:%M UTC") if run.reset else f"in {wait:.0f} s"
        self.wait_or_give_up(
            wait,
            f"GET {path} was rate limited (HTTP 429)",
            RateLimitError(
                f"{self.forge} rate limit reached (HTTP 429 on {path}); it resets {when}",
                self.limit_hint,
                reset_at=run.reset.timestamp() if run.reset else time.time() + wait,
            ),
        )

    def wait_or_give_up(self, wait: float, message: str, give_up: UpstreamError) -> NoReturn:
        """A rate-limit wait of ``wait`` seconds: retried after it (:class:`Transient` with
        ``message``), or ``give_up`` raised when it is longer than ``max_retry_after``."""
        if wait > self._max_retry_after:
            raise give_up
        raise Transient(message, wait)

    def check_status(self, run: Run, response: httpx.Response) -> None:
        """Accept 200 and 304; anything else is a one-line :class:`UpstreamError`."""
        status = response.status_code
        if status in (200, 304):
            return
        if status == 404:
            raise UpstreamError(
                f"{run.project}: {self.project_word} not found on {self.forge} (HTTP 404)",
                self.not_found_hint,
            )
        if status in (401, 403):
            raise UpstreamError(
                f"{run.project}: {self.forge} refused access (HTTP {status})", self.refused_hint
            )
        raise UpstreamError(
            f"{run.project}: unexpected HTTP {status} from {response.url.path}",
            f"check {self.setting}",
        )

    def json_list(self, run: Run, response: httpx.Response) -> list[Any]:
        """The response body as a JSON array.

        Raises:
            UpstreamError: not JSON (also: nested deeper than 1024, an integer beyond 64 bits,
                not UTF-8), or not an array; one line naming the project.
        """
        try:
            body = parse_json(response.content)
        except ValueError as exc:
            reason = str(exc).removeprefix("not valid JSON: ")[:100]
            raise UpstreamError(
                f"{run.project}: {self.forge} answered {response.url.path} with non-JSON "
                f"content ({reason})",
                self.json_hint,
            ) from None
        if not isinstance(body, list):
            raise UpstreamError(
                f"{run.project}: expected a JSON array from {response.url.path}, "
                f"got {type(body).__name__}",
                self.json_hint,
            )
        return body

    # ----------------------------------------------------------------- redirects and pages

    def open(self, run: Run, url: str, *, etag: str | None = None) -> httpx.Response:
        """GET the first page of a listing, following same-origin redirects.

        Raises:
            UpstreamError: a redirect to another host (not followed: it would carry the
                token), too many redirects, or any status but 200/304 (see ``check_status``).
        """
        for _ in range(MAX_REDIRECTS + 1):
            response = self.get(run, url, etag=etag)
            if response.status_code not in REDIRECTS:
                self.check_status(run, response)
                return response
            url = str(response.url.join(response.headers.get("location", "")))
            if origin(url) != self.origin:
                raise UpstreamError(
                    f"{run.project}: {self.forge} redirected (HTTP {response.status_code}) to "
                    f"another host ({host(url)}); not followed",
                    f"check {self.setting}",
                )
        raise UpstreamError(f"{run.project}: too many redirects", f"check {self.setting}")

    def follow(self, run: Run, url: str, seen: set[Any], after: int) -> httpx.Response | None:
        """GET the page linked from page ``after``, following same-origin redirects; the page
        keys read are added to ``seen``.

        None (with one warning in ``run``) when the link or a redirect leaves the API origin,
        points at a page read before in this fetch, redirects too often, or the rate limit
        runs out (then ``run.interrupted`` and ``run.resume_url`` say where to resume).

        Raises:
            UpstreamError: the page answered anything but 200 (see ``check_status``), after
                retries.
        """
        what = f"page {after} links"
        for _ in range(MAX_REDIRECTS + 1):
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
                response = self.get(run, url)
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

    def next_url(self, response: httpx.Response, items: list[Any]) -> str | None:
        """The page after ``response`` (whose JSON array is ``items``): ``Link: rel="next"``
        resolved against its URL; None on the last page."""
        link = response.links.get("next", {}).get("url")
        return str(response.url.join(link)) if link else None

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
        """Read pages from ``first`` on (``first_items``: its JSON array, when already read)
        through :meth:`next_url`.

        Ends at the last page (``complete``), when ``stop`` says so, at ``max_pages``, at
        :data:`MAX_PAGES`, at a link off the API origin or to a page read before in this fetch
        (one warning each), or when the rate limit runs out (``run.interrupted``). Pages read
        are always returned.

        Raises:
            UpstreamError: a later page answered an error (after retries), or a body that is
                not a JSON array.
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
            following = self.next_url(response, items)
            if following is None:
                return Listing(tuple(collected), count, True)
            if (stop is not None and stop(page)) or (max_pages is not None and count >= max_pages):
                return Listing(tuple(collected), count, False)
            if count >= MAX_PAGES:
                run.warnings.append(f"stopped after {MAX_PAGES} pages; the listing stops here")
                return Listing(tuple(collected), count, False)
            answer = self.follow(run, following, seen, count)
            if answer is None:
                return Listing(tuple(collected), count, False)
            response = answer
            items = self.json_list(run, response)
