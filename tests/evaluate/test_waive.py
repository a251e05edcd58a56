"""Waivers applied to an evaluated cluster: live, expired, stale, by advisory id; waived
findings never count for --fail-on and never reach Slack. The cluster is real-shaped (the
recorded kind node object at the issue's versions, real Kubernetes and Istio releases)."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tests.evaluate.test_cluster_skew import _istiod, _kind_node, _sidecar_pod
from tests.identify.conftest import make_inventory
from tracker.config import load_settings
from tracker.errors import ConfigError
from tracker.evaluate import evaluate
from tracker.evaluate.policy import fail_on_hit
from tracker.evaluate.waive import apply_waivers, stale_warnings
from tracker.evaluate.waivers import parse_waivers
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.models import (
    AdvisoryRef,
    ClusterSummary,
    Component,
    ComponentReport,
    Finding,
    Flag,
    Release,
    Report,
    Role,
    Severity,
    Source,
    Status,
    WaiverRef,
)
from tracker.notify.slack import build_payload
from tracker.report.json import component_to_dict

TODAY = date(2026, 8, 20)
NOW = datetime(2026, 8, 20, 3, 17, tzinfo=UTC)
CATALOGUE = load_catalogue({})

WAIVERS = """
[[waivers]]
component = "kubernetes"
kind = "skew"
version = "1.27.9"
reason = "node pool replaced in the Q3 upgrade"
owner = "platform@example.com"
expires = 2026-09-30

[[waivers]]
component = "istio"
cluster = "prod"
kind = "skew"
reason = "old revision's workloads are drained"
owner = "mesh@example.com"
expires = 2026-08-01

[[waivers]]
component = "promtail"
reason = "replaced by Alloy next sprint"
owner = "obs@example.com"
expires = 2027-01-10

