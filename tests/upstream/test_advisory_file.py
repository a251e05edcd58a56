"""Advisory files (``tracker advisories import``): what a bad one says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.upstream.advisory_file import AdvisoryFileError, load_advisory_files


@pytest.mark.parametrize(
    ("record", "said"),
    [
        ({"x": 1}, "id is missing or not an advisory id"),
        ({"id": "GHSA-xxxx-xxxx-xxxx", "affected": 3}, "affected must be a list"),
    ],
)
def test_a_bad_record_names_its_file_once(tmp_path: Path, record: object, said: str) -> None:
    path = tmp_path / "r1.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(AdvisoryFileError) as info:
        load_advisory_files([path])
    assert said in info.value.message
    assert info.value.message.count(str(path)) == 1, info.value.message
    assert info.value.message.startswith(f"advisory file {path}: ")
