"""An in-memory store implementing ``tracker.upstream.stores.UpstreamStore`` (the sync's seam)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tracker.models import Release
from tracker.upstream.stores import ReleaseStore, UpstreamStore


@dataclass(frozen=True)
class FakeSyncState:
    """The fields of the store's ``SyncState``."""

    project: str
    token_key: str
    etag: str | None
    last_success_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    renamed_to: str | None


class FakeStore:
    """Releases by project and tag, sync state by (project, token key); records caller threads."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Release]] = {}
        self.states: dict[tuple[str, str], FakeSyncState] = {}
        self.threads: set[int] = set()
        self.reads: list[tuple[str, str]] = []  # (method, project) of releases/sync_state calls

    def _touch(self) -> None:
        self.threads.add(threading.get_ident())

    def projects(self) -> list[str]:
        return sorted(p for p, v in self.data.items() if v)

    def releases(self, project: str) -> list[Release]:
        self._touch()
        self.reads.append(("releases", project))
        return list(self.data.get(project, {}).values())

    def upsert_releases(
        self, project: str, releases: Sequence[Release], *, replace: bool = False
    ) -> int:
        self._touch()
        stored = self.data.setdefault(project, {})
        new = sum(1 for r in releases if r.tag not in stored)
        if replace:
            stored.clear()
        for r in releases:
            stored[r.tag] = r
        return new

    def sync_state(self, project: str, token_key: str) -> FakeSyncState | None:
        self._touch()
        self.reads.append(("sync_state", project))
        return self.states.get((project, token_key))

    def record_sync(
        self,
        project: str,
        token_key: str,
        *,
        attempted_at: datetime,
        etag: str | None,
        success: bool,
        error: str | None = None,
        renamed_to: str | None = None,
    ) -> None:
        self._touch()
        old = self.states.get((project, token_key))
        self.states[(project, token_key)] = FakeSyncState(
            project=project,
            token_key=token_key,
            etag=etag if success else (old.etag if old else None),  # as the real store
            last_success_at=attempted_at if success else (old.last_success_at if old else None),
            last_attempt_at=attempted_at,
            last_error=None if success else error,
            renamed_to=renamed_to or (old.renamed_to if old else None),
        )

    def snapshot(self) -> dict[str, dict[str, Release]]:
        """A deep copy of the stored releases, to compare before/after."""
        return {p: dict(v) for p, v in self.data.items()}


_check: type[UpstreamStore] = FakeStore  # the fake must satisfy the Protocol (mypy checks)
_check_release: type[ReleaseStore] = FakeStore
