"""Records of one vulnerability (OSV aliases): severity taken from the GHSA, named once.

Real records: the Go vulnerability database's IngressNightmare records (no severity) and
GitHub's own records for the same CVEs (tests/data/realdata/advisories/github-2025).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tracker.evaluate import evaluate
from tracker.evaluate.advisories import AdvisoryIndex
from tracker.evaluate.aliases import borrow_severity
from tracker.evaluate.vulnerable import apply_advisories
from tracker.identify.catalogue import load_catalogue
from tracker.models import Component, ComponentReport, Flag, Role, Severity
from tracker.upstream.osv import Advisory, parse_osv

TODAY = date(2026, 9, 1)
CATALOGUE = load_catalogue()


def _load(directory: Path) -> list[Advisory]:
    return [
        parse_osv(json.loads(p.read_text()), source=p.name)
        for p in sorted(directory.glob("*.json"))
    ]


@pytest.fixture(scope="module")
def go(realdata: Path) -> list[Advisory]:
    return _load(realdata / "advisories" / "go-vulndb")


@pytest.fixture(scope="module")
def ghsa(realdata: Path) -> list[Advisory]:
    return _load(realdata / "advisories" / "github-2025")


def nginx(tag: str) -> list[ComponentReport]:
    component = Component(
        "ingress-nginx",
        Role.ADDON,
        tag,
        "kubernetes/ingress-nginx",
        namespace="ingress-nginx",
        workload="Deployment/ingress-nginx-controller",
        image=f"registry.k8s.io/ingress-nginx/controller:{tag}",
    )
    return evaluate("prod", [component], CATALOGUE, {}, TODAY)


def test_go_records_take_the_severity_of_their_ghsa(
    go: list[Advisory], ghsa: list[Advisory]
) -> None:
    borrowed = {a.id: a for a in borrow_severity([*go, *ghsa])}
    assert {a.id: a.severity for a in go} == dict.fromkeys((a.id for a in go), "unknown")
    nightmare = borrowed["GO-2025-3567"]  # CVE-2025-1974, aliases GHSA-mgvx-rpfc-9mpv
    assert (nightmare.severity, nightmare.severity_source) == ("critical", "alias")
    assert nightmare.severity_alias == "GHSA-mgvx-rpfc-9mpv"
    assert borrowed["GO-2025-3564"].severity == "moderate"  # GHSA-242m-6h72-7hgp
    assert borrowed["GO-2025-3565"].severity == "high"  # GHSA-823x-fv5p-h7hw
    # CVE-2024-7646's Go record names no GHSA and none shares its CVE: nothing to take
    assert borrowed["GO-2024-3075"].severity == "unknown"
    assert borrowed["GHSA-mgvx-rpfc-9mpv"] is next(a for a in ghsa if a.id == "GHSA-mgvx-rpfc-9mpv")


def test_a_withdrawn_record_lends_nothing(go: list[Advisory], ghsa: list[Advisory]) -> None:
    mgvx = next(a for a in ghsa if a.id == "GHSA-mgvx-rpfc-9mpv")
    gone = dataclasses.replace(mgvx, withdrawn=datetime(2025, 4, 1, tzinfo=UTC))
    borrowed = {a.id: a for a in borrow_severity([*go, gone])}
    assert borrowed["GO-2025-3567"].severity == "unknown"


def test_one_vulnerability_is_named_once_with_the_ghsa_severity(
    go: list[Advisory], ghsa: list[Advisory]
) -> None:
    index = AdvisoryIndex([*go, *ghsa])
    (row,), _ = apply_advisories(nginx("v1.11.3"), CATALOGUE, index)
    (finding,) = [f for f in row.findings if f.kind is Flag.VULNERABLE]
    assert finding.severity is Severity.CRITICAL
    assert finding.message.count("CVE-2025-1974") == 1
    assert finding.message.startswith(
        "ingress-nginx 1.11.3 is affected by "
        "CVE-2025-1974 (GHSA-mgvx-rpfc-9mpv, GO-2025-3567, critical), "
        "CVE-2025-1097 (GHSA-823x-fv5p-h7hw, GO-2025-3565, high), "
    )
    assert "and " not in finding.message.split(":")[0]  # five vulnerabilities, all named
    assert finding.message.endswith(": upgrade to 1.11.5 (lowest fixed: 1.11.5)")
    refs = {a.id: a for a in row.advisories}
    assert len(refs) == 10  # every record stays in advisories[]
    go_ref = refs["GO-2025-3567"]
    assert (go_ref.severity, go_ref.severity_source, go_ref.severity_alias) == (
        "critical",
        "alias",
        "GHSA-mgvx-rpfc-9mpv",
    )
    assert refs["GHSA-mgvx-rpfc-9mpv"].severity_source == "advisory"


def test_alone_the_go_record_names_where_its_severity_comes_from(
    go: list[Advisory], ghsa: list[Advisory]
) -> None:
    # GitHub's record is stored, but under another package than the component's (an
    # import from elsewhere): the Go record still takes its severity, and says from where
    mgvx = next(a for a in ghsa if a.id == "GHSA-mgvx-rpfc-9mpv")
    elsewhere = dataclasses.replace(
        mgvx,
        affected=tuple(dataclasses.replace(p, name="example.com/mirror") for p in mgvx.affected),
    )
    index = AdvisoryIndex([next(a for a in go if a.id == "GO-2025-3567"), elsewhere])
    (row,), _ = apply_advisories(nginx("v1.11.3"), CATALOGUE, index)
    (finding,) = [f for f in row.findings if f.kind is Flag.VULNERABLE]
    assert finding.severity is Severity.CRITICAL
    assert "(GHSA-mgvx-rpfc-9mpv, GO-2025-3567, critical per GHSA-mgvx-rpfc-9mpv)" in (
        finding.message
    )
