"""GitHub releases over httpx: paged, conditional, rate-limit aware, retried.

REST endpoints used (GitHub docs, "REST API endpoints for releases" / "for repositories"):

- ``GET /repos/{owner}/{repo}/releases?per_page=100`` followed through ``Link: rel="next"``
  ("Using pagination in the REST API");
- ``GET /repos/{owner}/{repo}/tags?per_page=100`` when a repository has no releases;
- ``GET /repositories/{id}`` to learn the new name after a ``301`` (renamed or transferred
  repositories redirect to ``/repositories/{id}/...``, "HTTP redirects");
- conditional requests with ``If-None-Match``: a ``304`` does not count against the primary
  rate limit ("Best practices for using the REST API");
- rate limits ("Rate limits for the REST API"): primary exhausted = ``403``/``429`` with
  ``X-RateLimit-Remaining: 0`` (wait until ``X-RateLimit-Reset``); secondary = ``403``/``429``
  otherwise, honour ``Retry-After`` (else wait at least a minute).

JSON is validated and turned into :class:`~tracker.models.Release` here, once
(renovate's datasource ``schema.ts``): drafts dropped, malformed items counted and reported,
``published_at`` made aware UTC.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Mapping
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
from tracker.models import Release
from tracker.upstream.base import FetchResult, StopCondition

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
ANONYMOUS_WARNING = (
    "no GitHub token: the anonymous rate limit of 60 requests per hour applies "
    "(set GITHUB_TOKEN, or github.token_env, for 5,000 per hour)"
)

_PROJECT_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_PRERELEASE_TAG_RE = re.compile(r"(?i)(?:^|[-.+_\d])(alpha|beta|rc|pre|preview|dev|snapshot)")
_REPOS_PATH_RE = re.compile(r"/repos/([^/]+/[^/?#]+)")
_REPOSITORIES_PATH_RE = re.compile(r"/repositories/(\d+)")


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
    """An ``httpx.Client`` suited to the source: timeouts in seconds, a pool of ``concurrency``."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


# --------------------------------------------------------------------------- JSON boundary


