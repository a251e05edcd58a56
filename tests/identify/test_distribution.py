"""Distribution detection on the real node lists and /version answers of tests/data/realdata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.identify.distribution import DISTRIBUTIONS, detect_distribution
from tracker.models import Node


def nodes_of(path: Path) -> list[Node]:
    text = path.read_text()
    data: Any = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    items = data.get("items", [data])
    return [
        Node(
            name=item["metadata"]["name"],
            kubelet_version=item["status"]["nodeInfo"]["kubeletVersion"],
            labels=item["metadata"].get("labels", {}),
            provider_id=item["spec"].get("providerID"),
        )
        for item in items
    ]


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("gke-v1.18.19-gke.1701.nodelist.json", "gke"),
        ("eks-v1.16.13-eks-ec92d4.nodelist.json", "eks"),
        ("doks-v1.18.10.nodelist.json", "doks"),
        ("kind-v1.24.0.node.yaml", "kind"),
    ],
)
def test_real_node_lists(realdata: Path, file: str, expected: str) -> None:
    assert detect_distribution(None, nodes_of(realdata / "nodes" / file)) == expected
    assert expected in DISTRIBUTIONS


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        ("k3s-rancher-desktop-v1.29.6+k3s1.version.json", "k3s"),
        ("gardener-gcp-kyma-v1.21.10.version.json", None),  # a plain upstream gitVersion
    ],
)
def test_real_version_answers_alone(realdata: Path, file: str, expected: str | None) -> None:
    version = json.loads((realdata / "version" / file).read_text())["gitVersion"]
    assert detect_distribution(version, []) == expected


def test_labels_on_nodes_without_vendor_versions() -> None:
    gardener = Node(
        "shoot--kyma--worker-1", "v1.21.10", labels={"worker.gardener.cloud/pool": "cpu"}
    )
    assert detect_distribution("v1.21.10", [gardener]) == "gardener"
    ocp = Node("master-0", "v1.29.8+f10c92d", labels={"node.openshift.io/os_id": "rhcos"})
    assert detect_distribution("v1.29.8+f10c92d", [ocp]) == "openshift"
    aws_only = Node("ip-10-0-0-1", "v1.28.3", provider_id="aws:///eu-west-1a/i-0abc")
    assert detect_distribution("v1.28.3", [aws_only]) is None
