"""The bundled demo's vulnerable findings (``tracker run --demo`` through the library), on a
fixed day: IngressNightmare is critical, and the kubelet's fix on an ended line says so."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tracker.models import ComponentReport, Flag, Report, Role, Severity
from tracker.workflows.demo import run_demo


@pytest.fixture(scope="module")
def report() -> Report:
    return run_demo(today=date(2026, 9, 1), now=datetime(2026, 9, 1, 3, tzinfo=UTC))


def _row(report: Report, component: str, role: Role, current: str) -> ComponentReport:
    (row,) = [
        r
        for r in report.components
        if r.component.component == component and r.component.role is role and r.current == current
    ]
    return row


def test_ingress_nightmare_is_critical(report: Report) -> None:
    nginx = _row(report, "ingress-nginx", Role.ADDON, "1.11.3")
    (finding,) = [f for f in nginx.findings if f.kind is Flag.VULNERABLE]
    assert finding.severity is Severity.CRITICAL
    assert finding.message.startswith(
        "ingress-nginx 1.11.3 is affected by "
        "CVE-2025-1974 (GHSA-mgvx-rpfc-9mpv, GO-2025-3567, critical), "
    )
    assert finding.source == "https://github.com/advisories/GHSA-mgvx-rpfc-9mpv"
    go = next(a for a in nginx.advisories if a.id == "GO-2025-3567")
    assert (go.severity, go.severity_source, go.severity_alias) == (
        "critical",
        "alias",
        "GHSA-mgvx-rpfc-9mpv",
    )


def test_kubelet_fix_on_an_ended_eks_line(report: Report) -> None:
    kubelet = _row(report, "kubernetes", Role.KUBELET, "1.27.9")  # the legacy node group
    (finding,) = [f for f in kubelet.findings if f.kind is Flag.VULNERABLE]
    assert finding.message == (
        "kubernetes kubelet 1.27.9 is affected by CVE-2024-5321 (GHSA-82m2-cv7p-4m75, moderate)"
        ": upgrade to 1.27.16 (1.27 is past end of life) or to 1.31.0 on a supported line"
        " (lowest fixed: 1.27.16)"
    )
    (ref,) = kubelet.advisories
    assert (ref.nearest_fix_eol, ref.supported_fix) == (True, "1.31.0")
