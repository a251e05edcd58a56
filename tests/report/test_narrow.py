"""At 80 columns nothing a reader needs is cut: every table read back cell by cell.

The data is the bundled demo cluster (tracker/demo) with its Istio revisions named the way
Istio's canary upgrades name them, after the patch release (``1-12-2``, ``1-27-3``: istio.io
"Canary upgrades", ``istioctl install --revision 1-22-3``), so the revision column has
names with dashes that a cut or a wrap at ``-`` would mangle. Each table is parsed back
into cells from its header's column positions and every needed value must read back
whole: the component with its revision, where (namespace/kind/name), current, latest and
the flags, and no line may be wider than the terminal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.report.demo_report import DEMO_TODAY, demo_fleet_report
from tracker.history import RunChanges
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import ComponentReport, Release, Report
from tracker.report.base import cluster_rows, component_label
from tracker.report.history import format_history
from tracker.report.release_list import format_release_list, ordered_releases
from tracker.report.table import TableFormatter, short_kinds, where
from tracker.store import Store
from tracker.text import for_terminal
from tracker.upstream.release_file import import_releases
from tracker.workflows.query import cluster_history
from tracker.workflows.report import evaluate_report, save_report

REVISIONS = {  # demo dump text -> patch-named revisions
    '"istio.io/rev": "1-12"': '"istio.io/rev": "1-12-2"',
    '\\"revision\\": \\"1-12\\"': '\\"revision\\": \\"1-12-2\\"',
    '\\"revision\\": \\"1-27\\"': '\\"revision\\": \\"1-27-3\\"',
    "istiod-1-12-5d8f7c9b4": "istiod-1-12-2-5d8f7c9b4",
}
SEVERITIES = {"critical", "warning", "info", "crit", "warn", "-"}
WIDTHS = (80, 100, 120, 200)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The demo, its Istio revisions named after patch releases (built once)."""
    return demo_fleet_report(tmp_path_factory.mktemp("rev"), clusters=("demo",), rewrite=REVISIONS)


def read_table(text: str, first: str = "sev(erity)?") -> tuple[list[str], list[list[list[str]]]]:
    """The table whose header line starts with ``first`` (a regex): its titles, and per row, per
    column, the column's text on each line of the row (a row starts where its first
    column holds a severity; the table ends at a line whose first column holds anything
    else, or a blank line)."""
    lines = text.splitlines()
    head = next(n for n, line in enumerate(lines) if re.match(first + " ", line))
    titles = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", lines[head])]
    rows: list[list[list[str]]] = []
    for line in lines[head + 2 :]:
        lead = line[: titles[1][0]].strip()
        if (lead and lead not in SEVERITIES) or not line.strip():
            break
        if lead:
            rows.append([[] for _ in titles])
        for k, (start, _) in enumerate(titles):
            end = titles[k + 1][0] - 2 if k + 1 < len(titles) else None
            cell = line[start:end].strip()
            if cell:
                rows[-1][k].append(cell)
    return [title for _, title in titles], rows


def assert_fits(text: str, width: int) -> None:
    too_long = [line for line in text.splitlines() if len(line) > width]
    assert not too_long, too_long


def assert_where(lines: list[str], row: ComponentReport) -> None:
    """``where`` reads back whole (full or with kubectl's short kinds), broken only after
    ``/``, ``,`` or ``.``."""
    place = for_terminal(where(row))
    assert "".join(lines) in (place, short_kinds(place)), (lines, place)
    assert all(line[-1] in "/,." for line in lines[:-1]), lines


def assert_component_and_where(lines: list[str], row: ComponentReport, folded: bool) -> None:
    """The component label (words, so its wrapped lines join with spaces), then, when
    folded, where on the lines below it; an Istio revision is always on one line."""
    label = for_terminal(component_label(row.component))
    if row.component.revision:
        assert any(f"rev {row.component.revision}" in line for line in lines), lines
    n = next((n for n in range(1, len(lines) + 1) if " ".join(lines[:n]) == label), None)
    assert n is not None, (lines, label)
    if folded:
        rest = lines[n:]
        assert rest or where(row) == "-"
        if rest:
            assert_where(rest, row)
    else:
        assert n == len(lines)


def reads_back(lines: list[str], row: ComponentReport, folded: bool) -> bool:
    try:
        assert_component_and_where(lines, row, folded)
    except AssertionError:
        return False
    return True


def reads_back_where(lines: list[str], row: ComponentReport) -> bool:
    try:
        assert_where(lines, row)
    except AssertionError:
        return False
    return True


