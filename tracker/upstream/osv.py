"""Security advisories in the OSV format, validated once at the boundary.

OSV (Open Source Vulnerability format, ossf/osv-schema ``docs/schema.md``) is what the
public advisory databases publish (GHSA records, the Go vulnerability database) and what
``tracker advisories import`` reads. :func:`parse_osv` turns one record into an
:class:`Advisory`; sources with another shape convert to the same event timeline, so the
matcher (:mod:`tracker.evaluate.advisories`) sees one shape whatever the source.

Rules taken from the schema:

- ``affected[].ranges[].events`` is a timeline of ``introduced`` / ``fixed`` /
  ``last_affected`` / ``limit`` events; ``introduced: "0"`` means before every version.
- ``affected[].versions`` lists affected versions explicitly (a version is affected when it is
  in any range OR in that list).
- ``withdrawn`` set: the advisory no longer applies (kept, flagged; the matcher ignores it).
- ``GIT`` ranges (commit hashes) cannot be compared with release versions and are skipped.

One quirk of real data: Go vulnerability database records for projects whose Go module is not
version-tagged (``k8s.io/ingress-nginx``) say ``SEMVER introduced 0`` with no fix in
``ranges`` and keep the project's real versions in ``ecosystem_specific.custom_ranges``;
those custom ranges are used in place of ``ranges`` (a naive reading would call every version
vulnerable).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tracker.errors import UpstreamError
from tracker.upstream.cvss import severity_from_vector

__all__ = [
    "Advisory",
    "AdvisoryFormatError",
    "AffectedPackage",
    "AffectedRange",
    "parse_osv",
    "parse_osv_any",
    "severity_word",
]


class AdvisoryFormatError(UpstreamError):
    """An advisory record that is not valid OSV (names the record and the field)."""


@dataclass(frozen=True)
class AffectedRange:
    """One OSV range: ``events`` is a tuple of ``(kind, version)`` in file order.

    ``kind`` is ``introduced``, ``fixed``, ``last_affected`` or ``limit``; ``version`` is the
    string as published (``"0"``, ``"1.11.5"``, ``"1.12.0-beta.0"``).
    """

    type: str
    events: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AffectedPackage:
    """The part of an advisory about one package (OSV ``affected[]`` item).

    Attributes:
        ecosystem: ``Go``, ``npm``, ... as in OSV (a lower-case ``go`` from another source
            is normalized to OSV's spelling).
        name: the package name (``k8s.io/ingress-nginx``, ``istio.io/istio``).
        ranges: the comparable ranges (``SEMVER`` / ``ECOSYSTEM``).
        versions: explicitly listed affected versions.
    """

    ecosystem: str
    name: str
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Advisory:
    """One security advisory.

    Attributes:
        id: ``GHSA-...`` or ``GO-...`` (the record's own id).
        aliases: other ids (``CVE-...``, ``GHSA-...``).
        summary: one line of text from upstream (untrusted: escape before display).
        severity: ``critical``, ``high``, ``moderate``, ``low`` or ``unknown`` (``medium``
            is stored as ``moderate``): the record's own word, else the rating of its CVSS v3
            vector, else (set by :func:`tracker.evaluate.aliases.borrow_severity`) the word
            of a stored alias record.
        severity_source: where ``severity`` comes from: ``advisory`` (the record's
            ``database_specific.severity``), ``cvss`` (computed from its own ``CVSS_V3``
            vector, :mod:`tracker.upstream.cvss`), ``alias`` (the record named in
            ``severity_alias``) or ``unknown``.
        severity_alias: the id of the alias record the severity was taken from, or None.
        cvss_vector: the first CVSS vector given (``CVSS:3.1/AV:N/...``), or None.
        cvss_score: the CVSS v3 base score computed from the first ``CVSS_V3`` vector
            (0.0-10.0), or None when there is none that can be scored.
        affected: per package, the affected ranges.
        published, modified: aware UTC datetimes, or None.
        withdrawn: when the advisory was withdrawn (then it matches nothing), else None.
        url: a human page for the advisory (https only), or None.
    """

    id: str
    aliases: tuple[str, ...]
    summary: str
    severity: str
    cvss_vector: str | None
    cvss_score: float | None
    affected: tuple[AffectedPackage, ...]
    published: datetime | None = None
    modified: datetime | None = None
    withdrawn: datetime | None = None
    url: str | None = None
    severity_source: str = "advisory"
    severity_alias: str | None = None

    @property
    def cve_ids(self) -> tuple[str, ...]:
        """The CVE ids among the id and aliases, in order."""
        return tuple(a for a in (self.id, *self.aliases) if a.startswith("CVE-"))

    @property
    def ghsa_ids(self) -> tuple[str, ...]:
        """The GHSA ids among the id and aliases, in order."""
        return tuple(a for a in (self.id, *self.aliases) if a.startswith("GHSA-"))


_SEVERITY_WORDS = {
    "critical": "critical",
    "high": "high",
    "moderate": "moderate",
    "medium": "moderate",
    "low": "low",
}
_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9._:-]+$")


def severity_word(value: object) -> str:
    """Normalize an advisory severity word; anything unknown is ``unknown``.

    >>> severity_word("MODERATE"), severity_word("medium"), severity_word(None)
    ('moderate', 'moderate', 'unknown')
    """
    if not isinstance(value, str):
        return "unknown"
    return _SEVERITY_WORDS.get(value.strip().lower(), "unknown")


def _when(value: object, record: str, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise AdvisoryFormatError(f"advisory {record}: {field} is not a date-time string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AdvisoryFormatError(
            f"advisory {record}: {field} {value[:40]!r} is not RFC 3339"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _strings(value: object, record: str, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AdvisoryFormatError(f"advisory {record}: {field} must be a list of strings")
    return tuple(value)


def _range(item: object, record: str, where: str) -> AffectedRange | None:
    if not isinstance(item, Mapping):
        raise AdvisoryFormatError(f"advisory {record}: {where} is not an object")
    kind = item.get("type")
    if kind == "GIT":
        return None  # commit ancestry: not comparable with release versions
    if kind not in ("SEMVER", "ECOSYSTEM"):
        raise AdvisoryFormatError(f"advisory {record}: {where}.type {str(kind)[:20]!r} is unknown")
    raw_events = item.get("events")
    if not isinstance(raw_events, list) or not raw_events:
        raise AdvisoryFormatError(f"advisory {record}: {where}.events must be a non-empty list")
    events: list[tuple[str, str]] = []
    for index, event in enumerate(raw_events):
        pairs = (
            [(k, v) for k, v in event.items() if k in _EVENT_KINDS]
            if isinstance(event, Mapping)
            else []
        )
        if len(pairs) != 1 or not isinstance(pairs[0][1], str) or not pairs[0][1]:
            raise AdvisoryFormatError(
                f"advisory {record}: {where}.events[{index}] must hold exactly one of "
                "introduced, fixed, last_affected, limit with a version string"
            )
        events.append((pairs[0][0], pairs[0][1]))
    if not any(kind == "introduced" for kind, _ in events):
        raise AdvisoryFormatError(f"advisory {record}: {where} has no introduced event")
    return AffectedRange(str(kind), tuple(events))


def _affected(item: object, record: str, index: int) -> AffectedPackage:
    where = f"affected[{index}]"
    if not isinstance(item, Mapping):
        raise AdvisoryFormatError(f"advisory {record}: {where} is not an object")
    package = item.get("package")
    if not isinstance(package, Mapping):
        raise AdvisoryFormatError(f"advisory {record}: {where}.package is missing")
    ecosystem, name = package.get("ecosystem"), package.get("name")
    if not isinstance(ecosystem, str) or not isinstance(name, str) or not name:
        raise AdvisoryFormatError(f"advisory {record}: {where}.package needs ecosystem and name")
    raw_ranges = item.get("ranges") or []
    specific = item.get("ecosystem_specific")
    custom = specific.get("custom_ranges") if isinstance(specific, Mapping) else None
    if custom:
        # Go vulndb: the module's own SEMVER range is "introduced 0" (no tagged module);
        # the project's real versions are in custom_ranges.
        raw_ranges, label = custom, f"{where}.ecosystem_specific.custom_ranges"
    else:
        label = f"{where}.ranges"
    if not isinstance(raw_ranges, list):
        raise AdvisoryFormatError(f"advisory {record}: {label} must be a list")
    ranges = tuple(
        r for i, raw in enumerate(raw_ranges) if (r := _range(raw, record, f"{label}[{i}]"))
    )
    return AffectedPackage(
        ecosystem=_ecosystem(ecosystem),
        name=name,
        ranges=ranges,
        versions=_strings(item.get("versions"), record, f"{where}.versions"),
    )


def _ecosystem(value: str) -> str:
    """OSV spelling of an ecosystem (``go`` -> ``Go``)."""
    return {"go": "Go", "npm": "npm", "pip": "PyPI", "maven": "Maven"}.get(value.lower(), value)


def _https(url: object) -> str | None:
    return url if isinstance(url, str) and url.startswith("https://") and len(url) < 2048 else None


def parse_osv(data: object, *, source: str) -> Advisory:
    """Validate one OSV record (already decoded JSON) and return it as an :class:`Advisory`.

    Args:
        data: the decoded JSON object.
        source: where it came from (a file name), for error messages.

    Raises:
        AdvisoryFormatError: the record is not an object, or a required field (``id``,
            ``affected[].package``, range events) is missing or malformed; the message names
            ``source``, the record id and the field.

    >>> a = parse_osv({"id": "GHSA-x", "aliases": ["CVE-1"], "affected": [{"package":
    ...     {"ecosystem": "Go", "name": "k8s.io/x"}, "ranges": [{"type": "ECOSYSTEM",
    ...     "events": [{"introduced": "0"}, {"fixed": "1.2.0"}]}]}],
    ...     "database_specific": {"severity": "HIGH"}}, source="x.json")
    >>> a.severity, a.cve_ids, a.affected[0].ranges[0].events
    ('high', ('CVE-1',), (('introduced', '0'), ('fixed', '1.2.0')))
    """
    if not isinstance(data, Mapping):
        raise AdvisoryFormatError(f"{source}: an OSV record must be a JSON object")
    record = data.get("id")
    if not isinstance(record, str) or not _ID_RE.match(record) or len(record) > 100:
        raise AdvisoryFormatError(f"{source}: id is missing or not an advisory id")
    affected_raw = data.get("affected") or []
    if not isinstance(affected_raw, list):
        raise AdvisoryFormatError(f"advisory {record}: affected must be a list")
    specific = data.get("database_specific")
    severity = severity_word(specific.get("severity") if isinstance(specific, Mapping) else None)
    listed = data.get("severity")
    scores = [s for s in listed if isinstance(s, Mapping)] if isinstance(listed, list) else []
    vectors = [s.get("score") for s in scores if str(s.get("type", "")).startswith("CVSS")]
    v3 = next(
        (
            s["score"]
            for s in scores
            if s.get("type") == "CVSS_V3" and isinstance(s.get("score"), str)
        ),
        None,
    )
    computed = severity_from_vector(v3)
    source = "advisory" if severity != "unknown" else "cvss" if computed else "unknown"
    if source == "cvss" and computed is not None:
        severity = computed[0]
    references = [r for r in data.get("references") or [] if isinstance(r, Mapping)]
    ids = (record, *(a for a in data.get("aliases") or [] if isinstance(a, str)))
    urls = [(r.get("type"), _https(r.get("url"))) for r in references]
    url = next((u for _, u in urls if u and any(i in u for i in ids)), None) or next(
        (u for kind, u in urls if u and kind == "ADVISORY"), None
    )
    summary = data.get("summary")
    return Advisory(
        id=record,
        aliases=_strings(data.get("aliases"), record, "aliases"),
        summary=summary[:300] if isinstance(summary, str) else "",
        severity=severity,
        cvss_vector=next((v for v in vectors if isinstance(v, str)), None),
        cvss_score=computed[1] if computed else None,
        affected=tuple(_affected(item, record, i) for i, item in enumerate(affected_raw)),
        published=_when(data.get("published"), record, "published"),
        modified=_when(data.get("modified"), record, "modified"),
        withdrawn=_when(data.get("withdrawn"), record, "withdrawn"),
        url=url,
        severity_source=source,
    )


def parse_osv_any(data: Any, *, source: str) -> list[Advisory]:
    """One record, or a JSON array of records (an export), as advisories.

    Raises:
        AdvisoryFormatError: as :func:`parse_osv`, for the first bad record.
    """
    if isinstance(data, list):
        return [parse_osv(item, source=f"{source}[{i}]") for i, item in enumerate(data)]
    return [parse_osv(data, source=source)]
