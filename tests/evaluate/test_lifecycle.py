"""Support windows on the real endoflife.date data of tests/data/realdata/eol (as of 2026-08-22)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tracker.evaluate.lifecycle import control_plane_product, cycle_for, judge
from tracker.models import Severity
from tracker.upstream.endoflife import EndOfLifeFormatError, Product, parse_product
from tracker.versions import ParsedVersion, parse_version

AS_OF = date(2026, 8, 22)


@pytest.fixture(scope="module")
def products(realdata: Path) -> dict[str, Product]:
    out = {}
    for path in sorted((realdata / "eol").glob("*.json")):
        if path.stem == "identifiers-purl":
            continue
        out[path.stem] = parse_product(json.loads(path.read_text()), product=path.stem)
    return out


def v(raw: str) -> ParsedVersion:
    parsed = parse_version(raw)
    assert isinstance(parsed, ParsedVersion)
    return parsed


def test_every_recorded_product_parses(products: dict[str, Product]) -> None:
    assert len(products) == 25
    assert products["kubernetes"].cycles[0].name == "1.36"
    assert products["istio"].cycles[0].custom == {"supportedKubernetesVersions": "1.32 - 1.36"}


def test_kubernetes_1_16_is_long_past_eol(products: dict[str, Product]) -> None:
    verdict = judge(products["kubernetes"], v("v1.16.15"), today=AS_OF)
    assert verdict is not None
    assert (verdict.kind, verdict.severity) == ("eol", Severity.CRITICAL)
    assert "Kubernetes 1.16 reached end of life on 2020-08-04 (2209 days ago)" in verdict.message
    # 1.34 ends 2026-10-27, inside the 90-day window: the first cycle that lasts is 1.35
    assert verdict.move_to == "1.35"
    assert verdict.message.endswith("move to 1.35 (supported until 2027-02-28)")
    assert verdict.source == "https://endoflife.date/kubernetes"


def test_kubernetes_eol_soon_and_day_of_eol(products: dict[str, Product]) -> None:
    soon = judge(products["kubernetes"], v("1.34.2"), today=AS_OF)
    assert soon is not None
    assert (soon.kind, soon.severity) == ("eol-soon", Severity.WARNING)
    assert "reaches end of life on 2026-10-27 (in 66 days)" in soon.message
    on_the_day = judge(products["kubernetes"], v("1.34.2"), today=date(2026, 10, 27))
    assert on_the_day is not None and on_the_day.kind == "eol-soon"  # strictly after = past
    after = judge(products["kubernetes"], v("1.34.2"), today=date(2026, 10, 28))
    assert after is not None and after.kind == "eol"
    fine = judge(products["kubernetes"], v("1.36.0"), today=AS_OF)
    assert fine is not None and fine.kind is None and fine.severity is None
    narrow = judge(products["kubernetes"], v("1.34.2"), today=AS_OF, warn_before=timedelta(days=30))
    assert narrow is not None and narrow.kind is None


def test_eks_extended_support_then_end(products: dict[str, Product]) -> None:
    eks = products["amazon-eks"]
    assert control_plane_product("eks") == "amazon-eks"
    extended = judge(eks, v("v1.31.7-eks-bcf3d70"), today=AS_OF)
    assert extended is not None
    assert (extended.kind, extended.severity) == ("eol", Severity.WARNING)
    assert "left standard support on 2025-11-26; in extended support until 2026-11-26" in (
        extended.message
    )
    past = judge(eks, v("v1.29.15-eks-3c4dd58"), today=AS_OF)
    assert past is not None and (past.kind, past.severity) == ("eol", Severity.CRITICAL)
    assert "reached the end of extended support on 2026-03-23" in past.message
    assert past.support.eoes == date(2026, 3, 23) and past.support.eol == date(2025, 3, 23)


def test_aks_lts_needs_enrolment_so_eol_counts(products: dict[str, Product]) -> None:
    verdict = judge(products["azure-kubernetes-service"], v("1.31.2"), today=AS_OF)
    assert verdict is not None and (verdict.kind, verdict.severity) == ("eol", Severity.CRITICAL)
    assert "2025-11-01" in verdict.message


def test_major_only_cycles_and_unknown_cycles(products: dict[str, Product]) -> None:
    jaeger = products["jaeger"]
    cycle = cycle_for(jaeger, v("1.62.0"))
    assert cycle is not None and cycle.name == "1"
    old = judge(jaeger, v("1.62.0"), today=AS_OF)
    assert old is not None and old.kind == "eol" and old.move_to == "2"
    assert judge(products["kubernetes"], v("1.99.0"), today=AS_OF) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not a JSON object"),
        ({"result": {"releases": {}}}, "result.releases is not a list"),
        ({"result": {"releases": [{}]}}, r"releases\[0\].name is missing"),
        ({"result": {"releases": [{"name": "1", "eolFrom": "soon"}]}}, "is not a YYYY-MM-DD date"),
        ({"result": {"releases": [{"name": "1", "isEol": "yes"}]}}, "must be true, false or null"),
    ],
)
def test_malformed_answers_name_product_and_field(data: object, message: str) -> None:
    with pytest.raises(EndOfLifeFormatError, match=message):
        parse_product(data, product="kubernetes")


def test_older_than_every_listed_cycle_is_past_eol(products: dict[str, Product]) -> None:
    eks = products["amazon-eks"]
    oldest = min(eks.cycles, key=lambda c: tuple(int(x) for x in c.name.split(".")))
    assert oldest.name == "1.18"  # endoflife.date no longer lists EKS 1.16
    verdict = judge(eks, v("v1.16.13-eks-ec92d4"), today=AS_OF)
    assert verdict is not None
    assert (verdict.kind, verdict.severity) == ("eol", Severity.CRITICAL)
    assert verdict.message == (
        "Amazon EKS 1.16 is older than every cycle endoflife.date lists (the oldest, 1.18, "
        "ended on 2022-08-15): past end of life; move to 1.31 (supported until 2026-11-26)"
    )
    assert verdict.support.cycle == "1.16" and verdict.support.eol is None
    assert verdict.move_to == "1.31"
    # newer than the newest listed cycle: still no verdict (not guessed)
    assert judge(eks, v("1.99.0"), today=AS_OF) is None
    # older than the oldest while the oldest is still supported: no verdict either
    assert judge(eks, v("1.16.0"), today=date(2020, 1, 1)) is None
