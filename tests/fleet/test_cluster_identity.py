"""Cluster identity in a shared store: one name, one API server; dumps never conflict."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.fakes.kube_api import FakeKubeAPI, write_kubeconfig
from tracker.errors import StoreError
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.inventory.kubernetes_api import KubernetesAPI
from tracker.models import Inventory, Source
from tracker.store import Store

PROD = "10.0.0.1:6443"
OTHER = "203.0.113.7:443"


@pytest.fixture
def gke(fleet_dumps: dict[str, list[Path]]) -> Inventory:
    """The real GKE dump as cluster ``prod``, as if read from a live API server."""
    inventory = KubectlDump(fleet_dumps["c0-gke"], cluster="prod").collect()
    return replace(inventory, source=Source.API, server=PROD)


def _save(store: Store, inventory: Inventory) -> int:
    return store.save_scan(inventory, identify(inventory, load_catalogue()))


def test_first_server_owns_the_name_and_a_second_is_refused(
    database_url: str, gke: Inventory
) -> None:
    with Store.open(database_url) as store:
        first = _save(store, gke)
        again = _save(store, gke)  # the same server scans again: fine
        assert again > first
        with pytest.raises(StoreError) as info:
            _save(store, replace(gke, server=OTHER))
        error = info.value
        assert "'prod'" in error.message
        assert PROD in error.message and OTHER in error.message
        assert "--cluster" in error.hint and "cluster.name" in error.hint
        # nothing of the refused scan was stored
        assert [s.id for s in store.scans("prod")] == [again, first]
        [latest] = store.latest_scans()
        assert latest.summary.server == PROD
        assert store.clusters() == ["prod"]


def test_dumps_never_conflict_and_a_later_server_claims_the_name(
    database_url: str, gke: Inventory
) -> None:
    dump = replace(gke, source=Source.DUMP, server=None)
    with Store.open(database_url) as store:
        _save(store, dump)
        assert store.latest_scans()[0].summary.server is None
        _save(store, gke)  # first scan with a server claims "prod"
        _save(store, dump)  # a dump under a claimed name is still accepted
        assert store.latest_scans()[0].summary.server == PROD
        with pytest.raises(StoreError, match="already belongs to API server"):
            _save(store, replace(gke, server=OTHER))
        assert len(store.scans("prod")) == 3


def test_server_is_stored_per_cluster_not_per_scan(database_url: str, gke: Inventory) -> None:
    with Store.open(database_url) as store:
        _save(store, gke)
        _save(store, replace(gke, cluster="staging", server=OTHER))
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT name, server FROM clusters ORDER BY name")).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [("prod", PROD), ("staging", OTHER)]


def test_live_inventory_carries_the_api_server_host_and_port(
    realdata: Path, tmp_path: Path
) -> None:
    token = "secret-token-never-stored"
    with FakeKubeAPI.from_realdata(realdata, token=token) as fake:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", fake.url, token)
        inventory = KubernetesAPI(kubeconfig=kubeconfig).collect()
        port = fake.url.rsplit(":", 1)[1]
    assert inventory.server == f"127.0.0.1:{port}"
    assert token not in (inventory.server or "")
