"""Support windows and the archived flag synced from fakes (tests/fakes/endoflife_api.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.fakes.endoflife_api import FakeEndOfLife, load_products
from tracker.errors import UpstreamError
from tracker.identify.catalogue import load_catalogue
from tracker.store import Store
from tracker.upstream.cycle_file import CycleFileError, export_cycles, import_cycles
from tracker.upstream.endoflife import fetch_product
from tracker.upstream.github.repository import sync_archived
from tracker.upstream.lifecycle_sync import (
    eol_products,
    stored_archived,
    stored_products,
    sync_cycles,
)

NOW = datetime(2026, 8, 22, 9, 0, tzinfo=UTC)
API = "https://endoflife.test"


@pytest.fixture
def fake(realdata: Path) -> FakeEndOfLife:
    return FakeEndOfLife(load_products(realdata / "eol"))


@pytest.fixture
def store(database_url: str) -> Store:
    return Store.open(database_url)


def client(fake: FakeEndOfLife) -> httpx.Client:
    return fake.client(API)


def test_every_catalogue_product_is_recorded(fake: FakeEndOfLife) -> None:
    wanted = eol_products(load_catalogue(), ["eks", "gke", "aks", "openshift", "k3s"])
    assert set(wanted) <= set(fake.products)
    assert "amazon-eks" in wanted and "kubernetes" in wanted and "istio" in wanted


def test_sync_stores_then_304_costs_nothing(fake: FakeEndOfLife, store: Store) -> None:
    first = sync_cycles(store, client(fake), ["istio", "amazon-eks"], now=NOW, api_url=API)
    assert first.changed == ["istio", "amazon-eks"] and not first.failed
    products = stored_products(store)
    assert products["istio"].cycles[0].name == "1.30"
    assert products["amazon-eks"].labels["eoes"] == "Extended Support"
    later = NOW + timedelta(days=1)
    second = sync_cycles(store, client(fake), ["istio", "amazon-eks"], now=later, api_url=API)
    assert second.unchanged == ["istio", "amazon-eks"] and not second.changed
    assert [s for _, s in fake.requests[-2:]] == [304, 304]
    assert store.documents_fetched("cycles")["istio"] == later  # known current as of now


def test_5xx_then_heals_with_retries(fake: FakeEndOfLife, store: Store) -> None:
    fake.fail("istio", 502, times=2)
    waits: list[float] = []
    summary = sync_cycles(store, client(fake), ["istio"], now=NOW, api_url=API, sleep=waits.append)
    assert summary.changed == ["istio"] and summary.requests == 3 and len(waits) == 2


def test_429_waits_retry_after(fake: FakeEndOfLife) -> None:
    fake.fail("kubernetes", 429, retry_after=7)
    waits: list[float] = []
    got = fetch_product(client(fake), "kubernetes", api_url=API, sleep=waits.append)
    assert waits == [7.0] and got.data is not None and got.requests == 2


def test_429_too_long_is_one_line_error(fake: FakeEndOfLife) -> None:
    fake.fail("kubernetes", 429, retry_after=3600)
    with pytest.raises(UpstreamError, match="asked to wait 3600 s"):
        fetch_product(client(fake), "kubernetes", api_url=API, sleep=lambda s: None)


def test_301_rename_is_followed_and_recorded(fake: FakeEndOfLife, store: Store) -> None:
    fake.renamed["istio-old"] = "istio"
    summary = sync_cycles(store, client(fake), ["istio-old"], now=NOW, api_url=API)
    assert summary.renamed == {"istio-old": "istio"} and summary.changed == ["istio"]
    assert "istio" in stored_products(store)


def test_404_unknown_product(fake: FakeEndOfLife) -> None:
    with pytest.raises(UpstreamError, match=r"endoflife\.date has no product 'nope'"):
        fetch_product(client(fake), "nope", api_url=API)


def test_failed_sync_never_deletes(fake: FakeEndOfLife, store: Store) -> None:
    sync_cycles(store, client(fake), ["kubernetes"], now=NOW, api_url=API)
    before = store.documents("cycles", "kubernetes")
    fake.fail("*", 503, times=None)
    summary = sync_cycles(
        store,
        client(fake),
        ["kubernetes"],
        now=NOW + timedelta(days=3),
        api_url=API,
        sleep=lambda s: None,
    )
    assert "HTTP 503" in summary.failed["kubernetes"] and summary.requests == 0
    assert store.documents("cycles", "kubernetes") == before
    assert store.documents_fetched("cycles")["kubernetes"] == NOW


def test_malformed_answer_keeps_stored_data(fake: FakeEndOfLife, store: Store) -> None:
    sync_cycles(store, client(fake), ["istio"], now=NOW, api_url=API)
    before = store.documents("cycles", "istio")
    fake.products["istio"] = {"result": {"releases": [{"name": "1.30", "eolFrom": "soon"}]}}
    summary = sync_cycles(store, client(fake), ["istio"], now=NOW, api_url=API)
    assert "eolFrom" in summary.failed["istio"]
    assert store.documents("cycles", "istio") == before


def test_archived_flag_conditional(fake: FakeEndOfLife, store: Store) -> None:
    fake.archived = {"kubernetes-retired/dashboard": True, "istio/istio": False}
    projects = ["kubernetes-retired/dashboard", "istio/istio", "gone/gone"]
    first = sync_archived(store, client(fake), projects, now=NOW, api_url=API)
    assert first.changed == projects[:2] and "gone/gone" in first.failed
    assert stored_archived(store) == {"kubernetes-retired/dashboard": True, "istio/istio": False}
    second = sync_archived(store, client(fake), projects[:2], now=NOW, api_url=API)
    assert second.unchanged == projects[:2]


def test_cycle_file_round_trip(
    fake: FakeEndOfLife, store: Store, tmp_path: Path, database_url: str
) -> None:
    sync_cycles(store, client(fake), ["istio", "kubernetes"], now=NOW, api_url=API)
    out = tmp_path / "cycles.json"
    assert export_cycles(store, out) == 2
    other = Store.open(f"sqlite:///{tmp_path / 'other.db'}")
    assert import_cycles(other, out, now=NOW) == {
        "istio": len(fake.products["istio"]["result"]["releases"]) + 1,
        "kubernetes": len(fake.products["kubernetes"]["result"]["releases"]) + 1,
    }
    assert stored_products(other)["istio"].cycles == stored_products(store)["istio"].cycles


def test_bad_cycle_file_names_product_and_stores_nothing(tmp_path: Path, store: Store) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"istio": {"result": {"releases": "x"}}}))
    with pytest.raises(CycleFileError, match=r"bad.json: endoflife.date istio: result.releases"):
        import_cycles(store, bad, now=NOW)
    assert store.documents("cycles") == {}


def test_unreachable_api_stops_at_the_first_product(store: Store) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    http = httpx.Client(transport=httpx.MockTransport(refuse))
    summary = sync_cycles(store, http, ["istio", "kubernetes"], now=NOW, api_url=API)
    assert summary.unreachable is not None and "endoflife.test" in summary.unreachable
    assert set(summary.failed) == {"istio", "kubernetes"}
