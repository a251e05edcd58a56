"""deploy/monitoring/: the Grafana dashboard and the PrometheusRule use only metrics tracker emits.

The metric names are taken from each PromQL expression and compared with the samples
``tracker.report.metrics`` produces for the bundled demo's report (read back with
prometheus-client's OpenMetrics parser), so renaming a metric breaks this test, not a dashboard.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from tests.conftest import REPO_ROOT
from tests.report.demo_report import demo_report
from tracker.report.metrics import format_metrics

MONITORING = REPO_ROOT / "deploy" / "monitoring"
DASHBOARD = MONITORING / "tracker-dashboard.json"
RULES = MONITORING / "prometheusrule.yaml"

# A PromQL identifier that names a tracker metric (labels, functions and keywords never start so).
METRIC = re.compile(r"\btracker_[a-z0-9_]+\b")
TWO_DAYS = re.compile(r">\s*(2\s*\*\s*24\s*\*\s*3600|2\s*\*\s*86400|172800)\b")

Obj = dict[str, Any]


@pytest.fixture(scope="module")
def emitted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Sample names tracker emits for the demo report (with a last sync time)."""
    report = demo_report(tmp_path_factory.mktemp("demo"))
    text = format_metrics(report, last_sync=datetime(2026, 11, 30, tzinfo=UTC))
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def _dashboard() -> Obj:
    data: Obj = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def _panels(panels: list[Obj]) -> Iterator[Obj]:
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _dashboard_expressions(dashboard: Obj) -> list[str]:
    exprs = [t["expr"] for p in _panels(dashboard["panels"]) for t in p.get("targets", [])]
    for variable in dashboard["templating"]["list"]:
        query = variable.get("query")
        if variable["type"] == "query":
            exprs.append(query["query"] if isinstance(query, dict) else query)
    return exprs


def _rules() -> list[Obj]:
    (doc,) = yaml.safe_load_all(RULES.read_text(encoding="utf-8"))
    assert doc["apiVersion"] == "monitoring.coreos.com/v1" and doc["kind"] == "PrometheusRule"
    return [rule for group in doc["spec"]["groups"] for rule in group["rules"]]


def test_dashboard_uses_only_emitted_metrics(emitted: set[str]) -> None:
    exprs = _dashboard_expressions(_dashboard())
    assert len(exprs) >= 10
    used = {name for expr in exprs for name in METRIC.findall(expr)}
    assert used <= emitted, f"the dashboard uses metrics tracker does not emit: {used - emitted}"
    assert used == emitted, f"metrics no panel shows: {emitted - used}"


def test_dashboard_is_well_formed() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] == "tracker-upgrades" and dashboard["title"]
    panels = list(_panels(dashboard["panels"]))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    names = {v["name"] for v in dashboard["templating"]["list"]}
    assert names == {"datasource", "cluster"}
    for panel in panels:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        for target in panel["targets"]:
            expr = target["expr"]
            assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}")
            if "tracker_last_sync" not in expr:
                assert 'cluster=~"$cluster"' in expr, f"{panel['title']}: not filtered by cluster"


def test_rules_use_only_emitted_metrics(emitted: set[str]) -> None:
    rules = _rules()
    used = {name for rule in rules for name in METRIC.findall(rule["expr"])}
    assert used and used <= emitted, f"rules use metrics tracker does not emit: {used - emitted}"
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= rule.keys()
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}
        assert rule["annotations"]["summary"]


def test_rules_alert_on_critical_findings_and_on_a_scan_older_than_two_days() -> None:
    alerts = {rule["alert"]: rule["expr"] for rule in _rules()}
    critical = alerts["TrackerCriticalFindings"]
    assert 'tracker_findings{severity="critical"}' in critical and "> 0" in critical
    stale = alerts["TrackerScanStale"]
    assert "time() - " in stale and "tracker_last_scan_timestamp_seconds" in stale
    assert TWO_DAYS.search(stale), stale


def test_kustomization_ships_the_rule_and_the_dashboard(
    build: Callable[[Path], list[Obj]],
) -> None:
    objects = {(o["kind"], o["metadata"]["name"]): o for o in build(MONITORING)}
    assert set(objects) == {("PrometheusRule", "tracker"), ("ConfigMap", "tracker-dashboard")}
    config_map = objects[("ConfigMap", "tracker-dashboard")]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    shipped = json.loads(config_map["data"]["tracker-dashboard.json"])
    assert shipped == _dashboard()
