"""Identification: an ordered list of claimants, first claim wins, plus a fallback.

After version-checker's ``pkg/client/client.go`` (design.md §6 item 2). For every
container of every pod, the detectors are asked in order:

1. :class:`~tracker.identify.istio.IstioDetector` (istiod, gateways, sidecars, istio-init),
2. :class:`~tracker.identify.kubernetes.KubernetesDetector` (control-plane pods),
3. :class:`~tracker.identify.addons.AddonDetector` (the catalogue, by image repository).

Every detector sees image repositories through registry mirrors and pull-through caches
(:class:`~tracker.identify.mirrors.RepositoryIndex`): a claim made through one is
``mirrored``, and so is the :class:`~tracker.models.Component` it joins (its ``image`` stays
the raw reference). An image whose repository ends like two components equally is left
unidentified with both named (never a guess).

Cluster-level rows: the Kubernetes control plane and kubelets
(:class:`~tracker.identify.kubernetes.KubernetesDetector`), one ``helm-release`` row per Helm
release (:class:`~tracker.identify.helm.HelmDetector`; the image rows a release runs name it
in their ``detail``, :func:`~tracker.identify.helm.link_helm_images`), and kube-proxy per node
group from ``nodeInfo.kubeProxyVersion`` when the scan read every namespace, no kube-proxy pod
was identified and the field is not just the kubelet's version
(:func:`~tracker.identify.kubernetes.kube_proxy_components`): a scan limited with ``-n``
cannot know that no kube-proxy pod runs, so it never reports kube-proxy from the node field.

The first :class:`~tracker.identify.base.Claim` or
:class:`~tracker.identify.base.Absorbed` wins. A container nobody claims becomes an
:class:`~tracker.models.Unidentified` with the reason (never dropped); one entry per
namespace, workload and image.

Grouping: claims of one workload with equal component, role, version, project and revision
form one :class:`~tracker.models.Component`; ``instances`` is the number of distinct pods.
Several images of one component at one version in one workload (kube-dns with its dnsmasq
and sidecar containers, calico-node with its install-cni init container) are one entry
whose ``image`` is the first regular container's and whose ``detail`` lists the others.

Static pods: the parser (:func:`tracker.inventory.parse.resolve_workload`) gives a mirror
pod (owned by its Node, e.g. kube-proxy on GKE) the workload ``StaticPod/<pod name without
-<nodeName>>``, so the same manifest on several nodes is already one workload. Its entry
keeps ``workload = "StaticPod/kube-proxy"`` (the name a platform engineer knows), counts
the pods in ``instances`` and names the nodes (``spec.nodeName``) in ``detail``:
``static pod on 2 nodes: a, b`` (at most five named, the rest counted).

An image tracker recognises but does not catalogue (``uncatalogued.toml``: a helper image with
no release stream, a project released where tracker's release source does not read) is
unidentified too, its reason saying what it is and what is missing.

Unparseable image references (kept by the parser as a placeholder, see
:func:`tracker.inventory.parse.is_unparsed`) are never shown to the detectors: they are
listed as unidentified with the reason ``unparseable image reference '<raw>': <why>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from tracker.identify.addons import AddonDetector
from tracker.identify.base import Absorbed, Claim, ClusterDetector, ContainerDetector, join_capped
from tracker.identify.distribution import detect_distribution
from tracker.identify.helm import HelmDetector, link_helm_images
from tracker.identify.istio import IstioDetector
from tracker.identify.kubernetes import KubernetesDetector, kube_proxy_components
from tracker.identify.mirrors import RepositoryIndex
from tracker.identify.uncatalogued import uncatalogued_reason
from tracker.inventory.parse import is_unparsed, parse_image
from tracker.models import (
    CatalogueEntry,
    Component,
    Identification,
    ImageReference,
    Inventory,
    Pod,
    Role,
    Unidentified,
)
from tracker.versions import ParsedVersion, parse_version

__all__ = ["identify", "kubernetes_version", "run_detectors"]

_ROLE_ORDER = {role: i for i, role in enumerate(Role)}
_NAMESPACE_LIMIT = 10
_NODE_LIMIT = 5
_WORKLOAD_LIMIT = 10
"""Meshed workloads named in a sidecar entry's ``workload``; the rest are counted."""


