"""tracker.versions: the one normalizer, checked rule by rule and against every real tag."""

from __future__ import annotations

import doctest
import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from tracker.errors import IdentifyError
from tracker.models import ImageReference
from tracker.versions import (
    ParsedVersion,
    Unparsed,
    newer_build,
    parse_tag,
    parse_version,
    tag_prefix,
)

DEFAULT_PATTERN = r"^v?(?P<version>\d.*)$"


def parsed(raw: str) -> ParsedVersion:
    result = parse_version(raw)
    assert isinstance(result, ParsedVersion), result
    return result


def unparsed(raw: str) -> Unparsed:
    result = parse_version(raw)
    assert isinstance(result, Unparsed), result
    return result


# raw -> (normalized, comparable packaging version, build, variant, is_prerelease)
KNOWN: dict[str, tuple[str, str, str | None, str | None, bool]] = {
    # plain, v-prefixed and two-part (one-part tags float: see NOT_VERSIONS)
    "1.29.3": ("1.29.3", "1.29.3", None, None, False),
    "v1.29.3": ("1.29.3", "1.29.3", None, None, False),
    "V1.29.3": ("1.29.3", "1.29.3", None, None, False),
    "0.6": ("0.6", "0.6", None, None, False),
    "1.4": ("1.4", "1.4", None, None, False),
    "v1.1": ("1.1", "1.1", None, None, False),
    # distribution builds (kubelet/gitVersion strings and vendor images)
    "v1.28.3-eks-ab12cd3": ("1.28.3", "1.28.3", "eks-ab12cd3", None, False),
    "v1.16.13-eks-ec92d4": ("1.16.13", "1.16.13", "eks-ec92d4", None, False),
    "v1.16.15-eks-ad4801": ("1.16.15", "1.16.15", "eks-ad4801", None, False),
    "v1.27.8-gke.1067004": ("1.27.8", "1.27.8", "gke.1067004", None, False),
    "v1.18.19-gke.1701": ("1.18.19", "1.18.19", "gke.1701", None, False),
    "1.15.16-gke.0": ("1.15.16", "1.15.16", "gke.0", None, False),
    "v3.8.8-1-gke.2-amd64": ("3.8.8", "3.8.8", "1-gke.2", "amd64", False),
    "v1.26.6+k3s1": ("1.26.6", "1.26.6", "k3s1", None, False),
    "v1.29.6+k3s1": ("1.29.6", "1.29.6", "k3s1", None, False),
    "v1.25.9+rke2r1": ("1.25.9", "1.25.9", "rke2r1", None, False),
    "v1.27.3-aks-20230601": ("1.27.3", "1.27.3", "aks-20230601", None, False),
    "1.18.10-do.2": ("1.18.10", "1.18.10", "do.2", None, False),
    "v0.0.22-kind.0": ("0.0.22", "0.0.22", "kind.0", None, False),
    # image revisions
    "3.5.3-0": ("3.5.3", "3.5.3", "0", None, False),
    "8.0-146": ("8.0", "8.0", "146", None, False),
    # image variants are not pre-releases
    "1.11.1-alpine": ("1.11.1", "1.11.1", None, "alpine", False),
    "v0.34.1-alpine": ("0.34.1", "0.34.1", None, "alpine", False),
    "v2.45.0-debian-12-r3": ("2.45.0", "2.45.0", "r3", "debian-12", False),
    "1.2.3-distroless": ("1.2.3", "1.2.3", None, "distroless", False),
    "1.2.3-ubi": ("1.2.3", "1.2.3", None, "ubi", False),
    "1.2.3-ubi8": ("1.2.3", "1.2.3", None, "ubi8", False),
    "1.2.3-amd64": ("1.2.3", "1.2.3", None, "amd64", False),
    "1.2.3-arm64": ("1.2.3", "1.2.3", None, "arm64", False),
    "alpine-v12.6.0": ("12.6.0", "12.6.0", None, "alpine", False),
    "1.2.3-fips": ("1.2.3", "1.2.3", None, "fips", False),
    # semver pre-releases, in every spelling found upstream
    "v1.30.0-beta.0": ("1.30.0-beta.0", "1.30.0b0", None, None, True),
    "v1.30.0-alpha.3": ("1.30.0-alpha.3", "1.30.0a3", None, None, True),
    "1.2.0-rc.1": ("1.2.0-rc.1", "1.2.0rc1", None, None, True),
    "1.2.0-beta.2": ("1.2.0-beta.2", "1.2.0b2", None, None, True),
    "1.2.0-alpha": ("1.2.0-alpha", "1.2.0a0", None, None, True),
    "v2.36.0-rc0": ("2.36.0-rc.0", "2.36.0rc0", None, None, True),
    "v2.35.0-rc1": ("2.35.0-rc.1", "2.35.0rc1", None, None, True),
    "0.13.0rc2": ("0.13.0-rc.2", "0.13.0rc2", None, None, True),
    "1.15-beta.0": ("1.15-beta.0", "1.15b0", None, None, True),
    "v0.15-alpha.3": ("0.15-alpha.3", "0.15a3", None, None, True),
    "1.1.0.snapshot.0": ("1.1.0-snapshot.0", "1.1.0.dev0", None, None, True),
    "1.1.0-snapshot.6": ("1.1.0-snapshot.6", "1.1.0.dev6", None, None, True),
    "1.0.0-snapshot.0": ("1.0.0-snapshot.0", "1.0.0.dev0", None, None, True),
    "1.2.3-rc.1-alpine": ("1.2.3-rc.1", "1.2.3rc1", None, "alpine", True),
    # vendor rebuild tags read as their upstream version (issue 9 item 2): build hash, date
    # stamp, bare rebuild counter, EKS add-on builds, EKS-D releases, OCI `_` for `+`
    "2.4.1-5f2c9a1e": ("2.4.1", "2.4.1", "5f2c9a1e", None, False),
    "v1.29.4-240611": ("1.29.4", "1.29.4", "240611", None, False),
    "v1.10.1-7": ("1.10.1", "1.10.1", "7", None, False),
    "v6.3.0-eksbuild.4": ("6.3.0", "6.3.0", "eksbuild.4", None, False),
    "v1.25.8-eks-1-25-8": ("1.25.8", "1.25.8", "eks-1-25-8", None, False),
    "v1.30.2_k3s1": ("1.30.2", "1.30.2", "k3s1", None, False),
    "v2.8.3-distroless": ("2.8.3", "2.8.3", None, "distroless", False),
    # postgres REL_16_1 (the tag rule captures 16_1): `_` between numbers is a dot
    "16_1": ("16.1", "16.1", None, None, False),
    "9_6_24": ("9.6.24", "9.6.24", None, None, False),
    # every spelling of a pre-release (issue 9 item 3): PEP 440 letters
    "2.4.0b3": ("2.4.0-beta.3", "2.4.0b3", None, None, True),
    "0.9.1a2": ("0.9.1-alpha.2", "0.9.1a2", None, None, True),
    "1.0.0rc1": ("1.0.0-rc.1", "1.0.0rc1", None, None, True),
    # Maven milestones and snapshots, also after a revision
    "3.1.0-M1": ("3.1.0-M1", "3.1.0b1", None, None, True),
    "3.1.0-SNAPSHOT": ("3.1.0-snapshot", "3.1.0.dev0", None, None, True),
    "3.1.0-1-SNAPSHOT": ("3.1.0-snapshot", "3.1.0.dev0", "1", None, True),
    "3.1.0-M2-SNAPSHOT": ("3.1.0-M2-snapshot", "3.1.0b2.dev0", None, None, True),
    # early access, nightlies, dev and pre builds
    "17.0.1-ea": ("17.0.1-ea", "17.0.1.dev0", None, None, True),
    "0.9.0-nightly.20240301": ("0.9.0-nightly.20240301", "0.9.0.dev20240301", None, None, True),
    "1.2.3-dev": ("1.2.3-dev", "1.2.3.dev0", None, None, True),
    "1.2.3-pre": ("1.2.3-pre", "1.2.3rc0", None, None, True),
    # a git-describe tail is a development build after the release, in any separator
    "2.9.1-14-gdeadbee": ("2.9.1-14-gdeadbee", "2.9.1.post14.dev0", None, None, True),
    "v2.9.1.14.gdeadbee": ("2.9.1-14-gdeadbee", "2.9.1.post14.dev0", None, None, True),
    "2.9.1_14_gdeadbee": ("2.9.1-14-gdeadbee", "2.9.1.post14.dev0", None, None, True),
    "v1.2.0-rc.1-3-g1234567": ("1.2.0-rc.1-3-g1234567", "1.2.0rc1.post3.dev0", None, None, True),
    # build metadata is kept out of ordering
    "v2.43.0+stringlabels": ("2.43.0", "2.43.0", "stringlabels", None, False),
    "v2.54.0-rc.0+dedupelabels": ("2.54.0-rc.0", "2.54.0rc0", "dedupelabels", None, True),
    "v12.4.3+security-02": ("12.4.3", "12.4.3", "security-02", None, False),
}


