"""Version skew inside the Kubernetes control plane: a cluster-level check.

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

Kubelet and kube-proxy skew are not judged here yet (the kubelet rows keep their
``outdated`` findings); unparseable versions get no skew finding (they have
``unknown-version``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from tracker.evaluate.base import ClusterEvaluation, ClusterFinding, Evaluation
from tracker.models import Finding, Flag, ImageReference, Role, Severity
from tracker.versions import ParsedVersion

__all__ = ["SKEW_POLICY_URL", "ControlPlaneSkewCheck"]

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
        main = next((e for e in planes if e.component.namespace is None), None)
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
            if ok:
                finding = Finding(
                    Flag.SKEW,
                    Severity.INFO,
                    f"{head}: allowed while an upgrade runs (Kubernetes version-skew policy: "
                    f"{rule}; {SKEW_POLICY_URL}); finish the upgrade",
                )
            else:
                finding = Finding(
                    Flag.SKEW,
                    Severity.WARNING,
                    f"{head}: outside the Kubernetes version-skew policy ({rule}; "
                    f"{SKEW_POLICY_URL})",
                )
            found.append(ClusterFinding(entry.component, finding))
        return found
