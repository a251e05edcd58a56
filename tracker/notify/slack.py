"""Slack incoming-webhook digest in Block Kit: :func:`build_payload` (pure) and :func:`send`.

One message per run and cluster::

    header   tracker · prod: 2 critical, 5 warning, 1 info
    context  Kubernetes 1.18.19 · scanned … · 14 components · 3 unidentified images
    section  New since the last run (n)          (or "first run" / "no changes")
    section  Resolved since the last run (n)
    section  Version changes (n)
    divider
    section  Worst open findings (n): component, running → latest, how far behind, link
    context  Full report: <link> or `path`

Slack's limits (docs.slack.dev, Block Kit reference): at most 50 blocks per message, section
text at most 3000 characters, header text (plain_text) at most 150 characters, context
at most 10 elements. Lists are cut at :data:`MAX_LINES` lines or the text limit, with
"and N more"; a line longer than :data:`MAX_LINE_CHARS` is cut before a link or entity, never
inside one, and says how many links it left out (``… (1 link left out)``). The top-level
``text`` is the notification fallback.

Every value from a cluster or upstream (cluster, component, namespace, workload, versions,
finding messages) goes through :func:`tracker.text.for_slack`: control characters shown as
``\\x1b``, ``&``, ``<`` and ``>`` as entities as Slack requires
(https://api.slack.com/reference/surfaces/formatting#escaping: ``<!channel>`` and
``<url|text>`` in a name are shown, never parsed), and ``*``, ``_``, ``~``, `````` ` `````` by
look-alikes so a name cannot format the message. Links are built only from http(s) URLs,
percent-encoded (:func:`tracker.text.safe_url`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tracker.history import FindingChanges, FindingRef, VersionChange
from tracker.models import ComponentReport, Flag, Report, Role, Severity, Status, severity_rank
from tracker.notify.base import Digest, HttpNotifier, PayloadBuilder, make_digest
from tracker.report.base import behind_text, place, rfc3339
from tracker.text import for_slack, safe_url

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_LINE_CHARS = 400
MAX_LINES = 10
"""Lines per list before "and N more"."""

TARGET = "Slack webhook"

_MARK = {
    Severity.CRITICAL: ":red_circle:",
    Severity.WARNING: ":large_orange_circle:",
    Severity.INFO: ":large_blue_circle:",
}


def escape(text: str) -> str:
    """Escape an untrusted value for Slack mrkdwn: :func:`tracker.text.for_slack`.

    >>> escape("a<b> & c")
    'a&lt;b&gt; &amp; c'
    """
    return for_slack(text)


def _link(url: str | None, label: str) -> str:
    safe = safe_url(url)
    return f"<{safe}|{escape(label)}>" if safe else ""


def _cut(text: str, limit: int) -> str:
    """``text`` (mrkdwn built here) in at most ``limit`` characters: whole when it fits, else
    its longest prefix that splits no link and no entity, then ``…`` and, when links were
    left out, how many: ``… (2 links left out)``.

    Untrusted text reaches ``text`` only through :func:`escape`, so every ``<`` in it opens a
    link :func:`_link` wrote (``<url|label>``, Slack's link syntax: cut inside, Slack would
    show the rest raw) and every ``&`` outside a link opens an entity (``&amp;``, ``&lt;``,
    ``&gt;``: cut inside, a bare ``&`` would be left).

    >>> _cut("a · <https://x.example/1|one> · <https://x.example/2|two>", 50)
    'a · <https://x.example/1|one>… (1 link left out)'
    >>> _cut("x &amp; y", 7)
    'x…'
    """
    if len(text) <= limit:
        return text
    links = text.count("<")
    reserve = len(_left_out(links)) if links else 0
    keep = text[: max(0, limit - 1 - reserve)]
    lt = keep.rfind("<")
    if lt > keep.rfind(">"):
        keep = keep[:lt]
    amp = keep.rfind("&")
    if amp > max(keep.rfind(";"), keep.rfind(">")):
        keep = keep[:amp]
    left = text[len(keep) :].count("<")
    keep = keep.rstrip(" ·")
    return keep + "…" + (_left_out(left) if left else "")


def _left_out(links: int) -> str:
    return f" ({links} link{'s' if links != 1 else ''} left out)"


def _who(row: ComponentReport) -> str:
    """``*component* role (where)``; kubelets say how many nodes, not their names."""
    c = row.component
    if c.role is Role.KUBELET:
        where = f"{c.instances} node{'s' if c.instances != 1 else ''}"
    else:
        where = escape(place(row))
    return f"*{escape(c.component)}* {c.role.value} ({where})"


def _finding_line(ref: FindingRef, *, resolved: bool) -> str:
    mark = ":white_check_mark:" if resolved else _MARK[ref.finding.severity]
    version = f" {escape(ref.row.current)}" if ref.row.current else ""
    kind, message = ref.finding.kind.value, escape(ref.finding.message)
    return _cut(f"• {mark} {_who(ref.row)}{version}: `{kind}` {message}", MAX_LINE_CHARS)


def _change_line(change: VersionChange, verb: str) -> str:
    before = escape(change.previous.current or "?")
    after = escape(change.current.current or "?")
    return _cut(f"• {_who(change.current)}: {before} → {after} ({verb})", MAX_LINE_CHARS)


def _worst_line(row: ComponentReport) -> str:
    """Running → latest, how far behind, flags, release-notes link; for a row whose status
    is unknown (no version, no upstream data) the worst finding's message instead."""
    worst = row.worst_severity
    mark = _MARK[worst] if worst is not None else ""
    flags = ", ".join(f.value for f in row.flags)
    if row.status is Status.UNKNOWN:
        running = escape(row.current or row.component.raw_version or "no version")
        if _advisory_text(row):
            return _cut(
                f"• {mark} {_who(row)}: {running} · {flags}{_advisory_text(row)}", MAX_LINE_CHARS
            )
        message = max(row.findings, key=lambda f: severity_rank(f.severity)).message
        return _cut(f"• {mark} {_who(row)}: {running} · {flags}: {escape(message)}", MAX_LINE_CHARS)
    text = f"• {mark} {_who(row)}: {escape(row.current or '?')}"
    if row.latest and row.latest != row.current:
        text += f" → {escape(row.latest)}"
    how_far = behind_text(row)
    if how_far:
        text += f" · {how_far} behind"
    text += f" · {flags}"
    text += _advisory_text(row)
    link = _link(row.latest_url, "release notes")
    if link:
        text += f" · {link}"
    return _cut(text, MAX_LINE_CHARS)


