"""Is a running version inside an advisory's affected ranges? (OSV semantics, our versions.)

Every version, the running one and every event of every range, goes through the one version
normalizer (:func:`tracker.versions.parse_version`), so vendor builds and image variants
match as their upstream version (``v1.11.3-eks-a1b2c3`` is 1.11.3).

The range rule is the OSV schema's evaluation pseudocode (ossf/osv-schema ``docs/schema.md``,
"Evaluation"): walk the events sorted by version; ``introduced`` (``"0"`` = before every
version) makes the version vulnerable, ``fixed`` at or below it clears that, a
``last_affected`` below it clears it, and a ``limit`` at or below it takes it out of the
range. A version listed in ``versions`` is affected too. Withdrawn advisories match nothing.
A range event the normalizer cannot read is reported (:class:`UnreadableRange`), never
guessed.

Matching is indexed by package and memoized per (packages, version): 10,000 components
against 5,000 advisories is a dictionary walk, not 50 million comparisons
(``benchmarks/advisories.py``).
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from packaging.version import Version

from tracker.models import Severity
from tracker.upstream.osv import Advisory, AffectedPackage, AffectedRange
from tracker.versions import ParsedVersion, parse_version

_Key = tuple[tuple[int, ...], tuple[int, str, int], int, int]

__all__ = [
    "AdvisoryIndex",
    "AdvisoryMatch",
    "MatchResult",
    "UnreadableRange",
    "advisory_severity",
    "package_key",
]

_SEVERITY = {
    "critical": Severity.CRITICAL,
    "high": Severity.CRITICAL,
    "moderate": Severity.WARNING,
    "low": Severity.INFO,
}
_RANK = {"critical": 4, "high": 3, "moderate": 2, "unknown": 1, "low": 0}


def advisory_severity(word: str) -> Severity:
    """The finding severity for an advisory severity word (the policy of issue #11).

    critical and high -> critical; moderate -> warning; low -> info; an advisory that gives
    no severity (``unknown``) -> warning, so it is neither hidden nor overstated.

    >>> advisory_severity("high"), advisory_severity("low"), advisory_severity("unknown")
    (<Severity.CRITICAL: 'critical'>, <Severity.INFO: 'info'>, <Severity.WARNING: 'warning'>)
    """
    return _SEVERITY.get(word, Severity.WARNING)


def package_key(ecosystem: str, name: str) -> str:
    """The index key of a package: ``go:k8s.io/ingress-nginx`` (both parts lower-cased).

    >>> package_key("Go", "K8s.io/Ingress-Nginx")
    'go:k8s.io/ingress-nginx'
    """
    return f"{ecosystem.lower()}:{name.lower()}"


class AdvisoryMatch(NamedTuple):
    """One advisory that affects the running version (a NamedTuple: built by the hundred
    thousand in a fleet report, and immutable all the same).

    Attributes:
        advisory: the advisory.
        nearest_fix: the lowest fixed version above the running one on the running release
            line (same major.minor), else the lowest fixed version above it on any line;
            None when the advisory names no fix.
        lowest_fix: the lowest fixed version the advisory names at all (any line), or None.
        fixed_in: every fixed version named, ascending, normalized (``1.11.5``).
    """

    advisory: Advisory
    nearest_fix: str | None
    lowest_fix: str | None
    fixed_in: tuple[str, ...]


@dataclass(frozen=True)
class UnreadableRange:
    """A range of an advisory that tracker cannot compare: reported, not guessed."""

    advisory_id: str
    package: str
    reason: str


@dataclass(frozen=True)
class MatchResult:
    """What the advisories say about one running version.

    ``matches`` is worst first (severity, then CVSS presence, then id); ``unreadable`` lists
    ranges of the component's packages that could not be read.
    """

    matches: tuple[AdvisoryMatch, ...] = ()
    unreadable: tuple[UnreadableRange, ...] = ()


@dataclass
class _Group:
    """One advisory's ranges for one package, compiled to intervals once."""

    advisory: Advisory
    # (low key or None for "0", high key or None for open-ended, high inclusive?)
    intervals: list[tuple[_Key | None, _Key | None, bool]]
    exact: set[_Key]
    fixes: set[Version]
    unreadable: str | None = None
    # fixes as (key, display, release line), ascending: computed once after loading
    ordered: tuple[tuple[_Key, str, tuple[int, ...]], ...] = ()
    # the keys of ``ordered`` (bisected) and its displays, computed once with it
    keys: tuple[_Key, ...] = ()
    shown: tuple[str, ...] = ()
    # worst first: advisory severity, then with a CVSS vector, then id (computed once)
    order: tuple[int, bool, str] = (0, True, "")
    # descriptions already built: (fixes below the version, release line) -> match
    described: dict[tuple[int, tuple[int, ...]], AdvisoryMatch] = field(default_factory=dict)


@functools.lru_cache(maxsize=65536)
def _parsed(raw: str) -> ParsedVersion | None:
    """Event versions repeat across advisories and branches: parse each string once."""
    parsed = parse_version(raw)
    return parsed if isinstance(parsed, ParsedVersion) else None


def _version(raw: str) -> Version | None:
    parsed = _parsed(raw)
    return parsed.version if parsed is not None else None


_NEVER = 1 << 62


@functools.lru_cache(maxsize=65536)
def _key(v: Version) -> _Key:
    """A plain tuple that orders like ``packaging``'s Version (PEP 440), compared natively.

    Trailing zero release parts are dropped (1.12 == 1.12.0); a dev-only pre-release sorts
    before alphas, a final release after every pre-release, as in ``packaging``.
    """
    release = list(v.release)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if v.pre is None and v.post is None and v.dev is not None:
        pre: tuple[int, str, int] = (-1, "", 0)
    elif v.pre is None:
        pre = (1, "", 0)
    else:
        pre = (0, v.pre[0], v.pre[1])
    post = -1 if v.post is None else v.post
    dev = _NEVER if v.dev is None else v.dev
    return (tuple(release), pre, post, dev)


_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


def _intervals(
    r: AffectedRange,
) -> tuple[list[tuple[_Key | None, _Key | None, bool]], list[Version], str | None]:
    """An OSV range as intervals, by the schema's walk over the sorted events.

    Returns (intervals, fixed versions, problem): ``problem`` names an event the normalizer
    cannot read (then the range is not used at all).
    """
    bounds: list[tuple[str, Version | None]] = []
    for kind, raw in r.events:
        if kind == "introduced" and raw == "0":
            bounds.append((kind, None))
        elif kind == "limit" and raw == "*":
            continue
        else:
            version = _version(raw)
            if version is None:
                return [], [], f"{kind} {raw[:40]!r} is not a version tracker can read"
            bounds.append((kind, version))
    bounds.sort(key=lambda b: (b[1] is not None, _key(b[1] or Version("0")), _ORDER[b[0]]))
    out: list[tuple[_Key | None, _Key | None, bool]] = []
    low: _Key | None = None
    is_open = False
    for kind, version in bounds:
        if kind == "introduced":
            if not is_open:
                low, is_open = (_key(version) if version is not None else None), True
        elif is_open and version is not None:
            out.append((low, _key(version), kind == "last_affected"))
            is_open = False
    if is_open:
        out.append((low, None, False))
    fixes = [v for kind, v in bounds if kind == "fixed" and v is not None]
    return out, fixes, None


def _inside(intervals: list[tuple[_Key | None, _Key | None, bool]], v: _Key) -> bool:
    for low, high, inclusive in intervals:
        if low is not None and v < low:
            continue
        if high is None or v < high or (inclusive and v == high):
            return True
    return False


@functools.lru_cache(maxsize=65536)
def _display(v: Version) -> str:
    parsed = _parsed(str(v))
    return parsed.normalized if parsed is not None else str(v)


class AdvisoryIndex:
    """Advisories indexed by package, compiled once to intervals.

    Args:
        advisories: every stored advisory (withdrawn ones are skipped here).

    Use :meth:`match` per component; results are memoized per (packages, version).
    """

    def __init__(self, advisories: Iterable[Advisory]) -> None:
        self._by_package: dict[str, dict[str, _Group]] = defaultdict(dict)
        self._lists: dict[str, tuple[_Group, ...]] = {}
        self._memo: dict[tuple[tuple[str, ...], Version], MatchResult] = {}
        for advisory in advisories:
            if advisory.withdrawn is not None:
                continue
            for affected in advisory.affected:
                key = package_key(affected.ecosystem, affected.name)
                group = self._by_package[key].setdefault(
                    advisory.id, _Group(advisory, [], set(), set())
                )
                self._add(group, affected)
        for groups in self._by_package.values():
            for group in groups.values():
                group.ordered = tuple(
                    sorted((_key(f), _display(f), f.release[:2]) for f in group.fixes)
                )
                group.keys = tuple(fix[0] for fix in group.ordered)
                group.shown = tuple(fix[1] for fix in group.ordered)
                a = group.advisory
                group.order = (-_RANK.get(a.severity, 1), a.cvss_vector is None, a.id)
        self._lists = {p: tuple(groups.values()) for p, groups in self._by_package.items()}

    @staticmethod
    def _add(group: _Group, affected: AffectedPackage) -> None:
        for r in affected.ranges:
            intervals, fixes, problem = _intervals(r)
            if problem:
                group.unreadable = problem
                return
            group.intervals += intervals
            group.fixes.update(fixes)
        group.exact.update(_key(v) for raw in affected.versions if (v := _version(raw)) is not None)

    def __len__(self) -> int:
        return len({a for groups in self._by_package.values() for a in groups})

    def match(self, packages: Sequence[str], running: ParsedVersion) -> MatchResult:
        """The advisories among ``packages`` (``ecosystem:name`` keys) that affect ``running``.

        Several affected entries of one advisory (one per release branch, or one per package
        the component carries) give one match, with the fixes of every entry.
        """
        key = (tuple(sorted(package.lower() for package in packages)), running.version)
        cached = self._memo.get(key)
        if cached is None:
            cached = self._match(key[0], running.version)
            self._memo[key] = cached
        return cached

    def _match(self, packages: tuple[str, ...], v: Version) -> MatchResult:
        hits: dict[str, list[_Group]] = {}
        unreadable: list[UnreadableRange] = []
        k = _key(v)
        groups = [(p, g) for p in packages for g in self._lists.get(p, ())]
        for package, group in groups:
            if group.unreadable:
                unreadable.append(UnreadableRange(group.advisory.id, package, group.unreadable))
            elif k in group.exact or _inside(group.intervals, k):
                hits[group.advisory.id] = [group]
        if len(packages) > 1:  # one advisory under several packages: every entry's fixes
            for _, group in groups:
                found = hits.get(group.advisory.id)
                if found is not None and all(g is not group for g in found):
                    found.append(group)
        ordered = sorted(hits.values(), key=lambda found: found[0].order)
        matches = tuple(self._describe(found[0].advisory, found, k, v) for found in ordered)
        return MatchResult(matches, tuple(unreadable))

    @staticmethod
    def _describe(advisory: Advisory, found: list[_Group], k: _Key, v: Version) -> AdvisoryMatch:
        line = v.release[:2]
        if len(found) == 1:
            group = found[0]
            first = bisect.bisect_right(group.keys, k)
            cached = group.described.get((first, line))
            if cached is None:
                cached = group.described[(first, line)] = _match_of(
                    advisory, group.ordered, group.shown, first, line
                )
            return cached
        ordered = tuple(sorted({fix for group in found for fix in group.ordered}))
        keys = tuple(fix[0] for fix in ordered)
        shown = tuple(fix[1] for fix in ordered)
        return _match_of(advisory, ordered, shown, bisect.bisect_right(keys, k), line)


def _match_of(
    advisory: Advisory,
    ordered: tuple[tuple[_Key, str, tuple[int, ...]], ...],
    shown: tuple[str, ...],
    first: int,
    line: tuple[int, ...],
) -> AdvisoryMatch:
    """The match for a version above ``first`` fixes of ``ordered`` on release ``line``."""
    nearest = next(
        (fix for fix in ordered[first:] if fix[2] == line),
        ordered[first] if first < len(ordered) else None,
    )
    return AdvisoryMatch(
        advisory=advisory,
        nearest_fix=nearest[1] if nearest is not None else None,
        lowest_fix=shown[0] if shown else None,
        fixed_in=shown,
    )
