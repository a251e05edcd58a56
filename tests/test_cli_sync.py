"""`tracker sync` end to end: the real CLI, the real store, the fake GitHub server on 127.0.0.1."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fakes.github_api import FakeGitHub, Fault, load_release_lists
from tracker.cli import app

runner = CliRunner()
PROJECTS = ["istio/istio", "kubernetes/kubernetes", "cert-manager/cert-manager"]


@pytest.fixture
def fake(realdata: Path) -> FakeGitHub:
    return FakeGitHub(copy.deepcopy(load_release_lists(realdata / "releases")))


@pytest.fixture
def api(fake: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fake.serve() as base:
        monkeypatch.setenv("TRACKER_GITHUB_API_URL", base)
        monkeypatch.setenv("TRACKER_SYNC_TIMEOUT_SECONDS", "2")
        monkeypatch.setenv("GITHUB_TOKEN", "ghp_testtoken_never_printed")
        yield base


def _sync(db: str, *args: str) -> object:
    projects = [a for p in PROJECTS for a in ("--project", p)]
    return runner.invoke(app, ["--database-url", db, "sync", *projects, *args])


def _releases(db: str, project: str) -> str:
    result = runner.invoke(
        app, ["--database-url", db, "releases", "list", project, "--limit", "30"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cold_then_warm_sync(fake: FakeGitHub, api: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    cold = _sync(db)
    assert cold.exit_code == 0, cold.output  # type: ignore[attr-defined]
    assert "0 failed" in cold.stderr  # type: ignore[attr-defined]
    assert all(
        s.headers.get("authorization") == "Bearer ghp_testtoken_never_printed" for s in fake.log
    )
    listing = _releases(db, "istio/istio")
    # highest version first: 1.31.0-rc.0 is a pre-release, 1.30.3 the highest stable
    assert listing.index("1.31.0-rc.0") < listing.index("1.30.3")
    kube = _releases(db, "kubernetes/kubernetes")
    assert kube.index("v1.29.3") < kube.index("v1.28.8")  # version order, not list order

    fake.log.clear()
    warm = _sync(db)
    assert warm.exit_code == 0  # type: ignore[attr-defined]
    assert len(fake.log) == len(PROJECTS)  # one conditional request per project
    assert "3 not modified, 0 new releases" in warm.stderr  # type: ignore[attr-defined]
    assert "ghp_testtoken" not in warm.output  # type: ignore[attr-defined]


def test_failures_keep_stored_data_and_exit_1(fake: FakeGitHub, api: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert _sync(db).exit_code == 0  # type: ignore[attr-defined]
    before = _releases(db, "istio/istio")
    fake.fail("istio/istio", Fault("502"))
    fake.exhaust(0)
    result = _sync(db, "--full")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "rate limit exhausted" in result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in result.output  # type: ignore[attr-defined]
    assert _releases(db, "istio/istio") == before


def test_unreachable_api_is_reported_per_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_GITHUB_API_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("TRACKER_SYNC_TIMEOUT_SECONDS", "1")
    db = f"sqlite:///{tmp_path / 's.db'}"
    result = runner.invoke(app, ["--database-url", db, "sync", "--project", "istio/istio"])
    assert result.exit_code == 1
    assert "1 failed" in result.stderr
    assert "Traceback" not in result.output


def test_export_import_round_trip(fake: FakeGitHub, api: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    assert _sync(db).exit_code == 0  # type: ignore[attr-defined]
    out = tmp_path / "catalogue.json"
    assert runner.invoke(app, ["--database-url", db, "releases", "export", str(out)]).exit_code == 0
    data = json.loads(out.read_text())
    assert set(data) == set(PROJECTS)
    db2 = f"sqlite:///{tmp_path / 'airgapped.db'}"
    result = runner.invoke(app, ["--database-url", db2, "releases", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert (
        _releases(db2, "istio/istio").split("\n")[1:]
        == _releases(db, "istio/istio").split("\n")[1:]
    )
