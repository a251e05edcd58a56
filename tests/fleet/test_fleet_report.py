"""The fleet view (per-cluster summary, versions that matter, JSON grid) on eight real dumps."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from tracker.fleet import Fleet, FleetCluster, FleetRow, count_rows, fleet_of, row_severity
from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import Report, Severity, Status
from tracker.report.base import worst_first_key
from tracker.report.fleet import (
    CLUSTER_LEGEND,
    GROUP_LEGEND,
    cell_text,
    fleet_grid,
    fleet_to_dict,
    format_fleet,
    group_to_dict,
    totals_text,
)
from tracker.report.listings import fleet_markdown
from tracker.store import Store
from tracker.upstream.release_file import import_releases
from tracker.workflows.report import evaluate_report, fleet_view, save_report
from tracker.workflows.report import fleet_report as workflow_fleet_report
from tracker.workflows.scan import scan

TODAY = date(2024, 6, 1)


@pytest.fixture(scope="module")
def fleet_url(
    fleet_dumps: dict[str, list[Path]],
    release_files: dict[str, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> str:
    """Scan the eight real dumps into one store, import real releases, evaluate and save."""
    url = f"sqlite:///{tmp_path_factory.mktemp('fleet') / 'fleet.db'}"
    catalogue = load_catalogue()
    with Store.open(url) as store:
        for project, path in release_files.items():
            import_releases(store, path, project=project)
        for name, paths in fleet_dumps.items():
            scan(KubectlDump(paths, cluster=name), store, catalogue)
        save_report(store, evaluate_report(store, catalogue, today=TODAY))
    return url


@pytest.fixture(scope="module")
def fleet_report(fleet_url: str) -> Report:
    """The fleet report as ``report --all-clusters`` reads it (every stored row)."""
    with Store.open(fleet_url, read_only=True) as store:
        return workflow_fleet_report(store)


@pytest.fixture(scope="module")
def view(fleet_url: str) -> Fleet:
    """The fleet table's figures as the store's fast path reads them."""
    with Store.open(fleet_url, read_only=True) as store:
        return fleet_view(store)


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


LEGENDS = (CLUSTER_LEGEND, GROUP_LEGEND)


def _section(text: str, title: str) -> list[str]:
    """The lines of the table under ``title`` (header first), up to its legend."""
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(LEGENDS))
    return lines[start:end]


def test_table_summarizes_every_cluster_worst_first(fleet_report: Report) -> None:
    text = format_fleet(fleet_report, width=200)
    lines = text.splitlines()
    assert lines[0].startswith("tracker fleet report, generated ")
    assert lines[0].endswith(": 8 clusters")
    assert lines[1].startswith("8 clusters: 8 with critical findings, 5 with warnings, ")
    table = _section(text, "Clusters, worst first:")
    assert table[0].split() == [
        "cluster", "last", "scan", "control", "plane", "components",
        "critical", "warning", "vulnerable", "eol", "outdated",
    ]  # fmt: skip
    assert set(table[1]) == {"─"}
    by_name = {line.split()[0]: line.split() for line in table[2:]}
    assert sorted(by_name) == sorted(c.name for c in fleet_report.clusters)
    # c0-gke: the real GKE 1.18 cluster, its counts as its stored rows give them
    rows = [r for r in fleet_report.components if r.cluster == "c0-gke"]
    counts = count_rows(rows)
    assert by_name["c0-gke"][2:4] == ["1.18.19", "(gke)"]
    assert by_name["c0-gke"][4:] == [
        str(counts.components), str(counts.critical), str(counts.warning),
        str(counts.vulnerable), str(counts.eol), str(counts.outdated),
    ]  # fmt: skip
    # the real GKE pod list: 66 identified rows, 10 critical findings
    assert (counts.components, len(rows), counts.critical) == (66, 66, 10)
    assert counts.critical == sum(
        f.severity is Severity.CRITICAL and not f.waived for r in rows for f in r.findings
    )
    # worst first: most critical findings first, the nodes-only member last
    criticals = [int(line.split()[5]) for line in table[2:]]
    assert criticals == sorted(criticals, reverse=True)
    assert table[-1].split()[0] == "c7-gke-nodes-only"
    assert "\x1b[" not in text


def test_versions_with_critical_or_warning_findings(fleet_report: Report) -> None:
    text = format_fleet(fleet_report, width=200)
    table = _section(text, "Component versions with critical or warning findings:")
    assert table[0].split() == [
        "severity", "component", "role", "version", "latest", "flags", "clusters", "e.g.",
    ]  # fmt: skip
    body = table[2:]
    assert {line.split()[0] for line in body} == {"critical", "warning"}
    severities = [line.split()[0] for line in body]
    assert severities == sorted(severities)  # critical before warning
    # the top line: a major-behind add-on of the two GKE-pod members
    assert body[0].split()[:4] == ["critical", "prometheus", "addon", "2.11.0"]
    kubelet = next(
        line for line in body if line.split()[1:4] == ["kubernetes", "kubelet", "1.18.19"]
    )
    assert "(minor, ≥171d)" in kubelet and "1.29.3" in kubelet
    assert kubelet.split()[-3:] == ["2", "c0-gke", "+1"]  # c0-gke and c7-gke-nodes-only
    # each shown group counts the clusters that run that version with that severity
    fleet = fleet_of(fleet_report)
    for group in fleet.shown_groups():
        running = {
            r.cluster
            for r in fleet_report.components
            if FleetRow.of(r).key() == group.key and row_severity(r) is group.severity
        }
        assert (group.cluster_count, group.first_cluster) == (len(running), min(running))
    assert "Versions with info findings or none are not listed" in text


@pytest.mark.parametrize("width", [80, 100, 160])
def test_narrow_widths_abbreviate_and_drop_columns_but_fit(
    fleet_report: Report, width: int
) -> None:
    text = format_fleet(fleet_report, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    table = _section(text, "Clusters, worst first:")
    assert {line.split()[0] for line in table[2:]} == {c.name for c in fleet_report.clusters}
    if width == 80:
        assert table[0].split()[:4] == ["cluster", "scanned", "k8s", "comp"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", table[2].split()[1])  # the date only


def test_the_store_fast_path_shows_what_the_full_report_shows(
    fleet_report: Report, view: Fleet
) -> None:
    full = fleet_of(fleet_report)
    assert view.clusters == full.clusters
    assert view.groups == tuple(full.shown_groups())  # only what the table lists is read
    assert len(full.groups) > len(view.groups)  # the JSON has the rest

    def body(text: str) -> list[str]:
        return text.splitlines()[1:]  # the first line holds the time it was generated

    for width in (80, 200):
        assert body(format_fleet(view, width=width)) == body(
            format_fleet(fleet_report, width=width)
        )
    assert body(fleet_markdown(view)) == body(fleet_markdown(fleet_report))


def test_markdown_has_the_same_tables(view: Fleet) -> None:
    text = fleet_markdown(view)
    lines = text.splitlines()
    assert lines[0].startswith("# tracker fleet report, generated ")
    assert lines[2] == totals_text(view)
    header = lines.index("| cluster | last scan | control plane | components | critical | "
                         "warning | vulnerable | eol | outdated |")  # fmt: skip
    clusters = lines[header + 2 : header + 10]
    assert [line.split(" | ")[0].lstrip("| ") for line in clusters] == [
        c.name for c in sorted(view.clusters, key=FleetCluster.sort_key)
    ]
    groups = [line for line in lines if line.startswith("| critical |")]
    assert len(groups) == sum(g.severity is Severity.CRITICAL for g in view.groups)
    assert "| critical | kubernetes | kubelet | 1.18.19 (minor, ≥171d) | 1.29.3 |" in text


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


def test_json_holds_the_tables_figures_complete(fleet_report: Report, view: Fleet) -> None:
    data = fleet_to_dict(fleet_report)
    counts = {c["name"]: c["counts"] for c in data["clusters"]}
    assert counts == {c.name: c.counts.to_dict() for c in view.clusters if c.counts}
    assert set(counts["c0-gke"]) == {
        "components", "critical", "warning", "info", "waived", "vulnerable", "eol", "outdated",
    }  # fmt: skip
    groups = data["groups"]
    shown = [g for g in groups if g["severity"] in ("critical", "warning")]
    # what the table lists, in the same order, with every cluster's name
    assert [{**g, "clusters": len(g["clusters"])} for g in shown] == [
        {**group_to_dict(g, []), "clusters": g.cluster_count} for g in view.groups
    ]
    assert [g["clusters"][0] for g in shown] == [g.first_cluster for g in view.groups]
    assert len(groups) > len(shown)  # and every other version
    # every row of every cluster is in exactly one group
    assert sum(g["entries"] for g in groups) == len(fleet_report.components)
    kubelet = next(
        g for g in groups if (g["component"], g["role"], g["version"]) == (
            "kubernetes", "kubelet", "1.18.19")
    )  # fmt: skip
    assert kubelet["clusters"] == ["c0-gke", "c7-gke-nodes-only"]
    assert (kubelet["severity"], kubelet["behind"], kubelet["days_behind"]) == (
        "critical", "minor", 171,
    )  # fmt: skip
    assert kubelet["partial"] is True and "partial-catalogue" in kubelet["flags"]


def test_empty_report() -> None:
    from datetime import UTC, datetime

    empty = Report(datetime(2024, 6, 1, tzinfo=UTC), (), (), ())
    assert "No clusters in this report." in format_fleet(empty)
    assert fleet_to_dict(empty)["components"] == []