def parse_timestamp(value: Any, field_name: str = "published_at") -> datetime | None:
    """Parse a GitHub RFC 3339 timestamp into an aware UTC datetime; None stays None.

    >>> parse_timestamp("2024-03-15T18:53:33Z").isoformat()
    '2024-03-15T18:53:33+00:00'
    >>> parse_timestamp("2026-08-19T07:43:11-05:00").isoformat()
    '2026-08-19T12:43:11+00:00'

    Raises:
        ValueError: not a string, not RFC 3339, without a UTC offset, or out of range once
            converted to UTC (``datetime`` years 1-9999; e.g. ``9999-12-31T23:59:59-05:00``
            raises OverflowError in ``astimezone``); the message names the field.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"field {field_name!r} must be a timestamp string or null")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"field {field_name!r} is not an RFC 3339 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"field {field_name!r} has no UTC offset: {value!r}")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            f"field {field_name!r} is out of range in UTC (years 1-9999): {value!r}"
        ) from None


def parse_release(project: str, item: Any) -> Release | None:
    """Turn one GitHub REST release object into a :class:`Release`; None for a draft.

    Required: ``tag_name`` (non-empty string). Optional: ``draft``/``prerelease`` (booleans,
    default false), ``published_at`` (RFC 3339 or null), ``name`` (string or null),
    ``html_url`` (string or null; the kubernetes sample lacks it).

    Raises:
        ValueError: a one-line reason naming the bad field.
    """
    if not isinstance(item, Mapping):
        raise ValueError(f"expected a release object, got {type(item).__name__}")
    for flag in ("draft", "prerelease"):
        if flag in item and not isinstance(item[flag], bool):
            raise ValueError(f"field {flag!r} must be true or false")
    if item.get("draft", False):
        return None
    tag = item.get("tag_name")
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError("field 'tag_name' must be a non-empty string")
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise ValueError("field 'name' must be a string or null")
    url = item.get("html_url")
    if url is not None and not isinstance(url, str):
        raise ValueError("field 'html_url' must be a string or null")
    return Release(
        project=project,
        tag=tag,
        published_at=parse_timestamp(item.get("published_at")),
        prerelease=bool(item.get("prerelease", False)),
        url=url,
        name=name or "",
    )


def parse_tag_item(project: str, item: Any) -> Release:
    """Turn one ``/tags`` item into a :class:`Release` without a date.

    ``prerelease`` is inferred from the name (``alpha``, ``beta``, ``rc``, ``pre``, ``dev``,
    ``snapshot``), since tags carry no flag.

    >>> parse_tag_item("a/b", {"name": "v1.2.0-rc.1"}).prerelease
    True

    Raises:
        ValueError: the item has no non-empty string ``name``.
    """
    if not isinstance(item, Mapping):
        raise ValueError(f"expected a tag object, got {type(item).__name__}")
    tag = item.get("name")
    if not isinstance(tag, str) or not tag.strip():
        raise ValueError("field 'name' must be a non-empty string")
    return Release(
        project=project,
        tag=tag,
        published_at=None,
        prerelease=bool(_PRERELEASE_TAG_RE.search(tag)),
        url=f"https://github.com/{project}/tree/{tag}",
        name=tag,
    )


# --------------------------------------------------------------------------- HTTP


class _Transient(Exception):
    """A failure worth retrying (5xx, timeout, connection error, secondary rate limit)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class _Unreachable(_Transient):
    """No connection could be established to ``host`` (retried ``connect_attempts`` times)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"cannot connect to {host}: {reason}")
        self.host = host
        self.reason = reason


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


def _host(url: str) -> str:
    """``host`` or ``host:port`` of ``url``, without user info (which may hold a secret).

    >>> _host("https://user:secret@ghe.example.com:8443/api/v3/repos/a/b/releases")
    'ghe.example.com:8443'
    >>> _host("https://api.github.com/repos/a/b/releases")
    'api.github.com'
    """
    parsed = httpx.URL(url)
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{host}:{parsed.port}" if parsed.port is not None else host


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """``(scheme, host, port)`` of ``url``, the default port made explicit (RFC 6454 origin).

    Credentials go only to the configured API origin: a ``Link`` or redirect that leaves it
    is never sent the token.

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


