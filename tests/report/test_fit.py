"""Every table fits the width it is given (80, 120, 200) on the bundled demo, and no flag is
ever split across lines (issue 12 §1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.report.demo_report import DEMO_NOW, DEMO_TODAY, demo_fleet_report, demo_report
from tracker.history import RunChanges, diff_findings
from tracker.models import Flag, Release, Report
from tracker.report.fleet import format_fleet
from tracker.report.history import format_history
from tracker.report.layout import fit_columns
from tracker.report.release_list import format_release_list
from tracker.report.table import REPORT_COLUMNS, TableFormatter

WIDTHS = (80, 120, 200)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The bundled demo cluster, evaluated (built once for this module)."""
    return demo_report(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The demo scanned as two clusters, one with a long name."""
    return demo_fleet_report(
        tmp_path_factory.mktemp("fleet"), clusters=("demo", "demo-eu-west-1-production")
    )


def assert_fits(text: str, width: int) -> None:
    too_long = [line for line in text.splitlines() if len(line) > width]
    assert not too_long, too_long


def assert_no_flag_split(text: str) -> None:
    """No flag is cut in two: every long start and every long end of a flag's name occurs
    exactly as often as the whole name (``pre-relea`` + ``se`` fails)."""
    for flag in Flag:
        name = flag.value
        if len(name) < 5:
            continue
        whole = text.count(name)
        for part in (name[:-2], name[2:]):
            assert text.count(part) == whole, (name, part)


def flag_count(text: str, flag: str) -> int:
    return len(re.findall(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text))


@pytest.mark.parametrize("width", WIDTHS)
def test_report_table_fits_and_keeps_flags_whole(demo: Report, width: int) -> None:
    report = demo
    text = TableFormatter(width=width).format(report)
    assert_fits(text, width)
    assert_no_flag_split(text)
    for flag in Flag:
        if flag is Flag.OUTDATED:  # also a status, in the status column when it is shown
            continue
        rows = sum(1 for r in report.components if flag in r.flags)
        table = text.split("Critical findings")[0]  # the section below names kinds too
        assert flag_count(table, flag.value) == rows, (flag, width)
    header = next(line for line in text.splitlines() if "component" in line and "flags" in line)
    assert header.split()[0] in ("severity", "sev")
    # the legend explains `days` whenever the column is shown
    if " days " in f" {header} ":
        assert "days: days since the first newer release" in text


def test_report_table_at_80_keeps_every_row_on_few_lines(demo: Report) -> None:
    report = demo
    text = TableFormatter(width=80).format(report)
    end = (
        text.index("Critical findings")
        if "Critical findings" in text
        else text.index("Unidentified")
    )
    lines = text[text.index("sev ") : end].splitlines()[2:-1]  # rows, without the legend
    starts = [n for n, line in enumerate(lines) if not line.startswith(" ")]
    heights = [b - a for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]
    assert len(heights) == len(report.components)
    # where folds under the component (2 lines), a node name or a long flag list may take
    # a third and fourth, never more; most rows take two
    assert max(heights) <= 4
    assert sum(heights) <= 2.5 * len(heights)


def test_query_table_without_cluster_summaries_fits(demo: Report) -> None:
    report = demo
    rows_only = Report(DEMO_NOW, (), report.components, ())
    for width in WIDTHS:
        assert_fits(TableFormatter(width=width).format(rows_only), width)


@pytest.mark.parametrize("width", WIDTHS)
def test_fleet_table_fits(fleet: Report, width: int) -> None:
    assert len(fleet.clusters) == 2
    text = format_fleet(fleet, width=width)
    assert_fits(text, width)
    assert_no_flag_split(text)
    assert "grafana" in text and re.search(r"\b12\.3\.7\b", text)
    # the version and how far behind it is stay whole (on one line, or two at 80)
    assert re.search(r"12\.3\.7 \(major, \d+d\)|12\.3\.7 .*\n +\(major, \d+d\)", text)


@pytest.mark.parametrize("width", WIDTHS)
def test_history_table_fits(demo: Report, width: int) -> None:
    report = demo
    rows = list(report.components)
    runs = [
        RunChanges(
            "demo", 2, DEMO_NOW, diff_findings([], rows), tuple(r for r in rows if r.findings)
        ),
        RunChanges("demo", 1, datetime(2026, 8, 1, tzinfo=UTC), None, ()),
    ]
    text = format_history({"demo": runs}, component=None, today=DEMO_TODAY, width=width)
    assert_fits(text, width)
    assert_no_flag_split(text)
    assert "demo: open findings" in text


@pytest.mark.parametrize("width", WIDTHS)
def test_releases_list_fits(width: int) -> None:
    published = datetime(2024, 3, 15, tzinfo=UTC)
    releases = [
        Release("istio/istio", f"1.{minor}.{patch}", published, False,
                f"https://github.com/istio/istio/releases/tag/1.{minor}.{patch}")
        for minor in range(20, 26) for patch in range(5)
    ]  # fmt: skip
    text = format_release_list("istio/istio", releases, published, 10, width=width)
    assert_fits(text, width)
    assert "1.25.4" in text and "… and 20 more (use --limit)" in text


def test_layout_is_the_widest_that_fits(demo: Report) -> None:
    report = demo
    from tracker.report.table import _row_cells  # the report's own cells

    cells = [_row_cells(r) for r in report.components]
    wide = fit_columns(REPORT_COLUMNS, cells, 250)
    assert wide.shown == tuple((i,) for i in range(len(REPORT_COLUMNS)))
    assert not wide.abbreviated
    narrow = fit_columns(REPORT_COLUMNS, cells, 80)
    assert narrow.total() <= 80
    names = [REPORT_COLUMNS[i].header for group in narrow.shown for i in group]
    for kept in ("severity", "component", "where", "current", "latest", "flags"):
        assert kept in names
