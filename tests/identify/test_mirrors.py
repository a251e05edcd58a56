"""tracker.identify.mirrors: a repository path that ends in a known one is that component,
whatever registry serves it (issue 9 item 1). One test per mirror shape met on real clusters,
then the real GKE pod list re-pointed at a vendor mirror."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tracker.identify.mirrors import RepositoryIndex, normalize_mirror_prefix
from tracker.identify.registry import identify
from tracker.models import CatalogueEntry, Container, ImageReference, Pod

from .conftest import load_objects, make_inventory, to_pod

GKE_PODS = "pods/gke-v1.18.19-kubevious-samples.podlist.json"

SMALL = {
    "prometheus": CatalogueEntry(
        "prometheus", "Prometheus", "prometheus/prometheus",
        ("prom/prometheus", "quay.io/prometheus/prometheus"),
    ),
    "nginx": CatalogueEntry("nginx", "nginx", "nginx/nginx", ("nginx",)),
    "cert-manager": CatalogueEntry(
        "cert-manager", "cert-manager", "cert-manager/cert-manager",
        ("quay.io/jetstack/cert-manager-controller",),
    ),
    "etcd": CatalogueEntry("etcd", "etcd", "etcd-io/etcd", ("registry.k8s.io/etcd",)),
    "calico": CatalogueEntry("calico", "Calico", "projectcalico/calico", ("quay.io/calico/*",)),
}  # fmt: skip


def resolve(
    image: str, catalogue: dict[str, CatalogueEntry] = SMALL, mirrors: tuple[str, ...] = ()
):
    return RepositoryIndex(catalogue, mirrors).resolve(ImageReference.parse(image))


@pytest.mark.parametrize(
    ("image", "component", "upstream"),
    [
        # a vendor mirror keeping the upstream registry in its path
        ("eu.gcr.io/acme/external/quay.io/prometheus/prometheus:v2.45.0", "prometheus",
         "quay.io/prometheus/prometheus"),
        # a Harbor proxy-cache project of Docker Hub (official images keep library/)
        ("harbor.corp/dockerhub-proxy/library/nginx:1.25.3", "nginx", "docker.io/library/nginx"),
        # an ECR pull-through cache with the upstream prefix "quay"
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/quay/prometheus/prometheus:v2.45.0",
         "prometheus", "quay.io/prometheus/prometheus"),
        # an ECR pull-through cache of Docker Hub
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/docker-hub/prom/prometheus:v2.45.0",
         "prometheus", "docker.io/prom/prometheus"),
        # an Artifactory remote repository
        ("artifactory.corp/docker-remote/jetstack/cert-manager-controller:v1.12.3",
         "cert-manager", "quay.io/jetstack/cert-manager-controller"),
        # Google's Docker Hub mirror
        ("mirror.gcr.io/library/nginx:1.25.3", "nginx", "docker.io/library/nginx"),
        # a single-segment repository of another registry (registry.k8s.io/etcd)
        ("harbor.corp/k8s-proxy/etcd:3.5.10-0", "etcd", "registry.k8s.io/etcd"),
        # a wildcard catalogue pattern (quay.io/calico/*)
        ("harbor.corp/quay-proxy/calico/node:v3.26.1", "calico", "quay.io/calico/*"),
    ],
)  # fmt: skip
def test_each_mirror_shape_is_seen_through(image: str, component: str, upstream: str) -> None:
    match = resolve(image)
    assert match is not None, image
    assert (match.entry.id, match.mirrored, match.upstream) == (component, True, upstream)


def test_catalogued_repository_is_not_mirrored() -> None:
    match = resolve("quay.io/prometheus/prometheus:v2.45.0")
    assert match is not None and (match.entry.id, match.mirrored) == ("prometheus", False)


def test_configured_prefix_is_stripped() -> None:
    """harbor.corp/dockerhub/nginx has no library/ in its path: only the configured prefix
    makes it nginx."""
    assert resolve("harbor.corp/dockerhub/nginx:1.25.3") is None
    match = resolve(
        "harbor.corp/dockerhub/nginx:1.25.3", mirrors=("https://Harbor.corp/dockerhub/",)
    )
    assert match is not None
    assert (match.entry.id, match.mirrored, match.upstream) == (
        "nginx",
        True,
        "docker.io/library/nginx",
    )


def test_a_bare_last_segment_is_not_enough() -> None:
    assert resolve("harbor.corp/team/nginx:1.25.3") is None
    assert resolve("ghcr.io/acme/prometheus:v1.0.0") is None
    assert resolve("ghcr.io/acme/prometheus-prometheus:v1.0.0") is None


def test_ambiguous_suffix_resolves_to_the_longest_match_never_a_guess() -> None:
    catalogue = {
        "operator-a": CatalogueEntry("operator-a", "A", "acme/a", ("quay.io/acme/operator",)),
        "operator-b": CatalogueEntry("operator-b", "B", "other/b", ("ghcr.io/acme/operator",)),
    }
    index = RepositoryIndex(catalogue)
    tied = ImageReference.parse("harbor.corp/proxy/acme/operator:v1.2.3")
    assert index.resolve(tied) is None
    assert index.ambiguity(tied) == ("operator-a", "operator-b")
    longer = index.resolve(ImageReference.parse("harbor.corp/proxy/ghcr.io/acme/operator:v1"))
    assert longer is not None and longer.entry.id == "operator-b"
    # and identify() says why the tied image stays unidentified
    pod = Pod("ns", "p", to_pod(_pod("harbor.corp/proxy/acme/operator:v1.2.3")).workload,
              (Container("c", tied),))  # fmt: skip
    result = identify(make_inventory(pods=(pod,)), catalogue)
    [item] = result.unidentified
    assert "operator-a and operator-b" in item.reason and "ambiguous" in item.reason


@pytest.mark.parametrize("bad", ["", "dockerhub/library", "harbor corp/x"])
def test_malformed_mirror_prefix_is_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="mirror prefix"):
        normalize_mirror_prefix(bad)


def _pod(image: str) -> dict[str, Any]:
    return {
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"containers": [{"name": "c", "image": image}]},
    }


def _through_vendor_mirror(pod: Pod) -> Pod:
    """The same pod as a managed cluster runs it: every image from the vendor's mirror, the
    full upstream path (registry included: ``docker.io/library/mongo`` for ``mongo``) kept
    inside the mirror's path."""

    def mirrored(image: ImageReference) -> str:
        ref = f"eu.gcr.io/vendor-prod/external/{image.registry}/{image.repository}"
        ref += f":{image.tag}" if image.tag else ""
        return ref + (f"@{image.digest}" if image.digest else "")

    containers = tuple(
        dataclasses.replace(c, image=ImageReference.parse(mirrored(c.image)))
        if c.image.repository
        else c
        for c in pod.containers
    )
    return dataclasses.replace(pod, containers=containers)


