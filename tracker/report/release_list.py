"""Text for ``tracker releases list``: a project's stored releases, highest version first.

The table is laid out by :func:`tracker.report.layout.fit_table`. Tag, date and pre-release
are always shown, the tag whole. The release-notes URL is never cut: when its column does
not fit (a URL of up to 60 characters whole), it folds under the tag (its own line, wrapped
after ``/`` only if it must), unless every URL shown is one prefix followed by the tag
(GitHub's ``…/releases/tag/<tag>``): then the column is left out and one line under the
title gives the rule, ``release notes: https://github.com/istio/istio/releases/tag/<tag>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rich.console import RenderableType
from rich.text import Text

from tracker.models import Release
from tracker.report.layout import Cell, Column, fit_columns, fit_table, render
from tracker.report.table import safe
from tracker.report.wrap import VERSION
from tracker.text import for_terminal
from tracker.versions import ParsedVersion, parse_version

RELEASE_COLUMNS: tuple[Column, ...] = (
    Column("tag", breaks=VERSION, soft_min=24, hard_min=12, shrink=2),
    Column("published"),
    Column("pre-release", short_header="pre"),
    Column("url", give_up=1, fold="tag", breaks=r"/", soft_min=60, hard_min=20, shrink=1),
)
"""The ``releases list`` table (gives up: url, folded under the tag)."""

URL = 3
"""The index of the url column in :data:`RELEASE_COLUMNS`."""


def url_rule(releases: Sequence[Release]) -> str | None:
    """The prefix every release's URL shares before its tag, or None (a release without a
    URL, one that does not end in its tag, or two prefixes).

    >>> url_rule([Release("a/b", "v1", None, False, "https://github.com/a/b/releases/tag/v1")])
    'https://github.com/a/b/releases/tag/'
    """
    prefixes = {
        r.url[: -len(r.tag)] if r.url and r.tag and r.url.endswith(r.tag) else None
        for r in releases
    }
    if len(prefixes) != 1:
        return None
    return prefixes.pop()


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
    besides bold headers). The URL column: see the module docstring.
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
    columns = RELEASE_COLUMNS
    layout = fit_columns(columns, rows, width)
    folded = any(URL in group[1:] for group in layout.shown)
    prefix = url_rule(ordered[:limit]) if folded else None
    if prefix is not None:
        parts.append(Text(f"release notes: {for_terminal(prefix)}<tag>"))
        columns, rows = columns[:URL], [row[:URL] for row in rows]
    table, _ = fit_table(columns, rows, width)
    parts.append(table)
    if len(ordered) > limit:
        parts.append(Text(f"… and {len(ordered) - limit} more (use --limit)"))
    return render(parts, width=width, color=color)
