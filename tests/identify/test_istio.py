"""Istio: sidecars (real pods), istio-init, istiod revisions and gateways."""

from __future__ import annotations

import json

from tracker.identify.registry import identify
from tracker.models import Container, ImageReference, Pod, Role, Workload

from .conftest import make_inventory

HTTPBIN = "pods/docker-desktop-istio-1.12.1.httpbin.pod.json"
CLASSIC = "pods/istio-injector-golden.classic-sidecar.pod.yaml"
NATIVE = "pods/istio-injector-golden.native-sidecar.pod.yaml"


def test_real_sidecar_pod(real_inventory, catalogue):
    result = identify(real_inventory(pods=(HTTPBIN,)), catalogue)
    [proxy] = result.components
    assert (proxy.component, proxy.role, proxy.raw_version, proxy.revision) == (
        "istio",
        Role.DATA_PLANE,
        "1.12.1",
        "default",
    )
    assert proxy.project == "istio/istio" and proxy.instances == 1
    # grouped cluster-wide per version; where the proxies run is named in namespace/workload
    assert proxy.namespace == "default" and proxy.workload == "Deployment/httpbin"
    assert proxy.detail == "namespace: default"
    # istio-init is part of the injection: not a component, not unidentified
    [app] = result.unidentified
    assert app.image == "docker.io/kennethreitz/httpbin"
    assert app.reason == "no catalogue entry for image repository docker.io/kennethreitz/httpbin"


def test_golden_classic_and_native_sidecars(real_inventory, catalogue):
    for path in (CLASSIC, NATIVE):
        result = identify(real_inventory(pods=(path,)), catalogue)
        [proxy] = result.components
        assert (proxy.role, proxy.raw_version, proxy.revision) == (
            Role.DATA_PLANE,
            "latest",
            "default",
        ), path
        assert proxy.image == "registry.istio.io/testing/proxyv2:latest"
        assert [u.image for u in result.unidentified] == [
            "fake.docker.io/google-samples/hello-go-gke:1.0"
        ], path


def _pod(ns, name, containers, labels=None, annotations=None, kind="Deployment", wl=None):
    return Pod(
        ns,
        name,
        Workload(kind, wl or name, ns),
        tuple(containers),
        labels=labels or {},
        annotations=annotations or {},
    )


def _c(name, image, init=False, sidecar=False):
    return Container(name, ImageReference.parse(image), init=init, sidecar=sidecar)


def _status(rev):
    return {"sidecar.istio.io/status": json.dumps({"revision": rev, "containers": ["istio-proxy"]})}


def test_sidecars_grouped_by_version_and_revision_across_namespaces(catalogue):
    proxy = "docker.io/istio/proxyv2:{}"
    pods = [
        _pod(
            "a",
            "a1",
            [
                _c("istio-init", proxy.format("1.20.1"), init=True),
                _c("app", "x:1"),
                _c("istio-proxy", proxy.format("1.20.1")),
            ],
            annotations=_status("default"),
        ),
        _pod(
            "b",
            "b1",
            [_c("app", "x:1"), _c("istio-proxy", proxy.format("1.20.1"))],
            annotations=_status("default"),
        ),
        _pod(
            "c",
            "c1",
            [_c("app", "x:1"), _c("istio-proxy", proxy.format("1.21.0"))],
            annotations=_status("canary"),
        ),
        _pod(
            "c",
            "c2",
            [_c("app", "x:1"), _c("istio-proxy", proxy.format("1.21.0"), init=True, sidecar=True)],
            labels={"istio.io/rev": "canary"},
        ),
    ]
    result = identify(make_inventory(pods=tuple(pods)), catalogue)
    planes = sorted((c.raw_version, c.revision, c.instances, c.detail) for c in result.components)
    assert planes == [
        ("1.20.1", "default", 2, "namespaces: a, b"),
        ("1.21.0", "canary", 2, "namespace: c"),
    ]


def test_istiod_per_revision_and_gateways(catalogue):
    pods = [
        _pod(
            "istio-system",
            "istiod-1",
            [_c("discovery", "docker.io/istio/pilot:1.20.1")],
            wl="istiod",
        ),
        _pod(
            "istio-system",
            "istiod-2",
            [_c("discovery", "docker.io/istio/pilot:1.20.1")],
            wl="istiod",
        ),
        _pod(
            "istio-system",
            "istiod-canary-1",
            [_c("discovery", "gcr.io/istio-release/pilot:1.21.0")],
            labels={"istio.io/rev": "canary"},
            wl="istiod-canary",
        ),
        _pod(
            "istio-ingress",
            "gw-1",
            [_c("istio-proxy", "docker.io/istio/proxyv2:1.20.1")],
            labels={"istio": "ingressgateway"},
            wl="istio-ingressgateway",
        ),
        _pod(
            "apps",
            "k8s-gw-1",
            [_c("istio-proxy", "docker.io/istio/proxyv2:1.21.0")],
            labels={"gateway.networking.k8s.io/gateway-name": "web"},
            wl="web-istio",
        ),
        # no gateway label, but proxyv2 is the main (only) container: a custom gateway
        _pod(
            "edge",
            "custom-gw-1",
            [_c("istio-proxy", "docker.io/istio/proxyv2:1.20.1")],
            wl="edge-gateway",
        ),
    ]
    comps = identify(make_inventory(pods=tuple(pods)), catalogue).components
    istiod = sorted(
        (c.workload, c.revision, c.raw_version, c.instances)
        for c in comps
        if c.role is Role.CONTROL_PLANE
    )
    assert istiod == [
        ("Deployment/istiod", "default", "1.20.1", 2),
        ("Deployment/istiod-canary", "canary", "1.21.0", 1),
    ]
    gateways = sorted(
        (c.namespace, c.workload, c.raw_version) for c in comps if c.role is Role.GATEWAY
    )
    assert gateways == [
        ("apps", "Deployment/web-istio", "1.21.0"),
        ("edge", "Deployment/edge-gateway", "1.20.1"),
        ("istio-ingress", "Deployment/istio-ingressgateway", "1.20.1"),
    ]
    assert not [c for c in comps if c.role is Role.DATA_PLANE]


def test_istio_init_alone_is_absorbed_even_from_a_mirror(catalogue):
    pods = [
        _pod(
            "a",
            "a1",
            [_c("istio-init", "mirror.example/istio/proxyv2:1.20.1", init=True), _c("app", "x:1")],
        )
    ]
    result = identify(make_inventory(pods=tuple(pods)), catalogue)
    assert result.components == ()
    assert [u.image for u in result.unidentified] == ["x:1"]
