"""Sync security advisories from GitHub's REST global advisories, package by package.

``GET /advisories?affects=<package>&ecosystem=go&per_page=100`` for every package a catalogue
entry names (``advisory_packages``), through :class:`~tracker.upstream.github.client.GitHubClient`
(retries, rate limits, ``Link`` paging, the token only to the API origin, whole-request
deadlines). Incremental: the first page's ``ETag`` is stored per package and token (kind
``advisories-sync``) and sent back as ``If-None-Match``; a ``304`` stores nothing and costs
no rate limit. Each item is converted to OSV (:func:`advisory_to_osv`), validated
(:func:`parse_osv`) and stored under every package it names (kind ``advisories``), never
replacing: a failed or partial sync never deletes stored advisories, and imported records
(Go vulnerability database ``GO-...``) under the same package stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from tracker.errors import RateLimitError, UpstreamError
from tracker.upstream.advisory_file import ADVISORIES_KIND, AdvisoryDocumentStore, by_package
from tracker.upstream.forge import MAX_PAGES, Run
from tracker.upstream.github.advisories import advisory_to_osv
from tracker.upstream.github.client import GitHubClient, token_key
from tracker.upstream.osv import Advisory, AdvisoryFormatError, parse_osv

__all__ = [
    "SYNC_KIND",
    "AdvisorySyncSummary",
    "PackageResult",
    "advisory_packages",
    "fetch_package",
    "sync_advisories",
]

SYNC_KIND = "advisories-sync"
"""Store kind of the per-package sync state: subject = package key, key = token key,
payload = ``{"etag": str | None}``."""


@dataclass(frozen=True)
class PackageResult:
    """One package's sync.

    Attributes:
        package: the package key (``go:k8s.io/ingress-nginx``).
        status: ``updated``, ``not-modified`` or ``failed``.
        advisories: advisories read (0 when not modified or failed).
        stored: package entries new or changed in the store.
        error: the one-line reason when failed.
        requests: request attempts made.
    """

    package: str
    status: str
    advisories: int = 0
    stored: int = 0
    error: str | None = None
    requests: int = 0


@dataclass
class AdvisorySyncSummary:
    """Every package's result; ``ok`` when none failed."""

    results: list[PackageResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no package failed."""
        return all(r.status != "failed" for r in self.results)

    def one_line(self) -> str:
        """``advisories: 12 packages, 3 updated (40 advisories), 9 not modified, 0 failed``."""
        count = {s: sum(r.status == s for r in self.results) for s in ("updated", "not-modified")}
        read = sum(r.advisories for r in self.results)
        failed = sum(r.status == "failed" for r in self.results)
        return (
            f"advisories: {len(self.results)} packages, {count['updated']} updated "
            f"({read} advisories), {count['not-modified']} not modified, {failed} failed"
        )


def advisory_packages(packages: Sequence[str]) -> list[str]:
    """The distinct package keys, sorted (catalogue entries share packages)."""
    return sorted({p.lower() for p in packages})


@dataclass(frozen=True)
class _Fetched:
    items: list[dict[str, Any]]
    etag: str | None
    not_modified: bool
    complete: bool
    requests: int
    warnings: tuple[str, ...]


def fetch_package(client: GitHubClient, package: str, etag: str | None) -> _Fetched:
    """GET every page of the global advisories affecting ``package`` (``ecosystem:name``).

    Raises:
        RateLimitError: the primary rate limit ran out on the first page.
        UpstreamError: GitHub answered an error (after retries), or not a JSON array.
    """
    ecosystem, _, name = package.partition(":")
    query = urlencode(
        {"affects": name, "ecosystem": ecosystem, "type": "reviewed", "per_page": client.per_page}
    )
    run = Run(package)
    first = client.get(run, f"{client.api_url}/advisories?{query}", etag=etag)
    client.check_status(run, first)
    if first.status_code == 304:
        return _Fetched([], etag, True, True, run.requests, ())
    items: list[dict[str, Any]] = []
    response = first
    seen: set[Any] = set()
    pages = 0
    complete = False
    while True:
        pages += 1
        items += [i for i in client.json_list(run, response) if isinstance(i, dict)]
        link = response.links.get("next", {}).get("url")
        if not link:
            complete = True
            break
        if pages >= MAX_PAGES:
            run.warnings.append(f"{package}: stopped after {MAX_PAGES} pages")
            break
        following = client.follow(run, str(response.url.join(link)), seen, pages)
        if following is None:
            break
        response = following
    warnings = (*run.warnings, *([run.interrupted] if run.interrupted else []))
    # an incomplete listing keeps no ETag: the next sync reads it all again
    new_etag = first.headers.get("etag") if complete else None
    return _Fetched(items, new_etag, False, complete, run.requests, tuple(warnings))


def sync_advisories(
    store: AdvisoryDocumentStore,
    client: GitHubClient,
    packages: Sequence[str],
    *,
    token: str | None = None,
    now: datetime | None = None,
) -> AdvisorySyncSummary:
    """Sync the advisories of ``packages`` into ``store`` (sequentially; one line per failure).

    A package that fails is reported and the others go on, except when the primary rate
    limit runs out: the remaining packages are then reported failed without a request.
    Nothing stored is ever deleted.
    """
    when = now or datetime.now(UTC)
    key = token_key(token)
    summary = AdvisorySyncSummary()
    states = store.documents(SYNC_KIND)
    halted: str | None = None
    for package in advisory_packages(packages):
        if halted is not None:
            summary.results.append(PackageResult(package, "failed", error=halted))
            continue
        state = states.get((package, key))
        etag = state.get("etag") if isinstance(state, dict) else None
        try:
            fetched = fetch_package(client, package, etag if isinstance(etag, str) else None)
        except RateLimitError as exc:
            halted = exc.message
            summary.results.append(PackageResult(package, "failed", error=exc.message))
            continue
        except UpstreamError as exc:
            summary.results.append(PackageResult(package, "failed", error=exc.message))
            continue
        summary.warnings += fetched.warnings
        if fetched.not_modified:
            summary.results.append(
                PackageResult(package, "not-modified", requests=fetched.requests)
            )
            continue
        records: list[tuple[Advisory, dict[str, Any]]] = []
        for item in fetched.items:
            try:
                raw = advisory_to_osv(item)
                records.append((parse_osv(raw, source=f"GitHub advisory for {package}"), raw))
            except (ValueError, AdvisoryFormatError) as exc:
                summary.warnings.append(f"{package}: advisory left out: {str(exc)[:200]}")
        stored = 0
        for subject, documents in sorted(by_package(records).items()):
            stored += store.put_documents(ADVISORIES_KIND, subject, documents, fetched_at=when)
        if fetched.etag is not None:
            store.put_documents(SYNC_KIND, package, {key: {"etag": fetched.etag}}, fetched_at=when)
        summary.results.append(
            PackageResult(package, "updated", len(records), stored, requests=fetched.requests)
        )
    return summary
