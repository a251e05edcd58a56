"""Untrusted names never reach a terminal or a document raw, in every report format."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from tests.report.hostile import (
    CLEAR,
    CLUSTER,
    MESSAGE,
    NAMESPACE,
    NOW,
    RLO,
    VERSION,
    WORKLOAD,
    hostile_report,
)
from tracker.history import RunChanges, diff_findings
from tracker.models import Release, Report, Role
from tracker.report.fleet import fleet_to_dict, format_fleet, format_fleet_json
from tracker.report.history import format_history
from tracker.report.json import JsonFormatter
from tracker.report.markdown import MarkdownFormatter
from tracker.report.release_list import format_release_list
from tracker.report.table import TableFormatter
from tracker.text import for_terminal, is_unsafe, json_text

SGR = re.compile(r"\x1b\[[0-9;]*m")


def raw_controls(text: str) -> list[str]:
    """Unsafe characters left in ``text``, ignoring line ends and rich's own colour codes."""
    return [c for c in SGR.sub("", text) if is_unsafe(c) and c != "\n"]


def test_escapes_are_visible_and_reversible_in_words() -> None:
    assert for_terminal(CLUSTER) == "evil<!channel>\\x1b[2J"
    assert for_terminal(WORKLOAD) == "Deployment/pay\\u202eexe.txt"
    assert for_terminal("a\nb\tc\x9b\u2028") == "a\\x0ab\\x09c\\x9b\\u2028"
    assert for_terminal("\U000e0041") == "\\U000e0041"  # a tag character, invisible
    assert for_terminal("ünïcødé 名前") == "ünïcødé 名前"


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("color", [False, True])
def test_table_shows_hostile_names_escaped(width: int, color: bool) -> None:
    out = TableFormatter(width=width, color=color).format(hostile_report())
    assert raw_controls(out) == []
    plain = SGR.sub("", out)
    assert "evil<!channel>\\x1b[2J" in plain
    assert "\\x1b]8;;" in plain  # the OSC 8 link is text, not a link
    assert max(len(line) for line in plain.splitlines()) <= width


def test_markdown_neutralises_markup_and_controls() -> None:
    out = MarkdownFormatter().format(hostile_report())
    assert raw_controls(out) == []
    assert "<!channel>" not in out
    assert "evil\\<\\!channel\\>" in out
    assert "<script>" not in out and "\\<script\\>" in out
    assert "\\*bold\\*" in out and "\\_it\\_" in out and "\\`code\\`" in out
    assert "line\\\\x0abreak" in out  # the newline stays inside its line, shown escaped
    # the release-notes link is percent-encoded: no control character, no raw <
    assert "v13.2.0%1B%5B2J%3C!channel%3E" in out


def test_json_keeps_raw_values_inside_strings_only() -> None:
    text = JsonFormatter().format(hostile_report())
    assert raw_controls(text) == []
    assert "\\u001b[2J" in text and "\\u202e" in text
    data = json.loads(text)
    assert data["clusters"][0]["name"] == CLUSTER
    [row] = data["components"]
    assert (row["namespace"], row["workload"], row["current"]) == (NAMESPACE, WORKLOAD, VERSION)
    assert row["findings"][0]["message"] == MESSAGE


def test_json_text_escapes_astral_and_surrogates() -> None:
    text = json_text(["\U000e0041", "\ud800"], indent=None)
    assert text == '["\\udb40\\udc41", "\\ud800"]'
    assert json.loads(text) == ["\U000e0041", "\ud800"]


@pytest.mark.parametrize("width", [80, 120, 200])
def test_fleet_table_and_json(width: int) -> None:
    report = hostile_report()
    out = format_fleet(report, width=width, color=True)
    assert raw_controls(out) == []
    assert max(len(line) for line in SGR.sub("", out).splitlines()) <= width
    text = format_fleet_json(report)
    assert raw_controls(text) == []
    assert json.loads(text) == fleet_to_dict(report)


@pytest.mark.parametrize("width", [80, 120, 200])
def test_history_escapes_names_and_messages(width: int) -> None:
    rows = list(hostile_report().components)
    runs = [RunChanges(CLUSTER, 1, NOW, diff_findings([], rows), tuple(rows))]
    out = format_history({CLUSTER: runs}, component=None, today=date(2026, 8, 20), width=width)
    assert raw_controls(out) == []
    assert max(len(line) for line in out.splitlines()) <= width
    assert "evil<!channel>\\x1b[2J: open findings" in out


def revision_report() -> Report:
    """A sidecar row whose Istio revision and namespace carry rich markup and escapes."""
    row = hostile_report().components[0]
    component = replace(
        row.component,
        component="istio",
        role=Role.DATA_PLANE,
        revision=f"[bold]1-22-3{CLEAR}",
        namespace=f"[red]payments-eu-west-1-production{RLO}",
        workload="Deployment/checkout-api,StatefulSet/[link=https://evil.example]ledger",
    )
    return replace(hostile_report(), components=(replace(row, component=component),))


@pytest.mark.parametrize("width", [80, 120, 200])
@pytest.mark.parametrize("color", [False, True])
def test_markup_in_a_revision_or_namespace_is_printed_escaped(width: int, color: bool) -> None:
    out = TableFormatter(width=width, color=color).format(revision_report())
    assert raw_controls(out) == []
    plain = SGR.sub("", out)
    assert max(len(line) for line in plain.splitlines()) <= width
    assert "istio rev [bold]1-22-3\\x1b[2J" in plain  # whole, on one line, not styled
    joined = "".join(line.strip() for line in plain.splitlines())
    assert "[red]payments-eu-west-1-production\\u202e/" in joined
    assert "[link=https://evil.example]" not in plain  # a list workload shows its first item
    assert "checkout-api,+1" in joined


def test_releases_list_escapes_tags_and_urls() -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    evil = Release("acme/app", f"v1.0{VERSION}", when, False, f"https://x.example/{VERSION}")
    out = format_release_list(f"acme/app{VERSION}", [evil], when, width=80)
    assert raw_controls(out) == []
    assert "\\x1b[2J" in out


@pytest.mark.parametrize("width", [60, 80, 120])
def test_releases_list_escapes_the_url_rule(width: int) -> None:
    when = datetime(2024, 1, 1, tzinfo=UTC)
    base = f"https://x.example/[bold]{CLEAR}/releases/tag/"
    tags = [f"v1.{n}.0-very-long-pre-release-name.{n}" for n in range(3)]
    out = format_release_list("acme/app", [Release("acme/app", t, when, True, base + t)
                                           for t in tags], when, width=width)  # fmt: skip
    assert raw_controls(out) == []
    assert max(len(line) for line in out.splitlines()) <= width
    joined = "".join(out.splitlines())
    assert "https://x.example/[bold]\\x1b[2J/releases/tag/" in joined


def test_query_table_without_summaries() -> None:
    report = hostile_report()
    out = TableFormatter(width=100).format(Report(NOW, (), report.components, ()))
    assert raw_controls(out) == []
