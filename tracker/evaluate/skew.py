"""Version skew and compatibility between the parts of one cluster: the cluster-level checks.

The one place for Kubernetes and Istio skew. Rules and severities are in
:mod:`tracker.evaluate.compat` (node and Istio rules) and :mod:`tracker.evaluate.policy`;
this module decides which pairs to compare:

- :class:`ControlPlaneSkewCheck`: control-plane pods against the control plane (below);
- :class:`NodeSkewCheck`: each kubelet version group and each kube-proxy entry against the
  API server (the cluster's ``kubernetes`` control-plane entry), by
  :func:`~tracker.evaluate.compat.node_skew`;
- :class:`IstioSkewCheck`: sidecars and gateways of each revision against the istiod of that
  revision (``Component.revision``, None meaning ``default``), by
  :func:`~tracker.evaluate.compat.istio_data_plane_skew`; a revision no istiod serves is
  the vanished-revision finding;
- :class:`IstioKubernetesCheck`: each istiod's release against the cluster's Kubernetes
  version, by :func:`~tracker.evaluate.compat.istio_kubernetes`, with the supported ranges
  passed in (:func:`istio_support_from_cycles` over the stored endoflife.date documents,
  else :data:`BUILTIN_ISTIO_SUPPORT`). Evaluate never reads the store.

Every finding sets ``Finding.source`` to its policy URL.

Source: the Kubernetes version-skew policy, https://kubernetes.io/releases/version-skew-policy/
(facts in tests/data/realdata/eol/kubernetes-version-skew.md). With N the kube-apiserver's
minor version:

=====================================================  ==========================================
component                                              allowed
=====================================================  ==========================================
kube-apiserver (HA: several instances)                 newest and oldest within 1 minor (N, N-1)
kube-controller-manager, kube-scheduler,               never newer than kube-apiserver; may be
cloud-controller-manager                               1 minor older (N, N-1)
=====================================================  ==========================================

Identify reports the control plane once (from ``/version``, the kube-apiserver pod or the
kubelets) and reports each control-plane pod running *another* version as its own
``control-plane`` entry (an upgrade in progress). This check compares each such entry with
the control plane and gives it a ``skew`` finding:

=============================================  ==========  ==================================
the pod's version, against the control plane   severity    why
=============================================  ==========  ==================================
different, but within the policy               info        allowed while an upgrade runs;
                                                           finish it
outside the policy (newer, or further behind)  warning     a combination the Kubernetes
                                                           project does not support
=============================================  ==========  ==================================

Unparseable versions get no skew finding (they have ``unknown-version``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from types import MappingProxyType

from tracker.evaluate.base import ClusterEvaluation, ClusterFinding, Evaluation
from tracker.evaluate.compat import (
    Judgment,
    istio_data_plane_skew,
    istio_kubernetes,
    node_skew,
    supported_kubernetes,
)
from tracker.evaluate.policy import control_plane_skew_severity
from tracker.models import Finding, Flag, ImageReference, Role
from tracker.versions import ParsedVersion

__all__ = [
    "BUILTIN_ISTIO_SUPPORT",
    "SKEW_POLICY_URL",
    "ControlPlaneSkewCheck",
    "IstioKubernetesCheck",
    "IstioSkewCheck",
    "IstioSupport",
    "NodeSkewCheck",
    "istio_support_from_cycles",
]

SKEW_POLICY_URL = "https://kubernetes.io/releases/version-skew-policy/"
"""Where the rules of this check come from; every finding cites it."""

_KUBERNETES = "kubernetes"
_APISERVER = "kube-apiserver"
_BINARIES = (_APISERVER, "kube-controller-manager", "kube-scheduler", "cloud-controller-manager")


def binary_name(evaluation: Evaluation) -> str:
    """Which control-plane binary an entry runs, from its image repository or its workload
    (``registry.k8s.io/kube-scheduler-amd64:v1.28.7`` -> ``kube-scheduler``); the last path
    part of the image when it is none of the known ones.
    """
    c = evaluation.component
    names: list[str] = []
    if c.image:
        with contextlib.suppress(ValueError):  # identify parsed it; a stored row may not
            names.append(ImageReference.parse(c.image).repository.rsplit("/", 1)[-1])
    if c.workload:
        names.append(c.workload.rsplit("/", 1)[-1])
    for name in names:
        for binary in _BINARIES:
            if name.startswith(binary):
                return binary
    return names[0] if names else "control-plane component"


def _is_control_plane(evaluation: Evaluation) -> bool:
    c = evaluation.component
    return c.component == _KUBERNETES and c.role is Role.CONTROL_PLANE


def _allowed(binary: str, apiserver: ParsedVersion, pod: ParsedVersion) -> tuple[bool, str]:
    """(within the policy?, the rule in words) for ``binary`` at ``pod`` under ``apiserver``."""
    if binary == _APISERVER:
        rule = "kube-apiserver instances within 1 minor version of each other"
        return pod.major == apiserver.major and abs(apiserver.minor - pod.minor) <= 1, rule
    rule = f"{binary} at most 1 minor version older than kube-apiserver, never newer"
    behind = apiserver.minor - pod.minor
    return pod.major == apiserver.major and 0 <= behind <= 1, rule


class ControlPlaneSkewCheck:
    """``skew`` findings for control-plane pods at another version than the control plane
    (policy and severities in the module docstring)."""

    def check_cluster(self, cluster: ClusterEvaluation) -> Sequence[ClusterFinding]:
        """Compare each control-plane pod entry with the cluster's control plane."""
        planes = [e for e in cluster.evaluations if _is_control_plane(e)]
        main = _main_control_plane(cluster)
        if main is None or not isinstance(main.current, ParsedVersion):
            return ()
        apiserver = main.current
        found: list[ClusterFinding] = []
        for entry in planes:
            pod = entry.current
            if entry is main or entry.component.namespace is None:
                continue
            if not isinstance(pod, ParsedVersion) or pod.version == apiserver.version:
                continue
            binary = binary_name(entry)
            ok, rule = _allowed(binary, apiserver, pod)
            running = entry.component.raw_version
            head = (
                f"{binary} {running} differs from the control-plane version "
                f"{main.component.raw_version}"
            )
            severity = control_plane_skew_severity(within_policy=ok)
            if ok:
                message = (
                    f"{head}: allowed while an upgrade runs (Kubernetes version-skew policy: "
                    f"{rule}; {SKEW_POLICY_URL}); finish the upgrade"
                )
            else:
                message = (
                    f"{head}: outside the Kubernetes version-skew policy ({rule}; "
                    f"{SKEW_POLICY_URL})"
                )
            finding = Finding(Flag.SKEW, severity, message, source=SKEW_POLICY_URL)
            found.append(ClusterFinding(entry.component, finding))
        return found


