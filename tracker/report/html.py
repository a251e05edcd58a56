"""The HTML report: one self-contained page (no external assets) for browsers and CI artefacts.

Layout (template ``templates/report.html.j2``, shipped in the package): a title and summary
line; the fleet view (component x cluster, :mod:`tracker.report.fleet`) when the report holds
several clusters; then per cluster a summary (findings by severity, Kubernetes version and
distribution where known, scan time and source), its warnings, the components table (worst
first, rows coloured by their worst finding's severity), the findings with their sources and
release-notes links, and the unidentified images.

The page shows everything without JavaScript. A few lines of inline script add a filter box
(rows whose component, role, namespace, workload, image or version contain the text stay
visible) and sortable column headers. A Content-Security-Policy admits only that script and
style (by SHA-256 hash), so nothing else runs and nothing is fetched.

Untrusted text (names from a cluster or from upstream) is escaped twice over: Jinja2's
autoescape for HTML, and :func:`visible` for control characters and bidirectional overrides
(applied to every ``{{ }}`` value through the environment's ``finalize`` hook). Links are
rendered only for ``http``/``https`` URLs (:func:`safe_url`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from tracker.models import (
    ClusterSummary,
    ComponentReport,
    Finding,
    Report,
    Severity,
    Status,
)
from tracker.report.base import (
    behind_text,
    cluster_names,
    cluster_rows,
    count_text,
    place,
    rfc3339,
    severity_counts,
)
from tracker.report.fleet import cell_text, fleet_grid
from tracker.text import for_terminal

_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]"
)
_SEVERITY_ORDER = (Severity.CRITICAL, Severity.WARNING, Severity.INFO)
_SEVERITY_RANK = {Severity.CRITICAL: 3, Severity.WARNING: 2, Severity.INFO: 1}


def visible(text: str) -> str:
    r"""Show control characters and bidirectional/invisible format characters as escapes.

    C0/C1 controls (ESC, CR, LF, BEL…) become ``\xNN``; bidi overrides, isolates and marks,
    zero-width characters, line/paragraph separators and the BOM become ``\uNNNN``. Every
    other character is kept, so ordinary non-ASCII names read as they are.

    >>> visible("evil\x1b[31m\u202etxt.exe")
    'evil\\x1b[31m\\u202etxt.exe'
    >>> visible("café")
    'café'
    """

    return for_terminal(text)  # the one escaping rule of every output (tracker/text.py)


def safe_url(url: object) -> str | None:
    """``url`` when it is an absolute ``http``/``https`` URL without spaces or controls, else None.

    >>> safe_url("https://github.com/istio/istio/releases/tag/1.30.3")
    'https://github.com/istio/istio/releases/tag/1.30.3'
    >>> safe_url("javascript:alert(1)") is None, safe_url("https://a b") is None
    (True, True)
    """
    if not isinstance(url, str) or not url.lower().startswith(("https://", "http://")):
        return None
    if _INVISIBLE.search(url) or any(c.isspace() for c in url) or len(url) <= len("https://"):
        return None
    return url


def distribution(summary: ClusterSummary) -> str | None:
    """The cluster's distribution as people name it (``Amazon EKS``), or None when the scan
    did not identify one (:func:`tracker.identify.distribution.detect_distribution`).

    >>> from datetime import UTC, datetime
    >>> from tracker.models import Source
    >>> s = ClusterSummary("c", datetime.now(UTC), "1.30.4", Source.API, distribution="k3s")
    >>> distribution(s)
    'k3s'
    """
    from tracker.identify.distribution import DISTRIBUTIONS

    if not summary.distribution:
        return None
    return DISTRIBUTIONS.get(summary.distribution, summary.distribution)


def finding_source(finding: Finding) -> str | None:
    """The URL or document a finding's rule comes from (design.md §3 ``findings[].source``),
    when the finding carries one; None otherwise."""
    source = getattr(finding, "source", None)
    return source if isinstance(source, str) and source else None


@dataclass(frozen=True)
class _Row:
    """One components-table row, as the template needs it."""

    report: ComponentReport
    severity: str
    severity_rank: int
    place: str
    behind: str
    releases_behind: str
    days_behind: str
    flags: str
    search: str


def _row(row: ComponentReport) -> _Row:
    c = row.component
    worst = row.worst_severity
    words = (c.component, c.role.value, c.namespace, c.workload, c.image, row.current)
    return _Row(
        report=row,
        severity=worst.value if worst is not None else "",
        severity_rank=_SEVERITY_RANK[worst] if worst is not None else 0,
        place=place(row),
        behind=row.behind.value if row.behind is not None else "",
        releases_behind=count_text(row, row.releases_behind),
        days_behind=count_text(row, row.days_behind),
        flags=", ".join(f.value for f in row.flags),
        search=" ".join(w for w in words if w).lower(),
    )


def _fleet(report: Report, names: list[str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for (component, role), by_cluster in fleet_grid(report):
        cells: list[list[tuple[str, str]]] = []
        worst = 0
        latest = ""
        for name in names:
            rows = by_cluster.get(name, [])
            cell = []
            for r in rows:
                sev = r.worst_severity
                worst = max(worst, _SEVERITY_RANK[sev] if sev is not None else 0)
                cell.append((cell_text(r), sev.value if sev is not None else ""))
                latest = latest or (r.latest or "")
            cells.append(cell)
        out.append(
            {
                "component": component,
                "role": role,
                "latest": latest,
                "cells": cells,
                "severity_rank": worst,
                "search": f"{component} {role}".lower(),
            }
        )
    return out


def _cluster(report: Report, name: str, summary: ClusterSummary | None) -> dict[str, Any]:
    rows = cluster_rows(report, name)
    unidentified = sorted(
        (u.item for u in report.unidentified if u.cluster == name),
        key=lambda i: (i.image, i.namespace, i.workload),
    )
    return {
        "name": name,
        "anchor": f"cluster-{hashlib.sha256(name.encode()).hexdigest()[:12]}",
        "summary": summary,
        "scanned_at": (
            rfc3339(summary.scanned_at, field=f"clusters[{name}].scanned_at") if summary else None
        ),
        "distribution": distribution(summary) if summary else None,
        "counts": severity_counts(rows),
        "outdated": sum(1 for r in rows if r.status is Status.OUTDATED),
        "rows": [_row(r) for r in rows],
        "findings": [r for r in rows if r.findings],
        "unidentified": unidentified,
    }


def _finalize(value: object) -> object:
    """Every ``{{ }}`` value: None renders as empty, strings pass through :func:`visible`."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return visible(value)
    return value


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tracker.report", "templates"),
        autoescape=True,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["behind_text"] = behind_text
    env.filters["finding_source"] = finding_source
    return env


