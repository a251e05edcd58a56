"""The built-in catalogue, config overrides and their validation, and tag rules on real tags."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from tracker.errors import IdentifyError
from tracker.identify.catalogue import ImageIndex, load_catalogue, normalize_image_pattern
from tracker.models import CatalogueEntry, ImageReference
from tracker.versions import ParsedVersion, parse_version

WELL_KNOWN = {
    "kubernetes": "kubernetes/kubernetes",
    "istio": "istio/istio",
    "prometheus": "prometheus/prometheus",
    "alertmanager": "prometheus/alertmanager",
    "grafana": "grafana/grafana",
    "kiali": "kiali/kiali",
    "jaeger": "jaegertracing/jaeger",
    "zipkin": "openzipkin/zipkin",
    "cert-manager": "cert-manager/cert-manager",
    "ingress-nginx": "kubernetes/ingress-nginx",
    "coredns": "coredns/coredns",
    "kube-dns": "kubernetes/dns",
    "metrics-server": "kubernetes-sigs/metrics-server",
    "kube-state-metrics": "kubernetes/kube-state-metrics",
    "node-exporter": "prometheus/node_exporter",
    "external-dns": "kubernetes-sigs/external-dns",
    "cluster-autoscaler": "kubernetes/autoscaler",
    "argo-cd": "argoproj/argo-cd",
    "flux-source-controller": "fluxcd/source-controller",
    "fluent-bit": "fluent/fluent-bit",
    "loki": "grafana/loki",
    "promtail": "grafana/loki",
    "tempo": "grafana/tempo",
    "opentelemetry-collector": "open-telemetry/opentelemetry-collector-releases",
    "prometheus-operator": "prometheus-operator/prometheus-operator",
    "kyverno": "kyverno/kyverno",
    "velero": "vmware-tanzu/velero",
    "calico": "projectcalico/calico",
    "cilium": "cilium/cilium",
    "metallb": "metallb/metallb",
    "traefik": "traefik/traefik",
    "keda": "kedacore/keda",
    "sealed-secrets": "bitnami-labs/sealed-secrets",
    "vault": "hashicorp/vault",
    "gatekeeper": "open-policy-agent/gatekeeper",
    "thanos": "thanos-io/thanos",
}


def _tags(realdata: Path, name: str) -> list[str]:
    data = json.loads((realdata / "releases" / f"{name}.json").read_text("utf-8"))
    return [r["tag_name"] for r in data]


def _selected(entry: CatalogueEntry, tags: list[str]) -> dict[str, str]:
    pattern = re.compile(entry.tag_pattern)
    out = {}
    for tag in tags:
        m = pattern.match(tag)
        if m:
            out[tag] = m.group("version")
    return out


def _highest_stable(versions: list[str]) -> str:
    parsed = [p for p in map(parse_version, versions) if isinstance(p, ParsedVersion)]
    return max((p for p in parsed if not p.is_prerelease), key=lambda p: p.version).raw


# --- the shipped data ---------------------------------------------------------------------


def test_builtin_catalogue_has_the_well_known_components(catalogue: dict[str, CatalogueEntry]):
    assert len(catalogue) >= 35
    for cid, project in WELL_KNOWN.items():
        assert cid in catalogue, cid
        assert catalogue[cid].project == project, cid


def test_the_shipped_catalogue_passes_every_check_it_skips_at_run_time():
    """load_catalogue() skips compiling the shipped regexes, parsing the shipped image
    patterns and the second-owner check; this is where they run, and the entries are the same."""
    checked = load_catalogue(check_builtin=True)
    assert checked == load_catalogue()
    assert len(checked) >= 150


def test_a_broken_shipped_entry_is_caught_by_the_checked_load(monkeypatch: pytest.MonkeyPatch):
    """The skipped checks still catch a bad shipped entry when they run (so the test above
    can fail): a regex without the version group, and an image pattern with a tag."""
    import tracker.identify.catalogue as module

    real = module.tomllib.loads

    def broken(text: str) -> dict[str, object]:
        data = real(text)
        data["components"]["istio"]["tag_pattern"] = "^(?P<v>[0-9.]+)$"
        return data

    monkeypatch.setattr(module.tomllib, "loads", broken)
    load_catalogue()  # not compiled at run time
    with pytest.raises(IdentifyError, match="no named group 'version'"):
        load_catalogue(check_builtin=True)


def test_every_builtin_entry_is_well_formed(catalogue: dict[str, CatalogueEntry]):
    for cid, entry in catalogue.items():
        assert entry.id == cid
        assert entry.images, cid
        shape = r"[\w.-]+(/[\w.-]+)+" if entry.source == "gitlab" else r"[\w.-]+/[\w.-]+"
        assert entry.project and re.fullmatch(shape, entry.project), cid
        for pattern in (entry.tag_pattern, entry.image_tag_pattern):
            if pattern is not None:
                assert "version" in re.compile(pattern).groupindex, cid
        for image in entry.images:
            normalize_image_pattern(image)  # raises on a malformed pattern


def test_registry_variants_of_one_component_are_all_listed(catalogue):
    index = ImageIndex(catalogue)
    cases = {
        "k8s.gcr.io/coredns:1.8.0": "coredns",
        "registry.k8s.io/coredns/coredns:v1.11.1": "coredns",
        "quay.io/prometheus/prometheus:v2.48.0": "prometheus",
        "docker.io/prom/prometheus:v2.48.0": "prometheus",
        "registry.k8s.io/ingress-nginx/controller:v1.9.4": "ingress-nginx",
        "quay.io/kubernetes-ingress-controller/nginx-ingress-controller:0.21.0": "ingress-nginx",
        "gke.gcr.io/k8s-dns-kube-dns-amd64:1.15.16-gke.0": "kube-dns",
        "registry.k8s.io/dns/k8s-dns-node-cache:1.22.28": "node-local-dns",
        "registry.k8s.io/kube-apiserver:v1.29.3": "kubernetes",
        "k8s.gcr.io/kube-proxy-amd64:v1.18.0": "kube-proxy",
        "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/kube-proxy:v1.16.13-eksbuild.1": (
            "kube-proxy"
        ),
        "docker.io/istio/proxyv2:1.12.1": "istio",
        "istio/pilot:1.20.0": "istio",
        "quay.io/cilium/operator-generic:v1.14.5": "cilium",
        "calico/node:v3.27.0": "calico",
        "quay.io/jetstack/cert-manager-startupapicheck:v1.13.3": "cert-manager",
        "otel/opentelemetry-collector-contrib:0.91.0": "opentelemetry-collector",
        "ghcr.io/fluxcd/helm-controller:v0.37.0": "flux-helm-controller",
        "traefik:v2.10.7": "traefik",
        "docker.io/library/traefik:2.10": "traefik",
    }
    for raw, cid in cases.items():
        entry = index.lookup(ImageReference.parse(raw))
        assert entry is not None and entry.id == cid, raw


# --- tag rules on real release lists --------------------------------------------------------


def test_prometheus_tag_rule_excludes_module_twins_retracts_and_variants(realdata, catalogue):
    tags = _tags(realdata, "prometheus__prometheus")
    selected = _selected(catalogue["prometheus"], tags)
    for tag in ("v3.0.0", "v2.11.0", "v2.36.0-rc0", "0.13.0", "0.13.0rc2", "v1.8.2"):
        assert tag in selected, tag
    for tag in (
        "v0.300.0",
        "v0.314.0",
        "v0.55.1",
        "v1.99.0-retract",
        "v2.35.0-retract",
        "v2.43.0+stringlabels",
        "tags/v2.54.0+dedupelabels",
        "dev",
        "all-tests-pass",
    ):
        assert tag in tags and tag not in selected, tag
    assert not [t for t in selected if t.startswith("v0.")]
    # with the twins in, the newest-by-version would be a v0.3xx tag: it must be a v3.x
    assert _highest_stable(list(selected.values())).startswith("3.")


def test_cert_manager_tag_rule_excludes_cli_module_tags(realdata, catalogue):
    tags = _tags(realdata, "cert-manager__cert-manager")
    selected = _selected(catalogue["cert-manager"], tags)
    assert "v0.10.1" in selected and selected["v1.0.0"] == "1.0.0"
    assert "v1.21.0-beta.0" in selected
    assert not [t for t in selected if t.startswith("cmd/")]
    assert "cmd/ctl/v1.12.0" in tags
    assert _highest_stable(list(selected.values())).startswith("1.")


def test_istio_tag_rule_takes_plain_versions_only(realdata, catalogue):
    tags = _tags(realdata, "istio__istio")
    selected = _selected(catalogue["istio"], tags)
    assert selected["1.12.1"] == "1.12.1" and "1.31.0-rc.0" in selected
    for tag in ("1.15-beta.0", "1.1.0.snapshot.0", "1.0.0-snapshot.2"):
        assert tag in tags and tag not in selected, tag
    assert len(selected) == len(tags) - 11


def test_kubernetes_tag_rule_takes_the_real_api_response(realdata, catalogue):
    tags = _tags(realdata, "kubernetes__kubernetes")
    selected = _selected(catalogue["kubernetes"], tags)
    assert set(selected) == set(tags)
    assert selected["v1.30.0-beta.0"] == "1.30.0-beta.0"
    assert _highest_stable(list(selected.values())) == "1.29.3"


def test_grafana_tag_rule_keeps_security_builds(realdata, catalogue):
    tags = _tags(realdata, "grafana__grafana")
    selected = _selected(catalogue["grafana"], tags)
    assert set(selected) == set(tags)
    assert selected["v12.4.3+security-02"] == "12.4.3+security-02"
    for bad in ("grafana-v1.0.0", "v12.4.3-ubuntu", "helm-grafana-7.0.0"):
        assert bad not in _selected(catalogue["grafana"], [bad])


def test_mixed_product_repositories(catalogue):
    nginx = _selected(
        catalogue["ingress-nginx"],
        ["controller-v1.9.4", "helm-chart-4.8.3", "nginx-0.21.0", "controller-0.32.0"],
    )
    assert nginx == {
        "controller-v1.9.4": "1.9.4",
        "nginx-0.21.0": "0.21.0",
        "controller-0.32.0": "0.32.0",
    }
    ca = _selected(
        catalogue["cluster-autoscaler"],
        [
            "cluster-autoscaler-1.29.0",
            "cluster-autoscaler-chart-9.35.0",
            "vertical-pod-autoscaler-1.0.0",
            "v1.29.0",
        ],
    )
    assert ca == {"cluster-autoscaler-1.29.0": "1.29.0"}


# --- config overrides -----------------------------------------------------------------------


def test_config_adds_an_entry_with_defaults():
    cat = load_catalogue(
        {"my-operator": {"images": ["ghcr.io/acme/my-operator"], "project": "acme/my-operator"}}
    )
    entry = cat["my-operator"]
    assert entry.name == "my-operator" and entry.project == "acme/my-operator"
    assert entry.images == ("ghcr.io/acme/my-operator",)
    assert re.match(entry.tag_pattern, "v1.2.3")
    assert "istio" in cat  # built-ins kept


def test_config_overrides_a_builtin_by_merging_fields():
    builtin = load_catalogue()["istio"]
    entry = load_catalogue({"istio": {"images": ["registry.example.com/mirror/istio/*"]}})["istio"]
    assert entry.images == ("registry.example.com/mirror/istio/*",)
    assert entry.project == builtin.project and entry.tag_pattern == builtin.tag_pattern
    index = ImageIndex({"istio": entry})
    assert index.matches("istio", ImageReference.parse("registry.example.com/mirror/istio/pilot:1"))


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"images": ["a/b"], "project": "a/b", "colour": "red"}, ["x", "unknown key", "colour"]),
        ({"images": "a/b", "project": "a/b"}, ["x", "images", "list"]),
        ({"images": [1], "project": "a/b"}, ["x", "images", "int"]),
        ({"images": ["a/b:1.0"], "project": "a/b"}, ["x", "images", "without tag"]),
        ({"images": ["a/b"], "project": "a/b", "tag_pattern": "("}, ["x", "tag_pattern", "regex"]),
        (
            {"images": ["a/b"], "project": "a/b", "tag_pattern": "^v(.*)$"},
            ["x", "tag_pattern", "version"],
        ),
        (
            {"images": ["a/b"], "project": "a/b", "image_tag_pattern": "^v"},
            ["x", "image_tag_pattern", "version"],
        ),
        ({"images": ["a/b"], "project": "https://github.com/a/b"}, ["x", "project", "owner/repo"]),
        ({"images": ["a/b"], "project": 3}, ["x", "project", "string"]),
        ({"images": ["a/b"]}, ["x", "project", "required"]),
        ({"project": "a/b"}, ["x", "images", "required"]),
    ],
)
def test_invalid_config_entry_names_entry_and_field(fields, words):
    with pytest.raises(IdentifyError) as err:
        load_catalogue({"x": fields})
    for word in words:
        assert word in err.value.message
    assert err.value.hint


def test_invalid_override_of_builtin_is_reported():
    with pytest.raises(IdentifyError, match=r"components.istio.*tag_pattern"):
        load_catalogue({"istio": {"tag_pattern": "^(?P<v>.*)$"}})


def test_an_image_claimed_by_two_entries_is_an_error():
    with pytest.raises(IdentifyError, match="prom/prometheus"):
        load_catalogue({"mine": {"images": ["prom/prometheus"], "project": "me/prom"}})


def test_bad_ids_and_non_tables_are_errors():
    with pytest.raises(IdentifyError, match="lowercase"):
        load_catalogue({"My_Operator!": {"images": ["a/b"], "project": "a/b"}})
    with pytest.raises(IdentifyError, match="table"):
        load_catalogue({"x": "a/b"})  # type: ignore[dict-item]


# --- image matching -------------------------------------------------------------------------


def test_docker_hub_library_forms_are_one_repository():
    entry = CatalogueEntry("nginx", "nginx", "nginx/nginx", ("docker.io/library/nginx",))
    index = ImageIndex({"nginx": entry})
    for raw in (
        "nginx",
        "nginx:1.25",
        "library/nginx:1",
        "docker.io/nginx",
        "index.docker.io/library/nginx",
    ):
        assert index.lookup(ImageReference.parse(raw)) is entry, raw
    assert index.lookup(ImageReference.parse("quay.io/nginx/nginx")) is None


def test_exact_pattern_wins_over_wildcard_and_longer_wildcard_wins():
    broad = CatalogueEntry("broad", "b", "a/b", ("quay.io/acme/*",))
    narrow = CatalogueEntry("narrow", "n", "a/n", ("quay.io/acme/op*",))
    exact = CatalogueEntry("exact", "e", "a/e", ("quay.io/acme/operator-x",))
    index = ImageIndex({"broad": broad, "narrow": narrow, "exact": exact})
    look = lambda raw: index.lookup(ImageReference.parse(raw))  # noqa: E731
    assert look("quay.io/acme/operator-x:1") is exact
    assert look("quay.io/acme/operator-y:1") is narrow
    assert look("quay.io/acme/other:1") is broad


def test_no_tag_rule_takes_non_release_tags(catalogue):
    # each rule against its project's real tags: tests/identify/test_component_tags.py
    junk = ["helm-chart-1.2.3", "latest", "cmd/ctl/v1.2.3", "main", "v1.2.3-retract", "nightly"]
    for cid, entry in catalogue.items():
        assert not _selected(entry, junk), cid


# --- registry moves, tag streams, retirement (issue 9, catalogue-check.md) -------------------


@pytest.mark.parametrize(
    ("raw", "cid"),
    [
        ("reg.kyverno.io/kyverno/kyverno:v1.14.0", "kyverno"),
        ("reg.kyverno.io/kyverno/background-controller:v1.19.0", "kyverno"),
        ("public.ecr.aws/csi-components/csi-provisioner:v6.3.0-eksbuild.4", "csi-provisioner"),
        (
            "public.ecr.aws/eks-distro/kubernetes-csi/external-attacher:v4.4.0-eks-1-28-8",
            "csi-attacher",
        ),
        ("mcr.microsoft.com/oss/v2/kubernetes/coredns:v1.13.1-20", "coredns"),
        ("mcr.microsoft.com/oss/v2/kubernetes/kube-proxy:v1.30.2", "kube-proxy"),
        ("mcr.microsoft.com/containernetworking/cilium/cilium:v1.19.3-260520", "cilium"),
        ("docker.io/bitnamilegacy/external-dns:0.14.0-debian-12-r3", "external-dns"),
        ("us-docker.pkg.dev/fairwinds-ops/oss/polaris:10.2.0", "polaris"),
        ("ghcr.io/traefik/traefik:v3.7.9", "traefik"),
        ("ghcr.io/nginx/kubernetes-ingress:5.5.4", "nginx-ingress"),
        ("kubernetesui/dashboard-api:1.13.0", "kubernetes-dashboard-api"),
        ("kubernetesui/dashboard-web:1.7.0", "kubernetes-dashboard-web"),
        ("kubernetesui/metrics-scraper:v1.0.8", "kubernetes-dashboard-metrics-scraper"),
        ("ghcr.io/buoyantio/proxy:enterprise-2.19.3", "linkerd-enterprise"),
        ("postgres:9.6.8", "postgres"),
        ("mysql:8.0.22", "mysql"),
        ("minio/minio:RELEASE.2017-12-28T01-21-00Z", "minio"),
        ("gitlab/gitlab-runner:alpine-v12.6.0", "gitlab-runner"),
        ("nats-streaming:0.11.2", "nats-streaming"),
        ("openfaas/basic-auth-plugin:0.17.0", "openfaas"),
        ("registry:2.7.1", "registry"),
        # the real GKE pod list (tests/data/realdata/pods): legacy and retired images
        ("k8s.gcr.io/defaultbackend:1.4", "defaultbackend"),
        ("registry.k8s.io/defaultbackend-amd64:1.5", "defaultbackend"),
        ("openfaas/faas-idler:0.2.1", "faas-idler"),
        (
            "registry.gitlab.com/gitlab-org/build/cng/gitlab-redis-ha:"
            "732704f18e34ba469df34b10c3b2465e0469d484",
            "redis",
        ),
    ],
)
def test_moved_and_twin_registries_are_identified(catalogue, raw, cid):
    entry = ImageIndex(catalogue).lookup(ImageReference.parse(raw))
    assert entry is not None and entry.id == cid, raw


def test_the_image_tag_picks_the_stream_when_entries_share_a_repository(catalogue):
    index = ImageIndex(catalogue)
    look = lambda raw: index.lookup(ImageReference.parse(raw)).id  # noqa: E731
    assert look("cr.l5d.io/linkerd/proxy:stable-2.14.10") == "linkerd"
    assert look("cr.l5d.io/linkerd/proxy:edge-24.8.2") == "linkerd-edge"
    assert look("cr.l5d.io/linkerd/controller:edge-26.8.3") == "linkerd-edge"
    assert look("cr.l5d.io/linkerd/proxy:stable-2.14.10") == "linkerd"  # cached per tag
    assert look("cr.l5d.io/linkerd/proxy:latest") == "linkerd"  # no stream matches: the first


def test_sharing_a_repository_needs_an_image_tag_pattern_on_every_entry():
    with pytest.raises(IdentifyError, match=r"cr\.l5d\.io/linkerd/proxy"):
        load_catalogue({"mine": {"images": ["cr.l5d.io/linkerd/proxy"], "project": "a/b"}})
    cat = load_catalogue(
        {
            "mine": {
                "images": ["cr.l5d.io/linkerd/proxy"],
                "project": "a/b",
                "image_tag_pattern": "^mine-(?P<version>.+)$",
            }
        }
    )
    index = ImageIndex(cat)
    assert index.matches("mine", ImageReference.parse("cr.l5d.io/linkerd/proxy:mine-1.2.3"))


def test_retired_entries_name_date_successor_and_source(catalogue):
    retired = {cid: e for cid, e in catalogue.items() if e.retired is not None}
    assert {
        "linkerd",
        "ingress-nginx",
        "promtail",
        "jaeger",
        "jaeger-operator",
        "kubernetes-dashboard",
        "grafana-agent",
        "nats-streaming",
        "defaultbackend",
        "faas-idler",
    } <= set(retired)
    assert catalogue["promtail"].retired == date(2026, 3, 25)
    assert catalogue["promtail"].successor == "alloy"
    # removed from ingress-nginx, its last home, by kubernetes/ingress-nginx#3156
    assert catalogue["defaultbackend"].retired == date(2018, 11, 15)
    assert catalogue["defaultbackend"].successor == "ingress-gce"
    # the OpenFaaS chart replaced it with the commercial faas-idler-pro (faas-netes ea0a5e5)
    assert catalogue["faas-idler"].retired == date(2021, 1, 6)
    for cid, entry in retired.items():
        assert entry.retired_source and entry.retired_source.startswith("https://"), cid
        assert entry.successor, cid
        if entry.successor in catalogue:
            assert catalogue[entry.successor].retired is None, cid
    assert catalogue["loki"].retired is None and catalogue["linkerd-edge"].retired is None


def test_retirement_fields_are_validated():
    base = {"images": ["a/b"], "project": "a/b"}
    entry = load_catalogue({"x": {**base, "retired": "2025-01-23", "successor": "y"}})["x"]
    assert entry.retired == date(2025, 1, 23) and entry.successor == "y"
    bad = [
        ({"retired": "January 2025"}, "retired"),
        ({"retired": 2025}, "retired"),
        ({"successor": "y"}, "retired"),
        ({"retired": "2025-01-23", "retired_source": "http://x/"}, "retired_source"),
        ({"retired": "2025-01-23", "retired_source": "see README"}, "retired_source"),
    ]
    for fields, word in bad:
        with pytest.raises(IdentifyError) as err:
            load_catalogue({"x": {**base, **fields}})
        assert "components.x" in err.value.message and word in err.value.message, fields


def test_gitlab_entries_take_nested_project_paths():
    """``source = "gitlab"``: a project is a GitLab full path (nested groups); GitHub entries
    stay ``owner/repo``."""
    built = load_catalogue()
    assert built["gitlab-exporter"].source == "gitlab"
    assert built["gitlab-exporter"].project == "gitlab-org/ruby/gems/gitlab-exporter"
    mine = load_catalogue(
        {"mine": {"images": ["x/y"], "project": "acme/platform/tools/y", "source": "gitlab"}}
    )
    assert mine["mine"].project == "acme/platform/tools/y"
    with pytest.raises(IdentifyError, match="must be a GitLab project path"):
        load_catalogue({"bad": {"images": ["x/y"], "project": "y", "source": "gitlab"}})
    with pytest.raises(IdentifyError, match="must be a GitHub 'owner/repo'"):
        load_catalogue({"bad": {"images": ["x/y"], "project": "a/b/c"}})
