"""README, --help and CI agree (after sqlite-utils' tests/test_docs.py)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tracker.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
runner = CliRunner()


def _commands() -> dict[str, Any]:
    """Every leaf command of the CLI by its path (``releases import``)."""
    root = typer.main.get_command(app)
    found: dict[str, Any] = {}

    def walk(group: Any, prefix: str) -> None:
        for name, command in group.commands.items():
            path = f"{prefix} {name}".strip()
            if hasattr(command, "commands"):
                walk(command, path)
            else:
                found[path] = command

    walk(root, "")
    return found


COMMANDS = _commands()


def _shell_lines() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    lines = []
    for block in blocks:
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                lines.append(line)
    return lines


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(path: str) -> None:
    result = runner.invoke(app, [*path.split(), "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "Example:" in result.output, f"`tracker {path} --help` shows no example"


def test_readme_quickstart_matches_ci() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_commands = [line for line in _shell_lines() if "pytest" in line]
    assert test_commands, "README gives no test command"
    assert test_commands[0] in ci, "the README's test command is not what .ci/run runs"
    assert any("tracker run --demo" in line for line in _shell_lines())


def test_readme_tracker_invocations_use_real_commands_and_options() -> None:
    checked = 0
    for line in _shell_lines():
        for part in re.split(r"&&|\|", line):
            words = shlex.split(part.strip())
            while words and "=" in words[0] and not words[0].startswith("-"):
                words = words[1:]  # VAR=value prefixes
            if not words or words[0] != "tracker":
                continue
            args = words[1:]
            root_opts = {"--config", "-c", "--database-url"}
            while args and args[0] in root_opts:
                args = args[2:]
            path = " ".join(args[:2]) if " ".join(args[:2]) in COMMANDS else args[0]
            assert path in COMMANDS, f"README uses unknown command: {part.strip()}"
            command = COMMANDS[path]
            known = {opt for p in command.params for opt in getattr(p, "opts", [])}
            for word in args:
                if word.startswith("-"):
                    assert word.split("=")[0] in known, f"{word} is not an option of `{path}`"
            checked += 1
    assert checked >= 10