def _vulnerable_first(rows: Sequence[ComponentReport]) -> list[ComponentReport]:
    """Rows with a live ``vulnerable`` finding first (published advisories: most urgent),
    each group keeping the digest's worst-first order."""
    return sorted(
        rows,
        key=lambda r: not any(f.kind is Flag.VULNERABLE and not f.waived for f in r.findings),
    )


def _advisory_text(row: ComponentReport) -> str:
    """`` · CVE-2025-24513 and 4 more advisories: upgrade to 1.11.5 · advisory`` for a vulnerable
    row (short: the whole list is in the report), else ``""``."""
    finding = next((f for f in row.findings if f.kind is Flag.VULNERABLE), None)
    if finding is None or not row.advisories:
        return ""
    first = row.advisories[0]
    name = next((a for a in first.aliases if a.startswith("CVE-")), first.id)
    # records of one vulnerability (a GHSA and its Go record) share their CVE: count it once
    cves = {
        next((i for i in (a.id, *a.aliases) if i.startswith("CVE-")), a.id) for a in row.advisories
    }
    more = len(cves) - 1
    text = f" · {escape(name)}" + (f" and {more} more advisories" if more else "")
    for marker in (": upgrade to ", ": no fixed version"):
        at = finding.message.rfind(marker)
        if at >= 0:
            text += f": {escape(finding.message[at + 2 :])}"
            break
    link = _link(finding.source, "advisory")
    return text + (f" · {link}" if link else "")


def _list_text(title: str, lines: Sequence[str]) -> str:
    """``title`` then as many lines as fit in :data:`MAX_LINES` and the section limit."""
    out = [title]
    used = len(title)
    for i, line in enumerate(lines):
        left = len(lines) - i
        more = f"and {left} more"
        fits = used + 1 + len(line) + (1 + len(more) if left > 1 else 0) <= MAX_SECTION_CHARS
        if i >= MAX_LINES or not fits:
            out.append(more)
            break
        out.append(line)
        used += 1 + len(line)
    return "\n".join(out)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, MAX_SECTION_CHARS)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(text, 3000)}]}


def _counts_text(d: Digest) -> str:
    return ", ".join(f"{n} {sev.value}" for sev, n in d.counts.items())


def _context_line(d: Digest) -> str:
    parts: list[str] = []
    if d.summary is not None:
        parts.append(f"Kubernetes {escape(d.summary.kubernetes_version or 'unknown')}")
        scanned = rfc3339(d.summary.scanned_at, field=f"clusters[{d.cluster}].scanned_at")
        parts.append(f"scanned {scanned}")
    parts.append(f"{len(d.rows)} components")
    parts.append(f"{d.unidentified} unidentified image{'s' if d.unidentified != 1 else ''}")
    return " · ".join(parts)


