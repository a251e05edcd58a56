"""How the CLI shows a sync: a rich progress bar on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from tracker.workflows.sync import ProgressCallback, ProjectResult


def describe(result: ProjectResult) -> str:
    """One plain line for a project result, e.g. ``istio/istio: 3 new releases (2 requests)``."""
    from tracker.workflows.sync import ProjectStatus

    if result.status is ProjectStatus.NOT_MODIFIED:
        text = f"{result.project}: not modified"
    elif result.status is ProjectStatus.UPDATED:
        text = f"{result.project}: {result.new_releases} new of {result.fetched} read"
        if result.from_tags:
            text += " (tags, no releases)"
    else:
        text = f"{result.project}: {result.status.value}: {result.error}"
    text += f" ({result.requests} request{'s' if result.requests != 1 else ''})"
    if result.renamed_to:
        text += f"; renamed to {result.renamed_to}, update the catalogue"
    if result.malformed:
        n = len(result.malformed)
        text += f"; {n} malformed release{'' if n == 1 else 's'} left out"
    for warning in result.warnings:
        text += f"; {warning}"
    return text


@contextmanager
def progress_printer(total: int, *, stream: IO[str] | None = None) -> Iterator[ProgressCallback]:
    """The CLI's presentation of a sync: a rich progress bar on a terminal, plain lines otherwise.

    Skipped projects (rate limit exhausted, API unreachable) all share one reason: the first is
    printed, the others are counted in one closing line (``... and 76 more skipped``).

    Usage::

        with progress_printer(len(projects)) as progress:
            summary = sync_projects(store, source, projects, ..., progress=progress)
        print(summary.one_line())
    """
    from tracker.workflows.sync import ProjectStatus

    out = stream if stream is not None else sys.stderr
    if out.isatty():
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        bar = Progress(
            TextColumn("syncing releases"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
            console=Console(file=out),
            transient=True,
        )
        task = bar.add_task("", total=total)

        def advance(result: ProjectResult, done: int, total_: int) -> None:
            if result.status is ProjectStatus.SKIPPED:
                skipped.append(result.project)
                if len(skipped) == 1:
                    bar.console.print(describe(result))
            elif result.status is ProjectStatus.FAILED:
                bar.console.print(describe(result))
            bar.update(task, completed=done, description=result.project)

        skipped: list[str] = []
        with bar:
            yield advance
        _more_skipped(skipped, out)
        return

    def line(result: ProjectResult, done: int, total_: int) -> None:
        if result.status is ProjectStatus.SKIPPED:
            skipped.append(result.project)
            if len(skipped) > 1:
                return
        print(f"[{done}/{total_}] {describe(result)}", file=out, flush=True)

    skipped = []
    yield line
    _more_skipped(skipped, out)


def _more_skipped(skipped: Sequence[str], out: IO[str]) -> None:
    """The closing line for skipped projects after the first (which was printed in full)."""
    if len(skipped) > 1:
        print(f"... and {len(skipped) - 1} more skipped for the same reason", file=out, flush=True)
