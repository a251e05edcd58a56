"""The vulnerable check over real advisories: rows, messages, warnings, history, Slack, policy."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tracker.evaluate import evaluate
from tracker.evaluate.advisories import AdvisoryIndex
from tracker.evaluate.policy import fail_on_hit
from tracker.evaluate.vulnerable import apply_advisories, index_from_documents
from tracker.history import FindingKey, diff_findings
from tracker.identify.catalogue import load_catalogue
from tracker.models import (
    ClusterSummary,
    Component,
    ComponentReport,
    Flag,
    Report,
    Role,
    Severity,
    Source,
)
from tracker.notify.slack import build_payload
from tracker.upstream.advisory_file import by_package, load_advisory_files
from tracker.upstream.osv import parse_osv

TODAY = date(2026, 9, 1)
CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def index(realdata: Path) -> AdvisoryIndex:
    loaded = load_advisory_files([realdata / "advisories"])
    documents = {
        (package, key): raw
        for package, records in by_package(loaded.records).items()
        for key, raw in records.items()
    }
    built, bad = index_from_documents(documents)
    assert bad == 0
    return built


def rows(*components: Component) -> list[ComponentReport]:
    return evaluate("prod", list(components), CATALOGUE, {}, TODAY)


def nginx(tag: str) -> Component:
    return Component(
        "ingress-nginx",
        Role.ADDON,
        tag,
        "kubernetes/ingress-nginx",
        namespace="ingress-nginx",
        workload="Deployment/ingress-nginx-controller",
        image=f"registry.k8s.io/ingress-nginx/controller:{tag}",
    )


def kube(version: str, role: Role = Role.CONTROL_PLANE) -> Component:
    return Component("kubernetes", role, version, "kubernetes/kubernetes")


def test_one_finding_lists_every_advisory_worst_first(index: AdvisoryIndex) -> None:
    (row,), warnings = apply_advisories(rows(nginx("v1.8.5")), CATALOGUE, index)
    assert warnings == []
    (finding,) = [f for f in row.findings if f.kind is Flag.VULNERABLE]
    assert Flag.VULNERABLE in row.flags
    ids = [a.id for a in row.advisories]
    # critical first: GitHub's record, then the Go record that takes its severity (alias);
    # the Go record with neither a severity nor a stored alias comes last
    assert ids[:3] == ["GHSA-mgvx-rpfc-9mpv", "GO-2025-3567", "GHSA-5wj4-wffq-3378"]
    assert ids[-1] == "GO-2024-3075"
    assert finding.severity is Severity.CRITICAL
    assert finding.source == "https://github.com/advisories/GHSA-mgvx-rpfc-9mpv"
    go = next(a for a in row.advisories if a.id == "GO-2025-3567")
    assert go.url == "https://pkg.go.dev/vuln/GO-2025-3567"
    assert finding.message.startswith(
        "ingress-nginx 1.8.5 is affected by "
        "CVE-2025-1974 (GHSA-mgvx-rpfc-9mpv, GO-2025-3567, critical), "
        "CVE-2023-5043 (GHSA-5wj4-wffq-3378, high), "
        "CVE-2025-1097 (GHSA-823x-fv5p-h7hw, GO-2025-3565, high)"
    )
    # 13 records of 8 vulnerabilities: five named, the JSON has every record
    assert len(ids) == 13 and "and 3 more" in finding.message
    assert finding.message.endswith(": upgrade to 1.11.5 (lowest fixed: 1.9.0)")


@pytest.mark.parametrize(
    ("tag", "vulnerable"),
    [("v1.11.4", True), ("v1.11.5", False), ("v1.12.0", True), ("v1.12.1", False)],
)
def test_just_below_at_and_above_the_fix(index: AdvisoryIndex, tag: str, vulnerable: bool) -> None:
    (row,), _ = apply_advisories(rows(nginx(tag)), CATALOGUE, index)
    assert (Flag.VULNERABLE in row.flags) is vulnerable


def test_vendor_build_and_kubelet(index: AdvisoryIndex) -> None:
    found, _ = apply_advisories(
        rows(kube("v1.27.1-eks-a1b2c3"), kube("v1.27.1-eks-a1b2c3", Role.KUBELET)),
        CATALOGUE,
        index,
    )
    for row in found:
        assert {"GHSA-xc8m-28vv-4pjc", "GHSA-qc2g-gmh6-95p4"} <= {a.id for a in row.advisories}
        message = next(f.message for f in row.findings if f.kind is Flag.VULNERABLE)
        assert "1.27.1 is affected by" in message
        # CVE-2023-2431's nearest fix on the 1.27 line is 1.27.2; the others need later ones
        xc8m = next(a for a in row.advisories if a.id == "GHSA-xc8m-28vv-4pjc")
        assert xc8m.nearest_fix == "1.27.2" and xc8m.fixed_in[0] == "1.24.14"
    assert "kubernetes kubelet 1.27.1" in next(
        f.message for f in found[1].findings if f.kind is Flag.VULNERABLE
    )


def test_no_packages_or_no_version_unchanged(index: AdvisoryIndex) -> None:
    plain = rows(Component("coredns", Role.ADDON, "1.6.7", "coredns/coredns"), nginx("latest"))
    found, _ = apply_advisories(plain, CATALOGUE, index)
    assert found == plain


def test_unreadable_range_is_a_warning(index: AdvisoryIndex, realdata: Path) -> None:
    raw = json.loads((realdata / "advisories" / "GHSA-pvmg-xgmx-9mxh.json").read_text())
    raw["id"] = "GHSA-test-bad0-rang"
    raw["affected"][0]["ranges"][0]["events"] = [{"introduced": "0"}, {"fixed": "one.two"}]
    bad = AdvisoryIndex([parse_osv(raw, source="t")])
    (row,), warnings = apply_advisories(rows(nginx("v1.1.0")), CATALOGUE, bad)
    assert Flag.VULNERABLE not in row.flags
    (warning,) = warnings
    assert "GHSA-test-bad0-rang" in warning and "go:k8s.io/ingress-nginx" in warning


def test_new_advisory_is_a_new_finding_in_history(index: AdvisoryIndex) -> None:
    before, _ = apply_advisories(rows(nginx("v1.11.5")), CATALOGUE, index)
    assert not before[0].advisories
    fewer = AdvisoryIndex(
        [
            m.advisory
            for m in index.match(["go:k8s.io/ingress-nginx"], _v("1.8.5")).matches
            if m.advisory.id != "GO-2025-3567"
        ]
    )
    old, _ = apply_advisories(rows(nginx("v1.11.3")), CATALOGUE, fewer)
    new, _ = apply_advisories(rows(nginx("v1.11.3")), CATALOGUE, index)
    f_old = next(f for f in old[0].findings if f.kind is Flag.VULNERABLE)
    f_new = next(f for f in new[0].findings if f.kind is Flag.VULNERABLE)
    assert FindingKey.of(old[0], f_old) != FindingKey.of(new[0], f_new)
    changes = diff_findings(old, new)
    assert [r.finding.kind for r in changes.new] == [Flag.VULNERABLE]


def _v(raw: str):  # type: ignore[no-untyped-def]
    from tracker.versions import parse_version

    return parse_version(raw)


def _report(found: list[ComponentReport]) -> Report:
    summary = ClusterSummary("prod", datetime(2026, 9, 1, tzinfo=UTC), "1.27.1", Source.DUMP)
    return Report(datetime(2026, 9, 1, 3, tzinfo=UTC), (summary,), tuple(found), ())


def test_slack_puts_vulnerable_first_and_fail_on(index: AdvisoryIndex) -> None:
    old_dns = Component("coredns", Role.ADDON, "1.6.7", "coredns/coredns", namespace="kube-system")
    found, _ = apply_advisories(
        evaluate("prod", [old_dns, nginx("v1.11.5"), nginx("v1.11.3")], CATALOGUE, {}, TODAY),
        CATALOGUE,
        index,
    )
    report = _report(found)
    payload = build_payload(report, None, cluster="prod")
    text = json.dumps(payload)
    lines = next(
        b["text"]["text"] for b in payload["blocks"] if "Worst open findings" in str(b.get("text"))
    ).splitlines()
    assert "ingress-nginx" in lines[1] and "CVE-2025-" in lines[1]
    # 10 records (GitHub's and the Go database's) of 5 CVEs: counted once each
    assert "CVE-2025-1974 and 4 more advisories: upgrade to 1.11.5" in lines[1]
    assert "upgrade to 1.11.5" in text
    assert fail_on_hit(report, ["vulnerable"])
    assert not fail_on_hit(_report(found[:2]), ["vulnerable"])
