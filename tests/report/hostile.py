"""A report whose every name is hostile: terminal escapes (ESC[2J, OSC 8 links), a
bidirectional override, Slack mentions and links, Markdown/HTML, newlines (issue 12 §2)."""

from __future__ import annotations

from datetime import UTC, datetime

from tracker.models import (
    Behind,
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

NOW = datetime(2026, 8, 20, 2, 0, tzinfo=UTC)
CLEAR = "\x1b[2J"
OSC8 = "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07"
RLO = "\u202e"
CLUSTER = f"evil<!channel>{CLEAR}"
NAMESPACE = f"ns{OSC8}"
WORKLOAD = f"Deployment/pay{RLO}exe.txt"
IMAGE = "ghcr.io/acme/app:1.0"
VERSION = f"1.0.0{CLEAR}"
MESSAGE = f"*bold* _it_ ~s~ `code` <https://evil.example|click> <!here> line\nbreak {RLO}"
WARNING = f"pod {NAMESPACE}/x\n runs <script>alert(1)</script>"
RAW_VALUES = (CLUSTER, NAMESPACE, WORKLOAD, VERSION, MESSAGE, WARNING)


def hostile_report() -> Report:
    """One cluster, one outdated component and one unidentified image, all names hostile."""
    component = Component(
        "grafana",
        Role.ADDON,
        VERSION,
        "grafana/grafana",
        namespace=NAMESPACE,
        workload=WORKLOAD,
        image=f"grafana/grafana:{VERSION}",
    )
    row = ComponentReport(
        CLUSTER,
        component,
        VERSION,
        f"13.2.0{RLO}",
        None,
        Status.OUTDATED,
        Behind.MAJOR,
        28,
        176,
        (Flag.OUTDATED, Flag.PRE_RELEASE),
        (
            Finding(Flag.OUTDATED, Severity.CRITICAL, MESSAGE),
            Finding(Flag.PRE_RELEASE, Severity.WARNING, f"{VERSION} is a pre-release"),
        ),
        latest_url=f"https://github.com/grafana/grafana/releases/tag/v13.2.0{CLEAR}<!channel>",
    )
    odd = Unidentified(NAMESPACE, f"Pod/p\n{OSC8}", f"{IMAGE}{CLEAR}", f"no rule{RLO}")
    summary = ClusterSummary(CLUSTER, NOW, f"v1.29.3{CLEAR}", Source.API, (WARNING,))
    return Report(NOW, (summary,), (row,), (ClusterUnidentified(CLUSTER, odd),), (WARNING,))
