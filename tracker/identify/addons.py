"""Add-ons: containers identified by their image repository through the catalogue.

The rule (design.md §4 "Identification"): the image repository decides, never the workload
or container name, seen through mirrors and pull-through caches
(:mod:`tracker.identify.mirrors`; such claims are ``mirrored``). ``docker.io/library/x``,
``library/x`` and ``x`` are one repository.
The version is the image tag exactly as found (``alpine-v12.6.0``, ``v3.8.8-1-gke.2-amd64``,
etcd's ``3.5.10-0``), as :attr:`tracker.models.Component.raw_version` promises; turning it
into a comparable version is :mod:`tracker.versions`' job, and a catalogue entry's
``image_tag_pattern`` is applied once, by evaluate (:func:`tracker.evaluate.running_version`,
through :func:`tracker.versions.parse_tag`), never here. A digest-only image yields
``raw_version=""`` so the report shows it as unknown-version instead of dropping it.
"""

from __future__ import annotations

from tracker.identify.base import Absorbed, Claim, image_version
from tracker.identify.mirrors import RepositoryIndex
from tracker.models import Container, Pod, Role

__all__ = ["AddonDetector"]


class AddonDetector:
    """Claims any container whose image repository is in the catalogue (role ``addon``).

    It runs after the Istio and Kubernetes detectors, so it only sees what they left.
    """

    def __init__(self, index: RepositoryIndex) -> None:
        self._index = index

    def claim(self, pod: Pod, container: Container) -> Claim | Absorbed | None:
        """Return an ``addon`` claim for a catalogued image (directly or through a mirror,
        :mod:`tracker.identify.mirrors`), else None."""
        match = self._index.resolve(container.image)
        if match is None:
            return None
        return Claim(
            component=match.entry.id,
            role=Role.ADDON,
            raw_version=image_version(container.image),
            project=match.entry.project,
            mirrored=match.mirrored,
            note=f"mirrored: the image path ends in {match.upstream}" if match.mirrored else None,
        )
