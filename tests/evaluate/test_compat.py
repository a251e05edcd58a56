"""Skew and compatibility rules against the recorded policies (tests/data/realdata/eol/*.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.evaluate.compat import (
    ISTIO_POLICY,
    KUBERNETES_SKEW_POLICY,
    istio_data_plane_skew,
    istio_kubernetes,
    node_skew,
    supported_kubernetes,
)
from tracker.models import Severity
from tracker.versions import ParsedVersion, parse_version


def v(raw: str) -> ParsedVersion:
    parsed = parse_version(raw)
    assert isinstance(parsed, ParsedVersion)
    return parsed


@pytest.mark.parametrize(
    ("api", "node", "severity"),
    [
        ("v1.28.5", "v1.28.5", None),
        ("v1.28.5", "v1.27.9", Severity.INFO),  # the demo case: allowed, but lagging
        ("v1.28.5", "v1.26.3", Severity.INFO),
        ("v1.28.5", "v1.25.16", Severity.WARNING),  # N-3 at 1.25+: the limit
        ("v1.28.5", "v1.24.17", Severity.CRITICAL),  # N-4
        ("v1.26.5", "v1.24.17", Severity.WARNING),  # kubelet < 1.25: only N-2
        ("v1.27.5", "v1.24.17", Severity.CRITICAL),
        ("v1.28.5", "v1.29.0", Severity.CRITICAL),  # never newer
        ("v1.28.5-eks-a1b2c3", "v1.29.1-eks-d4e5f6", Severity.CRITICAL),
        ("v1.30.2+k3s1", "v1.30.2+k3s2", None),
    ],
)
def test_kubelet_skew_policy(api: str, node: str, severity: Severity | None) -> None:
    judgment = node_skew(v(api), v(node), what="kubelet")
    assert (judgment.severity if judgment else None) == severity
    if judgment:
        assert judgment.kind == "skew"
        assert judgment.source == KUBERNETES_SKEW_POLICY
        assert judgment.message.startswith(f"kubelet {v(node).normalized}")


def test_istio_sidecars_against_their_revision() -> None:
    # The demo case: 1.28.7 sidecars under a 1.29.3 istiod: one minor, allowed, info.
    lag = istio_data_plane_skew(v("1.29.3"), v("1.28.7"), revision="default", what="sidecars")
    assert lag is not None and lag.severity is Severity.INFO
    assert "restart the workloads" in lag.message
    same = istio_data_plane_skew(v("1.29.3"), v("1.29.3"), revision="default", what="sidecars")
    assert same is None
    patch = istio_data_plane_skew(v("1.29.3"), v("1.29.1"), revision="default", what="sidecars")
    assert patch is not None and patch.severity is Severity.INFO
    two = istio_data_plane_skew(v("1.29.3"), v("1.27.1"), revision="1-29", what="sidecars")
    assert (
        two is not None and two.severity is Severity.CRITICAL and "2 minor releases" in two.message
    )
    newer = istio_data_plane_skew(v("1.28.0"), v("1.29.0"), revision="default", what="gateway")
    assert newer is not None and "newer than istiod" in newer.message
    gone = istio_data_plane_skew(None, v("1.22.1"), revision="1-22", what="sidecars")
    assert gone is not None and gone.severity is Severity.CRITICAL
    assert "'1-22', which no istiod serves" in gone.message and gone.source == ISTIO_POLICY


def test_istio_supported_kubernetes_from_the_recorded_product(realdata: Path) -> None:
    data = json.loads((realdata / "eol" / "istio.json").read_text())
    ranges = {
        r["name"]: supported_kubernetes(r["custom"]["supportedKubernetesVersions"])
        for r in data["result"]["releases"]
        if r.get("custom") and r["custom"].get("supportedKubernetesVersions")
    }
    assert ranges["1.30"] == ((1, 32), (1, 36))
    assert ranges["1.23"] == ((1, 27), (1, 30))
    span = ranges["1.26"]
    assert span is not None
    assert istio_kubernetes(v("1.26.4"), v("v1.31.2"), span) is None
    newer = istio_kubernetes(v("1.26.4"), v("v1.34.1-eks-1"), span)
    assert newer is not None and (newer.kind, newer.severity) == ("incompatible", Severity.CRITICAL)
    assert newer.message == (
        "Istio 1.26 supports Kubernetes 1.29-1.33; this cluster runs 1.34.1: upgrade Istio"
    )
    older = istio_kubernetes(v("1.26.4"), v("v1.28.9"), span)
    assert older is not None and older.severity is Severity.WARNING


@pytest.mark.parametrize("text", ["", "1.x", "1.36 - 1.32", "latest"])
def test_unreadable_supported_range(text: str) -> None:
    assert supported_kubernetes(text) is None
