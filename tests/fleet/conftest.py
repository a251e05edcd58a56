"""Real cluster dumps for fleet tests: eight clusters made of the real pod/node dumps.

Each fleet member combines one real pod dump with one real node dump from
tests/data/realdata (see its PROVENANCE.md), so every member has its own shape: the GKE
1.18 cluster (80 running pods), a Docker Desktop Istio 1.12.1 pod, Istio's injector
goldens (native and classic sidecars), a minikube pod, on GKE, EKS, DOKS and kind nodes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PODS_GKE = "pods/gke-v1.18.19-kubevious-samples.podlist.json"
PODS_ISTIO = "pods/docker-desktop-istio-1.12.1.httpbin.pod.json"
PODS_NATIVE = "pods/istio-injector-golden.native-sidecar.pod.yaml"
PODS_CLASSIC = "pods/istio-injector-golden.classic-sidecar.pod.yaml"
PODS_MINIKUBE = "pods/minikube-kubectl-neat.pod1-raw.json"
NODES_GKE = "nodes/gke-v1.18.19-gke.1701.nodelist.json"
NODES_EKS = "nodes/eks-v1.16.13-eks-ec92d4.nodelist.json"
NODES_DOKS = "nodes/doks-v1.18.10.nodelist.json"
NODES_KIND = "nodes/kind-v1.24.0.node.yaml"

FLEET: dict[str, tuple[str, ...]] = {
    "c0-gke": (PODS_GKE, NODES_GKE),
    "c1-docker-desktop": (PODS_ISTIO, NODES_KIND),
    "c2-native-sidecar": (PODS_NATIVE, NODES_DOKS),
    "c3-classic-sidecar": (PODS_CLASSIC, NODES_EKS),
    "c4-minikube": (PODS_MINIKUBE, NODES_KIND),
    "c5-gke-on-eks": (PODS_GKE, NODES_EKS),
    "c6-istio-on-doks": (PODS_ISTIO, NODES_DOKS),
    "c7-gke-nodes-only": (NODES_GKE,),
}
"""Cluster name -> dump files (relative to the real data directory)."""

RELEASES = {
    "istio/istio": "releases/istio__istio.json",
    "kubernetes/kubernetes": "releases/kubernetes__kubernetes.json",
    "cert-manager/cert-manager": "releases/cert-manager__cert-manager.json",
    "prometheus/prometheus": "releases/prometheus__prometheus.json",
}
"""Project -> real release list."""


@pytest.fixture(scope="session")
def fleet_dumps(realdata: Path) -> dict[str, list[Path]]:
    """Cluster name -> absolute dump paths, for the eight fleet members."""
    return {name: [realdata / f for f in files] for name, files in FLEET.items()}


@pytest.fixture(scope="session")
def release_files(realdata: Path) -> dict[str, Path]:
    """Project -> absolute path of its real release list."""
    return {project: realdata / f for project, f in RELEASES.items()}
