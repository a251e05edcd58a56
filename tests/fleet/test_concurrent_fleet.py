"""Many clusters writing into one store at once: real processes, real dumps, real CLI.

Eight ``python -m tracker scan --from-dump ... --cluster cN`` processes (each a different
real cluster dump) and two concurrent ``tracker releases import`` of the same real release
list start together against one empty PostgreSQL database (they also race on the first
migration). Afterwards every scan is complete (the counts per scan equal a single-process
identification of the same dump), clusters and releases are not duplicated, and the two
imports together report each release as new exactly once. SQLite runs a smaller variant.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import tracker
from tests.conftest import fresh_postgres_database
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.store import Store

REPO = Path(tracker.__file__).resolve().parent.parent
TIMEOUT_SECONDS = 180


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database (dropped afterwards); skipped without the server URL."""
    with fresh_postgres_database("tracker_fleet") as url:
        yield url


def _tracker(url: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("TRACKER_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tracker", "--database-url", url, *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _expected(dumps: dict[str, list[Path]]) -> dict[str, tuple[int, int]]:
    """Cluster -> (components, unidentified) from a single-process identification."""
    catalogue = load_catalogue()
    out = {}
    for name, paths in dumps.items():
        found = identify(KubectlDump(paths, cluster=name).collect(), catalogue)
        out[name] = (len(found.components), len(found.unidentified))
    return out


def _run_fleet(url: str, dumps: dict[str, list[Path]], releases: Path, imports: int) -> None:
    procs = [
        _tracker(url, "scan", *[a for p in paths for a in ("--from-dump", str(p))], "--cluster", n)
        for n, paths in dumps.items()
    ]
    importers = [
        _tracker(url, "releases", "import", str(releases), "--project", "istio/istio")
        for _ in range(imports)
    ]
    results = [(p, *p.communicate(timeout=TIMEOUT_SECONDS)) for p in procs + importers]
    failed = [err for p, _out, err in results if p.returncode != 0]
    assert failed == []
    new = [
        int(m.group(1))
        for _p, _out, err in results[len(procs) :]
        for m in [re.search(r"imported (\d+) new releases", err)]
        if m
    ]
    assert len(new) == imports
    assert sum(new) == 456  # every real istio tag counted as new exactly once


def _check(url: str, dumps: dict[str, list[Path]]) -> None:
    expected = _expected(dumps)
    with Store.open(url) as store:
        assert store.clusters() == sorted(dumps)
        latest = store.latest_scans()
        got = {
            s.summary.name: (len(s.identification.components), len(s.identification.unidentified))
            for s in latest
        }
        assert got == expected
        assert len(store.releases("istio/istio")) == 456
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM clusters), (SELECT count(DISTINCT name) FROM "
                "clusters), (SELECT count(*) FROM scans), (SELECT count(*) FROM releases), "
                "(SELECT count(*) FROM (SELECT DISTINCT project, tag FROM releases) AS d)"
            )
        ).one()
    engine.dispose()
    n = len(dumps)
    assert tuple(counts) == (n, n, n, 456, 456)


def test_eight_clusters_and_two_imports_at_once_on_postgresql(
    postgres_url: str, fleet_dumps: dict[str, list[Path]], release_files: dict[str, Path]
) -> None:
    assert len(fleet_dumps) == 8
    _run_fleet(postgres_url, fleet_dumps, release_files["istio/istio"], imports=2)
    _check(postgres_url, fleet_dumps)


def test_four_clusters_and_two_imports_at_once_on_sqlite(
    tmp_path: Path, fleet_dumps: dict[str, list[Path]], release_files: dict[str, Path]
) -> None:
    url = f"sqlite:///{tmp_path / 'fleet.db'}"
    dumps = dict(list(fleet_dumps.items())[:4])
    _run_fleet(url, dumps, release_files["istio/istio"], imports=2)
    _check(url, dumps)


def test_concurrent_first_scans_of_one_name_make_one_cluster(
    database_url: str, fleet_dumps: dict[str, list[Path]]
) -> None:
    paths = fleet_dumps["c1-docker-desktop"]
    args = [a for p in paths for a in ("--from-dump", str(p))]
    procs = [_tracker(database_url, "scan", *args, "--cluster", "same") for _ in range(4)]
    errors = [p.communicate(timeout=TIMEOUT_SECONDS)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors
    with Store.open(database_url) as store:
        assert store.clusters() == ["same"]
        assert len(store.scans("same")) == 4


def test_eight_scans_and_concurrent_syncs_on_postgresql(
    postgres_url: str, fleet_dumps: dict[str, list[Path]], realdata: Path
) -> None:
    """8 scans and 2 `tracker sync` runs at once: one sync at a time, nothing duplicated."""
    import copy

    from tests.fakes.github_api import FakeGitHub, load_release_lists

    lists = load_release_lists(realdata / "releases")
    fake = FakeGitHub(copy.deepcopy(lists))
    with fake.serve() as base:
        os.environ["TRACKER_GITHUB_API_URL"] = base
        try:
            projects = [a for p in sorted(lists) for a in ("--project", p)]
            procs = [
                _tracker(postgres_url, "scan", *[a for p in ps for a in ("--from-dump", str(p))],
                         "--cluster", name)
                for name, ps in fleet_dumps.items()
            ] + [_tracker(postgres_url, "sync", *projects) for _ in range(2)]  # fmt: skip
            results = [(p.wait(TIMEOUT_SECONDS), p.communicate()[1]) for p in procs]
        finally:
            del os.environ["TRACKER_GITHUB_API_URL"]
    scans, syncs = results[:8], results[8:]
    assert [code for code, _ in scans] == [0] * 8, scans
    assert any(code == 0 for code, _ in syncs), syncs
    for code, err in syncs:  # a sync that met the other one says so, in one line
        assert code == 0 or "holds the 'sync' lock" in err, err
    _check_scans_only(postgres_url, fleet_dumps)
    with Store.open(postgres_url) as store:
        for project, items in lists.items():
            stored = [r.tag for r in store.releases(project)]
            # a first sync pages back only as far as the oldest running version needs
            assert stored, project
            assert len(stored) == len(set(stored)), project  # nothing duplicated
            assert set(stored) <= {i["tag_name"] for i in items}, project


def _check_scans_only(url: str, dumps: dict[str, list[Path]]) -> None:
    expected = _expected(dumps)
    with Store.open(url) as store:
        assert store.clusters() == sorted(dumps)
        got = {
            s.summary.name: (len(s.identification.components), len(s.identification.unidentified))
            for s in store.latest_scans()
        }
        assert got == expected
