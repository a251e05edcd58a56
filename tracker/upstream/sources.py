"""Catalogue entry -> the upstream source that serves it.

A component catalogue entry names its source (``source = "github"``, the default); this module
builds the sources the catalogue uses and routes each project to its own, so the sync treats
every source alike (:class:`SourceRouter` is itself an
:class:`~tracker.upstream.base.UpstreamSource`) and a new source is one more entry in
:data:`FACTORIES`, not a special case in the sync.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from tracker.errors import UpstreamError
from tracker.models import CatalogueEntry
from tracker.upstream.base import DataKind, FetchResult, StopCondition, UpstreamSource

DEFAULT_SOURCE = "github"

__all__ = [
    "DEFAULT_SOURCE",
    "FACTORIES",
    "SourceOptions",
    "SourceRouter",
    "build_sources",
    "routes",
]


@dataclass(frozen=True)
class SourceOptions:
    """What building a source may need (each factory takes what it uses).

    Attributes:
        client: the shared ``httpx.Client`` (pool sized to ``sync.concurrency``).
        timeout: seconds one request may take in all (``sync.timeout_seconds``).
        github_api_url: ``github.api_url``.
        github_token: the GitHub token, or None (anonymous).
        gitlab_api_url: ``gitlab.api_url``.
        gitlab_token: the GitLab token, or None (anonymous: public projects need none).
    """

    client: httpx.Client
    timeout: float | None = None
    github_api_url: str = "https://api.github.com"
    github_token: str | None = field(default=None, repr=False)
    gitlab_api_url: str = "https://gitlab.com/api/v4"
    gitlab_token: str | None = field(default=None, repr=False)


def _github(options: SourceOptions) -> UpstreamSource:
    from tracker.upstream.github.releases import GitHubReleaseSource

    return GitHubReleaseSource(
        options.client, options.github_api_url, options.github_token, timeout=options.timeout
    )


def _gitlab(options: SourceOptions) -> UpstreamSource:
    from tracker.upstream.gitlab.releases import GitLabReleaseSource

    return GitLabReleaseSource(
        options.client, options.gitlab_api_url, options.gitlab_token, timeout=options.timeout
    )


FACTORIES: dict[str, Callable[[SourceOptions], UpstreamSource]] = {
    "github": _github,
    "gitlab": _gitlab,
}
"""Source name (as a catalogue entry spells it) -> a factory of that release source."""


def routes(catalogue: Mapping[str, CatalogueEntry]) -> dict[str, str]:
    """Project -> the name of the source serving it, for every entry with a project.

    Raises:
        UpstreamError: an entry names an unknown source, or two entries name different
            sources for one project (one line naming the entries).
    """
    out: dict[str, str] = {}
    owner: dict[str, str] = {}
    for entry in catalogue.values():
        if not entry.project:
            continue
        if entry.source not in FACTORIES:
            raise UpstreamError(
                f"component {entry.id}: unknown upstream source {entry.source!r}",
                f"use one of: {', '.join(sorted(FACTORIES))}",
            )
        known = out.get(entry.project)
        if known is not None and known != entry.source:
            raise UpstreamError(
                f"components {owner[entry.project]} and {entry.id} name different sources "
                f"({known}, {entry.source}) for {entry.project}",
                "give both entries the same source",
            )
        out[entry.project] = entry.source
        owner.setdefault(entry.project, entry.id)
    return out


class SourceRouter:
    """An :class:`~tracker.upstream.base.UpstreamSource` that hands each project to the source
    its catalogue entry names (projects not in ``project_sources``: ``default``).

    All routed sources serve one :class:`~tracker.upstream.base.DataKind`.
    """

    name = "catalogue"

    def __init__(
        self,
        sources: Mapping[str, UpstreamSource],
        project_sources: Mapping[str, str],
        default: str = DEFAULT_SOURCE,
    ) -> None:
        kinds = {s.kind for s in sources.values()}
        if len(kinds) > 1:
            raise ValueError("a SourceRouter routes sources of one data kind")
        self._sources = dict(sources)
        self._routes = dict(project_sources)
        self._default = default
        self._kind = kinds.pop() if kinds else DataKind.RELEASES

    @property
    def kind(self) -> DataKind:
        """The data kind every routed source serves."""
        return self._kind

    @property
    def warnings(self) -> tuple[str, ...]:
        """The routed sources' warnings, each once."""
        return tuple(dict.fromkeys(w for s in self._sources.values() for w in s.warnings))

    def source_for(self, project: str) -> UpstreamSource:
        """The source serving ``project``.

        Raises:
            UpstreamError: its source was not built (not in ``sources``).
        """
        name = self._routes.get(project, self._default)
        source = self._sources.get(name)
        if source is None:
            raise UpstreamError(f"{project}: no upstream source {name!r} is configured")
        return source

    def fetch(
        self,
        project: str,
        *,
        validator: str | None = None,
        conditional: bool = True,
        stop: StopCondition | None = None,
        max_pages: int | None = None,
    ) -> FetchResult:
        """``fetch`` of the source serving ``project`` (see ``UpstreamSource.fetch``)."""
        return self.source_for(project).fetch(
            project, validator=validator, conditional=conditional, stop=stop, max_pages=max_pages
        )


def build_sources(catalogue: Mapping[str, CatalogueEntry], options: SourceOptions) -> SourceRouter:
    """The sources ``catalogue`` uses (each built once), behind one router.

    The default source is always built, so projects named outside the catalogue (``tracker
    sync --project``) are served by it.

    Raises:
        UpstreamError: see :func:`routes`.
    """
    project_sources = routes(catalogue)
    names = {*project_sources.values(), DEFAULT_SOURCE}
    return SourceRouter({name: FACTORIES[name](options) for name in sorted(names)}, project_sources)
