"""The fleet view (component x cluster) on a report built from eight real cluster dumps."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import Report, Status
from tracker.report.base import worst_first_key
from tracker.report.fleet import cell_text, fleet_grid, fleet_to_dict, format_fleet
from tracker.store import Store
from tracker.upstream.release_file import import_releases
from tracker.workflows.report import evaluate_report, save_report
from tracker.workflows.scan import scan

TODAY = date(2024, 6, 1)


@pytest.fixture(scope="module")
def fleet_report(
    fleet_dumps: dict[str, list[Path]],
    release_files: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> Report:
    """Scan the eight real dumps into one store, import real releases, build the report."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fleet') / 'fleet.db'}"
    catalogue = load_catalogue()
    with Store.open(url) as store:
        for project, path in release_files.items():
            import_releases(store, path, project=project)
        for name, paths in fleet_dumps.items():
            scan(KubectlDump(paths, cluster=name), store, catalogue)
        evaluated = evaluate_report(store, catalogue, today=TODAY)
        save_report(store, evaluated)
        return evaluated.report


def _cells(report: Report) -> dict[tuple[str, str], dict[str, list[str]]]:
    return {
        key: {cluster: [cell_text(r) for r in rows] for cluster, rows in cells.items()}
        for key, cells in fleet_grid(report)
    }


def test_grid_has_one_row_per_component_role_and_one_cell_per_cluster(
    fleet_report: Report,
) -> None:
    cells = _cells(fleet_report)
    assert len(fleet_report.clusters) == 8
    # Kubelets of every member: the node dumps' real versions (normalized).
    kubelets = cells[("kubernetes", "kubelet")]
    assert set(kubelets) == {c.name for c in fleet_report.clusters}
    assert kubelets["c0-gke"] == ["1.18.19 (minor, ≥171d)"]  # older than the known releases
    assert kubelets["c3-classic-sidecar"][0].startswith("1.16.13 (minor, ")
    assert kubelets["c4-minikube"][0].startswith("1.24.0 (minor, ")
    # Istio sidecars: 1.12.1 where the Docker Desktop pod runs, absent on the GKE-only member.
    data_plane = cells[("istio", "data-plane")]
    assert data_plane["c1-docker-desktop"][0].startswith("1.12.1 (minor, ")
    assert "c0-gke" not in data_plane and "c7-gke-nodes-only" not in data_plane
    # Two Prometheus versions in one GKE cluster share a cell, worst first.
    prom = cells[("prometheus", "addon")]["c0-gke"]
    assert [p.split(" ")[0] for p in prom] == ["2.11.0", "2.11.1"]
    assert all("(major, " in p for p in prom)


def test_rows_are_worst_first(fleet_report: Report) -> None:
    grid = fleet_grid(fleet_report)
    worst = [
        worst_first_key(min((rows[0] for rows in cells.values()), key=worst_first_key))[:3]
        for _key, cells in grid
    ]
    assert worst == sorted(worst)
    # the top row is a major-behind component (prometheus or cert-manager on GKE)
    assert grid[0][0] in {("prometheus", "addon"), ("cert-manager", "addon")}


def test_table_shows_versions_and_dashes(fleet_report: Report) -> None:
    text = format_fleet(fleet_report, width=400)
    lines = text.splitlines()
    assert lines[0].startswith("tracker fleet report, generated ")
    assert lines[0].endswith(": 8 clusters")
    header = next(line for line in lines if line.startswith("component"))
    assert header.split()[:3] == ["component", "role", "latest"]
    assert all(c.name in header for c in fleet_report.clusters)
    istio_row = next(line for line in lines if line.split()[:2] == ["istio", "data-plane"])
    assert "1.12.1 (minor, " in istio_row and " - " in istio_row
    assert "\x1b[" not in text
    assert "Clusters:" in text and "c7-gke-nodes-only: Kubernetes 1.18.19" in text


def test_narrow_width_splits_clusters_over_several_tables(fleet_report: Report) -> None:
    text = format_fleet(fleet_report, width=100)
    headers = [line for line in text.splitlines() if line.startswith("component")]
    assert len(headers) > 1
    shown = " ".join(headers)
    assert all(c.name in shown for c in fleet_report.clusters)
    assert max(len(line) for line in text.splitlines()) <= 100


def test_color_is_opt_in(fleet_report: Report) -> None:
    assert "\x1b[" in format_fleet(fleet_report, color=True)


def test_json_view(fleet_report: Report) -> None:
    data = fleet_to_dict(fleet_report)
    json.dumps(data)  # JSON-ready
    assert data["schema_version"] == 1
    assert [c["name"] for c in data["clusters"]] == sorted(c.name for c in fleet_report.clusters)
    assert data["clusters"][0]["server"] is None  # dumps have no API server
    by_key = {(c["component"], c["role"]): c for c in data["components"]}
    kubelet = by_key[("kubernetes", "kubelet")]
    assert kubelet["latest"] == "1.29.3"
    [gke] = kubelet["clusters"]["c0-gke"]
    assert (gke["current"], gke["status"], gke["behind"]) == ("1.18.19", "outdated", "minor")
    assert gke["days_behind"] == 171 and gke["instances"] == 2
    assert "c0-gke" not in by_key[("istio", "data-plane")]["clusters"]
    unknown = [
        e
        for c in data["components"]
        for entries in c["clusters"].values()
        for e in entries
        if e["status"] == Status.UNKNOWN.value
    ]
    assert unknown  # e.g. add-ons without upstream data are listed, not dropped


def test_empty_report() -> None:
    from datetime import UTC, datetime

    empty = Report(datetime(2024, 6, 1, tzinfo=UTC), (), (), ())
    assert "No clusters in this report." in format_fleet(empty)
    assert fleet_to_dict(empty)["components"] == []
