"""Waivers: a finding known and accepted by a named owner until a date.

A waiver never deletes a finding (design.md §4): the finding is still evaluated and shown,
flagged ``waived``, but is not counted by ``--fail-on`` nor sent to Slack. On the day after
``expires`` it stops waiving, and the finding says its waiver expired. A waiver that matches
no finding is reported as stale policy.

Config (``[[waivers]]``, one table per waiver)::

    [[waivers]]
    component = "ingress-nginx"          # required: a component id
    cluster = "prod-eu"                   # optional: only this cluster
    namespace = "ingress"                 # optional: only this namespace
    kind = "outdated"                     # optional: a finding kind, or an advisory id
    version = "1.11.3"                    # optional: only while this version runs
    reason = "upgrade blocked by the WAF migration"
    owner = "team-edge@example.com"
    expires = 2027-03-31                  # a TOML date (or "YYYY-MM-DD")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from tracker.errors import ConfigError
from tracker.versions import ParsedVersion, parse_version

__all__ = ["Waiver", "WaiverMatch", "find_waiver", "parse_waivers", "stale_waivers"]

_REQUIRED = ("component", "reason", "owner", "expires")
_OPTIONAL = ("cluster", "namespace", "kind", "version")
_MAX_TEXT = 500


@dataclass(frozen=True)
class Waiver:
    """One ``[[waivers]]`` entry; ``index`` is its position in the config (0-based)."""

    index: int
    component: str
    reason: str
    owner: str
    expires: date
    cluster: str | None = None
    namespace: str | None = None
    kind: str | None = None
    version: str | None = None

    @property
    def label(self) -> str:
        """How messages name it: ``waivers[2] (ingress-nginx)``."""
        return f"waivers[{self.index}] ({self.component})"


@dataclass(frozen=True)
class WaiverMatch:
    """The waiver that applies to a finding; ``expired`` when ``today`` is past ``expires``."""

    waiver: Waiver
    expired: bool


def _text(entry: Mapping[str, object], key: str, where: str, *, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise ConfigError(
                f"{where}: {key} is missing", "every waiver needs component, reason, owner, expires"
            )
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key} must be a non-empty string")
    if len(value) > _MAX_TEXT or any(ord(ch) < 32 for ch in value):
        raise ConfigError(f"{where}: {key} must be one line of at most {_MAX_TEXT} characters")
    return value.strip()


def parse_waivers(raw: object, *, source: str) -> tuple[Waiver, ...]:
    """Validate the ``waivers`` array of a config file.

    Args:
        raw: the decoded TOML value of ``waivers`` (a list of tables), or None.
        source: the config file's name, for messages.

    Raises:
        ConfigError: naming ``source``, the waiver by index and the field (``tracker.toml:
            waivers[1]: expires '31/03/2027' is not a date``); unknown keys are errors too.

    >>> w = parse_waivers([{"component": "istio", "reason": "r", "owner": "o",
    ...     "expires": date(2027, 3, 31)}], source="t.toml")
    >>> w[0].label, w[0].expires
    ('waivers[0] (istio)', datetime.date(2027, 3, 31))
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ConfigError(f"{source}: waivers must be an array of tables ([[waivers]])")
    out: list[Waiver] = []
    for index, entry in enumerate(raw):
        where = f"{source}: waivers[{index}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
        if unknown:
            raise ConfigError(
                f"{where}: unknown key {unknown[0]!r}",
                f"waiver keys are {', '.join(_REQUIRED + _OPTIONAL)}",
            )
        expires = entry.get("expires")
        if isinstance(expires, str):
            text = expires
            try:
                expires = date.fromisoformat(text)
            except ValueError:
                raise ConfigError(
                    f"{where}: expires {text[:30]!r} is not a date", "write it as 2027-03-31"
                ) from None
        if expires is None:
            raise ConfigError(f"{where}: expires is missing", "a waiver must end: 2027-03-31")
        if not isinstance(expires, date):
            raise ConfigError(f"{where}: expires must be a date", "write it as 2027-03-31")
        texts = {key: _text(entry, key, where, required=True) for key in _REQUIRED[:3]}
        options = {key: _text(entry, key, where, required=False) for key in _OPTIONAL}
        out.append(
            Waiver(
                index=index,
                component=str(texts["component"]),
                reason=str(texts["reason"]),
                owner=str(texts["owner"]),
                expires=expires,
                **options,
            )
        )
    return tuple(out)


def _same_version(wanted: str, running: str | None) -> bool:
    if running is None:
        return False
    a, b = parse_version(wanted), parse_version(running)
    if isinstance(a, ParsedVersion) and isinstance(b, ParsedVersion):
        return a.version == b.version
    return wanted == running


def find_waiver(
    waivers: Iterable[Waiver],
    *,
    component: str,
    kind: str,
    today: date,
    cluster: str | None = None,
    namespace: str | None = None,
    version: str | None = None,
    advisory_ids: Sequence[str] = (),
) -> WaiverMatch | None:
    """The waiver for one finding, or None.

    A waiver matches when its component is the finding's and each optional field it sets
    equals the finding's (``kind`` may name the finding kind or one of ``advisory_ids``;
    ``version`` compares as a version, so ``1.11.3`` waives ``v1.11.3-eks-1``). Among
    several, a live one wins over an expired one, then the most specific, then the latest
    expiry.

    >>> ws = parse_waivers([{"component": "x", "reason": "r", "owner": "o",
    ...     "expires": "2027-01-31", "kind": "outdated"}], source="t")
    >>> find_waiver(ws, component="x", kind="outdated", today=date(2027, 2, 1)).expired
    True
    """
    candidates: list[tuple[bool, int, date, Waiver]] = []
    for waiver in waivers:
        if waiver.component.lower() != component.lower():
            continue
        if waiver.cluster is not None and waiver.cluster != cluster:
            continue
        if waiver.namespace is not None and waiver.namespace != namespace:
            continue
        if waiver.kind is not None and waiver.kind != kind and waiver.kind not in advisory_ids:
            continue
        if waiver.version is not None and not _same_version(waiver.version, version):
            continue
        specific = sum(
            getattr(waiver, key) is not None for key in ("cluster", "namespace", "kind", "version")
        )
        candidates.append((today <= waiver.expires, specific, waiver.expires, waiver))
    if not candidates:
        return None
    live, _, _, best = max(candidates, key=lambda c: c[:3])
    return WaiverMatch(best, expired=not live)


def stale_waivers(waivers: Iterable[Waiver], used: Iterable[int]) -> list[str]:
    """One warning per waiver (by index) that matched no finding: stale policy."""
    seen = set(used)
    return [
        f"{w.label} matches no finding (owner {w.owner}): remove it or correct its fields"
        for w in waivers
        if w.index not in seen
    ]