@pytest.mark.parametrize("width", WIDTHS)
def test_report_keeps_every_needed_value_whole(report: Report, width: int) -> None:
    text = TableFormatter(width=width).format(report)
    assert_fits(text, width)
    titles, cells = read_table(text)
    rows = cluster_rows(report, "demo")
    assert len(cells) == len(rows)
    assert "1-12-2" in {r.component.revision for r in rows}
    component = next(k for k, t in enumerate(titles) if t.startswith("component"))
    folded = titles[component] == "component / where"
    for row, row_cells in zip(rows, cells, strict=True):
        assert_component_and_where(row_cells[component], row, folded)
        if not folded:
            assert_where(row_cells[titles.index("where")], row)
        assert "".join(row_cells[titles.index("current")]) == for_terminal(row.current or "-")
        assert "".join(row_cells[titles.index("latest")]) == for_terminal(row.latest or "-")
        flags = " ".join(row_cells[titles.index("flags")])
        assert flags.replace(" (waived)", "") == (", ".join(f.value for f in row.flags) or "-")
    assert folded == (width <= 100)  # where folds under the component only when narrow


def test_report_at_80_shows_the_revisions_and_places_whole(report: Report) -> None:
    text = TableFormatter(width=80).format(report)
    table = text[: text.index("Critical findings")]
    for name in ("istio rev 1-12-2", "istio rev 1-27-3", "istio rev default"):
        assert name in table
    for place in (
        "istio-system/deploy/istiod-1-12-2",
        "legacy/deploy/legacy-gateway",
        "billing/deploy/invoices",
        "cert-manager/deploy/cert-manager",
    ):
        assert place in table
    # the critical findings below the table wrap with a hanging indent, never cut
    section = text[text.index("Critical findings") : text.index("Unidentified")]
    assert "…" not in section
    assert "[istio-system/Deployment/istiod-1-12-2]" in section
    for line in section.splitlines()[1:]:
        assert line.startswith("  "), line


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RunChanges]]:
    """Two evaluated nights of the demo: on the second, Grafana is upgraded to 13.2.0 and
    the payments sidecars (revision default) moved from 1.28.7 to 1.29.3."""
    tmp = tmp_path_factory.mktemp("history")
    demo_fleet_report(tmp, clusters=("demo",), rewrite=REVISIONS)  # writes the dump files
    night2 = tmp / "night2.json"
    text = (tmp / "cluster.json").read_text("utf-8")
    night2.write_text(
        text.replace("grafana/grafana:12.3.7", "grafana/grafana:13.2.0").replace(
            "proxyv2:1.28.7", "proxyv2:1.29.3"
        ),
        "utf-8",
    )
    catalogue = load_catalogue({})
    day1 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    with Store.open(f"sqlite:///{tmp / 'h.db'}") as store:
        import_releases(store, tmp / "releases.json")
        for n, dump in enumerate((tmp / "cluster.json", night2)):
            when = day1 + timedelta(days=n)
            inventory = KubectlDump([dump, tmp / "version.json"], cluster="demo").collect()
            inventory = replace(inventory, scanned_at=when)
            store.save_scan(inventory, identify(inventory, catalogue))
            save_report(store, evaluate_report(store, catalogue, today=when.date(), now=when))
        yield cluster_history(store, "demo")


def test_history_at_80_is_one_line_per_change_and_one_row_per_entry(
    history: list[RunChanges],
) -> None:
    text = format_history({"demo": history}, component=None, today=DEMO_TODAY, width=80)
    assert_fits(text, 80)
    changes = history[0].changes
    assert changes is not None
    count = sum(
        len(getattr(changes, f)) for f in ("new", "resolved", "upgraded", "downgraded")
    ) + len(changes.not_scanned)
    assert count == 4  # grafana: upgraded, outdated resolved; payments: outdated, skew
    lines = text.splitlines()
    change_lines = [line for line in lines if re.match(r"      [-+^v?] ", line)]
    assert len(change_lines) == count  # one line per change
    assert f"  2026-11-29 02:00 UTC  {count} changes" in lines
    assert "    grafana  addon  monitoring/Deployment/grafana" in lines
    assert "      ^ 12.3.7 -> 13.2.0" in lines
    assert "    istio rev default  data-plane  shop/Deployment/payments" in lines
    # open findings: one row per entry, each read back whole
    titles, cells = read_table(text)
    assert len(cells) == len(history[0].open_rows)
    component = next(k for k, t in enumerate(titles) if t.startswith("component"))
    folded = titles[component] == "component / where"
    unmatched = list(history[0].open_rows)
    for row_cells in cells:  # each row is one entry, read back whole
        found = [
            r
            for r in unmatched
            if reads_back(row_cells[component], r, folded)
            and (folded or reads_back_where(row_cells[titles.index("where")], r))
        ]
        assert found, row_cells
        entry = found[0]
        unmatched.remove(entry)
        findings = " ".join(row_cells[titles.index("open findings")]).split(", ")
        assert sorted(f.split()[0] for f in findings) == sorted(
            f.kind.value for f in entry.findings
        )
        assert all(re.fullmatch(r"[a-z0-9.-]+ \d+d", f) for f in findings), findings
    assert not unmatched
    assert "istio rev 1-12-2" in text and "istio rev 1-27-3" in text
    # compact: the runs, then about two lines per entry (the old table took one row of
    # three to five lines per finding)
    assert len(lines) <= 12 + count + 2 * len(history[0].open_rows)


