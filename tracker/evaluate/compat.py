"""Version skew and compatibility rules, each with the policy it comes from.

Pure judgments over two versions (severities from :mod:`tracker.evaluate.policy`); the
cluster-level check (:mod:`tracker.evaluate.skew`)
decides which pairs to compare. Every :class:`Judgment` carries its ``source``.

Kubernetes (https://kubernetes.io/releases/version-skew-policy/, "Supported version skew"):

- kubelet and kube-proxy must never be newer than kube-apiserver (``skew``, critical);
- they may be up to 3 minors older (N-3); before 1.25 only 2 (the limit is read from the
  node component's own minor). Beyond that: ``skew``, critical. Exactly at the limit:
  ``skew``, warning, because "kubelets or kube-proxies that stay 3 minors behind must be
  upgraded before the control plane can be upgraded again". Older within the limit:
  ``skew``, info (supported, but the nodes lag the control plane).

Istio (https://istio.io/latest/docs/releases/supported-releases/, "Control plane/data plane
skew"; "Support status of Istio releases"):

- a data plane (sidecar or gateway) must not be newer than its istiod (``skew``, critical);
- istiod may be one minor ahead of the data plane; more is unsupported (``skew``, critical);
  a data plane older than its istiod within that (an older minor or patch) is ``skew``,
  info: the workloads were injected before istiod was upgraded, and a restart re-injects;
- a data plane pointing at a revision that no istiod serves gets no configuration or
  certificate updates (``skew``, critical);
- each Istio minor supports a range of Kubernetes minors (``supportedKubernetesVersions``,
  ``1.32 - 1.36``): Kubernetes newer than the range is ``incompatible``, critical (APIs Istio
  relies on may be gone, and it is untested); older than the range, ``incompatible``, warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.evaluate.policy import (
    istio_kubernetes_severity,
    istio_skew_severity,
    node_skew_severity,
)
from tracker.models import Severity
from tracker.versions import ParsedVersion

__all__ = [
    "ISTIO_POLICY",
    "KUBERNETES_SKEW_POLICY",
    "Judgment",
    "istio_data_plane_skew",
    "istio_kubernetes",
    "node_skew",
    "supported_kubernetes",
]

KUBERNETES_SKEW_POLICY = "https://kubernetes.io/releases/version-skew-policy/"
ISTIO_POLICY = "https://istio.io/latest/docs/releases/supported-releases/"


@dataclass(frozen=True)
class Judgment:
    """One skew or compatibility finding: ``kind`` is ``skew`` or ``incompatible``."""

    kind: str
    severity: Severity
    message: str
    source: str


def _minor(v: ParsedVersion) -> tuple[int, int]:
    return v.line


def _span(a: tuple[int, int], b: tuple[int, int]) -> int:
    """Minor releases from ``b`` up to ``a`` within one major (across majors: large)."""
    return a[1] - b[1] if a[0] == b[0] else (a[0] - b[0]) * 100


def node_skew(apiserver: ParsedVersion, node: ParsedVersion, *, what: str) -> Judgment | None:
    """kubelet / kube-proxy (``what``) against the API server, per the Kubernetes policy.

    >>> from tracker.versions import parse_version
    >>> node_skew(parse_version("v1.28.5"), parse_version("v1.27.9"), what="kubelet").severity
    <Severity.INFO: 'info'>
    >>> print(node_skew(parse_version("v1.28.5"), parse_version("v1.29.1"), what="kubelet").message)
    kubelet 1.29.1 is newer than the API server 1.28.5: never supported;
    downgrade it or upgrade the control plane first
    """
    api, mine = _minor(apiserver), _minor(node)
    behind = _span(api, mine)
    allowed = 3 if mine >= (1, 25) else 2
    severity = node_skew_severity(behind, allowed)
    if severity is None:
        return None
    if behind < 0:
        message = (
            f"{what} {node.normalized} is newer than the API server {apiserver.normalized}: "
            "never supported; downgrade it or upgrade the control plane first"
        )
    elif behind > allowed:
        message = (
            f"{what} {node.normalized} is {behind} minor releases older than the API server "
            f"{apiserver.normalized}; at most {allowed} are supported: upgrade the nodes"
        )
    elif behind == allowed:
        message = (
            f"{what} {node.normalized} is {behind} minor releases older than the API server "
            f"{apiserver.normalized}, the most the policy allows: upgrade the nodes before the "
            "next control-plane upgrade"
        )
    else:
        message = (
            f"{what} {node.normalized} is {behind} minor release{'s' if behind != 1 else ''} "
            f"older than the API server {apiserver.normalized} (supported up to {allowed}): "
            "upgrade the nodes to match"
        )
    return Judgment("skew", severity, message, KUBERNETES_SKEW_POLICY)


def istio_data_plane_skew(
    istiod: ParsedVersion | None, proxy: ParsedVersion, *, revision: str, what: str
) -> Judgment | None:
    """A sidecar or gateway (``what``) against the istiod of its ``revision`` (None: gone).

    >>> from tracker.versions import parse_version
    >>> istio_data_plane_skew(parse_version("1.29.3"), parse_version("1.28.7"),
    ...     revision="default", what="sidecars").severity
    <Severity.INFO: 'info'>
    """
    if istiod is None:
        return Judgment(
            "skew",
            istio_skew_severity(vanished=True),
            f"{what} {proxy.normalized} point at Istio revision {revision!r}, which no istiod "
            "serves any more: they get no configuration or certificate updates; re-inject "
            "them (restart the workloads) onto a running revision",
            ISTIO_POLICY,
        )
    ahead = _span(_minor(istiod), _minor(proxy))
    if ahead < 0:
        return Judgment(
            "skew",
            istio_skew_severity(outside=True),
            f"{what} {proxy.normalized} are newer than istiod {istiod.normalized} "
            f"(revision {revision!r}): the data plane must not be newer than the control plane",
            ISTIO_POLICY,
        )
    if ahead > 1:
        return Judgment(
            "skew",
            istio_skew_severity(outside=True),
            f"{what} {proxy.normalized} are {ahead} minor releases behind istiod "
            f"{istiod.normalized} (revision {revision!r}); at most 1 is supported: restart "
            "the workloads to re-inject the current proxy",
            ISTIO_POLICY,
        )
    if proxy.version < istiod.version:
        return Judgment(
            "skew",
            istio_skew_severity(),
            f"{what} {proxy.normalized} are older than istiod {istiod.normalized} "
            f"(revision {revision!r}): injected before the upgrade; restart the workloads to "
            "re-inject",
            ISTIO_POLICY,
        )
    return None


_RANGE_RE = re.compile(r"^\s*(\d+)\.(\d+)\s*(?:-\s*(\d+)\.(\d+))?\s*$")


def supported_kubernetes(text: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Parse endoflife.date's Istio ``supportedKubernetesVersions`` (``1.32 - 1.36``).

    Returns ``((1, 32), (1, 36))``, or None when the text is not such a range.

    >>> supported_kubernetes("1.32 - 1.36"), supported_kubernetes("1.30"), supported_kubernetes("?")
    (((1, 32), (1, 36)), ((1, 30), (1, 30)), None)
    """
    match = _RANGE_RE.match(text)
    if not match:
        return None
    low = (int(match.group(1)), int(match.group(2)))
    high = (int(match.group(3)), int(match.group(4))) if match.group(3) else low
    return (low, high) if low <= high else None


def istio_kubernetes(
    istio: ParsedVersion,
    kubernetes: ParsedVersion,
    supported: tuple[tuple[int, int], tuple[int, int]],
) -> Judgment | None:
    """Istio ``istio`` on Kubernetes ``kubernetes``, given the release's supported range."""
    low, high = supported
    k8s = _minor(kubernetes)
    span = f"{low[0]}.{low[1]}-{high[0]}.{high[1]}"
    line = f"{istio.line[0]}.{istio.line[1]}"
    if k8s > high:
        return Judgment(
            "incompatible",
            istio_kubernetes_severity(kubernetes_newer=True),
            f"Istio {line} supports Kubernetes {span}; this cluster runs "
            f"{kubernetes.normalized}: upgrade Istio",
            ISTIO_POLICY,
        )
    if k8s < low:
        return Judgment(
            "incompatible",
            istio_kubernetes_severity(kubernetes_newer=False),
            f"Istio {line} supports Kubernetes {span}; this cluster runs "
            f"{kubernetes.normalized}: upgrade the cluster or use an older Istio",
            ISTIO_POLICY,
        )
    return None
