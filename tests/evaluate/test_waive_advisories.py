"""Waivers by advisory id on the bundled demo (tracker/demo): ingress-nginx 1.11.3 carries
IngressNightmare, five vulnerabilities each published twice (a GHSA record and a Go
vulnerability database record naming it), evaluated as ``tracker run --demo`` does, with the
README's waiver example added to the demo's own waivers."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, date, datetime
from importlib import resources
from pathlib import Path

import pytest

from tracker.evaluate.waivers import parse_waivers
from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import ComponentReport, Flag, Report, Role, Severity
from tracker.report.json import JsonFormatter
from tracker.report.markdown import MarkdownFormatter, escape
from tracker.store import Store
from tracker.upstream.advisory_file import import_advisories
from tracker.upstream.cycle_file import import_cycles
from tracker.upstream.release_file import import_releases
from tracker.workflows.demo import DEMO_FILES
from tracker.workflows.report import evaluate_report, save_report
from tracker.workflows.scan import scan

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 3, 0, 0, tzinfo=UTC)
README = Path(__file__).parents[2] / "README.md"
NIGHTMARE = {  # CVE -> (GHSA, GO record), as the demo's advisories/ name them
    "CVE-2025-1974": ("GHSA-mgvx-rpfc-9mpv", "GO-2025-3567"),
    "CVE-2025-1097": ("GHSA-823x-fv5p-h7hw", "GO-2025-3565"),
    "CVE-2025-24514": ("GHSA-fwwp-xcxw-39vq", "GO-2025-3566"),
    "CVE-2025-1098": ("GHSA-vg63-w3p9-jc9m", "GO-2025-3568"),
    "CVE-2025-24513": ("GHSA-242m-6h72-7hgp", "GO-2025-3564"),
}


def _readme_waiver() -> str:
    """The ``[[waivers]]`` example of the README's Waivers section, as written there."""
    text = README.read_text("utf-8")
    section = text[text.index("### Waivers") :]
    return section[section.index("```toml\n") + 8 : section.index("```\n", 10)]


def _waivers(extra: str) -> tuple:  # type: ignore[type-arg]
    demo = resources.files("tracker.demo").joinpath("waivers.toml").read_text("utf-8")
    return parse_waivers(tomllib.loads(demo + "\n" + extra)["waivers"], source="t.toml")


def _report(tmp_path: Path, extra: str) -> Report:
    """The demo evaluated as run_demo does, its waivers plus ``extra`` (TOML)."""
    demo_dir = resources.files("tracker.demo")
    for name in DEMO_FILES:
        (tmp_path / name).write_bytes(demo_dir.joinpath(name).read_bytes())
    advisories = tmp_path / "advisories"
    advisories.mkdir()
    for item in demo_dir.joinpath("advisories").iterdir():
        if item.name.endswith(".json"):
            (advisories / item.name).write_bytes(item.read_bytes())
    catalogue = load_catalogue({})
    with Store.open(f"sqlite:///{tmp_path / 'demo.db'}") as store:
        import_releases(store, tmp_path / "releases.json")
        import_cycles(store, tmp_path / "eol.json", now=NOW)
        import_advisories(store, [advisories])
        dump = KubectlDump([tmp_path / "cluster.json", tmp_path / "version.json"], cluster="demo")
        scan(dump, store, catalogue)
        waivers = _waivers(extra)
        evaluated = evaluate_report(store, catalogue, today=TODAY, now=NOW, waivers=waivers)
        save_report(store, evaluated)
        [(scan_id, rows)] = evaluated.rows_by_scan.items()
        assert store.report_rows(scan_id) == list(rows)  # waived advisories round-trip
        return evaluated.report


def _nginx(report: Report) -> ComponentReport:
    """The ingress-nginx controller row (the Helm release row carries no advisories)."""
    [row] = [
        r
        for r in report.components
        if r.component.component == "ingress-nginx" and r.component.role is Role.ADDON
    ]
    return row


def _waiver(kind: str, owner: str = "team-edge@example.com") -> str:
    return (
        f'[[waivers]]\ncomponent = "ingress-nginx"\nkind = "{kind}"\nreason = "WAF rule"\n'
        f'owner = "{owner}"\nexpires = 2027-03-31\n'
    )


def _stale(report: Report) -> list[str]:
    return [w for w in report.warnings if "matches no finding" in w]