def identify(
    inventory: Inventory,
    catalogue: Mapping[str, CatalogueEntry],
    mirrors: Iterable[str] = (),
) -> Identification:
    """Identify what runs in ``inventory`` using ``catalogue`` (from
    :func:`~tracker.identify.catalogue.load_catalogue`), seeing through registry mirrors
    (:mod:`tracker.identify.mirrors`; ``mirrors`` are the config's ``[registries] mirrors``
    prefixes, already validated by the config loader).

    Returns:
        The cluster-level components (Kubernetes control plane, kubelets) first, then the
        container components sorted by component, role, namespace, workload and version;
        and the unidentified images sorted by namespace, workload and image.

    Never raises for any inventory; an invalid catalogue fails earlier, in
    ``load_catalogue`` (:class:`~tracker.errors.IdentifyError`).
    """
    index = RepositoryIndex(catalogue, mirrors)
    k8s = catalogue.get("kubernetes")
    istio = catalogue.get("istio")
    kube = KubernetesDetector(inventory, index, k8s.project if k8s else None)
    detectors: list[ContainerDetector] = [
        IstioDetector(index, istio.project if istio else None),
        kube,
        AddonDetector(index),
    ]
    found = run_detectors(inventory, detectors, [kube, HelmDetector(catalogue)], index)
    components = found.components
    proxy_pods = any(c.component == "kube-proxy" for c in components)
    if inventory.namespaces.everything and not proxy_pods:
        proxy = catalogue.get("kube-proxy")
        nodes = kube_proxy_components(inventory.nodes, proxy.project if proxy else None)
        components = (*components, *nodes)
    components = link_helm_images(components, inventory.helm_releases)
    return replace(found, components=components)


def run_detectors(
    inventory: Inventory,
    detectors: Sequence[ContainerDetector],
    cluster_detectors: Sequence[ClusterDetector] = (),
    index: RepositoryIndex | None = None,
) -> Identification:
    """Run ``detectors`` over every container (first claim wins) and
    ``cluster_detectors`` over the inventory, and group the result (see module docstring).
    ``index``, when given, explains unidentified images whose repository ends like two
    components (:meth:`~tracker.identify.mirrors.RepositoryIndex.ambiguity`).
    """
    groups: dict[tuple[object, ...], _Group] = {}
    unidentified: dict[tuple[str, str, str], Unidentified] = {}
    for pod in inventory.pods:
        for container in pod.containers:
            verdict: Claim | Absorbed | None = None
            unparsed = is_unparsed(container.image)
            if not unparsed:
                for detector in detectors:
                    verdict = detector.claim(pod, container)
                    if verdict is not None:
                        break
            if isinstance(verdict, Absorbed):
                continue
            if verdict is None:
                workload = str(pod.workload)
                key = (pod.namespace, workload, container.image.raw)
                unidentified.setdefault(
                    key,
                    Unidentified(
                        namespace=pod.namespace,
                        workload=workload,
                        image=container.image.raw,
                        reason=_unparsed_reason(container.image)
                        if unparsed
                        else _unclaimed_reason(container.image, index),
                    ),
                )
                continue
            scope = None if verdict.cluster_wide else (pod.namespace, str(pod.workload))
            gkey = (
                verdict.component,
                verdict.role,
                verdict.raw_version,
                verdict.project,
                verdict.revision,
                scope,
            )
            group = groups.get(gkey)
            if group is None:
                group = groups[gkey] = _Group(verdict, pod)
            group.mirrored = group.mirrored or verdict.mirrored
            group.add(pod, container.image.raw, verdict.note, main=not container.init)

    cluster = [c for d in cluster_detectors for c in d.components(inventory)]
    built = sorted((g.component() for g in groups.values()), key=_sort_key)
    components = (*cluster, *built)
    return Identification(
        components=components,
        unidentified=tuple(
            sorted(unidentified.values(), key=lambda u: (u.namespace, u.workload, u.image))
        ),
        kubernetes_version=kubernetes_version(inventory.server_version, components),
        distribution=detect_distribution(inventory.server_version, inventory.nodes),
    )


def kubernetes_version(server_version: str | None, components: Sequence[Component]) -> str | None:
    """A cluster's Kubernetes version: the normalized ``server_version`` (``v1.18.19-gke.1701``
    -> ``1.18.19``), else the raw value, else the raw version of the ``kubernetes``
    control-plane component (normalized likewise); None when neither is known.

    >>> kubernetes_version("v1.18.19-gke.1701", ())
    '1.18.19'
    >>> k3s = Component("kubernetes", Role.CONTROL_PLANE, "v1.27.4+k3s1", None)
    >>> kubernetes_version(None, (k3s,))
    '1.27.4'
    >>> kubernetes_version(None, ()) is None
    True
    """
    raw = server_version or next(
        (
            c.raw_version
            for c in components
            if c.component == "kubernetes" and c.role is Role.CONTROL_PLANE and c.raw_version
        ),
        None,
    )
    if not raw:
        return None
    parsed = parse_version(raw)
    return parsed.normalized if isinstance(parsed, ParsedVersion) else raw


