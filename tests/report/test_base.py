"""get_formatter, the --fail-on decision and the shared ordering."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.report.sample import GKE, NOW, current_report
from tracker.errors import ReportError
from tracker.evaluate.policy import FAIL_ON_KINDS, fail_on_hit
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
from tracker.report import JsonFormatter, MarkdownFormatter, TableFormatter, get_formatter
from tracker.report.base import sort_worst_first


def up_to_date_report() -> Report:
    c = Component("istio", Role.CONTROL_PLANE, "1.30.3", "istio/istio", "istio-system",
                  "Deployment/istiod", "docker.io/istio/pilot:1.30.3")  # fmt: skip
    row = ComponentReport(GKE, c, "1.30.3", "1.30.3", "1.30.3", Status.UP_TO_DATE, None, 0, 0,
                          (), ())  # fmt: skip
    return Report(NOW, (ClusterSummary(GKE, NOW, "1.29.3", Source.API),), (row,), ())


def with_row(flags: tuple[Flag, ...], behind: Behind | None = None) -> Report:
    base = up_to_date_report()
    findings = tuple(Finding(f, Severity.WARNING, f.value) for f in flags)
    row = replace(base.components[0], flags=flags, findings=findings, behind=behind)
    return replace(base, components=(row,))


def test_get_formatter() -> None:
    assert isinstance(get_formatter("table"), TableFormatter)
    assert isinstance(get_formatter("json"), JsonFormatter)
    assert isinstance(get_formatter("markdown"), MarkdownFormatter)
    table = get_formatter("table", width=90, color=True)
    assert isinstance(table, TableFormatter) and table.width == 90 and table.color
    assert get_formatter("html").__class__.__name__ == "HtmlFormatter"
    with pytest.raises(ReportError, match="'pdf'") as err:
        get_formatter("pdf")
    assert "table, json, markdown, html" in err.value.hint


def test_fail_on_real_report() -> None:
    report = current_report()
    assert fail_on_hit(report, ["outdated"])
    assert fail_on_hit(report, ["major"])  # cert-manager, prometheus
    assert fail_on_hit(report, ["pre-1.0"])
    assert fail_on_hit(report, ["unknown"])  # docker-desktop's Kubernetes version
    assert not fail_on_hit(report, ["pre-release"])
    assert not fail_on_hit(report, [])


def test_fail_on_clean_report_never_hits() -> None:
    report = up_to_date_report()
    assert not fail_on_hit(report, FAIL_ON_KINDS)


@pytest.mark.parametrize(
    ("flags", "behind", "kind"),
    [
        ((Flag.OUTDATED,), Behind.PATCH, "outdated"),
        ((Flag.OUTDATED,), Behind.MAJOR, "major"),
        ((Flag.PRE_RELEASE,), None, "pre-release"),
        ((Flag.PRE_1_0,), None, "pre-1.0"),
        ((Flag.UNKNOWN_VERSION,), None, "unknown"),
        ((Flag.NO_UPSTREAM_DATA,), None, "unknown"),
    ],
)
def test_fail_on_each_kind(flags: tuple[Flag, ...], behind: Behind | None, kind: str) -> None:
    report = with_row(flags, behind)
    assert fail_on_hit(report, [kind])
    severities = ("critical", "warning")  # the row's finding is a warning: those gates hit
    others = [
        k
        for k in FAIL_ON_KINDS
        if k != kind
        and k not in severities
        and not (kind == "major" and k == "outdated")
        and not (kind == "unknown" and k in {f.value for f in flags})  # the kind of the flag
    ]
    assert not fail_on_hit(report, others)
    assert fail_on_hit(report, ["warning"]) and not fail_on_hit(report, ["critical"])


def test_fail_on_unknown_kind() -> None:
    with pytest.raises(ReportError, match="'stale'"):
        fail_on_hit(up_to_date_report(), ["outdated", "stale"])


def test_worst_first_order_uses_severity_then_behind_then_days() -> None:
    report = current_report()
    rows = sort_worst_first(reversed(report.components))
    assert [r.worst_severity for r in rows[:7]] == [Severity.CRITICAL] * 7
    criticals = [(r.behind, r.days_behind) for r in rows[:7]]
    assert criticals == [
        (Behind.MAJOR, 2598),
        (Behind.MAJOR, 2563),
        (Behind.MAJOR, 2506),
        (Behind.MINOR, 1675),
        (Behind.MINOR, 1640),
        (Behind.MINOR, 981),
        (Behind.MINOR, 981),
    ]
    assert [r.component.role for r in rows[5:7]] == [Role.CONTROL_PLANE, Role.KUBELET]


def test_fail_on_severity() -> None:
    from tests.report.sample import current_report
    from tracker.evaluate.policy import fail_on_hit

    report = current_report()
    severities = {r.worst_severity for r in report.components if r.worst_severity}
    assert fail_on_hit(report, ["critical"]) == any(s.value == "critical" for s in severities)
    assert fail_on_hit(report, ["warning"]) == bool(
        {s.value for s in severities} & {"critical", "warning"}
    )
    empty = type(report)(report.generated_at, report.clusters, (), ())
    assert not fail_on_hit(empty, ["critical", "warning"])