@dataclass
class _Run:
    """Mutable bookkeeping of one fetch (requests made, last rate-limit headers)."""

    project: str
    requests: int = 0
    remaining: int | None = None
    reset: datetime | None = None
    malformed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    drafts: int = 0

    def note(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        reset = response.headers.get("x-ratelimit-reset")
        if remaining is not None and remaining.strip().isdigit():
            self.remaining = int(remaining)
        if reset is not None and reset.strip().isdigit():
            self.reset = datetime.fromtimestamp(int(reset), tz=UTC)


def _split_etag(etag: str | None) -> tuple[str | None, str | None]:
    """Stored validator -> (releases ETag, tags ETag). A space never occurs inside an ETag."""
    if not etag:
        return None, None
    releases, _, tags = etag.partition(" ")
    return releases or None, tags or None


class GitHubReleaseSource:
    """A :class:`~tracker.upstream.base.ReleaseSource` over the GitHub REST API.

    Args:
        client: an ``httpx.Client`` (timeouts and pool are the caller's; see
            :func:`default_client`). Thread-safe: one source may serve many threads.
        api_url: ``https://api.github.com``, or ``https://HOST/api/v3`` for GitHub Enterprise.
        token: a GitHub token sent as ``Authorization: Bearer``; None for anonymous access.
            It never appears in errors, logs or ``repr``.
        per_page: page size (GitHub's maximum is 100).
        max_attempts: attempts per request for 5xx, timeouts and secondary limits (>= 1).
        connect_attempts: attempts per request when no connection can be established
            (refused, DNS, no route, TLS, connect timeout), at most ``max_attempts``; then
            :class:`~tracker.upstream.base.UpstreamUnreachableError` is raised (default 2: one
            short retry, since every other project would fail the same way).
        backoff_initial: first backoff in seconds; doubles per attempt, plus up to 1 s jitter.
        backoff_max: cap of one backoff, seconds.
        max_retry_after: the longest ``Retry-After`` (seconds) honoured by waiting; a longer
            one fails the project for this run.
        sleep: the sleep function (seconds); tests inject a recorder.
        user_agent: the ``User-Agent`` header (GitHub rejects requests without one).
    """

    def __init__(
        self,
        client: httpx.Client,
        api_url: str = DEFAULT_API_URL,
        token: str | None = None,
        *,
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
        self._api_url = api_url.rstrip("/")
        self._origin = origin(self._api_url)
        self._token = token or None
        self._per_page = per_page
        self._max_attempts = max_attempts
        self._connect_attempts = min(connect_attempts, max_attempts)
        self._backoff = wait_exponential_jitter(initial=backoff_initial, max=backoff_max)
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._user_agent = user_agent

    def __repr__(self) -> str:
        auth = "token" if self._token else "anonymous"
        return f"GitHubReleaseSource(api_url={self._api_url!r}, auth={auth})"

    @property
    def warnings(self) -> tuple[str, ...]:
        """``(ANONYMOUS_WARNING,)`` without a token, else empty: the caller prints it once."""
        return () if self._token else (ANONYMOUS_WARNING,)

    # ----------------------------------------------------------------- public

    def fetch(
        self,
        project: str,
        *,
        etag: str | None = None,
        stop: StopCondition | None = None,
        max_pages: int | None = None,
    ) -> FetchResult:
        """Fetch ``project``'s releases, newest first (see ``ReleaseSource.fetch``).

        A repository with no releases falls back to ``/tags`` (then ``from_tags=True``, dates
        None); its validator combines both ETags, so a warm fetch costs two free requests.

        Raises:
            RateLimitError: the primary rate limit is exhausted.
            UpstreamUnreachableError: no connection to the API host could be established
                after ``connect_attempts``.
            UpstreamError: unknown project name, 404, 401/403, non-JSON answers, or 5xx /
                timeouts still failing after ``max_attempts``.
        """
        if not _PROJECT_RE.match(project):
            raise UpstreamError(
                f"project {project!r} is not a GitHub owner/repo name",
                "write it as owner/repo, e.g. istio/istio",
            )
        if max_pages is not None and max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        run = _Run(project)
        releases_etag, tags_etag = _split_etag(etag)
        repo = project
        renamed_to: str | None = None

        response = self._get(run, self._url(repo, "releases"), etag=releases_etag)
        if response.status_code in (301, 302, 307, 308):
            renamed_to = self._resolve_rename(run, response)
            repo = renamed_to
            response = self._get(run, self._url(repo, "releases"), etag=releases_etag)
        self._check_status(run, response)

        if response.status_code == 304 and not tags_etag:
            return self._result(run, etag=etag, not_modified=True, renamed_to=renamed_to)
        if response.status_code == 304 or not self._json_list(run, response):
            # No releases (still none, or none on the first look): list the tags instead.
            new_releases_etag = response.headers.get("etag") or releases_etag
            tags = self._get(run, self._url(repo, "tags"), etag=tags_etag)
            self._check_status(run, tags)
            combined = f"{new_releases_etag or ''} {tags.headers.get('etag') or tags_etag or ''}"
            if tags.status_code == 304:
                return self._result(run, etag=combined, not_modified=True, renamed_to=renamed_to)
            items, pages, complete = self._pages(run, tags, stop, max_pages, tags=True)
            return self._result(
                run,
                etag=combined.strip() or None,
                releases=items,
                pages=pages,
                complete=complete,
                renamed_to=renamed_to,
                from_tags=True,
            )
        items, pages, complete = self._pages(run, response, stop, max_pages, tags=False)
        return self._result(
            run,
            etag=response.headers.get("etag"),
            releases=items,
            pages=pages,
            complete=complete,
            renamed_to=renamed_to,
        )

    # ----------------------------------------------------------------- paging

    def _pages(
        self,
        run: _Run,
        first: httpx.Response,
        stop: StopCondition | None,
        max_pages: int | None,
        *,
        tags: bool,
    ) -> tuple[list[Release], int, bool]:
        """Read pages from ``first`` on; returns (releases, pages read, reached the end)."""
        collected: list[Release] = []
        response = first
        pages = 0
        while True:
            pages += 1
            page = self._parse_page(run, response, pages, tags=tags)
            collected.extend(page)
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return collected, pages, True
            if origin(next_url) != self._origin:
                # Never follow a Link off the API origin: it would carry the token there.
                run.warnings.append(
                    f"page {pages} links to another host ({_host(next_url)}); "
                    "not followed, the listing stops here"
                )
                return collected, pages, False
            if (stop is not None and stop(page)) or (max_pages is not None and pages >= max_pages):
                return collected, pages, False
            response = self._get(run, next_url, params=False)
            self._check_status(run, response)
            if response.status_code != 200:
                raise UpstreamError(
                    f"{run.project}: unexpected HTTP {response.status_code} on page {pages + 1}",
                    "run the sync again later",
                )

    def _parse_page(
        self, run: _Run, response: httpx.Response, page: int, *, tags: bool
    ) -> list[Release]:
        out: list[Release] = []
        for index, item in enumerate(self._json_list(run, response)):
            try:
                release = (
                    parse_tag_item(run.project, item) if tags else parse_release(run.project, item)
                )
            except ValueError as exc:
                run.malformed.append(f"page {page} item {index}: {exc}")
                continue
            if release is None:
                run.drafts += 1
            else:
                out.append(release)
        return out

    def _json_list(self, run: _Run, response: httpx.Response) -> list[Any]:
        try:
            body = response.json()
        except ValueError:
            raise UpstreamError(
                f"{run.project}: GitHub answered {response.url.path} with non-JSON content",
                "check github.api_url (GitHub Enterprise: https://HOST/api/v3)",
            ) from None
        if not isinstance(body, list):
            raise UpstreamError(
                f"{run.project}: expected a JSON array from {response.url.path}, "
                f"got {type(body).__name__}",
                "check github.api_url (GitHub Enterprise: https://HOST/api/v3)",
            )
        return body

    # ----------------------------------------------------------------- requests

    def _url(self, repo: str, what: str) -> str:
        return f"{self._api_url}/repos/{repo}/{what}"

    def _headers(self, url: str, etag: str | None) -> dict[str, str]:
        """Request headers; ``Authorization`` only when ``url`` is on the API origin."""
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": self._user_agent,
        }
        if self._token and origin(url) == self._origin:
            headers["Authorization"] = f"Bearer {self._token}"
        if etag:
            headers["If-None-Match"] = etag
        return headers

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Transient) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff(state))

    def _stop(self, state: RetryCallState) -> bool:
        """Stop after ``max_attempts``, or ``connect_attempts`` when the host is unreachable."""
        if state.attempt_number >= self._max_attempts:
            return True
        exc = state.outcome.exception() if state.outcome else None
        return isinstance(exc, _Unreachable) and state.attempt_number >= self._connect_attempts

    def _get(
        self, run: _Run, url: str, *, etag: str | None = None, params: bool = True
    ) -> httpx.Response:
        """One GET with retries; returns any response that is not a failure to retry.

        Raises:
            RateLimitError: primary limit exhausted.
            UpstreamError: still failing after ``max_attempts``, or a too long Retry-After.
        """
        query = {"per_page": str(self._per_page)} if params else None
        headers = self._headers(url, etag)
        retrying = Retrying(
            stop=self._stop,
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(run, url, query, headers)
        except _Unreachable as exc:
            raise UpstreamUnreachableError(exc.host, exc.reason) from None
        except _Transient as exc:
            raise UpstreamError(
                f"{run.project}: {exc} (after {self._max_attempts} attempts)",
                "GitHub may be having trouble; the next sync retries",
            ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(
        self, run: _Run, url: str, query: dict[str, str] | None, headers: dict[str, str]
    ) -> httpx.Response:
        run.requests += 1
        path = httpx.URL(url).path
        try:
            response = self._client.get(url, params=query, headers=headers, follow_redirects=False)
        except httpx.ConnectTimeout:
            raise _Unreachable(_host(url), "connection timed out") from None
        except (httpx.ConnectError, httpx.ProxyError) as exc:
            raise _Unreachable(_host(url), connect_failure_reason(exc)) from None
        except httpx.TimeoutException:
            raise _Transient(f"GET {path} timed out") from None
        except httpx.TransportError as exc:
            raise _Transient(f"GET {path} failed: {type(exc).__name__}") from None
        run.note(response)
        status = response.status_code
        if status >= 500:
            raise _Transient(f"GET {path} answered HTTP {status}")
        if status in (403, 429):
            self._rate_limited(run, response, path)
        return response

    def _rate_limited(self, run: _Run, response: httpx.Response, path: str) -> None:
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
            return  # a plain 403: _check_status reports it
        retry_after = float(retry_after_header) if retry_after_header.isdigit() else 60.0
        if retry_after > self._max_retry_after:
            raise UpstreamError(
                f"{run.project}: GitHub secondary rate limit asks to wait {retry_after:.0f} s",
                "run the sync again later, or lower sync.concurrency",
            )
        raise _Transient(f"GET {path} hit a secondary rate limit (HTTP {status})", retry_after)

    def _check_status(self, run: _Run, response: httpx.Response) -> None:
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

    def _resolve_rename(self, run: _Run, response: httpx.Response) -> str:
        """The new ``owner/repo`` of a redirected repository (one extra request by id)."""
        location = response.headers.get("location", "")
        by_name = _REPOS_PATH_RE.search(location)
        if by_name:
            return by_name.group(1)
        by_id = _REPOSITORIES_PATH_RE.search(location)
        if not by_id:
            raise UpstreamError(
                f"{run.project}: GitHub redirected (HTTP {response.status_code}) "
                "without a usable Location",
                "check the project name",
            )
        repo = self._get(run, f"{self._api_url}/repositories/{by_id.group(1)}", params=False)
        self._check_status(run, repo)
        try:
            full_name = repo.json().get("full_name")
        except (ValueError, AttributeError):
            full_name = None
        if not isinstance(full_name, str) or not _PROJECT_RE.match(full_name):
            raise UpstreamError(
                f"{run.project}: renamed on GitHub, but the new name could not be read",
                "update the project name in the catalogue by hand",
            )
        return full_name

    def _result(
        self,
        run: _Run,
        *,
        etag: str | None,
        releases: list[Release] | None = None,
        not_modified: bool = False,
        pages: int = 0,
        complete: bool = False,
        renamed_to: str | None = None,
        from_tags: bool = False,
    ) -> FetchResult:
        return FetchResult(
            project=run.project,
            releases=tuple(releases or ()),
            etag=etag,
            not_modified=not_modified,
            requests=run.requests,
            pages=pages,
            complete=complete,
            renamed_to=renamed_to,
            from_tags=from_tags,
            drafts=run.drafts,
            malformed=tuple(run.malformed),
            warnings=tuple(run.warnings),
            rate_limit_remaining=run.remaining,
            rate_limit_reset=run.reset,
        )
