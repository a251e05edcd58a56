"""tracker.evaluate.stream: vendor builds, version shapes, tag prefixes and partial catalogues
(issue 9 items 2, 3 and 8), on real release lists where there is one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from tracker.evaluate import evaluate
from tracker.evaluate.stream import build_stream, place
from tracker.models import Behind, CatalogueEntry, Component, Flag, Release, Role, Status
from tracker.versions import ParsedVersion, parse_version

MakeRelease = Callable[..., Release]
TODAY = date(2026, 8, 1)
DEFAULT = r"^v?(?P<version>\d.*)$"
# The built-in Prometheus rule at main 2084c04: real releases, no v0.3xx Go-module twins.
PROMETHEUS_RULE = (
    r"^(?:v(?=[1-9])|(?=0\.))(?P<version>\d+\.\d+\.\d+(?:-?(?:alpha|beta|rc)\.?\d+)?)$"
)


def version(raw: str) -> ParsedVersion:
    parsed = parse_version(raw)
    assert isinstance(parsed, ParsedVersion), parsed
    return parsed


def component(raw: str, project: str = "acme/thing", cid: str = "thing") -> Component:
    return Component(cid, Role.ADDON, raw, project, image=f"example.org/{cid}:{raw}")


# --- partial catalogue (issue 9 §8) -------------------------------------------------------


def first_sync(releases: list[Release], last_tag: str) -> list[Release]:
    """What a first sync stores when it pages back (newest first) down to ``last_tag``."""
    tags = [r.tag for r in releases]
    return releases[: tags.index(last_tag) + 1]


def test_partial_first_sync_marks_prometheus_2_11_partial(
    real_releases: dict[str, list[Release]],
) -> None:
    """The stored list stops at 2.16 (2020) but holds the Go-module twin v1.99.0 (2022):
    2.11.0 is older than everything the sync reached, so the counts are lower bounds."""
    full = real_releases["prometheus/prometheus"]
    partial = first_sync(full, "v2.16.0-rc.0")
    assert "v1.99.0" in {r.tag for r in partial}
    assert not {"v2.11.0", "v2.15.2"} & {r.tag for r in partial}
    entry = CatalogueEntry(
        "prometheus", "Prometheus", "prometheus/prometheus", ("prom/prometheus",),
        tag_pattern=PROMETHEUS_RULE,
    )  # fmt: skip
    running = component("v2.11.0", "prometheus/prometheus", "prometheus")
    [report] = evaluate(
        "c", [running], {"prometheus": entry}, {"prometheus/prometheus": partial}, TODAY
    )
    assert Flag.PARTIAL_CATALOGUE in report.flags
    assert report.status is Status.OUTDATED
    partial_finding = next(f for f in report.findings if f.kind is Flag.PARTIAL_CATALOGUE)
    assert "oldest 2.16.0" in partial_finding.message
    outdated = next(f for f in report.findings if f.kind is Flag.OUTDATED)
    assert "at least" in outdated.message

    # With the whole list the same version is counted exactly (2.11.1 and 2.11.2 are known).
    [whole] = evaluate(
        "c", [running], {"prometheus": entry}, {"prometheus/prometheus": full}, TODAY
    )
    assert Flag.PARTIAL_CATALOGUE not in whole.flags
    assert whole.latest_patch == "2.11.2"
    # A version the partial list does reach (its own line is stored) is exact too.
    [reached] = evaluate(
        "c",
        [component("v2.16.0", "prometheus/prometheus", "prometheus")],
        {"prometheus": entry},
        {"prometheus/prometheus": partial},
        TODAY,
    )
    assert Flag.PARTIAL_CATALOGUE not in reached.flags


def test_backport_published_late_is_no_proof_of_reach(make_release: MakeRelease) -> None:
    """A lower release published after the first newer one (a backport) does not show
    that the stored list reaches back; one published before it does."""
    releases = [
        make_release("v1.27.12", "2024-03-15T00:00:00Z"),
        make_release("v1.28.6", "2024-02-14T00:00:00Z"),
        make_release("v1.29.1", "2024-01-17T00:00:00Z"),
    ]
    stream = build_stream("acme/thing", DEFAULT, releases)
    facts = place(component("v1.28.3"), version("v1.28.3"), "acme/thing", stream, None, TODAY)
    assert facts.oldest_known is not None
    assert facts.oldest_known.release.tag == "v1.28.6"
    earlier = [*releases, make_release("v1.26.9", "2023-09-13T00:00:00Z")]
    stream = build_stream("acme/thing", DEFAULT, earlier)
    facts = place(component("v1.28.3"), version("v1.28.3"), "acme/thing", stream, None, TODAY)
    assert facts.oldest_known is None


# --- vendor builds (issue 9 §2) -------------------------------------------------------------


def test_newer_k3s_build_is_behind_build(make_release: MakeRelease) -> None:
    releases = [
        make_release("v1.30.2+k3s1", "2024-06-25T00:00:00Z", project="k3s-io/k3s"),
        make_release("v1.30.2+k3s2", "2024-07-10T00:00:00Z", project="k3s-io/k3s"),
    ]
    running = [component(raw, "k3s-io/k3s", "k3s") for raw in ("v1.30.2_k3s1", "v1.30.2-k3s2")]
    old, new = evaluate("c", running, {}, {"k3s-io/k3s": releases}, TODAY)
    assert (old.status, old.behind, old.releases_behind) == (Status.OUTDATED, Behind.BUILD, 1)
    assert Flag.OUTDATED in old.flags
    assert (old.current, old.latest) == ("1.30.2+k3s1", "1.30.2+k3s2")  # the builds are named
    assert old.findings[0].message.startswith("k3s 1.30.2+k3s1 is 1 release behind 1.30.2+k3s2")
    assert (new.status, new.behind, new.releases_behind) == (Status.UP_TO_DATE, None, 0)


def test_revision_and_eksbuild_order(make_release: MakeRelease) -> None:
    for older, newer in (("2.45.0-debian-12-r9", "2.45.0-debian-12-r12"),
                         ("v6.3.0-eksbuild.1", "v6.3.0-eksbuild.2")):  # fmt: skip
        stream = build_stream("acme/thing", DEFAULT, [make_release(older), make_release(newer)])
        assert [r.release.tag for r in stream.releases] == [older, newer]
        facts = place(component(older), version(older), "acme/thing", stream, None, TODAY)
        assert (facts.behind, facts.releases_behind) == (Behind.BUILD, 1)


def test_build_of_an_upstream_version_compares_by_upstream_version(
    real_releases: dict[str, list[Release]], real_entries: dict[str, CatalogueEntry]
) -> None:
    """Unordered vendor builds and builds of another family compare by upstream version."""
    running = [
        Component("kubernetes", Role.CONTROL_PLANE, raw, "kubernetes/kubernetes")
        for raw in ("v1.29.3+k3s1", "v1.29.3-eks-ab12cd3", "v1.29.3-gke.1701")
    ]
    reports = evaluate("c", running, real_entries, real_releases, TODAY)
    assert [(r.current, r.status, r.behind) for r in reports] == [
        ("1.29.3", Status.UP_TO_DATE, None)
    ] * 3


def test_higher_versions_with_several_builds_count_once(make_release: MakeRelease) -> None:
    releases = [make_release("12.4.3"), make_release("12.4.4"), make_release("12.4.4+security-01")]
    stream = build_stream("acme/thing", DEFAULT, releases)
    facts = place(component("12.4.3"), version("12.4.3"), "acme/thing", stream, None, TODAY)
    assert (facts.behind, facts.releases_behind) == (Behind.PATCH, 1)


# --- shapes, pre-releases, prefixes (issue 9 §3) ------------------------------------------------


def test_other_shapes_never_outrank_the_stream(make_release: MakeRelease) -> None:
    releases = [
        make_release(tag)
        for tag in ("v4.2.2", "v4.2.3", "v4.2.3.1", "v5.0.0", "v5.1.1", "v1000.1.0", "2024.01")
    ]
    stream = build_stream("acme/thing", DEFAULT, releases)
    assert stream.releases[-1].release.tag == "v5.1.1"
    assert {tag for tag, _ in stream.skipped} == {"v4.2.3.1", "v1000.1.0", "2024.01"}
    assert (
        dict(stream.skipped)["v1000.1.0"] == "calendar version among semver releases: not compared"
    )
    facts = place(component("v4.2.3"), version("v4.2.3"), "acme/thing", stream, None, TODAY)
    assert facts.latest is not None and facts.latest.release.tag == "v5.1.1"


def test_git_describe_build_is_a_prerelease_after_its_release(make_release: MakeRelease) -> None:
    releases = [make_release("v2.9.1"), make_release("v2.9.2"), make_release("v2.10.0")]
    stream = build_stream("acme/thing", DEFAULT, releases)
    running = version("2.9.1-14-gdeadbee")
    facts = place(component("2.9.1-14-gdeadbee"), running, "acme/thing", stream, None, TODAY)
    assert running.is_prerelease
    assert facts.latest is not None and facts.latest.release.tag == "v2.10.0"
    assert facts.latest_patch is not None and facts.latest_patch.release.tag == "v2.9.2"
    assert facts.releases_behind == 2  # 2.9.2 and 2.10.0; never "behind 2.9.1"


def test_running_tag_prefix_picks_the_stream(make_release: MakeRelease) -> None:
    releases = [
        make_release(tag, project="acme/db")
        for tag in ("rel-3.1.3", "rel-3.1.4", "rel-3.2.0", "v9.9.9", "nightly-4.0.0")
    ]
    running = Component("db", Role.ADDON, "rel-3.1.4", "acme/db", image="acme/db:rel-3.1.4")
    [report] = evaluate("c", [running], {}, {"acme/db": releases}, TODAY)
    assert (report.current, report.latest, report.behind) == ("3.1.4", "3.2.0", Behind.MINOR)
    # A tag rule in the catalogue entry still decides when there is one.
    entry = CatalogueEntry("db", "db", "acme/db", ("acme/db",), tag_pattern=r"^v(?P<version>.+)$")
    [ruled] = evaluate("c", [running], {"db": entry}, {"acme/db": releases}, TODAY)
    assert ruled.latest == "9.9.9"
