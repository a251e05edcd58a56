"""Support windows end to end: the demo cluster (EKS) scanned into a store, the recorded
endoflife.date products imported as a cycles file, then report, JSON, query, history, Slack."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from tests.fakes.endoflife_api import load_products
from tracker.history import diff_findings
from tracker.identify.catalogue import load_catalogue
from tracker.inventory.kubectl_dump import KubectlDump
from tracker.models import Flag, Report
from tracker.notify.slack import build_payload
from tracker.report.json import report_to_dict
from tracker.store import Store
from tracker.upstream.cycle_file import import_cycles
from tracker.upstream.release_file import import_releases
from tracker.workflows.query import RowFilter
from tracker.workflows.report import evaluate_report
from tracker.workflows.scan import scan

TODAY = date(2026, 8, 22)
NOW = datetime(2026, 8, 22, 3, 0, tzinfo=UTC)
CATALOGUE = load_catalogue({})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, realdata: Path) -> Store:
    tmp = tmp_path_factory.mktemp("lifecycle")
    demo = resources.files("tracker.demo")
    for name in ("cluster.json", "version.json", "releases.json"):
        (tmp / name).write_bytes(demo.joinpath(name).read_bytes())
    cycles = tmp / "cycles.json"
    cycles.write_text(json.dumps(load_products(realdata / "eol")))
    store = Store.open(f"sqlite:///{tmp / 'db.sqlite'}")
    import_releases(store, tmp / "releases.json")
    dump = KubectlDump([tmp / "cluster.json", tmp / "version.json"], cluster="demo")
    scan(dump, store, CATALOGUE)
    import_cycles(store, cycles, now=NOW)
    return store


def report(store: Store, today: date = TODAY, now: datetime = NOW) -> Report:
    return evaluate_report(store, CATALOGUE, today=today, now=now).report


def test_eks_control_plane_row_has_support_and_eol(store: Store) -> None:
    rows = [r for r in report(store).components if r.component.component == "kubernetes"]
    control = next(r for r in rows if r.component.role.value == "control-plane")
    assert control.support is not None and control.support.product == "amazon-eks"
    assert control.support.cycle == "1.32"  # the demo's v1.32.9-eks-… control plane
    (eol,) = [f for f in control.findings if f.kind is Flag.EOL]
    assert eol.source == "https://endoflife.date/amazon-eks" and "move to" in eol.message
    as_json = next(
        c
        for c in report_to_dict(report(store))["components"]
        if c["component"] == "kubernetes" and c["role"] == "control-plane"
    )
    assert as_json["support"] == {
        "product": "amazon-eks",
        "cycle": "1.32",
        "eol": control.support.eol.isoformat() if control.support.eol else None,
        "eoas": None,
        "eoes": control.support.eoes.isoformat() if control.support.eoes else None,
        "lts": False,
    }


def test_query_flag_eol_and_eol_before(store: Store) -> None:
    rows = report(store).components
    eol = [r for r in rows if RowFilter.build(flag="eol").matches(r)]
    assert eol and all(Flag.EOL in r.flags for r in eol)
    early = RowFilter.build(eol_before="2000-01-01")
    assert not [r for r in rows if early.matches(r)]
    late = RowFilter.build(eol_before="2100-01-01")
    assert {r.component.component for r in rows if late.matches(r)} >= {"kubernetes", "istio"}
    with pytest.raises(ValueError, match="--eol-before 'soon' is not a date"):
        RowFilter.build(eol_before="soon")


def test_stale_lifecycle_data_is_a_report_warning(store: Store) -> None:
    assert not [w for w in report(store).warnings if "support window" in w]
    later = report(store, TODAY + timedelta(days=3), NOW + timedelta(days=3))
    (warning,) = [w for w in later.warnings if "support window" in w]
    assert "older than 2 days" in warning and "amazon-eks" in warning


def test_a_finding_that_becomes_eol_overnight_is_new(store: Store) -> None:
    rows = report(store).components
    row = next(
        r for r in rows if r.support and r.support.eol and r.support.product not in ("amazon-eks",)
    )
    assert row.support is not None and row.support.eol is not None
    end = row.support.eol
    before = report(store, end, NOW).components
    after = report(store, end + timedelta(days=1), NOW).components
    mine = [r for r in before if r.component == row.component]
    assert Flag.EOL_SOON in mine[0].flags and Flag.EOL not in mine[0].flags
    changes = diff_findings(before, after)
    new = [(r.row.component, r.finding.kind) for r in changes.new]
    assert (row.component, Flag.EOL) in new
    resolved = [(r.row.component, r.finding.kind) for r in changes.resolved]
    assert (row.component, Flag.EOL_SOON) in resolved


def test_slack_lists_eol_first(store: Store) -> None:
    payload = build_payload(report(store), None, cluster="demo")
    worst = next(
        b["text"]["text"]
        for b in payload["blocks"]
        if b.get("type") == "section" and "Worst open findings" in b["text"]["text"]
    )
    lines = [line for line in worst.splitlines() if line.startswith("•")]
    eol_lines = [i for i, line in enumerate(lines) if "eol" in line]
    assert eol_lines and eol_lines == list(range(len(eol_lines)))


def test_cli_lifecycle_import_export(tmp_path: Path, realdata: Path) -> None:
    from typer.testing import CliRunner

    from tracker.cli.app import app

    runner = CliRunner()
    src = tmp_path / "in.json"
    src.write_text(
        json.dumps(
            {
                k: v
                for k, v in load_products(realdata / "eol").items()
                if k in ("istio", "kubernetes")
            }
        )
    )
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(app, ["--database-url", db, "lifecycle", "import", str(src)])
    assert result.exit_code == 0, result.output
    assert "imported 2 product(s)" in result.stderr
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["--database-url", db, "lifecycle", "export", str(out)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text())
    assert set(exported) == {"istio", "kubernetes"}
    names = [c["name"] for c in exported["istio"]["result"]["releases"]]
    assert names[:2] == ["1.30", "1.29"]
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    result = runner.invoke(app, ["--database-url", db, "lifecycle", "import", str(bad)])
    assert result.exit_code == 1 and "bad.json: expected an object" in result.stderr
    assert "Traceback" not in result.output
