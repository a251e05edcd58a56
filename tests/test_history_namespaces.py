"""A scan limited with ``-n/--namespace`` resolves nothing it did not read: findings of the
other namespaces are "not scanned" (history, digests), and come back still open, not new,
when a full scan sees them again. Real GKE 1.18 pods, nodes and Helm release Secrets; real
Istio sidecar pods copied into more namespaces."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from tracker.evaluate import evaluate
from tracker.history import ScanRows, carry_unscanned, diff_findings, row_covered
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import EVERY_NAMESPACE, ComponentReport, Inventory, NamespaceScope, Role
from tracker.upstream.release_file import load_release_file
from tracker.workflows.scan import only_namespaces

GKE_DUMP = (
    "pods/gke-v1.18.19-kubevious-samples.podlist.json",
    "nodes/gke-v1.18.19-gke.1701.nodelist.json",
    "helm/kubevious-mock-data.helm-release-secrets.yaml",
)
TODAY = date(2026, 12, 1)
PICKED = ("sock-shop", "kubevious", "kube-system")


def _evaluate(realdata: Path, inventory: Inventory) -> list[ComponentReport]:
    catalogue = load_catalogue()
    releases = {}
    for p in sorted((realdata / "releases").glob("*__*.json")):
        project = p.stem.replace("__", "/")
        releases[project] = load_release_file(p, project).releases[project]
    components = identify(inventory, catalogue).components
    return evaluate(inventory.cluster, components, catalogue, releases, TODAY)


def _scan(realdata: Path, files: tuple[str, ...], namespaces: tuple[str, ...] = ()) -> ScanRows:
    """What ``tracker scan --from-dump ... [-n ...]`` stores, evaluated."""
    inventory = KubectlDump([realdata / f for f in files], cluster="gke").collect()
    inventory = only_namespaces(inventory, namespaces)
    return ScanRows(_evaluate(realdata, inventory), inventory.namespaces)


def _findings(rows: list[ComponentReport] | tuple[ComponentReport, ...]) -> int:
    return sum(len(r.findings) for r in rows)


@pytest.fixture(scope="module")
def gke(realdata: Path) -> tuple[ScanRows, ScanRows]:
    """The real GKE cluster scanned whole, then with ``-n`` for the :data:`PICKED` namespaces."""
    return _scan(realdata, GKE_DUMP), _scan(realdata, GKE_DUMP, PICKED)


def test_the_dump_path_records_the_namespaces_given(gke: tuple[ScanRows, ScanRows]) -> None:
    full, part = gke
    assert full.namespaces == EVERY_NAMESPACE
    assert part.namespaces == NamespaceScope.listed(PICKED)
    assert {r.component.namespace for r in part.rows} == {None, *PICKED}


def test_findings_of_namespaces_not_read_are_not_scanned_not_resolved(
    gke: tuple[ScanRows, ScanRows],
) -> None:
    full, part = gke
    changes = diff_findings(full.rows, part.rows, part.namespaces)
    assert changes.resolved == () and changes.new == ()
    others = [r for r in full.rows if r.component.namespace not in (None, *PICKED)]
    assert {r.component.namespace for r in others} >= {"gitlab", "openfaas", "traefik-samples"}
    assert len(changes.not_scanned) == _findings(others) > 60
    assert {ref.row.component.namespace for ref in changes.not_scanned} == {
        r.component.namespace for r in others if r.findings
    }
    # the Helm release of traefik-samples was not read; kubevious's was, and is still open
    helm = {
        ref.row.component.namespace for ref in changes.not_scanned if ref.key.role == "helm-release"
    }
    assert helm == {"traefik-samples"}
    # cluster-scoped rows (nodes, /version) are always read and compared as usual
    open_roles = {ref.row.component.role for ref in changes.still_open}
    assert {Role.KUBELET, Role.CONTROL_PLANE} <= open_roles
    assert len(changes.still_open) == _findings(part.rows)
    assert changes.changed  # the digest says so rather than "no changes"


def test_a_full_scan_after_it_finds_nothing_new(gke: tuple[ScanRows, ScanRows]) -> None:
    full, part = gke
    # night 1 full, night 2 -n (the baseline), night 3 full again
    baseline = carry_unscanned(part, full, [part, full])
    changes = diff_findings(baseline, full.rows, full.namespaces)
    assert changes.new == () and changes.resolved == () and changes.not_scanned == ()
    assert len(changes.still_open) == _findings(full.rows)
    # a baseline that read everything the current run read is returned as it is
    assert carry_unscanned(full, part, [part]) == list(full.rows)


def test_a_workload_gone_from_a_namespace_read_is_resolved(realdata: Path) -> None:
    full = _scan(realdata, GKE_DUMP)
    inventory = KubectlDump([realdata / f for f in GKE_DUMP], cluster="gke").collect()
    inventory = only_namespaces(inventory, PICKED)
    without = tuple(p for p in inventory.pods if p.workload.name != "carts-db")
    part = ScanRows(_evaluate(realdata, replace(inventory, pods=without)), inventory.namespaces)
    changes = diff_findings(full.rows, part.rows, part.namespaces)
    assert [(r.key.workload, r.key.kind) for r in changes.resolved] == [
        ("Deployment/carts-db", "no-upstream-data"),
        ("Deployment/carts-db", "unknown-version"),
    ]


def _sidecar_pods(realdata: Path, out: Path, where: dict[str, str]) -> Path:
    """The real Istio 1.12.1 httpbin pod, once per namespace, with the proxy tag given."""
    pod = json.loads(
        (realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json").read_text()
    )
    items = []
    for namespace, tag in where.items():
        text = json.dumps(pod).replace("proxyv2:1.12.1", f"proxyv2:{tag}")
        copy = json.loads(text)
        copy["metadata"]["namespace"] = namespace
        items.append(copy)
    path = out / f"pods-{'-'.join(where)}.json"
    path.write_text(json.dumps({"kind": "List", "items": items}), encoding="utf-8")
    return path


def test_sidecars_grouped_across_namespaces_are_not_scanned_by_a_partial_scan(
    realdata: Path, tmp_path: Path
) -> None:
    pods = _sidecar_pods(realdata, tmp_path, {"a": "1.12.1", "b": "1.12.1", "c": "1.13.9"})
    node = str(realdata / "nodes" / "kind-v1.24.0.node.yaml")
    catalogue = load_catalogue()
    scans = []
    for namespaces in ((), ("c",), ()):
        inventory = KubectlDump([pods, Path(node)], cluster="dd").collect()
        inventory = only_namespaces(inventory, namespaces)
        rows = evaluate("dd", identify(inventory, catalogue).components, catalogue, {}, TODAY)
        scans.append(ScanRows(rows, inventory.namespaces))
    night1, night2, night3 = scans
    wide = [r for r in night1.rows if r.component.role is Role.DATA_PLANE]
    assert sorted((r.current, r.component.namespace) for r in wide) == [
        ("1.12.1", None),  # namespaces a and b: one row, no namespace
        ("1.13.9", "c"),
    ]
    assert not row_covered(wide[0], night2.namespaces) and row_covered(wide[0], EVERY_NAMESPACE)

    changes = diff_findings(night1.rows, night2.rows, night2.namespaces)
    assert not changes.resolved and not changes.new
    assert {r.row.current for r in changes.not_scanned} == {"1.12.1"}

    baseline = carry_unscanned(night2, night3, [night2, night1])
    back = diff_findings(baseline, night3.rows, night3.namespaces)
    assert not back.new and not back.resolved and not back.not_scanned
    assert {r.row.current for r in back.still_open if r.key.role == "data-plane"} == {
        "1.12.1",
        "1.13.9",
    }


def test_sidecars_upgraded_in_the_namespace_read_are_not_the_whole_mesh(
    realdata: Path, tmp_path: Path
) -> None:
    node = realdata / "nodes" / "kind-v1.24.0.node.yaml"
    before = _sidecar_pods(realdata, tmp_path, {"a": "1.12.1", "b": "1.12.1", "c": "1.12.1"})
    after = _sidecar_pods(
        realdata, tmp_path, {"a": "1.12.1", "b": "1.12.1", "c": "1.13.9", "d": "1.12.1"}
    )
    catalogue = load_catalogue()
    night1 = KubectlDump([before, node], cluster="dd").collect()
    night2 = only_namespaces(KubectlDump([after, node], cluster="dd").collect(), ("c",))
    rows1, rows2 = (
        evaluate("dd", identify(inv, catalogue).components, catalogue, {}, TODAY)
        for inv in (night1, night2)
    )
    changes = diff_findings(rows1, rows2, night2.namespaces)
    # only namespace c was read: its 1.13.9 proxies did not replace those of a and b
    assert changes.upgraded == () and changes.resolved == ()
    assert {r.row.current for r in changes.not_scanned} == {"1.12.1"}
    assert {r.row.current for r in changes.new} == {"1.13.9"}
    # as if namespace c were the whole cluster: one upgrade of the mesh's proxies
    whole = diff_findings(rows1, rows2)
    assert [(v.previous.current, v.current.current) for v in whole.upgraded] == [
        ("1.12.1", "1.13.9")
    ]


def test_kube_proxy_from_the_node_field_needs_every_namespace(
    realdata: Path, tmp_path: Path
) -> None:
    """kube-proxy from ``nodeInfo`` (real EKS node list, the field set apart from the kubelet
    version, no kube-proxy pod) stands for pods not found: a ``-n`` scan cannot say that, so
    it makes no such row and the full scan's findings on it are not scanned, then still open
    when a full scan sees them again, never resolved or new."""
    nodes = json.loads((realdata / "nodes/eks-v1.16.13-eks-ec92d4.nodelist.json").read_text())
    for node in nodes["items"]:
        node["status"]["nodeInfo"]["kubeProxyVersion"] = "v1.15.12"
    dump = tmp_path / "nodes.json"
    dump.write_text(json.dumps(nodes), encoding="utf-8")
    pods = realdata / "pods/gke-v1.18.19-kubevious-samples.podlist.json"  # pods in sock-shop
    proxy_free = tmp_path / "pods.json"
    podlist = json.loads(pods.read_text())
    podlist["items"] = [p for p in podlist["items"] if "kube-proxy" not in json.dumps(p)]
    proxy_free.write_text(json.dumps(podlist), encoding="utf-8")
    files = (str(proxy_free), str(dump))
    full, part = _scan(realdata, files), _scan(realdata, files, ("sock-shop",))
    [proxy] = [r for r in full.rows if r.component.component == "kube-proxy"]
    assert proxy.component.workload == "Node/ip-192-0-2-10.us-east-2.compute.internal"
    assert proxy.current == "1.15.12" and proxy.findings
    assert not [r for r in part.rows if r.component.component == "kube-proxy"]
    assert not row_covered(proxy, part.namespaces) and row_covered(proxy, full.namespaces)

    changes = diff_findings(full.rows, part.rows, part.namespaces)
    assert changes.new == () and changes.resolved == ()
    assert {ref.row.component.component for ref in changes.not_scanned} >= {"kube-proxy"}
    # the kubelet rows (nodes: read by every scan) keep their findings open, keyed the same
    kubelets = [r for r in part.rows if r.component.role is Role.KUBELET]
    open_kubelet = [ref for ref in changes.still_open if ref.key.role == "kubelet"]
    assert len(open_kubelet) == _findings(kubelets) > 0

    baseline = carry_unscanned(part, full, [part, full])  # night 3: every namespace again
    again = diff_findings(baseline, full.rows, full.namespaces)
    assert again.new == () and again.resolved == () and again.not_scanned == ()
    assert len(again.still_open) == _findings(full.rows)
