"""tracker.inputfile beyond dumps: the release import's use, sizes on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.errors import ConfigError, ReleaseFileError
from tracker.inputfile import DEFAULT_MAX_SIZE, InputFile, format_size, parse_size


def _release_file(path: Path, max_size: int = DEFAULT_MAX_SIZE) -> InputFile:
    return InputFile(
        path, what="release file", error=ReleaseFileError, hint="see README", max_size=max_size
    )


def test_release_file_errors_are_release_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(b'[{"tag_name": "v1"}]')
    assert _release_file(path).load_json() == [{"tag_name": "v1"}]
    path.write_bytes(b"[" * 100_000)
    with pytest.raises(ReleaseFileError) as info:
        _release_file(path).load_json()
    assert info.value.message == (
        f"release file {path}: invalid JSON at line 1 column 1026: nested more than 1024 "
        "levels deep"
    )
    assert info.value.hint == "see README"
    with pytest.raises(ReleaseFileError, match=r"is 97.7 KiB, over the limit of 1000 bytes"):
        _release_file(path, max_size=1000).load_json()
    with pytest.raises(ReleaseFileError, match=r"release file .*nope.json not found"):
        _release_file(tmp_path / "nope.json").load_json()


def test_json_decoding_rules(tmp_path: Path) -> None:
    source = _release_file(tmp_path / "r.json")
    assert source.parse_json(b'\xef\xbb\xbf{"a": 1, "a": 2}') == {"a": 2}
    assert source.parse_json(b"[18446744073709551616]") == [1.8446744073709552e19]
    with pytest.raises(ReleaseFileError, match=r"not UTF-8 text \(byte 2: invalid start byte\)"):
        source.parse_json(b'["\xff"]')
    with pytest.raises(ReleaseFileError, match="unexpected content after document"):
        source.parse_json(b"[] []")


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1048576", 1 << 20),
        ("2GiB", 2 << 30),
        ("500M", 500 << 20),
        ("1.5k", 1536),
        ("3 gb", 3 << 30),
    ],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "-1", "1e9", "big", "9" * 400, "2 GiB of it"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(ConfigError, match=r"^--max-dump-size '.*' is not a size"):
        parse_size(text)


def test_format_size() -> None:
    assert [format_size(n) for n in (0, 1023, 1024, 46_200_000, 3 << 40, 5 << 50)] == [
        "0 bytes",
        "1023 bytes",
        "1 KiB",
        "44.1 MiB",
        "3 TiB",
        "5120 TiB",
    ]
