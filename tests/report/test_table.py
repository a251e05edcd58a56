"""The table report, asserted on content: headers, rows, order, colours, unidentified."""

from __future__ import annotations

import re
from dataclasses import replace

from tests.report.sample import DD, GKE, NOW, current_report
from tracker.models import (
    ClusterSummary,
    ClusterUnidentified,
    Component,
    ComponentReport,
    Report,
    Role,
    Source,
    Status,
    Unidentified,
)
from tracker.report.table import (
    MAX_UNIDENTIFIED_LINES,
    TableFormatter,
    color_enabled,
    table_width,
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def render(report: Report, **kwargs: object) -> str:
    return TableFormatter(width=220, **kwargs).format(report)  # type: ignore[arg-type]


def line_with(text: str, *needles: str) -> str:
    lines = [ln for ln in text.splitlines() if all(n in ln for n in needles)]
    assert len(lines) == 1, (needles, lines)
    return lines[0]


def test_cluster_headers() -> None:
    out = render(current_report())
    assert out.startswith("tracker report, generated 2026-08-20T02:00:00Z\n")
    head = line_with(out, GKE, "Kubernetes")
    assert "Kubernetes 1.18.19" in head
    assert "scanned 2026-08-20T01:58:40Z" in head and "source dump" in head
    assert "Kubernetes unknown" in line_with(out, DD, "Kubernetes")
    assert "6 components; findings: 5 critical, 3 warning, 0 info" in out
    assert "warning: pod marketing/github-stargazers-5c8b7d9f4-x2x7p runs on node" in out


def test_rows_have_every_column() -> None:
    out = render(current_report())
    header = line_with(out[: out.index(DD + "  Kubernetes")], "component", "patch")
    titles = ["severity", "component", "role", "where", "inst.", "status", "current",
              "latest", "patch", "behind", "releases", "days", "flags"]  # fmt: skip
    positions = [header.index(t) for t in titles]
    assert positions == sorted(positions)
    cm = line_with(out, "cert-manager", "Deployment/cert-manager")
    assert re.search(
        r"critical\s+cert-manager\s+addon\s+cert-manager/Deployment/cert-manager\s+1\s+outdated\s+"
        r"0\.10\.1\s+1\.21\.1\s+0\.10\.1\s+major\s+130\s+2506\s+outdated, pre-1\.0",
        cm,
    ), cm
    sidecar = line_with(out, "istio", "data-plane")
    assert re.search(r"1\.12\.1\s+1\.30\.3\s+1\.12\.9\s+minor\s+152\s+1675\s+outdated", sidecar)
    unknown = line_with(out, "kubernetes", "unknown-version")
    assert re.search(
        r"warning\s+kubernetes\s+control-plane\s+-\s+1\s+unknown\s+-\s+1\.29\.3\s+-\s+-\s+-\s+-",
        unknown,
    )
    legend = "patch: newest release of the running minor; releases: newer releases; days: days "
    assert legend + "since the first newer release" in out


def test_worst_first_within_each_cluster() -> None:
    out = render(current_report())
    gke = out[out.index(GKE) : out.index(DD + "  Kubernetes")]
    rows = [ln.split()[1:7] for ln in gke.splitlines() if " outdated " in ln]
    assert [(r[0], r[1], r[5]) for r in rows] == [
        ("prometheus", "addon", "2.11.0"),  # critical, major, 2598 days
        ("prometheus", "addon", "2.11.1"),  # critical, major, 2563 days
        ("cert-manager", "addon", "0.10.1"),  # critical, major, 2506 days
        ("kubernetes", "control-plane", "1.18.19"),  # critical, minor; sorts before kubelet
        ("kubernetes", "kubelet", "1.18.19"),  # critical, minor, node list wraps below
        ("metrics-server", "addon", "0.3.6"),  # warning
    ]
    dd = out[out.index(DD + "  Kubernetes") :]
    assert dd.index("data-plane") < dd.index("Deployment/istiod") < dd.index("unknown-version")


def test_unidentified_listed_after_each_cluster() -> None:
    out = render(current_report())
    gke = out[out.index(GKE) : out.index(DD + "  Kubernetes")]
    assert "Unidentified images (1):" in gke
    assert "mysql:8.0.22  default/Deployment/mysql" in gke
    assert "kennethreitz/httpbin" not in gke
    assert "docker.io/kennethreitz/httpbin  default/Deployment/httpbin" in out


def test_long_unidentified_list_is_cut() -> None:
    extra = tuple(
        ClusterUnidentified(
            GKE, Unidentified("shop", f"Deployment/app{i:02}", f"acme/app{i:02}:1", "r")
        )
        for i in range(MAX_UNIDENTIFIED_LINES + 5)
    )
    report = replace(current_report(), unidentified=extra)
    out = render(report)
    assert f"Unidentified images ({MAX_UNIDENTIFIED_LINES + 5}):" in out
    assert "acme/app19:1" in out and "acme/app20:1" not in out
    assert "and 5 more" in out


def test_no_colour_unless_asked() -> None:
    plain = render(current_report())
    assert not ANSI.search(plain)
    coloured = render(current_report(), color=True)
    assert ANSI.search(coloured)
    assert "\x1b[1;31mcritical" in coloured  # the severity column, bold red
    assert "\x1b[1;31moutdated" in coloured  # critical rows: bold red status
    assert ANSI.sub("", coloured).count("outdated") == plain.count("outdated")


def test_colour_rule_follows_no_color_and_the_flag() -> None:
    assert color_enabled(is_terminal=True, environ={})
    assert not color_enabled(is_terminal=False, environ={})
    assert not color_enabled(is_terminal=True, environ={"NO_COLOR": "1"})
    assert color_enabled(is_terminal=True, environ={"NO_COLOR": ""})  # no-color.org: non-empty
    assert not color_enabled(is_terminal=True, no_color_flag=True, environ={})


def test_width_comes_from_columns_or_the_terminal() -> None:
    assert table_width(terminal_width=200, environ={"COLUMNS": "90"}) == 90
    assert table_width(terminal_width=200, environ={}) == 200
    assert table_width(terminal_width=None, environ={"COLUMNS": "0"}) == 120


def test_narrow_width_drops_columns_in_the_documented_order() -> None:
    out = TableFormatter(width=100).format(current_report())
    header = line_with(out[: out.index(DD + "  Kubernetes")], "component", "flags")
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "patch" not in header and "inst." not in header and "status" not in header
    narrow = TableFormatter(width=80).format(current_report())
    header = line_with(narrow[: narrow.index(DD + "  Kubernetes")], "component", "flags")
    assert header.split()[:2] == ["sev", "component"]
    assert {"current", "latest", "flags"} <= set(header.split())


def test_wide_enough_nothing_is_cut() -> None:
    out = TableFormatter(width=200).format(current_report())
    assert max(len(line) for line in out.splitlines()) <= 200
    assert "…" not in out
    # a multi-node kubelet row names its first node and counts the others (JSON keeps all)
    assert "Node/gke-kubevious-samples-default-pool-3f7e1a2b-0k7f,+1" in out


def test_markup_in_values_is_printed_literally() -> None:
    c = Component("acme", Role.ADDON, "[bold]1.0", None, namespace="[red]ns", workload="Pod/x")
    row = ComponentReport(GKE, c, None, None, None, Status.UNKNOWN, None, None, None, (), ())
    report = Report(NOW, (ClusterSummary(GKE, NOW, "1.29.3", Source.API),), (row,), ())
    out = render(report)
    assert "[red]ns" in out
    assert "up-to-date" not in out


def test_empty_report() -> None:
    out = render(Report(NOW, (), (), ()))
    assert "No clusters in this report." in out
    summary = ClusterSummary("kind", NOW, "1.24.0", Source.API)
    out = render(Report(NOW, (summary,), (), ()))
    assert "kind  Kubernetes 1.24.0" in out and "No components identified." in out