@pytest.mark.parametrize("raw", sorted(KNOWN))
def test_known_versions(raw: str) -> None:
    normalized, comparable, build, variant, pre = KNOWN[raw]
    result = parsed(raw)
    assert result.raw == raw
    assert result.normalized == normalized
    assert result.version == Version(comparable)
    assert (result.build, result.variant, result.is_prerelease) == (build, variant, pre)


# raw -> (reason, floating)
NOT_VERSIONS: dict[str, tuple[str, bool]] = {
    "": ("no version (digest-only or untagged image)", False),
    "   ": ("no version (digest-only or untagged image)", False),
    "latest": ("floating tag 'latest'", True),
    "main": ("floating tag 'main'", True),
    "master": ("floating tag 'master'", True),
    "stable": ("floating tag 'stable'", True),
    "edge": ("floating tag 'edge'", True),
    "alpine": ("floating tag 'alpine'", True),
    "stable-alpine": ("floating tag 'stable-alpine'", True),
    # one-part tags (redis:7, node:20-alpine) move with every release of that major
    "2": ("floating major tag '2': tracks the newest 2.x", True),
    "7": ("floating major tag '7': tracks the newest 7.x", True),
    "v1": ("floating major tag 'v1': tracks the newest 1.x", True),
    "20-alpine": ("floating major tag '20-alpine': tracks the newest 20.x", True),
    "732704f18e34ba469df34b10c3b2465e0469d484": ("git commit SHA, not a version", False),
    "4929dd75": ("git commit SHA, not a version", False),
    "abc1234": ("git commit SHA, not a version", False),
    "20171114-r3": ("date-stamped build tag, not a version", False),
    "v20220510-4929dd75": ("date-stamped build tag, not a version", False),
    "v20220512-507ff70b": ("date-stamped build tag, not a version", False),
    "RELEASE.2017-12-28T01-21-00Z": ("date-stamped release tag, not a version", False),
    "2024-01-15": ("date-stamped release tag, not a version", False),
    "1067004": ("bare build number, not a version", False),
    "v2.35.0-retract": ("retraction tag (withdrawn Go module version), not a release", False),
    "v1.99.0-retract": ("retraction tag (withdrawn Go module version), not a release", False),
    "controller-v1.9.4": ("not a version: 'controller-v1.9.4' does not start with a number", False),
    "deadbeef": ("not a version: 'deadbeef' does not start with a number", False),
}


