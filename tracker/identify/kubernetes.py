"""Kubernetes itself: the control plane and the kubelets.

* **Control plane** (role ``control-plane``, one cluster-wide entry), from the first of:
  1. ``Inventory.server_version`` (``GET /version`` ``gitVersion``);
  2. in a dump without it, the ``kube-apiserver`` pod's image tag (the highest, if several);
  3. else the highest kubelet version, as an estimate.
  ``detail`` says which. Kubernetes' version skew policy
  (https://kubernetes.io/releases/version-skew-policy/) never lets a kubelet be newer
  than the API server, so the highest kubelet is a lower bound for the control plane.
* **Control-plane pods** (kube-apiserver, kube-controller-manager, kube-scheduler images of
  the ``kubernetes`` catalogue entry) at the control plane's version are absorbed into that
  entry; one at another version (an upgrade in progress) is its own control-plane entry,
  which :mod:`tracker.evaluate.skew` judges against the version-skew policy.
* **Kubelets** (role ``kubelet``), from ``node.status.nodeInfo.kubeletVersion``: one entry
  per distinct version, ``instances`` = node count, ``workload`` = ``Node/a,b`` (capped).

kube-proxy is NOT handled here: it is its own catalogue id ``kube-proxy`` (project
kubernetes/kubernetes, role ``addon``; the deprecated ``nodeInfo.kubeProxyVersion`` is used
only as :func:`kube_proxy_components` says), so a report shows it as a separate row that the
Kubernetes release stream is compared with. ``raw_version`` is always the string as found
(``v1.18.19-gke.1701``); normalizing is :mod:`tracker.versions`' job.
"""

from __future__ import annotations

from collections.abc import Iterable

from tracker.identify.base import Absorbed, Claim, image_version, join_capped
from tracker.identify.catalogue import ImageIndex
from tracker.models import Component, Container, Inventory, Node, Pod, Role
from tracker.versions import ParsedVersion, parse_version

__all__ = ["DEFAULT_PROJECT", "KubernetesDetector", "highest_version", "kube_proxy_components"]

DEFAULT_PROJECT = "kubernetes/kubernetes"
_ID = "kubernetes"
_NODE_LIMIT = 5


class KubernetesDetector:
    """Reports the control plane and kubelets, and claims control-plane pod containers.

    Built per inventory (the control-plane version is decided up front so that
    control-plane pods can be compared with it).
    """

    def __init__(self, inventory: Inventory, index: ImageIndex, project: str | None) -> None:
        self._index = index
        self._project = project or DEFAULT_PROJECT
        self._control_plane = _control_plane(inventory, index, self._project)

    def components(self, inventory: Inventory) -> tuple[Component, ...]:
        """The control-plane entry (when one can be determined) and one kubelet entry
        per kubelet version, highest version first."""
        out: list[Component] = []
        if self._control_plane is not None:
            out.append(self._control_plane)
        out.extend(_kubelets(inventory.nodes, self._project))
        return tuple(out)

    def claim(self, pod: Pod, container: Container) -> Claim | Absorbed | None:
        """Claim control-plane images (kube-apiserver, -controller-manager, -scheduler)."""
        if not self._index.matches(_ID, container.image):
            return None
        raw = image_version(container.image)
        cp = self._control_plane
        if cp is not None and _same_version(raw, cp.raw_version):
            return Absorbed(f"part of the Kubernetes control plane {cp.raw_version}")
        return Claim(_ID, Role.CONTROL_PLANE, raw, self._project)


def highest_version(raws: Iterable[str]) -> str | None:
    """The highest of ``raws`` by :func:`tracker.versions.parse_version` order; strings
    that are not versions rank below every version. None when ``raws`` is empty.

    >>> highest_version(["v1.18.9", "v1.18.19-gke.1701", "latest"])
    'v1.18.19-gke.1701'
    """
    best: str | None = None
    best_parsed: ParsedVersion | None = None
    for raw in raws:
        parsed = parse_version(raw)
        if best is None:
            best = raw
            best_parsed = parsed if isinstance(parsed, ParsedVersion) else None
        elif isinstance(parsed, ParsedVersion) and (
            best_parsed is None or parsed.version > best_parsed.version
        ):
            best, best_parsed = raw, parsed
    return best


def _same_version(a: str, b: str) -> bool:
    if a == b:
        return True
    pa, pb = parse_version(a), parse_version(b)
    return (
        isinstance(pa, ParsedVersion) and isinstance(pb, ParsedVersion) and pa.version == pb.version
    )


