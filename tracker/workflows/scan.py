"""``tracker scan``: inventory one cluster -> identify what runs -> store the scan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.models import CatalogueEntry, Identification, Inventory, NamespaceScope
from tracker.workflows.common import load_components, open_store

if TYPE_CHECKING:
    from tracker.inventory.base import InventorySource
    from tracker.store import Store


@dataclass(frozen=True)
class SourceOptions:
    """Where the inventory comes from.

    Attributes:
        from_dump: kubectl ``get -o json|yaml`` files; empty: the live cluster.
        kubeconfig: kubeconfig file (None: ``$KUBECONFIG`` or ``~/.kube/config``).
        context: kubeconfig context (None: the current one).
        namespaces: only pods (and Helm releases) of these namespaces are inventoried
            (``-n/--namespace``, like kubectl) and the stored scan says it covered only
            them; empty: every namespace. Nodes and the control plane are always read.
        max_dump_size: size limit of each dump file in bytes (``--max-dump-size``); None:
            the reader's default.
    """

    from_dump: tuple[Path, ...] = ()
    kubeconfig: Path | None = None
    context: str | None = None
    namespaces: tuple[str, ...] = ()
    max_dump_size: int | None = None

    @property
    def given(self) -> bool:
        """True when any option is set."""
        return bool(self.from_dump or self.kubeconfig or self.context)


def source_options(
    from_dump: Sequence[Path] | None,
    kubeconfig: Path | None,
    context: str | None,
    namespaces: Sequence[str] | None = None,
    max_dump_size: str | None = None,
) -> SourceOptions:
    """The :class:`SourceOptions` of the command-line options of ``scan`` and ``run``
    (``max_dump_size`` as given: ``500M``, ``2GiB``; namespaces deduplicated, in order).

    Raises:
        ConfigError: ``max_dump_size`` is not a size (names ``--max-dump-size``).
    """
    size = None
    if max_dump_size is not None:
        from tracker.inputfile import parse_size

        size = parse_size(max_dump_size, "--max-dump-size")
    return SourceOptions(
        tuple(from_dump or ()),
        kubeconfig,
        context,
        namespaces=tuple(dict.fromkeys(namespaces or ())),
        max_dump_size=size,
    )


def inventory_source(options: SourceOptions, cluster: str | None) -> InventorySource:
    """The inventory source for ``options``: the dump files, else the live cluster; with
    ``options.namespaces``, wrapped in a :class:`NamespacedSource` (a dump holds what it
    holds: the wrapper keeps those namespaces; the live cluster is asked for those
    namespaces' pods only, and the wrapper records the scope either way).

    ``cluster`` names the scan (None: the kubeconfig context or the dump file's stem).
    Nothing is read yet (that is ``collect()``).
    """
    source = _source(options, cluster)
    return NamespacedSource(source, options.namespaces) if options.namespaces else source


def _source(options: SourceOptions, cluster: str | None) -> InventorySource:
    if options.from_dump:
        from tracker.inventory.kubectl_dump import KubectlDump

        if options.max_dump_size is not None:
            return KubectlDump(
                list(options.from_dump), cluster=cluster, max_size=options.max_dump_size
            )
        return KubectlDump(list(options.from_dump), cluster=cluster)
    from tracker.inventory.kubernetes_api import KubernetesAPI

    return KubernetesAPI(
        kubeconfig=options.kubeconfig,
        context=options.context,
        cluster=cluster,
        namespaces=options.namespaces,
    )


@dataclass(frozen=True)
class ScanResult:
    """What one scan stored: its id, the inventory read and what identify made of it."""

    scan_id: int
    inventory: Inventory
    identification: Identification


def only_namespaces(inventory: Inventory, namespaces: tuple[str, ...]) -> Inventory:
    """``inventory`` with only the pods and Helm releases of ``namespaces`` (empty: all),
    and ``inventory.namespaces`` narrowed to them (what the stored scan says it covered:
    history shows findings of the other namespaces as "not scanned", not "resolved").

    A warning names namespaces asked for that hold no pod (a typo reads like a clean scan).
    """
    if not namespaces:
        return inventory
    wanted = set(namespaces)
    scope = NamespaceScope.listed(wanted).intersect(inventory.namespaces)
    pods = tuple(p for p in inventory.pods if p.namespace in wanted)
    seen = {p.namespace for p in pods}
    missing = [ns for ns in dict.fromkeys(namespaces) if ns not in seen]
    warnings = inventory.warnings
    if missing:
        warnings = (
            *warnings,
            f"no pods in namespace{'' if len(missing) == 1 else 's'} {', '.join(missing)}",
        )
    return replace(
        inventory,
        pods=pods,
        helm_releases=tuple(h for h in inventory.helm_releases if h.namespace in wanted),
        warnings=warnings,
        namespaces=scope,
    )


@dataclass(frozen=True)
class NamespacedSource:
    """An inventory source whose :meth:`collect` keeps only ``namespaces``
    (:func:`only_namespaces`)."""

    source: InventorySource
    namespaces: tuple[str, ...]

    def collect(self) -> Inventory:
        """The wrapped source's inventory, filtered. Raises what the source raises."""
        return only_namespaces(self.source.collect(), self.namespaces)


def scan(
    source: InventorySource, store: Store, catalogue: Mapping[str, CatalogueEntry]
) -> ScanResult:
    """Inventory one cluster, identify what runs, and store the scan.

    Raises:
        InventoryError: the cluster or dump could not be read (nothing is stored then).
        StoreError: the scan could not be written (the store is left as it was).
    """
    from tracker.identify.registry import identify

    inventory = source.collect()
    identification = identify(inventory, catalogue)
    scan_id = store.save_scan(inventory, identification)
    return ScanResult(scan_id, inventory, identification)


def run_scan(settings: Settings, options: SourceOptions) -> ScanResult:
    """``tracker scan``: scan the cluster ``options`` point at into the configured store.

    The scan is stored under ``settings.cluster_name`` (None: the source's own name).

    Raises:
        IdentifyError, InventoryError, StoreError: as :func:`scan` and the catalogue load.
    """
    catalogue = load_components(settings)
    source = inventory_source(options, settings.cluster_name)
    with open_store(settings) as store:
        return scan(source, store, catalogue)
