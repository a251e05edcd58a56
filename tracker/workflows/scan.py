"""``tracker scan``: inventory one cluster -> identify what runs -> store the scan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.config import Settings
from tracker.models import CatalogueEntry, Identification, Inventory
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
    """

    from_dump: tuple[Path, ...] = ()
    kubeconfig: Path | None = None
    context: str | None = None

    @property
    def given(self) -> bool:
        """True when any option is set."""
        return bool(self.from_dump or self.kubeconfig or self.context)


def inventory_source(options: SourceOptions, cluster: str | None) -> InventorySource:
    """The inventory source for ``options``: the dump files, else the live cluster.

    ``cluster`` names the scan (None: the kubeconfig context or the dump file's stem).
    Nothing is read yet (that is ``collect()``).
    """
    if options.from_dump:
        from tracker.inventory.kubectl_dump import KubectlDump

        return KubectlDump(list(options.from_dump), cluster=cluster)
    from tracker.inventory.kubernetes_api import KubernetesAPI

    return KubernetesAPI(kubeconfig=options.kubeconfig, context=options.context, cluster=cluster)


@dataclass(frozen=True)
class ScanResult:
    """What one scan stored: its id, the inventory read and what identify made of it."""

    scan_id: int
    inventory: Inventory
    identification: Identification


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