@pytest.mark.parametrize("raw", sorted(NOT_VERSIONS))
def test_not_versions(raw: str) -> None:
    reason, floating = NOT_VERSIONS[raw]
    result = unparsed(raw)
    assert result == Unparsed(raw, reason, floating)


def test_vendor_builds_compare_equal_to_upstream() -> None:
    assert parsed("v1.16.13-eks-ec92d4").version == parsed("v1.16.13").version
    assert parsed("v1.18.19-gke.1701").version == parsed("1.18.19").version
    assert parsed("v1.29.6+k3s1").version > parsed("v1.29.3").version
    assert parsed("v3.8.8-1-gke.2-amd64").version == parsed("v3.8.8-1-gke.0-amd64").version


def test_prerelease_order() -> None:
    order = [
        "1.1.0.snapshot.0",
        "1.1.0-snapshot.6",
        "1.1.0-alpha.0",
        "1.1.0-beta.2",
        "1.1.0-rc.0",
        "1.1.0-rc.6",
        "1.1.0",
        "1.1.1",
    ]
    versions = [parsed(raw).version for raw in order]
    assert versions == sorted(versions)
    assert len(set(versions)) == len(versions)


def test_newer_build_or_revision_of_one_version_compares_higher() -> None:
    pairs = [
        ("v1.30.2+k3s1", "v1.30.2+k3s2"),
        ("v1.30.2_k3s1", "v1.30.2+k3s2"),  # OCI spelling against the release tag
        ("v1.29.6+rke2r1", "v1.29.6+rke2r2"),
        ("2.45.0-debian-12-r9", "2.45.0-debian-12-r12"),  # numerically, not as text
        ("v6.3.0-eksbuild.1", "v6.3.0-eksbuild.2"),
        ("v1.10.1-7", "v1.10.1-8"),
        ("v1.25.8-eks-1-25-7", "v1.25.8-eks-1-25-8"),
    ]
    for old, new in pairs:
        assert newer_build(parsed(new), parsed(old)), (old, new)
        assert not newer_build(parsed(old), parsed(new)), (old, new)
        assert parsed(old).version == parsed(new).version  # the upstream version is one
    # builds of another family, hash builds and the plain release never order
    assert not newer_build(parsed("v1.30.2+rke2r2"), parsed("v1.30.2+k3s1"))
    assert not newer_build(parsed("v1.16.13-eks-ec92d4"), parsed("v1.16.13-eks-ab12cd"))
    assert not newer_build(parsed("v1.30.2"), parsed("v1.30.2+k3s1"))
    assert not newer_build(parsed("v1.30.3+k3s1"), parsed("v1.30.2+k3s1"))  # a newer version
    assert parsed("2.45.0-debian-12-r12").with_build == "2.45.0+r12"


