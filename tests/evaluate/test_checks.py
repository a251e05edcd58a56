"""The checks: severity policy, messages, and the Check protocol seam."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import pytest

from tracker.evaluate import DEFAULT_CHECKS, Evaluation, evaluate
from tracker.evaluate.base import Check
from tracker.evaluate.outdated import STALE_AFTER_DAYS, OutdatedCheck, outdated_severity
from tracker.evaluate.prerelease import Pre1Check, PreReleaseCheck
from tracker.models import (
    Behind,
    CatalogueEntry,
    Component,
    Finding,
    Flag,
    Release,
    Role,
    Severity,
    Status,
)

MakeRelease = Callable[..., Release]
ENTRIES = {"thing": CatalogueEntry("thing", "Thing", "acme/thing", ("acme/thing",))}
TODAY = date(2024, 6, 1)


def run(
    raw: str, releases: list[Release], checks: Sequence[Check] = DEFAULT_CHECKS
) -> tuple[Status, tuple[Flag, ...], list[Finding]]:
    component = Component("thing", Role.ADDON, raw, "acme/thing")
    [report] = evaluate("c", [component], ENTRIES, {"acme/thing": releases}, TODAY, checks=checks)
    return report.status, report.flags, list(report.findings)


@pytest.mark.parametrize(
    ("behind", "lines", "line_days", "severity"),
    [
        (Behind.MAJOR, 1, None, Severity.CRITICAL),
        (Behind.MAJOR, 2, 0, Severity.CRITICAL),
        (Behind.MINOR, 3, None, Severity.CRITICAL),
        (Behind.MINOR, 2, None, Severity.WARNING),
        (Behind.MINOR, 2, 400, Severity.WARNING),
        (Behind.MINOR, 1, None, Severity.INFO),
        (Behind.MINOR, 1, STALE_AFTER_DAYS + 1, Severity.WARNING),
        (Behind.PATCH, 0, STALE_AFTER_DAYS, Severity.INFO),
        (Behind.PATCH, 0, STALE_AFTER_DAYS + 1, Severity.WARNING),
        (Behind.PATCH, 0, None, Severity.INFO),
    ],
)
def test_outdated_severity_policy(
    behind: Behind, lines: int, line_days: int | None, severity: Severity
) -> None:
    assert outdated_severity(behind, lines, line_days) is severity


def test_patch_behind_message_and_staleness(make_release: MakeRelease) -> None:
    releases = [
        make_release("v1.4.0", "2024-01-01T00:00:00Z"),
        make_release("v1.4.1", "2024-02-01T00:00:00Z"),  # 121 days before TODAY
    ]
    status, flags, [finding] = run("1.4.0", releases)
    assert (status, flags) == (Status.OUTDATED, (Flag.OUTDATED,))
    assert finding == Finding(
        Flag.OUTDATED,
        Severity.WARNING,
        "thing 1.4.0 is 1 patch release behind 1.4.1; outdated for 121 days",
    )


def test_one_minor_behind_with_fresh_line_is_info(make_release: MakeRelease) -> None:
    releases = [
        make_release("v1.4.0", "2023-01-01T00:00:00Z"),
        make_release("v1.5.0", "2023-06-01T00:00:00Z"),
        make_release("v1.4.1", "2024-05-31T00:00:00Z"),  # 1 day before TODAY
    ]
    _, _, [finding] = run("1.4.0", releases)
    assert finding.severity is Severity.INFO
    assert finding.message == (
        "thing 1.4.0 is 1 minor release behind 1.5.0 (latest patch of 1.4 is 1.4.1); "
        "outdated for 366 days"
    )


def test_up_to_date_has_no_findings(make_release: MakeRelease) -> None:
    assert run("1.4.1", [make_release("v1.4.1"), make_release("v1.4.0")]) == (
        Status.UP_TO_DATE,
        (),
        [],
    )


def test_prerelease_and_pre1_findings(make_release: MakeRelease) -> None:
    known = [make_release("v0.9.0-rc.1", prerelease=True), make_release("v0.8.0")]
    status, flags, findings = run("0.9.0-rc.1", known)
    assert status is Status.UP_TO_DATE  # no newer candidate: the rc itself is the newest
    assert flags == (Flag.PRE_RELEASE, Flag.PRE_1_0)
    assert findings == [
        Finding(
            Flag.PRE_RELEASE,
            Severity.WARNING,
            "thing 0.9.0-rc.1 is a pre-release; the latest stable release is 0.8.0",
        ),
        Finding(
            Flag.PRE_1_0,
            Severity.INFO,
            "thing 0.9.0-rc.1 is a 0.x release: any minor upgrade may break compatibility "
            "(SemVer 2.0.0 §4)",
        ),
    ]


def test_unknown_version_severity_depends_on_floating(make_release: MakeRelease) -> None:
    releases = [make_release("v1.0.0")]
    _, _, [sha] = run("732704f18e34ba469df34b10c3b2465e0469d484", releases)
    _, _, [main] = run("main", releases)
    assert sha.severity is Severity.INFO
    assert sha.message == (
        "thing version unknown: '732704f18e34ba469df34b10c3b2465e0469d484' is "
        "git commit SHA, not a version; the latest release is 1.0.0"
    )
    assert main.severity is Severity.WARNING
    assert main.message.startswith("thing runs floating tag 'main'")


def test_checks_satisfy_the_protocol() -> None:
    for check in (OutdatedCheck(), PreReleaseCheck(), Pre1Check()):
        assert isinstance(check, Check)
    assert [type(c) for c in DEFAULT_CHECKS] == [OutdatedCheck, PreReleaseCheck, Pre1Check]


class _EveryThingIsCritical:
    """A custom check injected at the seam; it reports twice to test de-duplication."""

    def check(self, evaluation: Evaluation) -> Sequence[Finding]:
        finding = Finding(Flag.OUTDATED, Severity.CRITICAL, evaluation.label)
        return (finding, finding)


def test_custom_checks_replace_the_defaults(make_release: MakeRelease) -> None:
    status, flags, findings = run("1.0.0", [make_release("v1.0.0")], (_EveryThingIsCritical(),))
    assert status is Status.UP_TO_DATE  # status comes from the facts, not the checks
    assert flags == (Flag.OUTDATED,)
    assert len(findings) == 2
    status, flags, findings = run("1.0.0", [make_release("v2.0.0")], ())
    assert (status, flags, findings) == (Status.OUTDATED, (), [])


@pytest.mark.parametrize(
    ("role", "label"),
    [
        (Role.ADDON, "thing"),
        (Role.CONTROL_PLANE, "thing"),
        (Role.KUBELET, "thing kubelet"),
        (Role.DATA_PLANE, "thing data-plane"),
        (Role.GATEWAY, "thing gateway"),
    ],
)
def test_label_names_the_role_when_it_tells_apart(
    role: Role, label: str, make_release: MakeRelease
) -> None:
    component = Component("thing", role, "1.0.0", "acme/thing")
    releases = {"acme/thing": [make_release("v2.0.0")]}
    [report] = evaluate("c", [component], ENTRIES, releases, TODAY)
    assert report.findings[0].message.startswith(f"{label} 1.0.0 is 1 major release behind")


def test_shared_facts_keep_each_component_its_own(make_release: MakeRelease) -> None:
    """Entries running the same version share computed facts, never identities."""
    kubelet = Component("thing", Role.KUBELET, "v1.0.0", "acme/thing", detail="node-a")
    gateway = Component("thing", Role.GATEWAY, "1.0.0-alpine", "acme/thing", detail="gw")
    releases = {"acme/thing": [make_release("v1.0.0"), make_release("v1.1.0")]}
    first, second = evaluate("c", [kubelet, gateway], ENTRIES, releases, TODAY)
    assert (first.component, second.component) == (kubelet, gateway)
    assert first.findings[0].message.startswith("thing kubelet 1.0.0 is 1 minor release")
    assert second.findings[0].message.startswith("thing gateway 1.0.0 is 1 minor release")


def test_untracked_components_keep_their_own_problem() -> None:
    reports = evaluate(
        "c",
        [Component("polaris", Role.ADDON, "0.6", None), Component("foo", Role.ADDON, "0.6", None)],
        {},
        {},
        TODAY,
    )
    assert [r.findings[-1].message for r in reports] == [
        "polaris 0.6: no upstream project is tracked for 'polaris'",
        "foo 0.6: no upstream project is tracked for 'foo'",
    ]