def test_real_gke_pods_through_a_vendor_mirror_identify_the_same(realdata, catalogue) -> None:
    pods = tuple(to_pod(o) for o in load_objects(realdata / GKE_PODS))
    direct = identify(make_inventory(pods=pods), catalogue)
    mirrored = identify(
        make_inventory(pods=tuple(_through_vendor_mirror(p) for p in pods)), catalogue
    )

    def key(c):  # the image differs (it is the raw mirrored reference); the rest must not
        return (c.component, c.role, c.raw_version, c.namespace, c.workload, c.instances)

    assert sorted(map(key, mirrored.components)) == sorted(map(key, direct.components))
    assert len(direct.components) >= 20
    assert all(c.mirrored for c in mirrored.components)
    assert not any(c.mirrored for c in direct.components)
    assert all(
        (c.image or "").startswith("eu.gcr.io/vendor-prod/external/") for c in mirrored.components
    )
    assert len(mirrored.unidentified) == len(direct.unidentified)


def test_config_mirrors_reach_identify(tmp_path, catalogue) -> None:
    """`[registries] mirrors` in the config file -> Settings.registry_mirrors -> identify()."""
    from tracker.config import load_settings

    config = tmp_path / "tracker.toml"
    config.write_text('[registries]\nmirrors = ["harbor.corp/dockerhub"]\n')
    settings = load_settings(config, environ={})
    assert settings.registry_mirrors == ("harbor.corp/dockerhub",)
    pod = to_pod(_pod("harbor.corp/dockerhub/traefik:v2.10.5"))
    without = identify(make_inventory(pods=(pod,)), catalogue)
    assert [u.image for u in without.unidentified] == ["harbor.corp/dockerhub/traefik:v2.10.5"]
    result = identify(make_inventory(pods=(pod,)), catalogue, settings.registry_mirrors)
    [component] = result.components
    assert (component.component, component.raw_version, component.mirrored) == (
        "traefik", "v2.10.5", True,
    )  # fmt: skip
    assert component.image == "harbor.corp/dockerhub/traefik:v2.10.5"
    # the detail says what it was seen as (kept by every store and report today)
    assert component.detail == "mirrored: the image path ends in docker.io/library/traefik"
