"""Properties of the version normalizer (tracker.versions) on untrusted text.

Image tags, ``kubeletVersion``/``gitVersion`` and release tags reach ``parse_version`` from
clusters and upstreams unchecked: it must never raise, keep ``raw``, and normalizing must be
idempotent (the normalized form parses to the same version and prints the same).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.property.strategies import version_like, version_text
from tracker.errors import IdentifyError
from tracker.versions import ParsedVersion, Unparsed, parse_tag, parse_version

LONG_DIGITS = "1" * 5000 + ".0"  # a release part past Python's 4,300-digit int() limit


@given(version_text)
@example("")
@example("v1.29.6+k3s1")
@example("1.0.0-rc.1+build.5")
@example("\u0661.\u0662.\u0663")  # Arabic-Indic digits: str.isdigit, not ASCII
def test_parse_version_never_raises_and_keeps_raw(raw: str) -> None:
    result = parse_version(raw)
    assert isinstance(result, ParsedVersion | Unparsed)
    assert result.raw == raw
    if isinstance(result, Unparsed):
        assert result.reason and "\n" not in result.reason


@given(version_like())
@example("v2.45.0-debian-12-r3")
@example("1.1.0.snapshot.0")
@example("0.13.0rc2")
def test_normalizing_is_idempotent(raw: str) -> None:
    first = parse_version(raw)
    if not isinstance(first, ParsedVersion):
        return
    again = parse_version(first.normalized)
    assert isinstance(again, ParsedVersion), (raw, first.normalized, again)
    assert again.version == first.version, (raw, first.normalized)
    assert again.normalized == first.normalized
    assert again.is_prerelease == first.is_prerelease
    assert again.build is None and again.variant is None


@given(version_like())
def test_v_prefix_and_surrounding_space_do_not_change_the_version(raw: str) -> None:
    plain = parse_version(raw)
    if not isinstance(plain, ParsedVersion) or raw[:1] in ("v", "V") or not raw[:1].isdigit():
        return
    for variant in (f"v{raw}", f"  {raw}\n"):
        other = parse_version(variant)
        assert isinstance(other, ParsedVersion), variant
        assert other.version == plain.version and other.normalized == plain.normalized


@given(
    st.text(max_size=40),
    st.sampled_from(
        [r"^v?(?P<version>\d.*)$", r"^controller-v(?P<version>.+)$", r"(?P<version>.*)"]
    ),
)
def test_parse_tag_never_raises_on_any_tag(tag: str, pattern: str) -> None:
    result = parse_tag(tag, pattern)
    assert result is None or isinstance(result, ParsedVersion | Unparsed)


@given(st.text(max_size=20))
def test_parse_tag_bad_patterns_raise_identify_error_only(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error:
        with pytest.raises(IdentifyError):
            parse_tag("v1.0.0", pattern)
        return
    try:
        parse_tag("v1.0.0", pattern)
    except IdentifyError:
        assert "version" not in re.compile(pattern).groupindex


def test_a_5000_digit_release_part_is_unparsed_not_an_error() -> None:
    assert isinstance(parse_version(LONG_DIGITS), Unparsed)
