"""Add-ons: containers identified by their image repository through the catalogue.

The rule (design.md §4 "Identification"): the image repository decides, never the workload
or container name. ``docker.io/library/x``, ``library/x`` and ``x`` are one repository.
The version is the image tag as found (``alpine-v12.6.0``, ``v3.8.8-1-gke.2-amd64``);
turning it into a comparable version is :mod:`tracker.versions`' job. When the catalogue
entry has an ``image_tag_pattern``, its ``version`` group is taken instead (a tag the
pattern does not match is kept whole). A digest-only image yields ``raw_version=""`` so the
report shows it as unknown-version instead of dropping it.
"""

from __future__ import annotations

import re

from tracker.identify.base import Absorbed, Claim, image_version
from tracker.identify.catalogue import ImageIndex
from tracker.models import CatalogueEntry, Container, Pod, Role

__all__ = ["AddonDetector", "version_from_image"]


class AddonDetector:
    """Claims any container whose image repository is in the catalogue (role ``addon``).

    It runs after the Istio and Kubernetes detectors, so it only sees what they left.
    """

    def __init__(self, index: ImageIndex) -> None:
        self._index = index

    def claim(self, pod: Pod, container: Container) -> Claim | Absorbed | None:
        """Return an ``addon`` claim for a catalogued image, else None."""
        entry = self._index.lookup(container.image)
        if entry is None:
            return None
        return Claim(
            component=entry.id,
            role=Role.ADDON,
            raw_version=version_from_image(entry, container),
            project=entry.project,
        )


def version_from_image(entry: CatalogueEntry, container: Container) -> str:
    """The raw version of ``container`` for ``entry``: the image tag, or the ``version``
    group of the entry's ``image_tag_pattern`` when it matches; ``""`` for a digest-only
    image and ``"latest"`` for an untagged one.
    """
    raw = image_version(container.image)
    if raw and entry.image_tag_pattern:
        m = re.match(entry.image_tag_pattern, raw)
        if m and m.group("version"):
            return m.group("version")
    return raw
