"""Waivers: parsing with precise errors, matching, expiry, stale policy."""

from __future__ import annotations

import tomllib
from datetime import date

import pytest

from tracker.errors import ConfigError
from tracker.evaluate.waivers import find_waiver, parse_waivers, stale_waivers

CONFIG = """
[[waivers]]
component = "ingress-nginx"
cluster = "prod-eu"
kind = "GHSA-mgvx-rpfc-9mxh"
reason = "WAF rule blocks the admission webhook path until the upgrade"
owner = "team-edge@example.com"
expires = 2027-03-31

[[waivers]]
component = "ingress-nginx"
kind = "outdated"
reason = "frozen for the holiday season"
owner = "sre@example.com"
expires = 2026-12-01

[[waivers]]
component = "kubernetes"
version = "1.27.9"
reason = "EKS upgrade planned in Q1"
owner = "platform@example.com"
expires = "2027-02-15"

[[waivers]]
component = "promtail"
reason = "replaced by Alloy next sprint"
owner = "obs@example.com"
expires = 2027-01-10
"""


@pytest.fixture
def waivers() -> tuple:  # type: ignore[type-arg]
    return parse_waivers(tomllib.loads(CONFIG)["waivers"], source="tracker.toml")


def test_parses_toml_dates_and_strings(waivers: tuple) -> None:  # type: ignore[type-arg]
    assert [w.expires for w in waivers] == [
        date(2027, 3, 31),
        date(2026, 12, 1),
        date(2027, 2, 15),
        date(2027, 1, 10),
    ]
    assert waivers[0].label == "waivers[0] (ingress-nginx)"


def test_advisory_waiver_by_id_and_cluster(waivers: tuple) -> None:  # type: ignore[type-arg]
    today = date(2026, 12, 3)
    hit = find_waiver(
        waivers,
        component="ingress-nginx",
        kind="vulnerable",
        cluster="prod-eu",
        advisory_ids=("GO-2025-3567", "GHSA-mgvx-rpfc-9mxh", "CVE-2025-1974"),
        today=today,
    )
    assert hit is not None and hit.waiver.index == 0 and not hit.expired
    other_cluster = find_waiver(
        waivers,
        component="ingress-nginx",
        kind="vulnerable",
        cluster="prod-us",
        advisory_ids=("GHSA-mgvx-rpfc-9mxh",),
        today=today,
    )
    assert other_cluster is None


def test_expired_waiver_stops_waiving_and_says_so(waivers: tuple) -> None:  # type: ignore[type-arg]
    on_the_day = find_waiver(
        waivers, component="ingress-nginx", kind="outdated", today=date(2026, 12, 1)
    )
    assert on_the_day is not None and not on_the_day.expired
    after = find_waiver(
        waivers, component="ingress-nginx", kind="outdated", today=date(2026, 12, 2)
    )
    assert after is not None and after.expired and after.waiver.owner == "sre@example.com"


def test_version_waiver_compares_as_a_version(waivers: tuple) -> None:  # type: ignore[type-arg]
    today = date(2026, 12, 3)
    eks = find_waiver(
        waivers, component="kubernetes", kind="eol", version="v1.27.9-eks-5e0fdde", today=today
    )
    assert eks is not None and eks.waiver.index == 2
    assert (
        find_waiver(waivers, component="kubernetes", kind="eol", version="v1.27.10", today=today)
        is None
    )


def test_stale_waivers_are_named(waivers: tuple) -> None:  # type: ignore[type-arg]
    assert stale_waivers(waivers, used=[0, 1, 2]) == [
        "waivers[3] (promtail) matches no finding (owner obs@example.com): remove it or correct "
        "its fields"
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"reason": "r", "owner": "o", "expires": "2027-01-01"},
            r"waivers\[0\]: component is missing",
        ),
        ({"component": "x", "reason": "r", "owner": "o"}, r"waivers\[0\]: expires is missing"),
        ({"component": "x", "reason": "r", "owner": "o", "expires": "31/03/2027"}, "is not a date"),
        ({"component": "x", "reason": "r", "owner": "o", "expires": 5}, "expires must be a date"),
        (
            {"component": "x", "reason": "", "owner": "o", "expires": "2027-01-01"},
            "reason must be a non-empty",
        ),
        (
            {"component": "x", "reason": "r", "owner": "o", "expires": "2027-01-01", "team": "t"},
            "unknown key 'team'",
        ),
        ({"component": "x", "reason": "a\nb", "owner": "o", "expires": "2027-01-01"}, "one line"),
    ],
)
def test_errors_name_the_waiver_and_field(entry: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=message) as info:
        parse_waivers([entry], source="tracker.toml")
    assert str(info.value).startswith("tracker.toml: waivers[0]")


def test_not_an_array() -> None:
    with pytest.raises(ConfigError, match="array of tables"):
        parse_waivers({"component": "x"}, source="tracker.toml")
