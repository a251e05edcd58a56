"""The report workflow with waivers and stored Istio support ranges: the bundled demo cluster
(EKS 1.28.5, a 1.27.9 kubelet group, istiod 1.29.3 with 1.28.7 sidecars) in a SQLite store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from tracker.evaluate.waivers import parse_waivers
from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import Flag, Role, Severity
from tracker.store import Store
from tracker.upstream.release_file import import_releases
from tracker.workflows.report import evaluate_report, save_report
from tracker.workflows.scan import scan

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 3, 0, 0, tzinfo=UTC)

WAIVERS = parse_waivers(
    [
        {"component": "kubernetes", "kind": "skew", "reason": "node pool replaced in Q1",
         "owner": "platform@example.com", "expires": date(2027, 1, 31)},
        {"component": "promtail", "reason": "replaced by Alloy", "owner": "obs@example.com",
         "expires": date(2027, 1, 31)},
    ],
    source="tracker.toml",
)  # fmt: skip


def test_waivers_and_stored_istio_ranges_reach_the_report_and_the_store(tmp_path: Path) -> None:
    demo = resources.files("tracker.demo")
    for name in ("cluster.json", "version.json", "releases.json"):
        (tmp_path / name).write_bytes(demo.joinpath(name).read_bytes())
    catalogue = load_catalogue({})
    with Store.open(f"sqlite:///{tmp_path / 'demo.db'}") as store:
        import_releases(store, tmp_path / "releases.json")
        dump = KubectlDump([tmp_path / "cluster.json", tmp_path / "version.json"], cluster="demo")
        scan(dump, store, catalogue)
        before = evaluate_report(store, catalogue, today=TODAY, now=NOW).report
        istiod = next(
            r for r in before.components
            if r.component.component == "istio" and r.component.role is Role.CONTROL_PLANE
        )  # fmt: skip
        [incompatible] = [f for f in istiod.findings if f.kind is Flag.INCOMPATIBLE]
        assert incompatible.severity is Severity.WARNING  # built-in: 1.29 wants 1.31-1.35
        # a stored endoflife.date cycle saying 1.29 supports 1.28 removes the finding
        store.put_documents(
            "cycles", "istio",
            {"1.29": {"name": "1.29", "custom": {"supportedKubernetesVersions": "1.28 - 1.32"}}},
            fetched_at=NOW,
        )  # fmt: skip
        evaluated = evaluate_report(store, catalogue, today=TODAY, now=NOW, waivers=WAIVERS)
        save_report(store, evaluated)
        report = evaluated.report
        [scan_id] = evaluated.rows_by_scan
        stored = store.report_rows(scan_id)
    istiod = next(r for r in report.components if r.component == istiod.component)
    assert Flag.INCOMPATIBLE not in istiod.flags
    assert (
        "waivers[1] (promtail) matches no finding (owner obs@example.com): "
        "remove it or correct its fields"
    ) in report.warnings
    assert not any("waivers[0]" in w for w in report.warnings)
    kubelet = next(r for r in stored if r.component.role is Role.KUBELET and "1.27" in r.current)
    skew = next(f for f in kubelet.findings if f.kind is Flag.SKEW)
    assert skew.waived and kubelet.waiver is not None  # persisted with the row
    assert kubelet.waiver.owner == "platform@example.com"
