"""Real-shaped store inputs built from tests/data/realdata (GKE 1.18 pod and node lists, releases).

The inventory and identification are built here by a small stand-in for the inventory and
identify stages (which the store does not depend on): pods become Workload/Container objects,
a few well-known image repositories become Components, everything else Unidentified.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.identify.registry import kubernetes_version
from tracker.models import (
    Component,
    Container,
    Identification,
    ImageReference,
    Inventory,
    Node,
    Pod,
    Release,
    Role,
    Source,
    Unidentified,
    Workload,
)
from tracker.store import Store

# image short_name -> (component id, GitHub project)
KNOWN_IMAGES = {
    "quay.io/jetstack/cert-manager-controller": ("cert-manager", "cert-manager/cert-manager"),
    "quay.io/jetstack/cert-manager-cainjector": ("cert-manager", "cert-manager/cert-manager"),
    "quay.io/jetstack/cert-manager-webhook": ("cert-manager", "cert-manager/cert-manager"),
    "prom/prometheus": ("prometheus", "prometheus/prometheus"),
    "quay.io/kubernetes-ingress-controller/nginx-ingress-controller": (
        "ingress-nginx",
        "kubernetes/ingress-nginx",
    ),
    "k8s.gcr.io/metrics-server-amd64": ("metrics-server", "kubernetes-sigs/metrics-server"),
}


def _workload(meta: dict[str, object]) -> Workload:
    owners = meta.get("ownerReferences") or []
    namespace = str(meta["namespace"])
    if owners and isinstance(owners, list):
        owner = owners[0]
        kind, name = owner["kind"], owner["name"]
        if kind == "ReplicaSet":
            kind, name = "Deployment", name.rsplit("-", 1)[0]
        return Workload(kind, name, namespace)
    return Workload("Pod", str(meta["name"]), namespace)


def load_inventory(realdata: Path, cluster: str, scanned_at: datetime) -> Inventory:
    """The GKE 1.18 cluster (81 pods, 2 nodes) as an Inventory."""
    pods_doc = json.loads(
        (realdata / "pods" / "gke-v1.18.19-kubevious-samples.podlist.json").read_text()
    )
    nodes_doc = json.loads((realdata / "nodes" / "gke-v1.18.19-gke.1701.nodelist.json").read_text())
    pods = []
    for item in pods_doc["items"]:
        meta, spec = item["metadata"], item["spec"]
        containers = tuple(
            Container(c["name"], ImageReference.parse(c["image"])) for c in spec["containers"]
        )
        pods.append(
            Pod(
                namespace=meta["namespace"],
                name=meta["name"],
                workload=_workload(meta),
                containers=containers,
                labels=meta.get("labels", {}),
                node_name=spec.get("nodeName"),
                phase=item["status"].get("phase"),
            )
        )
    nodes = tuple(
        Node(
            name=n["metadata"]["name"],
            kubelet_version=n["status"]["nodeInfo"]["kubeletVersion"],
            container_runtime=n["status"]["nodeInfo"]["containerRuntimeVersion"],
            os_image=n["status"]["nodeInfo"]["osImage"],
        )
        for n in nodes_doc["items"]
    )
    return Inventory(
        cluster=cluster,
        source=Source.DUMP,
        scanned_at=scanned_at,
        server_version="v1.18.19-gke.1701",
        nodes=nodes,
        pods=tuple(pods),
        warnings=("namespace kube-public: forbidden",),
    )


def identify(inventory: Inventory) -> Identification:
    """Group known images into Components (instances counted); the rest is Unidentified."""
    kubelets = sorted({n.kubelet_version for n in inventory.nodes})
    components: list[Component] = [
        Component("kubernetes", Role.CONTROL_PLANE, inventory.server_version or "", None),
        *(
            Component(
                "kubernetes",
                Role.KUBELET,
                version,
                "kubernetes/kubernetes",
                workload="Node/" + ",".join(n.name for n in inventory.nodes),
                instances=sum(1 for n in inventory.nodes if n.kubelet_version == version),
            )
            for version in kubelets
        ),
    ]
    counts: dict[tuple[str, str, str], int] = {}
    unidentified: list[Unidentified] = []
    for pod in inventory.pods:
        for c in pod.containers:
            if c.image.short_name in KNOWN_IMAGES:
                key = (pod.namespace, str(pod.workload), c.image.raw)
                counts[key] = counts.get(key, 0) + 1
            else:
                unidentified.append(
                    Unidentified(pod.namespace, str(pod.workload), c.image.raw, "no rule matched")
                )
    for (namespace, workload, raw), n in sorted(counts.items()):
        image = ImageReference.parse(raw)
        component, project = KNOWN_IMAGES[image.short_name]
        components.append(
            Component(
                component,
                Role.ADDON,
                image.tag or "",
                project,
                namespace=namespace,
                workload=workload,
                image=raw,
                instances=n,
            )
        )
    return Identification(
        tuple(components),
        tuple(unidentified),
        kubernetes_version=kubernetes_version(inventory.server_version, components),
    )


def load_releases(realdata: Path, project: str) -> list[Release]:
    """A real release list (``releases/OWNER__REPO.json``) as Release objects."""
    doc = json.loads((realdata / "releases" / f"{project.replace('/', '__')}.json").read_text())
    return [
        Release(
            project=project,
            tag=r["tag_name"],
            published_at=datetime.fromisoformat(r["published_at"].replace("Z", "+00:00"))
            if r.get("published_at")
            else None,
            prerelease=bool(r["prerelease"]),
            url=r.get("html_url"),
            name=r.get("name") or "",
        )
        for r in doc
        if not r.get("draft")
    ]


SCANNED_AT = datetime(2024, 3, 16, 2, 0, 5, 123456, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """An opened (migrated) store on each backend."""
    with Store.open(database_url) as s:
        yield s


@pytest.fixture
def gke_inventory(realdata: Path) -> Inventory:
    """The real GKE 1.18 cluster as cluster ``gke-prod`` scanned at :data:`SCANNED_AT`."""
    return load_inventory(realdata, "gke-prod", SCANNED_AT)


@pytest.fixture
def make_inventory(realdata: Path) -> Callable[[str, datetime], Inventory]:
    """``make_inventory(cluster, scanned_at)``: the real GKE cluster under another name/time."""
    return lambda cluster, scanned_at: load_inventory(realdata, cluster, scanned_at)


@pytest.fixture
def identify_fn() -> Callable[[Inventory], Identification]:
    """The stand-in identify stage (see :func:`identify`)."""
    return identify


@pytest.fixture
def releases_of(realdata: Path) -> Callable[[str], list[Release]]:
    """``releases_of("istio/istio")``: the real release list of a project."""
    return lambda project: load_releases(realdata, project)
