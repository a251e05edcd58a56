"""Advisories that describe one vulnerability (OSV ``aliases``).

The OSV schema (ossf/osv-schema ``docs/schema.md``, "aliases field") says ``aliases`` lists
"IDs of the same vulnerability in other databases", and that aliases "should be considered
symmetric (if A is an alias of B, then B is an alias of A) and transitive". ``related`` is
not an alias and is not used. Two uses here:

- :func:`borrow_severity`: a record without a severity of its own (the Go vulnerability
  database publishes none) takes the worst severity among the stored records of the same
  vulnerability that state one (``GO-2025-3567`` takes ``critical`` from
  ``GHSA-mgvx-rpfc-9mpv``), and says which record it came from;
- :func:`alias_groups`: matches of one vulnerability are named once in a finding.

Withdrawn records lend nothing. Nothing here reads the clock or the store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from tracker.upstream.osv import Advisory

__all__ = ["alias_groups", "borrow_severity"]

_RANK = {"critical": 4, "high": 3, "moderate": 2, "low": 1}


def alias_groups(ids: Sequence[Iterable[str]]) -> list[list[int]]:
    """Group items whose id sets share an id, transitively (union-find).

    Args:
        ids: per item, its ids (the record id and its aliases).

    Returns:
        Lists of item positions, each ascending, ordered by their first item.

    >>> alias_groups([["GHSA-a", "CVE-1"], ["GO-1", "CVE-1"], ["GHSA-b"], ["GO-2", "GHSA-a"]])
    [[0, 1, 3], [2]]
    """
    parent = list(range(len(ids)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, names in enumerate(ids):
        for name in names:
            j = owner.setdefault(name, i)
            if j != i:
                a, b = root(i), root(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for i in range(len(ids)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda g: g[0])


def borrow_severity(advisories: Sequence[Advisory]) -> list[Advisory]:
    """``advisories`` with the severity of each record that has none taken from its aliases.

    A record whose ``severity`` is ``unknown`` gets the worst severity among the records of
    its alias group (:func:`alias_groups` over id + aliases) that have one of their own or
    from their CVSS vector, with ``severity_source="alias"`` and ``severity_alias`` = that
    record's id (the lowest id among equally bad ones). Withdrawn records neither lend nor
    borrow. Records are returned in input order; unchanged ones are the same objects.
    """
    live = [i for i, a in enumerate(advisories) if a.withdrawn is None]
    if not any(advisories[i].severity == "unknown" for i in live):
        return list(advisories)
    out = list(advisories)
    for group in alias_groups([(advisories[i].id, *advisories[i].aliases) for i in live]):
        members = [advisories[live[g]] for g in group]
        lenders = [a for a in members if a.severity in _RANK]
        if not lenders or len(lenders) == len(members):
            continue
        best = min(lenders, key=lambda a: (-_RANK[a.severity], a.id))
        for g in group:
            a = advisories[live[g]]
            if a.severity == "unknown":
                out[live[g]] = dataclasses.replace(
                    a, severity=best.severity, severity_source="alias", severity_alias=best.id
                )
    return out
