"""build_payload: byte for byte on recorded reports, and Slack's limits on long ones.

The expected payloads in data/ were generated once from tests/report/sample.py and reviewed
by eye (counts, new/resolved, order, links). To regenerate after a deliberate change:
``TRACKER_UPDATE_GOLDEN=1 python -m pytest tests/notify`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.report.sample import DD, GKE, current_report, previous_report
from tracker.errors import NotifyError
from tracker.history import FindingChanges, diff_findings
from tracker.models import Component, ComponentReport, Finding, Flag, Role, Severity, Status
from tracker.notify import should_notify
from tracker.notify.slack import (
    MAX_BLOCKS,
    MAX_HEADER_CHARS,
    MAX_LINE_CHARS,
    MAX_LINES,
    MAX_SECTION_CHARS,
    build_payload,
)
from tracker.workflows.demo import run_demo

DATA = Path(__file__).parent / "data"
ISTIO_URL = "https://github.com/istio/istio/releases/tag/1.30.3"
LINK = "https://reports.example.org/tracker/gke-prod/2026-08-20.md"


def dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def check_golden(name: str, payload: dict[str, Any]) -> None:
    path = DATA / name
    text = dumps(payload)
    if os.environ.get("TRACKER_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def changes() -> FindingChanges:
    return diff_findings(previous_report().components, current_report().components)


def sections(payload: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]


def check_limits(payload: dict[str, Any]) -> None:
    blocks = payload["blocks"]
    assert 1 <= len(blocks) <= MAX_BLOCKS
    assert blocks[0]["type"] == "header"
    assert len(blocks[0]["text"]["text"]) <= MAX_HEADER_CHARS
    assert all(len(t) <= MAX_SECTION_CHARS for t in sections(payload))
    for b in blocks:
        if b["type"] == "context":
            assert 1 <= len(b["elements"]) <= 10
    assert payload["text"]


def test_gke_prod_with_changes_byte_for_byte() -> None:
    payload = build_payload(current_report(), changes(), cluster=GKE, report_link=LINK)
    check_limits(payload)
    check_golden("slack_payload_gke-prod.json", payload)


def test_docker_desktop_first_run_byte_for_byte() -> None:
    path = "/var/lib/tracker/reports/docker-desktop-2026-08-20.md"
    payload = build_payload(current_report(), None, cluster=DD, report_link=path)
    check_limits(payload)
    check_golden("slack_payload_docker-desktop-first-run.json", payload)


def test_content_of_the_digest() -> None:
    payload = build_payload(current_report(), changes(), cluster=GKE, report_link=LINK)
    header = payload["blocks"][0]["text"]["text"]
    assert header == "tracker · gke-prod: 5 critical, 3 warning, 0 info"
    assert payload["text"] == header + "; 1 new, 2 resolved"
    new, resolved, moved, worst = sections(payload)
    assert new.startswith("*New since the last run (1)*\n")
    assert "*metrics-server* addon" in new and "`outdated`" in new
    assert resolved.count("\n• :white_check_mark:") == 2
    assert "ingress-nginx" in resolved and "`no-upstream-data`" in resolved
    assert "2.11.0 → 2.11.1 (upgraded)" in moved
    lines = worst.splitlines()
    assert lines[0] == "*Worst open findings (6)*"
    assert lines[1].startswith(
        "• :red_circle: *prometheus* addon (monitoring/StatefulSet/prometheus-k8s)"
    )
    assert "2.11.0 → 3.14.0 · major, 155 releases, 2598 days behind" in lines[1]
    assert (
        "<https://github.com/prometheus/prometheus/releases/tag/v3.14.0|release notes>" in lines[1]
    )
    assert "*kubernetes* kubelet (2 nodes)" in worst  # node names stay in the full report
    assert f"<{LINK}|open>" in payload["blocks"][-1]["elements"][0]["text"]
    # the docker-desktop rows are not in the gke-prod digest
    assert "istio" not in json.dumps(payload)


def test_nothing_changed() -> None:
    rows = current_report().components
    same = diff_findings(rows, rows)
    payload = build_payload(current_report(), same, cluster=GKE)
    assert "_No changes since the last run._" in sections(payload)
    assert payload["blocks"][-1]["type"] == "section"  # no report link, no footer


def many_sidecars(n: int, pad: int = 0) -> tuple[ComponentReport, ...]:
    rows = []
    for i in range(n):
        version = f"1.{i % 30}.{i}"
        c = Component("istio", Role.DATA_PLANE, version, "istio/istio", namespace=f"team-{i:03}",
                      workload=f"Deployment/service-{i:03}" + "x" * pad)  # fmt: skip
        f = Finding(
            Flag.OUTDATED, Severity.WARNING, f"istio {version} is behind 1.30.3 " + "y" * 150
        )
        rows.append(ComponentReport(GKE, c, version, "1.30.3", None, Status.OUTDATED, None, i, i,
                                    (Flag.OUTDATED,), (f,), ISTIO_URL))  # fmt: skip
    return tuple(rows)


def test_long_lists_are_cut_within_slack_limits() -> None:
    base = current_report()
    report = replace(base, components=base.components + many_sidecars(120))
    long_name = "prod-" + "z" * 200
    report = replace(
        report,
        clusters=(replace(report.clusters[0], name=long_name), *report.clusters[1:]),
        components=tuple(
            replace(r, cluster=long_name) if r.cluster == GKE else r for r in report.components
        ),
    )
    payload = build_payload(report, diff_findings([], report.components), cluster=long_name)
    check_limits(payload)
    header = payload["blocks"][0]["text"]["text"]
    assert len(header) == MAX_HEADER_CHARS and header.endswith("…")
    new = sections(payload)[0]
    assert new.startswith("*New since the last run (128)*")  # 8 real findings + 120 sidecars
    assert new.count("\n• ") == MAX_LINES
    assert new.endswith(f"\nand {128 - MAX_LINES} more")
    worst = sections(payload)[-1]
    assert worst.startswith("*Worst open findings (126)*")
    assert worst.count("\n• ") == MAX_LINES and worst.endswith("\nand 116 more")


def test_section_text_limit_cuts_before_line_limit() -> None:
    rows = many_sidecars(12)
    long = tuple(replace(r, findings=(replace(r.findings[0], message="m" * 2000),)) for r in rows)
    report = replace(current_report(), components=long)
    payload = build_payload(report, diff_findings([], long), cluster=GKE)
    check_limits(payload)
    new = sections(payload)[0]
    shown = new.count("\n• ")
    assert 1 <= shown < MAX_LINES  # ~400-character lines: the 3000-character limit comes first
    assert new.endswith(f"and {12 - shown} more")


def test_mrkdwn_is_escaped() -> None:
    base = current_report()
    row = base.components[0]
    odd = replace(row, findings=(Finding(Flag.OUTDATED, Severity.CRITICAL, "<!channel> & <b>"),))
    report = replace(base, components=(odd,))
    payload = build_payload(report, diff_findings([], [odd]), cluster=GKE)
    text = json.dumps(payload)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; &amp; &lt;b&gt;" in text


def test_unknown_cluster() -> None:
    with pytest.raises(NotifyError, match="'staging'"):
        build_payload(current_report(), None, cluster="staging")


def test_pure() -> None:
    a = build_payload(current_report(), changes(), cluster=GKE, report_link=LINK)
    b = build_payload(current_report(), changes(), cluster=GKE, report_link=LINK)
    assert dumps(a) == dumps(b)


def test_should_notify() -> None:
    rows = current_report().components
    nothing = diff_findings(rows, rows)
    something = changes()
    assert should_notify("changes", something)
    assert not should_notify("changes", nothing)
    assert should_notify("changes", None)  # first run: every finding is new
    assert should_notify("always", nothing)
    assert not should_notify("never", something)
    # changes of other clusters do not count for this one
    assert not should_notify("changes", something.for_cluster("kind"))
    assert should_notify("changes", something.for_cluster(DD))  # istiod upgraded
    with pytest.raises(NotifyError, match=r"notify\.when"):
        should_notify("sometimes", something)


_LINK = re.compile(r"<https?://[^<>|\s]+\|[^<>|]*>")
"""A whole Slack link as the digest writes it: ``<url|label>`` (label escaped)."""
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def mrkdwn_lines(payload: dict[str, Any]) -> list[str]:
    """Every line of every mrkdwn text of the payload (sections and contexts)."""
    texts = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section"]
    texts += [e["text"] for b in payload["blocks"] if b["type"] == "context" for e in b["elements"]]
    return [line for text in texts for line in text.splitlines()]


def broken_markup(line: str) -> list[str]:
    """What in ``line`` is not whole: a ``<`` or ``>`` outside a whole link (a link cut in
    two), an ``&`` that opens no entity (an entity cut in two)."""
    outside = _LINK.sub("", line)
    return [c for c in ("<", ">") if c in outside] + _BARE_AMP.findall(outside)


def test_demo_digest_never_cuts_a_link_in_two() -> None:
    """The bundled demo (new-user trial): the worst-findings lines of the Istio 1.12 rows and
    ingress-nginx are longer than a line may be; the cut drops the release-notes link whole
    and says so, keeping the advisory link."""
    report = run_demo(today=date(2026, 12, 3), now=datetime(2026, 12, 3, 18, tzinfo=UTC))
    payload = build_payload(report, None, cluster="demo")
    check_limits(payload)
    lines = mrkdwn_lines(payload)
    assert [(line, broken_markup(line)) for line in lines if broken_markup(line)] == []
    assert all(len(line) <= MAX_LINE_CHARS for line in lines)
    cut = [line for line in lines if line.endswith("…") or "left out)" in line]
    assert len(cut) == 4  # the three Istio 1.12 rows and ingress-nginx
    [nginx] = [line for line in cut if "*ingress-nginx*" in line]
    assert nginx.endswith(
        " · <https://github.com/advisories/GHSA-mgvx-rpfc-9mpv|advisory>… (1 link left out)"
    )
    ends = sorted(line[line.rindex("…") :] for line in cut)  # one Istio line keeps no link
    assert ends == ["… (1 link left out)"] * 3 + ["… (2 links left out)"]


def test_a_cut_never_splits_an_entity_nor_a_link() -> None:
    """Untrusted text full of ``&``, ``<`` and ``>`` (escaped to 4- and 5-character entities)
    cut at every offset the line limit can fall on: never a bare ``&``, never half a link."""
    base = current_report()
    row = next(r for r in base.components if r.latest_url and r.cluster == GKE)
    for pad in range(6):
        message = "x" * pad + "<&>" * 200
        odd = replace(row, findings=(Finding(Flag.OUTDATED, Severity.CRITICAL, message),))
        wide = replace(odd, component=replace(odd.component, workload="w" * (300 + pad)))
        report = replace(base, components=(odd, wide))
        payload = build_payload(report, diff_findings([], [odd, wide]), cluster=GKE)
        lines = mrkdwn_lines(payload)
        assert [line for line in lines if broken_markup(line)] == []
        assert all(len(line) <= MAX_LINE_CHARS for line in lines)
        assert any(line.endswith("… (1 link left out)") for line in lines)  # the wide row's
