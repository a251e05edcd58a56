"""Kubelet, kube-proxy and Istio skew, and Istio vs Kubernetes, on real-shaped clusters: real
node and pod objects (tests/data/realdata) through the real parser and identify, with the
versions of the issue's cases; policy facts in tests/data/realdata/eol/."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.identify.conftest import load_objects, make_inventory, to_node, to_pod
from tests.identify.test_kubernetes import _static
from tracker.evaluate import evaluate
from tracker.evaluate.compat import ISTIO_POLICY, KUBERNETES_SKEW_POLICY
from tracker.evaluate.skew import (
    BUILTIN_ISTIO_SUPPORT,
    IstioKubernetesCheck,
    istio_support_from_cycles,
)
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.models import ComponentReport, Finding, Flag, Node, Pod, Role, Severity

TODAY = date(2026, 8, 20)
CATALOGUE = load_catalogue({})


def _kind_node(realdata: Path, name: str, kubelet: str) -> Node:
    """The real kind node object, renamed and at another kubelet/kube-proxy version."""
    obj = copy.deepcopy(load_objects(realdata / "nodes" / "kind-v1.24.0.node.yaml")[0])
    obj["metadata"]["name"] = name
    obj["status"]["nodeInfo"]["kubeletVersion"] = kubelet
    obj["status"]["nodeInfo"]["kubeProxyVersion"] = kubelet
    return to_node(obj)


def _sidecar_pod(realdata: Path, name: str, proxy: str, revision: str) -> Pod:
    """The real istio-injector golden pod (classic sidecar), at ``proxy`` on ``revision``."""
    obj = copy.deepcopy(
        load_objects(realdata / "pods" / "istio-injector-golden.classic-sidecar.pod.yaml")[0]
    )
    text = yaml.safe_dump(obj).replace(
        "registry.istio.io/testing/proxyv2:latest", f"docker.io/istio/proxyv2:{proxy}"
    )
    obj = yaml.safe_load(text)
    obj["metadata"]["name"] = name
    obj["metadata"]["labels"]["istio.io/rev"] = revision
    status = json.loads(obj["metadata"]["annotations"]["sidecar.istio.io/status"])
    status["revision"] = revision
    obj["metadata"]["annotations"]["sidecar.istio.io/status"] = json.dumps(status)
    return to_pod(obj)


def _istiod(version: str, revision: str | None = None) -> Pod:
    labels: dict[str, Any] = {"app": "istiod", "istio": "pilot"}
    name = "istiod" if revision is None else f"istiod-{revision}"
    if revision is not None:
        labels["istio.io/rev"] = revision
    obj = {
        "metadata": {
            "name": f"{name}-7d4b9c8f6-x2x9q",
            "namespace": "istio-system",
            "labels": labels,
            "ownerReferences": [{"kind": "ReplicaSet", "name": f"{name}-7d4b9c8f6"}],
        },
        "spec": {
            "containers": [{"name": "discovery", "image": f"docker.io/istio/pilot:{version}"}]
        },
    }
    return to_pod(obj)


def _rows(
    server: str, *, nodes: tuple[Node, ...] = (), pods: tuple[Pod, ...] = (), **kw: Any
) -> list[ComponentReport]:
    found = identify(make_inventory(pods=pods, nodes=nodes, server_version=server), CATALOGUE)
    return evaluate("prod", found.components, CATALOGUE, {}, TODAY, **kw)


def _found(
    rows: list[ComponentReport], kind: Flag, role: Role | None = None
) -> list[tuple[ComponentReport, Finding]]:
    """Findings of ``kind`` (on rows of ``role`` only, when given: node rows also bring
    kube-proxy rows from nodeInfo, judged by the same policy)."""
    return [
        (r, f)
        for r in rows
        for f in r.findings
        if f.kind is kind and (role is None or r.component.role is role)
    ]


def test_kubelet_one_minor_older_is_info(realdata: Path) -> None:
    rows = _rows("v1.28.5", nodes=(_kind_node(realdata, "w1", "v1.27.9"),))
    [(row, finding)] = _found(rows, Flag.SKEW, Role.KUBELET)
    assert row.component.role is Role.KUBELET and row.component.raw_version == "v1.27.9"
    assert finding.severity is Severity.INFO
    assert finding.source == KUBERNETES_SKEW_POLICY
    assert finding.message.startswith("kubelet 1.27.9 is 1 minor release older than the API")


def test_kubelet_newer_than_the_api_server_is_critical(realdata: Path) -> None:
    nodes = (_kind_node(realdata, "w1", "v1.28.5"), _kind_node(realdata, "w2", "v1.29.1"))
    rows = _rows("v1.28.5", nodes=nodes)
    [(row, finding)] = _found(rows, Flag.SKEW, Role.KUBELET)
    assert row.component.raw_version == "v1.29.1"  # one finding per kubelet version group
    assert finding.severity is Severity.CRITICAL
    assert "newer than the API server 1.28.5" in finding.message


def test_real_eks_nodes_under_newer_control_planes(realdata: Path) -> None:
    """The recorded EKS node (kubelet v1.16.13-eks-ec92d4): at the 2-minor limit of
    pre-1.25 kubelets under 1.18 (warning), beyond it under 1.19 (critical)."""
    nodes = tuple(
        to_node(o) for o in load_objects(realdata / "nodes/eks-v1.16.13-eks-ec92d4.nodelist.json")
    )
    [(_, at_limit)] = _found(_rows("v1.18.20-eks-c9f1ce", nodes=nodes), Flag.SKEW, Role.KUBELET)
    assert at_limit.severity is Severity.WARNING
    [(_, beyond)] = _found(_rows("v1.19.16-eks-25803e", nodes=nodes), Flag.SKEW, Role.KUBELET)
    assert beyond.severity is Severity.CRITICAL
    assert "at most 2 are supported" in beyond.message


def test_kube_proxy_against_the_api_server() -> None:
    pods = (_static("kube-proxy", "w1", "registry.k8s.io/kube-proxy:v1.29.2"),)
    rows = _rows("v1.28.5", pods=pods)
    [(row, finding)] = _found(rows, Flag.SKEW)
    assert row.component.component == "kube-proxy"
    assert finding.severity is Severity.CRITICAL
    assert finding.message.startswith("kube-proxy 1.29.2 is newer than the API server")


def test_sidecars_older_than_their_istiod_are_info(realdata: Path) -> None:
    pods = (_istiod("1.29.3"), _sidecar_pod(realdata, "app-1", "1.28.7", "default"))
    rows = _rows("v1.31.4", pods=pods)
    [(row, finding)] = _found(rows, Flag.SKEW)
    assert row.component.role is Role.DATA_PLANE
    assert finding.severity is Severity.INFO
    assert finding.source == ISTIO_POLICY
    assert "older than istiod 1.29.3 (revision 'default')" in finding.message


def test_sidecars_on_a_vanished_revision_are_critical(realdata: Path) -> None:
    pods = (
        _istiod("1.29.3", revision="1-29"),
        _sidecar_pod(realdata, "app-1", "1.29.3", "1-29"),
        _sidecar_pod(realdata, "app-2", "1.28.7", "1-28"),  # istiod-1-28 was removed
    )
    rows = _rows("v1.31.4", pods=pods)
    [(row, finding)] = _found(rows, Flag.SKEW)
    assert row.component.revision == "1-28"
    assert finding.severity is Severity.CRITICAL
    assert "revision '1-28', which no istiod serves" in finding.message


def test_sidecars_newer_than_istiod_or_two_minors_behind_are_critical(realdata: Path) -> None:
    pods = (
        _istiod("1.28.2"),
        _sidecar_pod(realdata, "new", "1.29.0", "default"),
        _sidecar_pod(realdata, "old", "1.26.5", "default"),
    )
    found = _found(_rows("v1.31.4", pods=pods), Flag.SKEW)
    assert {(r.component.raw_version, f.severity) for r, f in found} == {
        ("1.29.0", Severity.CRITICAL),
        ("1.26.5", Severity.CRITICAL),
    }


def test_no_istiod_in_the_scan_raises_nothing(realdata: Path) -> None:
    rows = _rows("v1.31.4", pods=(_sidecar_pod(realdata, "app", "1.28.7", "default"),))
    assert _found(rows, Flag.SKEW) == []


def test_istio_1_26_on_kubernetes_1_34_is_incompatible() -> None:
    rows = _rows("v1.34.1", pods=(_istiod("1.26.4"),))
    [(row, finding)] = _found(rows, Flag.INCOMPATIBLE)
    assert row.component.component == "istio" and row.component.role is Role.CONTROL_PLANE
    assert finding.severity is Severity.CRITICAL
    assert finding.message == (
        "Istio 1.26 supports Kubernetes 1.29-1.33; this cluster runs 1.34.1: upgrade Istio"
    )
    assert finding.source == ISTIO_POLICY
    # older than the range: a warning; inside it: nothing
    [(_, older)] = _found(_rows("v1.28.9", pods=(_istiod("1.26.4"),)), Flag.INCOMPATIBLE)
    assert older.severity is Severity.WARNING
    assert _found(_rows("v1.33.2", pods=(_istiod("1.26.4"),)), Flag.INCOMPATIBLE) == []


def test_istio_ranges_from_the_stored_endoflife_documents(realdata: Path) -> None:
    """The recorded endoflife.date istio product, stored the way sync stores it (cycle ->
    the API's release object), gives the same ranges as the built-in table, and a newer
    stored range wins over the built-in one."""
    product = json.loads((realdata / "eol" / "istio.json").read_text("utf-8"))
    documents: dict[tuple[str, str], object] = {("istio", ""): {"label": "Istio"}}
    for cycle in product["result"]["releases"]:
        documents[("istio", cycle["name"])] = cycle
    support = istio_support_from_cycles(documents)
    both = set(BUILTIN_ISTIO_SUPPORT) & {(1, int(k.split(".")[1])) for _, k in documents if k}
    assert len(both) == 24 and all(support[k] == BUILTIN_ISTIO_SUPPORT[k] for k in both)
    assert support == BUILTIN_ISTIO_SUPPORT
    documents[("istio", "1.26")] = {"custom": {"supportedKubernetesVersions": "1.30 - 1.34"}}
    changed = istio_support_from_cycles(documents)
    assert changed[(1, 26)] == ((1, 30), (1, 34))
    rows = _rows("v1.34.1", pods=(_istiod("1.26.4"),), istio_support=changed)
    assert _found(rows, Flag.INCOMPATIBLE) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"custom": None},
        {"custom": {"supportedKubernetesVersions": 3}},
        "text",
        {"custom": {"supportedKubernetesVersions": "?"}},
    ],
)
def test_unreadable_stored_ranges_fall_back_to_the_built_in_table(bad: object) -> None:
    assert istio_support_from_cycles({("istio", "1.26"): bad}) == dict(BUILTIN_ISTIO_SUPPORT)
    assert IstioKubernetesCheck().support is BUILTIN_ISTIO_SUPPORT
