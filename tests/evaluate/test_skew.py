"""Cluster-level checks: control-plane pods at another version than the control plane become
``skew`` findings judged by the Kubernetes version-skew policy (facts:
tests/data/realdata/eol/kubernetes-version-skew.md), attached to the right rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from tests.identify.conftest import make_inventory
from tests.identify.test_kubernetes import _static
from tracker.evaluate import (
    DEFAULT_CLUSTER_CHECKS,
    ClusterCheck,
    ClusterEvaluation,
    ClusterFinding,
    evaluate,
)
from tracker.evaluate.skew import SKEW_POLICY_URL, ControlPlaneSkewCheck
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.models import (
    CatalogueEntry,
    ComponentReport,
    Finding,
    Flag,
    Node,
    Release,
    Role,
    Severity,
)

TODAY = date(2026, 8, 20)


def _rows(
    server: str | None,
    pods: Sequence[tuple[str, str]],
    releases: dict[str, list[Release]],
    nodes: tuple[Node, ...] = (),
) -> list[ComponentReport]:
    catalogue = load_catalogue({})
    inventory = make_inventory(
        pods=tuple(_static(name, "cp1", f"registry.k8s.io/{name}:{v}") for name, v in pods),
        nodes=nodes,
        server_version=server,
    )
    found = identify(inventory, catalogue)
    return evaluate("prod", found.components, catalogue, releases, TODAY)


def _skew(rows: list[ComponentReport]) -> list[tuple[str | None, Finding]]:
    return [(r.component.workload, f) for r in rows for f in r.findings if f.kind is Flag.SKEW]


def test_controller_manager_one_minor_older_is_allowed_during_an_upgrade(real_releases) -> None:
    rows = _rows("v1.29.3", [("kube-apiserver", "v1.29.3"), ("kube-controller-manager", "v1.28.7")],
                 real_releases)  # fmt: skip
    [(workload, finding)] = _skew(rows)
    assert workload == "StaticPod/kube-controller-manager"
    assert finding.severity is Severity.INFO
    assert finding.message.startswith(
        "kube-controller-manager v1.28.7 differs from the control-plane version v1.29.3: "
        "allowed while an upgrade runs"
    )
    assert SKEW_POLICY_URL in finding.message
    # the row keeps its own findings too, in Flag order (outdated before skew)
    row = next(r for r in rows if r.component.workload == "StaticPod/kube-controller-manager")
    assert row.flags == (Flag.OUTDATED, Flag.SKEW)
    # the control plane itself has no skew finding
    main = next(
        r for r in rows if r.component.role is Role.CONTROL_PLANE and not r.component.namespace
    )
    assert Flag.SKEW not in main.flags


def test_scheduler_newer_than_the_apiserver_is_outside_the_policy(real_releases) -> None:
    rows = _rows("v1.28.5", [("kube-scheduler", "v1.29.3")], real_releases)
    [(_, finding)] = _skew(rows)
    assert finding.severity is Severity.WARNING
    assert "outside the Kubernetes version-skew policy" in finding.message
    assert "kube-scheduler at most 1 minor version older than kube-apiserver, never newer" in (
        finding.message
    )


def test_two_minors_behind_is_outside_the_policy(real_releases) -> None:
    rows = _rows("v1.29.3", [("kube-controller-manager", "v1.27.12")], real_releases)
    [(_, finding)] = _skew(rows)
    assert finding.severity is Severity.WARNING


def test_ha_apiservers_may_differ_by_one_minor_either_way(real_releases) -> None:
    [(_, older)] = _skew(_rows("v1.29.3", [("kube-apiserver", "v1.28.8")], real_releases))
    assert older.severity is Severity.INFO
    [(_, far)] = _skew(_rows("v1.29.3", [("kube-apiserver", "v1.27.12")], real_releases))
    assert far.severity is Severity.WARNING
    assert "kube-apiserver instances within 1 minor version of each other" in far.message


def test_pods_at_the_control_plane_version_raise_nothing(real_releases) -> None:
    pods = [(name, "v1.29.3") for name in ("kube-apiserver", "kube-scheduler")]
    rows = _rows("v1.29.3", pods, real_releases, nodes=(Node("n1", "v1.29.3"),))
    assert _skew(rows) == []


def test_a_patch_difference_is_within_the_policy(real_releases) -> None:
    [(_, finding)] = _skew(_rows("v1.29.3", [("kube-scheduler", "v1.29.1")], real_releases))
    assert finding.severity is Severity.INFO


class _TagEveryKubelet:
    """A hand-made cluster check: one finding per kubelet entry."""

    def check_cluster(self, cluster: ClusterEvaluation) -> Sequence[ClusterFinding]:
        return [
            ClusterFinding(
                e.component, Finding(Flag.SKEW, Severity.INFO, f"seen in {cluster.cluster}")
            )
            for e in cluster.evaluations
            if e.component.role is Role.KUBELET
        ]


def test_cluster_checks_attach_findings_to_the_rows_they_name(real_releases) -> None:
    assert isinstance(_TagEveryKubelet(), ClusterCheck)
    assert any(isinstance(c, ControlPlaneSkewCheck) for c in DEFAULT_CLUSTER_CHECKS)
    catalogue = {
        "kubernetes": CatalogueEntry("kubernetes", "kubernetes", "kubernetes/kubernetes", ())
    }
    nodes = (Node("a", "v1.28.7"), Node("b", "v1.29.3"))
    found = identify(make_inventory(nodes=nodes, server_version="v1.29.3"), load_catalogue({}))
    rows = evaluate("prod", found.components, catalogue, real_releases, TODAY,
                    cluster_checks=(_TagEveryKubelet(),))  # fmt: skip
    tagged = {r.component.raw_version for r in rows if Flag.SKEW in r.flags}
    assert tagged == {"v1.28.7", "v1.29.3"}
    kubelets = [r for r in rows if r.component.role is Role.KUBELET]
    assert all(r.findings[-1].message == "seen in prod" for r in kubelets)
    none = evaluate("prod", found.components, catalogue, real_releases, TODAY, cluster_checks=())
    assert not any(Flag.SKEW in r.flags for r in none)
