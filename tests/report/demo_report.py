"""The bundled demo (tracker/demo/) evaluated through the library, as ``tracker run --demo`` does.

The report tests for HTML, metrics and the monitoring files use it: real-shaped rows from a
sample EKS cluster (Istio control plane, gateway and sidecars, kubelets on vendor builds,
cert-manager, Prometheus, Argo CD on a release candidate, unidentified application images),
evaluated against the demo's release snapshot on a fixed day, so figures are stable.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import Report
from tracker.store import Store
from tracker.upstream.release_file import import_releases
from tracker.workflows.report import evaluate_report, save_report
from tracker.workflows.scan import scan

DEMO_TODAY = date(2026, 11, 30)
DEMO_NOW = datetime(2026, 11, 30, 3, 0, 0, tzinfo=UTC)


def demo_report(tmp_path: Path, *, cluster: str = "demo") -> Report:
    """Scan the demo dump as ``cluster`` into a SQLite store under ``tmp_path`` and report it."""
    return demo_fleet_report(tmp_path, clusters=(cluster,))


def demo_fleet_report(
    tmp_path: Path, *, clusters: tuple[str, ...], rewrite: Mapping[str, str] | None = None
) -> Report:
    """The demo dump scanned once per name in ``clusters``, reported together (a fleet).

    ``rewrite``: text replacements applied to the dump's ``cluster.json`` first (old -> new).
    """
    demo_dir = resources.files("tracker.demo")
    for name in ("cluster.json", "version.json", "releases.json"):
        (tmp_path / name).write_bytes(demo_dir.joinpath(name).read_bytes())
    dump = tmp_path / "cluster.json"
    for old, new in (rewrite or {}).items():
        dump.write_text(dump.read_text("utf-8").replace(old, new), "utf-8")
    catalogue = load_catalogue({})
    with Store.open(f"sqlite:///{tmp_path / 'demo.db'}") as store:
        import_releases(store, tmp_path / "releases.json")
        for cluster in clusters:
            dump = KubectlDump(
                [tmp_path / "cluster.json", tmp_path / "version.json"], cluster=cluster
            )
            scan(dump, store, catalogue)
        evaluated = evaluate_report(store, catalogue, today=DEMO_TODAY, now=DEMO_NOW)
        save_report(store, evaluated)
        return evaluated.report
