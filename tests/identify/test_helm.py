"""Helm releases as report rows: real release Secrets, real-shaped dumps, real chart tags."""

from __future__ import annotations

import base64
import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.evaluate import evaluate
from tracker.identify.catalogue import load_catalogue
from tracker.identify.helm import chart_entry, helm_columns
from tracker.identify.registry import identify
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import Flag, HelmRelease, Inventory, Release, Role, Source, Status
from tracker.report.json import component_to_dict

HELM = "helm/kubevious-mock-data.helm-release-secrets.yaml"
TAGS = Path(__file__).parents[1] / "data" / "tags"
CONTROLLER = "registry.k8s.io/ingress-nginx/controller:v1.11.3"


def _tags(name: str, project: str) -> list[Release]:
    lines = (TAGS / name).read_text().splitlines()
    return [Release(project, t.strip(), None) for t in lines if t.strip() and not t.startswith("#")]


def _secret(release: dict[str, Any], revision: int, status: str) -> dict[str, Any]:
    """A Helm 3 release Secret as Helm writes it: base64(base64(gzip(JSON)))."""
    helm = base64.b64encode(gzip.compress(json.dumps(release).encode(), mtime=0))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{release['name']}.v{revision}",
            "namespace": release["namespace"],
            "labels": {
                "owner": "helm",
                "name": release["name"],
                "status": status,
                "version": str(revision),
            },
        },
        "data": {"release": base64.b64encode(helm).decode()},
    }


def _nginx_release(chart_version: str, revision: int, status: str) -> dict[str, Any]:
    return {
        "name": "ingress-nginx",
        "namespace": "ingress-nginx",
        "version": revision,
        "info": {"status": status, "last_deployed": "2024-10-10T08:00:00.123456789Z"},
        "chart": {
            "metadata": {"name": "ingress-nginx", "version": chart_version, "appVersion": "1.11.3"}
        },
        "manifest": f"spec:\n  containers:\n    - name: controller\n      image: {CONTROLLER}\n",
    }


def _controller_pod() -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {
            "name": "ingress-nginx-controller-5c8d6-abcde",
            "namespace": "ingress-nginx",
            "ownerReferences": [
                {"kind": "ReplicaSet", "name": "ingress-nginx-controller-5c8d6", "controller": True}
            ],
            "labels": {"pod-template-hash": "5c8d6"},
        },
        "spec": {"containers": [{"name": "controller", "image": CONTROLLER}]},
        "status": {"phase": "Running"},
    }


@pytest.fixture
def nginx_dump(tmp_path: Path) -> Path:
    """``kubectl get pods,secrets -A -o json``-shaped: a pod and two revisions (the newer one
    failed), plus an Opaque Secret that must stay unread."""
    items = [
        _controller_pod(),
        _secret(_nginx_release("4.11.2", 4, "superseded"), 4, "superseded"),
        _secret(_nginx_release("4.11.3", 5, "deployed"), 5, "deployed"),
        _secret(_nginx_release("4.12.0", 6, "failed"), 6, "failed"),
        {"kind": "Secret", "type": "Opaque", "metadata": {"name": "x", "namespace": "a"}},
    ]
    path = tmp_path / "prod.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


def test_real_release_secrets_become_rows(realdata: Path) -> None:
    inventory = KubectlDump([realdata / HELM], cluster="ocp").collect()
    rows = [c for c in identify(inventory, load_catalogue()).components if c.role is Role.HELM]
    assert len(rows) == 2
    first, second = (helm_columns(c) for c in rows)
    assert first is not None and second is not None
    assert (first.release, first.chart, first.chart_version, first.app_version) == (
        "kubevious",
        "kubevious",
        "1.0.13",
        "1.0.13",
    )
    assert (second.release, second.chart, second.chart_version) == (
        "traefik-samples",
        "traefik-samples",
        "0.0.1",
    )
    assert rows[0].namespace == "kubevious" and rows[0].workload == "HelmRelease/kubevious"
    # revision 110 is pending-upgrade: the deployed 109 is the one reported
    assert rows[0].detail is not None and "Helm revision 109 (deployed)" in rows[0].detail
    # no catalogue entry names these charts: no project, so no upstream data (never a guess)
    assert all(c.project is None for c in rows)
    reports = evaluate("ocp", rows, load_catalogue(), {}, date(2026, 12, 1))
    assert all(Flag.NO_UPSTREAM_DATA in r.flags for r in reports)


def test_helm_release_with_pods_and_nodes_in_one_dump(realdata: Path) -> None:
    gke = realdata / "nodes/gke-v1.18.19-gke.1701.nodelist.json"
    inventory = KubectlDump([gke, realdata / HELM], cluster="gke").collect()
    assert len(inventory.helm_releases) == 2 and inventory.nodes


