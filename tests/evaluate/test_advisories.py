"""Advisory matching on the real advisories of tests/data/realdata/advisories (see INDEX.md)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tracker.evaluate.advisories import AdvisoryIndex, package_key
from tracker.evaluate.policy import advisory_severity
from tracker.models import Severity
from tracker.upstream.osv import Advisory, AdvisoryFormatError, parse_osv
from tracker.versions import ParsedVersion, parse_version

INGRESS = ["go:k8s.io/ingress-nginx", "go:github.com/kubernetes/ingress-nginx"]
ISTIO = ["go:istio.io/istio"]
ARGO = ["go:github.com/argoproj/argo-cd/v2", "go:github.com/argoproj/argo-cd"]
KUBE = ["go:k8s.io/kubernetes"]


def _load(directory: Path) -> list[Advisory]:
    return [
        parse_osv(json.loads(path.read_text(encoding="utf-8")), source=path.name)
        for path in sorted(directory.glob("*.json"))
    ]


@pytest.fixture(scope="module")
def advisories(realdata: Path) -> list[Advisory]:
    base = realdata / "advisories"
    return _load(base) + _load(base / "go-vulndb")


@pytest.fixture(scope="module")
def index(advisories: list[Advisory]) -> AdvisoryIndex:
    return AdvisoryIndex(advisories)


def v(raw: str) -> ParsedVersion:
    parsed = parse_version(raw)
    assert isinstance(parsed, ParsedVersion), raw
    return parsed


def ids(index: AdvisoryIndex, packages: list[str], raw: str) -> set[str]:
    return {m.advisory.id for m in index.match(packages, v(raw)).matches}


def test_every_real_record_parses(advisories: list[Advisory]) -> None:
    assert len(advisories) == 40  # 34 GHSA + 6 Go vulndb records
    assert all(a.affected for a in advisories)


# IngressNightmare (CVE-2025-1974 and its siblings): the Go vulndb records keep the real
# fixes in ecosystem_specific.custom_ranges while `ranges` says "introduced 0, no fix".
NIGHTMARE = {"GO-2025-3564", "GO-2025-3565", "GO-2025-3566", "GO-2025-3567", "GO-2025-3568"}


@pytest.mark.parametrize(
    ("running", "affected"),
    [
        ("v1.11.4", True),
        ("controller-v1.11.4", None),  # not a version string: not the matcher's input
        ("v1.11.5", False),
        ("v1.11.6", False),
        ("v1.12.0-beta.0", True),
        ("v1.12.0", True),
        ("v1.12.1", False),
        ("v1.13.0", False),
        ("v1.11.3-eks-a1b2c3d", True),
        ("1.12.0-debian-12-r3", True),
    ],
)
def test_ingress_nightmare_uses_custom_ranges(
    index: AdvisoryIndex, running: str, affected: bool | None
) -> None:
    parsed = parse_version(running)
    if affected is None:
        assert not isinstance(parsed, ParsedVersion)
        return
    hit = ids(index, INGRESS, running)
    assert (hit >= NIGHTMARE) is affected
    assert not (NIGHTMARE & hit) or affected


def test_ingress_nightmare_fix_suggestions(index: AdvisoryIndex) -> None:
    result = index.match(INGRESS, v("v1.12.0"))
    cve = next(m for m in result.matches if m.advisory.id == "GO-2025-3567")
    assert "CVE-2025-1974" in cve.advisory.cve_ids
    assert cve.nearest_fix == "1.12.1"  # on the running line
    assert cve.lowest_fix == "1.11.5"
    old = next(
        m for m in index.match(INGRESS, v("1.10.2")).matches if m.advisory.id == "GO-2025-3567"
    )
    assert old.nearest_fix == "1.11.5"  # no fix on 1.10: the next line's


def test_older_ingress_nginx_advisories(index: AdvisoryIndex) -> None:
    assert {"GHSA-pvmg-xgmx-9mxh", "GHSA-863x-868h-968x"} <= ids(index, INGRESS, "v1.1.9")
    assert "GHSA-pvmg-xgmx-9mxh" not in ids(index, INGRESS, "v1.2.0")
    assert "GHSA-863x-868h-968x" in ids(index, INGRESS, "v1.2.0")
    assert "GHSA-863x-868h-968x" not in ids(index, INGRESS, "v1.2.1")
    assert {"GHSA-fp9f-44c2-cw27", "GHSA-5wj4-wffq-3378"} <= ids(index, INGRESS, "1.8.4")
    assert "GHSA-gvrm-w2f9-f77q" not in ids(index, INGRESS, "1.8.0")
    assert not ({"GHSA-fp9f-44c2-cw27", "GHSA-5wj4-wffq-3378"} & ids(index, INGRESS, "1.9.0"))


def test_istio_ranges_per_release_branch(index: AdvisoryIndex) -> None:
    # GHSA-7774-7vr3-cc8j: <1.9.8, [1.10.0,1.10.4), [1.11.0,1.11.1) (+ versions [1.11.0])
    assert "GHSA-7774-7vr3-cc8j" in ids(index, ISTIO, "1.9.7")
    assert "GHSA-7774-7vr3-cc8j" not in ids(index, ISTIO, "1.9.8")
    assert "GHSA-7774-7vr3-cc8j" in ids(index, ISTIO, "1.10.0")
    assert "GHSA-7774-7vr3-cc8j" not in ids(index, ISTIO, "1.10.4")
    assert "GHSA-7774-7vr3-cc8j" in ids(index, ISTIO, "1.11.0")
    assert "GHSA-7774-7vr3-cc8j" not in ids(index, ISTIO, "1.11.1")
    # GHSA-856q-xv3c-7f2f: fixed 1.11.7, 1.12.4, 1.13.1
    hit = index.match(ISTIO, v("1.12.2"))
    m = next(m for m in hit.matches if m.advisory.id == "GHSA-856q-xv3c-7f2f")
    assert (m.nearest_fix, m.lowest_fix) == ("1.12.4", "1.11.7")
    assert "GHSA-856q-xv3c-7f2f" not in ids(index, ISTIO, "1.13.1")


def test_argo_cd_last_affected_and_module_paths(index: AdvisoryIndex) -> None:
    # GHSA-jmvp-698c-4x3w: argo-cd (v1 module) introduced 1.0.0, last_affected 1.8.7
    assert "GHSA-jmvp-698c-4x3w" in ids(index, ARGO, "1.8.7")
    assert "GHSA-jmvp-698c-4x3w" in ids(index, ARGO, "v1.0.0")
    assert "GHSA-jmvp-698c-4x3w" in ids(index, ARGO, "2.9.19")
    assert "GHSA-jmvp-698c-4x3w" not in ids(index, ARGO, "2.9.20")
    assert "GHSA-jmvp-698c-4x3w" in ids(index, ARGO, "2.11.5")
    assert "GHSA-jmvp-698c-4x3w" not in ids(index, ARGO, "2.11.6")
    # GHSA-87p9-x75h-p4j2 names github.com/argoproj/argo-cd/v2/server: not the v2 module key
    assert "GHSA-87p9-x75h-p4j2" in ids(
        index, ["go:github.com/argoproj/argo-cd/v2/server"], "2.9.3"
    )
    assert "GHSA-87p9-x75h-p4j2" not in ids(
        index, ["go:github.com/argoproj/argo-cd/v2/server"], "2.9.2"
    )


def test_kubernetes_with_vendor_builds(index: AdvisoryIndex) -> None:
    # GHSA-hq6q-c2x6-hmch: fixed 1.25.16, 1.26.11, 1.27.8, 1.28.4
    assert "GHSA-hq6q-c2x6-hmch" in ids(index, KUBE, "v1.27.7-eks-4f4795d")
    assert "GHSA-hq6q-c2x6-hmch" not in ids(index, KUBE, "v1.27.8-eks-4f4795d")
    assert "GHSA-hq6q-c2x6-hmch" in ids(index, KUBE, "v1.28.3-gke.1286000")
    assert "GHSA-hq6q-c2x6-hmch" not in ids(index, KUBE, "v1.28.4+k3s1")
    assert "GHSA-hq6q-c2x6-hmch" not in ids(index, KUBE, "v1.29.0")


def _step(version: str, delta: int) -> str:
    parts = [int(p) for p in version.split(".")[:3]]
    parts[2] += delta
    return ".".join(map(str, parts))


@pytest.mark.parametrize("project_packages", [INGRESS, ISTIO, ARGO, KUBE])
def test_below_at_and_above_every_fixed_event(
    advisories: list[Advisory], index: AdvisoryIndex, project_packages: list[str]
) -> None:
    keys = set(project_packages)
    checked = 0
    for advisory in advisories:
        for affected in advisory.affected:
            if package_key(affected.ecosystem, affected.name) not in keys:
                continue
            for r in affected.ranges:
                introduced = [x for k, x in r.events if k == "introduced"]
                for kind, fixed in r.events:
                    if kind != "fixed" or "-" in fixed or fixed.endswith(".0"):
                        continue
                    below = _step(fixed, -1)
                    lower = introduced[-1] if introduced else "0"
                    if lower != "0" and v(below).version < v(lower).version:
                        continue
                    assert advisory.id in ids(index, project_packages, below), (advisory.id, below)
                    assert advisory.id not in ids(index, project_packages, fixed), (
                        advisory.id,
                        fixed,
                    )
                    assert advisory.id not in ids(index, project_packages, _step(fixed, 1))
                    checked += 1
    assert checked >= 5


def test_withdrawn_advisory_matches_nothing(advisories: list[Advisory]) -> None:
    nightmare = next(a for a in advisories if a.id == "GO-2025-3567")
    withdrawn = dataclasses.replace(nightmare, withdrawn=nightmare.published)
    assert AdvisoryIndex([withdrawn]).match(INGRESS, v("1.12.0")).matches == ()
    assert AdvisoryIndex([nightmare]).match(INGRESS, v("1.12.0")).matches != ()


def test_unreadable_range_is_reported_not_guessed(
    advisories: list[Advisory], realdata: Path
) -> None:
    raw = json.loads((realdata / "advisories" / "GHSA-pvmg-xgmx-9mxh.json").read_text())
    raw["affected"][0]["ranges"][0]["events"][1] = {"fixed": "nightly-build"}
    broken = parse_osv(raw, source="edited.json")
    result = AdvisoryIndex([broken]).match(INGRESS, v("1.0.0"))
    assert result.matches == ()
    assert len(result.unreadable) == 1
    assert result.unreadable[0].advisory_id == "GHSA-pvmg-xgmx-9mxh"
    assert "nightly-build" in result.unreadable[0].reason


def test_worst_first_and_severity_policy(index: AdvisoryIndex) -> None:
    matches = index.match(KUBE, v("1.24.0")).matches
    severities = [m.advisory.severity for m in matches]
    assert severities[0] == "high" and severities[-1] == "low"
    assert [advisory_severity(s) for s in ("critical", "high", "moderate", "low")] == [
        Severity.CRITICAL,
        Severity.CRITICAL,
        Severity.WARNING,
        Severity.INFO,
    ]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([], "must be a JSON object"),
        ({"id": "GHSA-x"}, None),
        ({"id": "GHSA-x", "affected": [{"package": {}}]}, "package needs ecosystem and name"),
        (
            {
                "id": "GHSA-x",
                "affected": [
                    {
                        "package": {"ecosystem": "Go", "name": "a"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "1"}]}],
                    }
                ],
            },
            "no introduced event",
        ),
        ({"id": "GHSA-x", "published": "yesterday"}, "published 'yesterday' is not RFC 3339"),
    ],
)
def test_malformed_records_name_the_field(record: object, message: str | None) -> None:
    if message is None:
        assert parse_osv(record, source="f.json").affected == ()
        return
    with pytest.raises(AdvisoryFormatError, match=message):
        parse_osv(record, source="f.json")
