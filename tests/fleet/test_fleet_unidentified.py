"""The fleet's full report (JSON, HTML, metrics) carries each cluster's unidentified images."""

from __future__ import annotations

from datetime import date
from importlib import resources
from pathlib import Path

from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.store import Store
from tracker.upstream.release_file import import_releases
from tracker.workflows.report import evaluate_report, fleet_report, save_report
from tracker.workflows.scan import scan


def test_fleet_report_has_the_unidentified_images_of_the_evaluated_scans(tmp_path: Path) -> None:
    demo = resources.files("tracker.demo")
    for name in ("cluster.json", "version.json", "releases.json"):
        (tmp_path / name).write_bytes(demo.joinpath(name).read_bytes())
    dump = [tmp_path / "cluster.json", tmp_path / "version.json"]
    catalogue = load_catalogue()
    with Store.open(f"sqlite:///{tmp_path / 'fleet.db'}") as store:
        import_releases(store, tmp_path / "releases.json")
        for cluster in ("eks-prod", "eks-staging"):
            scan(KubectlDump(dump, cluster=cluster), store, catalogue)
        evaluated = evaluate_report(store, catalogue, today=date(2026, 11, 30))
        save_report(store, evaluated)
        scan(KubectlDump(dump, cluster="never-evaluated"), store, catalogue)
        fleet = fleet_report(store)
        only = fleet_report(store, ["eks-staging"])
    expected = sorted(evaluated.report.unidentified, key=lambda u: u.cluster)
    assert expected and fleet.unidentified == tuple(expected)
    assert {u.cluster for u in fleet.unidentified} == {"eks-prod", "eks-staging"}
    assert only.unidentified == tuple(u for u in expected if u.cluster == "eks-staging")