def _control_plane(inventory: Inventory, index: ImageIndex, project: str) -> Component | None:
    if inventory.server_version and inventory.server_version.strip():
        return Component(
            component=_ID,
            role=Role.CONTROL_PLANE,
            raw_version=inventory.server_version.strip(),
            project=project,
            detail="from the API server (/version)",
        )
    apiservers = {
        image_version(c.image): str(c.image.raw)
        for pod in inventory.pods
        for c in pod.containers
        if index.matches(_ID, c.image)
        and c.image.repository.rsplit("/", 1)[-1].startswith("kube-apiserver")
    }
    if apiservers:
        version = highest_version(sorted(apiservers)) or ""
        return Component(
            component=_ID,
            role=Role.CONTROL_PLANE,
            raw_version=version,
            project=project,
            image=apiservers[version],
            detail=(
                f"from the kube-apiserver pod image {apiservers[version]} "
                "(no /version in this inventory)"
            ),
        )
    kubelet = highest_version(sorted({n.kubelet_version for n in inventory.nodes}))
    if kubelet is None:
        return None
    return Component(
        component=_ID,
        role=Role.CONTROL_PLANE,
        raw_version=kubelet,
        project=project,
        detail=(
            "estimated from the highest kubelet version "
            "(no /version and no kube-apiserver pod in this inventory)"
        ),
    )


def _kubelets(nodes: Iterable[Node], project: str) -> list[Component]:
    by_version: dict[str, list[Node]] = {}
    for node in nodes:
        by_version.setdefault(node.kubelet_version, []).append(node)
    out: list[Component] = []
    remaining = dict(by_version)
    while remaining:
        version = highest_version(sorted(remaining)) or ""
        group = sorted(remaining.pop(version), key=lambda n: n.name)
        names = [n.name for n in group]
        control = sum(1 for n in group if n.control_plane)
        detail = f"{len(group)} node{'s' if len(group) != 1 else ''}"
        if control:
            detail += f" ({control} control-plane)"
        runtimes = _runtimes(group)
        if runtimes:
            detail += f"; container runtime {runtimes}"
        out.append(
            Component(
                component=_ID,
                role=Role.KUBELET,
                raw_version=version,
                project=project,
                workload="Node/" + join_capped(names, _NODE_LIMIT),
                instances=len(group),
                detail=detail,
            )
        )
    return out


def _runtimes(nodes: Iterable[Node]) -> str:
    """``containerd://1.6.4`` or ``containerd://1.6.4 (2 nodes), docker://20.10.7 (1 node)``."""
    counts: dict[str, int] = {}
    for node in nodes:
        if node.container_runtime:
            counts[node.container_runtime] = counts.get(node.container_runtime, 0) + 1
    if len(counts) <= 1:
        return next(iter(counts), "")
    return ", ".join(f"{rt} ({n} node{'s' if n != 1 else ''})" for rt, n in sorted(counts.items()))


def kube_proxy_components(nodes: Iterable[Node], project: str | None) -> list[Component]:
    """kube-proxy per node group from ``node.status.nodeInfo.kubeProxyVersion`` (component
    ``kube-proxy``, role ``addon``, like kubelets: one row per version, highest first,
    ``workload`` = ``Node/a,b``), only from nodes where the field differs from the node's
    ``kubeletVersion``; an empty list when none does.

    The field is deprecated (KEP-4004, Kubernetes 1.29; empty by default since 1.33): the
    kubelet writes its own version there and knows neither the kube-proxy version nor whether
    kube-proxy runs at all (kubernetes/kubernetes#117756). A value equal to the kubelet
    version is therefore no evidence about kube-proxy (it would only repeat the kubelet's
    findings under another name); only a value something else wrote is used. The caller
    uses this only when no kube-proxy pod was found in a scan of every namespace.
    """
    by_version: dict[str, list[Node]] = {}
    for node in nodes:
        version = (node.kube_proxy_version or "").strip()
        if version and version != node.kubelet_version.strip():
            by_version.setdefault(version, []).append(node)
    out: list[Component] = []
    while by_version:
        version = highest_version(sorted(by_version)) or ""
        group = sorted(by_version.pop(version), key=lambda n: n.name)
        count = len(group)
        out.append(
            Component(
                component="kube-proxy",
                role=Role.ADDON,
                raw_version=version,
                project=project or DEFAULT_PROJECT,
                workload="Node/" + join_capped([n.name for n in group], _NODE_LIMIT),
                instances=count,
                detail=(
                    f"from node.status.nodeInfo.kubeProxyVersion of {count} "
                    f"node{'s' if count != 1 else ''}"
                ),
            )
        )
    return out