def test_prerelease_spellings_order_before_their_release() -> None:
    order = ["3.1.0-SNAPSHOT", "3.1.0-alpha.1", "3.1.0-M1", "3.1.0-rc.1", "3.1.0"]
    versions = [parsed(raw).version for raw in order]
    assert versions == sorted(versions)
    describe = parsed("2.9.1-14-gdeadbee").version
    assert parsed("2.9.1").version < describe < parsed("2.9.2").version
    assert parsed("2.9.1-15-gcafe123").version > describe
    assert describe.release == (2, 9, 1)  # never a fourth release number


def test_shapes() -> None:
    assert [parsed(t).shape for t in ("0.6", "1.29.3", "v4.2.3.1", "2024.01.15")] == [
        "semver",
        "semver",
        "4-part",
        "calendar",
    ]


def test_tag_prefix_of_running_tags() -> None:
    assert tag_prefix("rel-3.1.4") == "rel-"
    assert tag_prefix("REL_16_1") == "REL_"
    assert tag_prefix("controller-v1.9.4") == "controller-v"
    assert [tag_prefix(t) for t in ("v1.2.3", "3.1.4", "alpine-v12.6.0", "stable-alpine")] == [
        None
    ] * 4


def test_two_part_version_line_and_parts() -> None:
    polaris = parsed("0.6")
    assert polaris.line == (0, 6)
    assert (polaris.major, polaris.minor) == (0, 6)
    assert parsed("1.15-beta.0").version == parsed("1.15.0-beta.0").version


def test_normalized_for_hand_built_versions() -> None:
    """A ParsedVersion built without pre_display still shows the semver form."""
    assert ParsedVersion("x", Version("1.30.0b0")).normalized == "1.30.0-beta.0"
    assert ParsedVersion("x", Version("1.2.0rc3")).normalized == "1.2.0-rc.3"
    assert ParsedVersion("x", Version("1.2.0a1")).normalized == "1.2.0-alpha.1"
    assert ParsedVersion("x", Version("1.1.0.dev2")).normalized == "1.1.0-dev.2"


# --- parse_tag --------------------------------------------------------------------------


def test_parse_tag_selects_the_stream() -> None:
    controller = r"^controller-v(?P<version>.+)$"
    assert parsed_tag("controller-v1.9.4", controller).normalized == "1.9.4"
    assert parse_tag("helm-chart-4.8.3", controller) is None
    assert parse_tag("cmd/ctl/v1.12.0", DEFAULT_PATTERN) is None
    assert parse_tag("all-tests-pass", DEFAULT_PATTERN) is None
    assert parse_tag("tags/v2.54.0+dedupelabels", DEFAULT_PATTERN) is None
    assert parsed_tag("1.20.1", DEFAULT_PATTERN).normalized == "1.20.1"


def test_parse_tag_keeps_non_releases_inside_the_stream_as_unparsed() -> None:
    result = parse_tag("v2.35.0-retract", DEFAULT_PATTERN)
    assert isinstance(result, Unparsed)
    assert "retraction" in result.reason


