"""KubectlDump on every real dump, on merged files, and on malformed input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.errors import DumpError
from tracker.inventory.base import InventorySource
from tracker.inventory.kubectl_dump import KubectlDump, default_cluster_name
from tracker.models import Source

GKE_PODS = "pods/gke-v1.18.19-kubevious-samples.podlist.json"
GKE_NODES = "nodes/gke-v1.18.19-gke.1701.nodelist.json"


def _files(realdata: Path) -> list[Path]:
    return sorted(
        p for d in ("pods", "nodes", "version") for p in (realdata / d).iterdir() if p.is_file()
    )


def test_is_an_inventory_source() -> None:
    assert isinstance(KubectlDump([Path("x.json")]), InventorySource)


def test_every_real_dump_parses(realdata: Path) -> None:
    files = _files(realdata)
    assert len(files) == 13
    for path in files:
        inv = KubectlDump([path]).collect()
        assert inv.source is Source.DUMP
        assert inv.pods or inv.nodes or inv.server_version, path


def test_gke_pod_list(realdata: Path) -> None:
    inv = KubectlDump([realdata / GKE_PODS]).collect()
    assert inv.cluster == "gke-v1.18.19-kubevious-samples"
    assert len(inv.pods) == 80  # 81 minus the Succeeded CronJob pod
    assert inv.server_version is None and inv.nodes == ()
    assert len({p.namespace for p in inv.pods}) >= 7
    images = {c.image.raw for p in inv.pods for c in p.containers}
    assert "quay.io/jetstack/cert-manager-controller:v0.10.1" in images
    assert "prom/prometheus:v2.11.0" in images and "prom/prometheus:v2.11.1" in images


def test_files_merge_into_one_inventory(realdata: Path) -> None:
    inv = KubectlDump(
        [
            realdata / GKE_PODS,
            realdata / GKE_NODES,
            realdata / "version/k3s-rancher-desktop-v1.29.6+k3s1.version.json",
        ],
        cluster="prod",
    ).collect()
    assert inv.cluster == "prod"
    assert len(inv.pods) == 80 and len(inv.nodes) == 2
    assert {n.kubelet_version for n in inv.nodes} == {"v1.18.19-gke.1701"}
    assert inv.server_version == "v1.29.6+k3s1"


@pytest.mark.parametrize(
    ("file", "version"),
    [
        ("version/eks-v1.16.15-eks-ad4801.kubectl-version.json", "v1.16.15-eks-ad4801"),
        ("version/k3s-rancher-desktop-v1.29.6+k3s1.version.json", "v1.29.6+k3s1"),
    ],
)
def test_version_files(realdata: Path, file: str, version: str) -> None:
    assert KubectlDump([realdata / file]).collect().server_version == version


@pytest.mark.parametrize(
    ("file", "kubelet"),
    [
        (GKE_NODES, "v1.18.19-gke.1701"),
        ("nodes/eks-v1.16.13-eks-ec92d4.nodelist.json", "v1.16.13-eks-ec92d4"),
        ("nodes/doks-v1.18.10.nodelist.json", "v1.18.10"),
        ("nodes/kind-v1.24.0.node.yaml", "v1.24.0"),
    ],
)
def test_node_files(realdata: Path, file: str, kubelet: str) -> None:
    inv = KubectlDump([realdata / file]).collect()
    assert inv.nodes and {n.kubelet_version for n in inv.nodes} == {kubelet}


def test_multi_document_yaml_with_trailing_empty_document(realdata: Path) -> None:
    path = realdata / "pods/istio-injector-golden.native-sidecar.pod.yaml"
    assert path.read_text().rstrip().endswith("---")
    inv = KubectlDump([path]).collect()
    (pod,) = inv.pods
    assert any(c.name == "istio-proxy" and c.sidecar for c in pod.containers)
    assert inv.warnings == ()


def test_yaml_and_json_give_the_same_pods(realdata: Path, tmp_path: Path) -> None:
    data = json.loads((realdata / GKE_PODS).read_text())
    yaml_path = tmp_path / "gke.yaml"
    yaml_path.write_text(yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)))
    from_json = KubectlDump([realdata / GKE_PODS]).collect()
    from_yaml = KubectlDump([yaml_path]).collect()
    assert from_yaml.pods == from_json.pods


def test_typed_pod_list_without_item_kinds(realdata: Path, tmp_path: Path) -> None:
    data = json.loads((realdata / GKE_PODS).read_text())
    items = [{k: v for k, v in i.items() if k not in ("kind", "apiVersion")} for i in data["items"]]
    path = tmp_path / "api.json"
    path.write_text(json.dumps({"kind": "PodList", "apiVersion": "v1", "items": items}))
    assert len(KubectlDump([path]).collect().pods) == 80


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _pod(name: str = "p", **spec: Any) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "ns"},
        "spec": spec or {"containers": [{"name": "a", "image": "a:1"}]},
    }


def test_other_kinds_are_skipped_and_counted_and_secrets_never_read(tmp_path: Path) -> None:
    secret_value = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"
    path = _write(
        tmp_path,
        "mixed.json",
        {
            "kind": "List",
            "items": [
                _pod(),
                {"kind": "Service", "metadata": {"name": "s"}},
                {"kind": "ConfigMap", "metadata": {"name": "c"}},
                {"kind": "Secret", "metadata": {"name": "db"}, "data": {"pw": secret_value}},
                {"kind": "Secret", "metadata": {"name": "tls"}, "data": {"key": secret_value}},
            ],
        },
    )
    inv = KubectlDump([path]).collect()
    assert len(inv.pods) == 1
    assert inv.warnings == (
        "mixed.json: skipped 4 object(s) of other kinds (ConfigMap 1, Secret 2, Service 1)",
    )
    assert secret_value not in repr(inv)


def test_helm_secret_list_holds_nothing_to_inventory(realdata: Path) -> None:
    path = realdata / "helm/kubevious-mock-data.helm-release-secrets.yaml"
    with pytest.raises(
        DumpError, match=r"holds no Pod, Node or version object \(skipped: Secret 3\)"
    ):
        KubectlDump([path]).collect()


def test_multi_document_yaml_skips_other_kinds(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "m.yaml",
        "---\nkind: Service\nmetadata: {name: s}\n---\n" + yaml.safe_dump(_pod()) + "---\n",
    )
    inv = KubectlDump([path]).collect()
    assert len(inv.pods) == 1 and "Service 1" in inv.warnings[0]


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.json", "", "is empty"),
        ("blank.yaml", "  \n\n", "is empty"),
        ("broken.json", '{\n  "kind": "List",\n  "items": [\n}', "invalid JSON at line 4"),
        ("broken.yaml", "kind: Pod\nmetadata:\n  name: [a\n", r"invalid YAML at line \d+"),
        ("array.json", "[1, 2]", "top level is a list, not an object"),
        ("scalar.yaml", "just text\n", "top level is a str, not an object"),
        (
            "deploy.json",
            {"kind": "Deployment", "metadata": {"name": "d"}},
            "kind Deployment is not supported",
        ),
        ("nokind.json", {"metadata": {"name": "x"}}, "has no kind"),
        ("emptylist.json", {"kind": "List", "items": []}, "holds no Pod, Node or version"),
        ("client.json", {"clientVersion": {"gitVersion": "v1.30.0"}}, "no serverVersion"),
        ("item.json", {"kind": "List", "items": [_pod(), "x"]}, r"items\[1\] is not an object"),
        (
            "nocontainers.json",
            {"kind": "List", "items": [_pod(), _pod("bad", containers=[])]},
            r"items\[1\]: Pod ns/bad has no spec.containers",
        ),
        ("doc.yaml", yaml.safe_dump(_pod()) + "---\n- a\n", "document 2 is a list"),
    ],
)
def test_malformed_files(tmp_path: Path, name: str, content: Any, match: str) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(DumpError, match=match) as info:
        KubectlDump([path]).collect()
    assert str(path) in info.value.message
    assert "\n" not in str(info.value)
    assert info.value.hint


def test_missing_file_and_no_file(tmp_path: Path) -> None:
    with pytest.raises(DumpError, match="not found"):
        KubectlDump([tmp_path / "nope.json"]).collect()
    with pytest.raises(DumpError, match="no dump file given"):
        KubectlDump([]).collect()
    with pytest.raises(DumpError, match="is a directory"):
        KubectlDump([tmp_path]).collect()


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bin.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DumpError, match="not UTF-8"):
        KubectlDump([path]).collect()


@pytest.mark.parametrize(
    ("file", "name"),
    [
        ("gke-v1.18.19-kubevious-samples.podlist.json", "gke-v1.18.19-kubevious-samples"),
        ("istio-injector-golden.native-sidecar.pod.yaml", "istio-injector-golden.native-sidecar"),
        ("eks-v1.16.15-eks-ad4801.kubectl-version.json", "eks-v1.16.15-eks-ad4801"),
        ("prod.yml", "prod"),
        ("prod-cluster", "prod-cluster"),
        ("pods.json", "pods"),
    ],
)
def test_default_cluster_name(file: str, name: str) -> None:
    assert default_cluster_name(Path(file)) == name
