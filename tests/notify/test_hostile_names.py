"""The Slack digest shows hostile names neutralised; the JSON webhook keeps them raw, inside
JSON strings only (issue 12 §2; Slack: https://api.slack.com/reference/surfaces/formatting#escaping)."""

from __future__ import annotations

import json
from typing import Any

from tests.report.hostile import CLUSTER, MESSAGE, NAMESPACE, WORKLOAD, hostile_report
from tracker.history import diff_findings
from tracker.notify import slack, webhook
from tracker.text import is_unsafe


def texts(payload: Any) -> list[str]:
    """Every string in a payload (Slack shows them all)."""
    if isinstance(payload, dict):
        return [t for v in payload.values() for t in texts(v)]
    if isinstance(payload, list):
        return [t for v in payload for t in texts(v)]
    return [payload] if isinstance(payload, str) else []


def test_slack_text_neutralises_mentions_links_formatting_and_controls() -> None:
    report = hostile_report()
    changes = diff_findings([], list(report.components))
    payload = slack.build_payload(report, changes, cluster=CLUSTER, report_link=None)
    every = texts(payload)
    assert payload["text"].startswith("tracker · evil&lt;!channel&gt;\\x1b[2J: ")
    for text in every:
        assert "<!channel>" not in text and "<!here>" not in text, text
        assert "<https://evil.example|click>" not in text
        assert not [c for c in text if is_unsafe(c) and c != "\n"], text
    joined = "\n".join(every)
    # names' formatting characters are look-alikes; tracker's own *bold* names remain
    assert "*bold*" not in joined and "_it_" not in joined and "~s~" not in joined
    assert "`code`" not in joined
    assert "\u2217bold\u2217" in joined and "\u02cbcode\u02cb" in joined
    assert "line\\x0abreak" in joined  # a newline in a name never starts a new line
    assert "&lt;https://evil.example|click&gt;" in joined
    # the release-notes link is percent-encoded, so the URL cannot close the <url|text>
    assert "%3C!channel%3E" in joined


def test_webhook_keeps_raw_values_inside_json_strings() -> None:
    report = hostile_report()
    changes = diff_findings([], list(report.components))
    payload = webhook.build_payload(report, changes, cluster=CLUSTER)
    assert payload["cluster"] == CLUSTER
    [new, *_] = payload["new"]
    assert (new["namespace"], new["workload"], new["message"]) == (NAMESPACE, WORKLOAD, MESSAGE)
    wire = json.dumps(payload)  # what httpx sends (ASCII-only JSON)
    assert "\x1b" not in wire and "\u202e" not in wire and "\\u001b" in wire
    assert json.loads(wire) == payload
