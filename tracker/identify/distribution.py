"""Which Kubernetes distribution a cluster runs: EKS, GKE, AKS, OpenShift, k3s, RKE2, ...

Read from what every inventory has, strongest evidence first:

1. vendor build suffixes of the API server or kubelet version: ``-eks-…`` (EKS), ``-gke.N``
   (GKE), ``+k3s1`` (k3s), ``+rke2r1`` (RKE2);
2. node labels the distribution sets: ``eks.amazonaws.com/*``, ``cloud.google.com/gke-*``,
   ``kubernetes.azure.com/*`` (AKS), ``node.openshift.io/*`` (OpenShift),
   ``doks.digitalocean.com/*`` (DOKS), ``worker.gardener.cloud/*`` (Gardener),
   ``node.k3s.io/*``, ``rke2.io/*``;
3. the node's ``spec.providerID`` scheme: ``kind://`` (kind), ``digitalocean://`` (DOKS).

A cluster none of these identify has no distribution (None): upstream Kubernetes, or one
tracker cannot tell; never a guess from the cloud alone (``aws://`` nodes may be kops).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.models import Node

__all__ = ["DISTRIBUTIONS", "detect_distribution"]

DISTRIBUTIONS = {
    "eks": "Amazon EKS",
    "gke": "Google GKE",
    "aks": "Azure AKS",
    "openshift": "Red Hat OpenShift",
    "k3s": "k3s",
    "rke2": "RKE2",
    "kind": "kind",
    "doks": "DigitalOcean DOKS",
    "gardener": "Gardener",
}
"""Distribution id -> display name."""

_VERSION_RULES = (
    (re.compile(r"-eks-|-eksbuild\b"), "eks"),
    (re.compile(r"-gke\.\d"), "gke"),
    (re.compile(r"[+_]k3s\d"), "k3s"),
    (re.compile(r"[+_]rke2r\d"), "rke2"),
)
_LABEL_RULES = (
    ("eks.amazonaws.com/", "eks"),
    ("cloud.google.com/gke-", "gke"),
    ("kubernetes.azure.com/", "aks"),
    ("node.openshift.io/", "openshift"),
    ("doks.digitalocean.com/", "doks"),
    ("worker.gardener.cloud/", "gardener"),
    ("node.k3s.io/", "k3s"),
    ("rke2.io/", "rke2"),
)
_PROVIDER_RULES = (("kind://", "kind"), ("digitalocean://", "doks"))


def detect_distribution(server_version: str | None, nodes: Sequence[Node]) -> str | None:
    """The distribution id (a key of :data:`DISTRIBUTIONS`), or None when not identified.

    >>> detect_distribution("v1.29.6+k3s1", [])
    'k3s'
    >>> aks = Node("n1", "v1.30.2", labels={"kubernetes.azure.com/role": "agent"})
    >>> detect_distribution("v1.30.2", [aks])
    'aks'
    >>> kind = Node("kind-control-plane", "v1.24.0", provider_id="kind://docker/kind/x")
    >>> detect_distribution("v1.24.0", [kind])
    'kind'
    >>> detect_distribution("v1.21.10", [Node("n", "v1.21.10")]) is None
    True
    """
    versions = [server_version or "", *(node.kubelet_version for node in nodes)]
    for pattern, name in _VERSION_RULES:
        if any(pattern.search(version) for version in versions):
            return name
    for node in nodes:
        for prefix, name in _LABEL_RULES:
            if any(label.startswith(prefix) for label in node.labels):
                return name
    for node in nodes:
        for prefix, name in _PROVIDER_RULES:
            if (node.provider_id or "").startswith(prefix):
                return name
    return None
