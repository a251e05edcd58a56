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
from dataclasses import dataclass
from typing import NamedTuple

from packaging.version import Version

from tracker.evaluate.aliases import borrow_severity
from tracker.upstream.osv import Advisory, AffectedPackage, AffectedRange
from tracker.versions import ParsedVersion, parse_version

_Key = tuple[tuple[int, ...], tuple[int, str, int], int, int]

__all__ = [
    "AdvisoryIndex",
    "AdvisoryMatch",
    "MatchResult",
    "UnreadableRange",
    "package_key",
]


_RANK = {"critical": 4, "high": 3, "moderate": 2, "unknown": 1, "low": 0}
"""Advisory severity words, worst highest (the order advisories are shown in)."""


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


@functools.lru_cache(maxsize=65536)
def _display(v: Version) -> str:
    parsed = _parsed(str(v))
    return parsed.normalized if parsed is not None else str(v)


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
    shown: tuple[str, ...] = ()
    # the intervals, exact versions and fixes as coordinates on the package's axis
    spans: tuple[tuple[int, int], ...] = ()
    fix_points: tuple[int, ...] = ()
    # worst first: advisory severity, then with a CVSS vector, then id (computed once)
    order: tuple[int, bool, str] = (0, True, "")

    def describe(self, first: int, line: tuple[int, ...]) -> AdvisoryMatch:
        """The match for a version above ``first`` of the fixes, on release ``line``."""
        return _match_of(self.advisory, self.ordered, self.shown, first, line)


class _Package:
    """Every advisory of one package, on one axis of integer coordinates.

    The boundaries (every interval end, exact version and fix of every advisory of the
    package) are sorted once; a version's coordinate is ``2i + 1`` when it equals boundary
    ``i`` and ``2i`` when it lies below boundary ``i`` (and above ``i - 1``). Which
    advisories hold, and how many fixes of each lie at or below the version, are the same
    for every version with one coordinate: matching is one bisection, then lookups memoized
    per coordinate and release line.
    """

    def __init__(self, groups: Iterable[_Group]) -> None:
        listed = sorted(groups, key=lambda g: g.order)
        self.bounds: list[_Key] = sorted({key for g in listed for key in _bounds(g)})
        where = {key: i for i, key in enumerate(self.bounds)}
        top = 2 * len(self.bounds) + 1
        for g in listed:
            spans = [
                (
                    0 if low is None else 2 * where[low] + 1,
                    top if high is None else 2 * where[high] + (2 if inclusive else 1),
                )
                for low, high, inclusive in g.intervals
            ]
            spans += [(2 * where[e] + 1, 2 * where[e] + 2) for e in g.exact]
            g.spans = tuple(spans)
            g.fix_points = tuple(2 * where[fix[0]] + 1 for fix in g.ordered)
        self.readable = tuple(g for g in listed if g.unreadable is None)
        self.unreadable = tuple(g for g in listed if g.unreadable is not None)
        self._hits: dict[int, tuple[_Group, ...]] = {}
        self._results: dict[tuple[int, tuple[int, ...]], tuple[AdvisoryMatch, ...]] = {}

    def coordinate(self, k: _Key) -> int:
        """The version key's coordinate on this package's axis."""
        i = bisect.bisect_left(self.bounds, k)
        return 2 * i + 1 if i < len(self.bounds) and self.bounds[i] == k else 2 * i

    def hits(self, c: int) -> tuple[_Group, ...]:
        """The readable advisories whose ranges hold coordinate ``c``, worst first."""
        found = self._hits.get(c)
        if found is None:
            found = self._hits[c] = tuple(
                g for g in self.readable if any(lo <= c < hi for lo, hi in g.spans)
            )
        return found

    def matches(self, c: int, line: tuple[int, ...]) -> tuple[AdvisoryMatch, ...]:
        """The matches at coordinate ``c`` for a version on release ``line``, worst first."""
        found = self._results.get((c, line))
        if found is None:
            found = self._results[(c, line)] = tuple(
                [g.describe(bisect.bisect_right(g.fix_points, c), line) for g in self.hits(c)]
            )
        return found