def _main_control_plane(cluster: ClusterEvaluation) -> Evaluation | None:
    """The cluster's ``kubernetes`` control-plane entry (cluster-wide: no namespace)."""
    return next(
        (e for e in cluster.evaluations if _is_control_plane(e) and e.component.namespace is None),
        None,
    )


def _finding(judgment: Judgment) -> Finding:
    kind = Flag.INCOMPATIBLE if judgment.kind == "incompatible" else Flag.SKEW
    return Finding(kind, judgment.severity, judgment.message, source=judgment.source)


class NodeSkewCheck:
    """``skew`` findings for kubelets (one per kubelet version group) and kube-proxy entries
    against the API server, by the Kubernetes version-skew policy
    (:func:`~tracker.evaluate.compat.node_skew`: newer than the API server critical; more
    minors older than allowed critical; exactly at the limit warning; older within it info)."""

    def check_cluster(self, cluster: ClusterEvaluation) -> Sequence[ClusterFinding]:
        """Compare each kubelet and kube-proxy entry with the control plane's version."""
        main = _main_control_plane(cluster)
        if main is None or not isinstance(main.current, ParsedVersion):
            return ()
        found: list[ClusterFinding] = []
        for entry in cluster.evaluations:
            c = entry.component
            if c.component == _KUBERNETES and c.role is Role.KUBELET:
                what = "kubelet"
            elif c.component == "kube-proxy":
                what = "kube-proxy"
            else:
                continue
            if not isinstance(entry.current, ParsedVersion):
                continue
            judgment = node_skew(main.current, entry.current, what=what)
            if judgment is not None:
                found.append(ClusterFinding(c, _finding(judgment)))
        return found


