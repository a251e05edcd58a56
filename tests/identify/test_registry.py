"""identify() on the real GKE 1.18 cluster (kubevious mock data): what a platform engineer
expects to see, and that nothing is dropped."""

from __future__ import annotations

import pytest

from tracker.identify.base import Absorbed, Claim
from tracker.identify.registry import identify, run_detectors
from tracker.inventory.parse import parse_pod
from tracker.models import Component, Container, ImageReference, Pod, Role, Workload

from .conftest import make_inventory

GKE_PODS = ("pods/gke-v1.18.19-kubevious-samples.podlist.json",)
GKE_NODES = ("nodes/gke-v1.18.19-gke.1701.nodelist.json",)


@pytest.fixture(scope="module")
def gke(real_inventory, catalogue):
    inventory = real_inventory(pods=GKE_PODS, nodes=GKE_NODES)
    return inventory, identify(inventory, catalogue)


def _find(components, cid, **fields) -> list[Component]:
    return [
        c
        for c in components
        if c.component == cid and all(getattr(c, k) == v for k, v in fields.items())
    ]


def test_gke_addons_are_identified_with_their_versions(gke):
    _, result = gke
    comps = result.components
    certs = _find(comps, "cert-manager", namespace="gitlab")
    assert {(c.workload, c.raw_version) for c in certs} == {
        ("Deployment/gitlab-cert-manager", "v0.10.1"),
        ("Deployment/gitlab-cainjector", "v0.10.1"),
        ("Deployment/gitlab-cert-manager-webhook", "v0.10.1"),
    }
    [nginx] = _find(comps, "ingress-nginx")
    assert (nginx.raw_version, nginx.instances, nginx.project) == (
        "0.21.0",
        3,
        "kubernetes/ingress-nginx",
    )
    proms = _find(comps, "prometheus")
    assert {(c.namespace, c.raw_version) for c in proms} == {
        ("openfaas", "v2.11.0"),
        ("gitlab", "v2.11.1"),
    }
    assert [c.raw_version for c in _find(comps, "alertmanager")] == ["v0.18.0"]
    assert [c.raw_version for c in _find(comps, "metrics-server")] == ["v0.3.6"]
    [dns] = _find(comps, "kube-dns")
    assert (dns.raw_version, dns.instances, dns.workload) == (
        "1.15.16-gke.0",
        2,
        "Deployment/kube-dns",
    )
    assert dns.image == "gke.gcr.io/k8s-dns-kube-dns-amd64:1.15.16-gke.0"
    assert "k8s-dns-dnsmasq-nanny" in (dns.detail or "")
    [calico_node] = _find(comps, "calico", workload="DaemonSet/calico-node")
    assert calico_node.raw_version == "v3.8.8-1-gke.2-amd64"
    assert calico_node.image == "gke.gcr.io/calico/node:v3.8.8-1-gke.2-amd64"  # not the init one
    assert calico_node.instances == 2
    assert all(c.role is Role.ADDON for c in certs + proms + [nginx, dns, calico_node])


def test_gke_kubernetes_entries(gke):
    _, result = gke
    [kubelet] = _find(result.components, "kubernetes", role=Role.KUBELET)
    assert (kubelet.raw_version, kubelet.instances) == ("v1.18.19-gke.1701", 2)
    assert kubelet.workload == (
        "Node/gke-kubevious-samples-pool-2-d17eaa99-a7xj,gke-kubevious-samples-pool-2-d17eaa99-mb9q"
    )
    [cp] = _find(result.components, "kubernetes", role=Role.CONTROL_PLANE)
    assert cp.raw_version == "v1.18.19-gke.1701" and "kubelet" in (cp.detail or "")
    # kube-proxy mirror pods (owned by their Node) are one StaticPod entry across the nodes
    [proxy] = _find(result.components, "kube-proxy")
    assert (proxy.raw_version, proxy.instances) == ("v1.18.19-gke.1701", 2)
    assert (proxy.namespace, proxy.workload) == ("kube-system", "StaticPod/kube-proxy")
    assert proxy.detail == (
        "static pod on 2 nodes: "
        "gke-kubevious-samples-pool-2-d17eaa99-a7xj, gke-kubevious-samples-pool-2-d17eaa99-mb9q"
    )


