"""Helm release Secrets through the live path: cluster-wide, per namespace, forbidden."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fakes.kube_api import FakeKubeAPI, write_kubeconfig
from tracker.inventory.kubernetes_api import KubernetesAPI

TOKEN = "sekret-bearer-token-do-not-print"


def helm_secrets(realdata: Path, namespace: str | None = None) -> list[dict[str, Any]]:
    data = yaml.safe_load(
        (realdata / "helm" / "kubevious-mock-data.helm-release-secrets.yaml").read_text()
    )
    items = list(data["items"])
    if namespace:  # move them where the fake cluster runs pods
        for item in items:
            item["metadata"]["namespace"] = namespace
    return items


@pytest.fixture
def serve(realdata: Path, tmp_path: Path) -> Iterator[Any]:
    servers: list[FakeKubeAPI] = []

    def start(**kwargs: Any) -> tuple[FakeKubeAPI, Path]:
        server = FakeKubeAPI.from_realdata(realdata, token=TOKEN, **kwargs).start()
        servers.append(server)
        return server, write_kubeconfig(tmp_path / "kubeconfig", server.url, TOKEN)

    yield start
    for server in servers:
        server.stop()


def test_cluster_wide_helm_secrets(realdata: Path, serve: Any) -> None:
    fake, kubeconfig = serve(secrets=helm_secrets(realdata))
    inv = KubernetesAPI(kubeconfig=kubeconfig, page_size=2).collect()
    assert [(r.namespace, r.name, r.revision, r.chart_version) for r in inv.helm_releases] == [
        ("kubevious", "kubevious", 109, "1.0.13"),
        ("traefik-samples", "traefik-samples", 1, "0.0.1"),
    ]
    secret_requests = [r for r in fake.requests if r.path == "/api/v1/secrets"]
    assert secret_requests and all(
        r.query["labelSelector"] == "owner=helm" for r in secret_requests
    )
    assert len(secret_requests) == 2  # 3 Secrets in pages of 2
    assert not any("Helm" in w for w in inv.warnings)


def test_forbidden_cluster_wide_falls_back_to_namespaces(realdata: Path, serve: Any) -> None:
    # the opt-in Role exists in one namespace only, as deploy/components/helm-releases does it
    fake, kubeconfig = serve(
        secrets=helm_secrets(realdata, namespace="kubevious"),
        forbid_secrets=True,
        secret_namespaces=frozenset({"kubevious"}),
    )
    inv = KubernetesAPI(kubeconfig=kubeconfig).collect()
    assert [(r.name, r.revision) for r in inv.helm_releases] == [
        ("kubevious", 109),
        ("traefik-samples", 1),
    ]
    asked = {r.path for r in fake.requests if r.path.endswith("/secrets")}
    assert "/api/v1/namespaces/kubevious/secrets" in asked
    namespaces = {p.namespace for p in inv.pods}
    assert len(asked) == 1 + len(namespaces)  # cluster-wide, then every namespace with pods
    helm_warnings = [w for w in inv.warnings if "Helm" in w]
    assert helm_warnings == [
        f"Helm releases read in 1 of {len(namespaces)} namespaces; listing Secrets is forbidden "
        "in the others (grant it per namespace with deploy/components/helm-releases)"
    ]


def test_forbidden_everywhere_is_one_warning(realdata: Path, serve: Any) -> None:
    _, kubeconfig = serve(secrets=helm_secrets(realdata), forbid_secrets=True)
    inv = KubernetesAPI(kubeconfig=kubeconfig).collect()
    assert inv.helm_releases == ()
    assert [w for w in inv.warnings if "Helm" in w] == [
        "Helm releases not read: listing Secrets is forbidden "
        "(grant it per namespace with deploy/components/helm-releases)"
    ]
    assert len(inv.pods) == 80  # the rest of the scan is whole


def test_helm_can_be_turned_off(realdata: Path, serve: Any) -> None:
    fake, kubeconfig = serve(secrets=helm_secrets(realdata))
    inv = KubernetesAPI(kubeconfig=kubeconfig, read_helm=False).collect()
    assert inv.helm_releases == ()
    assert not any(r.path.endswith("/secrets") for r in fake.requests)


def test_pods_unchanged_when_lists_run_concurrently(realdata: Path, serve: Any) -> None:
    _, kubeconfig = serve(secrets=helm_secrets(realdata))
    inv = KubernetesAPI(kubeconfig=kubeconfig, page_size=7).collect()
    assert len(inv.pods) == 80 and len(inv.nodes) == 2
