"""Release streams: which tags belong, how duplicates merge, how a version is placed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from tracker.errors import IdentifyError
from tracker.evaluate.stream import build_stream, place
from tracker.models import Behind, Component, Release, Role
from tracker.versions import ParsedVersion, parse_version

DEFAULT = r"^v?(?P<version>\d.*)$"
MakeRelease = Callable[..., Release]


def version(raw: str) -> ParsedVersion:
    result = parse_version(raw)
    assert isinstance(result, ParsedVersion)
    return result


def test_real_prometheus_stream(real_releases: dict[str, list[Release]]) -> None:
    stream = build_stream("prometheus/prometheus", DEFAULT, real_releases["prometheus/prometheus"])
    tags = [r.release.tag for r in stream.releases]
    assert stream.skipped == (
        ("v1.99.0-retract", "retraction tag (withdrawn Go module version), not a release"),
        ("v2.35.0-retract", "retraction tag (withdrawn Go module version), not a release"),
    )
    assert "all-tests-pass" not in tags and "tags/v2.54.0+dedupelabels" not in tags
    # v2.43.0 and v2.43.0+stringlabels are one release, shown by the plain tag.
    assert tags.count("v2.43.0") == 1 and "v2.43.0+stringlabels" not in tags
    # v2.51.0 exists only with +dedupelabels besides the plain tag; v2.54.0 has both forms.
    versions = [r.version.version for r in stream.releases]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    assert tags[-1] == "v3.14.0"


def test_real_cert_manager_stream_leaves_out_cmd_ctl(
    real_releases: dict[str, list[Release]],
) -> None:
    stream = build_stream(
        "cert-manager/cert-manager", DEFAULT, real_releases["cert-manager/cert-manager"]
    )
    assert len(stream.releases) == 297 - 37
    assert not any(r.release.tag.startswith("cmd/") for r in stream.releases)
    assert stream.releases[-1].release.tag == "v1.21.1"


def test_duplicate_versions_merge_to_the_plain_tag_and_earliest_date(
    make_release: MakeRelease,
) -> None:
    stream = build_stream(
        "acme/thing",
        DEFAULT,
        [
            make_release("v2.43.0+stringlabels", "2023-03-20T00:00:00Z"),
            make_release("v2.43.0", "2023-03-21T00:00:00Z", url="https://example.test/v2.43.0"),
        ],
    )
    [merged] = stream.releases
    assert merged.release.tag == "v2.43.0"
    assert merged.url == "https://example.test/v2.43.0"
    assert merged.published_at == datetime(2023, 3, 20, tzinfo=UTC)


def test_merged_release_is_stable_when_any_of_its_tags_is(make_release: MakeRelease) -> None:
    """1.0.1 marked pre-release on GitHub and v1.0.1+build stable: 1.0.1 is a stable release."""
    stream = build_stream(
        "acme/thing",
        DEFAULT,
        [
            make_release("v1.0.0", "2024-01-01T00:00:00Z"),
            make_release("1.0.1", "2024-02-01T00:00:00Z", prerelease=True),
            make_release("v1.0.1+build", "2024-02-02T00:00:00Z", url="https://example.test/b"),
        ],
    )
    merged = stream.releases[-1]
    assert (merged.prerelease, merged.release.tag, merged.url) == (
        False,
        "v1.0.1+build",
        "https://example.test/b",
    )
    assert merged.published_at == datetime(2024, 2, 1, tzinfo=UTC)
    running = Component("thing", Role.ADDON, "1.0.0", "acme/thing")
    facts = place(running, version("1.0.0"), "acme/thing", stream, None, date(2024, 3, 1))
    assert facts.latest is not None and facts.latest.version.normalized == "1.0.1"
    assert (facts.behind, facts.releases_behind) == (Behind.PATCH, 1)


def test_merged_release_is_prerelease_when_all_its_tags_are(make_release: MakeRelease) -> None:
    stream = build_stream(
        "acme/thing",
        DEFAULT,
        [
            make_release("v1.0.0"),
            make_release("v1.0.1", prerelease=True),
            make_release("v1.0.1+build", prerelease=True),
        ],
    )
    assert [r.prerelease for r in stream.releases] == [False, True]


def test_github_prerelease_flag_is_respected(make_release: MakeRelease) -> None:
    stream = build_stream(
        "acme/thing", DEFAULT, [make_release("v1.0.0"), make_release("v1.1.0", prerelease=True)]
    )
    running = Component("thing", Role.ADDON, "1.0.0", "acme/thing")
    facts = place(running, version("1.0.0"), "acme/thing", stream, None, date(2024, 2, 1))
    assert facts.latest is not None and facts.latest.release.tag == "v1.0.0"
    assert (facts.behind, facts.releases_behind) == (None, 0)


def test_prereleases_of_other_lines_do_not_count(make_release: MakeRelease) -> None:
    stream = build_stream(
        "acme/thing",
        DEFAULT,
        [make_release("v1.2.0-rc.0"), make_release("v1.3.0-alpha.0"), make_release("v1.1.0")],
    )
    running = Component("thing", Role.ADDON, "1.2.0-beta.1", "acme/thing")
    facts = place(running, version("1.2.0-beta.1"), "acme/thing", stream, None, date(2024, 2, 1))
    assert facts.latest is not None and facts.latest.release.tag == "v1.2.0-rc.0"
    assert facts.latest_stable is not None and facts.latest_stable.release.tag == "v1.1.0"
    assert (facts.behind, facts.releases_behind) == (Behind.PATCH, 1)


def test_days_use_utc_dates_and_never_go_negative(make_release: MakeRelease) -> None:
    stream = build_stream(
        "acme/thing",
        DEFAULT,
        [
            make_release("v1.0.0", "2023-12-01T00:00:00Z"),
            # 23:30 in New York on 31 Dec is 1 Jan in UTC.
            make_release("v1.0.1", "2023-12-31T23:30:00-05:00"),
            make_release("v1.0.2", None),
        ],
    )
    running = Component("thing", Role.ADDON, "1.0.0", "acme/thing")

    def days(today: date) -> int | None:
        return place(running, version("1.0.0"), "acme/thing", stream, None, today).days_behind

    assert days(date(2024, 1, 11)) == 10
    assert days(date(2023, 12, 15)) == 0


def test_naive_dates_are_utc() -> None:
    naive = Release("acme/thing", "v1.0.1", datetime(2024, 1, 1, 12, 0))
    stream = build_stream("acme/thing", DEFAULT, [Release("acme/thing", "v1.0.0", None), naive])
    assert stream.releases[-1].published_at == datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def test_days_unknown_without_dates(make_release: MakeRelease) -> None:
    stream = build_stream(
        "acme/thing", DEFAULT, [make_release("v1.0.0", None), make_release("v1.0.1", None)]
    )
    running = Component("thing", Role.ADDON, "1.0.0", "acme/thing")
    facts = place(running, version("1.0.0"), "acme/thing", stream, None, date(2024, 2, 1))
    assert (facts.behind, facts.releases_behind, facts.days_behind) == (Behind.PATCH, 1, None)
    assert facts.latest is not None
    assert facts.latest.url == "https://github.com/acme/thing/releases/tag/v1.0.1"


def test_line_days_count_only_the_running_line(make_release: MakeRelease) -> None:
    stream = build_stream(
        "acme/thing",
        DEFAULT,
        [
            make_release("v1.4.0", "2024-01-01T00:00:00Z"),
            make_release("v1.5.0", "2024-02-01T00:00:00Z"),
            make_release("v1.4.1", "2024-03-01T00:00:00Z"),
        ],
    )
    running = Component("thing", Role.ADDON, "1.4.0", "acme/thing")
    facts = place(running, version("1.4.0"), "acme/thing", stream, None, date(2024, 3, 11))
    assert (facts.days_behind, facts.line_days_behind) == (39, 10)
    assert facts.latest_patch is not None and facts.latest_patch.release.tag == "v1.4.1"


def test_invalid_tag_pattern_raises_identify_error(make_release: MakeRelease) -> None:
    with pytest.raises(IdentifyError, match="no named group 'version'"):
        build_stream("acme/thing", r"^v(\d+)$", [make_release("v1")])
