"""The identify stage's boundary: detectors, what they return, and the stage error.

Identification follows version-checker's ``pkg/client/client.go`` (design.md §6 item 2):
an ordered list of claimants looks at every container, the first claim wins, and what no
claimant takes is reported as :class:`~tracker.models.Unidentified` (never dropped).

Two kinds of detectors exist:

* :class:`ContainerDetector` looks at one container of one pod and returns a
  :class:`Claim` (it is this component), :class:`Absorbed` (it is part of something
  reported elsewhere, e.g. Istio's ``istio-init``), or ``None`` (not mine).
* :class:`ClusterDetector` reports components that are not containers (the Kubernetes
  control plane from ``/version``, kubelets from ``node.status.nodeInfo``).

:func:`tracker.identify.registry.identify` wires them together and groups claims into
:class:`~tracker.models.Component` entries.

Errors: :class:`~tracker.errors.IdentifyError` (an invalid catalogue entry) is the only
error this stage raises; identifying an inventory itself never fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tracker.errors import IdentifyError
from tracker.models import Component, Container, ImageReference, Inventory, Pod, Role

__all__ = [
    "Absorbed",
    "Claim",
    "ClusterDetector",
    "ContainerDetector",
    "IdentifyError",
    "image_version",
    "join_capped",
]


@dataclass(frozen=True)
class Claim:
    """A detector's verdict that one container is (part of) a component at a version.

    The registry fills in namespace and workload from the pod and groups equal claims of
    one workload into one :class:`~tracker.models.Component` (``instances`` = pod count).

    Attributes:
        component: catalogue id, e.g. ``istio``.
        role: the part of the component this container is.
        raw_version: the version as found (usually the image tag); ``""`` when the image
            is pinned by digest only.
        project: GitHub ``owner/repo`` whose releases this is compared with.
        revision: Istio revision, else None.
        cluster_wide: True to group across the whole cluster (namespace and workload left
            empty, the namespaces listed in ``detail``), as Istio sidecars are: one entry
            per proxy version.
        note: free text for the entry's ``detail`` (e.g. a version skew); the registry
            lists the distinct notes of a group.
        mirrored: the image was identified through a mirror or cache
            (:mod:`tracker.identify.mirrors`).
    """

    component: str
    role: Role
    raw_version: str
    project: str | None
    revision: str | None = None
    cluster_wide: bool = False
    note: str | None = None
    mirrored: bool = False


@dataclass(frozen=True)
class Absorbed:
    """The container belongs to something reported elsewhere; it is neither a component
    nor unidentified (e.g. ``istio-init``, part of sidecar injection).

    Attributes:
        reason: why, for debugging (e.g. ``"Istio sidecar injection init container"``).
    """

    reason: str


@runtime_checkable
class ContainerDetector(Protocol):
    """Claims containers. Called once per container, in the registry's order."""

    def claim(self, pod: Pod, container: Container) -> Claim | Absorbed | None:
        """Return a :class:`Claim`, :class:`Absorbed`, or None when the container is not
        this detector's. Must not raise."""
        ...


@runtime_checkable
class ClusterDetector(Protocol):
    """Reports components that are not containers (control plane, kubelets)."""

    def components(self, inventory: Inventory) -> tuple[Component, ...]:
        """Return the cluster-level components of ``inventory``. Must not raise."""
        ...


def image_version(image: ImageReference) -> str:
    """The raw version an image reference carries: its tag, ``""`` when it is pinned by
    digest only, ``"latest"`` when it has neither (the runtime pulls ``latest``).

    >>> image_version(ImageReference.parse("prom/prometheus:v2.11.0"))
    'v2.11.0'
    >>> image_version(ImageReference.parse("kennethreitz/httpbin"))
    'latest'
    >>> image_version(ImageReference.parse("nginx@sha256:" + "a" * 64))
    ''
    """
    if image.tag:
        return image.tag
    return "" if image.digest else "latest"


def join_capped(items: list[str], limit: int = 5, sep: str = ",") -> str:
    """Join ``items`` with ``sep``, listing at most ``limit`` and counting the rest.

    >>> join_capped(["a", "b"])
    'a,b'
    >>> join_capped(["a", "b", "c"], limit=2)
    'a,b,+1 more'
    """
    shown = items[:limit]
    rest = len(items) - len(shown)
    return sep.join([*shown, f"+{rest} more"] if rest > 0 else shown)