def test_readme_waiver_accepts_its_advisory_and_leaves_the_others_counted(
    tmp_path: Path,
) -> None:
    example = _readme_waiver()
    assert 'kind = "GHSA-mgvx-rpfc-9mpv"' in example
    report = _report(tmp_path, example)
    row = _nginx(report)
    [finding] = [f for f in row.findings if f.kind is Flag.VULNERABLE]
    assert not finding.waived and Flag.WAIVED not in row.flags
    assert finding.message.endswith(
        "; CVE-2025-1974 waived by team-edge@example.com until 2027-03-31"
    )
    # the worst advisory left (CVE-2025-1097, high) still makes it critical
    assert finding.severity is Severity.CRITICAL
    waived = sorted(a.id for a in row.advisories if a.waived)
    assert waived == ["GHSA-mgvx-rpfc-9mpv", "GO-2025-3567"]  # the record and its Go alias
    assert finding in row.counted_findings  # --fail-on vulnerable still fires
    assert _stale(report) == []  # it accepts an advisory: not stale policy
    doc = json.loads(JsonFormatter().format(report))
    [nginx] = [
        c for c in doc["components"] if c["component"] == "ingress-nginx" and c["role"] == "addon"
    ]
    assert sorted(a["id"] for a in nginx["advisories"] if a["waived"]) == waived
    assert nginx["waiver"]["owner"] == "team-edge@example.com"


@pytest.mark.parametrize("which", [0, 1, 2], ids=["ghsa", "go", "cve"])
def test_one_waiver_per_advisory_waives_the_finding_and_none_is_stale(
    tmp_path: Path, which: int
) -> None:
    extra = "".join(_waiver(cve if which == 2 else ids[which]) for cve, ids in NIGHTMARE.items())
    report = _report(tmp_path, extra)
    row = _nginx(report)
    [finding] = [f for f in row.findings if f.kind is Flag.VULNERABLE]
    assert _stale(report) == []  # each accepts one vulnerability: none is stale policy
    assert finding.waived and finding not in row.counted_findings
    assert len(row.advisories) == 10 and all(a.waived for a in row.advisories)


def test_partly_waived_severity_is_the_worst_advisory_left(tmp_path: Path) -> None:
    # the critical and high vulnerabilities accepted (by GHSA id): CVE-2025-24513 (moderate)
    # is left, so the finding counts as a warning, no longer critical
    extra = "".join(_waiver(ids[0]) for cve, ids in NIGHTMARE.items() if cve != "CVE-2025-24513")
    report = _report(tmp_path, extra)
    row = _nginx(report)
    [finding] = [f for f in row.findings if f.kind is Flag.VULNERABLE]
    assert {a.id for a in row.advisories if not a.waived} == {
        "GHSA-242m-6h72-7hgp",
        "GO-2025-3564",
    }
    assert not finding.waived and finding.severity is Severity.WARNING
    assert finding.message.endswith(
        "; CVE-2025-1974 waived by team-edge@example.com until 2027-03-31"
        "; CVE-2025-1097 waived by team-edge@example.com until 2027-03-31"
        "; CVE-2025-24514 waived by team-edge@example.com until 2027-03-31"
        "; CVE-2025-1098 waived by team-edge@example.com until 2027-03-31"
    )
    assert finding in row.counted_findings
    assert _stale(report) == []


def test_expired_advisory_waiver_is_named_and_not_stale(tmp_path: Path) -> None:
    extra = _waiver("CVE-2025-1974").replace("2027-03-31", "2026-10-01")
    report = _report(tmp_path, extra)
    [finding] = [f for f in _nginx(report).findings if f.kind is Flag.VULNERABLE]
    assert not finding.waived
    assert finding.message.endswith("; waiver by team-edge@example.com expired on 2026-10-01")
    assert _stale(report) == []


def test_json_carries_the_report_warnings_the_markdown_shows(tmp_path: Path) -> None:
    report = _report(tmp_path, _waiver("GHSA-0000-0000-0000"))
    [stale] = _stale(report)
    assert stale.startswith("waivers[2] (ingress-nginx) matches no finding")
    doc = json.loads(JsonFormatter().format(report))
    assert doc["warnings"] == list(report.warnings)
    assert stale in doc["warnings"]
    markdown = MarkdownFormatter().format(report)
    for warning in doc["warnings"]:
        assert f"> **Warning:** {escape(warning)}" in markdown
