"""Properties of the release-file parser on untrusted input.

``parse_release_data`` on any JSON-like value raises only ``ReleaseFileError``; a file read
through :class:`tracker.inputfile.InputFile` (the release import's reader once wired, see
issue 13 §3) then parsed raises only ``ReleaseFileError`` whatever its bytes.

The module is being renamed (``catalogue_file`` -> ``release_file``): both names are tried.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.property.strategies import FILE_EXAMPLES, json_values
from tracker.errors import ReleaseFileError
from tracker.inputfile import InputFile


def _release_module() -> ModuleType:
    for name in ("tracker.upstream.release_file", "tracker.upstream.catalogue_file"):
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError:
            continue
    raise AssertionError("no release file module (tracker.upstream.release_file)")


release_file = _release_module()

_timestamps = st.one_of(
    st.none(),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.builds(
        lambda y, mo, d, h, mi, s, tz: f"{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{tz}",
        *(st.integers(0, n) for n in (9999, 13, 32, 25, 61, 61)),
        st.sampled_from(["Z", "+00:00", "-05:00", "+14:00", "+99:99", ""]),
    ),
    st.text(max_size=25),
)
_release = st.fixed_dictionaries(
    {},
    optional={
        "tag_name": st.one_of(st.text(max_size=20), json_values),
        "name": st.one_of(st.none(), st.text(max_size=20), json_values),
        "draft": st.one_of(st.booleans(), json_values),
        "prerelease": st.one_of(st.booleans(), json_values),
        "published_at": st.one_of(_timestamps, json_values),
        "html_url": st.one_of(st.none(), st.text(max_size=20)),
    },
)
_part = st.text(alphabet="abcz019_.-", min_size=1, max_size=8)
_projects = st.one_of(st.builds(lambda a, b: f"{a}/{b}", _part, _part), st.text(max_size=12))
release_files = st.one_of(
    st.lists(st.one_of(_release, json_values), max_size=4),
    st.dictionaries(_projects, st.one_of(st.lists(_release, max_size=3), json_values), max_size=3),
    json_values,
)


def _parse(data: Any, project: str | None) -> None:
    try:
        loaded = release_file.parse_release_data(data, source="f.json", project=project)
    except ReleaseFileError as exc:
        assert "\n" not in str(exc) and exc.message.startswith("f.json")
        return
    for name, releases in loaded.releases.items():
        assert all(r.project == name and r.tag.strip() for r in releases)
        assert all(r.published_at is None or r.published_at.tzinfo for r in releases)


@given(release_files, st.one_of(st.none(), _projects))
@example([{"tag_name": "v1", "published_at": "9999-12-31T23:59:59-05:00"}], "a/b")
@example([{"tag_name": "v1", "published_at": "2024-02-30T00:00:00Z"}], "a/b")
@example([{"tag_name": "v1", "published_at": "2024-01-01T00:00:00+99:00"}], "a/b")
@example({"\n": [], "0/00": [], "0/000": []}, "0/0")  # a key with a newline in the hint
def test_parse_release_data_raises_only_release_file_error(data: Any, project: str | None) -> None:
    _parse(data, project)


def _load(path: Path, project: str | None) -> None:
    source = InputFile(path, what="release file", error=ReleaseFileError, hint="see README")
    try:
        data = source.load_json()
    except ReleaseFileError as exc:
        assert "\n" not in str(exc) and exc.message.startswith(f"release file {path}")
        return
    _parse(data, project)


@settings(max_examples=FILE_EXAMPLES)
@given(st.binary(max_size=200))
@example(b"[" * 100_000)
@example(b"[" + b"1" * 100_000 + b"]")
@example(b'["\xff"]')
def test_release_bytes_through_inputfile(tmp_path_factory: Any, data: bytes) -> None:
    path = tmp_path_factory.mktemp("rel") / "releases.json"
    path.write_bytes(data)
    _load(path, "a/b")


@settings(max_examples=FILE_EXAMPLES)
@given(release_files, st.data())
def test_corrupted_release_file(tmp_path_factory: Any, doc: Any, data: st.DataObject) -> None:
    text = bytearray(json.dumps(doc).encode())
    at = data.draw(st.integers(min_value=0, max_value=len(text) - 1))
    text[at] = data.draw(st.integers(min_value=0, max_value=255))
    path = tmp_path_factory.mktemp("rel") / "releases.json"
    path.write_bytes(bytes(text))
    _load(path, None)


@pytest.mark.parametrize("data", [b'["\xff"]', b"[" * 100_000 + b"]" * 100_000])
def test_load_release_file_on_hostile_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "releases.json"
    path.write_bytes(data)
    with pytest.raises(ReleaseFileError):
        release_file.load_release_file(path, project="a/b")
