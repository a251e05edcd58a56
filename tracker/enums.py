"""The words tracker's stages share: where an inventory came from (:class:`Source`), a
component's :class:`Role`, an evaluation :class:`Status`, how far a version is
:class:`Behind`, the finding kinds (:class:`Flag`) and their :class:`Severity`.

Plain string enumerations with no other dependency, so the command line can build its
choices (``--flag``, ``--status``, ``--fail-on``) without importing the domain objects of
:mod:`tracker.models`, which re-exports every name here.
"""

from __future__ import annotations

from enum import StrEnum


class Source(StrEnum):
    """Where an inventory came from: the live API server or a kubectl dump file."""

    API = "api"
    DUMP = "dump"


class Role(StrEnum):
    """Which part of a component an entry is (design.md §3 ``role``).

    Kubernetes has ``control-plane`` and ``kubelet``; Istio has ``control-plane``,
    ``gateway`` and ``data-plane`` (sidecar proxies); add-ons are ``addon``.
    """

    CONTROL_PLANE = "control-plane"
    KUBELET = "kubelet"
    GATEWAY = "gateway"
    DATA_PLANE = "data-plane"
    ADDON = "addon"
    HELM = "helm-release"
    """A Helm release (chart version compared with the chart's release stream)."""


class Status(StrEnum):
    """Evaluation status of one component entry."""

    UP_TO_DATE = "up-to-date"
    OUTDATED = "outdated"
    UNKNOWN = "unknown"


class Behind(StrEnum):
    """How far the running version is behind the latest stable release."""

    MAJOR = "major"
    MINOR = "minor"
    PATCH = "patch"
    BUILD = "build"
    """Same version, newer vendor build or image revision (``+k3s2`` after ``+k3s1``)."""


class Flag(StrEnum):
    """Finding kinds; the report's ``flags`` list is made of these values."""

    OUTDATED = "outdated"
    PRE_RELEASE = "pre-release"
    PRE_1_0 = "pre-1.0"
    UNKNOWN_VERSION = "unknown-version"
    NO_UPSTREAM_DATA = "no-upstream-data"
    PARTIAL_CATALOGUE = "partial-catalogue"
    """The running version is older than every known release of its stream: the
    ``releases_behind`` and ``days_behind`` figures are lower bounds (shown as ``≥N``)."""
    AHEAD_OF_CATALOGUE = "ahead-of-catalogue"
    """The running version is newer than every known release: the catalogue is stale or
    partial (``tracker sync``); the status stays ``up-to-date``, as nothing newer is known."""
    SKEW = "skew"
    """Two parts of the cluster are at versions their project's skew policy does not allow
    together, or that differ during an upgrade (kubernetes.io version-skew policy)."""
    EOL = "eol"
    """The running release cycle is past its end of life (endoflife.date)."""
    EOL_SOON = "eol-soon"
    """The running release cycle reaches its end of life within ``lifecycle.warn_before``."""
    INCOMPATIBLE = "incompatible"
    """The component does not support what it runs with (Istio vs the Kubernetes version)."""
    VULNERABLE = "vulnerable"
    """The running version lies in a published advisory's affected ranges."""
    RETIRED = "retired"
    """The project is retired upstream (the catalogue says so, with its successor)."""
    ARCHIVED = "archived"
    """The project's repository is archived (read-only) upstream."""
    WAIVED = "waived"
    """Every finding of the row is accepted by a live waiver (shown, not counted)."""


class Severity(StrEnum):
    """Severity of a finding, lowest first. Compare with :func:`severity_rank`."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


def severity_rank(severity: Severity) -> int:
    """Return 0 for info, 1 for warning, 2 for critical (for sorting worst first)."""
    return list(Severity).index(severity)