[[waivers]]
component = "kubernetes"
cluster = "staging"
reason = "staging is rebuilt weekly"
owner = "platform@example.com"
expires = 2027-01-10
"""


@pytest.fixture(scope="module")
def waivers() -> tuple:  # type: ignore[type-arg]
    return parse_waivers(tomllib.loads(WAIVERS)["waivers"], source="tracker.toml")


@pytest.fixture
def rows(
    realdata: Path,
    real_releases: dict[str, list[Release]],
    waivers: tuple,  # type: ignore[type-arg]
) -> list[ComponentReport]:
    """1.28.5 control plane, a 1.27.9 kubelet group, istiod 1.29.3 on revision 1-29 and
    1.28.7 sidecars on the vanished revision 1-28 (sidecars are cluster-wide entries)."""
    pods = (_istiod("1.29.3", "1-29"), _sidecar_pod(realdata, "app-1", "1.28.7", "1-28"))
    nodes = (_kind_node(realdata, "w1", "v1.27.9"), _kind_node(realdata, "cp", "v1.28.5"))
    inventory = make_inventory(pods=pods, nodes=nodes, server_version="v1.28.5")
    found = identify(inventory, CATALOGUE)
    return evaluate("prod", found.components, CATALOGUE, real_releases, TODAY, waivers=waivers)


def _row(rows: list[ComponentReport], role: Role, raw: str) -> ComponentReport:
    return next(r for r in rows if r.component.role is role and r.component.raw_version == raw)


def _report(rows: list[ComponentReport]) -> Report:
    return Report(NOW, (ClusterSummary("prod", NOW, "1.28.5", Source.API),), tuple(rows), ())


def test_a_live_waiver_marks_the_finding_and_the_row(rows: list[ComponentReport]) -> None:
    kubelet = _row(rows, Role.KUBELET, "v1.27.9")
    skew = next(f for f in kubelet.findings if f.kind is Flag.SKEW)
    assert skew.waived and skew.severity is Severity.INFO  # still evaluated and shown
    assert kubelet.waiver == WaiverRef(
        "node pool replaced in the Q3 upgrade", "platform@example.com", date(2026, 9, 30)
    )
    # its outdated finding is not waived: the row is not wholly waived
    assert any(not f.waived for f in kubelet.findings)
    assert Flag.WAIVED not in kubelet.flags
    data = component_to_dict(kubelet)
    assert data["waiver"] == {
        "reason": "node pool replaced in the Q3 upgrade",
        "owner": "platform@example.com",
        "expires": "2026-09-30",
        "expired": False,
    }
    assert {"kind": "skew", "waived": True}.items() <= next(
        f for f in data["findings"] if f["kind"] == "skew"
    ).items()


def test_an_expired_waiver_stops_waiving_and_says_so(rows: list[ComponentReport]) -> None:
    sidecars = _row(rows, Role.DATA_PLANE, "1.28.7")
    vanished = next(f for f in sidecars.findings if f.kind is Flag.SKEW)
    assert not vanished.waived and vanished.severity is Severity.CRITICAL
    assert vanished.message.endswith("; waiver by mesh@example.com expired on 2026-08-01")
    assert sidecars.waiver is not None and sidecars.waiver.expired
    assert fail_on_hit(_report(rows), ["critical"])  # it counts again


def test_the_last_day_of_a_waiver_still_waives(
    realdata: Path,
    real_releases: dict[str, list[Release]],
    waivers: tuple,  # type: ignore[type-arg]
) -> None:
    pods = (_istiod("1.29.3", "1-29"), _sidecar_pod(realdata, "app-1", "1.28.7", "1-28"))
    found = identify(make_inventory(pods=pods, server_version="v1.31.4"), CATALOGUE)
    rows = evaluate(
        "prod", found.components, CATALOGUE, real_releases, date(2026, 8, 1), waivers=waivers
    )
    sidecars = _row(rows, Role.DATA_PLANE, "1.28.7")
    assert all(f.waived for f in sidecars.findings if f.kind is Flag.SKEW)
    assert not fail_on_hit(_report(rows), ["skew"])


def test_waivers_matching_nothing_are_stale_policy(
    rows: list[ComponentReport],
    waivers: tuple,  # type: ignore[type-arg]
) -> None:
    warnings = stale_warnings(rows, waivers, TODAY, ["prod"])
    assert warnings == [
        "waivers[2] (promtail) matches no finding (owner obs@example.com): "
        "remove it or correct its fields"
    ]  # waivers[3] is for the staging cluster, not in this report: not judged
    assert len(stale_warnings(rows, waivers, TODAY, ["prod", "staging"])) == 2


def test_a_waiver_without_kind_waives_the_whole_row(
    rows: list[ComponentReport],
    waivers: tuple,  # type: ignore[type-arg]
) -> None:
    row = _row(rows, Role.KUBELET, "v1.27.9")
    plain = [replace_waived(f) for f in row.findings]
    unwaived = _strip(row, plain)
    extra = parse_waivers(
        [{"component": "kubernetes", "reason": "r", "owner": "o", "expires": "2026-12-31"}],
        source="t.toml",
    )
    [done] = apply_waivers([unwaived], extra, TODAY)
    assert all(f.waived for f in done.findings) and done.flags[-1] is Flag.WAIVED
    assert done.counted_findings == ()
    assert not fail_on_hit(_report([done]), ["critical", "warning", "outdated", "skew"])


def replace_waived(f: Finding) -> Finding:
    return Finding(f.kind, f.severity, f.message, f.source)


def _strip(row: ComponentReport, findings: list[Finding]) -> ComponentReport:
    from dataclasses import replace

    return replace(row, findings=tuple(findings), waiver=None)


def _vulnerable_row(*ids: str) -> ComponentReport:
    c = Component("ingress-nginx", Role.ADDON, "v1.11.3", "kubernetes/ingress-nginx",
                  "ingress", "Deployment/ingress-nginx-controller",
                  "registry.k8s.io/ingress-nginx/controller:v1.11.3")  # fmt: skip
    advisories = tuple(AdvisoryRef(i, aliases=(f"CVE-{i[-4:]}",), severity="critical") for i in ids)
    findings = tuple(
        Finding(Flag.VULNERABLE, Severity.CRITICAL, f"{a.id} ({a.aliases[0]}): fixed in 1.11.5")
        for a in advisories
    )
    return ComponentReport("prod", c, "1.11.3", "1.13.0", "1.11.5", Status.OUTDATED, None, 2,
                           100, (Flag.VULNERABLE,), findings, advisories=advisories)  # fmt: skip


def test_advisories_are_waived_by_id_or_alias() -> None:
    row = _vulnerable_row("GHSA-mgvx-rpfc-9mxh", "GHSA-4x6v-8qjw-1974")
    waivers = parse_waivers(
        [{"component": "ingress-nginx", "kind": "CVE-9mxh", "reason": "WAF rule",
          "owner": "edge@example.com", "expires": date(2027, 3, 31)}],
        source="t.toml",
    )  # fmt: skip
    [done] = apply_waivers([row], waivers, TODAY)
    assert [f.waived for f in done.findings] == [True, False]  # only the advisory it names
    assert Flag.WAIVED not in done.flags and fail_on_hit(_report([done]), ["vulnerable"])
    by_id = parse_waivers(
        [{"component": "ingress-nginx", "kind": k, "reason": "r", "owner": "o",
          "expires": date(2027, 3, 31)} for k in ("GHSA-mgvx-rpfc-9mxh", "GHSA-4x6v-8qjw-1974")],
        source="t.toml",
    )  # fmt: skip
    [both] = apply_waivers([row], by_id, TODAY)
    assert Flag.WAIVED in both.flags and not fail_on_hit(_report([both]), ["vulnerable"])
    assert stale_warnings([row], by_id, TODAY, ["prod"]) == []


def test_slack_payload_leaves_waived_findings_out(rows: list[ComponentReport]) -> None:
    payload = build_payload(_report(rows), None, cluster="prod")
    text = json.dumps(payload)
    kubelet = _row(rows, Role.KUBELET, "v1.27.9")
    assert any(f.waived for f in kubelet.findings)
    [line] = [b for b in text.split("\\n") if "kubelet" in b and "1.27.9" in b]
    assert "skew" not in line and "outdated" in line  # the waived skew is not sent
    sidecars = [b for b in text.split("\\n") if "data-plane" in b]
    assert sidecars and "skew" in sidecars[0]  # the expired waiver's finding is sent
    counted = [f for r in rows for f in r.counted_findings]
    assert len(counted) == sum(len(r.findings) for r in rows) - 1
    critical = sum(f.severity is Severity.CRITICAL for f in counted)
    info = sum(f.severity is Severity.INFO for f in counted)
    assert payload["text"].startswith(f"tracker · prod: {critical} critical")
    assert f", {info} info" in payload["text"]


def test_config_waivers_and_errors_naming_index_and_field(tmp_path: Path) -> None:
    path = tmp_path / "tracker.toml"
    path.write_text(WAIVERS, encoding="utf-8")
    settings = load_settings(path, environ={})
    assert [w.component for w in settings.waivers] == [
        "kubernetes", "istio", "promtail", "kubernetes"
    ]  # fmt: skip
    path.write_text(
        WAIVERS + '\n[[waivers]]\ncomponent = "x"\nreason = "r"\nexpires = 2027-01-01\n'
    )
    with pytest.raises(ConfigError, match=r"tracker.toml: waivers\[4\]: owner is missing"):
        load_settings(path, environ={})
    path.write_text('[[waivers]]\ncomponent = "x"\nreason = "r"\nowner = "o"\nexpires = 7\n')
    with pytest.raises(ConfigError, match=r"waivers\[0\]: expires must be a date"):
        load_settings(path, environ={})
