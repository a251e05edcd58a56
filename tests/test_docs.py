"""README, --help and CI agree (after sqlite-utils' tests/test_docs.py)."""

from __future__ import annotations

import json
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
            if args and args[0].startswith("-"):  # a root flag alone (--install-completion)
                root = typer.main.get_command(app)
                assert args[0] in {o for p in root.params for o in p.opts}, part
                checked += 1
                continue
            path = " ".join(args[:2]) if " ".join(args[:2]) in COMMANDS else args[0]
            assert path in COMMANDS, f"README uses unknown command: {part.strip()}"
            command = COMMANDS[path]
            known = {opt for p in command.params for opt in getattr(p, "opts", [])}
            for word in args:
                if word.startswith("-"):
                    assert word.split("=")[0] in known, f"{word} is not an option of `{path}`"
            checked += 1
    assert checked >= 10


# --- outputs: every command documented, metrics, screenshot, config keys (issue 12) --------


def test_every_command_appears_in_a_readme_example() -> None:
    used = set()
    for line in _shell_lines():
        words = line.split()
        for i, word in enumerate(words[:-1]):
            if word == "tracker":
                rest = [w for w in words[i + 1 :] if not w.startswith("-")]
                if rest:
                    two = " ".join(rest[:2])
                    used.add(two if two in COMMANDS else rest[0])
    # db upgrade/current are described in prose with the deploy docs
    missing = sorted(set(COMMANDS) - used - {"db upgrade", "db current"})
    assert missing == [], f"commands without a README example: {missing}"


def test_readme_lists_exactly_the_metrics_tracker_emits() -> None:
    from tracker.report.metrics import METRIC_NAMES

    table = re.findall(r"^\| `(tracker_[a-z_]+)` \|", README, flags=re.M)
    assert sorted(table) == sorted(METRIC_NAMES)


def test_readme_promql_is_what_the_dashboard_uses() -> None:
    from tracker.report.metrics import METRIC_NAMES

    dashboard = (ROOT / "deploy" / "monitoring" / "tracker-dashboard.json").read_text()
    exprs = {
        target["expr"]
        for panel in json.loads(dashboard)["panels"]
        for target in panel.get("targets", [])
        if "expr" in target
    }
    (query,) = re.findall(r"```promql\n(.*?)\n```", README, flags=re.S)
    assert query in exprs
    names = set(re.findall(r"tracker_[a-z_]+", query))
    assert names and names <= set(METRIC_NAMES)


def test_readme_shows_the_html_report_screenshot() -> None:
    (image,) = re.findall(r"!\[[^\]]+\]\((docs/[^)]+\.png)\)", README)
    data = (ROOT / image).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_readme_format_choices_match_the_cli() -> None:
    from tracker.cli.output import LIST_FORMATS
    from tracker.report import FORMATS

    assert f"`--format {'|'.join(LIST_FORMATS)}`" in README
    extra = sorted(set(FORMATS) - set(LIST_FORMATS))
    assert extra == ["html"] and "(`report` also `html`)" in README
    for path in ("query", "history", "releases list", "report"):
        opts = {o for p in COMMANDS[path].params for o in getattr(p, "opts", [])}
        assert {"--format", "--output"} <= opts, path


def test_readme_config_keys_exist_in_config_example() -> None:
    import importlib
    import tomllib

    example = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    checked = 0
    for section, key in re.findall(r"`([a-z]+)\.([a-z_]+)`", README):
        if section not in example:
            continue
        module = f"tracker.workflows.{section}"
        try:
            if hasattr(importlib.import_module(module), key):
                continue  # a function named in prose (`sync.run_sync`), not a setting
        except ModuleNotFoundError:
            pass
        assert key in example[section], f"README names {section}.{key}: not in config.example"
        checked += 1
    assert checked >= 3
