"""CVSS v3.x base scores from vector strings, for advisories that give a vector but no word.

OSV's ``severity[]`` (ossf/osv-schema ``docs/schema.md``, "severity field") carries CVSS
*vectors*, not scores; some databases add their own word in ``database_specific.severity``
(GHSA records), the Go vulnerability database gives neither. For a record with a ``CVSS_V3``
vector and no word, tracker computes the base score exactly as FIRST's specification defines
it:

- CVSS v3.1 Specification Document (https://www.first.org/cvss/v3.1/specification-document),
  section 7.1 "Base Metrics Equations", section 7.4 "Metric Values" (the weights below) and
  Appendix A "Floating Point Rounding" (:func:`roundup`);
- section 5 "Qualitative Severity Rating Scale" for the word (:func:`rating`).

CVSS v3.0 vectors (``CVSS:3.0/``) use the same base equations and weights; v3.0 defines
Roundup as "the smallest number, specified to one decimal place, that is equal to or higher
than its input", which Appendix A's integer arithmetic computes without floating-point
surprises, so it serves both. CVSS v4.0 scores come from a lookup of macro vectors, not
equations: a v4-only record is not scored here (its severity stays unknown unless an alias
gives one). Temporal and environmental metrics in a vector are ignored (base score only).
"""

from __future__ import annotations

import math

__all__ = ["base_score", "rating", "roundup", "severity_from_vector"]

_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR_UNCHANGED = {"N": 0.85, "L": 0.62, "H": 0.27}
_PR_CHANGED = {"N": 0.85, "L": 0.68, "H": 0.5}
_UI = {"N": 0.85, "R": 0.62}
_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}
_BASE = ("AV", "AC", "PR", "UI", "S", "C", "I", "A")


def roundup(value: float) -> float:
    """CVSS v3.1 Appendix A Roundup: the smallest one-decimal number >= ``value``.

    >>> roundup(4.02), roundup(4.0), roundup(8.749999999)
    (4.1, 4.0, 8.8)
    """
    as_int = round(value * 100_000)
    if as_int % 10_000 == 0:
        return as_int / 100_000.0
    return (math.floor(as_int / 10_000) + 1) / 10.0


def base_score(vector: str) -> float | None:
    """The base score (0.0-10.0) of a ``CVSS:3.0/`` or ``CVSS:3.1/`` vector string.

    Returns None for anything else (another version, a missing or repeated base metric, an
    unknown value): the vector is then not used, never guessed.

    >>> base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    9.8
    >>> base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N") is None
    True
    """
    head, _, rest = vector.strip().partition("/")
    if head not in ("CVSS:3.0", "CVSS:3.1") or len(vector) > 200:
        return None
    metrics: dict[str, str] = {}
    for part in rest.split("/"):
        key, sep, value = part.partition(":")
        if not sep or key in metrics:
            return None
        metrics[key] = value
    if any(key not in metrics for key in _BASE):
        return None
    changed = {"U": False, "C": True}.get(metrics["S"])
    pr = (_PR_CHANGED if changed else _PR_UNCHANGED).get(metrics["PR"])
    weights = (
        _AV.get(metrics["AV"]),
        _AC.get(metrics["AC"]),
        _UI.get(metrics["UI"]),
        _CIA.get(metrics["C"]),
        _CIA.get(metrics["I"]),
        _CIA.get(metrics["A"]),
    )
    if changed is None or pr is None or any(w is None for w in weights):
        return None
    av, ac, ui, c, i, a = (w or 0.0 for w in weights)
    iss = 1 - (1 - c) * (1 - i) * (1 - a)
    # section 7.1: Impact by Scope; Changed adds the 7.52 / 3.25 terms
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    exploitability = 8.22 * av * ac * pr * ui
    if changed:
        return roundup(min(1.08 * (impact + exploitability), 10.0))
    return roundup(min(impact + exploitability, 10.0))


def rating(score: float) -> str:
    """The section 5 rating of a score, in the words advisories use: ``critical`` (9.0-10.0),
    ``high`` (7.0-8.9), ``moderate`` (CVSS "Medium", 4.0-6.9), ``low`` (0.1-3.9).

    A score of 0.0 (CVSS "None") is ``low`` too: tracker has no "none" word, and an advisory
    that affects the running version is still reported.

    >>> rating(9.8), rating(8.8), rating(4.0), rating(3.9), rating(0.0)
    ('critical', 'high', 'moderate', 'low', 'low')
    """
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "moderate"
    return "low"


def severity_from_vector(vector: str | None) -> tuple[str, float] | None:
    """(word, base score) for a CVSS v3.x vector, or None when it cannot be scored."""
    if vector is None:
        return None
    score = base_score(vector)
    return None if score is None else (rating(score), score)
