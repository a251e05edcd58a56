"""evaluate(): real running versions (from realdata pods/nodes/version) against real releases.

Expected values were computed by hand from realdata/releases/*.json (stable tags only,
distinct versions, dates converted to UTC) with today = 2026-09-01.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from tracker.evaluate import evaluate
from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.models import (
    Behind,
    CatalogueEntry,
    Component,
    ComponentReport,
    Container,
    Finding,
    Flag,
    ImageReference,
    Inventory,
    Pod,
    Release,
    Role,
    Severity,
    Source,
    Status,
    Workload,
)

MakeRelease = Callable[..., Release]
TODAY = date(2026, 9, 1)
"""After the newest tag in realdata/releases (istio 1.31.0-rc.0, 2026-08-19)."""


@dataclass(frozen=True)
class Expected:
    current: str
    latest: str
    latest_patch: str | None
    behind: Behind | None
    releases_behind: int
    days_behind: int | None
    status: Status
    flags: tuple[Flag, ...]
    severity: Severity | None


CASES = {
    # istio/proxyv2:1.12.1 sidecar (docker-desktop pod). First newer: 1.12.2 on 2022-01-19.
    ("istio", Role.DATA_PLANE, "1.12.1"): Expected(
        "1.12.1", "1.30.3", "1.12.9", Behind.MINOR, 152, 1686, Status.OUTDATED,
        (Flag.OUTDATED,), Severity.CRITICAL,
    ),
    # prom/prometheus:v2.11.0 (kubevious pods). First newer: v2.11.1 on 2019-07-10.
    ("prometheus", Role.ADDON, "v2.11.0"): Expected(
        "2.11.0", "3.14.0", "2.11.2", Behind.MAJOR, 155, 2610, Status.OUTDATED,
        (Flag.OUTDATED,), Severity.CRITICAL,
    ),
    # prom/prometheus:v2.11.1. First newer: v2.11.2 on 2019-08-14.
    ("prometheus", Role.ADDON, "v2.11.1"): Expected(
        "2.11.1", "3.14.0", "2.11.2", Behind.MAJOR, 154, 2575, Status.OUTDATED,
        (Flag.OUTDATED,), Severity.CRITICAL,
    ),
    # quay.io/jetstack/cert-manager-controller:v0.10.1. First newer: v0.11.0 on 2019-10-10.
    ("cert-manager", Role.ADDON, "v0.10.1"): Expected(
        "0.10.1", "1.21.1", "0.10.1", Behind.MAJOR, 130, 2518, Status.OUTDATED,
        (Flag.OUTDATED, Flag.PRE_1_0), Severity.CRITICAL,
    ),
    # GKE kubelet. The 20-release list has no 1.18 line; first newer: v1.29.0 on 2023-12-13.
    ("kubernetes", Role.KUBELET, "v1.18.19-gke.1701"): Expected(
        "1.18.19", "1.29.3", None, Behind.MINOR, 16, 993, Status.OUTDATED,
        (Flag.OUTDATED, Flag.PARTIAL_CATALOGUE), Severity.CRITICAL,
    ),
    # EKS kubelet compares by its upstream version.
    ("kubernetes", Role.KUBELET, "v1.16.13-eks-ec92d4"): Expected(
        "1.16.13", "1.29.3", None, Behind.MINOR, 16, 993, Status.OUTDATED,
        (Flag.OUTDATED, Flag.PARTIAL_CATALOGUE), Severity.CRITICAL,
    ),
    # k3s /version: newer than anything in the (old) 20-release list. Still up to date
    # (nothing newer is known), but no latest patch lower than what runs, and an info
    # finding saying the catalogue is probably stale.
    ("kubernetes", Role.CONTROL_PLANE, "v1.29.6+k3s1"): Expected(
        "1.29.6", "1.29.3", None, None, 0, None, Status.UP_TO_DATE,
        (Flag.AHEAD_OF_CATALOGUE,), Severity.INFO,
    ),
    # v1.28.8 is listed before v1.29.3 and is the newest 1.28 patch: one line behind, info.
    ("kubernetes", Role.CONTROL_PLANE, "v1.28.8"): Expected(
        "1.28.8", "1.29.3", "1.28.8", Behind.MINOR, 4, 993, Status.OUTDATED,
        (Flag.OUTDATED,), Severity.INFO,
    ),
    ("kubernetes", Role.CONTROL_PLANE, "v1.29.3"): Expected(
        "1.29.3", "1.29.3", "1.29.3", None, 0, None, Status.UP_TO_DATE, (), None,
    ),
    # grafana: +security-NN builds are the same version, not newer releases.
    ("grafana", Role.ADDON, "12.4.3"): Expected(
        "12.4.3", "13.2.0", "12.4.9", Behind.MAJOR, 20, 140, Status.OUTDATED,
        (Flag.OUTDATED,), Severity.CRITICAL,
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def case_reports(
    real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> dict[tuple[str, Role, str], ComponentReport]:
    components = [Component(cid, role, raw, real_entries[cid].project) for cid, role, raw in CASES]
    # one row per case, not one cluster: no cluster-level (skew) checks between them
    reports = evaluate("prod", components, real_entries, real_releases, TODAY, cluster_checks=())
    assert [r.component for r in reports] == components  # one row each, input order
    return {(r.component.component, r.component.role, r.component.raw_version): r for r in reports}


@pytest.mark.parametrize("key", list(CASES), ids=lambda k: f"{k[0]}-{k[2]}")
def test_real_running_versions(
    key: tuple[str, Role, str], case_reports: dict[tuple[str, Role, str], ComponentReport]
) -> None:
    report, want = case_reports[key], CASES[key]
    got = Expected(
        report.current or "",
        report.latest or "",
        report.latest_patch,
        report.behind,
        report.releases_behind or 0,
        report.days_behind,
        report.status,
        report.flags,
        report.worst_severity,
    )
    assert got == want
    assert report.cluster == "prod"
    assert report.releases_behind is not None
    assert tuple(f.kind for f in report.findings) == report.flags


def test_latest_url_is_the_release_page(
    case_reports: dict[tuple[str, Role, str], ComponentReport],
) -> None:
    istio = case_reports[("istio", Role.DATA_PLANE, "1.12.1")]
    assert istio.latest_url == "https://github.com/istio/istio/releases/tag/1.30.3"
    # kubernetes__kubernetes.json has no html_url: GitHub's tag page is used instead.
    kube = case_reports[("kubernetes", Role.CONTROL_PLANE, "v1.28.8")]
    assert kube.latest_url == "https://github.com/kubernetes/kubernetes/releases/tag/v1.29.3"


def test_messages_name_component_versions_and_distance(
    case_reports: dict[tuple[str, Role, str], ComponentReport],
) -> None:
    def message(key: tuple[str, Role, str]) -> str:
        return case_reports[key].findings[0].message

    assert message(("istio", Role.DATA_PLANE, "1.12.1")) == (
        "istio data-plane 1.12.1 is 18 minor releases behind 1.30.3 "
        "(latest patch of 1.12 is 1.12.9); outdated for 1686 days"
    )
    assert message(("prometheus", Role.ADDON, "v2.11.0")) == (
        "prometheus 2.11.0 is 1 major release behind 3.14.0 "
        "(latest patch of 2.11 is 2.11.2); outdated for 2610 days"
    )
    assert message(("kubernetes", Role.KUBELET, "v1.18.19-gke.1701")) == (
        "kubernetes kubelet 1.18.19 is 11 minor releases behind 1.29.3; outdated for at least "
        "993 days; at least 16 releases behind (the catalogue's oldest release is 1.26.12)"
    )


def test_istio_1_18_2_like_the_design_example(
    real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> None:
    istiod = Component(
        "istio", Role.CONTROL_PLANE, "1.18.2", "istio/istio", "istio-system", "Deployment/istiod"
    )
    [report] = evaluate("prod", [istiod], real_entries, real_releases, TODAY)
    assert (report.latest, report.latest_patch, report.behind) == ("1.30.3", "1.18.7", Behind.MINOR)
    assert (report.releases_behind, report.days_behind) == (100, 1092)  # 1.19.0 on 2023-09-05
    assert report.findings[0].message.startswith(
        "istio 1.18.2 is 12 minor releases behind 1.30.3 (latest patch of 1.18 is 1.18.7)"
    )


def test_latest_is_by_version_not_list_or_date_order(
    realdata: Path, real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> None:
    items = json.loads((realdata / "releases" / "kubernetes__kubernetes.json").read_text())
    assert items[0]["tag_name"] == "v1.28.8"  # GitHub lists a backport first
    published = {i["tag_name"]: i["published_at"] for i in items}
    assert published["v1.27.12"] > published["v1.29.0"]  # a backport after the newer line
    component = Component("kubernetes", Role.CONTROL_PLANE, "v1.27.12", "kubernetes/kubernetes")
    [report] = evaluate("c", [component], real_entries, real_releases, TODAY)
    assert report.latest == "1.29.3"
    assert report.latest_patch == "1.27.12"
    assert report.behind is Behind.MINOR


def test_prometheus_go_module_twins_excluded_by_pattern(
    real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> None:
    """With a tag rule that drops v0.3xx twins, results for real running versions hold."""
    no_twins = CatalogueEntry(
        "prometheus", "Prometheus", "prometheus/prometheus", ("prom/prometheus",),
        tag_pattern=r"^v(?P<version>[1-9]\d*\..+)$",
    )  # fmt: skip
    entries = {**real_entries, "prometheus": no_twins}
    running = [
        Component("prometheus", Role.ADDON, raw, "prometheus/prometheus")
        for raw in ("v2.11.0", "v3.5.0", "v3.14.0")
    ]
    old, mid, new = evaluate("c", running, entries, real_releases, TODAY)
    assert (old.latest, old.latest_patch, old.behind, old.releases_behind, old.days_behind) == (
        "3.14.0", "2.11.2", Behind.MAJOR, 155, 2610,
    )  # fmt: skip
    assert (mid.latest, mid.behind, mid.status) == ("3.14.0", Behind.MINOR, Status.OUTDATED)
    assert (mid.latest_patch, mid.releases_behind) == ("3.5.5", 24)
    assert (new.status, new.behind, new.releases_behind, new.days_behind) == (
        Status.UP_TO_DATE, None, 0, None,
    )  # fmt: skip
    # Same answers with the permissive default pattern: twins sort below every 2.x/3.x.
    default = evaluate("c", running, real_entries, real_releases, TODAY)
    assert [r.latest for r in default] == ["3.14.0"] * 3
    assert [r.releases_behind for r in default] == [155, 24, 0]


def test_prerelease_running_counts_prereleases_of_its_line(
    real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> None:
    beta = Component("kubernetes", Role.CONTROL_PLANE, "v1.30.0-alpha.1", "kubernetes/kubernetes")
    stable = Component("kubernetes", Role.CONTROL_PLANE, "v1.29.2", "kubernetes/kubernetes")
    pre_report, stable_report = evaluate("c", [beta, stable], real_entries, real_releases, TODAY)
    # alpha.1 sees alpha.2, alpha.3 and beta.0 of its own line.
    assert (pre_report.latest, pre_report.latest_patch) == ("1.30.0-beta.0", "1.30.0-beta.0")
    assert (pre_report.behind, pre_report.releases_behind) == (Behind.PATCH, 3)
    assert pre_report.flags == (Flag.OUTDATED, Flag.PRE_RELEASE)
    assert pre_report.findings[1].message == (
        "kubernetes 1.30.0-alpha.1 is a pre-release; the latest stable release is 1.29.3"
    )
    # A stable version never sees pre-releases.
    assert (stable_report.latest, stable_report.behind, stable_report.releases_behind) == (
        "1.29.3", Behind.PATCH, 1,
    )  # fmt: skip


def test_istio_release_candidate_behind_newer_rc(
    real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> None:
    running = Component("istio", Role.CONTROL_PLANE, "1.31.0-beta.1", "istio/istio")
    [report] = evaluate("c", [running], real_entries, real_releases, TODAY)
    # beta.2 (2026-08-18) and rc.0 (2026-08-19) are newer; stable 1.30.3 is older.
    assert (report.latest, report.behind, report.releases_behind) == (
        "1.31.0-rc.0", Behind.PATCH, 2,
    )  # fmt: skip
    assert report.days_behind == 14
    assert report.findings[0].message == (
        "istio 1.31.0-beta.1 is 2 releases behind 1.31.0-rc.0; outdated for 14 days"
    )
    assert report.findings[0].severity is Severity.INFO


def test_unknown_versions_still_show_latest(
    real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> None:
    floating = Component("istio", Role.DATA_PLANE, "latest", "istio/istio")
    digest = Component("istio", Role.GATEWAY, "", "istio/istio")
    r_floating, r_digest = evaluate("c", [floating, digest], real_entries, real_releases, TODAY)
    for report in (r_floating, r_digest):
        assert report.status is Status.UNKNOWN
        assert report.current is None
        assert report.latest == "1.30.3"
        assert (report.latest_patch, report.behind, report.releases_behind) == (None, None, None)
        assert report.flags == (Flag.UNKNOWN_VERSION,)
    assert r_floating.findings[0].severity is Severity.WARNING
    assert r_digest.findings[0].severity is Severity.INFO
    assert "digest-only" in r_digest.findings[0].message


def test_no_upstream_data(real_releases: dict[str, list[Release]]) -> None:
    untracked = Component("polaris", Role.ADDON, "0.6", None)
    unsynced = Component("coredns", Role.ADDON, "v1.8.6", "coredns/coredns")
    wrong_rule = Component("ingress-nginx", Role.ADDON, "1.9.4", "kubernetes/kubernetes")
    entries = {
        "ingress-nginx": CatalogueEntry(
            "ingress-nginx", "ingress-nginx", "kubernetes/kubernetes", (),
            tag_pattern=r"^controller-v(?P<version>.+)$",
        )
    }  # fmt: skip
    reports = evaluate("c", [untracked, unsynced, wrong_rule], entries, real_releases, TODAY)
    assert [r.status for r in reports] == [Status.UNKNOWN] * 3
    assert [r.latest for r in reports] == [None] * 3
    assert reports[0].flags == (Flag.PRE_1_0, Flag.NO_UPSTREAM_DATA)  # Flag order
    assert reports[0].current == "0.6"
    messages = [r.findings[-1].message for r in reports]
    assert messages == [
        "polaris 0.6: no upstream project is tracked for 'polaris'",
        "coredns 1.8.6: no releases of coredns/coredns in the catalogue (run `tracker sync`)",
        "ingress-nginx 1.9.4: no stable release of kubernetes/kubernetes matches tag pattern "
        "'^controller-v(?P<version>.+)$'",
    ]


def test_today_is_a_parameter(
    real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> None:
    running = [Component("prometheus", Role.ADDON, "v2.11.1", "prometheus/prometheus")]
    [early] = evaluate("c", running, real_entries, real_releases, date(2019, 8, 14))
    [later] = evaluate("c", running, real_entries, real_releases, date(2019, 8, 24))
    assert later.days_behind == 10
    assert early.days_behind == 0


def test_image_tag_pattern_is_applied(real_releases: dict[str, list[Release]]) -> None:
    entry = CatalogueEntry(
        "istio", "Istio", "istio/istio", ("docker.io/istio/proxyv2",),
        image_tag_pattern=r"^(?P<version>\d+\.\d+\.\d+)-distroless$",
    )  # fmt: skip
    tagged = Component(
        "istio", Role.GATEWAY, "1.12.1-distroless", None, image="x:1.12.1-distroless"
    )
    extracted = Component("istio", Role.GATEWAY, "1.12.1", None, image="x:1.12.1-distroless")
    reports = evaluate("c", [tagged, extracted], {"istio": entry}, real_releases, TODAY)
    assert [r.current for r in reports] == ["1.12.1", "1.12.1"]
    assert [r.latest for r in reports] == ["1.30.3", "1.30.3"]


def test_stable_running_ignores_prereleases_of_its_own_line(
    real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> None:
    """cert-manager has v1.15.2-alpha.0/.1 after v1.15.1: they are not counted."""
    running = Component("cert-manager", Role.ADDON, "v1.15.1", "cert-manager/cert-manager")
    [report] = evaluate("c", [running], real_entries, real_releases, TODAY)
    assert (report.latest, report.latest_patch, report.behind) == ("1.21.1", "1.15.5", Behind.MINOR)
    assert (report.releases_behind, report.days_behind) == (35, 763)  # v1.15.2 on 2024-07-30
    assert report.findings[0].severity is Severity.CRITICAL  # 6 minor lines behind


# ----------------------------------------------------------------- stale or partial catalogues


def _kube(real_releases: dict[str, list[Release]], role: Role, raw: str) -> ComponentReport:
    entries = {
        "kubernetes": CatalogueEntry("kubernetes", "Kubernetes", "kubernetes/kubernetes", ())
    }
    component = Component("kubernetes", role, raw, "kubernetes/kubernetes")
    [report] = evaluate("prod", [component], entries, real_releases, TODAY)
    return report


def test_running_newer_than_catalogue_is_up_to_date_but_says_catalogue_is_stale(
    real_releases: dict[str, list[Release]],
) -> None:
    """k3s v1.29.6+k3s1 against the real 20-release list (highest stable v1.29.3)."""
    report = _kube(real_releases, Role.CONTROL_PLANE, "v1.29.6+k3s1")
    assert report.status is Status.UP_TO_DATE and report.behind is None
    assert report.latest == "1.29.3"  # the highest known release, with its page
    assert report.latest_patch is None  # never a known release lower than what runs
    assert report.findings[0] == Finding(
        Flag.AHEAD_OF_CATALOGUE,
        Severity.INFO,
        "kubernetes 1.29.6 is newer than every known stable release of kubernetes/kubernetes "
        "(highest 1.29.3): the release catalogue may be stale; run `tracker sync`",
    )
    # Exactly the newest known release: no such finding, latest patch is itself.
    same = _kube(real_releases, Role.CONTROL_PLANE, "v1.29.3+k3s1")
    assert (same.flags, same.latest_patch) == ((), "1.29.3")


def test_line_known_only_below_the_running_patch_has_no_latest_patch(
    real_releases: dict[str, list[Release]],
) -> None:
    """v1.28.9: the catalogue's 1.28 line stops at 1.28.8; behind 1.29 all the same."""
    report = _kube(real_releases, Role.CONTROL_PLANE, "v1.28.9")
    assert (report.status, report.behind, report.latest) == (
        Status.OUTDATED, Behind.MINOR, "1.29.3",
    )  # fmt: skip
    assert report.latest_patch is None
    assert report.flags == (Flag.OUTDATED,)  # behind the latest: not "ahead of the catalogue"


