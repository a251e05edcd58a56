"""`format_history` on runs stored from real dumps (docker-desktop Istio pod, kind node)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tracker.history import RunChanges
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.report.history import format_history
from tracker.store import Store
from tracker.upstream.release_file import import_releases
from tracker.workflows.query import cluster_history
from tracker.workflows.report import evaluate_report, save_report

DAY1 = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def runs(tmp_path: Path, realdata: Path) -> Iterator[list[RunChanges]]:
    """Three evaluated runs: 1.12.1 (day 1), 1.13.9 (day 2), 1.13.9 again (day 5)."""
    catalogue = load_catalogue({})
    pod_text = (realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json").read_text()
    node = realdata / "nodes" / "kind-v1.24.0.node.yaml"
    upgraded = tmp_path / "pod.json"
    upgraded.write_text(pod_text.replace("proxyv2:1.12.1", "proxyv2:1.13.9"))
    plan = [
        (realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json", DAY1),
        (upgraded, DAY1 + timedelta(days=1)),
        (upgraded, DAY1 + timedelta(days=4)),
    ]
    with Store.open(f"sqlite:///{tmp_path / 'h.db'}") as store:
        for path in sorted((realdata / "releases").glob("*__*.json")):
            import_releases(store, path, project=path.stem.replace("__", "/"))
        for pod, when in plan:
            inventory = replace(KubectlDump([pod, node], cluster="dd").collect(), scanned_at=when)
            store.save_scan(inventory, identify(inventory, catalogue))
            save_report(store, evaluate_report(store, catalogue, today=when.date(), now=when))
        yield cluster_history(store, "dd")


def test_runs_changes_and_days_open(runs: list[RunChanges]) -> None:
    text = format_history({"dd": runs}, component=None, today=date(2026, 11, 11), width=200)
    lines = [line.rstrip() for line in text.splitlines()]
    assert lines[0].startswith("legend: + new finding, - resolved finding")
    lines = lines[1:]
    assert lines[:6] == [
        "dd: 3 evaluated runs",
        "  2026-11-05 02:00 UTC  no change",
        "  2026-11-02 02:00 UTC  1 change",
        "    istio rev default  data-plane  default/Deployment/httpbin",
        "      ^ 1.12.1 -> 1.13.9",
        "  2026-11-01 02:00 UTC  first run kept: 3 rows with findings",
    ]
    table = lines[lines.index("dd: open findings") + 1 :]
    assert re.split(r"\s{2,}", table[0]) == [
        "severity", "component", "role", "where", "open findings"
    ]  # fmt: skip
    rows = {" ".join(re.split(r"\s{2,}", line)[1:3]): re.split(r"\s{2,}", line)
            for line in table[2:] if line and not line.startswith(" ")}  # fmt: skip
    # open since day 1 (the upgrade kept the finding open): 10 days by 2026-11-11
    assert rows["istio rev default data-plane"][-1] == "outdated 10d"
    assert rows["kubernetes kubelet"][-1] == "outdated 10d, partial-catalogue 10d"
    assert table[-1] == "open findings: kind and days open (since the first run that saw it)"


def test_component_filter_and_empty(runs: list[RunChanges]) -> None:
    text = format_history({"dd": runs}, component="kubernetes", today=date(2026, 11, 11))
    assert "istio" not in text and "kubelet" in text
    assert "  2026-11-02 02:00 UTC  no change" in text
    empty = format_history({"gone": []}, component=None, today=date(2026, 11, 11))
    assert "gone: 0 evaluated runs" in empty and "no evaluated run" in empty


def test_days_open_lower_bound_with_limit(runs: list[RunChanges]) -> None:
    two = runs[:2]  # as with --limit 2: the oldest run kept is day 2
    text = format_history({"dd": two}, component="istio", today=date(2026, 11, 11), width=200)
    (row,) = [line for line in text.splitlines() if line.startswith("critical  istio rev")]
    assert row.split()[-2:] == ["outdated", "9d"]
