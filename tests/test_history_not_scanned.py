"""A run whose dump has no nodes: kubelet and control-plane findings are "not scanned",
never "resolved" (history, Slack digest, webhook). Real GKE 1.18 nodes and pods."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tracker.evaluate import evaluate
from tracker.history import (
    CONTROL_PLANE,
    NODES,
    ScanRows,
    carry_unscanned,
    diff_findings,
    unscanned_sources,
)
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import ClusterSummary, ComponentReport, Report, Role, Source
from tracker.notify.slack import build_payload
from tracker.notify.webhook import build_payload as webhook_payload
from tracker.upstream.release_file import load_release_file

NODES_FILE = "nodes/gke-v1.18.19-gke.1701.nodelist.json"
PODS_FILE = "pods/gke-v1.18.19-kubevious-samples.podlist.json"
TODAY = date(2026, 12, 1)


def _rows(realdata: Path, *files: str) -> list[ComponentReport]:
    catalogue = load_catalogue()
    inventory = KubectlDump([realdata / f for f in files], cluster="gke").collect()
    releases = {
        p.stem.replace("__", "/"): load_release_file(p, p.stem.replace("__", "/")).releases[
            p.stem.replace("__", "/")
        ]
        for p in sorted((realdata / "releases").glob("*__*.json"))
    }
    components = identify(inventory, catalogue).components
    return evaluate("gke", components, catalogue, releases, TODAY)


@pytest.fixture(scope="module")
def runs(realdata_module: Path) -> tuple[list[ComponentReport], list[ComponentReport]]:
    """The same cluster scanned with its node list, then from a dump without nodes."""
    with_nodes = _rows(realdata_module, NODES_FILE, PODS_FILE)
    without = _rows(realdata_module, PODS_FILE)
    return with_nodes, without


@pytest.fixture(scope="module")
def realdata_module() -> Path:
    return Path(__file__).parent / "data" / "realdata"


def test_a_dump_without_nodes_resolves_nothing_it_did_not_read(runs) -> None:  # type: ignore[no-untyped-def]
    before, after = runs
    kubelet_before = [r for r in before if r.component.role is Role.KUBELET and r.findings]
    assert kubelet_before, "the real GKE 1.18 kubelets must carry findings"
    assert not any(r.component.role is Role.KUBELET for r in after)
    assert unscanned_sources(before, after) == {("gke", NODES), ("gke", CONTROL_PLANE)}

    changes = diff_findings(before, after)
    gone = {ref.row.component.role for ref in changes.not_scanned}
    assert Role.KUBELET in gone and Role.CONTROL_PLANE in gone
    assert not any(
        ref.row.component.role in (Role.KUBELET, Role.CONTROL_PLANE) for ref in changes.resolved
    )
    # kube-proxy runs as static pods on GKE: its pod rows stay and are compared normally
    assert any(r.component.component == "kube-proxy" for r in after)
    assert changes.changed  # the digest says so rather than "no changes"

    # the next run with nodes again: nothing was resolved in between
    assert not diff_findings(before, before).not_scanned


def test_slack_and_webhook_say_not_scanned(runs) -> None:  # type: ignore[no-untyped-def]
    before, after = runs
    changes = diff_findings(before, after)
    summary = ClusterSummary("gke", datetime(2026, 12, 1, 2, 0, tzinfo=UTC), None, Source.DUMP)
    report = Report(summary.scanned_at, (summary,), tuple(after), ())
    text = json.dumps(build_payload(report, changes, cluster="gke"))
    assert "Not scanned this run" in text and "so not resolved" in text
    hook = webhook_payload(report, changes, cluster="gke")
    assert len(hook["not_scanned"]) == len(changes.not_scanned) > 0
    assert all(f["component"] != "kubernetes" for f in hook["resolved"])


def test_next_run_with_nodes_compares_with_the_last_run_that_read_them(runs) -> None:  # type: ignore[no-untyped-def]
    before, after = runs
    # night 1 read nodes, night 2 did not (its rows are the baseline), night 3 reads them again
    baseline = carry_unscanned(
        ScanRows(after), ScanRows(before), [ScanRows(after), ScanRows(before)]
    )
    changes = diff_findings(baseline, before)
    kubelet_new = [r for r in changes.new if r.row.component.role is Role.KUBELET]
    kubelet_open = [r for r in changes.still_open if r.row.component.role is Role.KUBELET]
    assert not kubelet_new and kubelet_open
    assert not changes.new and not changes.resolved
    # a baseline that lacks nothing is returned as it is
    assert carry_unscanned(ScanRows(before), ScanRows(before), [ScanRows(after)]) == before
