"""The main job end to end through the real CLI: scan real dumps, import real releases, report.

These drive Typer's CliRunner over the real store (SQLite in a temp dir) with the recorded
real cluster objects and release lists from tests/data/realdata.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tracker.cli import app

runner = CliRunner()


def _invoke(db: str, *args: str) -> Any:
    result = runner.invoke(app, ["--database-url", db, *args])
    return result


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'e2e.db'}"


def _report(db: str, *extra: str) -> dict[str, Any]:
    result = _invoke(db, "report", "--format", "json", *extra)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _rows(report: dict[str, Any], component: str, role: str | None = None) -> list[dict[str, Any]]:
    return [
        c
        for c in report["components"]
        if c["component"] == component and (role is None or c["role"] == role)
    ]


def _import_all(db: str, realdata: Path) -> None:
    for f in sorted((realdata / "releases").glob("*.json")):
        project = f.stem.replace("__", "/")
        result = _invoke(db, "releases", "import", str(f), "--project", project)
        assert result.exit_code == 0, result.output


def test_gke_dump_end_to_end(db: str, realdata: Path) -> None:
    pods = realdata / "pods" / "gke-v1.18.19-kubevious-samples.podlist.json"
    nodes = realdata / "nodes" / "gke-v1.18.19-gke.1701.nodelist.json"
    result = _invoke(
        db, "scan", "--from-dump", str(pods), "--from-dump", str(nodes), "--cluster", "gke"
    )
    assert result.exit_code == 0, result.output
    _import_all(db, realdata)
    report = _report(db)

    assert report["schema_version"] == 2
    (cluster,) = report["clusters"]
    assert cluster["name"] == "gke"
    assert cluster["source"] == "dump"

    (kubelet,) = _rows(report, "kubernetes", "kubelet")
    assert kubelet["image"] is None
    assert kubelet["current"] == "1.18.19"
    assert kubelet["instances"] == 2
    cp = _rows(report, "kubernetes", "control-plane")
    assert cp and cp[0]["current"] == "1.18.19"
    # the real release list has 1.29.3 as highest stable and 1.30.0-beta.0 as a pre-release
    assert kubelet["latest"] == "1.29.3"
    assert kubelet["behind"] == "minor"
    assert kubelet["status"] == "outdated"

    cm = _rows(report, "cert-manager")
    assert {r["current"] for r in cm} == {"0.10.1"}
    assert {r["namespace"] for r in cm} == {"gitlab"}
    assert all(r["status"] == "outdated" and r["behind"] == "major" for r in cm)
    assert all("pre-1.0" in r["flags"] for r in cm)

    prom = sorted(_rows(report, "prometheus"), key=lambda r: r["current"])
    assert [(r["namespace"], r["current"]) for r in prom] == [
        ("openfaas", "2.11.0"),
        ("gitlab", "2.11.1"),
    ]
    assert all(r["behind"] == "major" for r in prom)
    assert all(not r["latest"].startswith("0.") for r in prom)  # Go-module twin tags kept out

    (nginx,) = _rows(report, "ingress-nginx")
    assert nginx["current"] == "0.21.0"
    assert nginx["instances"] == 3
    assert nginx["status"] == "unknown" and "no-upstream-data" in nginx["flags"]

    unidentified = {u["image"] for u in report["unidentified"]}
    assert "weaveworksdemos/carts:0.4.8" in unidentified  # demo applications stay unidentified
    assert "mysql:8.0.22" not in unidentified  # open-source servers are catalogued (issue 9)
    assert all(u["reason"] for u in report["unidentified"])


def test_istio_sidecar_dump(db: str, realdata: Path) -> None:
    pod = realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json"
    assert _invoke(db, "scan", "--from-dump", str(pod)).exit_code == 0
    _import_all(db, realdata)
    report = _report(db)
    (proxy,) = _rows(report, "istio", "data-plane")
    assert proxy["current"] == "1.12.1"
    assert proxy["instances"] == 1
    assert proxy["status"] == "outdated"
    assert proxy["latest"] == "1.30.3"
    assert proxy["latest_patch"] == "1.12.9"
    httpbin = [u for u in report["unidentified"] if "httpbin" in u["image"]]
    assert httpbin, report["unidentified"]


def test_native_sidecar_with_latest_tag_is_unknown_version(db: str, realdata: Path) -> None:
    pod = realdata / "pods" / "istio-injector-golden.native-sidecar.pod.yaml"
    assert _invoke(db, "scan", "--from-dump", str(pod), "--cluster", "golden").exit_code == 0
    report = _report(db)
    (proxy,) = _rows(report, "istio", "data-plane")
    assert proxy["current"] is None
    assert proxy["status"] == "unknown"
    assert "unknown-version" in proxy["flags"]


@pytest.mark.parametrize(
    ("files", "kubelet", "control_plane"),
    [
        (
            [
                "nodes/eks-v1.16.13-eks-ec92d4.nodelist.json",
                "version/eks-v1.16.15-eks-ad4801.kubectl-version.json",
            ],
            "1.16.13",
            "1.16.15",
        ),
        (
            ["nodes/doks-v1.18.10.nodelist.json", "version/doks-v1.18.10.kubectl-version.json"],
            "1.18.10",
            "1.18.10",
        ),
        (["nodes/kind-v1.24.0.node.yaml"], "1.24.0", "1.24.0"),
    ],
)
def test_kubernetes_versions_from_real_nodes(
    db: str, realdata: Path, files: list[str], kubelet: str, control_plane: str
) -> None:
    args = [a for f in files for a in ("--from-dump", str(realdata / f))]
    result = _invoke(db, "scan", *args, "--cluster", "c")
    assert result.exit_code == 0, result.output
    report = _report(db)
    assert [r["current"] for r in _rows(report, "kubernetes", "kubelet")] == [kubelet]
    assert [r["current"] for r in _rows(report, "kubernetes", "control-plane")] == [control_plane]


def test_demo_runs_offline() -> None:
    result = runner.invoke(app, ["run", "--demo", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    roles = {(c["component"], c["role"]) for c in report["components"]}
    assert {("istio", "control-plane"), ("istio", "gateway"), ("istio", "data-plane")} <= roles
    proxies = sorted(c["current"] for c in _rows(report, "istio", "data-plane"))
    assert proxies == ["1.12.2", "1.27.3", "1.28.7", "1.29.3"]
    by_version = {c["current"]: c for c in _rows(report, "istio", "data-plane")}
    assert (by_version["1.27.3"]["namespace"], by_version["1.27.3"]["revision"]) == (
        "billing",
        "1-27",
    )
    assert by_version["1.28.7"]["namespace"] == "shop"
    assert by_version["1.28.7"]["workload"] == "Deployment/payments"
    assert by_version["1.29.3"]["workload"] == "Deployment/checkout,Deployment/frontend"
    assert by_version["1.29.3"]["instances"] == 5
    flags = {f for c in report["components"] for f in c["flags"]}
    assert {"outdated", "pre-1.0", "pre-release", "unknown-version"} <= flags
    assert report["unidentified"]


def test_bad_dump_is_one_line_error(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"kind": "List", "items": [')
    result = _invoke(db, "scan", "--from-dump", str(bad))
    assert result.exit_code == 1
    assert "broken.json" in result.stderr
    assert "Traceback" not in result.output


def test_report_without_scan_is_an_error(db: str) -> None:
    result = _invoke(db, "report")
    assert result.exit_code == 1
    assert "no scan" in result.stderr


def test_fail_on_exits_3(db: str, realdata: Path) -> None:
    pod = realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json"
    assert _invoke(db, "scan", "--from-dump", str(pod)).exit_code == 0
    _import_all(db, realdata)
    passing = _invoke(db, "report", "--fail-on", "major")
    assert passing.exit_code == 0 and "--fail-on hit" not in passing.stderr
    failing = _invoke(db, "report", "--fail-on", "major", "--fail-on", "outdated")
    assert failing.exit_code == 3
    # a CI log says why: the kinds that hit and how many rows (major hit none: not named)
    (line,) = [x for x in failing.stderr.splitlines() if x.startswith("--fail-on hit")]
    assert re.fullmatch(r"--fail-on hit: outdated \(\d+ rows?\); exit code 3", line), line


def test_fleet_view_across_clusters(db: str, realdata: Path) -> None:
    _import_all(db, realdata)
    dumps = {
        "gke": ["pods/gke-v1.18.19-kubevious-samples.podlist.json"],
        "eks": ["nodes/eks-v1.16.13-eks-ec92d4.nodelist.json"],
        "dd": ["pods/docker-desktop-istio-1.12.1.httpbin.pod.json"],
    }
    for name, files in dumps.items():
        args = [a for f in files for a in ("--from-dump", str(realdata / f))]
        assert _invoke(db, "scan", *args, "--cluster", name).exit_code == 0
    assert _invoke(db, "report").exit_code == 0  # evaluates and stores each cluster's rows
    result = _invoke(db, "report", "--all-clusters", "--format", "json")
    assert result.exit_code == 0, result.output
    fleet = json.loads(result.stdout)
    assert {c["name"] for c in fleet["clusters"]} == set(dumps)
    kubelet = next(
        c for c in fleet["components"] if c["component"] == "kubernetes" and c["role"] == "kubelet"
    )
    assert set(kubelet["clusters"]) == {"eks"}
    istio = next(c for c in fleet["components"] if c["component"] == "istio")
    assert set(istio["clusters"]) == {"dd"}
    table = _invoke(db, "report", "--all-clusters")
    assert table.exit_code == 0 and "gke" in table.stdout and "eks" in table.stdout
    markdown = _invoke(db, "report", "--all-clusters", "-f", "markdown")
    assert markdown.exit_code == 0, markdown.output
    lines = markdown.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| cluster |"))
    names = [line.strip("|").split("|")[0].strip() for line in lines[header + 2 : header + 5]]
    assert sorted(names) == ["dd", "eks", "gke"]
    istio_row = next(line for line in lines if line.startswith("| critical | istio |"))
    cells = [c.strip() for c in istio_row.strip("|").split("|")]
    assert cells[2] == "data-plane" and cells[3].startswith("1.12.1 (minor, ")
    assert cells[-2:] == ["1", "dd"]  # one cluster runs it: dd
    failing = _invoke(db, "report", "--all-clusters", "--fail-on", "critical")
    assert failing.exit_code == 3 and "Clusters, worst first:" in failing.stdout
    html = _invoke(db, "report", "--all-clusters", "-f", "html")
    assert html.exit_code == 0 and html.stdout.lstrip().lower().startswith("<!doctype html")


def test_notify_dry_run_writes_nothing(db: str, realdata: Path) -> None:
    from tracker.store import Store

    pod = realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json"
    assert _invoke(db, "scan", "--from-dump", str(pod), "--cluster", "dd").exit_code == 0
    result = _invoke(db, "notify", "--dry-run")
    assert result.exit_code == 0, result.output
    (digest,) = json.loads(result.stdout)["digests"]
    assert digest["cluster"] == "dd" and digest["payload"]["blocks"]
    with Store.open(db) as store:
        (scan,) = store.scans("dd")
        assert store.report_rows(scan.id) == []  # a dry run evaluates but stores nothing


def test_demo_fail_on_and_foreign_options() -> None:
    assert runner.invoke(app, ["run", "--demo", "--fail-on", "outdated"]).exit_code == 3
    bad = runner.invoke(app, ["run", "--demo", "--cluster", "prod"])
    assert bad.exit_code == 1 and "--demo runs on the bundled sample cluster" in bad.stderr
