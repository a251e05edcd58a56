"""Text for ``tracker releases list``: a project's stored releases, highest version first.

The table is laid out by :func:`tracker.report.table.fit_table`: when it does not fit, the
release-notes URL is truncated first (``…``), then dropped; tag, date and pre-release stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import RenderableType
from rich.text import Text

from tracker.models import Release
from tracker.report.table import Cell, Column, fit_table, render, safe
from tracker.text import for_terminal
from tracker.versions import ParsedVersion, parse_version

RELEASE_COLUMNS: tuple[Column, ...] = (
    Column("tag", soft_min=24, hard_min=12, shrink=2),
    Column("published"),
    Column("pre-release", short_header="pre"),
    Column("url", drop=1, drop_last=True, soft_min=30, hard_min=20, shrink=1),
)
"""The ``releases list`` table (drop order: url)."""


def _order(release: Release) -> tuple[int, object]:
    parsed = parse_version(release.tag)
    return (1, parsed.version) if isinstance(parsed, ParsedVersion) else (0, release.tag)


def ordered_releases(releases: Sequence[Release]) -> list[Release]:
    """``releases`` highest version first; tags that are not versions last."""
    return sorted(releases, key=_order, reverse=True)


def format_release_list(
    project: str,
    releases: Sequence[Release],
    last_synced: datetime | None,
    limit: int = 30,
    *,
    width: int = 120,
    color: bool = False,
) -> str:
    """Render up to ``limit`` releases of ``project``, highest version first, as a table.

    Tags that are not versions sort last. ``last_synced`` (UTC) is shown in the title, or
    "never synced" for imported upstream data. ``width``: console width in characters
    (80 to 250 tested; every line fits it); ``color``: ANSI colours (none are used today
    besides bold headers).
    """
    ordered = ordered_releases(releases)
    synced = f"last synced {last_synced:%Y-%m-%d %H:%M} UTC" if last_synced else "never synced"
    rows: list[list[Cell]] = [
        [
            safe(release.tag),
            Text(f"{release.published_at:%Y-%m-%d}" if release.published_at else "unknown"),
            Text("yes" if release.prerelease else ""),
            safe(release.url),
        ]
        for release in ordered[:limit]
    ]
    title = Text(
        f"{for_terminal(project)}: {len(releases)} releases stored, {synced}", style="bold"
    )
    parts: list[RenderableType] = [title]
    table, _ = fit_table(RELEASE_COLUMNS, rows, width)
    parts.append(table)
    if len(ordered) > limit:
        parts.append(Text(f"… and {len(ordered) - limit} more (use --limit)"))
    return render(parts, width=width, color=color)
