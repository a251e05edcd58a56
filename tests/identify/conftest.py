"""Fixtures for the identify tests: real pods and nodes turned into models.

The tiny loader below stands in for ``tracker.inventory.parse`` (written in parallel);
it reads only what identification needs. The lead switches these fixtures to the real
parser once it lands.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.identify.catalogue import load_catalogue
from tracker.models import (
    CatalogueEntry,
    Container,
    ImageReference,
    Inventory,
    Node,
    Pod,
    Source,
    Workload,
)

SCANNED_AT = datetime(2024, 1, 1, tzinfo=UTC)


def load_objects(path: Path) -> list[dict[str, Any]]:
    """Every object in a JSON/YAML file, with ``List`` items unwrapped."""
    text = path.read_text("utf-8")
    docs = [json.loads(text)] if path.suffix == ".json" else list(yaml.safe_load_all(text))
    out: list[dict[str, Any]] = []
    for doc in docs:
        if not doc:
            continue
        out.extend(doc["items"] if doc.get("kind", "").endswith("List") else [doc])
    return out


def to_pod(obj: dict[str, Any]) -> Pod:
    meta, spec = obj["metadata"], obj["spec"]
    ns = meta.get("namespace", "default")
    owners = [o for o in meta.get("ownerReferences") or [] if o.get("controller", True)]
    labels = meta.get("labels") or {}
    if owners:
        kind, name = owners[0]["kind"], owners[0]["name"]
        pth = labels.get("pod-template-hash")
        if kind == "ReplicaSet" and pth and name.endswith(f"-{pth}"):
            kind, name = "Deployment", name[: -len(pth) - 1]
    else:
        kind, name = "Pod", meta["name"]
    containers = [
        Container(
            c["name"],
            ImageReference.parse(c["image"]),
            init=True,
            sidecar=c.get("restartPolicy") == "Always",
        )
        for c in spec.get("initContainers") or []
    ] + [Container(c["name"], ImageReference.parse(c["image"])) for c in spec["containers"]]
    return Pod(
        namespace=ns,
        name=meta["name"],
        workload=Workload(kind, name, ns),
        containers=tuple(containers),
        labels=labels,
        annotations=meta.get("annotations") or {},
        node_name=spec.get("nodeName"),
    )


def to_node(obj: dict[str, Any]) -> Node:
    labels = obj["metadata"].get("labels") or {}
    info = obj["status"]["nodeInfo"]
    return Node(
        name=obj["metadata"]["name"],
        kubelet_version=info["kubeletVersion"],
        kube_proxy_version=info.get("kubeProxyVersion"),
        labels=labels,
        control_plane=any(
            k in labels
            for k in ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
        ),
    )


def make_inventory(
    pods: tuple[Pod, ...] = (),
    nodes: tuple[Node, ...] = (),
    server_version: str | None = None,
) -> Inventory:
    return Inventory(
        cluster="test",
        source=Source.DUMP,
        scanned_at=SCANNED_AT,
        server_version=server_version,
        nodes=nodes,
        pods=pods,
    )


@pytest.fixture(scope="session")
def catalogue() -> dict[str, CatalogueEntry]:
    return load_catalogue()


@pytest.fixture(scope="session")
def real_inventory(realdata: Path) -> Callable[..., Inventory]:
    """Build an Inventory from real pod/node files (paths relative to realdata)."""

    def build(
        pods: tuple[str, ...] = (), nodes: tuple[str, ...] = (), server_version: str | None = None
    ) -> Inventory:
        return make_inventory(
            pods=tuple(to_pod(o) for p in pods for o in load_objects(realdata / p)),
            nodes=tuple(to_node(o) for n in nodes for o in load_objects(realdata / n)),
            server_version=server_version,
        )

    return build
