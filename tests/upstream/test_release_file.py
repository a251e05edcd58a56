"""Release import/export files (design.md §3) with every real release list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.errors import ReleaseFileError
from tracker.upstream.release_file import (
    dumps_releases,
    export_release_file,
    load_release_file,
)

FILES = [
    "cert-manager__cert-manager.json",
    "grafana__grafana.json",
    "istio__istio.json",
    "kubernetes__kubernetes.json",
    "prometheus__prometheus.json",
]


@pytest.mark.parametrize("name", FILES)
def test_every_real_list_imports_as_array_with_project(realdata: Path, name: str) -> None:
    path = realdata / "releases" / name
    project = Path(name).stem.replace("__", "/")
    items = json.loads(path.read_text())
    loaded = load_release_file(path, project=project)
    assert list(loaded.releases) == [project]
    releases = loaded.releases[project]
    assert len(releases) == len(items) == loaded.count
    assert [r.tag for r in releases] == [i["tag_name"] for i in items]
    assert all(
        r.published_at is not None and r.published_at.utcoffset() is not None for r in releases
    )
    if project == "kubernetes/kubernetes":
        assert all(r.url is None for r in releases)  # filtered upstream: no html_url
    else:
        assert all(r.url and r.url.startswith("https://github.com/") for r in releases)


def test_export_then_import_round_trips(realdata: Path, tmp_path: Path) -> None:
    releases = {}
    for name in FILES:
        project = Path(name).stem.replace("__", "/")
        releases.update(load_release_file(realdata / "releases" / name, project).releases)
    out = tmp_path / "releases.json"
    written = export_release_file(out, releases)
    assert written == sum(len(v) for v in releases.values())
    data = json.loads(out.read_text())
    assert isinstance(data, dict) and sorted(data) == sorted(releases)
    back = load_release_file(out)
    for project, stored in releases.items():
        assert set(back.releases[project]) == set(stored)
    only = load_release_file(out, project="istio/istio")
    assert list(only.releases) == ["istio/istio"]


def test_export_sorts_newest_first_and_writes_utc() -> None:
    from tracker.upstream.release_file import parse_release_data

    rf = parse_release_data(
        [
            {"tag_name": "v1", "published_at": "2024-01-01T00:00:00+02:00"},
            {"tag_name": "v2", "published_at": "2024-02-01T00:00:00Z"},
            {"tag_name": "v0", "published_at": None},
        ],
        source="x.json",
        project="a/b",
    )
    data = json.loads(dumps_releases(rf.releases))
    assert [i["tag_name"] for i in data["a/b"]] == ["v2", "v1", "v0"]
    assert data["a/b"][1]["published_at"] == "2023-12-31T22:00:00Z"


def test_drafts_are_dropped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"a/b": [{"tag_name": "v1", "draft": True}, {"tag_name": "v2"}]}))
    loaded = load_release_file(path)
    assert loaded.drafts == 1 and [r.tag for r in loaded.releases["a/b"]] == ["v2"]


@pytest.mark.parametrize(
    ("content", "project", "message"),
    [
        ('[{"tag_name": "v1"}]', None, r"plain list of releases, so it needs a project"),
        ('{"a/b": [{"tag_name": "v1"}, {"name": "x"}]}', None, r"a/b item 1: field 'tag_name'"),
        (
            '{"a/b": [{"tag_name": "v1", "published_at": "soon"}]}',
            None,
            r"a/b item 0: field 'published_at'",
        ),
        (  # valid RFC 3339, but past year 9999 once converted to UTC (OverflowError)
            '{"a/b": [{"tag_name": "v0"}, '
            '{"tag_name": "v1", "published_at": "9999-12-31T23:59:59-05:00"}]}',
            None,
            r"a/b item 1: field 'published_at' is out of range",
        ),
        (
            '[{"tag_name": "v1", "published_at": "0001-01-01T00:00:00+05:00"}]',
            "a/b",
            r"a/b item 0: field 'published_at' is out of range",
        ),
        ('{"a/b": [{"tag_name": "v1", "prerelease": "yes"}]}', None, r"item 0: field 'prerelease'"),
        ('{"a/b": {"tag_name": "v1"}}', None, r"a/b: expected a list of releases"),
        ('{"not-a-project": []}', None, r"key 'not-a-project' is not an owner/repo"),
        ('"hello"', None, r"expected a JSON array or object"),
        ('{"a/b": [}', None, r"invalid JSON at line 1"),
        ('{"a/b": []}', "c/d", r"project 'c/d' is not in the file"),
        ("[1]", "a/b", r"a/b item 0: expected a release object"),
    ],
)
def test_bad_files_give_one_line_errors(
    tmp_path: Path, content: str, project: str | None, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ReleaseFileError, match=message) as info:
        load_release_file(path, project=project)
    assert str(path) in info.value.message and "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReleaseFileError, match="not found"):
        load_release_file(tmp_path / "nope.json", project="a/b")


def test_import_and_export_through_a_store(realdata: Path, tmp_path: Path) -> None:
    from tests.upstream.fake_store import FakeStore
    from tracker.upstream.release_file import export_releases, import_releases

    store = FakeStore()
    counts = import_releases(store, realdata / "releases" / "istio__istio.json", "istio/istio")
    assert counts == {"istio/istio": 456}
    assert import_releases(store, realdata / "releases" / "istio__istio.json", "istio/istio") == {
        "istio/istio": 0
    }
    out = tmp_path / "export.json"
    assert export_releases(store, out) == 456
    other = FakeStore()
    assert import_releases(other, out) == {"istio/istio": 456}
    assert other.snapshot() == store.snapshot()
