"""The air-gapped transfer commands: ``tracker releases|lifecycle|advisories import|export``
move upstream data (GitHub release JSON, endoflife.date answers, OSV records) between a
file and the store. Registered on their command groups by :mod:`tracker.cli.app`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tracker.cli.common import settings as _settings
from tracker.cli.output import count, errors, note


def releases_import(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="JSON file of GitHub REST release objects."),
    ],
    project: Annotated[
        str | None,
        typer.Option(
            metavar="OWNER/REPO",
            help="The project, when FILE is a plain array of releases of one project.",
        ),
    ] = None,
) -> None:
    """Load releases from a file into the store.

    Example: tracker releases import releases.json
    """
    from tracker.workflows import sync

    with errors():
        counts = sync.import_release_file(_settings(), file, project=project)
    note(
        f"imported {count(sum(counts.values()), 'new release')} for "
        f"{count(len(counts), 'project')} from {file}"
    )


def releases_export(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="Where to write the releases (JSON).")
    ],
) -> None:
    """Write every stored release to a file ({"owner/repo": [release, ...]}).

    Example: tracker releases export releases.json
    """
    from tracker.workflows import sync

    with errors():
        exported = sync.export_release_file(_settings(), file)
    note(f"exported {count(exported, 'release')} to {file}")


def lifecycle_import(
    file: Annotated[Path, typer.Argument(help="JSON file {product: endoflife.date API answer}.")],
) -> None:
    """Load support windows from a file into the store.

    Example: tracker lifecycle import cycles.json
    """
    from tracker.workflows import sync

    with errors():
        counts = sync.import_cycle_file(_settings(), file)
    note(f"imported {len(counts)} product(s) from {file}")


def lifecycle_export(
    file: Annotated[Path, typer.Argument(help="Where to write the support windows (JSON).")],
) -> None:
    """Write every stored support window to a file ({product: API answer}).

    Example: tracker lifecycle export cycles.json
    """
    from tracker.workflows import sync

    with errors():
        exported = sync.export_cycle_file(_settings(), file)
    note(f"exported {exported} product(s) to {file}")


def advisories_import(
    paths: Annotated[
        list[Path], typer.Argument(help="OSV JSON files, or directories of them (recursive).")
    ],
) -> None:
    """Load security advisories (OSV records) into the store, under every package they name.

    Example: tracker advisories import advisory-database/advisories/github-reviewed/2025
    """
    from tracker.workflows import sync

    with errors():
        read, changed = sync.import_advisory_files(_settings(), paths)
    note(f"imported {read} advisories ({changed} new or changed package entries)")


def advisories_export(
    file: Annotated[Path, typer.Argument(help="Where to write the advisories (OSV JSON array).")],
) -> None:
    """Write every stored advisory to a file, once each (imports back unchanged).

    Example: tracker advisories export advisories.json
    """
    from tracker.workflows import sync

    with errors():
        exported = sync.export_advisory_file(_settings(), file)
    note(f"exported {exported} advisories to {file}")
