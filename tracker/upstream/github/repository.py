"""GitHub's ``archived`` flag of each tracked repository (``GET /repos/{owner}/{repo}``).

One conditional request per repository (a ``304`` costs nothing against the rate limit); the
flag is stored as the ``repository`` document of ``owner/repo`` (``{archived, etag}``, see
:mod:`tracker.upstream.lifecycle_sync`). Failures are reported per repository and delete
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from tracker.errors import TrackerError
from tracker.upstream.lifecycle_sync import REPOSITORY, LifecycleSyncSummary

if TYPE_CHECKING:
    import httpx

    from tracker.store import Store

__all__ = ["sync_archived"]


def sync_archived(
    store: Store,
    client: httpx.Client,
    projects: Iterable[str],
    *,
    now: datetime,
    api_url: str = "https://api.github.com",
    token: str | None = None,
    timeout: float | None = None,
    sleep: Callable[[float], None] | None = None,
) -> LifecycleSyncSummary:
    """Read GitHub's ``archived`` flag of each ``owner/repo`` (``GET /repos/{owner}/{repo}``,
    conditional: a 304 costs nothing) and store it as a ``repository`` document.

    Raises:
        StoreError: the store cannot be written. GitHub failures go to ``summary.failed``.
    """
    import time

    from tracker.untrusted_json import parse_json
    from tracker.upstream.forge import Run
    from tracker.upstream.github.client import GitHubClient

    github = GitHubClient(client, api_url, token, timeout=timeout, sleep=sleep or time.sleep)
    summary = LifecycleSyncSummary()
    for project in projects:
        stored = store.documents(REPOSITORY, project).get((project, ""))
        etag = stored.get("etag") if isinstance(stored, Mapping) else None
        run = Run(project)
        try:
            response = github.get(run, f"{github.api_url}/repos/{project}", etag=etag)
            github.check_status(run, response)
            if response.status_code == 304 and isinstance(stored, Mapping):
                summary.unchanged.append(project)
                store.put_documents(
                    REPOSITORY,
                    project,
                    {"": {**stored, "checked_at": now.isoformat()}},
                    fetched_at=now,
                )
                continue
            body = parse_json(response.content)
        except (TrackerError, ValueError) as exc:
            summary.failed[project] = str(exc).splitlines()[0][:300]
            continue
        finally:
            summary.requests += run.requests
        if not isinstance(body, Mapping) or not isinstance(body.get("archived"), bool):
            summary.failed[project] = f"{project}: GitHub's answer has no 'archived' flag"
            continue
        payload = {"archived": body["archived"], "etag": response.headers.get("etag")}
        store.put_documents(REPOSITORY, project, {"": payload}, fetched_at=now, replace=True)
        summary.changed.append(project)
    return summary