_ISTIO = "istio"
_DEFAULT_REVISION = "default"


def _is_istiod(evaluation: Evaluation) -> bool:
    """An istiod (``pilot`` image or ``istiod`` workload) entry of the Istio control plane."""
    c = evaluation.component
    if c.component != _ISTIO or c.role is not Role.CONTROL_PLANE:
        return False
    names: list[str] = []
    if c.image:
        with contextlib.suppress(ValueError):
            names.append(ImageReference.parse(c.image).repository.rsplit("/", 1)[-1])
    if c.workload:
        names.append(c.workload.rsplit("/", 1)[-1])
    return not names or any(n.startswith(("pilot", "istiod")) for n in names)


def _istiods(cluster: ClusterEvaluation) -> dict[str, ParsedVersion]:
    """revision -> the oldest parsed istiod version serving it (an upgrade in progress keeps
    the older one: the data plane must not be newer than any istiod it may talk to)."""
    out: dict[str, ParsedVersion] = {}
    for entry in cluster.evaluations:
        if not _is_istiod(entry) or not isinstance(entry.current, ParsedVersion):
            continue
        revision = entry.component.revision or _DEFAULT_REVISION
        known = out.get(revision)
        if known is None or entry.current.version < known.version:
            out[revision] = entry.current
    return out


class IstioSkewCheck:
    """``skew`` findings for Istio sidecars and gateways against the istiod of their revision
    (:func:`~tracker.evaluate.compat.istio_data_plane_skew`), and for sidecars or gateways
    whose revision no istiod serves (critical). A cluster with no istiod at all (managed
    control plane, or istiod outside the scan) gets no finding: nothing to compare with."""

    def check_cluster(self, cluster: ClusterEvaluation) -> Sequence[ClusterFinding]:
        """Compare each data-plane and gateway entry with its revision's istiod."""
        istiods = _istiods(cluster)
        if not istiods:
            return ()
        found: list[ClusterFinding] = []
        for entry in cluster.evaluations:
            c = entry.component
            if c.component != _ISTIO or c.role not in (Role.DATA_PLANE, Role.GATEWAY):
                continue
            if not isinstance(entry.current, ParsedVersion):
                continue
            revision = c.revision or _DEFAULT_REVISION
            what = "sidecars" if c.role is Role.DATA_PLANE else "gateway proxies"
            judgment = istio_data_plane_skew(
                istiods.get(revision), entry.current, revision=revision, what=what
            )
            if judgment is not None:
                found.append(ClusterFinding(c, _finding(judgment)))
        return found


IstioSupport = Mapping[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]]
"""Istio ``(major, minor)`` -> the Kubernetes minors it supports, ``(low, high)`` inclusive."""

