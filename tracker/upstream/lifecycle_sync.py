"""Sync support windows (endoflife.date) into the store; read the stored ``archived`` flags.

Stored as upstream documents (design.md §3, HELPERS2 conventions):

- kind ``cycles``: subject = endoflife.date product, key = cycle name, payload = the API's
  release object; key ``""`` = product metadata ``{label, labels, url, last_modified, etag}``.
- kind ``repository``: subject = ``owner/repo``, key ``""``, payload ``{archived, etag}``
  (written by the release source at sync).

One conditional request per product / repository; a ``304`` rewrites nothing but the fetch
time (``checked_at`` in the metadata). A failure is reported per subject and never deletes
what is stored: documents are replaced only after a complete, valid answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tracker.errors import TrackerError
from tracker.upstream.endoflife import (
    API_URL,
    EndOfLifeUnreachable,
    Product,
    fetch_product,
    parse_product,
)

if TYPE_CHECKING:
    import httpx

    from tracker.models import CatalogueEntry
    from tracker.store import Store

__all__ = [
    "LifecycleSyncSummary",
    "eol_products",
    "product_documents",
    "stored_archived",
    "stored_products",
    "sync_cycles",
]

CYCLES = "cycles"
REPOSITORY = "repository"


@dataclass
class LifecycleSyncSummary:
    """What a lifecycle sync did.

    Attributes:
        changed: subjects whose data changed (new answer stored).
        unchanged: subjects answered 304.
        renamed: old product -> new product (301 followed; stored under the new name).
        failed: subject -> one-line error (stored data kept).
        requests: request attempts made.
        unreachable: why the API could not be reached at all (the sync stopped), or None.
    """

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    unreachable: str | None = None


def eol_products(
    catalogue: Mapping[str, CatalogueEntry], distributions: Iterable[str] = ()
) -> list[str]:
    """The endoflife.date products to sync: every entry's ``eol_product``, ``kubernetes``,
    and the control-plane calendars of ``distributions`` (``eks`` -> ``amazon-eks``), sorted."""
    from tracker.evaluate.lifecycle import control_plane_product

    names = {e.eol_product for e in catalogue.values() if e.eol_product}
    names.add("kubernetes")
    names.update(control_plane_product(d) for d in distributions)
    return sorted(names)


def product_documents(data: Any, product: str, etag: str | None = None) -> dict[str, Any]:
    """An API answer as the ``cycles`` documents of ``product`` (validated first).

    Raises:
        EndOfLifeFormatError: the answer is not a product response.
    """
    parse_product(data, product=product)
    result = data.get("result", data)
    docs: dict[str, Any] = {
        str(item["name"]): item for item in result["releases"] if isinstance(item, Mapping)
    }
    docs[""] = {
        "label": result.get("label"),
        "labels": result.get("labels"),
        "url": f"{API_URL}/{product}",
        "last_modified": data.get("last_modified"),
        "etag": etag,
    }
    return docs


def _newest_first(name: str) -> tuple[tuple[int, ...], str]:
    parts = tuple(int(p) if p.isdigit() else -1 for p in name.split("."))
    return parts, name


def _envelope(docs: Mapping[str, Any]) -> dict[str, Any]:
    """Stored documents back as an API answer, cycles newest first (as upstream lists them)."""
    meta = docs.get("") or {}
    releases = [docs[k] for k in sorted((k for k in docs if k), key=_newest_first, reverse=True)]
    return {
        "last_modified": meta.get("last_modified"),
        "result": {"label": meta.get("label"), "labels": meta.get("labels"), "releases": releases},
    }


def stored_products(store: Store) -> dict[str, Product]:
    """Every stored product calendar, parsed: product -> :class:`Product`.

    A stored product that no longer parses is left out (the sync will replace it).
    """
    grouped: dict[str, dict[str, Any]] = {}
    for (subject, key), payload in store.documents(CYCLES).items():
        grouped.setdefault(subject, {})[key] = payload
    out: dict[str, Product] = {}
    for product, docs in grouped.items():
        try:
            out[product] = parse_product(_envelope(docs), product=product)
        except TrackerError:
            continue
    return out


def stored_envelopes(store: Store) -> dict[str, dict[str, Any]]:
    """Every stored product as an API-shaped answer ``{last_modified, result}`` (export)."""
    grouped: dict[str, dict[str, Any]] = {}
    for (subject, key), payload in store.documents(CYCLES).items():
        grouped.setdefault(subject, {})[key] = payload
    return {product: _envelope(docs) for product, docs in sorted(grouped.items())}


def stored_archived(store: Store) -> dict[str, bool]:
    """``owner/repo`` -> the repository's ``archived`` flag as last synced."""
    return {
        subject: bool(payload.get("archived"))
        for (subject, _key), payload in store.documents(REPOSITORY).items()
        if isinstance(payload, Mapping)
    }


def sync_cycles(
    store: Store,
    client: httpx.Client,
    products: Iterable[str],
    *,
    now: datetime,
    api_url: str = API_URL,
    timeout: float = 30.0,
    sleep: Callable[[float], None] | None = None,
) -> LifecycleSyncSummary:
    """Fetch each product's calendar conditionally and store it as ``cycles`` documents.

    A rename (301) stores the data under the new product name and records
    ``summary.renamed[old] = new``; the old name's data stays until a catalogue names the
    new one. Failures go to ``summary.failed`` and delete nothing.

    Raises:
        StoreError: the store cannot be written.
    """
    summary = LifecycleSyncSummary()
    wanted = list(products)
    for index, product in enumerate(wanted):
        stored = store.documents(CYCLES, product)
        meta = stored.get((product, ""))
        etag = meta.get("etag") if isinstance(meta, Mapping) else None
        try:
            fetched = fetch_product(
                client, product, api_url=api_url, etag=etag, timeout=timeout, sleep=sleep
            )
        except EndOfLifeUnreachable as exc:
            summary.failed.update((p, str(exc)) for p in wanted[index:])
            summary.unreachable = str(exc)
            break
        except TrackerError as exc:
            summary.failed[product] = str(exc)
            continue
        summary.requests += fetched.requests
        if fetched.name != product:
            summary.renamed[product] = fetched.name
        if fetched.unchanged:
            summary.unchanged.append(product)
            if isinstance(meta, Mapping):  # touch: the data is known current as of now
                store.put_documents(
                    CYCLES, product, {"": {**meta, "checked_at": now.isoformat()}}, fetched_at=now
                )
            continue
        docs = product_documents(fetched.data, fetched.name, fetched.etag)
        store.put_documents(CYCLES, fetched.name, docs, fetched_at=now, replace=True)
        summary.changed.append(fetched.name)
    return summary
