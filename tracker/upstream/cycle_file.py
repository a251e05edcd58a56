"""Support windows in and out of a file, for air-gapped installs.

Format (JSON): ``{product: api-response}``, where each value is the answer of
``GET /api/v1/products/{product}`` (the ``{last_modified, result: {label, labels,
releases}}`` envelope; the bundled demo snapshot and ``tests/data/realdata/eol`` have this
shape). ``export`` writes what the store holds; ``import`` validates every product first and
stores nothing when one is malformed.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.errors import TrackerError
from tracker.upstream.lifecycle_sync import CYCLES, product_documents, stored_envelopes

if TYPE_CHECKING:
    from tracker.store import Store

__all__ = ["CycleFileError", "export_cycles", "import_cycles", "read_cycle_file"]

MAX_BYTES = 64 * 1024 * 1024
"""The largest cycles file read (64 MiB)."""


class CycleFileError(TrackerError):
    """A cycles file that cannot be read or written (names the file and the product)."""


def read_cycle_file(path: Path) -> dict[str, dict[str, Any]]:
    """Read and validate a cycles file: product -> its ``cycles`` documents.

    Raises:
        CycleFileError: missing, unreadable, too large, not JSON, not an object, or a
            product whose answer is malformed (names the file and the product).
    """
    from tracker.untrusted_json import parse_json

    hint = (
        'the file is one object {"product": endoflife.date API answer, ...}, as `tracker '
        "lifecycle export FILE` writes it (a single API answer must go under its product id)"
    )
    try:
        with path.open("rb") as handle:
            body = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise CycleFileError(f"{path}: cannot read: {exc.strerror}", hint) from None
    if len(body) > MAX_BYTES:
        raise CycleFileError(f"{path}: larger than {MAX_BYTES} bytes", hint)
    try:
        data = parse_json(body)
    except ValueError as exc:
        raise CycleFileError(f"{path}: {exc}", hint) from None
    if not isinstance(data, dict):
        raise CycleFileError(f"{path}: expected an object {{product: api-response}}", hint)
    out: dict[str, dict[str, Any]] = {}
    for product, answer in data.items():
        try:
            out[product] = product_documents(answer, str(product))
        except TrackerError as exc:
            raise CycleFileError(f"{path}: {exc.message}", hint) from None
    return out


def import_cycles(store: Store, path: Path, *, now: datetime) -> dict[str, int]:
    """Store every product of the file (replacing what is stored for those products).

    Returns:
        product -> cycles new or changed.

    Raises:
        CycleFileError: see :func:`read_cycle_file` (nothing is stored then). StoreError.
    """
    products = read_cycle_file(path)
    return {
        product: store.put_documents(CYCLES, product, docs, fetched_at=now, replace=True)
        for product, docs in products.items()
    }


def export_cycles(store: Store, path: Path) -> int:
    """Write every stored product as ``{product: api-response}``; returns the product count.

    Raises:
        CycleFileError: the file cannot be written. StoreError.
    """
    envelopes = stored_envelopes(store)
    try:
        path.write_text(json.dumps(envelopes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CycleFileError(f"{path}: cannot write: {exc.strerror}", "check the path") from None
    return len(envelopes)
