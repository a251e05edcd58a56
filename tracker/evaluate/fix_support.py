"""Is the upgrade that fixes an advisory on a release line that is still supported?

An advisory names fixed versions per release line (``GHSA-82m2-cv7p-4m75``: 1.27.16,
1.28.12, 1.29.7, 1.30.3). The nearest one (:class:`~tracker.evaluate.advisories.AdvisoryMatch`)
is on the running line when there is one, and that line may be past end of life: "upgrade to
1.27.16" alone sends a platform team to a line that gets no more fixes. With the product's
stored endoflife.date calendar (:class:`~tracker.evaluate.lifecycle.LineCalendar`: the same end
that counts and the same "strictly after" rule as the ``eol`` finding), :class:`FixSupport`
says

- whether the nearest fix's line has ended,
- the lowest version above the running one, on a line still supported on the day, that none
  of the advisories affects: among the fixed versions they name on supported lines and the
  first version of each newer supported line (``1.32.0``: an advisory published before that
  line existed names no fix on it), each checked against the advisories' own ranges through
  the index. Pre-releases are not proposed.

Without a stored calendar for the component nothing is known and nothing is said (every
field None). Pure: the day is the calendar's.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Sequence
from dataclasses import dataclass

from packaging.version import Version

from tracker.evaluate.advisories import AdvisoryIndex, AdvisoryMatch
from tracker.evaluate.lifecycle import LineCalendar
from tracker.versions import ParsedVersion, parse_version

__all__ = ["FixAdvisor", "FixSupport"]


@dataclass(frozen=True)
class FixSupport:
    """What the support calendar says about the fixes of some advisories.

    Attributes:
        target: the fixed version judged (the upgrade the finding names), or None.
        target_line: its release line as endoflife.date names cycles (``1.27``), or None.
        target_ended: True when that line is past end of life, False when it is still
            supported, None when the calendar does not list it (or there is no calendar).
        supported_fix: the lowest version above the running one, on a supported line, that
            none of the advisories affects (``1.29.7``, or ``1.32.0`` for a supported line
            they name no fix on); None when there is none or no calendar.
        any_supported: False when the calendar lists no line still supported on the day
            (stale data, or a product that is over), else True.
    """

    target: str | None = None
    target_line: str | None = None
    target_ended: bool | None = None
    supported_fix: str | None = None
    any_supported: bool = True


@functools.lru_cache(maxsize=65536)
def _parsed(raw: str) -> ParsedVersion | None:
    """Fixed versions repeat across advisories and rows: parse each string once."""
    parsed = parse_version(raw)
    return parsed if isinstance(parsed, ParsedVersion) else None


_Candidates = tuple[tuple[Version, str, ParsedVersion], ...]


class FixAdvisor:
    """The support advice for one product's calendar, over one advisory index.

    Build one per (report, product): what it learns about an advisory's fixes (which lie
    on supported lines, which the advisory itself does not affect) and about a version's
    line is kept for every row that asks again.

    Args:
        index: the advisories (candidates are checked against their own ranges here).
        calendar: the product's support calendar on the day (:meth:`LineCalendar.of`).
    """

    def __init__(self, index: AdvisoryIndex, calendar: LineCalendar) -> None:
        self.index = index
        self.calendar = calendar
        self._own: dict[tuple[tuple[str, ...], str], _Candidates] = {}
        self._good: dict[
            tuple[tuple[str, ...], tuple[str, ...]], tuple[list[Version], _Candidates]
        ] = {}
        self._hits: dict[tuple[tuple[str, ...], Version], frozenset[str]] = {}
        self._lines: dict[str, tuple[str | None, bool | None]] = {}

    def advise(
        self,
        packages: Sequence[str],
        running: ParsedVersion,
        matches: Sequence[AdvisoryMatch],
        target: str | None,
    ) -> tuple[FixSupport, tuple[FixSupport, ...]]:
        """The advice for ``matches`` together (judging ``target``, the upgrade the finding
        names), and for each match alone (judging its own ``nearest_fix``).

        Args:
            packages: the component's advisory packages (``go:k8s.io/kubernetes``).
            running: the running version.
            matches: the advisories that affect it.
            target: the fixed version the finding names (``1.27.16``), or None.
        """
        key = tuple(packages)
        each = tuple(
            self._judged(m.nearest_fix, self._first(self._good_alone(key, m), running.version))
            for m in matches
        )
        together = self._first(self._good_together(key, matches), running.version)
        return self._judged(target, together), each

    @staticmethod
    def _first(good: tuple[list[Version], _Candidates], above: Version) -> str | None:
        """The display of the lowest good candidate above ``above``, or None."""
        versions, candidates = good
        at = bisect.bisect_right(versions, above)
        return candidates[at][1] if at < len(candidates) else None

    def _candidates(self, key: tuple[str, ...], match: AdvisoryMatch) -> _Candidates:
        """The advisory's fixed versions on supported lines (no pre-release) and the first
        version of every supported line, ascending."""
        found = self._own.get((key, match.advisory.id))
        if found is None:
            mine: dict[Version, tuple[Version, str, ParsedVersion]] = {}
            for fix in match.fixed_in:
                parsed = _parsed(fix)
                if (
                    parsed is not None
                    and not parsed.is_prerelease
                    and self.calendar.has_ended(parsed) is False
                ):
                    mine.setdefault(parsed.version, (parsed.version, fix, parsed))
            for version, shown in self.calendar.firsts:
                first = _parsed(shown)
                if first is not None:
                    mine.setdefault(version, (version, shown, first))
            found = self._own[(key, match.advisory.id)] = tuple(mine[v] for v in sorted(mine))
        return found

    def _good_alone(
        self, key: tuple[str, ...], match: AdvisoryMatch
    ) -> tuple[list[Version], _Candidates]:
        """The candidates of ``match`` that its own advisory does not affect, ascending."""
        cached = self._good.get((key, (match.advisory.id,)))
        if cached is None:
            good = tuple(
                c
                for c in self._candidates(key, match)
                if match.advisory.id not in self._hit(key, c[2])
            )
            cached = self._good[(key, (match.advisory.id,))] = ([c[0] for c in good], good)
        return cached

    def _good_together(
        self, key: tuple[str, ...], matches: Sequence[AdvisoryMatch]
    ) -> tuple[list[Version], _Candidates]:
        """The candidates of all ``matches`` that none of their advisories affects."""
        ids = tuple(m.advisory.id for m in matches)
        cached = self._good.get((key, ids))
        if cached is None:
            merged: dict[Version, tuple[Version, str, ParsedVersion]] = {}
            for match in matches:
                for candidate in self._candidates(key, match):
                    merged.setdefault(candidate[0], candidate)
            wanted = set(ids)
            good = tuple(
                merged[v] for v in sorted(merged) if not self._hit(key, merged[v][2]) & wanted
            )
            cached = self._good[(key, ids)] = ([c[0] for c in good], good)
        return cached

    def _hit(self, key: tuple[str, ...], version: ParsedVersion) -> frozenset[str]:
        """The ids of the advisories of ``key`` that affect ``version``."""
        found = self._hits.get((key, version.version))
        if found is None:
            matches = self.index.match(key, version).matches
            found = self._hits[(key, version.version)] = frozenset(m.advisory.id for m in matches)
        return found

    def _judged(self, target: str | None, supported_fix: str | None) -> FixSupport:
        """A :class:`FixSupport` for ``target`` (its line and whether it has ended)."""
        known = self._lines.get(target or "")
        if known is None:
            parsed = _parsed(target) if target else None
            line_key = self.calendar.line_of(parsed) if parsed else None
            if parsed is not None and line_key is None:
                line_key = tuple(parsed.version.release[:2])
            line = ".".join(str(part) for part in line_key) if line_key else None
            ended = self.calendar.has_ended(parsed) if parsed else None
            known = self._lines[target or ""] = (line, ended)
        line, ended = known
        return FixSupport(target, line, ended, supported_fix, bool(self.calendar.supported))
