"""The Markdown report, asserted on content and on GFM table shape."""

from __future__ import annotations

import re

from tests.report.sample import DD, GKE, NOW, current_report
from tracker.models import (
    ClusterSummary,
    ClusterUnidentified,
    Component,
    ComponentReport,
    Finding,
    Flag,
    Report,
    Role,
    Severity,
    Source,
    Status,
    Unidentified,
)
from tracker.report.markdown import MarkdownFormatter

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def section(text: str, start: str, end: str | None = None) -> str:
    i = text.index(start)
    return text[i : text.index(end, i) if end else len(text)]


def table_rows(text: str) -> list[list[str]]:
    rows = [ln for ln in text.splitlines() if ln.startswith("| ")]
    return [[c.strip() for c in UNESCAPED_PIPE.split(ln)[1:-1]] for ln in rows]


def test_summary_line_and_headings() -> None:
    out = MarkdownFormatter().format(current_report())
    lines = out.splitlines()
    assert lines[0] == "# tracker report"
    assert lines[2] == (
        "2 clusters, 9 components (8 outdated); findings: 7 critical, 4 warning, 0 info; "
        "2 unidentified images. Generated 2026-08-20T02:00:00Z."
    )
    assert [ln for ln in lines if ln.startswith("## ")] == [f"## {GKE}", f"## {DD}"]
    assert "Kubernetes 1.18.19 · scanned 2026-08-20T01:58:40Z · source dump" in out
    assert "> **Warning:** pod marketing/github-stargazers-5c8b7d9f4-x2x7p runs on node" in out


def test_one_table_per_cluster_worst_first() -> None:
    out = MarkdownFormatter().format(current_report())
    gke = table_rows(section(out, f"## {GKE}", "### Findings"))
    header, *rows = gke
    assert header[:5] == ["Severity", "Component", "Role", "Namespace", "Workload"]
    assert len(header) == 13
    assert all(len(r) == 13 for r in rows)
    assert [r[0] for r in rows] == ["**critical**"] * 5 + ["**warning**"]
    rows = [r[1:] for r in rows]
    assert [(r[0], r[5]) for r in rows] == [
        ("**prometheus**", "2.11.0"),
        ("**prometheus**", "2.11.1"),
        ("**cert-manager**", "0.10.1"),
        ("**kubernetes**", "1.18.19"),
        ("**kubernetes**", "1.18.19"),
        ("**metrics-server**", "0.3.6"),
    ]
    cm = rows[2]
    assert cm[1:] == ["addon", "cert-manager", "Deployment/cert-manager", "outdated", "0.10.1",
                      "1.21.1", "0.10.1", "major", "130", "2506", "outdated, pre-1.0"]  # fmt: skip
    dd_rows = table_rows(section(out, f"## {DD}", "### Findings"))[1:]
    assert dd_rows[-1][5:] == ["unknown", "-", "1.29.3", "-", "-", "-", "-", "unknown-version"]


def test_findings_have_release_notes_links() -> None:
    out = MarkdownFormatter().format(current_report())
    findings = section(out, "### Findings", "<details>")
    cm = next(ln for ln in findings.splitlines() if "cert-manager addon" in ln)
    assert cm.startswith("- **critical** cert-manager addon (cert-manager/Deployment/cert-manager)")
    assert "0.10.1 → 1.21.1, major, 130 releases, 2506 days behind" in cm
    assert cm.endswith(
        "[release notes 1.21.1](https://github.com/cert-manager/cert-manager/releases/tag/v1.21.1)"
    )
    assert "  - `pre-1.0` (warning): cert-manager 0.10.1 is a pre-1.0 release" in findings
    dd = section(out, f"## {DD}")
    assert "- **warning** kubernetes control-plane (cluster-wide)\n" in dd
    assert "  - `unknown-version` (warning): no Kubernetes version" in dd


def test_unidentified_in_details_block() -> None:
    out = MarkdownFormatter().format(current_report())
    gke_details = section(section(out, f"## {GKE}", f"## {DD}"), "<details>", "</details>")
    assert "<summary>Unidentified images (1)</summary>" in gke_details
    assert table_rows(gke_details)[1] == [
        "mysql:8.0.22",
        "default",
        "Deployment/mysql",
        "no catalogue entry for docker.io/library/mysql",
    ]
    assert "docker.io/kennethreitz/httpbin" in section(out, f"## {DD}")


def test_hostile_values_are_escaped() -> None:
    c = Component("acme", Role.ADDON, "1|2", None, namespace="a_b", workload="Pod/<script>")
    finding = Finding(Flag.UNKNOWN_VERSION, Severity.WARNING, "tag *1|2* is not a version")
    row = ComponentReport(GKE, c, None, None, None, Status.UNKNOWN, None, None, None,
                          (Flag.UNKNOWN_VERSION,), (finding,), "javascript:alert(1)")  # fmt: skip
    odd = ClusterUnidentified(GKE, Unidentified("ns", "Pod/p", "img|x:1", "line1\nline2"))
    report = Report(NOW, (ClusterSummary(GKE, NOW, "1.29.3", Source.API),), (row,), (odd,))
    out = MarkdownFormatter().format(report)
    assert "<script>" not in out and "\\<script\\>" in out
    assert "a\\_b" in out and "\\*1\\|2\\*" in out
    assert "javascript:" not in out  # only http(s) links are rendered
    for r in table_rows(out):
        assert len(r) in (13, 4)
    assert "line1\\\\x0aline2" in out  # the newline is shown escaped, inside its cell
