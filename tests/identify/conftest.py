"""Fixtures for the identify tests: real pods and nodes turned into models.

Objects go through the real parser (:mod:`tracker.inventory.parse`), so identify is
tested on exactly the shapes a scan produces (``StaticPod`` workloads, unparsed images).
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
from tracker.inventory.parse import parse_node, parse_pod
from tracker.models import CatalogueEntry, Inventory, Node, Pod, Source

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
    """The real parser's Pod (tracker.inventory.parse), so identify sees what a scan gives."""
    return parse_pod(obj)[0]


def to_node(obj: dict[str, Any]) -> Node:
    return parse_node(obj)[0]


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
    return load_catalogue(check_builtin=True)


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
