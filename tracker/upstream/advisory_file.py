"""Advisory import/export files (OSV JSON), to move advisory data into an air-gapped install.

``tracker advisories import`` reads OSV records (ossf/osv-schema ``docs/schema.md``): one
record per file (as the public advisory databases and golang/vulndb publish them) or a JSON array
of records (what ``export`` writes); a directory is read recursively (``*.json``). Every file
goes through :class:`tracker.inputfile.InputFile` (size limit, regular files only, one-line
errors) and every record through :func:`tracker.upstream.osv.parse_osv` before anything is
stored, so a bad file stores nothing.

Storage (kind ``advisories``): subject = package key ``go:k8s.io/ingress-nginx`` (lower-case
``ecosystem:name``), key = the advisory id, payload = the OSV record as read. A record naming
several packages is stored under each.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from tracker.errors import ReleaseFileError
from tracker.evaluate.advisories import package_key
from tracker.inputfile import InputFile
from tracker.upstream.osv import Advisory, AdvisoryFormatError, parse_osv

__all__ = [
    "ADVISORIES_KIND",
    "AdvisoryDocumentStore",
    "AdvisoryFile",
    "AdvisoryFileError",
    "by_package",
    "export_advisories",
    "import_advisories",
    "load_advisory_files",
]

ADVISORIES_KIND = "advisories"
_HINT = "give OSV JSON files (one record, or an array of records), or directories of them"
MAX_FILE_SIZE = 64 * 1024 * 1024
"""Bytes one advisory file may hold (a full export of thousands of records fits)."""
MAX_PACKAGE_KEY = 255
"""Longest package key stored (the store's ``subject`` column)."""
MAX_FILES = 100_000
"""Files one import may read from directories (a bound, not a guess at real sizes)."""


class AdvisoryFileError(ReleaseFileError):
    """An advisory import/export file that cannot be read or written (names it)."""


class AdvisoryDocumentStore(Protocol):
    """The part of :class:`~tracker.store.Store` advisories need."""

    def put_documents(
        self,
        kind: str,
        subject: str,
        documents: dict[str, Any],
        *,
        fetched_at: datetime,
        replace: bool = False,
    ) -> int:
        """Store documents; return how many were new or changed."""
        ...

    def documents(self, kind: str, subject: str | None = None) -> dict[tuple[str, str], Any]:
        """Stored documents of ``kind``: (subject, key) -> payload."""
        ...


@dataclass(frozen=True)
class AdvisoryFile:
    """What the import files hold.

    Attributes:
        records: (advisory, raw OSV record) in file order; the last copy of an id wins.
        files: how many files were read.
    """

    records: tuple[tuple[Advisory, dict[str, Any]], ...]
    files: int


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.json") if p.is_file())
            if not found:
                raise AdvisoryFileError(f"advisory directory {path}: no *.json file in it", _HINT)
            out += found
        else:
            out.append(path)
        if len(out) > MAX_FILES:
            raise AdvisoryFileError(
                f"advisory import: more than {MAX_FILES} files", "import them in parts"
            )
    return out


def load_advisory_files(paths: Sequence[Path]) -> AdvisoryFile:
    """Read and validate OSV files and directories (nothing is stored).

    Raises:
        AdvisoryFileError: a path is missing, not a regular file, too large, not JSON, or a
            record is not valid OSV (one line naming the file, record and field).
    """
    if not paths:
        raise AdvisoryFileError("advisory import: no file or directory given", _HINT)
    by_id: dict[str, tuple[Advisory, dict[str, Any]]] = {}
    files = _files(paths)
    for path in files:
        source = InputFile(
            path, what="advisory file", error=AdvisoryFileError, hint=_HINT, max_size=MAX_FILE_SIZE
        )
        data = source.parse_json(source.read_bytes())
        items = data if isinstance(data, list) else [data]
        for i, item in enumerate(items):
            where = f"{path}[{i}]" if isinstance(data, list) else str(path)
            try:
                advisory = parse_osv(item, source=where)
            except AdvisoryFormatError as exc:
                said = exc.message.removeprefix(f"{where}: ")  # parse_osv may name it too
                raise AdvisoryFileError(f"advisory file {where}: {said}", _HINT) from None
            by_id[advisory.id] = (advisory, item)
    return AdvisoryFile(tuple(by_id.values()), len(files))


def by_package(
    records: Iterable[tuple[Advisory, Mapping[str, Any]]],
) -> dict[str, dict[str, Any]]:
    """Package key -> {advisory id: record}: each record under every package it names.

    A package key longer than the store's subject (255 characters) names no catalogued
    package and is left out.
    """
    out: dict[str, dict[str, Any]] = {}
    for advisory, raw in records:
        for affected in advisory.affected:
            key = package_key(affected.ecosystem, affected.name)
            if len(key) <= MAX_PACKAGE_KEY:
                out.setdefault(key, {})[advisory.id] = raw
    return out


def import_advisories(
    store: AdvisoryDocumentStore, paths: Sequence[Path], *, now: datetime | None = None
) -> tuple[int, int]:
    """Validate every file, then store each record under every package it names.

    Returns:
        (records read, records new or changed in the store, counted per package).

    Raises:
        AdvisoryFileError: see :func:`load_advisory_files` (then nothing is stored).
        StoreError: the store cannot be written.
    """
    loaded = load_advisory_files(paths)
    when = now or datetime.now(UTC)
    changed = 0
    for package, documents in sorted(by_package(loaded.records).items()):
        changed += store.put_documents(ADVISORIES_KIND, package, documents, fetched_at=when)
    return len(loaded.records), changed


def export_advisories(store: AdvisoryDocumentStore, path: Path) -> int:
    """Write every stored advisory, once each, as a JSON array of OSV records (by id).

    Returns:
        how many records were written.

    Raises:
        AdvisoryFileError: the file cannot be written.
    """
    records: dict[str, Any] = {}
    for (_, key), payload in store.documents(ADVISORIES_KIND).items():
        records.setdefault(key, payload)
    text = json.dumps([records[k] for k in sorted(records)], indent=2, ensure_ascii=True) + "\n"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise AdvisoryFileError(
            f"advisory export file {path}: cannot write it ({exc.strerror or exc})",
            "check the directory exists and is writable",
        ) from None
    return len(records)
