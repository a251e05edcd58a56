"""Advisory sync against the fake GitHub REST ``/advisories`` endpoint, into a real store.

The REST items are built from the real GHSA records of tests/data/realdata/advisories
(GitHub publishes the same advisory both ways; API-SHAPES.md lists the REST fields).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.github_api import FakeGitHub, Fault
from tracker.evaluate.vulnerable import index_from_documents
from tracker.store import Store
from tracker.upstream.github.advisories import advisory_to_osv
from tracker.upstream.github.advisory_sync import SYNC_KIND, sync_advisories
from tracker.upstream.github.client import GitHubClient, token_key
from tracker.upstream.osv import parse_osv
from tracker.versions import ParsedVersion, parse_version

API = "https://api.github.test"
NOW = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)
INGRESS = "go:k8s.io/ingress-nginx"
KUBE = "go:k8s.io/kubernetes"


def rest_item(osv: dict[str, Any]) -> dict[str, Any]:
    """A REST global advisory with the facts of one real GHSA OSV record."""
    vulns = []
    for affected in osv["affected"]:
        for r in affected.get("ranges", []):
            events = r["events"]
            low = next(e["introduced"] for e in events if "introduced" in e)
            fixed = next((e["fixed"] for e in events if "fixed" in e), None)
            last = next((e["last_affected"] for e in events if "last_affected" in e), None)
            parts = [] if low == "0" else [f">= {low}"]
            parts += [f"< {fixed}"] if fixed else [f"<= {last}"] if last else []
            vulns.append(
                {
                    "package": {"ecosystem": "go", "name": affected["package"]["name"]},
                    "vulnerable_version_range": ", ".join(parts),
                    "first_patched_version": fixed,
                    "vulnerable_functions": [],
                }
            )
    severity = osv["database_specific"]["severity"].lower().replace("moderate", "medium")
    vector = next((s["score"] for s in osv.get("severity", [])), None)
    return {
        "ghsa_id": osv["id"],
        "cve_id": next((a for a in osv.get("aliases", []) if a.startswith("CVE-")), None),
        "url": f"https://api.github.com/advisories/{osv['id']}",
        "html_url": f"https://github.com/advisories/{osv['id']}",
        "summary": osv.get("summary", ""),
        "type": "reviewed",
        "severity": severity,
        "identifiers": [{"type": "GHSA", "value": osv["id"]}],
        "references": [],
        "published_at": osv["published"],
        "updated_at": osv["modified"],
        "withdrawn_at": osv.get("withdrawn"),
        "vulnerabilities": vulns,
        "cvss": {"vector_string": vector, "score": 8.8} if vector else None,
    }


@pytest.fixture(scope="module")
def items(realdata: Path) -> list[dict[str, Any]]:
    base = realdata / "advisories"
    return [rest_item(json.loads(p.read_text())) for p in sorted(base.glob("GHSA-*.json"))]


@pytest.fixture
def fake(items: list[dict[str, Any]]) -> FakeGitHub:
    fake = FakeGitHub()
    fake.advisories = [dict(i) for i in items]
    return fake


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'a.db'}") as s:
        yield s


def client(
    fake: FakeGitHub, per_page: int = 100, sleeps: list[float] | None = None
) -> GitHubClient:
    http = httpx.Client(transport=fake.mock_transport(API))
    return GitHubClient(
        http,
        API,
        "ghp_test",
        per_page=per_page,
        sleep=(sleeps if sleeps is not None else []).append,
    )


def v(raw: str) -> ParsedVersion:
    parsed = parse_version(raw)
    assert isinstance(parsed, ParsedVersion)
    return parsed


def test_rest_item_converts_to_the_same_ranges(realdata: Path) -> None:
    osv = json.loads((realdata / "advisories" / "GHSA-xc8m-28vv-4pjc.json").read_text())
    converted = parse_osv(advisory_to_osv(rest_item(osv)), source="rest")
    original = parse_osv(osv, source="file")
    assert converted.id == original.id and converted.aliases == ("CVE-2023-2431",)
    assert converted.severity == "moderate"  # REST medium
    assert converted.url == "https://github.com/advisories/GHSA-xc8m-28vv-4pjc"
    assert {r.events for a in converted.affected for r in a.ranges} == {
        r.events for a in original.affected for r in a.ranges
    }


def test_unreadable_range_is_kept_and_reported() -> None:
    item = {
        "ghsa_id": "GHSA-aaaa-bbbb-cccc",
        "severity": "high",
        "vulnerabilities": [
            {
                "package": {"ecosystem": "go", "name": "k8s.io/x"},
                "vulnerable_version_range": "> 1.0",
            }
        ],
    }
    from tracker.evaluate.advisories import AdvisoryIndex

    index = AdvisoryIndex([parse_osv(advisory_to_osv(item), source="rest")])
    result = index.match(["go:k8s.io/x"], v("1.2.0"))
    assert result.matches == ()
    (problem,) = result.unreadable
    assert problem.advisory_id == "GHSA-aaaa-bbbb-cccc" and "> 1.0" in problem.reason


def test_cold_sync_then_304_costs_nothing(fake: FakeGitHub, store: Store) -> None:
    summary = sync_advisories(
        store, client(fake), [INGRESS, KUBE, INGRESS], token="ghp_test", now=NOW
    )
    assert summary.ok, summary.results
    assert [r.package for r in summary.results] == [INGRESS, KUBE]
    assert {r.package: r.advisories for r in summary.results} == {INGRESS: 5, KUBE: 5}
    docs = store.documents("advisories")
    assert {k for (s, k) in docs if s == INGRESS} == {
        "GHSA-pvmg-xgmx-9mxh",
        "GHSA-863x-868h-968x",
        "GHSA-fp9f-44c2-cw27",
        "GHSA-gvrm-w2f9-f77q",
        "GHSA-5wj4-wffq-3378",
    }
    assert (INGRESS, token_key("ghp_test")) in store.documents(SYNC_KIND)
    assert "affects" in fake.log[0].query and fake.log[0].query["ecosystem"] == "go"
    assert fake.log[0].headers["authorization"] == "Bearer ghp_test"

    before = fake.remaining
    again = sync_advisories(store, client(fake), [INGRESS, KUBE], token="ghp_test", now=NOW)
    assert [r.status for r in again.results] == ["not-modified", "not-modified"]
    assert fake.remaining == before  # a 304 does not count
    assert fake.log[-1].headers["if-none-match"]

    index, bad = index_from_documents(store.documents("advisories"))
    assert bad == 0
    hits = {m.advisory.id for m in index.match([INGRESS], v("1.8.5")).matches}
    assert hits == {"GHSA-fp9f-44c2-cw27", "GHSA-5wj4-wffq-3378"}  # fixed in 1.9.0


def test_paging_reads_every_page_and_keeps_the_filter(fake: FakeGitHub, store: Store) -> None:
    summary = sync_advisories(store, client(fake, per_page=2), [INGRESS], now=NOW)
    assert summary.results[0].advisories == 5 and summary.results[0].requests == 3
    assert all(s.query.get("affects") == "k8s.io/ingress-nginx" for s in fake.log)


def test_new_advisory_after_304(
    fake: FakeGitHub, store: Store, items: list[dict[str, Any]]
) -> None:
    sync_advisories(store, client(fake), [INGRESS], now=NOW)
    new = dict(items[0], ghsa_id="GHSA-mgvx-rpfc-9mpv", cve_id="CVE-2025-1974", severity="critical")
    new["vulnerabilities"] = [
        {
            "package": {"ecosystem": "go", "name": "k8s.io/ingress-nginx"},
            "vulnerable_version_range": "< 1.11.5",
            "first_patched_version": "1.11.5",
        },
        {
            "package": {"ecosystem": "go", "name": "k8s.io/ingress-nginx"},
            "vulnerable_version_range": ">= 1.12.0-beta.0, < 1.12.1",
            "first_patched_version": "1.12.1",
        },
    ]
    fake.advisories.insert(0, new)
    summary = sync_advisories(store, client(fake), [INGRESS], now=NOW)
    assert summary.results[0].status == "updated"
    index, _ = index_from_documents(store.documents("advisories"))
    (match, *_) = index.match([INGRESS], v("v1.11.3-eks-a1b2c3")).matches
    assert match.advisory.id == "GHSA-mgvx-rpfc-9mpv" and match.advisory.severity == "critical"
    assert match.nearest_fix == "1.11.5" and match.fixed_in == ("1.11.5", "1.12.1")


@pytest.mark.parametrize("fault", [Fault("502"), Fault("429", retry_after=1)])
def test_failures_never_delete(fake: FakeGitHub, store: Store, fault: Fault) -> None:
    sync_advisories(store, client(fake), [INGRESS, KUBE], now=NOW)
    stored = store.documents("advisories")
    fake.fail("advisories", fault)
    sleeps: list[float] = []
    summary = sync_advisories(store, client(fake, sleeps=sleeps), [INGRESS, KUBE], now=NOW)
    assert not summary.ok
    assert all(r.status == "failed" and r.error for r in summary.results)
    assert store.documents("advisories") == stored
    if fault.kind == "429":
        assert 1.0 in sleeps  # Retry-After honoured between attempts


def test_rate_limit_stops_the_sync_and_keeps_data(fake: FakeGitHub, store: Store) -> None:
    sync_advisories(store, client(fake), [INGRESS], now=NOW)
    stored = store.documents("advisories")
    fake.exhaust(0)
    summary = sync_advisories(store, client(fake), [KUBE, INGRESS, "go:istio.io/istio"], now=NOW)
    assert [r.status for r in summary.results] == ["failed"] * 3
    assert "rate limit" in (summary.results[0].error or "")
    # the first failure halts the sync: no request for the others
    assert len([s for s in fake.log if s.path == "/advisories"]) == 2  # 1 cold + 1 refused
    assert store.documents("advisories") == stored


def test_withdrawn_advisory_matches_nothing(fake: FakeGitHub, store: Store) -> None:
    for item in fake.advisories:
        if item["ghsa_id"] == "GHSA-fp9f-44c2-cw27":
            item["withdrawn_at"] = "2024-01-01T00:00:00Z"
    sync_advisories(store, client(fake), [INGRESS], now=NOW)
    index, _ = index_from_documents(store.documents("advisories"))
    hits = {m.advisory.id for m in index.match([INGRESS], v("1.8.5")).matches}
    assert hits == {"GHSA-5wj4-wffq-3378"}
