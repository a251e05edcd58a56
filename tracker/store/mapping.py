"""Rows <-> tracker's dataclasses, and "store what fits": the one place values meet columns.

Every value written goes through a :class:`Fitter`, so SQLite and PostgreSQL store the
same thing:

- text longer than its ``VARCHAR(n)`` column is cut to ``n`` characters ending in
  :data:`TRUNCATED` (for columns that identify a row, e.g. a cluster name or a release tag,
  a short hash of the whole value comes before the marker, so two long values that share a
  prefix stay distinct and a lookup by the same long value finds the row: :func:`fit_key`);
- NUL characters (PostgreSQL text cannot hold them) and lone surrogates (not encodable as
  UTF-8) become U+FFFD, in text and inside JSON values alike.

Each change is reported once per call and column as one line naming the object and the
field (:meth:`Fitter.lines`); nothing else of the scan or sync is refused for it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any, TypeVar

import sqlalchemy as sa

from tracker.fleet import row_severity
from tracker.models import (
    AdvisoryRef,
    Behind,
    Component,
    ComponentReport,
    Finding,
    Flag,
    Release,
    Role,
    Severity,
    Status,
    SupportWindow,
    Unidentified,
    WaiverRef,
)

E = TypeVar("E", bound=Enum)

TRUNCATED = "…[truncated]"
"""The end of a value the store had to shorten to fit its column."""

REPLACEMENT = "\ufffd"
"""What NUL characters and lone surrogates become (U+FFFD REPLACEMENT CHARACTER)."""

MAX_ERROR_CHARS = 2000
"""Error texts (sync and outbox ``last_error``) are kept to this many characters."""

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_KEY_COLUMNS = frozenset(
    {
        "clusters.name",
        "clusters.server",
        "releases.project",
        "releases.tag",
        "sync_state.project",
        "locks.name",
        "report_rows.cluster",
        "outbox.cluster",
        "upstream_documents.kind",
        "upstream_documents.subject",
        "upstream_documents.key",
    }
)
"""Columns that identify a row: truncated values keep a hash of the whole value."""


def clean_text(value: str) -> str:
    """``value`` with NUL characters and lone surrogates replaced by U+FFFD.

    >>> clean_text("pod\\x00name")
    'pod\\ufffdname'
    """
    return _UNSTORABLE.sub(REPLACEMENT, value)


def fit_key(value: str, limit: int) -> str:
    """``value`` as stored in an identifying ``VARCHAR(limit)`` column (also for lookups).

    Longer values keep their first characters, then ``~`` and 8 hex digits of the SHA-256
    of the whole value, then :data:`TRUNCATED`; exactly ``limit`` characters.

    >>> len(fit_key("c" * 300, 255)), fit_key("c" * 300, 255)[-22:]
    (255, 'c~b9defaed…[truncated]')
    >>> fit_key("prod", 255)
    'prod'
    """
    value = clean_text(value)
    if len(value) <= limit:
        return value
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:8]
    tail = f"~{digest}{TRUNCATED}"
    return value[: max(0, limit - len(tail))] + tail


def key_for(column: sa.Column[Any], value: str) -> str:
    """``value`` as stored in (and looked up by) the identifying ``column``."""
    limit = getattr(column.type, "length", None)
    return fit_key(value, limit) if limit else clean_text(value)


def fit_text(value: str, limit: int | None) -> str:
    """``value`` cleaned and, beyond ``limit`` characters, cut to end in :data:`TRUNCATED`."""
    value = clean_text(value)
    if limit is None or len(value) <= limit:
        return value
    return value[: max(0, limit - len(TRUNCATED))] + TRUNCATED


def shorten(text: str, limit: int = 60) -> str:
    """``text`` for a one-line message: cleaned, at most ``limit`` characters, quoted with
    control characters escaped (``repr``), so untrusted text never reaches a terminal raw.

    >>> shorten("a\\x1b[31mb")
    "'a\\\\x1b[31mb'"
    """
    text = clean_text(text)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)


def _clean_json(value: Any) -> tuple[Any, bool]:
    """``value`` (JSON-shaped) with every string cleaned; True when anything changed."""
    if isinstance(value, str):
        cleaned = clean_text(value)
        return cleaned, cleaned != value
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            new_key, key_changed = _clean_json(key) if isinstance(key, str) else (key, False)
            new_item, item_changed = _clean_json(item)
            out[new_key] = new_item
            changed = changed or key_changed or item_changed
        return out, changed
    if isinstance(value, list | tuple):
        items = [_clean_json(item) for item in value]
        return [item for item, _ in items], any(changed for _, changed in items)
    return value, False


@dataclass
class _Note:
    obj: str
    count: int
    detail: str


class Fitter:
    """Fits the values of rows to their table's columns and remembers what it changed.

    One fitter per store call; :meth:`lines` then gives one warning line per column and
    kind of change (the first object named, the rest counted).
    """

    def __init__(self) -> None:
        self._notes: dict[tuple[str, str], _Note] = {}

    def row(self, table: sa.Table, values: dict[str, Any], obj: str) -> dict[str, Any]:
        """``values`` for an INSERT/UPDATE of ``table``, fitted; ``obj`` names the object
        in warnings (e.g. ``cluster 'prod' component 'istio'``; already :func:`shorten`-ed)."""
        out = dict(values)
        for name, value in values.items():
            if value is None or name not in table.c:
                continue
            column = table.c[name]
            where = f"{table.name}.{name}"
            if isinstance(column.type, sa.JSON):
                cleaned, changed = _clean_json(value)
                out[name] = cleaned
                if changed:
                    self._note(where, "clean", obj, "held NUL bytes or invalid characters")
            elif isinstance(value, str):
                limit = getattr(column.type, "length", None)
                fitted = fit_key(value, limit) if limit and where in _KEY_COLUMNS else None
                if fitted is None:
                    fitted = fit_text(value, limit)
                out[name] = fitted
                if clean_text(value) != value:
                    self._note(where, "clean", obj, "held NUL bytes or invalid characters")
                if limit is not None and len(value) > limit:
                    self._note(
                        where,
                        "cut",
                        obj,
                        f"was {len(value)} characters, longer than the column's {limit}",
                    )
        return out

    def _note(self, where: str, kind: str, obj: str, detail: str) -> None:
        note = self._notes.get((where, kind))
        if note is None:
            self._notes[(where, kind)] = _Note(obj, 1, detail)
        else:
            note.count += 1

    def lines(self) -> list[str]:
        """One line per column and kind of change, in the order they were first seen."""
        out = []
        for (where, kind), note in self._notes.items():
            done = (
                f"stored truncated, ending in {TRUNCATED!r}"
                if kind == "cut"
                else "stored with U+FFFD in their place"
            )
            more = f" (and {note.count - 1} more)" if note.count > 1 else ""
            out.append(f"{note.obj}: field {where} {note.detail}; {done}{more}")
        return out


def error_text(text: str) -> str:
    """An error message as stored (``last_error``): cleaned, at most
    :data:`MAX_ERROR_CHARS` characters (ending in ``…`` when cut)."""
    text = clean_text(text)
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


# -- components, unidentified, report rows ----------------------------------------------


def component_obj(cluster: str, c: Component) -> str:
    """How warnings name a component of a scan."""
    where = "/".join(x for x in (c.namespace, c.workload) if x)
    at = f" at {shorten(where)}" if where else ""
    return f"cluster {shorten(cluster)}: component {shorten(c.component)}{at}"


def component_values(c: Component) -> dict[str, Any]:
    """The columns of a :class:`Component` (``scan_components`` and ``report_rows``)."""
    return {
        "component": c.component,
        "role": c.role.value,
        "raw_version": c.raw_version,
        "project": c.project,
        "namespace": c.namespace,
        "workload": c.workload,
        "image": c.image,
        "instances": c.instances,
        "revision": c.revision,
        "detail": c.detail,
        "mirrored": c.mirrored,
    }


def component_from(row: Any) -> Component:
    """A :class:`Component` from a ``scan_components`` or ``report_rows`` row."""
    return Component(
        component=row.component,
        role=_role(row.role),
        raw_version=row.raw_version,
        project=row.project,
        namespace=row.namespace,
        workload=row.workload,
        image=row.image,
        instances=row.instances,
        revision=row.revision,
        detail=row.detail,
        mirrored=bool(row.mirrored),
    )


def unidentified_values(u: Unidentified) -> dict[str, Any]:
    """The columns of an :class:`Unidentified` image (``scan_unidentified``)."""
    return {
        "namespace": u.namespace,
        "workload": u.workload,
        "image": u.image,
        "reason": u.reason,
    }


def unidentified_from(row: Any) -> Unidentified:
    """An :class:`Unidentified` from a ``scan_unidentified`` row."""
    return Unidentified(row.namespace, row.workload, row.image, row.reason)


def report_values(r: ComponentReport) -> dict[str, Any]:
    """The columns of a :class:`ComponentReport` (``report_rows``, without scan/position)."""
    severity = row_severity(r)
    return {
        "cluster": r.cluster,
        **component_values(r.component),
        "current": r.current,
        "latest": r.latest,
        "latest_patch": r.latest_patch,
        "latest_url": r.latest_url,
        "status": r.status.value,
        "behind": r.behind.value if r.behind is not None else None,
        "releases_behind": r.releases_behind,
        "days_behind": r.days_behind,
        "flags": [f.value for f in r.flags],
        "findings": [_finding_values(f) for f in r.findings],
        "details": _details(r),
        "severity": severity.value if severity is not None else None,
    }


def _finding_values(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": f.kind.value, "severity": f.severity.value, "message": f.message}
    if f.source is not None:
        out["source"] = f.source
    if f.waived:
        out["waived"] = True
    return out


def _enum_of(kind: type[E]) -> Callable[[str], E]:
    """``kind(value)`` through a dict: a stored row names several members, and Enum's own
    lookup is a slow path when a fleet read turns 20,000 rows into objects. An unknown value
    still raises ValueError, as ``kind(value)`` does."""
    members: dict[str, E] = {m.value: m for m in kind}

    def member(value: str) -> E:
        found = members.get(value)
        return found if found is not None else kind(value)

    return member


_flag = _enum_of(Flag)
_severity = _enum_of(Severity)
_status = _enum_of(Status)
_behind = _enum_of(Behind)
_role = _enum_of(Role)


def _finding_from(f: Mapping[str, Any]) -> Finding:
    return Finding(
        _flag(f["kind"]),
        _severity(f["severity"]),
        f["message"],
        source=f.get("source"),
        waived=bool(f.get("waived", False)),
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None


def _details(r: ComponentReport) -> dict[str, Any] | None:
    """The optional parts of a row as JSON (``report_rows.details``), None when absent."""
    out: dict[str, Any] = {}
    if r.support is not None:
        s = r.support
        out["support"] = {
            "product": s.product,
            "cycle": s.cycle,
            "eol": _iso(s.eol),
            "eoas": _iso(s.eoas),
            "eoes": _iso(s.eoes),
            "lts": s.lts,
        }
    if r.advisories:
        out["advisories"] = [
            {
                "id": a.id,
                "aliases": list(a.aliases),
                "severity": a.severity,
                "fixed_in": list(a.fixed_in),
                "nearest_fix": a.nearest_fix,
                "url": a.url,
                "cvss": a.cvss,
                "summary": a.summary,
                "severity_source": a.severity_source,
                "severity_alias": a.severity_alias,
                "nearest_fix_eol": a.nearest_fix_eol,
                "supported_fix": a.supported_fix,
                **({"waived": True} if a.waived else {}),
            }
            for a in r.advisories
        ]
    if r.waiver is not None:
        w = r.waiver
        out["waiver"] = {
            "reason": w.reason,
            "owner": w.owner,
            "expires": w.expires.isoformat(),
            "expired": w.expired,
        }
    return out or None


def _details_from(details: Any) -> dict[str, Any]:
    """``support``/``advisories``/``waiver`` keyword arguments from ``report_rows.details``."""
    if not isinstance(details, Mapping):
        return {}
    out: dict[str, Any] = {}
    s = details.get("support")
    if isinstance(s, Mapping):
        out["support"] = SupportWindow(
            product=s["product"],
            cycle=s["cycle"],
            eol=_day(s.get("eol")),
            eoas=_day(s.get("eoas")),
            eoes=_day(s.get("eoes")),
            lts=bool(s.get("lts")),
        )
    advisories = details.get("advisories")
    if isinstance(advisories, list):
        out["advisories"] = tuple(
            AdvisoryRef(
                id=a["id"],
                aliases=tuple(a.get("aliases") or ()),
                severity=a.get("severity", "unknown"),
                fixed_in=tuple(a.get("fixed_in") or ()),
                nearest_fix=a.get("nearest_fix"),
                url=a.get("url"),
                cvss=a.get("cvss"),
                summary=a.get("summary", ""),
                severity_source=a.get("severity_source")
                or ("unknown" if a.get("severity", "unknown") == "unknown" else "advisory"),
                severity_alias=a.get("severity_alias"),
                nearest_fix_eol=a.get("nearest_fix_eol"),
                supported_fix=a.get("supported_fix"),
                waived=bool(a.get("waived", False)),
            )
            for a in advisories
        )
    w = details.get("waiver")
    if isinstance(w, Mapping):
        out["waiver"] = WaiverRef(
            reason=w["reason"],
            owner=w["owner"],
            expires=date.fromisoformat(w["expires"]),
            expired=bool(w.get("expired")),
        )
    return out


def report_from(row: Any) -> ComponentReport:
    """A :class:`ComponentReport` from a ``report_rows`` row."""
    return ComponentReport(
        cluster=row.cluster,
        component=component_from(row),
        current=row.current,
        latest=row.latest,
        latest_patch=row.latest_patch,
        status=_status(row.status),
        behind=_behind(row.behind) if row.behind is not None else None,
        releases_behind=row.releases_behind,
        days_behind=row.days_behind,
        flags=tuple(_flag(f) for f in row.flags),
        findings=tuple(_finding_from(f) for f in row.findings),
        latest_url=row.latest_url,
        **_details_from(row.details),
    )


# -- releases ----------------------------------------------------------------------------


def release_obj(r: Release) -> str:
    """How warnings name a release."""
    return f"release {shorten(r.tag)} of {shorten(r.project)}"


def release_values(r: Release) -> dict[str, Any]:
    """The columns of a :class:`Release` (``releases``)."""
    return {
        "project": r.project,
        "tag": r.tag,
        "published_at": r.published_at,
        "prerelease": r.prerelease,
        "url": r.url,
        "name": r.name,
    }


def release_from(row: Any) -> Release:
    """A :class:`Release` from a ``releases`` row."""
    return Release(
        project=row.project,
        tag=row.tag,
        published_at=row.published_at,
        prerelease=bool(row.prerelease),
        url=row.url,
        name=row.name,
    )
