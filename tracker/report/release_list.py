"""Text for ``tracker releases list``: a project's stored releases, highest version first."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from rich.console import Console
from rich.table import Table

from tracker.models import Release
from tracker.versions import ParsedVersion, parse_version


def _order(release: Release) -> tuple[int, object]:
    parsed = parse_version(release.tag)
    return (1, parsed.version) if isinstance(parsed, ParsedVersion) else (0, release.tag)


def format_release_list(
    project: str,
    releases: Sequence[Release],
    last_synced: datetime | None,
    limit: int = 30,
    *,
    width: int = 100,
) -> str:
    """Render up to ``limit`` releases of ``project``, highest version first, as a table.

    Tags that are not versions sort last. ``last_synced`` (UTC) is shown in the title, or
    "never synced from GitHub" for an imported catalogue.
    """
    ordered = sorted(releases, key=_order, reverse=True)
    synced = (
        f"last synced {last_synced:%Y-%m-%d %H:%M} UTC"
        if last_synced
        else "never synced from GitHub"
    )
    table = Table(title=f"{project}: {len(releases)} releases stored, {synced}")
    for column in ("tag", "published", "pre-release", "url"):
        table.add_column(column)
    for release in ordered[:limit]:
        table.add_row(
            release.tag,
            f"{release.published_at:%Y-%m-%d}" if release.published_at else "unknown",
            "yes" if release.prerelease else "",
            release.url or "",
        )
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(table)
    if len(ordered) > limit:
        out.write(f"… and {len(ordered) - limit} more (use --limit)\n")
    return out.getvalue()
