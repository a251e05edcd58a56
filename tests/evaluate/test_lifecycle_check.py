"""The lifecycle check on the real endoflife.date data (as of 2026-08-22) and real catalogue
entries: eol / eol-soon with the distribution's calendar, retired, archived, ``support``."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from tracker.evaluate import LifecycleContext, evaluate
from tracker.evaluate.policy import retired_severity
from tracker.identify.catalogue import load_catalogue
from tracker.models import CatalogueEntry, Component, ComponentReport, Flag, Role, Severity
from tracker.upstream.endoflife import Product, parse_product

AS_OF = date(2026, 8, 22)
CATALOGUE = load_catalogue()


@pytest.fixture(scope="module")
def products(realdata: Path) -> dict[str, Product]:
    return {
        p.stem: parse_product(json.loads(p.read_text()), product=p.stem)
        for p in sorted((realdata / "eol").glob("*.json"))
        if p.stem != "identifiers-purl"
    }


def one(
    component: Component,
    products: dict[str, Product],
    *,
    distribution: str | None = None,
    today: date = AS_OF,
    archived: dict[str, bool] | None = None,
    entries: dict[str, CatalogueEntry] | None = None,
) -> ComponentReport:
    ctx = LifecycleContext(
        entries or CATALOGUE, products, archived or {}, distribution=distribution
    )
    (row,) = evaluate("prod", [component], entries or CATALOGUE, {}, today, lifecycle=ctx)
    return row


CONTROL_PLANE = Component("kubernetes", Role.CONTROL_PLANE, "v1.31.4-eks-2d5f260", None)


def test_eks_control_plane_in_extended_support_is_a_warning(products) -> None:
    row = one(CONTROL_PLANE, products, distribution="eks")
    (eol,) = [f for f in row.findings if f.kind is Flag.EOL]
    assert eol.severity is Severity.WARNING
    assert eol.message == (
        "Amazon EKS 1.31 left standard support on 2025-11-26; in extended support until "
        "2026-11-26; move to 1.32 (supported until 2027-03-23)"
    )
    assert eol.source == "https://endoflife.date/amazon-eks"
    assert row.support is not None and row.support.product == "amazon-eks"
    assert (row.support.cycle, row.support.eoes) == ("1.31", date(2026, 11, 26))


def test_eks_past_extended_support_is_critical(products) -> None:
    row = one(CONTROL_PLANE, products, distribution="eks", today=date(2026, 11, 27))
    (eol,) = [f for f in row.findings if f.kind is Flag.EOL]
    assert eol.severity is Severity.CRITICAL and "2026-11-26" in eol.message


def test_upstream_kubernetes_calendar_without_a_known_distribution(products) -> None:
    row = one(CONTROL_PLANE, products, distribution="k3s")
    (eol,) = [f for f in row.findings if f.kind is Flag.EOL]
    assert eol.severity is Severity.CRITICAL
    assert eol.message.startswith(
        "Kubernetes 1.31 reached end of life on 2025-11-11 (284 days ago)"
    )
    assert row.support is not None and row.support.product == "kubernetes"


def test_eol_soon_within_warn_before(products) -> None:
    istio = Component("istio", Role.ADDON, "1.29.2", "istio/istio", namespace="istio-system")
    end = next(c.eol for c in products["istio"].cycles if c.name == "1.29")
    assert end is not None
    row = one(istio, products, today=end - timedelta(days=30))
    assert Flag.EOL_SOON in row.flags and Flag.EOL not in row.flags
    assert one(istio, products, today=end - timedelta(days=91)).flags == (
        Flag.NO_UPSTREAM_DATA,
    )  # outside 90 days: nothing
    assert Flag.EOL in one(istio, products, today=end + timedelta(days=1)).flags


def test_a_finding_that_becomes_eol_overnight(products) -> None:
    istio = Component("istio", Role.ADDON, "1.27.1", "istio/istio")
    end = next(c.eol for c in products["istio"].cycles if c.name == "1.27")
    assert end is not None
    before = one(istio, products, today=end)
    after = one(istio, products, today=end + timedelta(days=1))
    assert Flag.EOL_SOON in before.flags and Flag.EOL in after.flags


def test_entry_without_product_has_no_support(products) -> None:
    row = one(Component("velero", Role.ADDON, "1.13.0", "vmware-tanzu/velero"), products)
    assert row.support is None and Flag.EOL not in row.flags


def test_retired_names_successor_and_source(products) -> None:
    dash = Component("kubernetes-dashboard", Role.ADDON, "v2.7.0", "kubernetes-retired/dashboard")
    row = one(dash, products)
    (retired,) = [f for f in row.findings if f.kind is Flag.RETIRED]
    assert retired.message == (
        "Kubernetes Dashboard (v2) was retired on 2025-05-28: no more releases or fixes; "
        "move to Headlamp"
    )
    assert retired.severity is Severity.CRITICAL  # over a year before 2026-08-22
    assert retired.source == "https://github.com/kubernetes-retired/dashboard"
    assert Flag.ARCHIVED not in row.flags  # retired says it already
    promtail = one(Component("promtail", Role.ADDON, "3.0.0", "grafana/loki"), products)
    (retired,) = [f for f in promtail.findings if f.kind is Flag.RETIRED]
    assert retired.severity is Severity.WARNING and retired.message.endswith(
        "move to Grafana Alloy"
    )


def test_retired_severity_boundary() -> None:
    assert retired_severity(date(2025, 8, 22), AS_OF) is Severity.WARNING
    assert retired_severity(date(2025, 8, 21), AS_OF) is Severity.CRITICAL


def test_archived_repository_is_a_warning(products) -> None:
    velero = Component("velero", Role.ADDON, "1.13.0", "vmware-tanzu/velero")
    row = one(velero, products, archived={"vmware-tanzu/velero": True})
    (archived,) = [f for f in row.findings if f.kind is Flag.ARCHIVED]
    assert archived.severity is Severity.WARNING
    assert archived.source == "https://github.com/vmware-tanzu/velero"
    assert Flag.ARCHIVED not in one(velero, products, archived={"vmware-tanzu/velero": False}).flags


def test_catalogue_products_match_recorded_identifiers(realdata: Path, products) -> None:
    """Every eol_product is a recorded product; images named by its purl identifiers map to it."""
    named = {e.eol_product for e in CATALOGUE.values() if e.eol_product}
    assert named <= set(products)
    purls = json.loads((realdata / "eol" / "identifiers-purl.json").read_text())["result"]
    by_repo = {
        item["identifier"].removeprefix("pkg:github/").lower(): item["product"]["name"]
        for item in purls
        if item["identifier"].startswith("pkg:github/")
    }
    checked = 0
    for entry in CATALOGUE.values():
        product = by_repo.get((entry.project or "").lower())
        if product in products and entry.eol_product is not None:
            assert entry.eol_product == product, entry.id
            checked += 1
    assert checked >= 10
