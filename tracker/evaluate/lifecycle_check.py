"""The lifecycle check: support windows, retired and archived projects, per component entry.

Findings (severity rules in :mod:`tracker.evaluate.lifecycle` and
:func:`tracker.evaluate.policy.retired_severity`):

- ``eol`` / ``eol-soon``: the running cycle is past, or within ``warn_before`` of, the end
  of support that counts (:func:`tracker.evaluate.lifecycle.judge`); the source is the
  product's endoflife.date page. Entries with ``eol_product = "kubernetes"`` follow the
  cluster's distribution calendar (:func:`~tracker.evaluate.lifecycle.control_plane_product`),
  falling back to upstream Kubernetes when that calendar is not stored.
- ``retired``: the catalogue entry says the project is retired; the message names the
  successor, the source is the entry's ``retired_source``.
- ``archived``: GitHub marks the entry's repository archived (read at ``tracker sync``);
  warning. Not repeated for an entry that is already ``retired``.

Pure: no clock, no I/O; the stored data is passed in (:class:`LifecycleContext`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from tracker.evaluate.base import Evaluation
from tracker.evaluate.lifecycle import LifecycleVerdict, control_plane_product, judge
from tracker.evaluate.policy import retired_severity
from tracker.models import CatalogueEntry, Finding, Flag, Severity, SupportWindow
from tracker.upstream.endoflife import Product
from tracker.versions import ParsedVersion

__all__ = ["DEFAULT_WARN_BEFORE", "LifecycleCheck", "LifecycleContext"]

DEFAULT_WARN_BEFORE = timedelta(days=90)
"""``[lifecycle] warn_before`` default: ``eol-soon`` this long before the end of support."""


@dataclass(frozen=True)
class LifecycleContext:
    """What the lifecycle check reads, for one cluster.

    Attributes:
        entries: catalogue id -> entry (``eol_product``, ``retired``, ``successor``...).
        products: endoflife.date product -> its stored calendar.
        archived: ``owner/repo`` -> GitHub's ``archived`` flag (as last synced).
        distribution: the cluster's distribution (``eks``, ``gke``...), or None.
        warn_before: how long before the end of support ``eol-soon`` starts.
    """

    entries: Mapping[str, CatalogueEntry]
    products: Mapping[str, Product] = field(default_factory=dict)
    archived: Mapping[str, bool] = field(default_factory=dict)
    distribution: str | None = None
    warn_before: timedelta = DEFAULT_WARN_BEFORE

    def product_for(self, component: str) -> Product | None:
        """The stored calendar that applies to catalogue id ``component``, or None."""
        entry = self.entries.get(component)
        name = entry.eol_product if entry is not None else None
        if name is None:
            return None
        if name == "kubernetes":
            own = self.products.get(control_plane_product(self.distribution))
            if own is not None:
                return own
        return self.products.get(name)

    def support(self, evaluation: Evaluation) -> SupportWindow | None:
        """The running cycle's support window (report ``support``), or None when unknown."""
        verdict = self.verdict(evaluation)
        if verdict is None:
            return None
        s = verdict.support
        return SupportWindow(s.product, s.cycle, s.eol, s.eoas, s.eoes, s.lts)

    def verdict(self, evaluation: Evaluation) -> LifecycleVerdict | None:
        """The support verdict for the entry's running version, or None without data."""
        current = evaluation.current
        product = self.product_for(evaluation.component.component)
        if product is None or not isinstance(current, ParsedVersion):
            return None
        return judge(product, current, today=evaluation.today, warn_before=self.warn_before)


@dataclass(frozen=True)
class LifecycleCheck:
    """The :class:`~tracker.evaluate.base.Check` for ``eol``, ``eol-soon``, ``retired`` and
    ``archived`` (see the module docstring)."""

    context: LifecycleContext

    def check(self, evaluation: Evaluation) -> Sequence[Finding]:
        """Findings for one entry, in Flag order (eol first)."""
        findings: list[Finding] = []
        verdict = self.context.verdict(evaluation)
        if verdict is not None and verdict.kind is not None and verdict.severity is not None:
            kind = Flag.EOL if verdict.kind == "eol" else Flag.EOL_SOON
            findings.append(Finding(kind, verdict.severity, verdict.message, verdict.source))
        entry = self.context.entries.get(evaluation.component.component)
        if entry is not None and entry.retired is not None:
            after = self.context.entries.get(entry.successor or "")
            name = after.name if after is not None else entry.successor
            successor = f"; move to {name}" if name else ""
            findings.append(
                Finding(
                    Flag.RETIRED,
                    retired_severity(entry.retired, evaluation.today),
                    f"{entry.name} was retired on {entry.retired.isoformat()}: "
                    f"no more releases or fixes{successor}",
                    entry.retired_source,
                )
            )
        elif evaluation.project and self.context.archived.get(evaluation.project):
            findings.append(
                Finding(
                    Flag.ARCHIVED,
                    Severity.WARNING,
                    f"{evaluation.project} is archived on GitHub (read-only): "
                    "no more releases or fixes; look for a maintained fork or successor",
                    f"https://github.com/{evaluation.project}",
                )
            )
        return findings
