"""Upgrade advice and support windows: real Kubernetes and Istio advisories against the real
endoflife.date calendars of tests/data/realdata/eol (as of 2026-08-22), on fixed days."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tracker.evaluate import LifecycleContext, evaluate
from tracker.evaluate.advisories import AdvisoryIndex
from tracker.evaluate.vulnerable import apply_advisories
from tracker.identify.catalogue import load_catalogue
from tracker.models import AdvisoryRef, Component, ComponentReport, Flag, Role
from tracker.upstream.endoflife import Product, parse_product
from tracker.upstream.osv import parse_osv

CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def index(realdata: Path) -> AdvisoryIndex:
    base = realdata / "advisories"
    return AdvisoryIndex(
        parse_osv(json.loads(p.read_text()), source=p.name) for p in sorted(base.glob("*.json"))
    )


@pytest.fixture(scope="module")
def products(realdata: Path) -> dict[str, Product]:
    return {
        name: parse_product(
            json.loads((realdata / "eol" / f"{name}.json").read_text()), product=name
        )
        for name in ("kubernetes", "amazon-eks", "istio")
    }


def _vulnerable(
    index: AdvisoryIndex,
    component: Component,
    today: date,
    lifecycle: LifecycleContext | None,
) -> tuple[str, dict[str, AdvisoryRef]]:
    rows: list[ComponentReport] = evaluate("prod", [component], CATALOGUE, {}, today)
    (row,), _ = apply_advisories(rows, CATALOGUE, index, lifecycle=lifecycle, today=today)
    (finding,) = [f for f in row.findings if f.kind is Flag.VULNERABLE]
    return finding.message, {a.id: a for a in row.advisories}


def kubelet(version: str) -> Component:
    return Component("kubernetes", Role.KUBELET, version, "kubernetes/kubernetes")


def test_fix_on_an_ended_line_names_the_nearest_supported_fix(
    index: AdvisoryIndex, products: dict[str, Product]
) -> None:
    # 2025-01-15, upstream calendar: 1.27 and 1.28 have ended, 1.29 is supported until
    # 2025-02-28. CVE-2024-3177 (fixed 1.27.13 / 1.28.9 / 1.29.4) and CVE-2024-5321 (fixed
    # 1.27.16 / 1.28.12 / 1.29.7 / 1.30.3) both affect 1.27.9: on the 1.29 line only 1.29.7
    # fixes both (1.29.0 and 1.29.4 are still inside CVE-2024-5321's range).
    context = LifecycleContext(CATALOGUE, products)
    message, refs = _vulnerable(index, kubelet("v1.27.9"), date(2025, 1, 15), context)
    assert set(refs) == {"GHSA-pxhw-596r-rwq5", "GHSA-82m2-cv7p-4m75"}
    assert message.endswith(
        ": upgrade to 1.27.16 (1.27 is past end of life) or to 1.29.7 on a supported line"
        " (lowest fixed: 1.27.13)"
    )
    pxhw, m2 = refs["GHSA-pxhw-596r-rwq5"], refs["GHSA-82m2-cv7p-4m75"]
    assert (pxhw.nearest_fix, pxhw.nearest_fix_eol, pxhw.supported_fix) == (
        "1.27.13",
        True,
        "1.29.4",
    )
    assert (m2.nearest_fix, m2.nearest_fix_eol, m2.supported_fix) == ("1.27.16", True, "1.29.7")


def test_eks_extended_support_is_still_supported(
    index: AdvisoryIndex, products: dict[str, Product]
) -> None:
    # the same kubelet on EKS: 1.27 is in extended support until 2025-07-24 (EKS's end that
    # counts), so the fix on the running line is on a supported line and nothing is added
    context = LifecycleContext(CATALOGUE, products, distribution="eks")
    message, refs = _vulnerable(index, kubelet("v1.27.9-eks-ab12cd3"), date(2025, 1, 15), context)
    assert message.endswith(": upgrade to 1.27.16 (lowest fixed: 1.27.13)")
    m2 = refs["GHSA-82m2-cv7p-4m75"]
    assert (m2.nearest_fix_eol, m2.supported_fix) == (False, "1.27.16")
    # on 2026-09-01 every line up to 1.30 is over on EKS too; CVE-2024-5321 names no fix on
    # 1.31, which it does not affect: its first release is the nearest supported fix
    message, _ = _vulnerable(index, kubelet("v1.27.9-eks-ab12cd3"), date(2026, 9, 1), context)
    assert message.endswith(
        ": upgrade to 1.27.16 (1.27 is past end of life) or to 1.31.0 on a supported line"
        " (lowest fixed: 1.27.13)"
    )


def test_running_line_supported_says_nothing_more(
    index: AdvisoryIndex, products: dict[str, Product]
) -> None:
    context = LifecycleContext(CATALOGUE, products)
    control_plane = Component("kubernetes", Role.CONTROL_PLANE, "v1.29.2", "kubernetes/kubernetes")
    message, refs = _vulnerable(index, control_plane, date(2025, 1, 15), context)
    assert message.endswith(": upgrade to 1.29.7 (lowest fixed: 1.27.13)")
    assert {(a.nearest_fix, a.nearest_fix_eol, a.supported_fix) for a in refs.values()} == {
        ("1.29.4", False, "1.29.4"),
        ("1.29.7", False, "1.29.7"),
    }


def test_without_a_calendar_nothing_is_said_about_support(
    index: AdvisoryIndex, products: dict[str, Product]
) -> None:
    for context in (None, LifecycleContext(CATALOGUE, {})):
        message, refs = _vulnerable(index, kubelet("v1.27.9"), date(2025, 1, 15), context)
        assert message.endswith(": upgrade to 1.27.16 (lowest fixed: 1.27.13)")
        assert all((a.nearest_fix_eol, a.supported_fix) == (None, None) for a in refs.values())


def test_istio_line_with_no_fix_on_a_supported_line(
    index: AdvisoryIndex, products: dict[str, Product]
) -> None:
    context = LifecycleContext(CATALOGUE, products)
    istiod = Component("istio", Role.CONTROL_PLANE, "1.12.2", "istio/istio", revision="1-12")
    # 2026-09-01: 1.29 ended the day before; 1.30 is the only supported line, and
    # CVE-2022-23635 (fixed 1.11.7 / 1.12.4 / 1.13.1) does not reach it
    message, refs = _vulnerable(index, istiod, date(2026, 9, 1), context)
    assert message.endswith(
        ": upgrade to 1.12.4 (1.12 is past end of life) or to 1.30.0 on a supported line"
        " (lowest fixed: 1.11.7)"
    )
    assert refs["GHSA-856q-xv3c-7f2f"].supported_fix == "1.30.0"
    # 2026-12-03: the calendar as stored (2026-08-22) has no line left: said, not guessed
    message, refs = _vulnerable(index, istiod, date(2026, 12, 3), context)
    assert message.endswith(
        ": upgrade to 1.12.4 (1.12 is past end of life; the stored support data lists no"
        " supported line) (lowest fixed: 1.11.7)"
    )
    assert refs["GHSA-856q-xv3c-7f2f"].supported_fix is None