@pytest.mark.parametrize("width", [80, 120])
def test_history_messages_are_cut_at_a_word_only(history: list[RunChanges], width: int) -> None:
    """A finding's message is cut at the end of its line, after a whole word, with ``…``;
    the marker, severity and kind before it are never cut."""
    text = format_history({"demo": history}, component=None, today=DEMO_TODAY, width=width)
    changes = history[0].changes
    assert changes is not None
    messages = {f.finding.message for f in (*changes.new, *changes.resolved)}
    found = [
        m.groups()
        for m in re.finditer(r"^      [-+] (crit|warn|info) ([\w-]+): (.*)$", text, re.MULTILINE)
    ]
    assert len(found) == len(messages) == 3
    cut = [shown[:-1] for _, _, shown in found if shown.endswith("…")]
    assert cut  # at this width some messages do not fit whole
    for shown in cut:
        (message,) = [m for m in messages if m.startswith(shown)]
        assert message[len(shown)] == " " and not shown.endswith(" ")


def istio_releases(realdata: Path) -> list[Release]:
    """The real istio/istio release list (tests/data/realdata/releases), as stored."""
    import json

    items = json.loads((realdata / "releases" / "istio__istio.json").read_text("utf-8"))
    return [
        Release(
            "istio/istio",
            item["tag_name"],
            datetime.fromisoformat(item["published_at"]).astimezone(UTC),
            item["prerelease"],
            item["html_url"],
        )
        for item in items
    ]


def test_releases_list_at_80_gives_the_url_rule_instead_of_cut_urls(realdata: Path) -> None:
    releases = istio_releases(realdata)
    text = format_release_list("istio/istio", releases, None, 12, width=80)
    assert_fits(text, 80)
    assert "release notes: https://github.com/istio/istio/releases/tag/<tag>" in text
    assert "…" not in text.replace("… and", "")
    shown = [line.split()[0] for line in text.splitlines() if re.match(r"\d+\.\d+\.\d+", line)]
    assert shown == [r.tag for r in ordered_releases(releases)[:12]]  # each tag whole
    rule = "https://github.com/istio/istio/releases/tag/"
    assert all(r.url == rule + r.tag for r in releases)  # the rule gives every URL
    wide = format_release_list("istio/istio", releases, None, 12, width=120)
    assert "release notes:" not in wide  # the URLs fit whole in their column
    assert "https://github.com/istio/istio/releases/tag/1.31.0-rc.0" in wide


def test_releases_list_at_80_folds_urls_without_a_rule_under_their_tag() -> None:
    when = datetime(2025, 5, 1, tzinfo=UTC)
    releases = [
        Release("gitlab-org/gitaly", "v18.0.1", when, False,
                "https://gitlab.com/gitlab-org/gitaly/-/releases/v18.0.1"),
        Release("gitlab-org/gitaly", "v18.0.0", when, False,
                "https://gitlab.example.internal/mirrors/gitlab-org/gitaly/-/tags/v18.0.0"),
    ]  # fmt: skip
    text = format_release_list("gitlab-org/gitaly", releases, None, 10, width=60)
    assert_fits(text, 60)
    assert "release notes:" not in text
    lines = text.splitlines()
    assert lines[1].startswith("tag / url ")  # the URL folded under the tag
    for release in releases:
        start = next(n for n, line in enumerate(lines) if line.startswith(release.tag + " "))
        follow = []
        for line in lines[start + 1 :]:
            if line.startswith("v18."):
                break
            follow.append(line.strip())
        assert "".join(follow) == release.url, follow  # whole, broken after "/" only
        assert all(line.endswith("/") for line in follow[:-1]), follow


def test_widths_are_what_the_module_docstring_promises(report: Report) -> None:
    """80: severity, component / where, current, latest, flags; 120: also role, where as
    its own column and days; 200: every column."""

    def header(width: int) -> list[str]:
        text = TableFormatter(width=width).format(report)
        titles, _ = read_table(text)
        return titles

    assert header(80) == ["sev", "component / where", "current", "latest", "flags"]
    assert header(120) == [
        "sev", "component", "role", "where", "current", "latest", "days", "flags"
    ]  # fmt: skip
    assert len(header(200)) == 13
