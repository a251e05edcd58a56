"""The GitLab REST API v4 client: what GitLab does its own way on top of the shared forge client
(:mod:`tracker.upstream.forge`: requests, retries, 429 waits, redirects, ETags, paging, where
the token goes): the ``PRIVATE-TOKEN`` header, the instance's web address, and ``X-Next-Page``.

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

Hostile answers are met by the shared layer, as for every forge: whole-request deadline and
size bound, bounded JSON, no page read twice in one fetch, at most
:data:`~tracker.upstream.forge.MAX_PAGES` pages, errors one line naming the project.
"""

from __future__ import annotations

from typing import Any

import httpx

from tracker.upstream.forge import ForgeClient

DEFAULT_API_URL = "https://gitlab.com/api/v4"


class GitLabClient(ForgeClient):
    """Requests to one GitLab REST API v4 (see :class:`~tracker.upstream.forge.ForgeClient`
    for the arguments).

    ``api_url`` is ``https://gitlab.com/api/v4``, or ``https://HOST/api/v4`` for a
    self-managed instance; the token goes as ``PRIVATE-TOKEN`` to that origin only;
    ``per_page`` is at most 100 (GitLab's maximum).
    """

    forge = "GitLab"
    default_api_url = DEFAULT_API_URL
    setting = "gitlab.api_url"
    environment = "TRACKER_GITLAB_API_URL"
    not_found_hint = (
        "check the project path (group/subgroup/project); private projects need a token"
    )
    refused_hint = "check that the token is valid and has the read_api scope"
    json_hint = "check gitlab.api_url (it ends in /api/v4)"
    limit_hint = "set GITLAB_TOKEN (gitlab.token_env) for a higher limit, or sync again later"
    auth_header = "PRIVATE-TOKEN"

    @property
    def web_url(self) -> str:
        """The instance's web address: ``api_url`` without its ``/api/v4``."""
        path = httpx.URL(self.api_url).path.rstrip("/")
        return self.api_url[: -len("/api/v4")] if path.endswith("/api/v4") else self.api_url

    def next_url(self, response: httpx.Response, items: list[Any]) -> str | None:
        """The next page: ``Link: rel="next"``, else ``X-Next-Page`` applied to this URL; None
        after an empty page (the tags API sends ``X-Next-Page`` past the end)."""
        if not items:
            return None
        link = super().next_url(response, items)
        if link:
            return link
        page = response.headers.get("x-next-page", "").strip()
        if page.isdigit():
            return str(response.url.copy_set_param("page", page))
        return None
