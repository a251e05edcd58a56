"""GitLab releases as an :class:`~tracker.upstream.base.UpstreamSource` of releases.

REST API v4 endpoints used (``:id`` is the URL-encoded full path, ``gitlab-org%2Fgitaly``):

- ``GET /projects/:id/releases?per_page=100&order_by=released_at&sort=desc``
  (https://docs.gitlab.com/api/releases/, "List releases"), newest first;
- ``GET /projects/:id/repository/tags?per_page=100&order_by=updated&sort=desc``
  (https://docs.gitlab.com/api/tags/, "List project repository tags") when a project publishes
  tags but no releases (gitlab-exporter; Gitaly's old 1.x line), newest first.

The validator this source hands out (opaque to everyone else) is ``RELEASES_ETAG``, or
``RELEASES_ETAG TAGS_ETAG`` for a project listed through its tags (``-`` for an ETag GitLab did
not send), plus ``resume:releases:URL`` / ``resume:tags:URL`` when the rate limit cut a
listing short. A space never occurs inside an ETag or a normalized URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tracker.errors import UpstreamError
from tracker.models import Release
from tracker.upstream.base import DataKind, FetchResult, StopCondition
from tracker.upstream.forge import PageParser, Run
from tracker.upstream.forge_releases import ForgeReleases
from tracker.upstream.gitlab.client import DEFAULT_API_URL, GitLabClient
from tracker.upstream.gitlab.schema import PROJECT_RE, parse_release, parse_tag, project_id

_RESUME = "resume:"
_NONE = "-"
_TAGS_NO_ETAG = "*"  # read through its tags, which came without an ETag: ask for them again


def split_validator(validator: str | None) -> tuple[str | None, str | None, tuple[str, str] | None]:
    """This source's validator -> (releases ETag, tags ETag, (listing, URL) to resume at).

    >>> split_validator('W/"a" - resume:tags:https://gitlab.com/api/v4/x?page=3')
    ('W/"a"', None, ('tags', 'https://gitlab.com/api/v4/x?page=3'))
    >>> split_validator(None)
    (None, None, None)
    """
    if not validator:
        return None, None, None
    parts = validator.split(" ", 2)
    releases = parts[0] if parts[0] not in ("", _NONE) else None
    tags = parts[1] if len(parts) > 1 and parts[1] not in ("", _NONE) else None
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

    >>> join_validator('W/"a"', None), join_validator(None, 'W/"b"')
    ('W/"a"', '- W/"b"')
    """
    first, second = releases or _NONE, tags or _NONE
    if resume is not None:
        return f"{first} {second} {_RESUME}{resume[0]}:{resume[1]}"
    if tags:
        return f"{first} {second}"
    return releases


class GitLabReleaseSource(ForgeReleases):
    """Releases of a GitLab project (full path ``group/subgroup/project``), newest first.

    Args:
        client: an ``httpx.Client``.
        api_url: ``https://gitlab.com/api/v4`` or a self-managed ``https://HOST/api/v4``.
        token: a personal access token (``read_api``), sent as ``PRIVATE-TOKEN`` to the API
            origin only; None for anonymous access (public projects need none).
        Other keywords: see :class:`~tracker.upstream.gitlab.client.GitLabClient`.
    """

    client: GitLabClient

    name = "gitlab"
    kind = DataKind.RELEASES
    warnings: tuple[str, ...] = ()

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
        max_retry_after: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = GitLabClient(
            client,
            api_url,
            token,
            timeout=timeout,
            per_page=per_page,
            max_attempts=max_attempts,
            connect_attempts=connect_attempts,
            max_retry_after=max_retry_after,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        auth = "token" if self.client.authenticated else "anonymous"
        return f"GitLabReleaseSource(api_url={self.client.api_url!r}, auth={auth})"

    def _url(self, project: str, listing: str) -> str:
        base = f"{self.client.api_url}/projects/{project_id(project)}"
        order = "released_at" if listing == "releases" else "updated"
        path = "releases" if listing == "releases" else "repository/tags"
        return f"{base}/{path}?per_page={self.client.per_page}&order_by={order}&sort=desc"

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

        A project with no releases is listed through its tags (``from_tags=True``, no dates).
        Upcoming releases (``upcoming_release``) are dropped and counted in ``drafts``.

        Raises:
            RateLimitError: throttled for longer than ``max_retry_after`` before any page.
            UpstreamUnreachableError: no connection to the API host.
            UpstreamError: not a project path, 404, 401/403, unusable answers, a redirect to
                another host, or 5xx / timeouts still failing after ``max_attempts``;
                ``requests`` counts the attempts made.
        """
        if not PROJECT_RE.match(project):
            raise UpstreamError(
                f"project {project[:200]!r} is not a GitLab project path",
                "write it as group/project or group/subgroup/project, e.g. gitlab-org/gitaly",
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

    def _fetch(
        self,
        run: Run,
        releases_etag: str | None,
        tags_etag: str | None,
        stop: StopCondition | None,
        max_pages: int | None,
    ) -> FetchResult:
        client = self.client
        response = client.open(run, self._url(run.project, "releases"), etag=releases_etag)
        if response.status_code == 304 and not tags_etag:
            return self._result(run, releases_etag, not_modified=True)
        items = [] if response.status_code == 304 else client.json_list(run, response)
        if not items:  # no releases (still none, or none on the first look): the tags
            new_releases_etag = response.headers.get("etag") or releases_etag
            known = None if tags_etag == _TAGS_NO_ETAG else tags_etag
            tags = client.open(run, self._url(run.project, "tags"), etag=known)
            # a project read through its tags stays marked so, with or without an ETag, so
            # that the releases' own 304 never hides a new tag
            new_tags_etag = tags.headers.get("etag") or known or _TAGS_NO_ETAG
            if tags.status_code == 304:
                return self._result(
                    run, join_validator(new_releases_etag, new_tags_etag), not_modified=True
                )
            listing = client.pages(run, tags, self._parser(tags=True), stop, max_pages)
            resume = self._resume_at(run, "tags")
            return self._result(
                run,
                join_validator(new_releases_etag, new_tags_etag, resume),
                listing=listing,
                from_tags=True,
            )
        listing = client.pages(
            run, response, self._parser(tags=False), stop, max_pages, first_items=items
        )
        resume = self._resume_at(run, "releases")
        return self._result(
            run, join_validator(response.headers.get("etag"), None, resume), listing=listing
        )

    def _validator(
        self, releases: str | None, tags: str | None, resume: tuple[str, str] | None
    ) -> str | None:
        return join_validator(releases, tags, resume)

    def _parser(self, *, tags: bool) -> PageParser:
        web_url = self.client.web_url

        def parse(run: Run, items: list[Any], page: int) -> list[Release]:
            out: list[Release] = []
            for index, item in enumerate(items):
                try:
                    release = (
                        parse_tag(run.project, item, web_url)
                        if tags
                        else parse_release(run.project, item, web_url)
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