def _change_blocks(changes: FindingChanges | None) -> list[dict[str, Any]]:
    if changes is None:
        return [_section("_First run for this cluster: nothing to compare with yet._")]
    if not changes.changed:
        return [_section("_No changes since the last run._")]
    blocks: list[dict[str, Any]] = []
    if changes.new:
        new = sorted(changes.new, key=lambda r: _first_rank((r.finding.kind,)))
        lines = [_finding_line(r, resolved=False) for r in new]
        blocks.append(_section(_list_text(f"*New since the last run ({len(lines)})*", lines)))
    if changes.resolved:
        lines = [_finding_line(r, resolved=True) for r in changes.resolved]
        title = f"*Resolved since the last run ({len(lines)})*"
        blocks.append(_section(_list_text(title, lines)))
    if changes.not_scanned:
        lines = [_finding_line(r, resolved=False) for r in changes.not_scanned]
        title = (
            f"*Not scanned this run ({len(lines)}): their namespace or source was not read "
            "(scan -n, a forbidden namespace, no nodes, no control-plane version or no Helm "
            "Secrets), so not resolved*"
        )
        blocks.append(_section(_list_text(title, lines)))
    moves = [_change_line(v, "upgraded") for v in changes.upgraded]
    moves += [_change_line(v, "downgraded") for v in changes.downgraded]
    if moves:
        blocks.append(_section(_list_text(f"*Version changes ({len(moves)})*", moves)))
    return blocks


_FIRST = (Flag.EOL, Flag.EOL_SOON)
"""Finding kinds the digest lists first (support ends: they have a date to act by)."""


def _first_rank(kinds: Sequence[Flag]) -> int:
    """0 for a row/finding with an end-of-support kind, 1 otherwise (a stable sort key)."""
    return 0 if any(k in _FIRST for k in kinds) else 1


def _report_line(link: str | None) -> str | None:
    if not link:
        return None
    as_link = _link(link, "open")
    return f"Full report: {as_link}" if as_link else f"Full report: `{escape(link)}`"


def _counted_row(row: ComponentReport) -> ComponentReport:
    """``row`` with only its counted (not waived) findings, and their flags."""
    if all(not f.waived for f in row.findings):
        return row
    kept = row.counted_findings
    kinds = {f.kind for f in kept}
    flags = tuple(flag for flag in row.flags if flag in kinds)
    return replace(row, findings=kept, flags=flags)


def _without_waived(
    report: Report, changes: FindingChanges | None
) -> tuple[Report, FindingChanges | None]:
    """Waived findings are never sent to Slack: drop them from the rows and the changes."""
    rows = tuple(_counted_row(r) for r in report.components)
    if changes is not None:
        changes = replace(
            changes,
            new=tuple(r for r in changes.new if not r.finding.waived),
            still_open=tuple(r for r in changes.still_open if not r.finding.waived),
        )
    return replace(report, components=rows), changes


def build_payload(
    report: Report,
    changes: FindingChanges | None,
    *,
    cluster: str,
    report_link: str | None = None,
) -> dict[str, Any]:
    """Build the Slack message (``{"text", "blocks", "unfurl_links", "unfurl_media"}``).

    Pure: the same inputs give the same dict (and JSON) byte for byte. Waived findings
    are left out (counts, new findings, worst open findings): only counted findings are sent.

    Args:
        report: the evaluated report; only ``cluster``'s rows are used.
        changes: :func:`tracker.history.diff_findings` of the previous and this run
            (other clusters' entries are ignored); None when there is no previous run.
        cluster: the cluster this digest is about.
        report_link: an http(s) URL (shown as a link) or a file path (shown as code).

    Raises:
        NotifyError: when ``cluster`` is not in the report.
        ReportError: when a timestamp is naive.
    """
    report, changes = _without_waived(report, changes)
    d = make_digest(report, changes, cluster=cluster, report_link=report_link)
    header = _cut(f"tracker · {escape(d.cluster)}: {_counts_text(d)}", MAX_HEADER_CHARS)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        _context(_context_line(d)),
    ]
    blocks += _change_blocks(d.changes)
    blocks.append({"type": "divider"})
    if d.open_rows:
        lines = [
            _worst_line(r)
            for r in _vulnerable_first(sorted(d.open_rows, key=lambda r: _first_rank(r.flags)))
        ]
        blocks.append(_section(_list_text(f"*Worst open findings ({len(lines)})*", lines)))
    else:
        blocks.append(_section("*No open findings.* :tada:"))
    footer = _report_line(report_link)
    if footer:
        blocks.append(_context(footer))
    fallback = f"tracker · {escape(d.cluster)}: {_counts_text(d)}"
    if d.changes is not None:
        fallback += f"; {len(d.changes.new)} new, {len(d.changes.resolved)} resolved"
    return {
        "text": fallback,
        "blocks": blocks[:MAX_BLOCKS],
        "unfurl_links": False,
        "unfurl_media": False,
    }


@dataclass
class SlackNotifier(HttpNotifier):
    """The Slack target as a :class:`~tracker.notify.base.Notifier` (``url`` is a secret)."""

    build: PayloadBuilder = field(default=build_payload, repr=False)
    target: str = TARGET
