"""The one severity policy: the README table is the policy, every check's severity comes
from it, and --fail-on accepts every finding kind plus severities, never counting waived
findings."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tracker.evaluate.policy import (
    FAIL_ON,
    RULES,
    advisory_severity,
    fail_on_hit,
    node_skew_severity,
    outdated_severity,
    severity_table,
)
from tracker.models import (
    Behind,
    ClusterSummary,
    Component,
    ComponentReport,
    Finding,
    Flag,
    Report,
    Role,
    Severity,
    Source,
    Status,
)

README = Path(__file__).resolve().parents[2] / "README.md"
NOW = datetime(2026, 8, 20, tzinfo=UTC)


def test_readme_table_is_the_policy() -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- policy-table:start -->\n(.*?)\n<!-- policy-table:end -->", text, re.S)
    assert match, "README lacks the policy table markers"
    assert match.group(1) == severity_table(), "regenerate with policy.severity_table()"
    assert "--fail-on critical" in text.split("## The nightly job", 1)[1].split("crontab")[0]


def test_every_rule_key_is_unique_and_every_kind_has_a_rule() -> None:
    assert len({r.key for r in RULES}) == len(RULES)
    ruled = {r.kind for r in RULES}
    assert set(Flag) - ruled == {Flag.WAIVED}  # waived is a marking, not a finding


def test_outdated_rules_keep_their_meaning() -> None:
    assert outdated_severity(Behind.MAJOR, 1, None) is Severity.CRITICAL
    assert outdated_severity(Behind.MINOR, 3, None) is Severity.CRITICAL
    assert outdated_severity(Behind.MINOR, 1, 91) is Severity.WARNING
    assert outdated_severity(Behind.BUILD, 0, None) is Severity.INFO
    assert node_skew_severity(0, 3) is None


@pytest.mark.parametrize(
    ("word", "severity"),
    [
        ("critical", Severity.CRITICAL),
        ("HIGH", Severity.CRITICAL),
        ("moderate", Severity.WARNING),
        ("unknown", Severity.WARNING),
        ("low", Severity.INFO),
    ],
)
def test_advisory_severity_words(word: str, severity: Severity) -> None:
    """The one mapping of advisory words to finding severities (the advisories module and
    the vulnerable check use this one; there used to be a copy to keep in step)."""
    assert advisory_severity(word) is severity


def _report(*findings: Finding, behind: Behind | None = None) -> Report:
    c = Component("istio", Role.DATA_PLANE, "1.28.7", "istio/istio", revision="1-28")
    row = ComponentReport("prod", c, "1.28.7", "1.30.3", "1.28.9", Status.OUTDATED, behind, 5,
                          90, tuple(dict.fromkeys(f.kind for f in findings)), findings)  # fmt: skip
    return Report(NOW, (ClusterSummary("prod", NOW, "1.31.4", Source.API),), (row,), ())


def test_fail_on_accepts_every_finding_kind_and_the_severities() -> None:
    assert set(FAIL_ON) == {f.value for f in Flag if f is not Flag.WAIVED} | {
        "major", "unknown", "critical", "warning"
    }  # fmt: skip
    assert list(FAIL_ON)[:5] == ["outdated", "major", "pre-release", "pre-1.0", "unknown"]
    skew = Finding(Flag.SKEW, Severity.CRITICAL, "sidecars on a vanished revision")
    report = _report(skew)
    assert fail_on_hit(report, ["skew"]) and fail_on_hit(report, ["critical"])
    assert not fail_on_hit(report, ["eol", "outdated", "incompatible"])


def test_waived_findings_never_count() -> None:
    outdated = Finding(Flag.OUTDATED, Severity.CRITICAL, "1 major behind", waived=True)
    skew = Finding(Flag.SKEW, Severity.INFO, "older than istiod")
    report = _report(outdated, skew, behind=Behind.MAJOR)
    for kind in ("outdated", "major", "critical", "warning"):
        assert not fail_on_hit(report, [kind]), kind
    assert fail_on_hit(report, ["skew"])
    counted = replace(outdated, waived=False)
    assert fail_on_hit(_report(counted, skew, behind=Behind.MAJOR), ["major"])