BUILTIN_ISTIO_SUPPORT: IstioSupport = MappingProxyType(
    {
        (1, 30): ((1, 32), (1, 36)),
        (1, 29): ((1, 31), (1, 35)),
        (1, 28): ((1, 30), (1, 34)),
        (1, 27): ((1, 29), (1, 33)),
        (1, 26): ((1, 29), (1, 33)),
        (1, 25): ((1, 29), (1, 32)),
        (1, 24): ((1, 28), (1, 31)),
        (1, 23): ((1, 27), (1, 30)),
        (1, 22): ((1, 27), (1, 30)),
        (1, 21): ((1, 26), (1, 29)),
        (1, 20): ((1, 25), (1, 29)),
        (1, 19): ((1, 25), (1, 28)),
        (1, 18): ((1, 24), (1, 27)),
        (1, 17): ((1, 23), (1, 26)),
        (1, 16): ((1, 22), (1, 25)),
        (1, 15): ((1, 22), (1, 25)),
        (1, 14): ((1, 21), (1, 24)),
        (1, 13): ((1, 20), (1, 23)),
        (1, 12): ((1, 19), (1, 22)),
        (1, 11): ((1, 18), (1, 22)),
        (1, 10): ((1, 18), (1, 21)),
        (1, 9): ((1, 17), (1, 20)),
        (1, 8): ((1, 16), (1, 19)),
        (1, 7): ((1, 16), (1, 18)),
    }
)
"""The built-in Istio support table, used when no endoflife.date data is stored.

Copied from tests/data/realdata/eol/istio-supported-releases.md: 1.13-1.22 from istio.io's
``data/compatibility/supportStatus.yml`` ("Supported Kubernetes Versions", not the "tested,
but not supported" ones), 1.23-1.30 from endoflife.date's ``supportedKubernetesVersions``;
1.7-1.12 from the same field in the recorded endoflife.date product
(tests/data/realdata/eol/istio.json). Sources:
https://istio.io/latest/docs/releases/supported-releases/, https://endoflife.date/istio.
"""


def istio_support_from_cycles(documents: Mapping[tuple[str, str], object]) -> IstioSupport:
    """Istio's supported Kubernetes ranges from stored endoflife.date ``cycles`` documents.

    Args:
        documents: ``Store.documents("cycles", "istio")``: ``(subject, cycle) -> the API's
            release object``; the key ``""`` (product metadata) and cycles without a
            readable ``custom.supportedKubernetesVersions`` are skipped.

    Returns:
        :data:`BUILTIN_ISTIO_SUPPORT` overlaid with every readable stored range (stored
        data wins; the built-in table fills older releases).

    >>> got = istio_support_from_cycles({("istio", "1.31"):
    ...     {"custom": {"supportedKubernetesVersions": "1.33 - 1.37"}}})
    >>> got[(1, 31)], got[(1, 26)]
    (((1, 33), (1, 37)), ((1, 29), (1, 33)))
    """
    out = dict(BUILTIN_ISTIO_SUPPORT)
    for (_, cycle), payload in documents.items():
        if not cycle or not isinstance(payload, Mapping):
            continue
        custom = payload.get("custom")
        text = custom.get("supportedKubernetesVersions") if isinstance(custom, Mapping) else None
        if not isinstance(text, str):
            continue
        line = supported_kubernetes(cycle)  # "1.30" parses as a one-line range
        span = supported_kubernetes(text)
        if line is not None and span is not None:
            out[line[0]] = span
    return MappingProxyType(out)


class IstioKubernetesCheck:
    """``incompatible`` findings for an istiod whose Istio release does not support the
    cluster's Kubernetes version (:func:`~tracker.evaluate.compat.istio_kubernetes`: newer
    Kubernetes than the range critical, older warning). Istio releases missing from the
    table get no finding.

    Args:
        support: the supported ranges (default :data:`BUILTIN_ISTIO_SUPPORT`).
    """

    def __init__(self, support: IstioSupport = BUILTIN_ISTIO_SUPPORT) -> None:
        self.support = support

    def check_cluster(self, cluster: ClusterEvaluation) -> Sequence[ClusterFinding]:
        """Judge each istiod entry against the cluster's control-plane version."""
        main = _main_control_plane(cluster)
        if main is None or not isinstance(main.current, ParsedVersion):
            return ()
        found: list[ClusterFinding] = []
        for entry in cluster.evaluations:
            if not _is_istiod(entry) or not isinstance(entry.current, ParsedVersion):
                continue
            supported = self.support.get(entry.current.line)
            if supported is None:
                continue
            judgment = istio_kubernetes(entry.current, main.current, supported)
            if judgment is not None:
                found.append(ClusterFinding(entry.component, _finding(judgment)))
        return found
