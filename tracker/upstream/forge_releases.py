"""What each forge's release source shares above the forge client: reading on from a stored
resume point, and turning a run into a :class:`~tracker.upstream.base.FetchResult`.

Each source keeps its own URLs, page parsers, project-name rule and validator format
(``join_validator``); this base only needs them as :meth:`ForgeReleases._parser` and
:meth:`ForgeReleases._validator`.
"""

from __future__ import annotations

import httpx

from tracker.http import origin
from tracker.upstream.base import DataKind, FetchResult, StopCondition
from tracker.upstream.forge import ForgeClient, Listing, PageParser, Run

__all__ = ["ForgeReleases"]


class ForgeReleases:
    """Base of a forge's release source: ``client`` is its :class:`ForgeClient`."""

    client: ForgeClient

    def _parser(self, *, tags: bool) -> PageParser:
        """The page parser of the releases listing, or of the tags listing."""
        raise NotImplementedError

    def _validator(
        self, releases: str | None, tags: str | None, resume: tuple[str, str] | None
    ) -> str | None:
        """The source's stored validator for these ETags and resume point."""
        raise NotImplementedError

    def _resume(
        self,
        run: Run,
        releases_etag: str | None,
        tags_etag: str | None,
        resume: tuple[str, str],
        stop: StopCondition | None,
        max_pages: int | None,
    ) -> FetchResult | None:
        """Read on from where a rate limit cut the last listing; None: read from the top
        (the stored point is on another host, or no longer answers 200)."""
        listing_name, url = resume
        client = self.client
        if origin(url) != client.origin:
            run.warnings.append("the stored resume point is on another host; read from the top")
            return None
        response = client.get(run, url)
        if response.status_code != 200:
            run.warnings.append(
                f"the interrupted listing could not be resumed (HTTP {response.status_code}); "
                "read from the top"
            )
            return None
        tags = listing_name == "tags"
        listing = client.pages(run, response, self._parser(tags=tags), stop, max_pages)
        return self._result(
            run,
            self._validator(releases_etag, tags_etag, self._resume_at(run, listing_name)),
            listing=listing,
            from_tags=tags,
        )

    @staticmethod
    def _resume_at(run: Run, listing: str) -> tuple[str, str] | None:
        """``(listing, URL)`` to resume at when the run was cut short, else None."""
        return (listing, str(httpx.URL(run.resume_url))) if run.resume_url else None

    @staticmethod
    def _result(
        run: Run,
        validator: str | None,
        *,
        listing: Listing | None = None,
        not_modified: bool = False,
        renamed_to: str | None = None,
        from_tags: bool = False,
    ) -> FetchResult:
        """The :class:`FetchResult` of ``run``: its releases, counts, warnings and limits."""
        return FetchResult(
            project=run.project,
            kind=DataKind.RELEASES,
            releases=listing.items if listing else (),
            validator=validator,
            not_modified=not_modified,
            complete=listing.complete if listing else False,
            interrupted=run.interrupted,
            requests=run.requests,
            pages=listing.pages if listing else 0,
            renamed_to=renamed_to,
            from_tags=from_tags,
            drafts=run.drafts,
            malformed=tuple(run.malformed),
            warnings=tuple(run.warnings),
            rate_limit_remaining=run.remaining,
            rate_limit_reset=run.reset,
            rate_limited=run.rate_limited,
        )
