"""The indexed advisory matcher agrees with the OSV schema's own evaluation, version by version.

:class:`tracker.evaluate.advisories.AdvisoryIndex` compiles ranges into coordinates and
memoizes per coordinate; the reference here is the plain walk of the OSV schema
(ossf/osv-schema ``docs/schema.md``, "Evaluation"): events sorted by version, ``introduced``
makes a version vulnerable, ``fixed`` at or below it and ``last_affected`` below it clear
that, a listed version is affected. Fix suggestions follow the finding's rule: the lowest
fix above the running version on its release line, else the lowest fix above it anywhere.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import Version

from tracker.evaluate.advisories import AdvisoryIndex
from tracker.upstream.osv import Advisory, AffectedPackage, AffectedRange
from tracker.versions import ParsedVersion, parse_version

PACKAGES = ("k8s.io/ingress-nginx", "istio.io/istio")
versions = st.builds(
    lambda minor, patch, pre: f"1.{minor}.{patch}{pre}",
    st.integers(0, 4),
    st.integers(0, 4),
    st.sampled_from(["", "", "", "-rc.1", "-beta.2"]),
) | st.sampled_from(["1.2", "1.0", "2.0.0"])


def _v(raw: str) -> Version:
    parsed = parse_version(raw)
    assert isinstance(parsed, ParsedVersion), raw
    return parsed.version


@st.composite
def ranges(draw: st.DrawFn) -> AffectedRange:
    """A range of 1 to 4 events on distinct versions (the schema leaves ties undefined)."""
    chosen = draw(st.lists(versions, min_size=1, max_size=4, unique_by=_v))
    events = [
        (draw(st.sampled_from(["introduced", "fixed", "last_affected"])), raw) for raw in chosen
    ]
    if draw(st.booleans()):
        events.append(("introduced", "0"))
    return AffectedRange("SEMVER", tuple(events))


@st.composite
def advisories(draw: st.DrawFn) -> list[Advisory]:
    out = []
    for i in range(draw(st.integers(1, 6))):
        affected = tuple(
            AffectedPackage(
                "Go",
                draw(st.sampled_from(PACKAGES)),
                ranges=tuple(draw(st.lists(ranges(), min_size=1, max_size=2))),
                versions=tuple(draw(st.lists(versions, max_size=2))),
            )
            for _ in range(draw(st.integers(1, 2)))
        )
        out.append(
            Advisory(
                id=f"GHSA-{i}",
                aliases=(),
                summary="",
                cvss_vector=None,
                cvss_score=None,
                severity=draw(st.sampled_from(["critical", "high", "moderate", "low", "unknown"])),
                affected=affected,
            )
        )
    return out


def _affected(v: Version, r: AffectedRange) -> bool:
    """The OSV schema's evaluation of one range (events on distinct versions)."""
    vulnerable = False
    events = sorted(r.events, key=lambda e: Version("0") if e[1] == "0" else _v(e[1]))
    for kind, raw in events:
        at = Version("0") if raw == "0" else _v(raw)
        if kind == "introduced" and v >= at:
            vulnerable = True
        elif (kind == "fixed" and v >= at) or (kind == "last_affected" and v > at):
            vulnerable = False
    return vulnerable


def _reference(
    items: list[Advisory], packages: list[str], v: Version
) -> dict[str, tuple[Version | None, Version | None]]:
    """advisory id -> (nearest fix, lowest fix) for every advisory affecting ``v``
    (compared as versions: ``1.0`` and ``1.0.0`` are one fix)."""
    out: dict[str, tuple[Version | None, Version | None]] = {}
    for advisory in items:
        entries = [a for a in advisory.affected if f"go:{a.name}" in packages]
        hit = any(
            any(_affected(v, r) for r in a.ranges) or any(_v(x) == v for x in a.versions)
            for a in entries
        )
        if not hit:
            continue
        fixes = sorted(
            {_v(raw) for a in entries for r in a.ranges for k, raw in r.events if k == "fixed"}
        )
        above = [f for f in fixes if f > v]
        same_line = [f for f in above if f.release[:2] == v.release[:2]]
        nearest = (same_line or above or [None])[0]
        out[advisory.id] = (
            nearest,
            fixes[0] if fixes else None,
        )
    return out


@settings(max_examples=300, deadline=None)
@given(advisories(), st.lists(versions, min_size=1, max_size=8), st.sampled_from([1, 2]))
def test_index_agrees_with_the_osv_evaluation(
    items: list[Advisory], running: list[str], n_packages: int
) -> None:
    index = AdvisoryIndex(items)
    packages = [f"go:{p}" for p in PACKAGES[:n_packages]]
    for raw in running:
        parsed = parse_version(raw)
        assert isinstance(parsed, ParsedVersion)
        got = {
            m.advisory.id: (
                _v(m.nearest_fix) if m.nearest_fix else None,
                _v(m.lowest_fix) if m.lowest_fix else None,
            )
            for m in index.match(packages, parsed).matches
        }
        assert got == _reference(items, packages, parsed.version), raw
