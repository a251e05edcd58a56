"""Helm releases as report rows, and their link with the images they run.

Each :class:`~tracker.models.HelmRelease` of an inventory becomes one
:class:`~tracker.models.Component` of role ``helm-release``:

* ``component``: the catalogue entry whose ``charts`` names the release's chart (the
  ``ingress-nginx`` chart -> ``ingress-nginx``); a chart no entry names keeps its own name
  and no project, so its row says ``no-upstream-data`` rather than guessing;
* ``raw_version``: the **chart** version, compared by evaluate with the chart's own release
  stream (the entry's ``chart_tag_pattern``, e.g. ``^helm-chart-(?P<version>.*)$``; without
  one the chart shares the component's tags, as cert-manager's does): see :func:`chart_entry`;
* ``namespace``: the release's namespace; ``workload``: ``HelmRelease/<release>``;
* ``detail``: ``chart <chart> <chart version>, app version <app version>; Helm revision N
  (<status>)`` then which of its images run (:func:`helm_columns` reads the chart columns
  back for the formatters).

Linking, not double-counting: a release's rendered manifest names its images
(``HelmRelease.images``). The image rows those images became (identified by their own
repository, at their own version) stay image rows, and their ``detail`` names the release
(``Helm release ingress-nginx/ingress-nginx``); the release row counts how many of its images
run. The release row compares the chart, the image rows the running software.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from tracker.models import CatalogueEntry, Component, HelmRelease, ImageReference, Inventory, Role

__all__ = [
    "HELM_WORKLOAD_KIND",
    "HelmColumns",
    "HelmDetector",
    "chart_entry",
    "helm_columns",
    "link_helm_images",
]

HELM_WORKLOAD_KIND = "HelmRelease"
_DETAIL_RE = re.compile(r"^chart (?P<chart>\S+) (?P<version>\S+), app version (?P<app>\S+);")
_UNKNOWN_APP = "-"


@dataclass(frozen=True)
class HelmColumns:
    """The report columns of a Helm release row: release name, chart, chart version and
    app version (None when the chart gives none)."""

    release: str
    chart: str
    chart_version: str
    app_version: str | None


class HelmDetector:
    """Reports each Helm release of an inventory as a ``helm-release`` component.

    Args:
        catalogue: the component catalogue; ``charts`` of its entries map chart names.
    """

    def __init__(self, catalogue: Mapping[str, CatalogueEntry]) -> None:
        self._by_chart = {chart: e for e in catalogue.values() for chart in e.charts}

    def components(self, inventory: Inventory) -> tuple[Component, ...]:
        """One component per release, in the inventory's order (namespace, name)."""
        return tuple(self._component(r) for r in inventory.helm_releases)

    def _component(self, release: HelmRelease) -> Component:
        entry = self._by_chart.get(release.chart)
        app = release.app_version or _UNKNOWN_APP
        detail = (
            f"chart {release.chart} {release.chart_version}, app version {app}; "
            f"Helm revision {release.revision} ({release.status})"
        )
        return Component(
            component=entry.id if entry is not None else release.chart,
            role=Role.HELM,
            raw_version=release.chart_version,
            project=entry.project if entry is not None else None,
            namespace=release.namespace,
            workload=f"{HELM_WORKLOAD_KIND}/{release.name}",
            detail=detail,
        )


def chart_entry(entry: CatalogueEntry | None, component: Component) -> CatalogueEntry | None:
    """The catalogue entry evaluate compares a ``helm-release`` row with: ``entry`` with its
    ``chart_tag_pattern`` as the tag rule (the chart's own stream) and no image tag rule;
    None for a chart no entry names (its row has no project: ``no-upstream-data``). Other
    rows get ``entry`` unchanged.

    >>> from tracker.identify.catalogue import load_catalogue
    >>> nginx = load_catalogue()["ingress-nginx"]
    >>> row = Component("ingress-nginx", Role.HELM, "4.11.3", nginx.project)
    >>> chart_entry(nginx, row).tag_pattern
    '^helm-chart-(?P<version>\\\\d.*)$'
    """
    if component.role is not Role.HELM or entry is None:
        return entry
    if component.project is None:
        return None
    return replace(
        entry, tag_pattern=entry.chart_tag_pattern or entry.tag_pattern, image_tag_pattern=None
    )


def helm_columns(component: Component) -> HelmColumns | None:
    """Read a ``helm-release`` row's columns back (None for other rows or an unexpected
    ``detail``).

    >>> row = HelmDetector({}).components(Inventory("c", "dump", None, None, (), (),
    ...     helm_releases=(HelmRelease("web", "apps", 3, "deployed", "nginx", "15.1.0",
    ...     "1.25.3"),)))[0]  # type: ignore[arg-type]
    >>> helm_columns(row)
    HelmColumns(release='web', chart='nginx', chart_version='15.1.0', app_version='1.25.3')
    """
    if component.role is not Role.HELM or not component.detail or not component.workload:
        return None
    match = _DETAIL_RE.match(component.detail)
    if match is None:
        return None
    app = match["app"]
    return HelmColumns(
        release=component.workload.removeprefix(f"{HELM_WORKLOAD_KIND}/"),
        chart=match["chart"],
        chart_version=match["version"],
        app_version=None if app == _UNKNOWN_APP else app,
    )


_Key = tuple[str, str | None, str | None]


def _image_key(raw: str) -> _Key | None:
    try:
        ref = ImageReference.parse(raw)
    except ValueError:
        return None
    return ref.name, ref.tag, ref.digest


def link_helm_images(
    components: Sequence[Component], releases: Iterable[HelmRelease]
) -> tuple[Component, ...]:
    """Link Helm releases with the image rows they run (see the module docstring).

    An image row whose image (normalized: ``nginx`` = ``docker.io/library/nginx``) a release's
    manifest names, in the release's namespace, gets ``Helm release <ns>/<name>`` in its
    ``detail``; the release's row gets ``runs N of its M images``. Returns the components in
    the same order; nothing is added or removed.
    """
    owners: dict[tuple[str, _Key], list[HelmRelease]] = {}
    totals: dict[tuple[str, str], int] = {}
    for release in releases:
        keys = {k for k in (_image_key(raw) for raw in release.images) if k is not None}
        totals[(release.namespace, release.name)] = len(keys)
        for key in keys:
            owners.setdefault((release.namespace, key), []).append(release)
    if not owners:
        return tuple(components)
    running: dict[tuple[str, str], set[_Key]] = {}
    linked: list[Component] = []
    for c in components:
        image = _image_key(c.image) if c.image and c.role is not Role.HELM else None
        found = owners.get((c.namespace or "", image)) if image is not None else None
        if image is None or not found:
            linked.append(c)
            continue
        for r in found:
            running.setdefault((r.namespace, r.name), set()).add(image)
        note = "Helm release " + ", ".join(f"{r.namespace}/{r.name}" for r in found)
        linked.append(replace(c, detail=f"{c.detail}; {note}" if c.detail else note))
    out: list[Component] = []
    for c in linked:
        if c.role is Role.HELM and c.workload and c.namespace is not None:
            rkey = (c.namespace, c.workload.removeprefix(f"{HELM_WORKLOAD_KIND}/"))
            total = totals.get(rkey, 0)
            if total:
                seen = len(running.get(rkey, ()))
                c = replace(c, detail=f"{c.detail}; runs {seen} of its {total} images")
        out.append(c)
    return tuple(out)
