"""GitHub releases as an :class:`~tracker.upstream.base.UpstreamSource` of releases.

REST endpoints used (GitHub docs, "REST API endpoints for releases" / "for repositories"):

- ``GET /repos/{owner}/{repo}/releases?per_page=100`` followed through ``Link: rel="next"``;
- ``GET /repos/{owner}/{repo}/tags?per_page=100`` when a repository has no releases;
- ``GET /repositories/{id}`` to learn the new name after a ``301`` (renamed or transferred
  repositories redirect to ``/repositories/{id}/...``, "HTTP redirects").

The validator this source hands out (opaque to everyone else) is ``RELEASES_ETAG``, or
``RELEASES_ETAG TAGS_ETAG`` for a repository listed through its tags, plus a third part
``resume:releases:URL`` / ``resume:tags:URL`` when the rate limit cut a listing short: the next
fetch then reads on from that page instead of buying the pages already stored again. A space
never occurs inside an ETag or a (normalized) URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tracker import __version__
from tracker.errors import UpstreamError
from tracker.http import origin
from tracker.models import Release
from tracker.upstream.base import DataKind, FetchResult, StopCondition
from tracker.upstream.forge import REDIRECTS, PageParser, Run
from tracker.upstream.forge_releases import ForgeReleases
from tracker.upstream.github.client import ANONYMOUS_WARNING, DEFAULT_API_URL, GitHubClient
from tracker.upstream.github.schema import (
    PROJECT_RE,
    parse_full_name,
    parse_release,
    parse_tag_item,
)

_RESUME = "resume:"


def split_validator(validator: str | None) -> tuple[str | None, str | None, tuple[str, str] | None]:
    """This source's validator -> (releases ETag, tags ETag, (listing, URL) to resume at).

    >>> split_validator('W/"a" W/"b" resume:tags:https://api.github.com/x?page=3')
    ('W/"a"', 'W/"b"', ('tags', 'https://api.github.com/x?page=3'))
    >>> split_validator('W/"a"')
    ('W/"a"', None, None)
    """
    if not validator:
        return None, None, None
    parts = validator.split(" ", 2)
    releases = parts[0] or None
    tags = parts[1] or None if len(parts) > 1 else None
    resume: tuple[str, str] | None = None
    if len(parts) > 2 and parts[2].startswith(_RESUME):
        listing, _, url = parts[2][len(_RESUME) :].partition(":")
        if listing in ("releases", "tags") and url:
            resume = (listing, url)
    return releases, tags, resume


def join_validator(
    releases: str | None, tags: str | None, resume: tuple[str, str] | None = None
) -> str | None:
    """The inverse of :func:`split_validator`; None when there is nothing to remember.

    >>> join_validator('W/"a"', None)
    'W/"a"'
    >>> join_validator(None, None, ("releases", "https://h/x"))
    '  resume:releases:https://h/x'
    """
    if resume is not None:
        return f"{releases or ''} {tags or ''} {_RESUME}{resume[0]}:{resume[1]}"
    if tags:
        return f"{releases or ''} {tags}"
    return releases


class GitHubReleaseSource(ForgeReleases):
    """Releases of a GitHub repository (``owner/repo``), newest first.

    Args:
        client: an ``httpx.Client`` (see :func:`tracker.upstream.github.client.default_client`).
        api_url: ``https://api.github.com``, or ``https://HOST/api/v3`` for GitHub Enterprise.
        token: a GitHub token, sent to the API origin only; None for anonymous access.
        timeout: seconds one request may take in all; None: ``client``'s read timeout.
        Other keywords: see :class:`~tracker.upstream.github.client.GitHubClient`.
    """

    client: GitHubClient

    name = "github"
    kind = DataKind.RELEASES

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
        self.client = GitHubClient(
            client,
            api_url,
            token,
            timeout=timeout,
            per_page=per_page,
            max_attempts=max_attempts,
            connect_attempts=connect_attempts,
            backoff_initial=backoff_initial,
            backoff_max=backoff_max,
            max_retry_after=max_retry_after,
            sleep=sleep,
            user_agent=user_agent,
        )

    def __repr__(self) -> str:
        auth = "token" if self.client.authenticated else "anonymous"
        return f"GitHubReleaseSource(api_url={self.client.api_url!r}, auth={auth})"

    @property
    def warnings(self) -> tuple[str, ...]:
        """``(ANONYMOUS_WARNING,)`` without a token, else empty: the caller prints it once."""
        return () if self.client.authenticated else (ANONYMOUS_WARNING,)

    def fetch(
        self,
        project: str,
        *,
        validator: str | None = None,
        conditional: bool = True,
        stop: StopCondition | None = None,
        max_pages: int | None = None,
    ) -> FetchResult:
        """Fetch ``project``'s releases, newest first (see ``UpstreamSource.fetch``).

        A repository with no releases is listed through its tags (``from_tags=True``, dates
        None); its validator combines both ETags, so a warm fetch costs two free requests.
        With ``conditional=False`` no ETag is sent (a not-modified answer would hide what the
        caller misses), but a resume point in ``validator`` is still used.

        Raises:
            RateLimitError: the primary rate limit is exhausted before any page was read.
            UpstreamUnreachableError: no connection to the API host.
            UpstreamError: unknown project name, 404, 401/403, unusable answers, a redirect to
                another host, or 5xx / timeouts still failing after ``max_attempts``;
                ``requests`` counts the attempts made.
        """
        if not PROJECT_RE.match(project):
            raise UpstreamError(
                f"project {project!r} is not a GitHub owner/repo name",
                "write it as owner/repo, e.g. istio/istio",
            )
        if max_pages is not None and max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        run = Run(project)
        releases_etag, tags_etag, resume = split_validator(validator)
        if not conditional:
            releases_etag = tags_etag = None
        try:
            if resume is not None:
                resumed = self._resume(run, releases_etag, tags_etag, resume, stop, max_pages)
                if resumed is not None:
                    return resumed
                releases_etag = tags_etag = None  # the rest is missing: not "not modified"
            return self._fetch(run, releases_etag, tags_etag, stop, max_pages)
        except UpstreamError as exc:
            exc.requests = run.requests
            raise

    # ----------------------------------------------------------------- listings

    def _fetch(
        self,
        run: Run,
        releases_etag: str | None,
        tags_etag: str | None,
        stop: StopCondition | None,
        max_pages: int | None,
    ) -> FetchResult:
        client = self.client
        repo = run.project
        renamed_to: str | None = None
        response = client.get(run, client.url(repo, "releases"), etag=releases_etag)
        if response.status_code in REDIRECTS:
            renamed_to = self._resolve_rename(run, response)
            repo = renamed_to
            response = client.get(run, client.url(repo, "releases"), etag=releases_etag)
        client.check_status(run, response)

        if response.status_code == 304 and not tags_etag:
            return self._result(run, releases_etag, not_modified=True, renamed_to=renamed_to)
        items = [] if response.status_code == 304 else client.json_list(run, response)
        if not items:
            # No releases (still none, or none on the first look): list the tags instead.
            new_releases_etag = response.headers.get("etag") or releases_etag
            tags = client.get(run, client.url(repo, "tags"), etag=tags_etag)
            client.check_status(run, tags)
            new_tags_etag = tags.headers.get("etag") or tags_etag
            if tags.status_code == 304:
                return self._result(
                    run,
                    join_validator(new_releases_etag, new_tags_etag),
                    not_modified=True,
                    renamed_to=renamed_to,
                )
            listing = client.pages(run, tags, self._parser(tags=True), stop, max_pages)
            return self._result(
                run,
                join_validator(new_releases_etag, new_tags_etag, self._resume_at(run, "tags")),
                listing=listing,
                renamed_to=renamed_to,
                from_tags=True,
            )
        listing = client.pages(
            run, response, self._parser(tags=False), stop, max_pages, first_items=items
        )
        return self._result(
            run,
            join_validator(response.headers.get("etag"), None, self._resume_at(run, "releases")),
            listing=listing,
            renamed_to=renamed_to,
        )

    def _validator(
        self, releases: str | None, tags: str | None, resume: tuple[str, str] | None
    ) -> str | None:
        return join_validator(releases, tags, resume)

    def _parser(self, *, tags: bool) -> PageParser:
        def parse(run: Run, items: list[Any], page: int) -> list[Release]:
            out: list[Release] = []
            for index, item in enumerate(items):
                try:
                    release = (
                        parse_tag_item(run.project, item)
                        if tags
                        else parse_release(run.project, item)
                    )
                except ValueError as exc:
                    run.malformed.append(f"page {page} item {index}: {exc}")
                    continue
                if release is None:
                    run.drafts += 1
                else:
                    out.append(release)
            return out

        return parse

    def _resolve_rename(self, run: Run, response: httpx.Response) -> str:
        """The new ``owner/repo`` of a redirected repository (one extra request by id).

        A redirect to another host is never followed (it would carry the token there).
        """
        client = self.client
        location = str(response.url.join(response.headers.get("location", "")))
        if origin(location) != client.origin:
            raise UpstreamError(
                f"{run.project}: GitHub redirected (HTTP {response.status_code}) to another "
                f"host ({httpx.URL(location).host}); not followed",
                "check github.api_url",
            )
        path = httpx.URL(location).path
        prefix = httpx.URL(client.api_url).path.rstrip("/")
        rest = path[len(prefix) :] if path.startswith(prefix) else path
        parts = rest.strip("/").split("/")
        if len(parts) >= 3 and parts[0] == "repos" and PROJECT_RE.match(f"{parts[1]}/{parts[2]}"):
            return f"{parts[1]}/{parts[2]}"
        if len(parts) >= 2 and parts[0] == "repositories" and parts[1].isdigit():
            repo = client.get(run, f"{client.api_url}/repositories/{parts[1]}")
            client.check_status(run, repo)
            full_name = parse_full_name(repo.content)
            if full_name is None:
                raise UpstreamError(
                    f"{run.project}: renamed on GitHub, but the new name could not be read",
                    "update the project name in the catalogue by hand",
                )
            return full_name
        raise UpstreamError(
            f"{run.project}: GitHub redirected (HTTP {response.status_code}) "
            "without a usable Location",
            "check the project name",
        )
