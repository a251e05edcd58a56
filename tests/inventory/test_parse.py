"""The shared parser on real objects from tests/data/realdata, plus small edge cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.errors import DumpError
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.inventory.parse import (
    InventoryBuilder,
    ObjectError,
    is_unparsed,
    is_version_object,
    object_kind,
    parse_node,
    parse_pod,
    parse_server_version,
    resolve_workload,
)
from tracker.models import Inventory, Pod, Source


def _load(path: Path) -> Any:
    if path.suffix == ".json":
        return json.loads(path.read_text())
    return next(d for d in yaml.safe_load_all(path.read_text()) if d)


def _gke_items(realdata: Path) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _load(
        realdata / "pods/gke-v1.18.19-kubevious-samples.podlist.json"
    )["items"]
    return items


def _gke_pods(realdata: Path) -> dict[str, Pod]:
    builder = InventoryBuilder()
    for obj in _gke_items(realdata):
        builder.add_pod(obj)
    inv = builder.build("gke", Source.DUMP)
    return {f"{p.namespace}/{p.name}": p for p in inv.pods}


def test_gke_pod_list_skips_the_finished_job_pod_and_counts_it(realdata: Path) -> None:
    builder = InventoryBuilder()
    kept = [builder.add_pod(obj) for obj in _gke_items(realdata)]
    inv = builder.build("gke", Source.DUMP)
    assert len(kept) == 81
    assert kept.count(False) == 1
    assert len(inv.pods) == 80
    assert "marketing/github-stargazers-1645570800-2vrk4" not in {
        f"{p.namespace}/{p.name}" for p in inv.pods
    }
    assert any("left out 1 finished pod" in w for w in inv.warnings)
    # A Pending pod is still scheduled to run: it is kept.
    pending = [p for p in inv.pods if p.phase == "Pending"]
    assert [p.name for p in pending] == ["faas-idler-66ff47fdf5-mlmhz"]


def test_cert_manager_controller_container_and_its_deployment(realdata: Path) -> None:
    pod = _gke_pods(realdata)["gitlab/gitlab-cert-manager-5ffcc7f99f-2kr6b"]
    assert str(pod.workload) == "Deployment/gitlab-cert-manager"
    assert pod.workload.namespace == "gitlab"
    (container,) = pod.containers
    assert container.name == "certmanager"
    assert container.image.raw == "quay.io/jetstack/cert-manager-controller:v0.10.1"
    assert container.image.short_name == "quay.io/jetstack/cert-manager-controller"
    assert container.image.tag == "v0.10.1"
    assert container.image_id == (
        "docker-pullable://quay.io/jetstack/cert-manager-controller@sha256:"
        "57521bab22044e65ec73aedc0d405b13246785022a6445605e52fe2a75e6e437"
    )
    assert not container.init and not container.sidecar
    assert pod.node_name == "gke-kubevious-samples-pool-2-d17eaa99-mb9q"


def test_gke_owner_kinds(realdata: Path) -> None:
    pods = _gke_pods(realdata)
    workloads = {str(p.workload) for p in pods.values()}
    assert "StatefulSet/gitlab-gitaly" in workloads
    assert "DaemonSet/calico-node" in workloads
    # Mirror pods of the kube-proxy static manifest on two nodes: one workload.
    proxies = [p for p in pods.values() if p.name.startswith("kube-proxy-")]
    assert len(proxies) == 2
    assert {str(p.workload) for p in proxies} == {"StaticPod/kube-proxy"}
    # No ReplicaSet name leaks through: every RS-owned pod became its Deployment.
    assert not any(w.startswith("ReplicaSet/") for w in workloads)


def test_completed_job_pod_resolves_to_its_cronjob(realdata: Path) -> None:
    (obj,) = [
        o for o in _gke_items(realdata) if o["metadata"]["name"].startswith("github-stargazers")
    ]
    pod, _ = parse_pod(obj)
    assert str(pod.workload) == "CronJob/github-stargazers"
    assert pod.phase == "Succeeded"


def test_init_containers_are_flagged_init_but_not_sidecar(realdata: Path) -> None:
    pod = _gke_pods(realdata)["gitlab/gitlab-gitaly-0"]
    inits = [c for c in pod.containers if c.init]
    assert [c.name for c in inits] == ["certificates", "configure"]
    assert not any(c.sidecar for c in pod.containers)
    assert inits[1].image.name == "docker.io/library/busybox"
    assert inits[1].image_id is not None  # from status.initContainerStatuses


def test_docker_desktop_istio_sidecar(realdata: Path) -> None:
    pod, warnings = parse_pod(_load(realdata / "pods/docker-desktop-istio-1.12.1.httpbin.pod.json"))
    assert warnings == []
    assert str(pod.workload) == "Deployment/httpbin"
    by_name = {c.name: c for c in pod.containers}
    proxy = by_name["istio-proxy"]
    assert proxy.image.raw == "docker.io/istio/proxyv2:1.12.1"
    assert proxy.image.short_name == "istio/proxyv2"
    assert proxy.image.tag == "1.12.1"
    assert not proxy.init and not proxy.sidecar
    assert proxy.image_id == (
        "docker-pullable://istio/proxyv2@sha256:"
        "4704f04f399ae24d99e65170d1846dc83d7973f186656a03ba70d47bd1aba88f"
    )
    assert by_name["istio-init"].init
    status = json.loads(pod.annotations["sidecar.istio.io/status"])
    assert status["revision"] == "default"
    httpbin = by_name["httpbin"].image
    assert httpbin.implicit_latest and httpbin.name == "docker.io/kennethreitz/httpbin"


def test_native_sidecar_is_an_init_container_with_restart_policy_always(realdata: Path) -> None:
    pod, _ = parse_pod(_load(realdata / "pods/istio-injector-golden.native-sidecar.pod.yaml"))
    by_name = {c.name: c for c in pod.containers}
    assert by_name["istio-proxy"].init and by_name["istio-proxy"].sidecar
    assert by_name["istio-init"].init and not by_name["istio-init"].sidecar
    assert by_name["istio-proxy"].image.raw == "registry.istio.io/testing/proxyv2:latest"
    assert by_name["istio-proxy"].image_id is None  # status: {}
    assert pod.namespace == "default"  # a manifest without namespace
    assert str(pod.workload) == "Pod/hellopod"
    assert pod.annotations["istio.io/rev"] == "default"


def test_classic_sidecar_is_a_regular_container(realdata: Path) -> None:
    pod, _ = parse_pod(_load(realdata / "pods/istio-injector-golden.classic-sidecar.pod.yaml"))
    proxy = next(c for c in pod.containers if c.name == "istio-proxy")
    assert not proxy.init and not proxy.sidecar


def test_minikube_bare_nginx(realdata: Path) -> None:
    pod, _ = parse_pod(_load(realdata / "pods/minikube-kubectl-neat.pod1-raw.json"))
    (c,) = pod.containers
    assert c.image.name == "docker.io/library/nginx" and c.image.implicit_latest
    assert c.image_id is not None and c.image_id.startswith("docker-pullable://nginx@sha256:")
    assert pod.workload.kind == "Pod" and pod.phase == "Running"


@pytest.mark.parametrize(
    ("file", "kubelet", "runtime", "control_plane"),
    [
        ("gke-v1.18.19-gke.1701.nodelist.json", "v1.18.19-gke.1701", "docker://19.3.15", False),
        ("eks-v1.16.13-eks-ec92d4.nodelist.json", "v1.16.13-eks-ec92d4", "docker://19.3.6", False),
        ("doks-v1.18.10.nodelist.json", "v1.18.10", "docker://18.9.9", False),
        ("kind-v1.24.0.node.yaml", "v1.24.0", "containerd://1.6.4", True),
    ],
)
def test_real_nodes(
    realdata: Path, file: str, kubelet: str, runtime: str, control_plane: bool
) -> None:
    data = _load(realdata / "nodes" / file)
    items = data["items"] if data["kind"] == "List" else [data]
    for obj in items:
        node, warning = parse_node(obj)
        assert warning is None
        assert node.kubelet_version == kubelet
        assert node.kube_proxy_version == kubelet
        assert node.container_runtime == runtime
        assert node.architecture == "amd64"
        assert node.control_plane is control_plane
        assert node.labels["kubernetes.io/hostname"]


def test_node_details(realdata: Path) -> None:
    obj = _load(realdata / "nodes/eks-v1.16.13-eks-ec92d4.nodelist.json")["items"][0]
    node, _ = parse_node(obj)
    assert node.os_image == "Amazon Linux 2"
    assert node.kernel_version == "4.14.198-152.320.amzn2.x86_64"


def test_master_label_marks_control_plane() -> None:
    node, _ = parse_node(
        {
            "metadata": {"name": "m", "labels": {"node-role.kubernetes.io/master": ""}},
            "status": {"nodeInfo": {"kubeletVersion": "v1.19.3"}},
        }
    )
    assert node.control_plane


def test_node_without_node_info_is_kept_with_a_warning() -> None:
    node, warning = parse_node({"metadata": {"name": "n1"}})
    assert node.kubelet_version == ""
    assert warning is not None and "n1" in warning


@pytest.mark.parametrize(
    ("file", "version"),
    [
        ("eks-v1.16.15-eks-ad4801.kubectl-version.json", "v1.16.15-eks-ad4801"),
        ("doks-v1.18.10.kubectl-version.json", "v1.18.10"),
        ("gardener-gcp-kyma-v1.21.10.version.json", "v1.21.10"),
        ("k3s-rancher-desktop-v1.29.6+k3s1.version.json", "v1.29.6+k3s1"),
    ],
)
def test_real_versions(realdata: Path, file: str, version: str) -> None:
    obj = _load(realdata / "version" / file)
    assert is_version_object(obj)
    assert parse_server_version(obj) == version


def test_client_only_kubectl_version_is_an_error() -> None:
    with pytest.raises(ObjectError, match="serverVersion"):
        parse_server_version({"clientVersion": {"gitVersion": "v1.30.0"}})


def _pod(containers: list[dict[str, Any]], **metadata: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "namespace": "ns", **metadata},
        "spec": {"containers": containers},
    }


def test_unparseable_image_is_kept_as_unparsed_with_a_warning() -> None:
    pod, warnings = parse_pod(_pod([{"name": "app", "image": "Bad Image:1"}]))
    (c,) = pod.containers
    assert is_unparsed(c.image) and c.image.raw == "Bad Image:1"
    assert len(warnings) == 1
    assert "Pod ns/p container app" in warnings[0] and "Bad Image:1" in warnings[0]
    builder = InventoryBuilder()
    builder.add_pod(_pod([{"name": "app", "image": "x@sha256:nothex"}]))
    assert any("unparseable image reference" in w for w in builder.build("c", Source.API).warnings)


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        ({"metadata": {"name": "p"}}, "has no spec"),
        ({"metadata": {"name": "p"}, "spec": {"containers": []}}, "no spec.containers"),
        ({"spec": {"containers": [{"name": "a", "image": "a"}]}}, "no metadata"),
        (_pod([{"name": "a"}]), "container a has no image"),
        (_pod([{"image": "a"}]), r"spec.containers\[0\] has no name"),
    ],
)
def test_malformed_pods(obj: dict[str, Any], match: str) -> None:
    with pytest.raises(ObjectError, match=match):
        parse_pod(obj)


def test_owner_edge_cases() -> None:
    # A ReplicaSet without the hash label (created by hand) is reported as itself.
    meta = {"ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "controller": True}]}
    assert str(resolve_workload(meta, "ns", "web-abc-x")) == "ReplicaSet/web-abc"
    # A Job with a short numeric suffix was not made by a CronJob.
    meta = {"ownerReferences": [{"kind": "Job", "name": "migrate-2"}]}
    assert str(resolve_workload(meta, "ns", "migrate-2-x")) == "Job/migrate-2"
    # CronJob v2 names Jobs in minutes since the epoch (8 digits).
    meta = {"ownerReferences": [{"kind": "Job", "name": "backup-28123456"}]}
    assert str(resolve_workload(meta, "ns", "backup-28123456-x")) == "CronJob/backup"
    # The controller reference wins over other owners.
    meta = {
        "ownerReferences": [
            {"kind": "Foo", "name": "a"},
            {"kind": "Rollout", "name": "b", "controller": True},
        ]
    }
    assert str(resolve_workload(meta, "ns", "b-1")) == "Rollout/b"


def test_yaml_scalar_labels_become_strings() -> None:
    pod, _ = parse_pod(_pod([{"name": "a", "image": "a:1"}], labels={"version": 1.1, "on": True}))
    assert pod.labels == {"version": "1.1", "on": "True"}


def test_builder_merges_duplicates_and_conflicting_versions() -> None:
    builder = InventoryBuilder()
    obj = _pod([{"name": "a", "image": "a:1"}])
    builder.add_pod(obj)
    builder.add_pod(obj)
    builder.set_server_version("v1.29.1")
    builder.set_server_version("v1.30.0", "other.json")
    inv = builder.build("c", Source.DUMP)
    assert len(inv.pods) == 1 and inv.server_version == "v1.29.1"
    assert any("duplicate" in w for w in inv.warnings)
    assert any("other.json" in w and "v1.30.0" in w for w in inv.warnings)
    assert inv.scanned_at.tzinfo is not None


# --- objects without kind (issue 9 item 4) -------------------------------------------------


def _strip_kind(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def test_real_pods_and_nodes_without_kind_are_read_by_shape(realdata: Path) -> None:
    pods = [_strip_kind(o) for o in _gke_items(realdata)]
    nodes = [
        _strip_kind(o)
        for o in _load(realdata / "nodes/gke-v1.18.19-gke.1701.nodelist.json")["items"]
    ]
    assert {object_kind(p) for p in pods} == {("Pod", "from its shape (spec.containers)")}
    assert {object_kind(n) for n in nodes} == {("Node", "from its shape (status.nodeInfo)")}
    assert {object_kind(p, "PodList") for p in pods} == {("Pod", "from its list PodList")}
    assert object_kind({"metadata": {"name": "cm"}, "data": {}}) == (None, None)


def _dump(tmp_path: Path, name: str, doc: Any) -> Inventory:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return KubectlDump([path]).collect()


def test_raw_api_and_kubelet_pod_lists_take_the_kind_of_their_list(
    realdata: Path, tmp_path: Path
) -> None:
    """`kubectl get --raw /api/v1/pods` and the kubelet's /pods: a PodList whose items
    carry no kind/apiVersion. Read silently, as the API defines them."""
    items = [_strip_kind(o) for o in _gke_items(realdata)]
    raw_api = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
               "items": items}  # fmt: skip
    inventory = _dump(tmp_path, "raw.json", raw_api)
    assert len(inventory.pods) == len(_gke_pods(realdata))
    assert not any("without kind" in w for w in inventory.warnings)


def test_list_and_objects_without_any_kind_are_read_by_shape_with_a_warning(
    realdata: Path, tmp_path: Path
) -> None:
    pods = [_strip_kind(o) for o in _gke_items(realdata)]
    nodes = [
        _strip_kind(o)
        for o in _load(realdata / "nodes/gke-v1.18.19-gke.1701.nodelist.json")["items"]
    ]
    inventory = _dump(tmp_path, "pasted.json", {"items": [*pods, *nodes]})
    assert (len(inventory.pods), len(inventory.nodes)) == (len(_gke_pods(realdata)), len(nodes))
    [warning] = [w for w in inventory.warnings if "without kind" in w]
    assert warning == (
        f"pasted.json: {len(pods) + len(nodes)} object(s) without kind: read as "
        f"{len(nodes)} as Node from its shape (status.nodeInfo); "
        f"{len(pods)} as Pod from its shape (spec.containers)"
    )
    single = _dump(tmp_path, "one-pod.json", pods[0])
    assert len(single.pods) == 1
    assert "one-pod.json: 1 object(s) without kind: read as Pod from its shape" in " ".join(
        single.warnings
    )


def test_object_without_kind_or_known_shape_is_still_an_error(tmp_path: Path) -> None:
    with pytest.raises(DumpError, match="has no kind"):
        _dump(tmp_path, "cm.json", {"metadata": {"name": "x"}, "data": {"a": "b"}})
