"""The generic JSON webhook payload: the Slack digest's content as plain JSON."""

from __future__ import annotations

import json

import httpx

from tests.report.sample import DD, GKE, current_report, previous_report
from tracker.history import diff_findings
from tracker.notify import Notifier, SlackNotifier, WebhookNotifier
from tracker.notify.webhook import MAX_WORST, build_payload


def test_payload_with_changes() -> None:
    changes = diff_findings(previous_report().components, current_report().components)
    p = build_payload(current_report(), changes, cluster=GKE, report_link="/srv/r.md")
    assert list(p) == [
        "schema_version", "source", "cluster", "generated_at", "kubernetes_version",
        "report_link", "counts", "compared_with_previous", "new", "resolved", "upgraded",
        "downgraded", "not_scanned", "worst", "open_total",
    ]  # fmt: skip
    assert p["schema_version"] == 1 and p["cluster"] == GKE
    assert p["generated_at"] == "2026-08-20T02:00:00Z"
    assert p["kubernetes_version"] == "1.18.19" and p["report_link"] == "/srv/r.md"
    assert p["counts"] == {"critical": 5, "warning": 3, "info": 0}
    assert p["compared_with_previous"] is True
    assert p["new"] == [
        {
            "component": "metrics-server",
            "role": "addon",
            "namespace": "kube-system",
            "workload": "Deployment/metrics-server-v0.3.6",
            "kind": "outdated",
            "severity": "warning",
            "message": "metrics-server 0.3.6 is 5 minor versions behind 0.8.0",
            "current": "0.3.6",
            "latest": "0.8.0",
            "behind": "minor",
            "releases_behind": 25,
            "days_behind": 2120,
            "release_notes": "https://github.com/kubernetes-sigs/metrics-server/releases/tag/v0.8.0",
        }
    ]
    assert [(r["component"], r["kind"]) for r in p["resolved"]] == [
        ("ingress-nginx", "outdated"),
        ("metrics-server", "no-upstream-data"),
    ]
    assert p["upgraded"] == [
        {
            "component": "prometheus",
            "role": "addon",
            "namespace": "openfaas",
            "workload": "Deployment/prometheus",
            "previous": "2.11.0",
            "current": "2.11.1",
        }
    ]
    assert p["downgraded"] == []
    assert [(w["component"], w["current"], w["severity"]) for w in p["worst"]] == [
        ("prometheus", "2.11.0", "critical"),
        ("prometheus", "2.11.1", "critical"),
        ("cert-manager", "0.10.1", "critical"),  # its worst finding, not pre-1.0
        ("kubernetes", "1.18.19", "critical"),
        ("kubernetes", "1.18.19", "critical"),
        ("metrics-server", "0.3.6", "warning"),
    ]
    assert p["open_total"] == 6
    json.dumps(p)  # plain JSON types only


def test_first_run_and_unknown_version() -> None:
    p = build_payload(current_report(), None, cluster=DD)
    assert p["compared_with_previous"] is False
    assert p["new"] == p["resolved"] == p["upgraded"] == []
    assert p["kubernetes_version"] is None
    assert p["worst"][-1]["kind"] == "unknown-version" and p["worst"][-1]["current"] is None
    assert len(p["worst"]) <= MAX_WORST


def test_notifiers_satisfy_the_protocol() -> None:
    with httpx.Client() as client:
        targets: list[Notifier] = [
            SlackNotifier(client, "https://hooks.example.invalid/x"),
            WebhookNotifier(client, "https://hooks.example.invalid/y"),
        ]
        payloads = [t.build_payload(current_report(), None, cluster=GKE) for t in targets]
    assert "blocks" in payloads[0] and "counts" in payloads[1]