_STATIC_POD = "StaticPod"
"""The workload kind :func:`tracker.inventory.parse.resolve_workload` gives mirror pods."""


def _unparsed_reason(image: ImageReference) -> str:
    """``unparseable image reference 'x@sha256:zz': invalid digest``-style reason."""
    why = parse_image(image.raw)[1] or "not a valid reference"
    # parse's message repeats the reference ("image reference 'x' has an invalid digest
    # 'zz'"); keep only what is wrong with it
    prefix = f"image reference {image.raw!r} "
    if why.startswith(prefix):
        why = why[len(prefix) :]
        why = re.sub(r"^(?:has an? |is )", "", why)
    return f"unparseable image reference {image.raw!r}: {why}"


def _unclaimed_reason(image: ImageReference, index: RepositoryIndex | None) -> str:
    """Why no detector claimed ``image``: a repository ending like several, or no entry (with
    the reason when tracker knows the image but does not catalogue it,
    :mod:`tracker.identify.uncatalogued`)."""
    tied = index.ambiguity(image) if index is not None else ()
    if tied:
        return (
            f"image repository {image.name} ends like the repositories of "
            f"{' and '.join(tied)}: ambiguous, not guessed (add the mirror prefix to "
            "[registries] mirrors or the repository to a catalogue entry)"
        )
    known = uncatalogued_reason(image)
    if known is not None:
        return f"no catalogue entry for image repository {image.name}: {known}"
    return "no catalogue entry for image repository " + image.name


def _sort_key(c: Component) -> tuple[str, int, str, str, str, str]:
    return (
        c.component,
        _ROLE_ORDER[c.role],
        c.namespace or "",
        c.workload or "",
        c.raw_version,
        c.revision or "",
    )


@dataclass
class _Group:
    """Accumulates the pods of one future Component."""

    claim: Claim
    first_pod: Pod
    images: list[str] = field(default_factory=list)
    pods: set[tuple[str, str]] = field(default_factory=set)
    namespaces: set[str] = field(default_factory=set)
    workloads: set[tuple[str, str]] = field(default_factory=set)
    nodes: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    mirrored: bool = False
    _main_images: int = 0

    def add(self, pod: Pod, image: str, note: str | None, main: bool) -> None:
        if image not in self.images:
            # images of regular containers come before init containers' (calico-node
            # before its install-cni init container)
            if main:
                self.images.insert(self._main_images, image)
                self._main_images += 1
            else:
                self.images.append(image)
        self.pods.add((pod.namespace, pod.name))
        self.namespaces.add(pod.namespace)
        self.workloads.add((pod.namespace, str(pod.workload)))
        if pod.workload.kind == _STATIC_POD and pod.node_name:
            self.nodes.add(pod.node_name)
        if note and note not in self.notes:
            self.notes.append(note)

    def component(self) -> Component:
        claim, pod = self.claim, self.first_pod
        details: list[str] = []
        namespace: str | None = None
        workload: str | None = None
        if claim.cluster_wide:
            names = sorted(self.namespaces)
            label = "namespace" if len(names) == 1 else "namespaces"
            details.append(f"{label}: " + join_capped(names, _NAMESPACE_LIMIT, ", "))
            # where the proxies run: one namespace -> its workloads; several -> ns/Kind/name
            if len(names) == 1:
                namespace = names[0]
                where = sorted(w for _, w in self.workloads)
            else:
                where = sorted(f"{ns}/{w}" for ns, w in self.workloads)
            workload = join_capped(where, _WORKLOAD_LIMIT)
        else:
            namespace = pod.namespace
            workload = str(pod.workload)
            if self.nodes:
                count = len(self.nodes)
                nodes = join_capped(sorted(self.nodes), _NODE_LIMIT, ", ")
                details.append(f"static pod on {count} node{'s' if count != 1 else ''}: {nodes}")
        details.extend(self.notes)
        if len(self.images) > 1:
            details.append("also " + ", ".join(self.images[1:]))
        return Component(
            component=claim.component,
            role=claim.role,
            raw_version=claim.raw_version,
            project=claim.project,
            namespace=namespace,
            workload=workload,
            image=self.images[0],
            instances=len(self.pods),
            revision=claim.revision,
            detail="; ".join(details) or None,
            mirrored=self.mirrored,
        )