def test_gke_applications_are_unidentified_with_reasons(gke):
    _, result = gke
    by_image = {(u.namespace, u.image): u for u in result.unidentified}
    carts = by_image[("sock-shop", "weaveworksdemos/carts:0.4.8")]
    assert carts.reason == (
        "no catalogue entry for image repository docker.io/weaveworksdemos/carts"
    )
    weave = [u for u in result.unidentified if u.image.startswith("weaveworksdemos/")]
    assert len(weave) == 10 and all(u.namespace == "sock-shop" for u in weave)
    # the open-source servers next to the demo applications are identified (issue 9)
    found = {(c.namespace, c.image): c.component for c in result.components if c.image}
    assert found[("kubevious", "mysql:8.0.22")] == "mysql"
    assert found[("sock-shop", "mongo")] == "mongodb"  # untagged
    assert found[("gitlab", "busybox:latest")] == "busybox"  # init containers too
    # retired images are identified, not left out: the row says they are retired
    assert found[("gitlab", "k8s.gcr.io/defaultbackend:1.4")] == "defaultbackend"
    assert found[("openfaas", "openfaas/faas-idler:0.2.1")] == "faas-idler"
    # GitLab's Redis build, tagged with a commit SHA: Redis at an unknown version
    sha = "732704f18e34ba469df34b10c3b2465e0469d484"
    redis_ha = f"registry.gitlab.com/gitlab-org/build/cng/gitlab-redis-ha:{sha}"
    assert {c.workload for c in result.components if c.image == redis_ha} == {
        "Deployment/gitlab-redis-sentinel",
        "StatefulSet/gitlab-redis-server",
    }
    assert {c.component for c in result.components if c.image == redis_ha} == {"redis"}
    # what stays unidentified: applications (the two demo shops and kubevious' own ECR job, a
    # finished pod the CLI leaves out) and three GitLab images that say why
    # (tests/identify/test_uncatalogued.py)
    left = {u.image.split(":")[0].rsplit("/", 1)[0] for u in result.unidentified}
    assert left == {
        "gcr.io/google-samples/microservices-demo",
        "weaveworksdemos",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com/kubevious",
        "registry.gitlab.com/gitlab-org/build/cng",
    }
    assert not {u.image for u in result.unidentified} & {
        c.image for c in result.components if c.image
    }


def test_gke_every_container_is_accounted_for(gke):
    inventory, result = gke
    identified = {(c.namespace, c.image) for c in result.components}
    unidentified = {(u.namespace, u.image) for u in result.unidentified}
    for pod in inventory.pods:
        for container in pod.containers:
            key = (pod.namespace, container.image.raw)
            detail_hit = any(
                container.image.raw in (c.detail or "")
                for c in result.components
                if c.namespace == pod.namespace
            )
            assert key in identified or key in unidentified or detail_hit, key


def test_identify_is_deterministic(real_inventory, catalogue, gke):
    _, first = gke
    again = identify(real_inventory(pods=GKE_PODS, nodes=GKE_NODES), catalogue)
    assert again == first


class _Fixed:
    """A detector that answers the same for every container."""

    def __init__(self, verdict: Claim | Absorbed | None) -> None:
        self.verdict = verdict
        self.calls = 0

    def claim(self, pod, container):
        self.calls += 1
        return self.verdict


def _pod(name: str, image: str, workload: str = "web", ns: str = "apps") -> Pod:
    return Pod(
        ns,
        name,
        Workload("Deployment", workload, ns),
        (Container("main", ImageReference.parse(image)),),
    )


