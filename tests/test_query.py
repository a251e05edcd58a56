"""`tracker query` over stored scans built from tests/data/realdata, through the real CLI.

The store holds three real clusters, each scanned and evaluated once (`tracker scan` +
`tracker report`) against the real release lists: GKE 1.18 (pod list + nodes), the
docker-desktop Istio 1.12.1 pod, and EKS 1.16 (nodes + `kubectl version`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tracker.cli import app
from tracker.models import Behind, Flag, Status
from tracker.store import Store
from tracker.workflows.query import RowFilter, query_rows

runner = CliRunner()

Row = tuple[str, str, str, str | None, str | None, str | None]
"""(cluster, component, role, namespace, workload, current)"""


def _invoke(db: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", db, *args])


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory, realdata: Path) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('query') / 'tracker.db'}"
    for path in sorted((realdata / "releases").glob("*__*.json")):
        args = ("releases", "import", str(path), "--project", path.stem.replace("__", "/"))
        assert _invoke(url, *args).exit_code == 0
    scans = {
        "gke": [
            "pods/gke-v1.18.19-kubevious-samples.podlist.json",
            "nodes/gke-v1.18.19-gke.1701.nodelist.json",
        ],
        "docker-desktop": ["pods/docker-desktop-istio-1.12.1.httpbin.pod.json"],
        "eks": [
            "nodes/eks-v1.16.13-eks-ec92d4.nodelist.json",
            "version/eks-v1.16.15-eks-ad4801.kubectl-version.json",
        ],
    }
    for cluster, files in scans.items():
        args = ["scan", "--cluster", cluster]
        for f in files:
            args += ["--from-dump", str(realdata / f)]
        result = _invoke(url, *args)
        assert result.exit_code == 0, result.output
    assert _invoke(url, "report").exit_code == 0
    return url


def query(db: str, *args: str) -> list[Row]:
    result = _invoke(db, "query", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["schema_version"] == 1
    return [
        (r["cluster"], r["component"], r["role"], r["namespace"], r["workload"], r["current"])
        for r in document["rows"]
    ]


GKE_CERT_MANAGER = [
    ("gke", "cert-manager", "addon", "gitlab", f"Deployment/gitlab-{w}", "0.10.1")
    for w in ("cainjector", "cert-manager", "cert-manager-webhook")
]
GKE_PROMETHEUS = [
    ("gke", "prometheus", "addon", "gitlab", "Deployment/gitlab-prometheus-server", "2.11.1"),
    ("gke", "prometheus", "addon", "openfaas", "Deployment/prometheus", "2.11.0"),
]
EKS_KUBERNETES = [
    ("eks", "kubernetes", "control-plane", None, None, "1.16.15"),
    (
        "eks",
        "kubernetes",
        "kubelet",
        None,
        "Node/ip-192-0-2-10.us-east-2.compute.internal",
        "1.16.13",
    ),
]
# no kube-proxy row for eks: no kube-proxy pod in this dump, and the node's deprecated
# nodeInfo.kubeProxyVersion is only the kubelet's own version (KEP-4004)


def test_component(db: str) -> None:
    assert query(db, "--component", "istio") == [
        ("docker-desktop", "istio", "data-plane", "default", "Deployment/httpbin", "1.12.1")
    ]


def test_older_than(db: str) -> None:
    # which clusters run istio older than 1.22?
    assert [r[0] for r in query(db, "--component", "istio", "--older-than", "1.22")] == [
        "docker-desktop"
    ]
    # strictly older: the running version itself does not match
    assert query(db, "--component", "istio", "--older-than", "1.12.1") == []
    assert query(db, "--component", "istio", "--older-than", "1.12.2") != []
    assert query(db, "--component", "kubernetes", "--older-than", "1.17") == [
        r for r in EKS_KUBERNETES if r[1] == "kubernetes"
    ]
    # vendor suffixes are compared as the normalized version (v1.18.19-gke.1701 = 1.18.19)
    assert {r[0] for r in query(db, "--component", "kubernetes", "--older-than", "v1.18.20")} == {
        "eks",
        "gke",
    }


def test_cluster_namespace_status(db: str) -> None:
    rows = query(db, "--cluster", "gke", "--namespace", "gitlab", "--status", "outdated")
    assert rows == [*GKE_CERT_MANAGER, GKE_PROMETHEUS[0]]
    assert query(db, "--cluster", "eks") == EKS_KUBERNETES
    unknown = _invoke(db, "query", "--cluster", "nope")
    assert unknown.exit_code == 1
    assert "no scan of cluster 'nope'" in unknown.stderr and "docker-desktop" in unknown.stderr
    unknown = query(db, "--cluster", "gke", "--namespace", "kube-system", "--status", "unknown")
    assert [r[1] for r in unknown] == [
        "addon-resizer",
        "calico",
        "calico",
        "cluster-proportional-autoscaler",
        "cluster-proportional-autoscaler",
        "cluster-proportional-vertical-autoscaler",
        "cluster-proportional-vertical-autoscaler",
        "ingress-gce",
        "ip-masq-agent",
        "kube-dns",
        "metrics-server",
    ]


def test_behind(db: str) -> None:
    assert query(db, "--behind", "major") == [*GKE_CERT_MANAGER, *GKE_PROMETHEUS]
    minor = query(db, "--behind", "minor")  # minor or major
    assert len(minor) == 11
    assert {(r[0], r[1]) for r in minor} == {
        ("docker-desktop", "istio"),
        ("eks", "kubernetes"),
        ("gke", "kubernetes"),
        ("gke", "kube-proxy"),
        ("gke", "cert-manager"),
        ("gke", "prometheus"),
    }
    assert query(db, "--behind", "patch") == minor  # nothing is only a patch behind


def test_flag(db: str) -> None:
    pre_1_0 = query(db, "--flag", "pre-1.0", "--status", "outdated")
    assert pre_1_0 == GKE_CERT_MANAGER
    no_data = query(db, "--flag", "no-upstream-data", "--namespace", "openfaas")
    # no release data is imported for these projects in this test
    assert sorted(no_data) == [
        ("gke", "alertmanager", "addon", "openfaas", "Deployment/alertmanager", "0.18.0"),
        ("gke", "faas-idler", "addon", "openfaas", "Deployment/faas-idler", "0.2.1"),
        ("gke", "nats-streaming", "addon", "openfaas", "Deployment/nats", "0.11.2"),
        ("gke", "openfaas", "addon", "openfaas", "Deployment/basic-auth-plugin", "0.17.0"),
        ("gke", "openfaas", "addon", "openfaas", "Deployment/gateway", "0.18.7"),
        ("gke", "openfaas-faas-netes", "addon", "openfaas", "Deployment/gateway", "0.9.15"),
        ("gke", "openfaas-queue-worker", "addon", "openfaas", "Deployment/queue-worker", "0.9.0"),
    ]


def test_table_format_counts_rows(db: str) -> None:
    result = _invoke(db, "query", "--component", "cert-manager")
    assert result.exit_code == 0, result.output
    assert "3 matching rows" in result.stderr
    assert sum("cert-manager" in line for line in result.stdout.splitlines()) == 3
    empty = _invoke(db, "query", "--component", "linkerd")
    assert empty.exit_code == 0 and "0 matching rows" in empty.stderr and empty.stdout == ""


@pytest.mark.parametrize("bad", ["latest", "1.x", "1.22-alpine", ""])
def test_bad_older_than_is_one_line(db: str, bad: str) -> None:
    result = _invoke(db, "query", "--older-than", bad)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: --older-than {bad!r} is not a version")
    assert len(lines) == 1 and "(hint: " in lines[0]
    assert "Traceback" not in result.output


def test_bad_enum_values_are_usage_errors(db: str) -> None:
    assert _invoke(db, "query", "--behind", "lots").exit_code == 2
    assert _invoke(db, "query", "--status", "fine").exit_code == 2


def test_query_rows_matches_cli(db: str) -> None:
    with Store.open(db) as store:
        rows = query_rows(store, RowFilter(component="prometheus", behind=Behind.MAJOR))
        everything = query_rows(store, RowFilter())
    assert [(r.cluster, r.current) for r in rows] == [("gke", "2.11.1"), ("gke", "2.11.0")]
    assert len(everything) == len(query(db))
    built = RowFilter.build(status="unknown", flag="pre-1.0", behind="minor", older_than="1.2")
    assert (built.status, built.flag, built.behind) == (Status.UNKNOWN, Flag.PRE_1_0, Behind.MINOR)
    with pytest.raises(ValueError, match="--older-than 'main' is not a version"):
        RowFilter.build(older_than="main")


def test_query_reads_the_latest_evaluated_scan(db: str, realdata: Path, tmp_path: Path) -> None:
    """A newer scan that was never evaluated does not hide the evaluated one."""
    local = f"sqlite:///{tmp_path / 'copy.db'}"
    Path(local.removeprefix("sqlite:///")).write_bytes(
        Path(db.removeprefix("sqlite:///")).read_bytes()
    )
    pod = realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json"
    text = pod.read_text().replace("proxyv2:1.12.1", "proxyv2:1.13.9")
    newer = tmp_path / "pod.json"
    newer.write_text(text)
    assert (
        _invoke(local, "scan", "--cluster", "docker-desktop", "--from-dump", str(newer)).exit_code
        == 0
    )
    assert [r[5] for r in query(local, "--component", "istio")] == ["1.12.1"]
    assert _invoke(local, "report", "--cluster", "docker-desktop").exit_code == 0
    assert [r[5] for r in query(local, "--component", "istio")] == ["1.13.9"]


def test_history_skips_unevaluated_scans(tmp_path: Path, realdata: Path) -> None:
    """Two evaluated runs, then two scans nobody evaluated: history still finds both runs."""
    from tracker.workflows.query import cluster_history

    url = f"sqlite:///{tmp_path / 'h.db'}"
    pod = str(realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json")
    node = str(realdata / "nodes" / "kind-v1.24.0.node.yaml")
    steps = [
        ("scan", "--from-dump", pod, "--cluster", "dd"),
        ("report",),
        ("scan", "--from-dump", pod, "--from-dump", node, "--cluster", "dd"),
        ("report",),
        ("scan", "--from-dump", pod, "--cluster", "dd"),
        ("scan", "--from-dump", pod, "--cluster", "dd"),
    ]
    for step in steps:
        assert _invoke(url, *step).exit_code == 0
    with Store.open(url) as store:
        runs = cluster_history(store, "dd", limit=2)
    assert len(runs) == 2
    assert runs[0].changes is not None and runs[0].changes.new  # the kind node's kubelet
    assert runs[1].changes is None
