"""GitHub's advisory shapes: the REST ``vulnerable_version_range`` as OSV events.

GitHub REST (``GET /advisories``, ``GET /repos/{owner}/{repo}/security-advisories``) gives one
free-text ``vulnerable_version_range`` per vulnerability (``">= 1.0.0, < 1.0.1"``) where OSV
has structured events; :func:`events_from_constraint` converts it, so the matcher sees one
shape whatever the source.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tracker.upstream.osv import AffectedRange

__all__ = ["advisory_to_osv", "events_from_constraint"]


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


# --------------------------------------------------------------------------- REST -> OSV

_SEVERITY_UPPER = {"critical": "CRITICAL", "high": "HIGH", "medium": "MODERATE", "low": "LOW"}


def _range_events(text: object) -> tuple[list[dict[str, str]], list[str]]:
    """OSV events (or exact versions) for one ``vulnerable_version_range``.

    A range :func:`events_from_constraint` cannot read is kept as an ``introduced`` event
    holding the text as published, so the matcher reports it as unreadable (never guessed).
    """
    raw = text if isinstance(text, str) else ""
    try:
        converted = events_from_constraint(raw)
    except ValueError:
        return [{"introduced": raw.strip()[:200] or "(none given)"}], []
    if isinstance(converted, tuple):
        return [], list(converted)
    return [{kind: version} for kind, version in converted.events], []


def advisory_to_osv(item: Mapping[str, Any]) -> dict[str, Any]:
    """One REST global advisory (``GET /advisories`` item) as an OSV record (a plain dict).

    ``ghsa_id`` -> ``id``; ``cve_id`` -> ``aliases``; each ``vulnerabilities[]`` item -> one
    ``affected[]`` entry (ecosystem spelled as OSV: ``go`` -> ``Go``) with an ``ECOSYSTEM``
    range from its ``vulnerable_version_range`` (``= x`` constraints become ``versions``);
    ``severity`` -> ``database_specific.severity`` (``medium`` -> ``MODERATE``); the CVSS
    vector -> ``severity[]``; ``html_url`` -> an ``ADVISORY`` reference; ``withdrawn_at`` ->
    ``withdrawn``. The result goes through :func:`tracker.upstream.osv.parse_osv` like any
    imported record.

    Raises:
        ValueError: the item is not an object with a ``ghsa_id`` string.
    """
    ghsa = item.get("ghsa_id")
    if not isinstance(ghsa, str) or not ghsa:
        raise ValueError("advisory item without ghsa_id")
    affected: list[dict[str, Any]] = []
    for vuln in item.get("vulnerabilities") or []:
        package = vuln.get("package") if isinstance(vuln, Mapping) else None
        if not isinstance(package, Mapping) or not isinstance(package.get("name"), str):
            continue
        events, versions = _range_events(vuln.get("vulnerable_version_range"))
        entry: dict[str, Any] = {
            "package": {
                "ecosystem": _OSV_ECOSYSTEMS.get(str(package.get("ecosystem")), "Go"),
                "name": package["name"],
            }
        }
        if events:
            entry["ranges"] = [{"type": "ECOSYSTEM", "events": events}]
        if versions:
            entry["versions"] = versions
        affected.append(entry)
    record: dict[str, Any] = {
        "schema_version": "1.4.0",
        "id": ghsa,
        "aliases": [item["cve_id"]] if isinstance(item.get("cve_id"), str) else [],
        "summary": item.get("summary") if isinstance(item.get("summary"), str) else "",
        "affected": affected,
        "database_specific": {
            "severity": _SEVERITY_UPPER.get(str(item.get("severity")).lower(), "UNKNOWN"),
            "source": "github-rest",
        },
    }
    cvss = item.get("cvss")
    if isinstance(cvss, Mapping) and isinstance(cvss.get("vector_string"), str):
        version = "CVSS_V4" if cvss["vector_string"].startswith("CVSS:4") else "CVSS_V3"
        record["severity"] = [{"type": version, "score": cvss["vector_string"]}]
        if isinstance(cvss.get("score"), int | float):
            record["database_specific"]["cvss_score"] = cvss["score"]
    if isinstance(item.get("html_url"), str):
        record["references"] = [{"type": "ADVISORY", "url": item["html_url"]}]
    for rest, osv in (
        ("published_at", "published"),
        ("updated_at", "modified"),
        ("withdrawn_at", "withdrawn"),
    ):
        if isinstance(item.get(rest), str):
            record[osv] = item[rest]
    return record


_OSV_ECOSYSTEMS = {"go": "Go", "npm": "npm", "pip": "PyPI", "maven": "Maven", "rust": "crates.io"}