@cache
def _asset(name: str) -> str:
    """An inline asset (CSS, JavaScript) read as plain text from the templates folder."""
    return resources.files("tracker.report").joinpath("templates", name).read_text("utf-8").strip()


class HtmlFormatter:
    """Renders a report as one self-contained HTML page (see the module docstring)."""

    def format(self, report: Report) -> str:
        """Return the HTML document (UTF-8 text, ends with a newline).

        Raises:
            ReportError: for a naive timestamp in the report.
        """
        env = _environment()
        names = cluster_names(report)
        summaries = {c.name: c for c in report.clusters}
        template = env.get_template("report.html.j2")
        style = _asset("style.css")
        script = _asset("script.js")
        rows = report.components
        return template.render(
            report=report,
            generated_at=rfc3339(report.generated_at, field="generated_at"),
            names=names,
            counts=severity_counts(rows),
            outdated=sum(1 for r in rows if r.status is Status.OUTDATED),
            severities=[s.value for s in _SEVERITY_ORDER],
            fleet=_fleet(report, names) if len(names) > 1 else [],
            clusters=[_cluster(report, n, summaries.get(n)) for n in names],
            style=Markup(style),
            script=Markup(script),
            csp=(
                f"default-src 'none'; style-src {_csp_hash(style)}; "
                f"script-src {_csp_hash(script)}; img-src data:; base-uri 'none'; "
                "form-action 'none'"
            ),
        )