def _bounds(group: _Group) -> Iterable[_Key]:
    """Every version key where ``group``'s verdict or its count of fixes can change."""
    for low, high, _ in group.intervals:
        if low is not None:
            yield low
        if high is not None:
            yield high
    yield from group.exact
    for fix in group.ordered:
        yield fix[0]


class AdvisoryIndex:
    """Advisories indexed by package, compiled once to intervals.

    Args:
        advisories: every stored advisory (withdrawn ones are skipped here). A record
            without a severity takes its aliases' (:func:`.aliases.borrow_severity`).

    Use :meth:`match` per component; results are memoized per (packages, version).
    """

    def __init__(self, advisories: Iterable[Advisory]) -> None:
        by_package: dict[str, dict[str, _Group]] = defaultdict(dict)
        self._memo: dict[tuple[tuple[str, ...], Version], MatchResult] = {}
        live = [a for a in advisories if a.withdrawn is None]
        for advisory in borrow_severity(live):
            for affected in advisory.affected:
                key = package_key(affected.ecosystem, affected.name)
                group = by_package[key].setdefault(advisory.id, _Group(advisory, [], set(), set()))
                self._add(group, affected)
        for groups in by_package.values():
            for group in groups.values():
                group.ordered = tuple(
                    sorted((_key(f), _display(f), f.release[:2]) for f in group.fixes)
                )
                group.shown = tuple(fix[1] for fix in group.ordered)
                a = group.advisory
                group.order = (-_RANK.get(a.severity, 1), a.cvss_vector is None, a.id)
        self._packages = {p: _Package(groups.values()) for p, groups in by_package.items()}
        self._count = len({a for groups in by_package.values() for a in groups})

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
        return self._count

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
        k = _key(v)
        line = v.release[:2]
        known = [(p, self._packages[p]) for p in packages if p in self._packages]
        unreadable = tuple(
            UnreadableRange(g.advisory.id, p, g.unreadable or "")
            for p, package in known
            for g in package.unreadable
        )
        if len(known) == 1:  # the common case: memoized per coordinate and release line
            package = known[0][1]
            return MatchResult(package.matches(package.coordinate(k), line), unreadable)
        # One advisory under several packages is one match, with every entry's fixes.
        hits: dict[str, list[_Group]] = {}
        for _, package in known:
            for group in package.hits(package.coordinate(k)):
                hits.setdefault(group.advisory.id, []).append(group)
        for _, package in known:  # an entry whose own range misses still names its fixes
            for group in package.readable:
                found = hits.get(group.advisory.id)
                if found is not None and all(g is not group for g in found):
                    found.append(group)
        ordered = sorted(hits.values(), key=lambda found: found[0].order)
        return MatchResult(tuple(_combined(found, k, line) for found in ordered), unreadable)


def _combined(found: list[_Group], k: _Key, line: tuple[int, ...]) -> AdvisoryMatch:
    """One match over several entries of one advisory, with the fixes of all of them."""
    if len(found) == 1:
        group = found[0]
        return group.describe(bisect.bisect_right(tuple(f[0] for f in group.ordered), k), line)
    ordered = tuple(sorted({fix for group in found for fix in group.ordered}))
    keys = tuple(fix[0] for fix in ordered)
    shown = tuple(fix[1] for fix in ordered)
    return _match_of(found[0].advisory, ordered, shown, bisect.bisect_right(keys, k), line)


def _match_of(
    advisory: Advisory,
    ordered: tuple[tuple[_Key, str, tuple[int, ...]], ...],
    shown: tuple[str, ...],
    first: int,
    line: tuple[int, ...],
) -> AdvisoryMatch:
    """The match for a version above ``first`` fixes of ``ordered`` on release ``line``."""
    nearest = shown[first] if first < len(shown) else None
    for i in range(first, len(ordered)):
        if ordered[i][2] == line:
            nearest = shown[i]
            break
    return AdvisoryMatch(advisory, nearest, shown[0] if shown else None, shown)
