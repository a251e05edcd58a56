"""The inventory stage's boundary: where an :class:`~tracker.models.Inventory` comes from.

Two sources implement :class:`InventorySource`:

* :class:`tracker.inventory.kubernetes_api.KubernetesAPI` reads a live cluster (read-only
  ``GET /version``, nodes and pods, paged with ``limit``/``continue``).
* :class:`tracker.inventory.kubectl_dump.KubectlDump` reads ``kubectl get ... -o json|yaml``
  files offline.

Both turn plain JSON objects into domain objects through the one shared parser,
:mod:`tracker.inventory.parse`, so a pod reads the same whichever way it arrived.

Errors: every failure is an :class:`~tracker.errors.InventoryError` subclass
(:class:`~tracker.errors.DumpError` or :class:`~tracker.errors.ClusterAPIError`) with a
one-line message and a hint. What could be read only partly (a forbidden namespace, a
container with an unparseable image) is a line in ``Inventory.warnings``, not an error.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tracker.models import Inventory

__all__ = ["InventorySource"]


@runtime_checkable
class InventorySource(Protocol):
    """Something that can read one cluster's nodes, pods and server version.

    Implementations are configured in their constructor and do all their I/O in
    :meth:`collect`, so constructing one never touches the network or the disk.
    """

    def collect(self) -> Inventory:
        """Read the cluster once and return what was found.

        Returns:
            An :class:`~tracker.models.Inventory` with ``scanned_at`` in UTC. Pods that have
            finished (phase ``Succeeded``/``Failed``) are left out and counted in
            ``warnings`` (see :mod:`tracker.inventory.parse`).

        Raises:
            tracker.errors.InventoryError: the cluster or dump could not be read at all
                (a ``DumpError`` or ``ClusterAPIError`` with a one-line message and a hint).
        """
        ...
