"""CVSS v3.x base scores against published scores, and severity words from vectors.

Reference values are real: the CNA scores of CVE List V5 records
(tests/data/realdata/cvss/cve-list-v5-cna-cvss3.json, see PROVENANCE.md, "cvss/") and
GitHub's own severity words beside its own vectors in the real GHSA records.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tracker.upstream.cvss import base_score, rating, roundup
from tracker.upstream.osv import parse_osv

WORDS = {"CRITICAL": "critical", "HIGH": "high", "MEDIUM": "moderate", "LOW": "low"}


def _published(realdata: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        (realdata / "cvss" / "cve-list-v5-cna-cvss3.json").read_text()
    )
    return rows


def test_base_score_equals_the_score_each_cna_published(realdata: Path) -> None:
    rows = _published(realdata)
    assert len(rows) == 15
    assert {r["vectorString"][:8] for r in rows} == {"CVSS:3.0", "CVSS:3.1"}
    assert {"/S:C/" in r["vectorString"] for r in rows} == {True, False}
    for row in rows:
        score = base_score(row["vectorString"])
        assert score == pytest.approx(float(row["baseScore"]), abs=1e-9), row["cveId"]
        assert score is not None and rating(score) == WORDS[row["baseSeverity"]], row["cveId"]


def _ghsa_records(realdata: Path) -> list[dict[str, Any]]:
    base = realdata / "advisories"
    paths = sorted(base.glob("GHSA-*.json")) + sorted((base / "github-2025").glob("GHSA-*.json"))
    return [json.loads(p.read_text()) for p in paths]


def test_rating_of_each_ghsa_vector_is_githubs_own_word(realdata: Path) -> None:
    checked = 0
    for record in _ghsa_records(realdata):
        vectors = [s["score"] for s in record.get("severity") or [] if s["type"] == "CVSS_V3"]
        if not vectors:
            continue
        score = base_score(vectors[0])
        assert score is not None, record["id"]
        assert rating(score) == record["database_specific"]["severity"].lower(), record["id"]
        checked += 1
    assert checked == 36  # 31 of the 34 older GHSAs carry a v3 vector, and the 5 of 2025


@pytest.mark.parametrize(
    "vector",
    [
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N",  # GHSA-82m2's v4
        "AV:N/AC:L/Au:S/C:C/I:C/A:C",  # CVSS v2 (CVE-2024-6962)
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",  # no A
        "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # unknown value
        "CVSS:3.1/AV:N/AV:L/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",  # repeated metric
    ],
)
def test_vectors_that_cannot_be_scored_give_none(vector: str) -> None:
    assert base_score(vector) is None


def test_roundup_is_appendix_a() -> None:
    # the specification's own examples: Round up (4.02) is 4.1, Round up (4.00) is 4.0; and
    # Appendix A first rounds to five decimals, so floating-point noise does not round up
    assert (roundup(4.02), roundup(4.0), roundup(4.000001), roundup(4.00001)) == (
        4.1,
        4.0,
        4.0,
        4.1,
    )


def test_a_record_without_a_word_is_rated_from_its_vector(realdata: Path) -> None:
    raw = json.loads(
        (realdata / "advisories" / "github-2025" / "GHSA-mgvx-rpfc-9mpv.json").read_text()
    )
    del raw["database_specific"]["severity"]  # as a database that publishes vectors only
    advisory = parse_osv(raw, source="GHSA-mgvx-rpfc-9mpv.json")
    assert (advisory.severity, advisory.severity_source) == ("critical", "cvss")
    assert advisory.cvss_score == 9.8
    stated = parse_osv(
        json.loads((realdata / "advisories" / "GHSA-xc8m-28vv-4pjc.json").read_text()),
        source="GHSA-xc8m-28vv-4pjc.json",
    )
    assert (stated.severity, stated.severity_source) == ("moderate", "advisory")
    go = parse_osv(
        json.loads((realdata / "advisories" / "go-vulndb" / "GO-2025-3567.json").read_text()),
        source="GO-2025-3567.json",
    )
    assert (go.severity, go.severity_source, go.cvss_score) == ("unknown", "unknown", None)