def test_first_claim_wins_and_later_detectors_are_not_asked():
    first = _Fixed(Claim("a", Role.ADDON, "1", "o/a"))
    second = _Fixed(Claim("b", Role.ADDON, "2", "o/b"))
    result = run_detectors(make_inventory(pods=(_pod("p", "x:1"),)), [first, second])
    assert [c.component for c in result.components] == ["a"]
    assert second.calls == 0


def test_absorbed_is_neither_component_nor_unidentified():
    result = run_detectors(make_inventory(pods=(_pod("p", "x:1"),)), [_Fixed(Absorbed("part"))])
    assert result.components == () and result.unidentified == ()


def test_pods_of_one_workload_collapse_and_versions_split():
    pods = (_pod("web-1", "x:1"), _pod("web-2", "x:1"), _pod("web-3", "x:2"))
    detector = _Fixed(None)

    class ByTag:
        def claim(self, pod, container):
            return Claim("x", Role.ADDON, container.image.tag or "", "o/x")

    result = run_detectors(make_inventory(pods=pods), [detector, ByTag()])
    assert [(c.raw_version, c.instances) for c in result.components] == [("1", 2), ("2", 1)]


def test_unidentified_are_deduplicated_per_workload_and_image():
    pods = (_pod("web-1", "mysql:8"), _pod("web-2", "mysql:8"), _pod("db-1", "mysql:8", "db"))
    result = run_detectors(make_inventory(pods=pods), [_Fixed(None)])
    assert [(u.workload, u.image) for u in result.unidentified] == [
        ("Deployment/db", "mysql:8"),
        ("Deployment/web", "mysql:8"),
    ]


def _parsed_pod(containers: list[dict[str, str]], name: str = "gw-7d9f8c6b5-x2x9q") -> Pod:
    """A Deployment pod as the API server lists it, through the real parser."""
    pod, warnings = parse_pod(
        {
            "metadata": {
                "name": name,
                "namespace": "istio-system",
                "labels": {"app": "istio-ingressgateway", "pod-template-hash": "7d9f8c6b5"},
                "ownerReferences": [
                    {"kind": "ReplicaSet", "name": "gw-7d9f8c6b5", "controller": True}
                ],
            },
            "spec": {"containers": containers},
            "status": {"phase": "Running"},
        }
    )
    assert len(warnings) == sum(1 for c in containers if "zz" in c["image"] or " " in c["image"])
    return pod


def test_unparseable_image_is_unidentified_with_the_parse_reason(catalogue):
    pod = _parsed_pod(
        [
            {"name": "istio-proxy", "image": "x@sha256:zz"},
            {"name": "app", "image": "bad image"},
            {"name": "metrics", "image": "prom/prometheus:v2.11.0"},
        ]
    )
    result = identify(make_inventory(pods=(pod,)), catalogue)
    # the container name istio-proxy does not make a bad image an Istio gateway
    assert [(c.component, c.image) for c in result.components] == [
        ("prometheus", "prom/prometheus:v2.11.0")
    ]
    assert [(u.workload, u.image, u.reason) for u in result.unidentified] == [
        ("Deployment/gw", "bad image", "unparseable image reference 'bad image': "
         "empty or contains spaces"),
        ("Deployment/gw", "x@sha256:zz", "unparseable image reference 'x@sha256:zz': "
         "invalid digest 'sha256:zz'"),
    ]  # fmt: skip


def test_detectors_are_not_asked_about_unparseable_images():
    detector = _Fixed(Claim("a", Role.ADDON, "1", "o/a"))
    pod = _parsed_pod([{"name": "main", "image": "x@sha256:zz"}])
    result = run_detectors(make_inventory(pods=(pod,)), [detector])
    assert detector.calls == 0 and result.components == ()
    assert [u.image for u in result.unidentified] == ["x@sha256:zz"]
