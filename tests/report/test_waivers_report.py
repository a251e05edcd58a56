"""The report workflow with waivers and stored Istio support ranges: the bundled demo cluster
(EKS 1.32, a 1.27.9 kubelet group, istiod 1.29.3 and a legacy 1.12.2 revision) in a SQLite
store."""

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
        {"component": "linkerd", "reason": "mesh removed", "owner": "obs@example.com",
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
            and r.component.revision == "1-12"
        )  # fmt: skip
        [incompatible] = [f for f in istiod.findings if f.kind is Flag.INCOMPATIBLE]
        assert incompatible.severity is Severity.CRITICAL  # built-in: 1.12 wants 1.19-1.22
        assert incompatible.message == (
            "Istio 1.12 supports Kubernetes 1.19-1.22; this cluster runs 1.32.9: upgrade Istio"
        )
        # a stored endoflife.date cycle (made up here) that covers 1.32 removes the finding
        store.put_documents(
            "cycles", "istio",
            {"1.12": {"name": "1.12", "custom": {"supportedKubernetesVersions": "1.29 - 1.32"}}},
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
        "waivers[1] (linkerd) matches no finding (owner obs@example.com): "
        "remove it or correct its fields"
    ) in report.warnings
    assert not any("waivers[0]" in w for w in report.warnings)
    kubelet = next(
        r for r in stored if r.component.role is Role.KUBELET and "1.27" in (r.current or "")
    )
    skew = next(f for f in kubelet.findings if f.kind is Flag.SKEW)
    assert skew.severity is Severity.CRITICAL  # 5 minors behind 1.32
    assert skew.waived and kubelet.waiver is not None  # persisted with the row
    assert kubelet.waiver.owner == "platform@example.com"
