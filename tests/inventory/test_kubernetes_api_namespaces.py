"""The live path with ``-n/--namespace`` (as kubectl): only those namespaces' pods and Helm
Secrets are asked for, and the inventory (then the stored scan) records what was read; a full
scan that falls back to per-namespace lists records the namespaces RBAC forbade. Real GKE
1.18 pods and nodes and real Helm release Secrets, served by the fake API server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.kube_api import FakeKubeAPI, write_kubeconfig
from tests.inventory.test_kubernetes_api_helm import helm_secrets
from tracker.errors import ClusterAPIError
from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubernetes_api import KubernetesAPI
from tracker.models import EVERY_NAMESPACE, NamespaceScope
from tracker.store import Store
from tracker.workflows.scan import SourceOptions, inventory_source, scan

TOKEN = "sekret-bearer-token-do-not-print"


@pytest.fixture
def fake(realdata: Path) -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI.from_realdata(realdata, token=TOKEN, secrets=helm_secrets(realdata)) as s:
        yield s


@pytest.fixture
def kubeconfig(fake: FakeKubeAPI, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", fake.url, TOKEN)


def paths(fake: FakeKubeAPI) -> set[str]:
    return {r.path for r in fake.requests}


def test_only_the_namespaces_given_are_listed(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    inv = KubernetesAPI(kubeconfig=kubeconfig, namespaces=["sock-shop", "kubevious"]).collect()
    assert {p.namespace for p in inv.pods} == {"sock-shop", "kubevious"}
    assert len(inv.pods) == 13 + 4
    assert len(inv.nodes) == 2 and inv.server_version == "v1.29.6+k3s1"  # cluster-scoped: read
    assert [(r.namespace, r.name) for r in inv.helm_releases] == [("kubevious", "kubevious")]
    assert inv.namespaces == NamespaceScope.listed(["kubevious", "sock-shop"])
    asked = paths(fake)
    assert "/api/v1/pods" not in asked and "/api/v1/secrets" not in asked
    assert "/api/v1/namespaces" not in asked  # no need to list namespaces either
    assert {
        "/api/v1/namespaces/sock-shop/pods",
        "/api/v1/namespaces/kubevious/pods",
        "/api/v1/namespaces/kubevious/secrets",
        "/api/v1/nodes",
    } <= asked


def test_a_forbidden_namespace_given_is_left_out_of_the_scope(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    fake.forbidden_namespaces = frozenset({"gitlab"})
    inv = KubernetesAPI(kubeconfig=kubeconfig, namespaces=["gitlab", "hipster"]).collect()
    assert {p.namespace for p in inv.pods} == {"hipster"}
    assert "namespace gitlab: listing pods is forbidden; not scanned" in inv.warnings
    assert inv.namespaces == NamespaceScope.listed(["hipster"])
    assert "/api/v1/namespaces/gitlab/secrets" not in paths(fake)


def test_every_namespace_given_forbidden_is_an_error(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    fake.forbidden_namespaces = frozenset({"gitlab", "hipster"})
    with pytest.raises(ClusterAPIError) as info:
        KubernetesAPI(kubeconfig=kubeconfig, namespaces=["gitlab", "hipster"]).collect()
    assert info.value.message.startswith("forbidden to list pods in namespaces gitlab, hipster")
    assert TOKEN not in str(info.value)


def test_a_full_scan_records_the_namespaces_rbac_forbade(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    assert KubernetesAPI(kubeconfig=kubeconfig).collect().namespaces == EVERY_NAMESPACE
    fake.forbid_cluster_pods = True
    fake.forbidden_namespaces = frozenset({"gitlab", "kube-system"})
    inv = KubernetesAPI(kubeconfig=kubeconfig).collect()
    assert inv.namespaces == NamespaceScope.all_but(["gitlab", "kube-system"])
    assert inv.namespaces.covers("a-namespace-created-later")


def test_scan_stores_the_namespaces_read_live_and_from_a_dump(
    fake: FakeKubeAPI, kubeconfig: Path, realdata: Path, tmp_path: Path
) -> None:
    """``tracker scan -n`` (workflows.scan): both sources record the same scope."""
    catalogue = load_catalogue()
    dumps = (
        realdata / "pods" / "gke-v1.18.19-kubevious-samples.podlist.json",
        realdata / "nodes" / "gke-v1.18.19-gke.1701.nodelist.json",
    )
    wanted = ("sock-shop", "no-such-namespace")
    live = SourceOptions(kubeconfig=kubeconfig, namespaces=wanted)
    dump = SourceOptions(from_dump=dumps, namespaces=wanted)
    full = SourceOptions(from_dump=dumps)
    stored: dict[str, Any] = {}
    with Store.open(f"sqlite:///{tmp_path / 'scan.db'}") as store:
        for name, options in (("live", live), ("dump", dump), ("full", full)):
            result = scan(inventory_source(options, name), store, catalogue)
            stored[name] = store.scan(result.scan_id)
            if name != "full":
                assert "no pods in namespace no-such-namespace" in result.inventory.warnings
    expected = NamespaceScope.listed(wanted)  # a namespace without pods was read: empty
    assert stored["live"].summary.namespaces == expected
    assert stored["dump"].summary.namespaces == expected
    assert stored["full"].summary.namespaces == EVERY_NAMESPACE
    assert "/api/v1/namespaces/no-such-namespace/pods" in paths(fake)
