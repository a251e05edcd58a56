"""Advisories end to end through the real CLI: import the real OSV records, scan a cluster
running ingress-nginx v1.11.3 and Istio 1.12.1, report, query, fail-on, export."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tracker.cli import app

runner = CliRunner()


def _invoke(db: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", db, *args])


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'adv.db'}"


@pytest.fixture
def dump(tmp_path: Path, realdata: Path) -> Path:
    """The real Istio 1.12.1 httpbin pod, plus an ingress-nginx controller pod built from it."""
    pod = json.loads(
        (realdata / "pods" / "docker-desktop-istio-1.12.1.httpbin.pod.json").read_text()
    )
    nginx = copy.deepcopy(pod)
    nginx["metadata"]["name"] = "ingress-nginx-controller-5c8d66c76d-x2x7q"
    nginx["metadata"]["namespace"] = "ingress-nginx"
    nginx["metadata"].pop("ownerReferences", None)
    nginx["metadata"]["annotations"] = {}
    nginx["spec"]["initContainers"] = []
    nginx["spec"]["containers"] = [
        {
            "name": "controller",
            "image": "registry.k8s.io/ingress-nginx/controller:v1.11.3@sha256:"
            "d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7",
        }
    ]
    nginx["status"].pop("initContainerStatuses", None)
    nginx["status"]["containerStatuses"] = []
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod, nginx]}))
    return path


def _scan_and_import(db: str, dump: Path, realdata: Path) -> Any:
    result = _invoke(db, "scan", "--from-dump", str(dump), "--cluster", "edge")
    assert result.exit_code == 0, result.output
    base = realdata / "advisories"
    return _invoke(db, "advisories", "import", str(base))


def _report(db: str, *extra: str) -> Any:
    return _invoke(db, "report", "--format", "json", *extra)


def test_import_then_report_names_the_fix(db: str, dump: Path, realdata: Path) -> None:
    imported = _scan_and_import(db, dump, realdata)
    assert imported.exit_code == 0, imported.output
    # 34 GHSA + 5 GHSA of 2025 + 6 Go vulndb, recursive
    assert "imported 45 advisories" in imported.output

    result = _report(db)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (nginx,) = [c for c in doc["components"] if c["component"] == "ingress-nginx"]
    assert nginx["current"] == "1.11.3"
    assert "vulnerable" in nginx["flags"]
    ids = {a["id"] for a in nginx["advisories"]}
    # IngressNightmare: the Go records' custom_ranges give fixes 1.11.5 / 1.12.1
    assert {"GO-2025-3564", "GO-2025-3565", "GO-2025-3566", "GO-2025-3567", "GO-2025-3568"} <= ids
    assert "GHSA-fp9f-44c2-cw27" not in ids  # fixed in 1.9.0, below 1.11.3
    nightmare = next(a for a in nginx["advisories"] if a["id"] == "GO-2025-3567")
    assert "CVE-2025-1974" in nightmare["aliases"] and "GHSA-mgvx-rpfc-9mpv" in nightmare["aliases"]
    assert nightmare["fixed_in"] == ["1.11.5", "1.12.1"]
    (finding,) = [f for f in nginx["findings"] if f["kind"] == "vulnerable"]
    assert finding["message"].startswith("ingress-nginx 1.11.3 is affected by CVE-")
    # the Go vulndb record gives no severity: it takes GitHub's record's (an OSV alias), and
    # the two records of CVE-2025-1974 are named once
    assert "CVE-2025-1974 (GHSA-mgvx-rpfc-9mpv, GO-2025-3567, critical)" in finding["message"]
    assert finding["message"].endswith(": upgrade to 1.11.5 (lowest fixed: 1.11.5)")
    assert finding["severity"] == "critical"
    assert (
        nightmare["severity"],
        nightmare["severity_source"],
        nightmare["severity_alias"],
    ) == ("critical", "alias", "GHSA-mgvx-rpfc-9mpv")
    # no support calendar stored: nothing is said about the fix's line
    assert (nightmare["nearest_fix_eol"], nightmare["supported_fix"]) == (None, None)
    assert "GO-2024-3075" not in ids  # CVE-2024-7646: fixed in 1.11.2, below what runs

    istio = [c for c in doc["components"] if c["component"] == "istio"]
    assert istio and all("vulnerable" in c["flags"] for c in istio)
    assert all(
        "upgrade to 1.12.4" in f["message"]
        for c in istio
        for f in c["findings"]
        if f["kind"] == "vulnerable"
    )


def test_query_and_fail_on(db: str, dump: Path, realdata: Path) -> None:
    assert _scan_and_import(db, dump, realdata).exit_code == 0
    assert _invoke(db, "report").exit_code == 0
    q = _invoke(db, "query", "--advisory", "cve-2025-1974", "--format", "json")
    assert q.exit_code == 0, q.output
    assert [r["component"] for r in json.loads(q.stdout)["rows"]] == ["ingress-nginx"]
    q = _invoke(db, "query", "--flag", "vulnerable", "--format", "json")
    assert {r["component"] for r in json.loads(q.stdout)["rows"]} == {"ingress-nginx", "istio"}
    q = _invoke(db, "query", "--advisory", "CVE-1999-0001", "--format", "json")
    assert json.loads(q.stdout)["rows"] == []
    assert _report(db, "--fail-on", "vulnerable").exit_code == 3


def test_no_advisories_no_finding(db: str, dump: Path) -> None:
    assert _invoke(db, "scan", "--from-dump", str(dump), "--cluster", "edge").exit_code == 0
    doc = json.loads(_report(db).stdout)
    assert all(c["advisories"] == [] for c in doc["components"])
    assert _report(db, "--fail-on", "vulnerable").exit_code == 0


def test_export_imports_back(db: str, tmp_path: Path, dump: Path, realdata: Path) -> None:
    assert _scan_and_import(db, dump, realdata).exit_code == 0
    out = tmp_path / "export.json"
    result = _invoke(db, "advisories", "export", str(out))
    assert result.exit_code == 0, result.output
    records = json.loads(out.read_text())
    assert len(records) == 45 and len({r["id"] for r in records}) == 45
    other = f"sqlite:///{tmp_path / 'other.db'}"
    again = _invoke(other, "advisories", "import", str(out))
    assert again.exit_code == 0, again.output
    assert "imported 45 advisories" in again.output


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "invalid JSON at line 1"),
        (b'{"id": "GHSA-xxxx-xxxx-xxxx", "affected": "all"}', "GHSA-xxxx-xxxx-xxxx"),
    ],
)
def test_bad_file_is_one_line_and_stores_nothing(
    db: str, tmp_path: Path, realdata: Path, content: bytes, expected: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    good = realdata / "advisories" / "GHSA-fp9f-44c2-cw27.json"
    result = _invoke(db, "advisories", "import", str(good), str(bad))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert expected in result.output and "bad.json" in result.output
    out = tmp_path / "export.json"
    assert _invoke(db, "advisories", "export", str(out)).exit_code == 0
    assert json.loads(out.read_text()) == []  # the good file was not stored either


def test_missing_path(db: str, tmp_path: Path) -> None:
    result = _invoke(db, "advisories", "import", str(tmp_path / "nope.json"))
    assert result.exit_code == 1 and "nope.json" in result.output


def test_advisory_id_waivers_and_their_warnings_in_report_json(
    tmp_path: Path, db: str, dump: Path, realdata: Path
) -> None:
    """The README's waiver (one IngressNightmare GHSA id) plus one naming no advisory here:
    the first accepts CVE-2025-1974's records, not the finding; the second is stale policy,
    shown by the table and carried by the JSON."""
    assert _scan_and_import(db, dump, realdata).exit_code == 0
    config = tmp_path / "tracker.toml"
    config.write_text(
        "".join(
            f'[[waivers]]\ncomponent = "ingress-nginx"\nkind = "{kind}"\nreason = "WAF rule"\n'
            f'owner = "team-edge@example.com"\nexpires = 2099-03-31\n'
            for kind in ("GHSA-mgvx-rpfc-9mpv", "GHSA-0000-0000-0000")
        )
    )
    result = _invoke(db, "--config", str(config), "report", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    (nginx,) = [c for c in doc["components"] if c["component"] == "ingress-nginx"]
    (finding,) = [f for f in nginx["findings"] if f["kind"] == "vulnerable"]
    assert not finding["waived"]
    assert "; CVE-2025-1974 waived by team-edge@example.com until 2099-03-31" in finding["message"]
    waived = {a["id"] for a in nginx["advisories"] if a["waived"]}
    assert "GHSA-mgvx-rpfc-9mpv" in waived and "GO-2025-3567" in waived
    assert "GHSA-823x-fv5p-h7hw" not in waived
    stale = [w for w in doc["warnings"] if "matches no finding" in w]
    assert stale == [
        "waivers[1] (ingress-nginx) matches no finding (owner team-edge@example.com): "
        "remove it or correct its fields"
    ]
    table = _invoke(db, "--config", str(config), "report", "--format", "table")
    assert "waivers[1] (ingress-nginx) matches no finding" in table.output
    assert "waivers[0]" not in table.output
