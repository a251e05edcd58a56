"""KubernetesAPI through the real kubernetes client against the local fake API server."""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.kube_api import FakeKubeAPI, write_kubeconfig
from tracker.errors import ClusterAPIError, ConfigError
from tracker.inventory.base import InventorySource
from tracker.inventory.kubernetes_api import KubernetesAPI
from tracker.models import Source

TOKEN = "sekret-bearer-token-do-not-print"


@pytest.fixture
def fake(realdata: Path) -> Iterator[FakeKubeAPI]:
    with FakeKubeAPI.from_realdata(realdata, token=TOKEN) as server:
        yield server


@pytest.fixture
def kubeconfig(fake: FakeKubeAPI, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", fake.url, TOKEN, ("fake-ctx", "other"))


def test_is_an_inventory_source() -> None:
    assert isinstance(KubernetesAPI(), InventorySource)


def test_bad_settings_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="page size 0"):
        KubernetesAPI(page_size=0)
    with pytest.raises(ConfigError, match="timeout"):
        KubernetesAPI(timeout_seconds=0)


def test_reads_real_data_paged_and_read_only(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    inv = KubernetesAPI(kubeconfig=kubeconfig, page_size=20).collect()
    assert inv.source is Source.API
    assert inv.cluster == "fake-ctx"
    assert inv.server_version == "v1.29.6+k3s1"
    assert {n.kubelet_version for n in inv.nodes} == {"v1.18.19-gke.1701"}
    assert len(inv.pods) == 80
    pod = next(p for p in inv.pods if p.name == "gitlab-cert-manager-5ffcc7f99f-2kr6b")
    assert str(pod.workload) == "Deployment/gitlab-cert-manager"
    assert pod.containers[0].image.raw == "quay.io/jetstack/cert-manager-controller:v0.10.1"
    assert inv.warnings == (
        "left out 1 finished pod (phase Succeeded/Failed: containers not running)",
    )

    assert {r.method for r in fake.requests} == {"GET"}
    assert {r.authorization for r in fake.requests} == {f"Bearer {TOKEN}"}
    pod_requests = [r for r in fake.requests if r.path == "/api/v1/pods"]
    assert len(pod_requests) == math.ceil(81 / 20)
    assert all(r.query["limit"] == "20" for r in pod_requests)
    assert "continue" not in pod_requests[0].query
    assert all("continue" in r.query for r in pod_requests[1:])


def test_same_pods_as_the_dump(fake: FakeKubeAPI, kubeconfig: Path, realdata: Path) -> None:
    from tracker.inventory.kubectl_dump import KubectlDump

    live = KubernetesAPI(kubeconfig=kubeconfig, page_size=7).collect()
    dump = KubectlDump([realdata / "pods/gke-v1.18.19-kubevious-samples.podlist.json"]).collect()
    key = lambda p: (p.namespace, p.name)  # noqa: E731
    assert sorted(live.pods, key=key) == sorted(dump.pods, key=key)


def test_context_and_cluster_name(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    assert KubernetesAPI(kubeconfig=kubeconfig, context="other").collect().cluster == "other"
    assert KubernetesAPI(kubeconfig=kubeconfig, cluster="prod").collect().cluster == "prod"


def test_default_kubeconfig_from_env(
    fake: FakeKubeAPI, kubeconfig: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    assert KubernetesAPI().collect().cluster == "fake-ctx"


def test_forbidden_cluster_pods_fall_back_per_namespace(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    fake.forbid_cluster_pods = True
    fake.forbidden_namespaces = frozenset({"gitlab", "kube-system"})
    inv = KubernetesAPI(kubeconfig=kubeconfig, page_size=10).collect()
    namespaces = {p.namespace for p in inv.pods}
    assert "gitlab" not in namespaces and "kube-system" not in namespaces
    assert "sock-shop" in namespaces
    assert "namespace gitlab: listing pods is forbidden; not scanned" in inv.warnings
    assert "namespace kube-system: listing pods is forbidden; not scanned" in inv.warnings
    paths = fake.get_paths()
    assert "/api/v1/namespaces" in paths
    assert "/api/v1/namespaces/sock-shop/pods" in paths
    # Pods of the readable namespaces are all there.
    expected = sum(
        1
        for p in fake.pods
        if p["metadata"]["namespace"] not in fake.forbidden_namespaces
        and p["status"].get("phase") not in ("Succeeded", "Failed")
    )
    assert len(inv.pods) == expected


def test_every_namespace_forbidden_is_an_error(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    fake.forbid_cluster_pods = True
    fake.forbidden_namespaces = frozenset(fake.namespaces())
    with pytest.raises(ClusterAPIError, match="forbidden to list pods in every namespace"):
        KubernetesAPI(kubeconfig=kubeconfig).collect()


def test_expired_continue_token_restarts_the_list(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    fake.expire_continue = True
    inv = KubernetesAPI(kubeconfig=kubeconfig, page_size=30).collect()
    assert len(inv.pods) == 80
    assert len(inv.nodes) == 2


def test_401_asks_to_refresh_credentials_without_leaking_the_token(
    fake: FakeKubeAPI, kubeconfig: Path
) -> None:
    fake.unauthorized = True
    with pytest.raises(ClusterAPIError) as info:
        KubernetesAPI(kubeconfig=kubeconfig).collect()
    assert "401" in info.value.message
    assert "refresh your kubeconfig credentials" in info.value.hint
    assert TOKEN not in str(info.value)


def test_wrong_token_is_401(fake: FakeKubeAPI, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kc", fake.url, "stale-token-value")
    with pytest.raises(ClusterAPIError, match="rejected the credentials") as info:
        KubernetesAPI(kubeconfig=path).collect()
    assert "stale-token-value" not in str(info.value)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_unreachable_server_fails_fast(tmp_path: Path) -> None:
    port = _closed_port()
    path = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}", TOKEN)
    start = time.monotonic()
    with pytest.raises(ClusterAPIError) as info:
        KubernetesAPI(kubeconfig=path).collect()
    assert time.monotonic() - start < 5
    assert f"cannot reach API server 127.0.0.1:{port}" in info.value.message
    assert "refused" in info.value.message.lower()
    assert TOKEN not in str(info.value)
    assert "\n" not in str(info.value)


def test_silent_server_times_out(tmp_path: Path) -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        path = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}", TOKEN)
        start = time.monotonic()
        with pytest.raises(ClusterAPIError, match="timed out") as info:
            KubernetesAPI(kubeconfig=path, timeout_seconds=0.5).collect()
        assert time.monotonic() - start < 4
        assert f"127.0.0.1:{port}" in info.value.message


def test_kubeconfig_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ClusterAPIError, match="not found"):
        KubernetesAPI(kubeconfig=tmp_path / "missing").collect()
    bad = tmp_path / "bad"
    bad.write_text("clusters: [oops\n")
    with pytest.raises(ClusterAPIError, match="not valid YAML at line"):
        KubernetesAPI(kubeconfig=bad).collect()
    good = write_kubeconfig(tmp_path / "kc", "http://127.0.0.1:1", TOKEN)
    with pytest.raises(ClusterAPIError, match="has no context 'nope'") as info:
        KubernetesAPI(kubeconfig=good, context="nope").collect()
    assert "fake-ctx" in info.value.hint
    incomplete = tmp_path / "incomplete"
    incomplete.write_text("apiVersion: v1\nkind: Config\ncurrent-context: x\n")
    with pytest.raises(ClusterAPIError, match=r"kubeconfig .*incomplete"):
        KubernetesAPI(kubeconfig=incomplete).collect()
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    with pytest.raises(ClusterAPIError, match="no kubeconfig found"):
        KubernetesAPI().collect()


def test_in_cluster_without_service_account_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "1")
    with pytest.raises(ClusterAPIError, match="in-cluster config"):
        KubernetesAPI().collect()


def test_fake_server_paging_semantics(fake: FakeKubeAPI, kubeconfig: Path) -> None:
    import json
    import urllib.request

    def get(url: str) -> dict[str, object]:
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(req) as resp:
            body: dict[str, object] = json.loads(resp.read())
        return body

    first = get(f"{fake.url}/api/v1/pods?limit=50")
    meta = first["metadata"]
    assert isinstance(meta, dict) and meta["remainingItemCount"] == 31
    second = get(f"{fake.url}/api/v1/pods?limit=50&continue={meta['continue']}")
    assert isinstance(second["items"], list) and len(second["items"]) == 31
    assert "continue" not in second["metadata"]  # type: ignore[operator]
