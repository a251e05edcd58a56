"""GitHub's advisory shapes: the REST ``vulnerable_version_range`` as OSV events.

GitHub REST (``GET /advisories``, ``GET /repos/{owner}/{repo}/security-advisories``) gives one
free-text ``vulnerable_version_range`` per vulnerability (``">= 1.0.0, < 1.0.1"``) where OSV
has structured events; :func:`events_from_constraint` converts it, so the matcher sees one
shape whatever the source.
"""

from __future__ import annotations

import re

from tracker.upstream.osv import AffectedRange

__all__ = ["events_from_constraint"]


_CONSTRAINT_RE = re.compile(r"^\s*(>=|<=|>|<|=)?\s*v?([0-9A-Za-z][0-9A-Za-z.+_-]*)\s*$")


def events_from_constraint(text: str) -> AffectedRange | tuple[str, ...]:
    """GitHub REST ``vulnerable_version_range`` -> an OSV range, or exact versions.

    GitHub writes comma-separated constraints (``">= 1.0.0, < 1.0.1"``, ``"<= 1.0.2"``,
    ``"= 1.2.3"``). ``>=`` is ``introduced``, ``<`` is ``fixed``, ``<=`` is
    ``last_affected``; ``=`` is an exact version (returned as a tuple of versions). A lower
    bound ``>`` has no OSV event and is refused.

    Raises:
        ValueError: the text is not such a constraint (the caller reports the advisory's range
            as unreadable; nothing is guessed).

    >>> events_from_constraint(">= 1.0.0, < 1.0.1").events
    (('introduced', '1.0.0'), ('fixed', '1.0.1'))
    >>> events_from_constraint("<= 1.0.2").events
    (('introduced', '0'), ('last_affected', '1.0.2'))
    >>> events_from_constraint("= 1.2.3")
    ('1.2.3',)
    """
    parts = [p for p in text.split(",") if p.strip()]
    if not parts or len(text) > 200:
        raise ValueError(f"empty or over-long version range {text[:40]!r}")
    lower: str | None = None
    upper: tuple[str, str] | None = None
    exact: list[str] = []
    for part in parts:
        match = _CONSTRAINT_RE.match(part)
        if not match:
            raise ValueError(f"unreadable version constraint {part.strip()[:40]!r}")
        op, version = match.group(1) or "=", match.group(2)
        if op == ">=" and lower is None:
            lower = version
        elif op in ("<", "<=") and upper is None:
            upper = ("fixed" if op == "<" else "last_affected", version)
        elif op == "=":
            exact.append(version)
        else:
            raise ValueError(f"unsupported version constraint {part.strip()[:40]!r}")
    if exact:
        if lower or upper:
            raise ValueError(f"mixed exact and ranged constraints in {text[:40]!r}")
        return tuple(exact)
    events: list[tuple[str, str]] = [("introduced", lower or "0")]
    if upper:
        events.append(upper)
    return AffectedRange("ECOSYSTEM", tuple(events))