@pytest.mark.parametrize(
    ("role", "raw", "head"),
    [
        (Role.KUBELET, "v1.16.15-eks-ad4801", "kubernetes kubelet 1.16.15 is 13 minor releases"),
        (Role.CONTROL_PLANE, "v1.24.0", "kubernetes 1.24.0 is 5 minor releases"),
    ],
)
def test_older_than_partial_catalogue_counts_are_lower_bounds(
    real_releases: dict[str, list[Release]], role: Role, raw: str, head: str
) -> None:
    """The real kubernetes list starts at v1.26.12 (2023-12-20): counts are lower bounds."""
    report = _kube(real_releases, role, raw)
    assert (report.releases_behind, report.days_behind) == (16, 993)  # every stable release
    assert report.findings[0].message == (
        f"{head} behind 1.29.3; outdated for at least 993 days; at least 16 releases behind "
        "(the catalogue's oldest release is 1.26.12)"
    )
    assert report.findings[0].severity is Severity.CRITICAL


def test_counts_are_exact_from_the_oldest_known_release_on(
    real_releases: dict[str, list[Release]],
) -> None:
    report = _kube(real_releases, Role.CONTROL_PLANE, "v1.26.12")
    assert "at least" not in report.findings[0].message
    assert report.releases_behind == 15


