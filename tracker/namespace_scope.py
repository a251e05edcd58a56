"""Which namespaces a scan read: :class:`NamespaceScope` (re-exported by :mod:`tracker.models`).

A scan reads pods and Helm release Secrets of every namespace, of only those given with
``tracker scan -n``, or of every namespace but those RBAC forbade; nodes and ``/version`` are
cluster-scoped and always read. The store keeps the scope with each scan and
:mod:`tracker.history` uses it to tell a finding that was not scanned from one that went away.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class NamespaceScope:
    """Which namespaces a scan read pods (and Helm release Secrets) in: only the listed
    ``names`` (``only`` True: ``scan -n a -n b``), or every namespace but them (``only``
    False; no names: every namespace, :data:`EVERY_NAMESPACE`; names: namespaces whose pods
    RBAC forbade). Nodes and ``/version`` are cluster-scoped and always read.

    Finite and co-finite sets are closed under intersection and difference, so two scans'
    scopes combine exactly (:meth:`intersect`, :meth:`minus`).

    >>> NamespaceScope.listed(["b", "a"]).covers("a"), EVERY_NAMESPACE.covers("x")
    (True, True)
    >>> EVERY_NAMESPACE.minus(NamespaceScope.listed(["a"])).describe()
    'every namespace but a'
    """

    names: tuple[str, ...] = ()
    only: bool = False

    @classmethod
    def listed(cls, names: Iterable[str]) -> NamespaceScope:
        """Only ``names`` (sorted, deduplicated)."""
        return cls(tuple(sorted(set(names))), only=True)

    @classmethod
    def all_but(cls, names: Iterable[str]) -> NamespaceScope:
        """Every namespace but ``names`` (sorted, deduplicated)."""
        return cls(tuple(sorted(set(names))), only=False)

    @property
    def everything(self) -> bool:
        """True when every namespace was read."""
        return not self.only and not self.names

    @property
    def empty(self) -> bool:
        """True when no namespace was read."""
        return self.only and not self.names

    def covers(self, namespace: str) -> bool:
        """True when pods of ``namespace`` were read."""
        return (namespace in self.names) == self.only

    def intersect(self, other: NamespaceScope) -> NamespaceScope:
        """The namespaces both read."""
        mine, theirs = set(self.names), set(other.names)
        if self.only and other.only:
            return NamespaceScope.listed(mine & theirs)
        if self.only:
            return NamespaceScope.listed(mine - theirs)
        if other.only:
            return NamespaceScope.listed(theirs - mine)
        return NamespaceScope.all_but(mine | theirs)

    def minus(self, other: NamespaceScope) -> NamespaceScope:
        """The namespaces this scope read and ``other`` did not."""
        return self.intersect(NamespaceScope(other.names, only=not other.only))

    def describe(self, limit: int | None = None, name: Callable[[str], str] = str) -> str:
        """``every namespace``, ``only a, b``, ``every namespace but x``; with ``limit``, at
        most that many names and ``+N more``; each name through ``name`` (default raw:
        escape the result for its output, or pass ``repr``).

        >>> NamespaceScope.listed(["a", "b", "c"]).describe(limit=2)
        'only a, b, +1 more'
        >>> NamespaceScope.all_but(["x"]).describe(name=repr)
        "every namespace but 'x'"
        """
        if self.everything:
            return "every namespace"
        if not self.names:
            return "no namespace"
        names = [name(n) for n in self.names]
        shown = names[:limit] if limit is not None else names
        if len(self.names) > len(shown):
            shown.append(f"+{len(self.names) - len(shown)} more")
        return ("only " if self.only else "every namespace but ") + ", ".join(shown)

    def as_json(self) -> dict[str, list[str]] | None:
        """``None`` (every namespace), ``{"only": [...]}`` or ``{"except": [...]}``: the form
        the store and ``tracker history --format json`` use."""
        if self.everything:
            return None
        return {"only" if self.only else "except": list(self.names)}

    @classmethod
    def from_json(cls, value: object) -> NamespaceScope:
        """The scope :meth:`as_json` wrote; None (a scan stored before scopes were kept) is
        every namespace.

        Raises:
            ValueError: ``value`` is not that shape.
        """
        if value is None:
            return EVERY_NAMESPACE
        if isinstance(value, dict) and len(value) == 1:
            ((key, names),) = value.items()
            strings = isinstance(names, list) and all(isinstance(n, str) for n in names)
            if key in ("only", "except") and strings:
                return cls.listed(names) if key == "only" else cls.all_but(names)
        raise ValueError(f"not a namespace scope: {str(value)[:80]!r}")


EVERY_NAMESPACE = NamespaceScope()
"""The scope of a scan that read every namespace (and of scans stored before scopes were)."""