def test_parse_tag_pattern_excluding_go_module_twins() -> None:
    no_twins = r"^v(?P<version>[1-9]\d*\..+)$"
    assert parse_tag("v0.300.0", no_twins) is None
    assert parsed_tag("v3.0.0", no_twins).normalized == "3.0.0"


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [("^v(?P<version>", "not a valid regular expression"), (r"^v(\d.*)$", "no named group")],
)
def test_parse_tag_bad_pattern_raises_identify_error(pattern: str, fragment: str) -> None:
    with pytest.raises(IdentifyError) as caught:
        parse_tag("v1.2.3", pattern)
    assert fragment in caught.value.message
    assert pattern in caught.value.message
    assert caught.value.hint


def parsed_tag(tag: str, pattern: str) -> ParsedVersion:
    result = parse_tag(tag, pattern)
    assert isinstance(result, ParsedVersion), result
    return result


# --- every real tag and version string ---------------------------------------------------


def _release_items(realdata: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted((realdata / "releases").glob("*.json")):
        for item in json.loads(path.read_text(encoding="utf-8")):
            yield path.stem, item


def test_every_real_release_tag(realdata: Path) -> None:
    """No tag raises; every outcome is one of three; pre-release flags agree with the files."""
    outcomes: dict[str, int] = {"parsed": 0, "unparsed": 0, "outside": 0}
    disagreements = []
    for project, item in _release_items(realdata):
        tag = item["tag_name"]
        result = parse_tag(tag, DEFAULT_PATTERN)
        if result is None:
            outcomes["outside"] += 1
        elif isinstance(result, Unparsed):
            outcomes["unparsed"] += 1
        else:
            outcomes["parsed"] += 1
            if result.is_prerelease != item["prerelease"]:
                disagreements.append((project, tag))
        assert isinstance(parse_version(tag), ParsedVersion | Unparsed)
    # 20 + 456 + 297 + 550 + 593 = 1916 tags. Outside the stream: 37 cert-manager
    # cmd/ctl/…, prometheus tags/v2.54.0+dedupelabels and its 4 words (dev, checkout,
    # all-tests-pass, discovery-handle-discoverer-updates). Inside but not releases: the
    # two prometheus -retract tags.
    assert outcomes == {"parsed": 1872, "unparsed": 2, "outside": 42}
    assert disagreements == []


def test_real_release_tags_sort_by_version_not_list_order(realdata: Path) -> None:
    items = json.loads((realdata / "releases" / "kubernetes__kubernetes.json").read_text())
    tags = [item["tag_name"] for item in items]
    assert tags.index("v1.28.8") < tags.index("v1.29.3")  # the list is not in version order
    ordered = sorted(tags, key=lambda t: parsed(t).version)
    assert ordered[-5:] == [
        "v1.29.3",
        "v1.30.0-alpha.1",
        "v1.30.0-alpha.2",
        "v1.30.0-alpha.3",
        "v1.30.0-beta.0",
    ]


def _strings(node: Any) -> Iterator[tuple[str, str]]:
    """(key, value) for image references and version strings anywhere in a k8s object."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("image", "kubeletVersion", "kubeProxyVersion", "gitVersion") and isinstance(
                value, str
            ):
                yield key, value
            elif key == "names" and isinstance(value, list):  # node.status.images[].names
                yield from (("image", v) for v in value if isinstance(v, str))
            else:
                yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _real_version_strings(realdata: Path) -> dict[str, str]:
    """raw version string -> where it came from, over pods/, nodes/ and version/."""
    found: dict[str, str] = {}
    for folder in ("pods", "nodes", "version"):
        for path in sorted((realdata / folder).iterdir()):
            text = path.read_text(encoding="utf-8")
            docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
            for key, value in _strings(docs):
                if key == "image":
                    ref = ImageReference.parse(value)
                    found.setdefault(ref.tag or "", value)
                else:
                    found.setdefault(value, f"{path.name}:{key}")
    return found


# Specific results on the real pod/node/version strings (normalized or Unparsed reason).
REAL_EXPECTED = {
    "1.12.1": "1.12.1",
    "v2.11.0": "2.11.0",
    "v2.11.1": "2.11.1",
    "v0.10.1": "0.10.1",
    "0.6": "0.6",
    "v0.3.6": "0.3.6",
    "1.15.16-gke.0": "1.15.16",
    "v3.8.8-1-gke.2-amd64": "3.8.8",
    "v3.8.8-1-gke.0-amd64": "3.8.8",
    "v1.18.19-gke.1701": "1.18.19",
    "v1.16.13-eks-ec92d4": "1.16.13",
    "v1.16.15-eks-ad4801": "1.16.15",
    "v1.29.6+k3s1": "1.29.6",
    "v1.18.10": "1.18.10",
    "v1.24.0": "1.24.0",
    "alpine-v12.6.0": "12.6.0",
    "v0.34.1-alpine": "0.34.1",
    "v0.0.22-kind.0": "0.0.22",
    "3.5.3-0": "3.5.3",
    "8.0-146": "8.0",
    "v1.1": "1.1",
    "": "no version (digest-only or untagged image)",
    "latest": "floating tag 'latest'",
    "alpine": "floating tag 'alpine'",
    "20171114-r3": "date-stamped build tag, not a version",
    "v20220510-4929dd75": "date-stamped build tag, not a version",
    "v20220512-507ff70b": "date-stamped build tag, not a version",
    "RELEASE.2017-12-28T01-21-00Z": "date-stamped release tag, not a version",
    "732704f18e34ba469df34b10c3b2465e0469d484": "git commit SHA, not a version",
}


def test_every_real_version_string(realdata: Path) -> None:
    found = _real_version_strings(realdata)
    assert len(found) >= 80
    outcomes = {}
    for raw in found:
        result = parse_version(raw)
        outcomes[raw] = result.normalized if isinstance(result, ParsedVersion) else result.reason
        if isinstance(result, ParsedVersion):
            assert not result.is_prerelease, raw  # no pre-release runs in these clusters
    assert {raw: outcomes[raw] for raw in REAL_EXPECTED} == REAL_EXPECTED
    # Every string that is not a version is one of the expected ones (none slips through).
    not_versions = {raw for raw in found if not isinstance(parse_version(raw), ParsedVersion)}
    assert not_versions == {raw for raw, value in REAL_EXPECTED.items() if not value[:1].isdigit()}


@pytest.mark.parametrize(
    ("module_name", "at_least"), [("tracker.versions", 30), ("tracker.evaluate.policy", 5)]
)
def test_docstring_examples(module_name: str, at_least: int) -> None:
    """The rule examples in the docstrings also run under a plain `pytest tests`."""
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted >= at_least


# --- untrusted text (design.md §5): the normalizer never raises ---------------------------

_TAG_ALPHABET = "0123456789abcdefgklmnprstvxABMRS.-_+"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_TAG_ALPHABET, max_size=40) | st.text(max_size=20))
def test_parse_version_never_raises_and_keeps_raw(raw: str) -> None:
    result = parse_version(raw)
    assert result.raw == raw
    if isinstance(result, ParsedVersion):
        assert result.normalized
        _ = (result.shape, result.build_rank, result.with_build, result.is_prerelease)
        tag_prefix(raw)


@settings(max_examples=200, deadline=None)
@given(st.from_regex(r"v?[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}", fullmatch=True),
       st.integers(0, 99), st.integers(0, 99))  # fmt: skip
def test_builds_order_by_number(release: str, a: int, b: int) -> None:
    older, newer = parsed(f"{release}+k3s{min(a, b)}"), parsed(f"{release}_k3s{max(a, b)}")
    assert newer_build(newer, older) == (a != b)


def test_date_version_through_an_explicit_tag_rule() -> None:
    """minio's real image tag (GKE pods): not a version alone, a calendar version when a
    tag rule names the date as the version."""
    minio = r"^RELEASE\.(?P<version>\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ)$"
    assert isinstance(parse_version("RELEASE.2017-12-28T01-21-00Z"), Unparsed)
    running = parsed_tag("RELEASE.2017-12-28T01-21-00Z", minio)
    assert (running.normalized, running.shape, running.is_prerelease) == (
        "2017-12-28T01:21:00Z",
        "calendar",
        False,
    )
    later_same_day = parsed_tag("RELEASE.2017-12-28T14-02-00Z", minio)
    next_year = parsed_tag("RELEASE.2018-01-02T23-07-00Z", minio)
    assert running.version < later_same_day.version < next_year.version
