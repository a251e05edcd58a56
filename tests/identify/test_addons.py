"""Add-on identification by image repository: normalization, tags, digests, config entries."""

from __future__ import annotations

from tracker.identify.catalogue import load_catalogue
from tracker.identify.registry import identify
from tracker.models import Container, ImageReference, Pod, Role, Workload

from .conftest import make_inventory

DIGEST = "sha256:" + "ab" * 32


def _inv(*images: str):
    pods = tuple(
        Pod(
            "infra",
            f"p{i}",
            Workload("Deployment", f"w{i}", "infra"),
            (Container("main", ImageReference.parse(image)),),
        )
        for i, image in enumerate(images)
    )
    return make_inventory(pods=pods)


def _only(result):
    [component] = result.components
    return component


def test_library_image_matches_in_every_spelling(catalogue):
    for raw in (
        "traefik:v2.10.7",
        "docker.io/library/traefik:v2.10.7",
        "index.docker.io/library/traefik:v2.10.7",
        "library/traefik:v2.10.7",
    ):
        c = _only(identify(_inv(raw), catalogue))
        assert (c.component, c.raw_version, c.role, c.image) == (
            "traefik",
            "v2.10.7",
            Role.ADDON,
            raw,
        )


def test_digest_only_image_is_kept_with_empty_version(catalogue):
    c = _only(identify(_inv(f"quay.io/jetstack/cert-manager-controller@{DIGEST}"), catalogue))
    assert (c.component, c.raw_version) == ("cert-manager", "")


def test_tag_and_digest_keep_the_tag_and_untagged_is_latest(catalogue):
    c = _only(identify(_inv(f"prom/prometheus:v2.48.0@{DIGEST}"), catalogue))
    assert c.raw_version == "v2.48.0"
    c = _only(identify(_inv("prom/prometheus"), catalogue))
    assert c.raw_version == "latest"


def test_variant_tags_are_passed_through_raw(catalogue):
    c = _only(identify(_inv("oliver006/redis_exporter:v0.34.1-alpine"), catalogue))
    assert c.raw_version == "v0.34.1-alpine"


def test_raw_version_is_the_image_tag_even_with_an_image_tag_pattern(catalogue):
    """identify never applies image_tag_pattern (evaluate does, once): raw_version is the tag."""
    assert catalogue["etcd"].image_tag_pattern and catalogue["linkerd"].image_tag_pattern
    etcd = _only(identify(_inv("registry.k8s.io/etcd:3.5.10-0"), catalogue))
    assert (etcd.component, etcd.raw_version) == ("etcd", "3.5.10-0")
    assert _only(identify(_inv("quay.io/coreos/etcd:v3.3.10"), catalogue)).raw_version == "v3.3.10"
    linkerd = _only(identify(_inv("cr.l5d.io/linkerd/controller:stable-2.14.10"), catalogue))
    assert (linkerd.component, linkerd.raw_version) == ("linkerd", "stable-2.14.10")
    edge = _only(identify(_inv("cr.l5d.io/linkerd/controller:edge-24.1.1"), catalogue))
    assert edge.raw_version == "edge-24.1.1"


def test_config_entry_identifies_an_in_house_image():
    catalogue = load_catalogue(
        {
            "my-operator": {
                "images": ["ghcr.io/acme/*-operator"],
                "project": "acme/operators",
                "name": "Acme operators",
            },
        }
    )
    c = _only(identify(_inv("ghcr.io/acme/db-operator:v1.4.0"), catalogue))
    assert (c.component, c.project, c.raw_version) == ("my-operator", "acme/operators", "v1.4.0")
    result = identify(_inv("ghcr.io/acme/db-operator:v1.4.0"), load_catalogue())
    assert result.components == () and len(result.unidentified) == 1