def test_patch_behind_in_partial_catalogue_says_at_least(make_release: MakeRelease) -> None:
    releases = [make_release("v2.4.0"), make_release("v2.4.1", "2024-02-01T00:00:00Z")]
    entries = {"thing": CatalogueEntry("thing", "Thing", "acme/thing", ())}
    running = Component("thing", Role.ADDON, "2.3.9", "acme/thing")
    [report] = evaluate("c", [running], entries, {"acme/thing": releases}, TODAY)
    assert report.findings[0].message == (
        "thing 2.3.9 is 1 minor release behind 2.4.1; outdated for at least 974 days; "
        "at least 2 releases behind (the catalogue's oldest release is 2.4.0)"
    )
    [patch] = evaluate(
        "c", [Component("thing", Role.ADDON, "2.4.0-rc.1", "acme/thing")], entries,
        {"acme/thing": releases[1:]}, TODAY,
    )  # fmt: skip
    assert patch.findings[0].message.startswith(
        "thing 2.4.0-rc.1 is at least 1 patch release behind 2.4.1"
    )


# ----------------------------------------------------------------- tags that are not pinned


def test_floating_major_tag_is_unknown_not_outdated(
    real_entries: dict[str, CatalogueEntry], real_releases: dict[str, list[Release]]
) -> None:
    """prom/prometheus:v3 runs the newest 3.x (3.14.0): never "3.0.0, 14 minors behind"."""
    running = Component("prometheus", Role.ADDON, "v3", "prometheus/prometheus", image="x:v3")
    [report] = evaluate("c", [running], real_entries, real_releases, TODAY)
    assert (report.status, report.current, report.behind) == (Status.UNKNOWN, None, None)
    assert report.flags == (Flag.UNKNOWN_VERSION,)
    [finding] = report.findings
    assert finding.severity is Severity.WARNING
    assert "floating major tag 'v3': tracks the newest 3.x" in finding.message


# ------------------------------------------------------------- image_tag_pattern applied once


def test_etcd_image_tag_goes_raw_through_identify_and_is_parsed_once(
    make_release: MakeRelease,
) -> None:
    catalogue = load_catalogue()
    pod = Pod(
        "kube-system",
        "etcd-cp1",
        Workload("StaticPod", "etcd", "kube-system"),
        (Container("etcd", ImageReference.parse("registry.k8s.io/etcd:3.5.10-0")),),
        node_name="cp1",
    )
    inventory = Inventory("c", Source.DUMP, datetime(2024, 1, 1, tzinfo=UTC), None, (), (pod,))
    [etcd] = identify(inventory, catalogue).components
    assert (etcd.component, etcd.raw_version) == ("etcd", "3.5.10-0")  # the tag as found
    releases = {
        "etcd-io/etcd": [
            make_release(t, project="etcd-io/etcd") for t in ("v3.5.10", "v3.5.11", "v3.6.0")
        ]
    }
    [report] = evaluate("c", [etcd], catalogue, releases, TODAY)
    assert (report.current, report.latest, report.latest_patch, report.behind) == (
        "3.5.10",
        "3.6.0",
        "3.5.11",
        Behind.MINOR,
    )
