"""The bundled demo (tracker/demo/: a sample EKS cluster and a release snapshot) as a Report,
built through the library stages (dump -> identify -> evaluate), without a store."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

from tracker.evaluate import evaluate
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import ClusterSummary, ClusterUnidentified, Release, Report

DEMO_DAY = date(2026, 8, 20)
DEMO_NOW = datetime(2026, 8, 20, 2, 0, tzinfo=UTC)


def _releases(path: Path) -> dict[str, list[Release]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        project: [
            Release(
                project,
                r["tag_name"],
                datetime.fromisoformat(r["published_at"].replace("Z", "+00:00"))
                if r.get("published_at")
                else None,
                bool(r.get("prerelease")),
                r.get("html_url"),
                r.get("name") or "",
            )
            for r in items
            if not r.get("draft")
        ]
        for project, items in data.items()
    }


def demo_report(cluster: str = "demo") -> Report:
    """The demo cluster evaluated on :data:`DEMO_DAY` (what ``tracker run --demo`` shows)."""
    demo = Path(str(resources.files("tracker.demo")))
    inventory = KubectlDump(
        [demo / "cluster.json", demo / "version.json"], cluster=cluster
    ).collect()
    catalogue = load_catalogue({})
    found = identify(inventory, catalogue)
    rows = evaluate(
        cluster, found.components, catalogue, _releases(demo / "releases.json"), DEMO_DAY
    )
    summary = ClusterSummary(
        cluster,
        inventory.scanned_at,
        inventory.server_version,
        inventory.source,
        inventory.warnings,
    )
    return Report(
        DEMO_NOW,
        (summary,),
        tuple(rows),
        tuple(ClusterUnidentified(cluster, u) for u in found.unidentified),
    )