def test_chart_is_compared_with_its_own_tag_stream(nginx_dump: Path) -> None:
    catalogue = load_catalogue()
    inventory = KubectlDump([nginx_dump]).collect()
    assert [(r.revision, r.status) for r in inventory.helm_releases] == [(5, "deployed")]
    found = identify(inventory, catalogue)
    [chart] = [c for c in found.components if c.role is Role.HELM]
    [image] = [c for c in found.components if c.role is Role.ADDON]
    assert (chart.component, chart.raw_version, chart.project) == (
        "ingress-nginx",
        "4.11.3",
        "kubernetes/ingress-nginx",
    )
    # linked, not double-counted: the image row stays itself and names its release
    assert (image.component, image.raw_version) == ("ingress-nginx", "v1.11.3")
    assert image.detail == "Helm release ingress-nginx/ingress-nginx"
    assert chart.detail is not None and chart.detail.endswith("runs 1 of its 1 images")

    releases = {
        "kubernetes/ingress-nginx": _tags(
            "kubernetes__ingress-nginx.txt", "kubernetes/ingress-nginx"
        )
    }
    by_role = {
        r.component.role: r
        for r in evaluate("prod", found.components, catalogue, releases, date(2026, 12, 1))
    }
    helm, controller = by_role[Role.HELM], by_role[Role.ADDON]
    assert (helm.current, helm.latest, helm.status) == ("4.11.3", "4.15.1", Status.OUTDATED)
    assert (controller.current, controller.latest) == ("1.11.3", "1.15.1")

    out = component_to_dict(helm)
    assert (out["release"], out["chart"], out["chart_version"], out["app_version"]) == (
        "ingress-nginx",
        "ingress-nginx",
        "4.11.3",
        "1.11.3",
    )
    assert "release" not in component_to_dict(controller)


def test_chart_entry_only_changes_helm_rows() -> None:
    catalogue = load_catalogue()
    cert = catalogue["cert-manager"]
    inventory_row = identify(
        _inventory_with_chart("cert-manager", "v1.15.0"), catalogue
    ).components[0]
    entry = chart_entry(cert, inventory_row)
    assert entry is not None and entry.tag_pattern == cert.tag_pattern  # shares the app tags
    unmapped = _inventory_with_chart("grafana", "8.5.0")
    [row] = identify(unmapped, catalogue).components
    assert row.component == "grafana" and row.project is None
    assert chart_entry(catalogue["grafana"], row) is None  # grafana's app tags are not the chart's


def _inventory_with_chart(chart: str, version: str) -> Inventory:
    release = HelmRelease(chart, "ns", 1, "deployed", chart, version, None)
    return Inventory("c", Source.DUMP, datetime.now(UTC), None, (), (), helm_releases=(release,))


def test_charts_key_is_checked() -> None:
    from tracker.errors import IdentifyError

    with pytest.raises(IdentifyError, match=r"\[components.x\]: field 'charts' must be a list"):
        load_catalogue({"x": {"images": ["a/b"], "project": "a/b", "charts": "b"}})
    with pytest.raises(IdentifyError, match="Helm chart 'ingress-nginx' is listed by both"):
        load_catalogue({"x": {"images": ["a/b"], "project": "a/b", "charts": ["ingress-nginx"]}})
    with pytest.raises(IdentifyError, match="chart_tag_pattern' has no named group 'version'"):
        load_catalogue({"ingress-nginx": {"chart_tag_pattern": "^helm-chart-.*$"}})


@pytest.mark.parametrize(
    ("entry", "tags", "highest"),
    [
        ("ingress-nginx", "kubernetes__ingress-nginx.txt", "4.15.1"),
        ("metrics-server", "kubernetes-sigs__metrics-server.txt", "3.13.1"),
        ("external-dns", "kubernetes-sigs__external-dns.txt", "1.21.1"),
        ("cluster-autoscaler", "kubernetes__autoscaler.txt", "9.59.0"),
    ],
)
def test_chart_tag_patterns_on_real_tags(entry: str, tags: str, highest: str) -> None:
    from tracker.evaluate.stream import build_stream

    e = load_catalogue()[entry]
    assert e.chart_tag_pattern is not None and e.project is not None
    stream = build_stream(e.project, e.chart_tag_pattern, _tags(tags, e.project))
    stable = [r for r in stream.releases if not r.prerelease]
    assert max(r.version.version for r in stable).base_version == highest
    # the chart stream holds chart tags only (no controller/app tags)
    assert all("chart" in r.release.tag for r in stream.releases)


def test_yaml_realdata_is_a_list_of_secrets(realdata: Path) -> None:
    doc = yaml.safe_load((realdata / HELM).read_text())
    assert doc["kind"] == "List" and {i["type"] for i in doc["items"]} == {"helm.sh/release.v1"}
