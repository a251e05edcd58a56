"""The catalogue's ``advisory_packages``: every real advisory's package is carried by an entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.errors import IdentifyError
from tracker.evaluate.advisories import package_key
from tracker.identify.catalogue import load_catalogue

# Packages in tests/data/realdata/advisories with no catalogue entry: a library, and the
# container runtime (on nodes, not a workload tracker identifies).
NOT_CATALOGUED = {
    "go:github.com/prometheus/exporter-toolkit",
    "go:github.com/containerd/containerd",
}


def test_every_real_advisory_package_is_named(realdata: Path) -> None:
    named = {p for e in load_catalogue().values() for p in e.advisory_packages}
    files = [*(realdata / "advisories").glob("*.json"), *(realdata / "advisories").glob("*/*.json")]
    packages = {
        package_key(a["package"]["ecosystem"], a["package"]["name"])
        for f in files
        for a in json.loads(f.read_text())["affected"]
    }
    assert len(packages) > 15
    assert packages - named == NOT_CATALOGUED


def test_kubernetes_and_istio_roles_share_the_entry() -> None:
    catalogue = load_catalogue()
    assert catalogue["kubernetes"].advisory_packages == ("go:k8s.io/kubernetes",)
    assert catalogue["kube-proxy"].advisory_packages == ("go:k8s.io/kubernetes",)
    assert catalogue["istio"].advisory_packages == ("go:istio.io/istio",)


def test_config_can_set_and_lower_cases() -> None:
    entry = load_catalogue(
        {
            "my-op": {
                "images": ["ghcr.io/acme/op"],
                "project": "acme/op",
                "advisory_packages": ["Go:Acme.dev/Op"],
            }
        }
    )["my-op"]
    assert entry.advisory_packages == ("go:acme.dev/op",)


@pytest.mark.parametrize("value", ["go:k8s.io/x", ["k8s.io/x"], [1], ["go:has space"]])
def test_bad_values_are_one_line(value: object) -> None:
    with pytest.raises(IdentifyError) as info:
        load_catalogue({"istio": {"advisory_packages": value}})
    assert "[components.istio]" in info.value.message and "advisory" in info.value.message
