"""Control plane and kubelets from real node lists and /version strings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tracker.identify.kubernetes import highest_version
from tracker.identify.registry import identify
from tracker.inventory.parse import parse_pod
from tracker.models import NamespaceScope, Node, Pod, Role

from .conftest import load_objects, make_inventory, to_node


@pytest.mark.parametrize(
    ("nodes", "version", "names"),
    [
        (
            "nodes/eks-v1.16.13-eks-ec92d4.nodelist.json",
            "v1.16.13-eks-ec92d4",
            "Node/ip-192-0-2-10.us-east-2.compute.internal",
        ),
        ("nodes/doks-v1.18.10.nodelist.json", "v1.18.10", "Node/pool-un5t2n2gp-8b870"),
        ("nodes/kind-v1.24.0.node.yaml", "v1.24.0", "Node/kind-control-plane"),
    ],
)
def test_real_node_lists_give_kubelet_components(real_inventory, catalogue, nodes, version, names):
    result = identify(real_inventory(nodes=(nodes,)), catalogue)
    [kubelet] = [c for c in result.components if c.role is Role.KUBELET]
    assert (kubelet.component, kubelet.raw_version, kubelet.instances) == ("kubernetes", version, 1)
    assert kubelet.workload == names
    assert kubelet.project == "kubernetes/kubernetes" and kubelet.namespace is None
    [cp] = [c for c in result.components if c.role is Role.CONTROL_PLANE]
    assert cp.raw_version == version and cp.detail and "estimated" in cp.detail


def test_kind_control_plane_node_is_counted(real_inventory, catalogue):
    result = identify(real_inventory(nodes=("nodes/kind-v1.24.0.node.yaml",)), catalogue)
    [kubelet] = [c for c in result.components if c.role is Role.KUBELET]
    assert kubelet.detail == "1 node (1 control-plane); container runtime containerd://1.6.4"


@pytest.mark.parametrize(
    "nodes",
    [
        "nodes/eks-v1.16.13-eks-ec92d4.nodelist.json",
        "nodes/doks-v1.18.10.nodelist.json",
        "nodes/gke-v1.18.19-gke.1701.nodelist.json",
        "nodes/kind-v1.24.0.node.yaml",
    ],
)
def test_kube_proxy_version_equal_to_the_kubelet_is_no_kube_proxy(real_inventory, catalogue, nodes):
    """In every real node list the deprecated nodeInfo.kubeProxyVersion is the kubelet's own
    version (the kubelet writes both, KEP-4004): no kube-proxy row is made from it."""
    inv = real_inventory(nodes=(nodes,))
    assert all(n.kube_proxy_version == n.kubelet_version for n in inv.nodes)
    assert not [c for c in identify(inv, catalogue).components if c.component == "kube-proxy"]


def _kind_node(name: str, kubelet: str, proxy: str, realdata) -> Node:
    [obj] = load_objects(realdata / "nodes" / "kind-v1.24.0.node.yaml")
    obj["metadata"]["name"] = name
    obj["status"]["nodeInfo"]["kubeletVersion"] = kubelet
    obj["status"]["nodeInfo"]["kubeProxyVersion"] = proxy
    return to_node(obj)


def test_kube_proxy_from_node_field_only_when_it_is_not_the_kubelet(realdata, catalogue):
    """A value something other than the kubelet wrote is used, per node group, when no
    kube-proxy pod was found in a scan of every namespace."""
    nodes = (
        _kind_node("a", "v1.24.0", "v1.24.0", realdata),  # the kubelet's own: ignored
        _kind_node("b", "v1.24.0", "v1.23.17", realdata),
    )
    result = identify(make_inventory(nodes=nodes), catalogue)
    [proxy] = [c for c in result.components if c.component == "kube-proxy"]
    assert (proxy.role, proxy.raw_version, proxy.instances) == (Role.ADDON, "v1.23.17", 1)
    assert proxy.workload == "Node/b"
    assert proxy.detail == "from node.status.nodeInfo.kubeProxyVersion of 1 node"
    # a scan limited with -n cannot know no kube-proxy pod runs: nothing from the field
    limited = replace(make_inventory(nodes=nodes), namespaces=NamespaceScope.listed(["app"]))
    assert not [c for c in identify(limited, catalogue).components if c.component == "kube-proxy"]


def test_server_version_wins(real_inventory, catalogue):
    inv = real_inventory(
        nodes=("nodes/eks-v1.16.13-eks-ec92d4.nodelist.json",), server_version="v1.16.15-eks-ad4801"
    )
    [cp] = [c for c in identify(inv, catalogue).components if c.role is Role.CONTROL_PLANE]
    assert cp.raw_version == "v1.16.15-eks-ad4801"
    assert cp.detail == "from the API server (/version)"
    assert cp.image is None and cp.workload is None


def _static(component: str, node: str, image: str) -> Pod:
    """A mirror pod as the API server lists it (shape of the GKE kube-proxy pods), parsed
    by the real parser."""
    obj = {
        "metadata": {
            "name": f"{component}-{node}",
            "namespace": "kube-system",
            "labels": {"component": component, "tier": "control-plane"},
            "annotations": {
                "kubernetes.io/config.mirror": "97e90aba1ab4fc9aa87ed53f84553464",
                "kubernetes.io/config.source": "file",
            },
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": node, "controller": True}
            ],
        },
        "spec": {"nodeName": node, "containers": [{"name": component, "image": image}]},
        "status": {"phase": "Running"},
    }
    pod, warnings = parse_pod(obj)
    assert warnings == []
    return pod


def test_real_gke_kube_proxy_static_pods_are_one_entry(realdata, catalogue):
    podlist = load_objects(realdata / "pods/gke-v1.18.19-kubevious-samples.podlist.json")
    proxies = tuple(
        parse_pod(o)[0] for o in podlist if o["metadata"]["name"].startswith("kube-proxy-")
    )
    assert {str(p.workload) for p in proxies} == {"StaticPod/kube-proxy"}  # the parser's shape
    [proxy] = identify(make_inventory(pods=proxies), catalogue).components
    assert (proxy.component, proxy.workload, proxy.instances) == (
        "kube-proxy",
        "StaticPod/kube-proxy",
        2,
    )
    assert proxy.detail == (
        "static pod on 2 nodes: "
        "gke-kubevious-samples-pool-2-d17eaa99-a7xj, gke-kubevious-samples-pool-2-d17eaa99-mb9q"
    )


def test_static_pods_split_by_version_and_manifest(catalogue):
    proxy = "registry.k8s.io/kube-proxy:v1.29.3"
    pods = (
        _static("kube-proxy", "n1", proxy),
        _static("kube-proxy", "n2", "registry.k8s.io/kube-proxy:v1.28.7"),  # not yet upgraded
        _static("kube-proxy", "n3", proxy),
        _static("etcd", "n1", "registry.k8s.io/etcd:3.5.10-0"),
    )
    result = identify(make_inventory(pods=pods), catalogue)
    assert [
        (c.component, c.workload, c.raw_version, c.instances, c.detail) for c in result.components
    ] == [
        ("etcd", "StaticPod/etcd", "3.5.10-0", 1, "static pod on 1 node: n1"),
        ("kube-proxy", "StaticPod/kube-proxy", "v1.28.7", 1, "static pod on 1 node: n2"),
        ("kube-proxy", "StaticPod/kube-proxy", "v1.29.3", 2, "static pod on 2 nodes: n1, n3"),
    ]


def test_kubelets_grouped_per_version_highest_first(catalogue):
    nodes = tuple(
        Node(f"n{i}", v)
        for i, v in enumerate(["v1.28.3", "v1.29.1", "v1.28.3", "v1.28.10", "v1.29.1", "v1.28.3"])
    )
    result = identify(make_inventory(nodes=nodes), catalogue)
    kubelets = [
        (c.raw_version, c.instances, c.workload)
        for c in result.components
        if c.role is Role.KUBELET
    ]
    assert kubelets == [
        ("v1.29.1", 2, "Node/n1,n4"),
        ("v1.28.10", 1, "Node/n3"),
        ("v1.28.3", 3, "Node/n0,n2,n5"),
    ]
    [cp] = [c for c in result.components if c.role is Role.CONTROL_PLANE]
    assert cp.raw_version == "v1.29.1"  # by version order, not string order


def test_kubelet_workload_is_capped():
    nodes = tuple(Node(f"node-{i:02d}", "v1.29.1") for i in range(8))
    from tracker.identify.catalogue import load_catalogue

    [kubelet] = [
        c
        for c in identify(make_inventory(nodes=nodes), load_catalogue()).components
        if c.role is Role.KUBELET
    ]
    assert kubelet.workload == "Node/node-00,node-01,node-02,node-03,node-04,+3 more"
    assert kubelet.instances == 8


def test_dump_without_version_uses_the_apiserver_pod(catalogue):
    pods = (
        _static("kube-apiserver", "cp1", "registry.k8s.io/kube-apiserver:v1.29.3"),
        _static(
            "kube-controller-manager", "cp1", "registry.k8s.io/kube-controller-manager:v1.29.3"
        ),
        _static("kube-scheduler", "cp1", "registry.k8s.io/kube-scheduler:v1.29.3"),
    )
    result = identify(make_inventory(pods=pods, nodes=(Node("cp1", "v1.28.7"),)), catalogue)
    cps = [c for c in result.components if c.role is Role.CONTROL_PLANE]
    assert len(cps) == 1  # the pods at that version are absorbed into it
    assert cps[0].raw_version == "v1.29.3"
    assert cps[0].image == "registry.k8s.io/kube-apiserver:v1.29.3"
    assert "kube-apiserver pod" in (cps[0].detail or "")
    assert result.unidentified == ()


def test_control_plane_pod_at_another_version_shows_the_skew(catalogue):
    pods = (
        _static("kube-apiserver", "cp1", "registry.k8s.io/kube-apiserver:v1.29.3"),
        _static(
            "kube-controller-manager", "cp1", "registry.k8s.io/kube-controller-manager:v1.28.7"
        ),
    )
    result = identify(make_inventory(pods=pods, server_version="v1.29.3"), catalogue)
    cps = [c for c in result.components if c.role is Role.CONTROL_PLANE]
    assert [c.raw_version for c in cps] == ["v1.29.3", "v1.28.7"]
    assert cps[1].workload == "StaticPod/kube-controller-manager"
    assert cps[1].namespace == "kube-system"
    # the skew is a finding of tracker.evaluate.skew now, not text in `detail`
    assert cps[1].detail == "static pod on 1 node: cp1"


def test_no_nodes_no_version_no_control_plane(catalogue):
    assert identify(make_inventory(), catalogue).components == ()


def test_highest_version_orders_by_version_not_text():
    assert highest_version(["v1.9.0", "v1.10.0"]) == "v1.10.0"
    assert highest_version(["latest", "v1.2.0"]) == "v1.2.0"
    assert highest_version(["latest"]) == "latest"
    assert highest_version([]) is None
