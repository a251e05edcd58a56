"""Fixtures for the evaluate tests: real release lists as :class:`Release` objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from tracker.models import CatalogueEntry, Release

PROJECTS = {
    "kubernetes": "kubernetes/kubernetes",
    "istio": "istio/istio",
    "prometheus": "prometheus/prometheus",
    "cert-manager": "cert-manager/cert-manager",
    "grafana": "grafana/grafana",
}
"""Catalogue id -> project, for the release lists in realdata/releases."""


def load_release_file(path: Path, project: str) -> list[Release]:
    """Read a GitHub-shaped release list (realdata/releases/OWNER__REPO.json), drafts dropped."""
    items = json.loads(path.read_text(encoding="utf-8"))
    return [
        Release(
            project=project,
            tag=item["tag_name"],
            published_at=datetime.fromisoformat(item["published_at"].replace("Z", "+00:00"))
            if item.get("published_at")
            else None,
            prerelease=bool(item.get("prerelease")),
            url=item.get("html_url"),
            name=item.get("name") or "",
        )
        for item in items
        if not item.get("draft")
    ]


@pytest.fixture(scope="session")
def real_releases(realdata: Path) -> dict[str, list[Release]]:
    """project -> its real releases, for the five projects in realdata/releases."""
    return {
        project: load_release_file(
            realdata / "releases" / f"{project.replace('/', '__')}.json", project
        )
        for project in PROJECTS.values()
    }


@pytest.fixture(scope="session")
def real_entries() -> dict[str, CatalogueEntry]:
    """Catalogue entries for the five projects, with the default tag rule."""
    return {
        cid: CatalogueEntry(id=cid, name=cid, project=p, images=()) for cid, p in PROJECTS.items()
    }


@pytest.fixture
def make_release() -> Callable[..., Release]:
    """Build a hand-made :class:`Release` (for edge cases only)."""

    def make(
        tag: str,
        published: str | None = "2024-01-01T00:00:00Z",
        prerelease: bool = False,
        project: str = "acme/thing",
        url: str | None = None,
    ) -> Release:
        moment = datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None
        return Release(project, tag, moment, prerelease, url)

    return make
