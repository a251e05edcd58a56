"""Support windows: is the release cycle that runs past (or near) its end of life?

Data: endoflife.date (:mod:`tracker.upstream.endoflife`). Rules:

- The running version's cycle is the product's cycle named ``major.minor`` (``1.30``), else
  ``major`` (Jaeger ``2``). A version older than every cycle listed, when the oldest listed
  has ended, is past end of life too (``eol``, critical): endoflife.date drops cycles long
  out of support (``amazon-eks`` starts at 1.18), and a cluster on EKS 1.16 must not read
  as supported. Any other version whose cycle upstream does not list (newer than the
  newest, or older while the oldest is still supported) gets no verdict.
- The end that counts is end of life (``eol``), except where extended support applies
  without opting in: EKS puts every cluster into extended support when standard support
  ends (AWS, "Amazon EKS extended support", default upgrade policy EXTENDED), so for
  ``amazon-eks`` it is the end of extended support (``eoes``). AKS LTS and OpenShift EUS
  need enrolment, so their ``eoes`` is only mentioned. Past it: ``eol``, critical. Past
  standard EOL but inside extended support: ``eol``, warning (it still gets fixes, at extra
  cost; the message says until when). Within ``warn_before`` of the end that counts: ``eol-soon``,
  warning. A date is "past" when today is strictly after it (endoflife.date's own rule).
- The message says the date and the first supported cycle to move to: the oldest newer cycle
  whose support lasts beyond ``today + warn_before``.
- The control plane follows its distribution's calendar: EKS ``amazon-eks``, GKE
  ``google-kubernetes-engine``, AKS ``azure-kubernetes-service``, OpenShift
  ``red-hat-openshift``; otherwise upstream ``kubernetes``.

Dates are always passed in (``today``): nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from packaging.version import Version

from tracker.models import Severity
from tracker.upstream.endoflife import Product, SupportCycle
from tracker.versions import ParsedVersion

__all__ = [
    "CONTROL_PLANE_PRODUCTS",
    "LifecycleVerdict",
    "LineCalendar",
    "Support",
    "control_plane_product",
    "cycle_for",
    "judge",
]

CONTROL_PLANE_PRODUCTS = {
    "eks": "amazon-eks",
    "gke": "google-kubernetes-engine",
    "aks": "azure-kubernetes-service",
    "openshift": "red-hat-openshift",
}
"""Distribution -> the endoflife.date product that holds its own Kubernetes calendar."""


def control_plane_product(distribution: str | None) -> str:
    """The endoflife.date product for a cluster's control plane.

    >>> control_plane_product("eks"), control_plane_product("k3s"), control_plane_product(None)
    ('amazon-eks', 'kubernetes', 'kubernetes')
    """
    return CONTROL_PLANE_PRODUCTS.get((distribution or "").lower(), "kubernetes")


@dataclass(frozen=True)
class Support:
    """The support window of the running cycle (report JSON ``support``, design.md §3)."""

    product: str
    cycle: str
    eol: date | None
    eoas: date | None
    eoes: date | None
    lts: bool


@dataclass(frozen=True)
class LifecycleVerdict:
    """What the support window says about one running version.

    Attributes:
        support: the cycle's dates.
        kind: ``eol``, ``eol-soon`` or None (supported, not near its end).
        severity: the finding's severity (None when ``kind`` is None).
        message: one line: what, by when, move to what.
        source: the page the dates come from (``https://endoflife.date/<product>``).
        move_to: the first supported cycle to move to, or None.
    """

    support: Support
    kind: str | None
    severity: Severity | None
    message: str
    source: str
    move_to: str | None = None


def cycle_for(product: Product, version: ParsedVersion) -> SupportCycle | None:
    """The product's cycle that ``version`` belongs to: ``major.minor``, else ``major``."""
    release = version.version.release
    names = [f"{release[0]}.{release[1] if len(release) > 1 else 0}", str(release[0])]
    by_name = {cycle.name: cycle for cycle in product.cycles}
    return next((by_name[name] for name in names if name in by_name), None)


def _ended(day: date | None, flag: bool | None, today: date) -> bool:
    if day is not None:
        return today > day
    return bool(flag)


EXTENDED_BY_DEFAULT = frozenset({"amazon-eks"})
"""Products whose extended support (``eoes``) applies without opting in."""


def _final_end(product: Product, cycle: SupportCycle) -> tuple[date | None, bool | None, bool]:
    """(date, flag, is_extended) of the end that counts for ``cycle``."""
    extended = product.name in EXTENDED_BY_DEFAULT
    if extended and (cycle.eoes is not None or cycle.eoes_flag is not None):
        return cycle.eoes, cycle.eoes_flag, True
    return cycle.eol, cycle.eol_flag, False


def _cycle_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return ()


def _move_to(product: Product, current: SupportCycle, horizon: date) -> SupportCycle | None:
    here = _cycle_key(current.name)
    newer = [c for c in product.cycles if _cycle_key(c.name) > here and _cycle_key(c.name)]
    for cycle in sorted(newer, key=lambda c: _cycle_key(c.name)):
        end, flag, _ = _final_end(product, cycle)
        if not _ended(end, flag, horizon):
            return cycle
    return None


@dataclass(frozen=True)
class LineCalendar:
    """Which release lines of one product are past their end of support on one day, computed
    once (a report asks it for every fixed version of every advisory).

    The rules are :func:`judge`'s: a line is the product's ``major.minor`` cycle, else its
    ``major`` cycle; it has ended when the end that counts (``eoes`` for ``amazon-eks``, else
    ``eol``) is strictly before the day, so a line inside EKS extended support has not; a
    version older than every listed cycle has ended once the oldest listed has.

    Attributes:
        ended: cycle (as a release tuple, ``(1, 27)``) -> True when past its end, for every
            cycle with a numeric name.
        supported: the cycles released by the day (no release date: assumed released) that
            have not ended, ascending.
        oldest: the oldest listed cycle and whether it has ended, or None.
        firsts: the first version of each supported line, ascending, as (comparable
            version, display): ``(Version("1.32.0"), "1.32.0")``.
    """

    ended: Mapping[tuple[int, ...], bool]
    supported: tuple[tuple[int, ...], ...]
    oldest: tuple[tuple[int, ...], bool] | None
    firsts: tuple[tuple[Version, str], ...] = ()
    _verdicts: dict[Version, bool | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, product: Product, today: date) -> LineCalendar:
        """The calendar of ``product`` on ``today``."""
        ended: dict[tuple[int, ...], bool] = {}
        released: list[tuple[int, ...]] = []
        for cycle in product.cycles:
            key = _cycle_key(cycle.name)
            if not key:
                continue
            ended[key] = _ended(*_final_end(product, cycle)[:2], today)
            if cycle.release_date is None or cycle.release_date <= today:
                released.append(key)
        supported = tuple(sorted({k for k in released if not ended[k]}))
        oldest = min(ended) if ended else None
        shown = [".".join(str(part) for part in (*key, 0, 0)[:3]) for key in supported]
        return cls(
            ended,
            supported,
            (oldest, ended[oldest]) if oldest is not None else None,
            tuple((Version(first), first) for first in shown),
        )

    def line_of(self, version: ParsedVersion) -> tuple[int, ...] | None:
        """The listed cycle ``version`` belongs to (``major.minor``, else ``major``), or None."""
        release = version.version.release
        for key in (tuple(release[:2]) + (0,) * (2 - len(release[:2])), (release[0],)):
            if key in self.ended:
                return key
        return None

    def has_ended(self, version: ParsedVersion) -> bool | None:
        """True when ``version``'s line is past its end of support (or older than every
        listed cycle, the oldest having ended); False when listed and not ended; None when
        the product does not list it."""
        known = self._verdicts.get(version.version, ...)
        if known is not ...:
            return known
        key = self.line_of(version)
        if key is not None:
            verdict: bool | None = self.ended[key]
        elif self.oldest is None:
            verdict = None
        else:
            oldest, oldest_ended = self.oldest
            release = version.version.release
            mine = tuple(release[: len(oldest)]) + (0,) * (len(oldest) - len(release))
            verdict = True if oldest_ended and mine < oldest else None
        self._verdicts[version.version] = verdict
        return verdict


def _until(product: Product, cycle: SupportCycle) -> str:
    end, _, _ = _final_end(product, cycle)
    return f" (supported until {end.isoformat()})" if end else ""


def judge(
    product: Product,
    version: ParsedVersion,
    *,
    today: date,
    warn_before: timedelta = timedelta(days=90),
) -> LifecycleVerdict | None:
    """The support verdict for ``version`` of ``product`` on ``today``.

    Returns None when the product does not list the version's cycle, except for a version
    older than every cycle listed once the oldest has ended (then ``eol``, critical).

    >>> from tracker.upstream.endoflife import Product, SupportCycle
    >>> from tracker.versions import parse_version
    >>> p = Product("kubernetes", "Kubernetes", {}, (SupportCycle("1.31",
    ...     eol=date(2025, 10, 28)), SupportCycle("1.30", eol=date(2025, 6, 28))),
    ...     "https://endoflife.date/kubernetes")
    >>> print(judge(p, parse_version("v1.30.4"), today=date(2025, 7, 1)).message)
    Kubernetes 1.30 reached end of life on 2025-06-28 (3 days ago);
    move to 1.31 (supported until 2025-10-28)
    """
    cycle = cycle_for(product, version)
    if cycle is None:
        return _older_than_listed(product, version, today=today, warn_before=warn_before)
    support = Support(product.name, cycle.name, cycle.eol, cycle.eoas, cycle.eoes, cycle.lts)
    end, flag, extended = _final_end(product, cycle)
    target = _move_to(product, cycle, today + warn_before)
    move = f"; move to {target.name}{_until(product, target)}" if target else ""
    what = f"{product.label} {cycle.name}"

    def verdict(kind: str | None, severity: Severity | None, message: str) -> LifecycleVerdict:
        return LifecycleVerdict(
            support, kind, severity, message, product.url, target.name if target else None
        )

    def ago(day: date) -> str:
        days = (today - day).days
        return f"{days} day{'s' if days != 1 else ''} ago"

    if _ended(end, flag, today):
        label = product.labels.get("eoes" if extended else "eol") or "support"
        when = f" on {end.isoformat()} ({ago(end)})" if end else ""
        ended = f"reached the end of {label.lower()}" if extended else "reached end of life"
        return verdict("eol", Severity.CRITICAL, f"{what} {ended}{when}{move}")
    if extended and _ended(cycle.eol, cycle.eol_flag, today):
        std = f" on {cycle.eol.isoformat()}" if cycle.eol else ""
        label = product.labels.get("eoes") or "extended support"
        until = f" until {end.isoformat()}" if end else ""
        return verdict(
            "eol",
            Severity.WARNING,
            f"{what} left standard support{std}; in {label.lower()}{until}{move}",
        )
    if end is not None and end - today <= warn_before:
        days = (end - today).days
        return verdict(
            "eol-soon",
            Severity.WARNING,
            f"{what} reaches end of life on {end.isoformat()} "
            f"(in {days} day{'s' if days != 1 else ''}){move}",
        )
    return verdict(None, None, "")


def _older_than_listed(
    product: Product, version: ParsedVersion, *, today: date, warn_before: timedelta
) -> LifecycleVerdict | None:
    """``eol`` for a version older than every cycle listed, once the oldest listed has ended;
    else None (see the module docstring)."""
    numeric = [c for c in product.cycles if _cycle_key(c.name)]
    if not numeric:
        return None
    oldest = min(numeric, key=lambda c: _cycle_key(c.name))
    width = len(_cycle_key(oldest.name))
    release = version.version.release
    mine = tuple(release[:width]) + (0,) * (width - len(release))
    end, flag, _ = _final_end(product, oldest)
    if mine >= _cycle_key(oldest.name) or not _ended(end, flag, today):
        return None
    name = ".".join(str(part) for part in mine)
    target = _move_to(product, oldest, today + warn_before)
    move = f"; move to {target.name}{_until(product, target)}" if target else ""
    ended = f" (the oldest, {oldest.name}, ended on {end.isoformat()})" if end else ""
    return LifecycleVerdict(
        Support(product.name, name, None, None, None, False),
        "eol",
        Severity.CRITICAL,
        f"{product.label} {name} is older than every cycle endoflife.date lists{ended}: "
        f"past end of life{move}",
        product.url,
        target.name if target else None,
    )
