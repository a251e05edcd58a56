"""What the commands share: the global options' state, the settings, and the option types
(``--format``, ``--output``, ``-n/--namespace``, ...), each shown in ``--help`` with a
placeholder (``FILE``, ``N``, ``URL``) rather than a Python type."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tracker.cli.output import (
    FAIL_ON_METAVAR,
    FailOnChoice,
    FormatChoice,
    ListFormatChoice,
)
from tracker.errors import IdentifyError

if TYPE_CHECKING:
    from tracker.config import Settings

FormatOption = Annotated[FormatChoice, typer.Option("--format", "-f", help="Output format.")]
ListFormatOption = Annotated[
    ListFormatChoice,
    typer.Option("--format", "-f", help="Output format (JSON has schema_version)."),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write to FILE instead of stdout (its directory must exist).",
    ),
]
NamespaceOption = Annotated[
    list[str] | None,
    typer.Option(
        "--namespace",
        "-n",
        metavar="NAMESPACE",
        help="Only pods of this namespace (repeatable, like kubectl; default: all).",
    ),
]
MaxDumpSizeOption = Annotated[
    str | None,
    typer.Option(
        "--max-dump-size",
        metavar="SIZE",
        help="Refuse dump files larger than SIZE (500M, 2G, 2GiB; default 2GiB).",
        show_default=False,
    ),
]
FailOnOption = Annotated[
    list[FailOnChoice] | None,
    typer.Option(
        "--fail-on",
        metavar=FAIL_ON_METAVAR,
        help="Exit with code 3 when such a finding exists (repeatable).",
    ),
]


class State:
    config: Path | None = None
    database_url: str | None = None


state = State()


def settings(**overrides: object) -> Settings:
    """The settings of this invocation: the config file and ``--database-url`` given to the
    global options, then ``overrides``.

    Raises:
        ConfigError: the config file or an environment variable is invalid (names it).
    """
    from tracker.config import load_settings

    return load_settings(state.config, overrides={"database_url": state.database_url, **overrides})


class ConfigNamed:
    """Names the config file in a component catalogue error (``[components.*]`` lives there)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, IdentifyError):
            where = str(state.config or os.environ.get("TRACKER_CONFIG") or "config")
            raise IdentifyError(f"{where}: {exc.message}", exc.hint) from None
