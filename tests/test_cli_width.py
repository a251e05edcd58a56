"""The table width through the real CLI: ``COLUMNS`` when set, 120 when piped (not a
terminal), 200 with ``--output`` (README "Outputs"), on the bundled demo cluster stored
night by night (``report``, ``query``, ``history``, ``releases list``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tracker.cli import app

runner = CliRunner()
COMMANDS = (
    ("report",),
    ("query", "--component", "istio"),
    ("history",),
    ("releases", "list", "istio/istio"),
)


def invoke(db: str, *args: str, columns: str | None) -> Result:
    env = {"TRACKER_SLACK_WEBHOOK_URL": "", "TRACKER_WEBHOOK_URL": "", "COLUMNS": columns}
    return runner.invoke(app, ["--database-url", db, *args], env=env)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo's releases and cluster, scanned and evaluated twice (a history)."""
    tmp = tmp_path_factory.mktemp("width")
    demo = resources.files("tracker.demo")
    for name in ("cluster.json", "version.json", "releases.json"):
        (tmp / name).write_bytes(demo.joinpath(name).read_bytes())
    url = f"sqlite:///{tmp / 'tracker.db'}"
    assert (
        invoke(url, "releases", "import", str(tmp / "releases.json"), columns="80").exit_code == 0
    )
    for _ in range(2):
        dumps = ["--from-dump", str(tmp / "cluster.json"), "--from-dump", str(tmp / "version.json")]
        assert invoke(url, "scan", *dumps, "--cluster", "demo", columns="80").exit_code == 0
        assert invoke(url, "report", columns="80").exit_code == 0
    return url


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_piped_tables_are_120_wide_and_columns_wins(db: str, command: tuple[str, ...]) -> None:
    piped = invoke(db, *command, columns=None)  # CliRunner's stdout is not a terminal
    assert piped.exit_code == 0, piped.output
    assert 80 < widest(piped.stdout) <= 120
    narrow = invoke(db, *command, columns="80")
    assert narrow.exit_code == 0, narrow.output
    assert widest(narrow.stdout) <= 80


@pytest.mark.parametrize("command", COMMANDS[:3], ids=lambda c: c[0])
def test_output_files_are_200_wide(db: str, command: tuple[str, ...], tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    result = invoke(db, *command, "--output", str(out), columns="80")
    assert result.exit_code == 0, result.output
    assert 120 < widest(out.read_text("utf-8")) <= 200


def test_releases_file_keeps_the_url_column(db: str, tmp_path: Path) -> None:
    out = tmp_path / "releases.txt"
    assert (
        invoke(db, "releases", "list", "istio/istio", "-o", str(out), columns="80").exit_code == 0
    )
    text = out.read_text("utf-8")
    assert "release notes:" not in text  # 200 wide: every URL whole in its own column
    assert "https://github.com/istio/istio/releases/tag/1.31.0-rc.0" in text
